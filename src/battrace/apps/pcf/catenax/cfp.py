"""The Ouranos CFP shape (data-transaction-system openapi.yaml `traceability.CfpModel`, MIT) ↔ `Disclosure`.

A buyer on Ouranos reads a supplier's answer as two rows, `preProductionResponse` (raw material and
pre-processing) and `mainProductionResponse` (main production), in kg CO2e per **one** unit of
`ghgDeclaredUnit` (`kgCO2e/unit` = per piece), each with its DQR {TeR, GeR, TiR} (PEF scale 1-5, as PACT v3).
Rounding, stated: `ghgEmission` has 5 decimals, the 6th rounded **up** (OpenAPI `CfpModel`); the two stage
DQRs combine weighted by the stage emissions, to 5 decimals (sample app lib/utils.ts, notes §4.3).
Pure module: no I/O.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import ROUND_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from battrace.apps.pcf.catenax.ids import trace_id_of, trace_id_urn
from battrace.apps.pcf.model import CONTEXT, DQR, STAGES, DeclaredUnit, Disclosure, Granularity, Stage, ratio
from battrace.apps.pcf.pact.model import describe
from battrace.errors import InvalidInput

OuranosUnit = Literal[
    "kgCO2e/liter",
    "kgCO2e/kilogram",
    "kgCO2e/cubic-meter",
    "kgCO2e/kilowatt-hour",
    "kgCO2e/megajoule",
    "kgCO2e/ton-kilometer",
    "kgCO2e/square-meter",
    "kgCO2e/unit",
]
_OURANOS_UNITS: dict[str, OuranosUnit] = {
    "liter": "kgCO2e/liter",
    "kilogram": "kgCO2e/kilogram",
    "cubic meter": "kgCO2e/cubic-meter",
    "kilowatt hour": "kgCO2e/kilowatt-hour",
    "megajoule": "kgCO2e/megajoule",
    "ton kilometer": "kgCO2e/ton-kilometer",
    "square meter": "kgCO2e/square-meter",
    "piece": "kgCO2e/unit",
}
_UNITS_BACK: dict[str, DeclaredUnit] = {v: k for k, v in _OURANOS_UNITS.items()}  # type: ignore[misc]
GHG_PLACES = Decimal("0.00001")
GHG_MAX = Decimal("99999.99999")


class DqrValue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    TeR: float | None
    GeR: float | None
    TiR: float | None


class CfpModel(BaseModel):
    """One Ouranos CFP row, exact names of `traceability.CfpModel`. Numbers are doubles in that API."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")

    cfpId: uuid.UUID | None
    traceId: uuid.UUID
    ghgEmission: float | None
    ghgDeclaredUnit: OuranosUnit
    cfpType: Literal[
        "preProduction",
        "mainProduction",
        "preComponent",
        "mainComponent",
        "preProductionTotal",
        "mainProductionTotal",
        "preComponentTotal",
        "mainComponentTotal",
        "preProductionResponse",
        "mainProductionResponse",
    ]
    dqrType: Literal[
        "preProcessing",
        "mainProcessing",
        "preProcessingTotal",
        "mainProcessingTotal",
        "preProcessingResponse",
        "mainProcessingResponse",
    ]
    dqrValue: DqrValue


def to_ouranos(disclosure: Disclosure, trace_id: uuid.UUID | None = None) -> tuple[CfpModel, CfpModel]:
    """The two rows a buyer reads (`preProductionResponse`, `mainProductionResponse`) for this disclosure.

    Ouranos has two stages only: the disclosure must carry its stage split with nothing in distribution or
    end of life (else the numbers would not add up on the other side). The one DQR is written for both."""
    trace = trace_id or _trace_of(disclosure.product_id)
    unit = _OURANOS_UNITS.get(disclosure.declared_unit)
    if unit is None:
        raise InvalidInput(f"Ouranos has no declared unit for {disclosure.declared_unit!r}")
    if disclosure.stages is None:
        raise InvalidInput("an Ouranos CFP is split into pre- and main production: disclose the stages")
    rest = {s: v for s, v in disclosure.stages.items() if s in (Stage.DISTRIBUTION, Stage.END_OF_LIFE) and v}
    if rest:
        raise InvalidInput(f"Ouranos CFP has no place for {sorted(s.value for s in rest)}")
    dqr = disclosure.dqr
    value = (
        DqrValue(TeR=None, GeR=None, TiR=None)
        if dqr is None
        else DqrValue(TeR=float(dqr.TeR), GeR=float(dqr.GeR), TiR=float(dqr.TiR))
    )
    rows = (("pre", Stage.RAW_MATERIAL, "preProcessing"), ("main", Stage.PRODUCTION, "mainProcessing"))
    return tuple(  # type: ignore[return-value]  # exactly the two rows above
        CfpModel(
            cfpId=None,
            traceId=trace,
            ghgEmission=float(_ghg(disclosure.stages[stage])),
            ghgDeclaredUnit=unit,
            cfpType=f"{prefix}ProductionResponse",  # type: ignore[arg-type]
            dqrType=f"{dqr_type}Response",  # type: ignore[arg-type]
            dqrValue=value,
        )
        for prefix, stage, dqr_type in rows
    )


