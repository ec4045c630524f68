"""Ouranos CFP of a part per process stage, computed by the shared roll-up engine (notes §4.3).

Ouranos keeps a DQR per stage (``preProcessing`` for pre-processing, ``mainProcessing`` for main
production); the engine weights one DQR per footprint. So each stage is rolled up on its own: the stage's
own contribution (``*Production`` + ``*Component`` as registered, rated with the stage DQR) plus Σ amount ×
the child's stage total — ``rollup`` then yields exactly §4.3's ``*Total`` and emission-weighted DQR.
A child's value reaches the parent only as a ``Disclosure`` cut by ``disclose``: what a supplier did not
grant (TOTALCFP, TOTALDQR) is simply absent. Pure module: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal

from battrace.apps.pcf.activity import OwnEmissions
from battrace.apps.pcf.disclosure import digest, disclose
from battrace.apps.pcf.model import DQR, DeclaredUnit, Disclosure, Footprint, Granularity
from battrace.apps.pcf.model import Stage as AnnexStage
from battrace.apps.pcf.ouranos.model import AmountRequiredUnit, GhgDeclaredUnit
from battrace.apps.pcf.ouranos.store import Stage
from battrace.apps.pcf.rollup import SupplierInput, rollup
from battrace.errors import InvalidInput
from battrace.provenance import sha256_hex

# Ouranos records carry no reference period; the engine requires one, so a nominal one is used (it is
# neither stored nor shown).
NOMINAL_PERIOD = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
PLACES = Decimal("0.00001")

# notes §4.4: Ouranos unit → PACT declaredUnitOfMeasurement (the engine's unit names)
PACT_UNIT: dict[AmountRequiredUnit, DeclaredUnit] = {
    "liter": "liter",
    "kilogram": "kilogram",
    "cubic-meter": "cubic meter",
    "kilowatt-hour": "kilowatt hour",
    "megajoule": "megajoule",
    "ton-kilometer": "ton kilometer",
    "square-meter": "square meter",
    "unit": "piece",
}


def pact_unit(unit: GhgDeclaredUnit) -> DeclaredUnit:
    return PACT_UNIT[unit.removeprefix("kgCO2e/")]  # type: ignore[index]


@dataclass(frozen=True)
class ChildStage:
    """A child part's contribution to one stage: ``amount`` per parent unit of what was disclosed."""

    amount: Decimal
    unit: AmountRequiredUnit
    disclosure: Disclosure


@dataclass(frozen=True)
class StageResult:
    footprint: Footprint  # total = *ProductionTotal + *ComponentTotal; dqr = *ProcessingTotal

    @property
    def production_total(self) -> Decimal:
        return self.footprint.own

    @property
    def component_total(self) -> Decimal:
        return self.footprint.total - self.production_total


def stage_rollup(
    trace_id: str, unit: GhgDeclaredUnit, own: Stage, children: Sequence[ChildStage]
) -> StageResult:
    """One stage of §4.3: own (production + registered component) + Σ a_i · child_i, DQR weighted."""
    own_total = own.production + own.component
    record = f"{trace_id}|{own.production}|{own.component}|{own.dqr}".encode()
    emissions = OwnEmissions(
        stages={stage: Decimal(0) for stage in AnnexStage} | {AnnexStage.RAW_MATERIAL: own_total},
        primary=Decimal(0),
        sha256=sha256_hex(record),
        factor_sources=(),
    )
    inputs = [
        SupplierInput(
            amount=child.amount,
            unit=PACT_UNIT[child.unit],
            disclosure=child.disclosure,
            sha256=digest(child.disclosure),
            stage=AnnexStage.RAW_MATERIAL,
        )
        for child in children
    ]
    footprint = rollup(
        product_id=f"urn:ouranos:trace-id:{trace_id}",
        declared_unit=pact_unit(unit),
        own=emissions,
        inputs=inputs,
        own_dqr=engine_dqr(own.dqr),
        reference_period=NOMINAL_PERIOD,
    )
    # the engine's "own" is the whole own contribution; Ouranos splits it into production and component
    return StageResult(footprint.model_copy(update={"own": own.production}))


def engine_dqr(values: tuple[Decimal | None, Decimal | None, Decimal | None]) -> DQR | None:
    """The registered rating if it is on the PEF 1-5 scale; anything else (0 = not rated, null) counts as
    unknown and is left out of the weighting, as the engine does for undisclosed ratings."""
    te, ge, ti = values
    if te is None or ge is None or ti is None or not all(1 <= v <= 5 for v in (te, ge, ti)):
        return None
    return DQR(TeR=te, GeR=ge, TiR=ti)


def stage_disclosure(result: StageResult, *, total: bool, dqr: bool) -> Disclosure | None:
    """What one recipient may see of a stage: TOTALCFP → the total, TOTALDQR → also its DQR."""
    if not total:
        return None
    granularity = Granularity.DATA_QUALITY if dqr else Granularity.TOTAL
    return disclose(result.footprint, granularity)


def round_up(value: Decimal) -> Decimal:
    """OpenAPI #15: 5 decimals, the 6th rounded up ("第6位を切り上げ")."""
    return value.quantize(PLACES, rounding=ROUND_CEILING)


def check_places(value: Decimal, name: str) -> None:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -5:
        raise InvalidInput(f"Validation failed, {name}: must be a value up to the 5th decimal place.")
