"""`battrace soh ...`: assess a BMS/OBD export, draw its charts, make a synthetic fleet.

The edge of the app: reads and writes files, prints; everything it computes comes from the pure modules.
Mount with ``app.add_typer(soh_app, name="soh")`` in battrace.cli.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from battrace.apps.soh import fleet
from battrace.apps.soh.assess import assess, report
from battrace.apps.soh.chart import soh_svg
from battrace.apps.soh.ingest import parse_csv, parse_json
from battrace.apps.soh.passport import api_body, measurements
from battrace.apps.soh.series import Nameplate, Readings, nameplate_from_passport
from battrace.errors import BattraceError, InvalidInput

app = typer.Typer(
    help="State of health, remaining life and residual value (Annex VII).", no_args_is_help=True
)
MAX_BYTES = 512 * 1024 * 1024


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_BYTES:
        raise InvalidInput(f"{path} is larger than {MAX_BYTES} bytes", reason="too_large")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {exc.start})", reason="encoding") from None


def _nameplates(path: Path | None) -> Nameplate | dict[str, Nameplate] | None:
    """A flat passport (attribute -> value) for every battery, or {battery id: flat passport}."""
    if path is None:
        return None
    try:
        document: Any = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: not JSON ({exc.msg} at line {exc.lineno})", reason="nameplate") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{path}: expected a JSON object", reason="nameplate")
    if "rated_capacity" in document:
        return nameplate_from_passport(document)
    if not all(isinstance(v, dict) for v in document.values()):
        raise InvalidInput(f"{path}: expected {{battery id: passport values}}", reason="nameplate")
    return {str(k): nameplate_from_passport(v) for k, v in document.items()}


def load(path: Path, nameplate: Path | None) -> Readings:
    """Readings from a .csv or .json export (the suffix decides)."""
    text = _read(path)
    plates = _nameplates(nameplate)
    if path.suffix.lower() == ".json":
        return parse_json(text, plates)
    if plates is None:
        raise InvalidInput("a CSV export needs --nameplate (the passport's rated capacity, voltage...)")
    return parse_csv(text, plates)


def _fail(exc: BattraceError) -> typer.Exit:
    typer.echo(f"error: {exc.detail}", err=True)
    for problem in exc.extra.get("problems", [])[1:]:
        typer.echo(f"  {problem['row']}, field {problem['field']}: {problem['message']}", err=True)
    return typer.Exit(code=2)


@app.command("assess")
def assess_command(
    export: Annotated[
        Path, typer.Argument(help="BMS/OBD export, .csv or .json", exists=True, dir_okay=False)
    ],
    nameplate: Annotated[
        Path | None, typer.Option(help="JSON passport values (needed for CSV).", exists=True, dir_okay=False)
    ] = None,
    battery: Annotated[str | None, typer.Option(help="Only this battery id.")] = None,
    charts: Annotated[Path | None, typer.Option(help="Write <battery>.svg charts into this folder.")] = None,
    passport: Annotated[
        bool, typer.Option("--passport", help="Add the dynamic passport measurements (management API shape).")
    ] = False,
) -> None:
    """Annex VII parameters, fade and resistance rates, remaining life, warnings and residual value."""
    try:
        readings = load(export, nameplate)
        if battery is not None and battery not in readings.battery_ids:
            raise InvalidInput(f"battery {battery!r} is not in {export}", reason="unknown_battery")
        result = assess(readings)
    except BattraceError as exc:
        raise _fail(exc) from None
    chosen = [readings.battery_ids.index(battery)] if battery else range(len(readings.battery_ids))
    reports = [report(result, b) for b in chosen]
    if passport:
        for b, shown in zip(chosen, reports, strict=True):
            recorded, withheld = measurements(result, b, source=f"bms-export:{export.name}")
            shown["passport_measurements"] = api_body(recorded)
            shown["passport_withheld"] = [w.__dict__ for w in withheld]
    if charts is not None:
        charts.mkdir(parents=True, exist_ok=True)
        for b in chosen:
            (charts / f"{readings.battery_ids[b]}.svg").write_text(soh_svg(result, b), encoding="utf-8")
    typer.echo(json.dumps(reports if len(reports) != 1 else reports[0], indent=2, ensure_ascii=False))


@app.command("fleet")
def fleet_command(
    out: Annotated[Path, typer.Argument(help="Where to write the export (.csv or .json).")],
    batteries: Annotated[int, typer.Option(min=1, max=100_000)] = 20,
    months: Annotated[int, typer.Option(min=2, max=240)] = 60,
    seed: Annotated[int, typer.Option()] = 7,
) -> None:
    """A synthetic fleet export with known ground truth (see battrace.apps.soh.fleet)."""
    readings, _ = fleet.generate(batteries, months, seed)
    if out.suffix.lower() == ".json":
        out.write_text(fleet.as_json(readings), encoding="utf-8")
    else:
        out.write_text(fleet.as_csv(readings), encoding="utf-8")
        plates = {
            i: fleet.passport_values(p)
            for i, p in zip(readings.battery_ids, readings.nameplates, strict=True)
        }
        nameplate = out.with_suffix(".nameplate.json")
        nameplate.write_text(json.dumps(plates, indent=1), encoding="utf-8")
        typer.echo(f"nameplates: {nameplate}")
    typer.echo(f"wrote {batteries} batteries x {months} months to {out}")
