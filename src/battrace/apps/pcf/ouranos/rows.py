"""CfpModel rows of a part, in and out: the four registered types (#15) and the totals and supplier answers
computed from them (#14). Pure module: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from battrace.apps.pcf.ouranos.cfp import StageResult, check_places, round_up
from battrace.apps.pcf.ouranos.model import CfpModel, DqrValue
from battrace.apps.pcf.ouranos.store import Cfp, Stage
from battrace.errors import InvalidInput

OWN_TYPES = ("preProduction", "mainProduction", "preComponent", "mainComponent")


def registered(models: Sequence[CfpModel]) -> Cfp:
    """#15: exactly the four own types, one cfpId/traceId/unit, one DQR per stage, 5 decimals."""
    if len(models) != 4 or sorted(m.cfpType for m in models) != sorted(OWN_TYPES):
        raise InvalidInput("Validation failed, cfp models must be 4 elements: " + ", ".join(OWN_TYPES))
    if len({(m.cfpId, m.traceId, m.ghgDeclaredUnit) for m in models}) != 1:
        raise InvalidInput(
            "Validation failed, ensure all objects have the same cfpId, traceId and ghgDeclaredUnit"
        )
    by_type = {m.cfpType: m for m in models}
    stages = {}
    for prefix in ("pre", "main"):
        production, component = by_type[f"{prefix}Production"], by_type[f"{prefix}Component"]  # type: ignore[index]
        dqr_type = f"{prefix}Processing"
        if production.dqrType != dqr_type or component.dqrType != dqr_type:
            raise InvalidInput("Validation failed, ensure the combination of cfpType and dqrType is correct.")
        if production.dqrValue != component.dqrValue:
            raise InvalidInput("Validation failed, different dqrValues are set for the same dqrType.")
        stages[prefix] = Stage(
            production=_decimal(production.ghgEmission, "ghgEmission"),
            component=_decimal(component.ghgEmission, "ghgEmission"),
            dqr=tuple(_optional(v, n) for v, n in _dqr_items(production.dqrValue)),  # type: ignore[arg-type]
        )
    first = models[0]
    return Cfp(
        cfp_id=first.cfpId or "",
        trace_id=first.traceId,
        unit=first.ghgDeclaredUnit,
        pre=stages["pre"],
        main=stages["main"],
    )


def _dqr_items(value: DqrValue) -> list[tuple[float | None, str]]:
    return [(value.TeR, "TeR"), (value.GeR, "GeR"), (value.TiR, "TiR")]


def _decimal(value: float | None, name: str) -> Decimal:
    """#15: "ghgEmissionに値を登録しない要素はにはghgEmissionに0を指定" — null is read as 0."""
    return _optional(value, name) or Decimal(0)


def _optional(value: float | None, name: str) -> Decimal | None:
    if value is None:
        return None
    number = Decimal(str(value))
    check_places(number, name)
    return number


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def own_rows(cfp: Cfp) -> list[CfpModel]:
    rows = []
    for prefix, stage in (("pre", cfp.pre), ("main", cfp.main)):
        dqr = DqrValue(TeR=_float(stage.dqr[0]), GeR=_float(stage.dqr[1]), TiR=_float(stage.dqr[2]))
        for kind, value in (("Production", stage.production), ("Component", stage.component)):
            rows.append(
                CfpModel(
                    cfpId=cfp.cfp_id,
                    traceId=cfp.trace_id,
                    ghgEmission=float(value),
                    ghgDeclaredUnit=cfp.unit,
                    cfpType=f"{prefix}{kind}",  # type: ignore[arg-type]
                    dqrType=f"{prefix}Processing",  # type: ignore[arg-type]
                    dqrValue=dqr,
                )
            )
    return rows


def total_rows(cfp: Cfp, pre: StageResult, main: StageResult) -> list[CfpModel]:
    rows = []
    for prefix, result in (("pre", pre), ("main", main)):
        for kind, value in (("Production", result.production_total), ("Component", result.component_total)):
            rows.append(row(cfp.cfp_id, cfp.trace_id, cfp, f"{prefix}{kind}Total", value, result, True))
    return rows


def row(
    cfp_id: str | None,
    trace_id: str,
    cfp: Cfp,
    cfp_type: str,
    value: Decimal | None,
    result: StageResult,
    dqr: bool,
) -> CfpModel:
    stage = "pre" if cfp_type.startswith("pre") else "main"
    suffix = "Response" if cfp_type.endswith("Response") else "Total"
    rating = result.footprint.dqr if dqr else None
    return CfpModel(
        cfpId=cfp_id,
        traceId=trace_id,
        ghgEmission=None if value is None else float(round_up(value)),
        ghgDeclaredUnit=cfp.unit,
        cfpType=cfp_type,  # type: ignore[arg-type]
        dqrType=f"{stage}Processing{suffix}",  # type: ignore[arg-type]
        dqrValue=DqrValue(
            TeR=_float(rating.TeR) if rating else None,
            GeR=_float(rating.GeR) if rating else None,
            TiR=_float(rating.TiR) if rating else None,
        ),
    )
