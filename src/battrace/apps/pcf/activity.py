"""Own emissions: activity data times emission factors, per Annex II life-cycle stage (issue 6 item 1).

Pure module: no I/O. The electricity rule is a switch because the delegated act was still a draft (notes
§5.3): the April 2024 draft recognises only a direct connection or the national average grid mix; the JRC
rules follow the PEF hierarchy (contracts allowed under quality criteria); GHG Protocol Scope 2 market-based
allows contracts too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from operator import is_
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from battrace.apps.pcf.factors import EmissionFactor, FactorSet
from battrace.apps.pcf.model import (
    CONTEXT,
    STAGES,
    FactorSource,
    Number,
    Stage,
    canonical_bytes,
    decimal_text,
)
from battrace.errors import InvalidInput
from battrace.provenance import sha256_hex

_ZERO = Decimal(0)
_TABLES = "own_emissions tables"  # FactorSet.prepared: the _Tables of each electricity rule
_SEEN_LIMIT = 256
_AMOUNT_HEAD = '{"amount":"'
_STAGE_POSITION = {stage: position for position, stage in enumerate(STAGES)}
_RAW, _PRODUCTION, _DISTRIBUTION, _END_OF_LIFE = STAGES  # Annex II order; OwnEmissions._of_stages names them
# what the shipped factor units mean, for the unit-mismatch message
_UNIT_HINTS = {
    "kWh": " (fuels: energy at net calorific value; or use the fuel's ':kg' factor)",
    "kg": " (fuels by mass: the ':kg' factors)",
    "t*km": " (tonnes carried times kilometres travelled)",
}


class ElectricityModel(StrEnum):
    DRAFT_DELEGATED_ACT = "direct+national_average"  # Ares(2024)3131389 §2.4.1
    PEF_HIERARCHY = "PEF_hierarchy"  # JRC CFB-EV 2023
    MARKET_BASED = "market_based"  # GHG Protocol Scope 2


class Activity(BaseModel):
    """One line of activity data: ``amount`` ``unit`` of something, booked under ``stage``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Stage
    factor: str = Field(min_length=1)  # the emission factor key
    amount: Number = Field(ge=0)
    unit: str = Field(min_length=1)  # must be the factor's unit: no silent conversion
    primary: bool = True  # company-specific (measured) data, counted in the primary-data share
    label: str = ""


@dataclass(frozen=True, slots=True)  # slots: 100 000 of them in a large BOM, no __dict__ each
class OwnEmissions:
    """kg CO2e per declared unit from the node's own activities, by stage."""

    stages: dict[Stage, Decimal]
    primary: Decimal  # the part computed from primary activity data
    sha256: str  # of the activity lines with the factors applied: an input of the result's provenance
    factor_sources: tuple[FactorSource, ...]
    # Derived once here rather than as cached properties: a 100 000-part roll-up reads them for every part,
    # and functools.cached_property takes a lock on every read before Python 3.12.
    total: Decimal = field(init=False, repr=False, compare=False)
    by_stage: tuple[Decimal, ...] = field(init=False, repr=False, compare=False)  # Annex II order (STAGES)

    def __post_init__(self) -> None:
        total = _ZERO
        for value in self.stages.values():
            total = CONTEXT.add(total, value)  # explicit context: the same digits whatever the caller set
        object.__setattr__(self, "total", total)
        object.__setattr__(self, "by_stage", tuple(self.stages.get(stage, _ZERO) for stage in STAGES))

    @classmethod
    def _of_stages(
        cls, by_stage: list[Decimal], primary: Decimal, sha256: str, sources: tuple[FactorSource, ...]
    ) -> OwnEmissions:
        """What ``__init__`` builds, without its per-field checks: ``own_emissions`` made every value
        itself, and a frozen dataclass's ``__init__`` costs more than the arithmetic of a BOM part.
        Written out for the four stages: this runs once per part, a loop costs a third of it."""
        raw, production, distribution, end_of_life = by_stage
        add = CONTEXT.add
        made = object.__new__(cls)
        set_field = object.__setattr__
        set_field(
            made,
            "stages",
            {_RAW: raw, _PRODUCTION: production, _DISTRIBUTION: distribution, _END_OF_LIFE: end_of_life},
        )
        set_field(made, "primary", primary)
        set_field(made, "sha256", sha256)
        set_field(made, "factor_sources", sources)
        # summed in STAGES order from 0, as __post_init__ does: the same digits
        set_field(made, "total", add(add(add(add(_ZERO, raw), production), distribution), end_of_life))
        set_field(made, "by_stage", (raw, production, distribution, end_of_life))
        return made