def _trace_of(product_id: str) -> uuid.UUID:
    found = trace_id_of(product_id)
    if found is None:
        raise InvalidInput(f"{product_id!r} is no trace-id URN: pass the Ouranos traceId")
    return found[1]


def _ghg(value: Decimal) -> Decimal:
    """`ghgEmission`: 0 to 99999.99999, five decimals, the sixth rounded up (OpenAPI `CfpModel`)."""
    rounded = value.quantize(GHG_PLACES, rounding=ROUND_UP)
    if not 0 <= rounded <= GHG_MAX:
        raise InvalidInput(f"Ouranos ghgEmission must be within 0..{GHG_MAX}, got {rounded}")
    return rounded


def from_ouranos(
    rows: tuple[CfpModel, ...], *, platform: str, reference_period: tuple[datetime, datetime]
) -> Disclosure:
    """The buyer's view of a supplier's CFP (the two `*Response` rows) as a disclosure per one unit.

    Ouranos carries no reference period: the caller supplies the one agreed in the trade."""
    by_type = {row.cfpType: row for row in rows}
    pre, main = by_type.get("preProductionResponse"), by_type.get("mainProductionResponse")
    if pre is None or main is None or len(rows) != 2:
        raise InvalidInput("expected exactly the rows preProductionResponse and mainProductionResponse")
    if pre.traceId != main.traceId or pre.ghgDeclaredUnit != main.ghgDeclaredUnit:
        raise InvalidInput("the two CFP rows must share traceId and ghgDeclaredUnit")
    raw, production = _ghg_in(pre), _ghg_in(main)
    stages = dict.fromkeys(STAGES, Decimal(0)) | {Stage.RAW_MATERIAL: raw, Stage.PRODUCTION: production}
    dqr = _weighted_dqr(((pre.dqrValue, raw), (main.dqrValue, production)))
    return _disclosure(
        granularity=Granularity.STAGES,
        product_id=trace_id_urn(platform, pre.traceId),
        declared_unit=_UNITS_BACK[pre.ghgDeclaredUnit],
        total=raw + production,
        reference_period_start=reference_period[0],
        reference_period_end=reference_period[1],
        stages=stages,
        dqr=dqr,
    )


def _ghg_in(row: CfpModel) -> Decimal:
    if row.ghgEmission is None:
        raise InvalidInput(f"{row.cfpType}: ghgEmission is null")
    return Decimal(str(row.ghgEmission))


def _weighted_dqr(parts: tuple[tuple[DqrValue, Decimal], ...]) -> DQR | None:
    """Ouranos combines stage DQRs weighted by the stage emissions (sample app lib/utils.ts, notes §4.3)."""
    if any(None in (v.TeR, v.GeR, v.TiR) for v, _ in parts):
        return None
    weight = sum((e for _, e in parts), Decimal(0))
    if weight == 0:
        return None
    names = ("TeR", "GeR", "TiR")
    sums = [
        sum((CONTEXT.multiply(Decimal(str(getattr(v, n))), e) for v, e in parts), Decimal(0)) for n in names
    ]
    return _dqr(*(ratio(s, weight) for s in sums))


def _dqr(te: Decimal, ge: Decimal, ti: Decimal) -> DQR:
    try:
        return DQR(TeR=te, GeR=ge, TiR=ti)
    except ValidationError as error:
        raise InvalidInput(f"Ouranos DQRs must be 1-5 to be used: {describe(error)}") from None


def _disclosure(**values: Any) -> Disclosure:
    try:
        return Disclosure(**values)
    except ValidationError as error:
        raise InvalidInput(f"not a carbon-footprint disclosure: {describe(error)}") from None
