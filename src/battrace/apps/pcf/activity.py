"""Own emissions: activity data times emission factors, per Annex II life-cycle stage (issue 6 item 1).

Pure module: no I/O. The electricity rule is a switch because the delegated act was still a draft (notes
§5.3): the April 2024 draft recognises only a direct connection or the national average grid mix; the JRC
rules follow the PEF hierarchy (contracts allowed under quality criteria); GHG Protocol Scope 2 market-based
allows contracts too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum
from functools import cached_property

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


@dataclass(frozen=True)
class OwnEmissions:
    """kg CO2e per declared unit from the node's own activities, by stage."""

    stages: dict[Stage, Decimal]
    primary: Decimal  # the part computed from primary activity data
    sha256: str  # of the activity lines with the factors applied: an input of the result's provenance
    factor_sources: tuple[FactorSource, ...]

    @cached_property
    def total(self) -> Decimal:
        return sum(self.stages.values(), Decimal(0))

    @cached_property
    def by_stage(self) -> tuple[Decimal, ...]:
        """The stage values in Annex II order (``STAGES``)."""
        return tuple(self.stages.get(stage, Decimal(0)) for stage in STAGES)


def own_emissions(
    activities: Sequence[Activity],
    factors: FactorSet,
    *,
    electricity: ElectricityModel = ElectricityModel.DRAFT_DELEGATED_ACT,
) -> OwnEmissions:
    with localcontext(CONTEXT):
        return _own_emissions(activities, factors, electricity)


def _own_emissions(
    activities: Sequence[Activity], factors: FactorSet, electricity: ElectricityModel
) -> OwnEmissions:
    stages = dict.fromkeys(STAGES, Decimal(0))
    primary = Decimal(0)
    lines: list[dict[str, str | bool]] = []
    used: dict[str, EmissionFactor] = {}
    for activity in activities:
        factor = _factor_for(activity, factors, electricity)
        emission = activity.amount * factor.value
        stages[activity.stage] += emission
        if activity.primary:
            primary += emission
        used[factor.key] = factor
        lines.append(_line(activity, factor))
    # dedupe on plain strings: hashing the pydantic FactorSource models costs more than the roll-up itself
    sources = {(f.source, f.version): f for f in used.values()}
    return OwnEmissions(
        stages=stages,
        primary=primary,
        sha256=sha256_hex(canonical_bytes(lines)),
        factor_sources=tuple(sources[key].origin for key in sorted(sources)),
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
            f"{activity.factor}: activity given in {activity.unit!r} but the factor is per {factor.unit!r}"
        )
    return factor


def _line(activity: Activity, factor: EmissionFactor) -> dict[str, str | bool]:
    """What the digest covers: the activity and exactly which factor value, source and version it used."""
    return {
        "stage": activity.stage.value,
        "factor": factor.key,
        "amount": decimal_text(activity.amount),
        "unit": activity.unit,
        "primary": activity.primary,
        "kg_co2e_per_unit": decimal_text(factor.value),
        "source": factor.source,
        "version": factor.version,
    }