def own_emissions(
    activities: Sequence[Activity],
    factors: FactorSet,
    *,
    electricity: ElectricityModel = ElectricityModel.DRAFT_DELEGATED_ACT,
) -> OwnEmissions:
    # The same (frozen) activity objects always give the same result with one factor set and rule: a BOM
    # built from a few templates repeats the very same objects on many parts, so the whole result is
    # remembered by their identities (the entry holds the objects, so a reused id cannot match another one).
    # The result is immutable; sharing one object between parts changes no figure. Only objects seen twice
    # are remembered: a BOM of distinct objects (parsed data) would only fill the table.
    tables = _tables(factors, electricity)
    key = tuple(map(id, activities))
    known = tables.whole.get(key)
    if known is not None and all(map(is_, known[0], activities)):
        return known[1]
    result = _own_emissions(activities, factors, electricity, tables)
    seen = tables.seen.get(key)
    if seen is not None and all(map(is_, seen, activities)):
        _keep(tables.whole, key, (seen, result), FactorSet.PREPARED_LIMIT)
    else:
        # small and often cleared: a first sighting lives briefly, so distinct objects cost no lasting memory
        _keep(tables.seen, key, tuple(activities), _SEEN_LIMIT)
    return result


class _Tables(NamedTuple):
    """What ``own_emissions`` remembers for one factor set and electricity rule (held by the set, so it lives
    as long as the set does; fetched once per call)."""

    whole: dict[tuple[int, ...], tuple[tuple[Activity, ...], OwnEmissions]]  # by the ids of the objects
    seen: dict[tuple[int, ...], tuple[Activity, ...]]  # activity objects seen once
    specs: dict[tuple[str, str, Stage, bool], LineSpec]  # by (factor key, unit, stage, primary)
    sources: dict[tuple[tuple[str, str], ...], tuple[FactorSource, ...]]  # by the lines' (source, version)


def _tables(factors: FactorSet, electricity: ElectricityModel) -> _Tables:
    tables: _Tables | None = factors.prepared(_TABLES).get(electricity)
    if tables is None:
        tables = _Tables({}, {}, {}, {})
        factors.remember(_TABLES, electricity, tables)
    return tables


