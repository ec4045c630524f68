"""Strict readers for BMS/OBD exports, CSV and JSON, into Readings.

CSV: a header ``battery_id,measured_at,<field> [<unit>],...`` (fields and units: series.FIELDS), one reading
per row, an empty cell for a field not reported in that reading. JSON::

    {"format": "battrace-soh-readings/1",
     "batteries": [{"battery_id": "...", "nameplate": {passport attribute: value, ...},   # optional
                    "readings": [{"measured_at": "2026-01-31T00:00:00Z",
                                  "capacity": {"value": 171.2, "unit": "Ah"}, ...}]}]}

A file is taken whole or not at all: every problem found is collected, and one InvalidInput names them, the
first in its message with its row and field (also in ``extra``), all of them in ``extra["problems"]``.
Pure module: parses text, reads no file.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from battrace.apps.soh.series import (
    FIELD_BY_NAME,
    FIELDS,
    Field,
    FloatArray,
    Nameplate,
    Readings,
    nameplate_from_passport,
    to_days,
)
from battrace.errors import InvalidInput
from battrace.passport.checks import REMAINING_CAPACITY_HEADROOM

FORMAT = "battrace-soh-readings/1"
MAX_PROBLEMS = 50
_HEADER = re.compile(r"^\s*([a-z_]+)\s*\[(.+)\]\s*$")
# A measured pack resistance more than this factor away from the nameplate's initial one is a unit mix-up
# (mΩ written as Ω is 1000x); real ageing stays well inside it (end of life is typically +100 %, i.e. 2x).
RESISTANCE_FACTOR = 20.0
# Energy throughput (kWh) against capacity throughput (Ah) x nominal voltage: the two agree within the
# voltage swing over a discharge (about +-15 %); a factor of 3 either way only catches Wh-for-kWh mix-ups.
ENERGY_FACTOR = 3.0

NameplateSource = Nameplate | Mapping[str, Nameplate]


@dataclass
class _Problems:
    items: list[dict[str, str]] = field(default_factory=list)
    total: int = 0

    def add(self, row: str, field_name: str, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append({"row": row, "field": field_name, "message": message})

    def raise_any(self, source: str) -> None:
        if not self.items:
            return
        first = self.items[0]
        more = f" (and {self.total - 1} more problems)" if self.total > 1 else ""
        raise InvalidInput(
            f"{source}: {first['row']}, field {first['field']}: {first['message']}{more}; "
            "nothing was imported",
            reason="invalid_readings",
            row=first["row"],
            field=first["field"],
            problems=list(self.items),
        )


@dataclass
class _Reading:
    row: str
    days: float
    values: dict[str, float]


def parse_csv(text: str, nameplates: NameplateSource) -> Readings:
    """Readings from a CSV export; ``nameplates`` is one Nameplate for every battery or one per battery id."""
    problems = _Problems()
    # Spreadsheet programs start UTF-8 CSV with a byte order mark; it is not part of the first column's name.
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise InvalidInput("CSV: the file is empty", reason="invalid_readings", row="row 1", field="header")
    fields = _csv_header(header, problems)
    problems.raise_any("CSV")
    batteries: dict[str, list[_Reading]] = {}
    for line, cells in enumerate(reader, start=2):
        row = f"row {line}"
        if len(cells) != len(header):
            problems.add(row, "*", f"expected {len(header)} cells, got {len(cells)}")
            continue
        cells_by_name = dict(zip(fields, cells, strict=True))
        reading = _reading(row, cells_by_name, problems)
        if reading is not None:
            batteries.setdefault(cells_by_name["battery_id"].strip(), []).append(reading)
    return _finish("CSV", batteries, _lookup(nameplates), problems)


def parse_json(text: str, nameplates: NameplateSource | None = None) -> Readings:
    """Readings from a JSON export; a battery's own ``nameplate`` (passport attributes) wins over
    ``nameplates``."""
    problems = _Problems()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"JSON: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}; nothing was imported",
            reason="invalid_readings",
            row=f"line {exc.lineno}",
            field="*",
        ) from None
    entries = _json_batteries(document, problems)
    problems.raise_any("JSON")
    batteries: dict[str, list[_Reading]] = {}
    own: dict[str, Nameplate] = {}
    for i, entry in enumerate(entries):
        _json_battery(i, entry, batteries, own, problems)
    fallback = _lookup(nameplates) if nameplates is not None else {}
    return _finish("JSON", batteries, fallback, problems, own)


def _csv_header(header: list[str], problems: _Problems) -> list[str]:
    names: list[str] = []
    for column, cell in enumerate(header, start=1):
        name = cell.strip()
        if name in ("battery_id", "measured_at"):
            names.append(name)
            continue
        match = _HEADER.match(cell)
        if match is None:
            problems.add("row 1", cell, f"column {column}: expected 'field [unit]', e.g. 'capacity [Ah]'")
            names.append(cell)
            continue
        names.append(match[1])
        _check_unit("row 1", match[1], match[2].strip(), problems)
    for required in ("battery_id", "measured_at", *(f.name for f in FIELDS if f.required)):
        if required not in names:
            problems.add("row 1", required, "required column is missing")
    if len(set(names)) != len(names):
        problems.add("row 1", "*", "a column appears twice")
    return names


def _check_unit(row: str, name: str, unit: object, problems: _Problems) -> bool:
    spec = FIELD_BY_NAME.get(name)
    if spec is None:
        problems.add(row, name, f"unknown field; known: {', '.join(f.name for f in FIELDS)}")
        return False
    if unit != spec.unit:
        problems.add(row, name, f"{name} is read in {spec.unit}, not {unit!r} (no unit is converted)")
        return False
    return True


def _number(row: str, spec: Field, raw: object, problems: _Problems) -> float | None:
    """A checked number, None when the cell is empty (or wrong: then a problem is recorded)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.required:
            problems.add(row, spec.name, "a value is required")
        return None
    try:
        value = float(raw) if isinstance(raw, str) else _json_number(raw)
    except ValueError:
        problems.add(row, spec.name, f"not a number: {raw!r}")
        return None
    if not math.isfinite(value):
        problems.add(row, spec.name, f"not a finite number: {raw!r}")
    elif value < 0 and not spec.signed:
        problems.add(row, spec.name, f"cannot be negative, got {value:g} {spec.unit}")
    elif spec.upper is not None and value > spec.upper:
        problems.add(row, spec.name, f"cannot exceed {spec.upper:g} {spec.unit}, got {value:g}")
    else:
        return value
    return None


