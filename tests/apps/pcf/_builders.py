"""Small builders shared by the pcf tests: an own-emissions record and a received supplier disclosure."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from battrace.apps.pcf import (
    DQR,
    STAGES,
    DeclaredUnit,
    Disclosure,
    Footprint,
    Granularity,
    OwnEmissions,
    Stage,
    SupplierInput,
)
from battrace.apps.pcf.rollup import rollup
from battrace.provenance import sha256_hex

PERIOD = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


def own(raw: str = "0", production: str = "0", primary: str = "0", tag: str = "own") -> OwnEmissions:
    stages = dict.fromkeys(STAGES, Decimal(0))
    stages[Stage.RAW_MATERIAL] = Decimal(raw)
    stages[Stage.PRODUCTION] = Decimal(production)
    return OwnEmissions(
        stages=stages, primary=Decimal(primary), sha256=sha256_hex(tag.encode()), factor_sources=()
    )


def dqr(te: str, ge: str, ti: str) -> DQR:
    return DQR(TeR=Decimal(te), GeR=Decimal(ge), TiR=Decimal(ti))


def received(
    total: str,
    amount: str = "1",
    *,
    quality: DQR | None = None,
    pds: str | None = None,
    stages: dict[Stage, Decimal] | None = None,
    stage: Stage | None = None,
    unit: DeclaredUnit = "kilogram",
    name: str = "supplier",
) -> SupplierInput:
    level = (
        Granularity.STAGES if stages else Granularity.DATA_QUALITY if quality or pds else Granularity.TOTAL
    )
    disclosure = Disclosure(
        granularity=level,
        product_id=f"urn:test:{name}",
        declared_unit="kilogram",
        total=Decimal(total),
        reference_period_start=PERIOD[0],
        reference_period_end=PERIOD[1],
        dqr=quality,
        primary_data_share=None if pds is None else Decimal(pds),
        stages=stages,
    )
    return SupplierInput(
        amount=Decimal(amount),
        unit=unit,
        disclosure=disclosure,
        sha256=sha256_hex(name.encode()),
        stage=stage,
    )


def footprint(own_emissions: OwnEmissions, *inputs: SupplierInput, own_dqr: DQR | None = None) -> Footprint:
    return rollup(
        product_id="urn:test:product",
        declared_unit="piece",
        own=own_emissions,
        inputs=inputs,
        own_dqr=own_dqr,
        reference_period=PERIOD,
    )