def _keep(table: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    """Bounded: a table that reaches ``limit`` entries starts over (a long-lived factor set meeting ever new
    activities must not grow without end)."""
    if len(table) >= limit:
        table.clear()
    table[key] = value


def _own_emissions(
    activities: Sequence[Activity], factors: FactorSet, electricity: ElectricityModel, tables: _Tables
) -> OwnEmissions:
    # Arithmetic goes through CONTEXT's methods rather than a ``localcontext`` block: the same operations and
    # digits, without entering and leaving a context for each of the 100 000 parts of a large BOM.
    multiply, add = CONTEXT.multiply, CONTEXT.add
    by_stage = [_ZERO] * len(STAGES)
    primary = _ZERO
    lines: list[str] = []
    origins: list[tuple[str, str]] = []
    specs = tables.specs
    for activity in activities:
        # everything but the amount is worked out once per (factor, unit, stage, primary): a large BOM has
        # 100 000s of lines but few such combinations (the amount is not in the key: hashing a new Decimal
        # costs more than the multiplication, and equal amounts may differ in exponent)
        spec = specs.get((activity.factor, activity.unit, activity.stage, activity.primary))
        if spec is None:
            spec = _spec(activity, factors, electricity, tables)
        amount = activity.amount
        emission = multiply(amount, spec.value)
        by_stage[spec.position] = add(by_stage[spec.position], emission)
        if spec.primary:
            primary = add(primary, emission)
        # = canonical_bytes(_line(...)): "amount" is the first key in sorted order, its text needs no escapes
        lines.append(_AMOUNT_HEAD + decimal_text(amount) + spec.tail)
        origins.append(spec.origin_key)
    return OwnEmissions._of_stages(
        by_stage,
        primary,
        # = sha256(canonical_bytes([line, ...])): a JSON array is its members' canonical texts joined by ","
        sha256_hex(("[" + ",".join(lines) + "]").encode("utf-8")),
        _factor_sources(tables, tuple(origins)),
    )


class LineSpec(NamedTuple):
    """What a line contributes apart from its amount, worked out once per factor set, electricity rule and
    (factor key, unit, stage, primary). A named tuple: cheap to build and to read."""

    value: Decimal  # the factor's kg CO2e per unit
    position: int  # of the stage in STAGES
    primary: bool
    tail: str  # the line's canonical JSON after the amount's text
    origin_key: tuple[str, str]  # the factor's (source, version)


def _spec(activity: Activity, factors: FactorSet, electricity: ElectricityModel, tables: _Tables) -> LineSpec:
    """Checks the line (an error is raised each time, never remembered) and remembers what it contributes."""
    factor = _factor_for(activity, factors, electricity)
    stage, unit, primary = activity.stage, activity.unit, activity.primary
    text = canonical_bytes(_line(stage, _ZERO, unit, primary, factor)).decode("utf-8")
    head = _AMOUNT_HEAD + decimal_text(_ZERO)
    if not text.startswith(head):  # the tail trick relies on the key order of canonical JSON
        raise AssertionError(f"canonical line does not start with {head!r}: {text!r}")
    spec = LineSpec(factor.value, _STAGE_POSITION[stage], primary, text[len(head) :], factor.origin_key)
    _keep(tables.specs, (activity.factor, unit, stage, primary), spec, FactorSet.PREPARED_LIMIT)
    return spec


def _factor_sources(tables: _Tables, origins: tuple[tuple[str, str], ...]) -> tuple[FactorSource, ...]:
    """PACT secondaryEmissionFactorSources of the lines, deduplicated in (name, version) order; remembered
    per combination, as the parts of a large BOM use a few: hashing pydantic models costs more than that."""
    known = tables.sources.get(origins)
    if known is None:
        known = tuple(FactorSource(name=name, version=version) for name, version in sorted(set(origins)))
        _keep(tables.sources, origins, known, FactorSet.PREPARED_LIMIT)
    return known


def _factor_for(activity: Activity, factors: FactorSet, electricity: ElectricityModel) -> EmissionFactor:
    # draft DA §2.4.1: PPAs through the grid and guarantees of origin are not recognised
    if electricity is ElectricityModel.DRAFT_DELEGATED_ACT and activity.factor.startswith(
        "electricity:contract:"
    ):
        raise InvalidInput(
            f"{activity.factor}: contractual electricity is not recognised under the draft delegated act "
            "(Ares(2024)3131389 §2.4.1); use electricity:grid:<country> or electricity:direct:<id>, or "
            "choose another electricity model"
        )
    factor = factors[activity.factor]
    if factor.unit != activity.unit:
        raise InvalidInput(
            f"{activity.factor}: activity given in {activity.unit!r} but the factor is per {factor.unit!r}; "
            f"give the amount in {factor.unit!r}{_UNIT_HINTS.get(factor.unit, '')} "
            "(units are never converted)",
            reason="unit_mismatch",
        )
    return factor


def _line(
    stage: Stage, amount: Decimal, unit: str, primary: bool, factor: EmissionFactor
) -> dict[str, str | bool]:
    """What the digest covers: the activity and exactly which factor value, source and version it used."""
    return {
        "stage": stage.value,
        "factor": factor.key,
        "amount": decimal_text(amount),
        "unit": unit,
        "primary": primary,
        "kg_co2e_per_unit": decimal_text(factor.value),
        "source": factor.source,
        "version": factor.version,
    }
