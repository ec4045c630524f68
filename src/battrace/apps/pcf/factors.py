"""Emission factors: kg CO2e per unit of activity, each with its source, version and licence.

A factor set is read from CSV with the header ``key,kg_co2e_per_unit,unit,source,version,licence``. Keys are
namespaced so the activity rules can read them: ``electricity:grid:<ISO 3166-1 alpha-2>`` (national average),
``electricity:direct:<id>`` (on-site generation or a direct line), ``electricity:contract:<id>`` (PPA through
the grid, supplier-specific product, guarantee of origin), ``gwp100:AR6:<gas>`` (kg CO2e per kg of gas),
``fuel:<name>`` (per kWh, net calorific value) and ``fuel:<name>:kg``, ``transport:<mode>[:<kind>]`` (per
``t*km``), anything else for materials and end of life. Shipped: Ember grid intensities, IPCC AR6 GWP100,
IPCC 2006 fuel combustion defaults, DESNZ 2025 freight factors (tank-to-wheel; ``<key>:wtt`` well-to-tank
companions) (sources and licences in ``data/NOTICE.md``).
File reading happens only in ``load_factors`` and ``shipped_factors``; the rest is pure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from battrace.apps.pcf.model import FactorSource
from battrace.errors import InvalidInput, NotFound

COLUMNS = ("key", "kg_co2e_per_unit", "unit", "source", "version", "licence")
SHIPPED = (
    "ember_grid_intensity.csv",
    "ipcc_ar6_gwp100.csv",
    "fuel_factors.csv",
    "transport_factors.csv",
)
EXAMPLE = "example_factors.csv"


@dataclass(frozen=True)
class EmissionFactor:
    key: str
    value: Decimal  # kg CO2e per one ``unit``; may be negative (a credit)
    unit: str
    source: str
    version: str
    licence: str
    # built once (not a cached property: those lock on every read before Python 3.12, and own_emissions
    # reads it for every part of a large BOM)
    origin: FactorSource = field(init=False, repr=False, compare=False)
    origin_key: tuple[str, str] = field(init=False, repr=False, compare=False)  # (source, version)

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", FactorSource(name=self.source, version=self.version))
        object.__setattr__(self, "origin_key", (self.source, self.version))


class FactorSet(Mapping[str, EmissionFactor]):
    """Factors by key. Later sets override earlier ones in ``merged`` (a user's own set over the shipped)."""

    # remembered work of ``activity.own_emissions`` (per line kind, per activity tuple), bounded so that a
    # long-lived set used with ever new activities does not grow without end
    PREPARED_LIMIT = 65_536

    def __init__(self, factors: Iterable[EmissionFactor] = ()) -> None:
        self._prepared: dict[object, dict[Hashable, Any]] = {}
        self._factors: dict[str, EmissionFactor] = {}
        for factor in factors:
            if factor.key in self._factors:
                raise InvalidInput(f"emission factor {factor.key!r} is defined twice in one set")
            self._factors[factor.key] = factor

    def __getitem__(self, key: str) -> EmissionFactor:
        try:
            return self._factors[key]
        except KeyError:
            raise NotFound(f"no emission factor {key!r} in the loaded factor sets") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._factors)

    def __len__(self) -> int:
        return len(self._factors)

    def prepared(self, rule: object) -> Mapping[Hashable, Any]:
        """Work already done with this (immutable) set under ``rule``: ``own_emissions`` keeps its tables
        here, per electricity rule (what a kind of line contributes, whole results by the ids of their
        activity objects: those entries hold their objects, so the caller checks identity before use)."""
        return self._prepared.get(rule, {})

    def remember(self, rule: object, key: Hashable, line: Any) -> None:
        table = self._prepared.setdefault(rule, {})
        if len(table) >= self.PREPARED_LIMIT:
            table.clear()
        table[key] = line

    def merged(self, override: FactorSet) -> FactorSet:
        combined = {**self._factors, **{key: override[key] for key in override}}
        return FactorSet(combined.values())


def parse_factors(text: str, *, name: str = "factor CSV") -> FactorSet:
    """A factor set from CSV text; every problem names the file and line."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise InvalidInput(f"{name}: header must be {','.join(COLUMNS)}, got {reader.fieldnames}")
    return FactorSet(_row(name, reader.line_num, row) for row in reader)


def _row(name: str, line: int, row: dict[str, str | None]) -> EmissionFactor:
    cells = {column: (row.get(column) or "").strip() for column in COLUMNS}
    if None in row or any(not cells[column] for column in COLUMNS):
        raise InvalidInput(f"{name} line {line}: every column of {','.join(COLUMNS)} needs a value")
    try:
        value = Decimal(cells["kg_co2e_per_unit"])
    except InvalidOperation:
        raise InvalidInput(f"{name} line {line}: {cells['kg_co2e_per_unit']!r} is not a number") from None
    if not value.is_finite():
        raise InvalidInput(f"{name} line {line}: the factor must be a finite number")
    return EmissionFactor(
        key=cells["key"],
        value=value,
        unit=cells["unit"],
        source=cells["source"],
        version=cells["version"],
        licence=cells["licence"],
    )


def load_factors(path: Path | str) -> FactorSet:
    """A user's own factor set from a CSV file (UTF-8)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read factor file {file}: {error}") from error
    return parse_factors(text, name=str(file))


def _packaged(name: str) -> FactorSet:
    text = resources.files("battrace.apps.pcf").joinpath("data", name).read_text(encoding="utf-8")
    return parse_factors(text, name=name)


def shipped_factors() -> FactorSet:
    """The openly licensed sets shipped with battrace (``SHIPPED``): Ember grid intensities, IPCC AR6 GWP100,
    fuel combustion and freight transport factors."""
    combined = FactorSet()
    for name in SHIPPED:
        combined = combined.merged(_packaged(name))
    return combined


def example_factors() -> FactorSet:
    """The shipped sets plus the round, illustrative factors of the four-tier example (not for reporting)."""
    return shipped_factors().merged(_packaged(EXAMPLE))
