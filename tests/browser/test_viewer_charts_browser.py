"""The passport charts in a real browser: recycled content against the Art. 8 targets on a real node's page
(public data), the due-diligence summary and the state-of-health series on the viewer over the sample
passports (tests/passport/web/sample.py, whose summary is in the due-diligence app's wording), in English
and Japanese, on a desktop and a phone, with screenshots."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ViewerServer

try:
    from playwright.sync_api import Page, expect
except ImportError:  # locally a skip; under CI=true the import error fails the run, as conftest asks
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def sample_viewer() -> Iterator[str]:
    """The viewer router over the sample reader, served by uvicorn on a free loopback port."""
    import uvicorn

    from passport.web.conftest import FakeClock, make_app
    from passport.web.sample import sample_reader

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    base = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(sample_reader(), FakeClock(), base=base),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the sample viewer did not start")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _bar_values(page: Page, figure: str) -> list[float]:
    values = page.locator(f"#{figure} svg rect[data-value]").evaluate_all(
        "rects => rects.map(r => r.dataset.value)"
    )
    return [float(v) for v in values]


def test_recycled_content_and_the_art_8_targets_are_drawn_on_the_public_page(
    page: Page, viewer_server: ViewerServer, screenshots: Path
) -> None:
    page.goto(f"{viewer_server.base_url}/passport/{viewer_server.ev_passport}")
    figure = page.locator("#figure-recycled")
    expect(figure.locator("figcaption")).to_have_text("Recycled content against the Article 8 targets")
    chart = figure.locator("svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 80
    # battrace.passport.samples: nickel 4 + 3, cobalt 9 + 8, lithium 3 + 4 (pre + post); lead 0 + 0 is not
    # drawn: an NMC battery holds no lead, so the 85 % lead target is not its target.
    assert _bar_values(page, "figure-recycled") == [4, 3, 9, 8, 3, 4]
    targets = figure.locator("line[data-target]").evaluate_all("lines => lines.map(l => l.dataset.target)")
    assert [float(t) for t in targets] == [6, 15, 16, 26, 6, 12]
    figure.locator("summary").click()
    expect(figure.locator("table")).to_contain_text("Target from 2036 (Art. 8(3))")
    figure.screenshot(path=screenshots / "chart-recycled-targets.png")


def test_the_due_diligence_summary_and_soh_are_charts_for_a_recycler(
    page: Page, sample_viewer: str, screenshots: Path
) -> None:
    from passport.web.sample import EV_ID, RECYCLER_TOKEN

    page.goto(f"{sample_viewer}/passport/login?next=/passport/{EV_ID}")
    page.fill("#token", RECYCLER_TOKEN)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/passport/{EV_ID}*")
    expect(page.locator("#soh svg.chart").first).to_be_visible()
    dd = page.locator("#figure-due-diligence")
    expect(dd.locator("svg")).to_be_visible()
    # Coverage, conformant, 100 % recycled per mineral: cobalt 80/60/20, lithium 50/50/0, nickel 100/0/0.
    assert _bar_values(page, "figure-due-diligence") == [80, 60, 20, 50, 50, 0, 100, 0, 0]
    expect(dd.locator("svg")).to_contain_text("n/a (no smelter)")  # natural graphite: nothing to measure
    dd.screenshot(path=screenshots / "chart-due-diligence.png")
    page.screenshot(path=screenshots / "passport-charts-recycler.png", full_page=True)


def test_the_charts_speak_japanese_and_fit_a_phone(
    mobile_page: Page, sample_viewer: str, screenshots: Path
) -> None:
    from passport.web.sample import EV_ID

    mobile_page.goto(f"{sample_viewer}/passport/{EV_ID}?lang=ja")
    expect(mobile_page.locator("#figure-recycled figcaption")).to_have_text("再生材含有率と第8条の目標")
    expect(mobile_page.locator("#figure-due-diligence figcaption")).to_have_text(
        "鉱物別のデューデリジェンス対象範囲"
    )
    overflow = mobile_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0  # the charts scale down instead of pushing the page sideways
    mobile_page.locator("#figure-recycled").screenshot(path=screenshots / "chart-recycled-ja-375.png")
    mobile_page.locator("#figure-due-diligence").screenshot(
        path=screenshots / "chart-due-diligence-ja-375.png"
    )
