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
from functools import lru_cache
from operator import is_
from typing import NamedTuple

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
_WHOLE = "whole activity tuple"  # with the electricity rule: the key of remembered whole results
_STAGE_POSITION = {stage: position for position, stage in enumerate(STAGES)}
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
        itself, and a frozen dataclass's ``__init__`` costs more than the arithmetic of a BOM part."""
        total = _ZERO
        for value in by_stage:
            total = CONTEXT.add(total, value)
        made = object.__new__(cls)
        set_field = object.__setattr__
        set_field(made, "stages", dict(zip(STAGES, by_stage)))  # noqa: B905 - one entry per stage in both
        set_field(made, "primary", primary)
        set_field(made, "sha256", sha256)
        set_field(made, "factor_sources", sources)
        set_field(made, "total", total)
        set_field(made, "by_stage", tuple(by_stage))
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
    # The result is immutable; sharing one object between parts changes no figure. Only objects seen before
    # are remembered as a whole: a BOM of distinct objects (parsed data) would only fill the table.
    rule = (_WHOLE, electricity)
    key = tuple(map(id, activities))
    known = factors.prepared(rule).get(key)
    if known is not None and all(map(is_, known[0], activities)):
        return known[1]  # type: ignore[no-any-return]
    result, repeated = _own_emissions(activities, factors, electricity)
    if repeated:
        factors.remember(rule, key, (tuple(activities), result))
    return result


def _own_emissions(
    activities: Sequence[Activity], factors: FactorSet, electricity: ElectricityModel
) -> tuple[OwnEmissions, bool]:
    """The own emissions, and whether every activity object had been worked out before."""
    # Arithmetic goes through CONTEXT's methods rather than a ``localcontext`` block: the same operations and
    # digits, without entering and leaving a context for each of the 100 000 parts of a large BOM.
    by_stage = [_ZERO] * len(STAGES)
    primary = _ZERO
    lines: list[str] = []
    used: dict[tuple[str, str], EmissionFactor] = {}
    prepared = factors.prepared(electricity)
    repeated = True
    for activity in activities:
        line = prepared.get(id(activity))
        if line is None or line.activity is not activity:
            repeated = False
            line = _prepare(activity, factors, electricity)
            factors.remember(electricity, id(activity), line)
        by_stage[line.position] = CONTEXT.add(by_stage[line.position], line.emission)
        if activity.primary:
            primary = CONTEXT.add(primary, line.emission)
        used[line.origin_key] = line.factor
        lines.append(line.json)
    made = OwnEmissions._of_stages(
        by_stage,
        primary,
        # = sha256(canonical_bytes([line, ...])): a JSON array is its members' canonical texts joined by ","
        sha256_hex(("[" + ",".join(lines) + "]").encode("utf-8")),
        # deduped on plain strings: hashing the pydantic FactorSource models costs more than the roll-up
        tuple([used[key].origin for key in sorted(used)]),
    )
    return made, repeated


class PreparedLine(NamedTuple):
    """What one activity line contributes, worked out once per activity object and factor set: the stage
    position, amount x factor, and its canonical JSON for the digest (``_line``). A named tuple because it
    is built for every new activity object: a frozen dataclass costs several times more to construct."""

    activity: Activity  # held so the id it is remembered under cannot be reused by another object
    factor: EmissionFactor
    position: int
    emission: Decimal
    json: str
    origin_key: tuple[str, str]


def _prepare(activity: Activity, factors: FactorSet, electricity: ElectricityModel) -> PreparedLine:
    factor = _factor_for(activity, factors, electricity)
    stage, amount = activity.stage, activity.amount
    return PreparedLine(
        activity,
        factor,
        _STAGE_POSITION[stage],
        CONTEXT.multiply(amount, factor.value),
        _line_json(stage, amount, activity.unit, activity.primary, factor),
        factor.origin_key,
    )


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


@lru_cache(maxsize=4096)
def _line_json(stage: Stage, amount: Decimal, unit: str, primary: bool, factor: EmissionFactor) -> str:
    """The canonical JSON of one activity line; cached because a large BOM repeats the same lines on many
    parts (every argument is immutable and hashable; amounts equal as numbers have the same text)."""
    return canonical_bytes(_line(stage, amount, unit, primary, factor)).decode("utf-8")


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
