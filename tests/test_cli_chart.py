"""`battrace chart ...`: files in, SVG (or PNG) charts out; bad input refused with exit status 2, nothing
written; the chart code loaded only when a chart is asked for."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from battrace.apps.duediligence.example import CELLCO, CONFORMANT_CSV, chain
from battrace.apps.duediligence.rollup import roll_up
from battrace.apps.duediligence.workbook import export_workbook
from battrace.apps.recycling.example import RECYCLER, YEAR, example_rows
from battrace.apps.soh import fleet
from battrace.charts.png import svg_to_png, unavailable_reason
from battrace.cli import app

runner = CliRunner()
_SVG = "{http://www.w3.org/2000/svg}"


def _chart(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["chart", *args])
    return result.exit_code, result.output


def _fleet(tmp_path: Path, batteries: int = 2) -> Path:
    readings, _ = fleet.generate(batteries, 18, 7)
    export = tmp_path / "fleet.json"
    export.write_text(fleet.as_json(readings), encoding="utf-8")
    return export


def test_the_state_of_health_and_resistance_of_one_battery_is_written_as_svg(tmp_path: Path) -> None:
    out = tmp_path / "soh.svg"
    code, output = _chart("soh", str(_fleet(tmp_path)), "--battery", "BAT-000001", "--out", str(out))
    assert code == 0, output
    root = ElementTree.fromstring(out.read_text(encoding="utf-8"))
    texts = [t.text for t in root.iter(f"{_SVG}text")]
    assert "BAT-000001: state of health" in texts and "ohmic resistance" in texts


def test_an_export_of_several_batteries_needs_the_battery_named(tmp_path: Path) -> None:
    out = tmp_path / "soh.svg"
    code, output = _chart("soh", str(_fleet(tmp_path)), "--out", str(out))
    assert code == 2 and "holds 2 batteries; choose one with --battery" in output
    assert not out.exists()


def test_recovery_rates_against_annex_xii_come_from_an_events_file(tmp_path: Path) -> None:
    events = tmp_path / "events.json"
    events.write_text(json.dumps(example_rows()), encoding="utf-8")
    out = tmp_path / "rates.svg"
    code, output = _chart(
        "recycling", str(events), "--year", str(YEAR), "--facility", RECYCLER, "--out", str(out)
    )
    assert code == 0, output
    root = ElementTree.fromstring(out.read_text(encoding="utf-8"))
    # The shipped example (apps/recycling/example.py EXPECTED): cobalt 93 %, nickel 92 %, lithium 80 %,
    # copper 85 % recovered, recycling efficiency 66.98 % of a lithium-based lot; one target line each.
    desc = root.findtext(f"{_SVG}desc") or ""
    for part in ("cobalt 93.0 %", "nickel 92.0 %", "lithium 80.0 %", "copper 85.0 %", "67.0 %"):
        assert part in desc
    assert len(root.findall(f"{_SVG}line[@class='target']")) == 5


def test_a_bad_event_row_is_refused_with_its_row_and_field(tmp_path: Path) -> None:
    rows = example_rows()
    rows[1] = {**rows[1], "mass_kg": "heavy"}
    events = tmp_path / "events.json"
    events.write_text(json.dumps(rows), encoding="utf-8")
    out = tmp_path / "rates.svg"
    code, output = _chart(
        "recycling", str(events), "--year", "2029", "--facility", RECYCLER, "--out", str(out)
    )
    assert code == 2 and "row 2" in output and "mass_kg" in output
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".json", ".xlsx"])
def test_due_diligence_coverage_comes_from_a_declaration_as_json_or_workbook(
    tmp_path: Path, suffix: str
) -> None:
    declared = roll_up(CELLCO, chain()).declaration
    source = tmp_path / f"declaration{suffix}"
    if suffix == ".json":
        source.write_text(declared.model_dump_json(), encoding="utf-8")
    else:
        source.write_bytes(export_workbook(declared))
    conformant = tmp_path / "conformant.csv"
    conformant.write_text(CONFORMANT_CSV, encoding="utf-8")
    out = tmp_path / "dd.svg"
    code, output = _chart("duediligence", str(source), "--conformant", str(conformant), "--out", str(out))
    assert code == 0, output
    root = ElementTree.fromstring(out.read_text(encoding="utf-8"))
    groups = {a.mineral for a in declared.minerals}
    labels = {t.text for t in root.iter(f"{_SVG}text")}
    assert groups <= labels
    assert {"Smelters identified (RMI id)", "Smelters conformant"} <= labels


def test_without_a_conformant_list_no_conformant_share_is_drawn(tmp_path: Path) -> None:
    source = tmp_path / "declaration.json"
    source.write_text(roll_up(CELLCO, chain()).declaration.model_dump_json(), encoding="utf-8")
    out = tmp_path / "dd.svg"
    assert _chart("duediligence", str(source), "--out", str(out))[0] == 0
    assert "Smelters conformant" not in out.read_text(encoding="utf-8")


def test_a_format_that_contradicts_the_file_name_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "soh.svg"
    code, output = _chart("soh", str(_fleet(tmp_path, 1)), "--out", str(out), "--format", "png")
    assert code == 2 and "--format png does not match the file name soh.svg" in output
    assert not out.exists()


def test_png_without_a_browser_is_a_clear_error_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATTRACE_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "soh.png"
    code, output = _chart("soh", str(_fleet(tmp_path, 1)), "--out", str(out))
    assert code == 2 and "PNG needs Playwright and Chromium" in output and "--format svg" in output
    assert not out.exists()


def test_png_is_rendered_by_chromium_when_installed(tmp_path: Path) -> None:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PNG rendering required under CI=true: {reason}")
        pytest.skip(reason)
    out = tmp_path / "soh.png"
    code, output = _chart("soh", str(_fleet(tmp_path, 1)), "--out", str(out))
    assert code == 0, output
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    # The SOH chart is 720 x 650 CSS pixels (apps/soh/chart.py), drawn at 2 device pixels each.
    assert (width, height) == (1440, 1300)


def test_loading_the_command_line_does_not_load_the_chart_code() -> None:
    modules = "('numpy', 'openpyxl', 'battrace.charts.cli')"
    probe = f"import sys, battrace.cli; print(sorted(m for m in {modules} if m in sys.modules))"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"


def test_png_renders_from_inside_a_running_event_loop() -> None:
    # Playwright's sync API refuses a thread whose asyncio loop runs (an async caller, or a test session
    # that left one running): the renderer uses a thread of its own.
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PNG rendering required under CI=true: {reason}")
        pytest.skip(reason)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20"/></svg>'

    async def inside_a_loop() -> bytes:
        return svg_to_png(svg)

    try:
        asyncio.get_running_loop()  # an earlier test of the session left one running here: call as is
        png = svg_to_png(svg)
    except RuntimeError:  # none running: start one
        png = asyncio.run(inside_a_loop())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