def _json_number(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(raw)
    return float(raw)


def _timestamp(row: str, raw: object, problems: _Problems) -> float | None:
    try:
        moment = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        problems.add(row, "measured_at", f"not an ISO 8601 date-time: {raw!r}")
        return None
    if moment.tzinfo is None:
        problems.add(row, "measured_at", f"{raw!r} has no time zone (add Z or +hh:mm)")
        return None
    return to_days(moment)


def _reading(row: str, cells: Mapping[str, object], problems: _Problems) -> _Reading | None:
    before = problems.total
    if not str(cells.get("battery_id", "")).strip():
        problems.add(row, "battery_id", "a battery identifier is required")
    days = _timestamp(row, cells.get("measured_at"), problems)
    values: dict[str, float] = {}
    for name, raw in cells.items():
        spec = FIELD_BY_NAME.get(name)
        if spec is not None:
            value = _number(row, spec, raw, problems)
            if value is not None:
                values[name] = value
    for spec in FIELDS:
        if spec.required and spec.name not in cells:
            problems.add(row, spec.name, "a value is required")
    if days is None or problems.total != before:
        return None
    return _Reading(row, days, values)


def _json_batteries(document: object, problems: _Problems) -> list[Any]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        problems.add("document", "format", f"expected an object with format {FORMAT!r}")
        return []
    batteries = document.get("batteries")
    if not isinstance(batteries, list) or not batteries:
        problems.add("document", "batteries", "expected a non-empty list of batteries")
        return []
    return batteries


def _json_battery(
    i: int,
    entry: object,
    batteries: dict[str, list[_Reading]],
    own: dict[str, Nameplate],
    problems: _Problems,
) -> None:
    where = f"batteries[{i}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("readings"), list):
        problems.add(where, "readings", "expected an object with a list of readings")
        return
    raw_id = entry.get("battery_id")
    battery_id = raw_id.strip() if isinstance(raw_id, str) else ""
    if not battery_id:
        problems.add(where, "battery_id", "a battery identifier (a non-empty string) is required")
        return
    if isinstance(entry.get("nameplate"), dict):
        try:
            own[battery_id] = nameplate_from_passport(entry["nameplate"])
        except (InvalidInput, ValueError) as exc:
            problems.add(where, "nameplate", str(exc))
    for j, raw in enumerate(entry["readings"]):
        reading = _json_reading(f"{where}.readings[{j}]", battery_id, raw, problems)
        if reading is not None:
            batteries.setdefault(battery_id, []).append(reading)


def _json_reading(row: str, battery_id: str, raw: object, problems: _Problems) -> _Reading | None:
    if not isinstance(raw, dict):
        problems.add(row, "*", "a reading is an object")
        return None
    cells: dict[str, object] = {"battery_id": battery_id, "measured_at": raw.get("measured_at")}
    for name, value in raw.items():
        if name == "measured_at":
            continue
        if not isinstance(value, dict) or set(value) != {"value", "unit"}:
            problems.add(row, name, 'expected {"value": number, "unit": "..."}')
            continue
        if not _check_unit(row, name, value["unit"], problems):
            continue
        number = value["value"]
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            problems.add(row, name, f"expected a JSON number, got {number!r}")
            continue
        cells[name] = number
    return _reading(row, cells, problems)


def _lookup(nameplates: NameplateSource) -> Nameplate | dict[str, Nameplate]:
    return nameplates if isinstance(nameplates, Nameplate) else dict(nameplates)


def _nameplate_of(found: Nameplate | dict[str, Nameplate], battery_id: str) -> Nameplate | None:
    return found if isinstance(found, Nameplate) else found.get(battery_id)


def _finish(
    source: str,
    batteries: dict[str, list[_Reading]],
    found: Nameplate | dict[str, Nameplate],
    problems: _Problems,
    own: Mapping[str, Nameplate] | None = None,
) -> Readings:
    if not batteries and not problems.total:
        problems.add("row 2" if source == "CSV" else "batteries", "*", "the export holds no readings")
    plates: list[Nameplate] = []
    for battery_id, readings in batteries.items():
        readings.sort(key=lambda r: r.days)
        plate = (own or {}).get(battery_id) or _nameplate_of(found, battery_id)
        if plate is None:
            problems.add(readings[0].row, "battery_id", f"no nameplate for battery {battery_id!r}")
            continue
        plates.append(plate)
        _check_battery(readings, plate, problems)
    problems.raise_any(source)
    return _arrays(batteries, tuple(plates))


def _check_battery(readings: list[_Reading], plate: Nameplate, problems: _Problems) -> None:
    """Rules across one battery's readings: distinct times, counters that never run back, plausible
    magnitudes against the nameplate."""
    for before, after in itertools.pairwise(readings):
        if after.days == before.days:
            problems.add(after.row, "measured_at", f"same time as {before.row}")
        for spec in FIELDS:
            earlier, later = before.values.get(spec.name), after.values.get(spec.name)
            if spec.counter and earlier is not None and later is not None and later < earlier:
                problems.add(
                    after.row,
                    spec.name,
                    f"a cumulative counter cannot decrease: {later:g} after {earlier:g} "
                    f"at the earlier {before.row}",
                )
    for reading in readings:
        _check_magnitudes(reading, plate, problems)


def _check_magnitudes(reading: _Reading, plate: Nameplate, problems: _Problems) -> None:
    values = reading.values
    limit = plate.rated_capacity_ah * REMAINING_CAPACITY_HEADROOM
    if values.get("capacity", 0.0) > limit:
        problems.add(
            reading.row,
            "capacity",
            f"{values['capacity']:g} Ah is a state of health over 100 %: more than "
            f"{REMAINING_CAPACITY_HEADROOM:.0%} of the rated {plate.rated_capacity_ah:g} Ah (mAh for Ah?)",
        )
    initial = plate.initial_internal_resistance_ohm
    resistance = values.get("resistance")
    if (
        initial
        and resistance is not None
        and not initial / RESISTANCE_FACTOR <= resistance <= initial * RESISTANCE_FACTOR
    ):
        problems.add(
            reading.row,
            "resistance",
            f"{resistance:g} Ω is implausible against the initial {initial:g} Ω (mΩ for Ω?)",
        )
    throughput, energy = values.get("capacity_throughput"), values.get("energy_discharged")
    if throughput and energy is not None and throughput > 100:
        expected = throughput * plate.nominal_voltage_v / 1000.0
        if not expected / ENERGY_FACTOR <= energy <= expected * ENERGY_FACTOR:
            problems.add(
                reading.row,
                "energy_discharged",
                f"{energy:g} kWh does not fit {throughput:g} Ah at {plate.nominal_voltage_v:g} V "
                f"(about {expected:.4g} kWh; Wh for kWh?)",
            )


def _arrays(batteries: dict[str, list[_Reading]], plates: tuple[Nameplate, ...]) -> Readings:
    width = max(len(r) for r in batteries.values())
    shape = (len(batteries), width)
    days = np.full(shape, np.nan)
    present = {name for rs in batteries.values() for r in rs for name in r.values}
    columns: dict[str, FloatArray] = {name: np.full(shape, np.nan) for name in present}
    for b, readings in enumerate(batteries.values()):
        days[b, : len(readings)] = [r.days for r in readings]
        for name, column in columns.items():
            column[b, : len(readings)] = [r.values.get(name, np.nan) for r in readings]
    return Readings(tuple(batteries), plates, days, columns)


def stack(parts: Iterable[Readings]) -> Readings:
    """Several Readings as one (e.g. a CSV per depot); battery ids must not repeat."""
    parts = list(parts)
    ids = tuple(i for p in parts for i in p.battery_ids)
    if len(set(ids)) != len(ids):
        raise InvalidInput("a battery appears in two inputs", reason="duplicate_battery")
    width = max(p.days.shape[1] for p in parts)

    def pad(a: FloatArray) -> FloatArray:
        return np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=np.nan)

    names = {n for p in parts for n in p.columns}
    return Readings(
        ids,
        tuple(n for p in parts for n in p.nameplates),
        np.vstack([pad(p.days) for p in parts]),
        {n: np.vstack([pad(p.column(n)) for p in parts]) for n in names},
    )
