"""`battrace soh` from the command line: a generated export in, a report and charts out; bad files refused
with row and field, exit code 2, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from battrace.apps.soh.cli import app

runner = CliRunner()


def test_a_generated_csv_export_is_assessed_with_charts(tmp_path: Path) -> None:
    export = tmp_path / "fleet.csv"
    made = runner.invoke(app, ["fleet", str(export), "--batteries", "3", "--months", "24"])
    assert made.exit_code == 0, made.output
    nameplate = tmp_path / "fleet.nameplate.json"
    charts = tmp_path / "charts"
    result = runner.invoke(
        app, ["assess", str(export), "--nameplate", str(nameplate), "--charts", str(charts)]
    )
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert [r["battery_id"] for r in reports] == ["BAT-000000", "BAT-000001", "BAT-000002"]
    assert all(r["annex_vii_part_a"]["remaining_capacity_ah"] > 0 for r in reports)
    assert sorted(p.name for p in charts.iterdir()) == [f"BAT-00000{i}.svg" for i in range(3)]


def test_a_json_export_carries_its_own_nameplates_and_one_battery_can_be_picked(tmp_path: Path) -> None:
    export = tmp_path / "fleet.json"
    assert runner.invoke(app, ["fleet", str(export), "--batteries", "2", "--months", "13"]).exit_code == 0
    result = runner.invoke(app, ["assess", str(export), "--battery", "BAT-000001", "--passport"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["battery_id"] == "BAT-000001"
    recorded = {m["key"]: m for m in shown["passport_measurements"]}
    assert recorded["remaining_capacity"]["unit"] == "Ah"
    assert recorded["remaining_capacity"]["value"] == shown["annex_vii_part_a"]["remaining_capacity_ah"]
    assert recorded["remaining_capacity"]["source"] == "bms-export:fleet.json"


def test_a_bad_export_exits_2_naming_row_and_field_without_a_traceback(tmp_path: Path) -> None:
    export = tmp_path / "fleet.csv"
    runner.invoke(app, ["fleet", str(export), "--batteries", "1", "--months", "6"])
    lines = export.read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "-3"  # capacity of the third reading
    lines[3] = ",".join(cells)
    export.write_text("\n".join(lines))
    result = runner.invoke(
        app, ["assess", str(export), "--nameplate", str(tmp_path / "fleet.nameplate.json")]
    )
    assert result.exit_code == 2
    assert "row 4, field capacity" in result.output
    assert "Traceback" not in result.output


def test_a_nameplate_that_is_not_json_or_has_a_bad_category_exits_2_with_a_message(tmp_path: Path) -> None:
    export = tmp_path / "fleet.csv"
    runner.invoke(app, ["fleet", str(export), "--batteries", "1", "--months", "6"])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(app, ["assess", str(export), "--nameplate", str(broken)])
    assert result.exit_code == 2 and "not JSON" in result.output
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"rated_capacity": 180, "nominal_voltage": 355, "battery_category": "toy"}))
    result = runner.invoke(app, ["assess", str(export), "--nameplate", str(wrong)])
    assert result.exit_code == 2 and "category" in result.output
    assert "Traceback" not in result.output
