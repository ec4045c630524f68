"""Browser tests: real `battrace serve` node processes on free loopback ports and Debian's Chromium driven by
Playwright (sync API).

Skipped when /usr/bin/chromium or the playwright package is missing, except under CI=true, where that is a
failure (.ci/run installs Chromium). The nodes start in the ``viewer_server`` fixture only.
Screenshots go to $BATTRACE_ARTIFACTS/screenshots (default: test-artifacts/screenshots in the repo root).
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_item_values, ev_model_values, sample_battery

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 90.0  # a loaded 2-core machine can take this long to import and migrate
MODEL = "urn:battrace:model:browser-pack"
SERIAL = "BROWSER-1"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session", autouse=True)
def _browser_available() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests required under CI=true: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@dataclass(frozen=True)
class ViewerServer:
    """Where the viewer runs and what the tests may use against it."""

    base_url: str
    ev_passport: str
    ev_digital_link_path: str
    recycler: NodeProcess
    oem_did: str

    def recycler_token(self) -> str:
        """A fresh self-issued token of the recycler's node for the OEM's (each is accepted once)."""
        with self.recycler.client() as client:
            return client.token_for(self.oem_did).removeprefix("Bearer ")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _issue_sample_passport(oem: NodeProcess) -> str:
    """A carmaker's pack model, one battery, a year of state of health, then a re-use (status history)."""
    with oem.client() as client:
        client.register_passport_model(MODEL, "ev", ev_model_values())
        (passport_id,) = client.issue_passports([{"modelId": MODEL, "values": ev_item_values(SERIAL)}])
        start = datetime(2026, 1, 10, tzinfo=UTC)
        readings = [
            {"key": "state_of_certified_energy", "value": 100.0 - 0.3 * month, "unit": "%",
             "measuredAt": (start + timedelta(days=30 * month)).isoformat(), "source": "bms:browser-test"}
            for month in range(12)
        ]  # fmt: skip
        client.record_measurements(passport_id, readings)
        client.change_passport_status(passport_id, "reuse")
    return passport_id


@pytest.fixture(scope="session")
def viewer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViewerServer]:
    """THE place the server starts: a real `battrace serve` carmaker node holding a passport, and a recycler
    node whose role the carmaker knows (as a verified role credential would tell it)."""
    root = tmp_path_factory.mktemp("viewer")
    oem = NodeProcess("browser-oem", _free_port(), root)
    recycler = NodeProcess("browser-recycler", _free_port(), root)
    oem.peers = {recycler.did: {"roles": ["Recycler"]}}
    try:
        recycler.start(timeout=STARTUP_TIMEOUT)
        oem.start(timeout=STARTUP_TIMEOUT)
        passport_id = _issue_sample_passport(oem)
        yield ViewerServer(
            base_url=oem.base_url,
            ev_passport=passport_id,
            ev_digital_link_path=sample_battery(SERIAL).digital_link(oem.base_url).removeprefix(oem.base_url),
            recycler=recycler,
            oem_did=oem.did,
        )
    finally:
        oem.stop()
        recycler.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    root = Path(os.environ.get("BATTRACE_ARTIFACTS", REPO / "test-artifacts"))
    directory = root / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def mobile_page(browser: Browser) -> Iterator[Page]:
    """A phone-sized page (375 x 800 CSS pixels, the width of the smallest common phones)."""
    context = browser.new_context(
        viewport={"width": 375, "height": 800}, device_scale_factor=2, is_mobile=True
    )
    try:
        yield context.new_page()
    finally:
        context.close()
