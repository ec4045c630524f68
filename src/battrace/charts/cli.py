"""`battrace chart ...`: draw the apps' charts from files, as SVG or (``--format png``) PNG.

* ``soh``: state of health and ohmic resistance of one battery from a BMS/OBD export (apps/soh/ingest);
* ``recycling``: material recovery per element and recycling efficiency against Annex XII, from a JSON array
  of recycling event rows (the shape the recycling API records, apps/recycling/events.py);
* ``duediligence``: smelter coverage (and conformant share, given an RMI conformant list) per mineral, from a
  declaration as JSON or as an RMI CMRT/EMRT workbook.

The edge: reads and writes files, prints; the charts come from the apps' pure chart modules. Errors are the
apps' own (InvalidInput naming the row and field), printed to stderr with exit status 2. Mounted lazily by
battrace.cli, so its imports (numpy, openpyxl) cost nothing to other commands.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from battrace.errors import BattraceError, InvalidInput

app = typer.Typer(help="Charts as SVG or PNG files.", no_args_is_help=True)
MAX_BYTES = 64 * 1024 * 1024


class Format(StrEnum):
    SVG = "svg"
    PNG = "png"


Out = Annotated[Path, typer.Option("--out", "-o", help="File to write (.svg or .png).", dir_okay=False)]
FormatOption = Annotated[
    Format | None, typer.Option("--format", help="svg or png (default: from the --out suffix, else svg).")
]


def _format(out: Path, chosen: Format | None) -> Format:
    by_suffix = {".svg": Format.SVG, ".png": Format.PNG}.get(out.suffix.lower())
    if chosen is not None and by_suffix is not None and chosen is not by_suffix:
        raise InvalidInput(f"--format {chosen.value} does not match the file name {out.name}")
    return chosen or by_suffix or Format.SVG


def write_chart(svg: str, out: Path, chosen: Format | None) -> Path:
    """``svg`` to ``out``, rendered to PNG when the format says so; nothing is written on failure."""
    fmt = _format(out, chosen)
    if fmt is Format.PNG:
        from battrace.charts.png import svg_to_png

        data = svg_to_png(svg)
    else:
        data = svg.encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


def _read_bytes(path: Path) -> bytes:
    if path.stat().st_size > MAX_BYTES:
        raise InvalidInput(f"{path} is larger than {MAX_BYTES} bytes", reason="too_large")
    return path.read_bytes()


def _json(path: Path) -> Any:
    try:
        return json.loads(_read_bytes(path))
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None


def _fail(exc: BattraceError) -> typer.Exit:
    typer.echo(f"error: {exc.detail}", err=True)
    return typer.Exit(code=2)


def soh_chart(export: Path, nameplate: Path | None, battery: str | None) -> str:
    from battrace.apps.soh.assess import assess
    from battrace.apps.soh.chart import soh_svg
    from battrace.apps.soh.cli import load

    readings = load(export, nameplate)
    ids = list(readings.battery_ids)
    if battery is None:
        if len(ids) != 1:
            raise InvalidInput(f"{export} holds {len(ids)} batteries; choose one with --battery")
        battery = ids[0]
    if battery not in ids:
        raise InvalidInput(f"battery {battery!r} is not in {export}", reason="unknown_battery")
    return soh_svg(assess(readings), ids.index(battery))


def recycling_chart(events: Path, year: int, facility: str) -> str:
    from battrace.apps.recycling.chart import rates_chart
    from battrace.apps.recycling.events import Chemistry, PlacedOnMarket, Records
    from battrace.apps.recycling.massbalance import record_rows
    from battrace.apps.recycling.rates import Rate, recovery_rates, recycling_efficiency, treated

    rows = _json(events)
    if isinstance(rows, dict):
        rows = rows.get("rows")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InvalidInput(f'{events}: expected a non-empty JSON array of event rows (or {{"rows": [...]}})')
    histories = treated(record_rows(Records(), rows), facility, year)
    if not histories:
        raise InvalidInput(f"no lot delivered to {facility} in {year} has been refined in {events}")
    bars: dict[str, Rate] = {element.value: rate for element, rate in recovery_rates(histories, year).items()}
    chemistries = sorted({p.chemistry for h in histories if (p := h.detail(PlacedOnMarket)) is not None})
    for chemistry in chemistries:
        bars[f"efficiency ({chemistry})"] = recycling_efficiency(histories, Chemistry(chemistry), year)
    return rates_chart(bars, title=f"Recovery and recycling efficiency {year} against Annex XII")


def duediligence_chart(declaration: Path, conformant: Path | None) -> str:
    from battrace.apps.duediligence.cahra import default_cahra_list
    from battrace.apps.duediligence.chart import bar_chart, coverage_chart
    from battrace.apps.duediligence.metrics import ConformantList, parse_conformant_csv, results
    from battrace.apps.duediligence.model import parse_declaration
    from battrace.apps.duediligence.workbook import import_workbook

    if declaration.suffix.lower() == ".xlsx":
        parsed = import_workbook(_read_bytes(declaration))
    else:
        parsed = parse_declaration(_json(declaration))
    listed = (
        parse_conformant_csv(_read_bytes(conformant).decode("utf-8", "replace"), str(conformant))
        if conformant
        else ConformantList("none", frozenset())
    )
    computed = results(parsed, default_cahra_list(), listed)
    if conformant is not None:
        return coverage_chart(computed)
    # Without a conformant list a conformant share of 0 % would be invented: draw the coverage alone.
    minerals = list(computed.coverage)
    return bar_chart(
        "Due-diligence coverage by mineral",
        minerals,
        {"Smelters identified (RMI id)": [computed.coverage[m] for m in minerals]},
    )


@app.command("soh")
def soh_command(
    export: Annotated[
        Path, typer.Argument(help="BMS/OBD export, .csv or .json", exists=True, dir_okay=False)
    ],
    out: Out,
    nameplate: Annotated[
        Path | None, typer.Option(help="JSON passport values (needed for CSV).", exists=True, dir_okay=False)
    ] = None,
    battery: Annotated[
        str | None, typer.Option(help="The battery id (needed when the export has several).")
    ] = None,
    fmt: FormatOption = None,
) -> None:
    """State of health and ohmic resistance over time, with the fitted model and remaining life."""
    try:
        typer.echo(write_chart(soh_chart(export, nameplate, battery), out, fmt))
    except BattraceError as exc:
        raise _fail(exc) from None


@app.command("recycling")
def recycling_command(
    events: Annotated[Path, typer.Argument(help="JSON array of event rows", exists=True, dir_okay=False)],
    out: Out,
    year: Annotated[int, typer.Option(help="The recycling year.", min=2000, max=2100)],
    facility: Annotated[str, typer.Option(help="DID of the treatment facility the lots were delivered to.")],
    fmt: FormatOption = None,
) -> None:
    """Material recovery per element and recycling efficiency against the Annex XII targets."""
    try:
        typer.echo(write_chart(recycling_chart(events, year, facility), out, fmt))
    except BattraceError as exc:
        raise _fail(exc) from None


@app.command("duediligence")
def duediligence_command(
    declaration: Annotated[
        Path, typer.Argument(help="Declaration, .json or RMI workbook .xlsx", exists=True, dir_okay=False)
    ],
    out: Out,
    conformant: Annotated[
        Path | None, typer.Option(help="RMI conformant smelter list (CSV).", exists=True, dir_okay=False)
    ] = None,
    fmt: FormatOption = None,
) -> None:
    """Smelter coverage per mineral (and the conformant share, given --conformant)."""
    try:
        typer.echo(write_chart(duediligence_chart(declaration, conformant), out, fmt))
    except BattraceError as exc:
        raise _fail(exc) from None
