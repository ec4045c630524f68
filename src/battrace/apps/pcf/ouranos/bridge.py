"""The bridge between a node's Ouranos API and its data-space PCF app (issue 6 item 7), both ways.

* JP → EU (``export_cfp``): the CFP a company registered for its part through the Ouranos API, rolled up with
  its suppliers' answers, becomes the node's PCF result for a product key (``PcfService.adopt``), so DSP
  disclosures, PACT and Catena-X serve the same numbers. One footprint per declared unit (``kgCO2e/unit`` →
  ``piece``, ``kgCO2e/cubic-meter`` → ``cubic meter``, …; notes §4.4): total = preTotal + mainTotal, unrounded
  (the API shows them rounded up to 5 decimals); the stage split is raw material (pre) and production (main);
  own = the ``*Production`` totals, purchased = the ``*Component`` totals; the one DQR is the two stage DQRs
  weighted by the stage emissions (notes §4.3), computed by the roll-up engine itself.
* EU → JP (``import_disclosure``): a footprint the node received through the data space answers the open
  CFP request a buyer made for its part: the supplier's operator gets a part (or keeps the one it linked),
  the disclosure becomes that part's CFP (exact decimals: pre = raw material, main = production, the one DQR
  on both stages, as ``catenax.cfp.to_ouranos``), and the buyer is granted TOTALCFP and TOTALDQR. The buyer's
  roll-up then includes it like any Ouranos answer.

``footprint_of`` and ``cfp_of`` are pure; the two calls around them use the services' public methods only
and do their Ouranos writes in one unit of work. Deliberately not here: HTTP, and deciding who may call
(the node's operator does, through management).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from battrace.apps.pcf.activity import OwnEmissions
from battrace.apps.pcf.disclosure import digest, disclose
from battrace.apps.pcf.model import DeclaredUnit, Disclosure, Footprint, Granularity
from battrace.apps.pcf.model import Stage as AnnexStage
from battrace.apps.pcf.node import PcfService
from battrace.apps.pcf.ouranos.cfp import PACT_UNIT, StageResult
from battrace.apps.pcf.ouranos.model import AmountRequiredUnit, GhgDeclaredUnit, PartsModel
from battrace.apps.pcf.ouranos.service import OuranosService
from battrace.apps.pcf.ouranos.store import Cfp, Stage
from battrace.apps.pcf.rollup import SupplierInput, rollup
from battrace.errors import InvalidInput, NotFound
from battrace.provenance import sha256_hex

OURANOS_UNIT: dict[DeclaredUnit, AmountRequiredUnit] = {pact: ours for ours, pact in PACT_UNIT.items()}
GHG_MAX = Decimal("99999.99999")  # CfpModel.ghgEmission maximum (OpenAPI)
NAME_LENGTH = 50  # PartsModel.partsName maxLength


# -- pure ----------------------------------------------------------------------------------------------------


def footprint_of(
    pre: StageResult, main: StageResult, *, product_id: str, reference_period: tuple[datetime, datetime]
) -> Footprint:
    """One footprint from the two Ouranos stage results: the engine rolls up the two stages as two inputs of
    one unit each (so total, stage split, DQR weighting and primary-data share are the engine's), then the
    own/purchased split and the input digests of the stages are put back."""
    unit = pre.footprint.declared_unit
    nothing = OwnEmissions(
        stages=dict.fromkeys(AnnexStage, Decimal(0)),
        primary=Decimal(0),
        sha256=sha256_hex(b""),
        factor_sources=(),
    )
    combined = rollup(
        product_id=product_id,
        declared_unit=unit,
        own=nothing,
        inputs=[_stage_input(pre, AnnexStage.RAW_MATERIAL), _stage_input(main, AnnexStage.PRODUCTION)],
        reference_period=reference_period,
    )
    inputs = tuple(dict.fromkeys((*pre.footprint.inputs, *main.footprint.inputs)))
    return combined.model_copy(
        update={
            "own": pre.production_total + main.production_total,
            "purchased": pre.component_total + main.component_total,
            "inputs": inputs,
        }
    )


def _stage_input(result: StageResult, stage: AnnexStage) -> SupplierInput:
    disclosure = disclose(result.footprint, Granularity.DATA_QUALITY)
    return SupplierInput(
        amount=Decimal(1),
        unit=disclosure.declared_unit,
        disclosure=disclosure,
        sha256=digest(disclosure),
        stage=stage,
    )


def ouranos_unit(unit: DeclaredUnit) -> AmountRequiredUnit:
    found = OURANOS_UNIT.get(unit)
    if found is None:
        raise InvalidInput(f"Ouranos has no declared unit for {unit!r}", reason="unit")
    return found


def cfp_of(disclosure: Disclosure, *, trace_id: str, stage: AnnexStage | None = None) -> Cfp:
    """A received disclosure as the CFP of a part: raw material → pre, production → main. A total without
    its stage split goes to ``stage`` (raw material or production), as a BOM line books it."""
    if disclosure.stages is not None:
        elsewhere = sorted(
            s.value
            for s, v in disclosure.stages.items()
            if s not in (AnnexStage.RAW_MATERIAL, AnnexStage.PRODUCTION) and v
        )
        if elsewhere:
            raise InvalidInput(f"an Ouranos CFP has no place for {elsewhere}", reason="stages")
        pre = disclosure.stages.get(AnnexStage.RAW_MATERIAL, Decimal(0))
        main = disclosure.stages.get(AnnexStage.PRODUCTION, Decimal(0))
    elif stage in (AnnexStage.RAW_MATERIAL, AnnexStage.PRODUCTION):
        pre, main = (
            (disclosure.total, Decimal(0))
            if stage == AnnexStage.RAW_MATERIAL
            else (Decimal(0), disclosure.total)
        )
    else:
        raise InvalidInput(
            "the disclosure has no stage split: say whether its total is raw material or production",
            reason="stage",
        )
    for value in (pre, main):
        if not 0 <= value <= GHG_MAX:
            raise InvalidInput(
                f"an Ouranos CFP value must be within 0..{GHG_MAX}, got {value}", reason="range"
            )
    dqr = disclosure.dqr
    rating = (None, None, None) if dqr is None else (dqr.TeR, dqr.GeR, dqr.TiR)
    unit: GhgDeclaredUnit = f"kgCO2e/{ouranos_unit(disclosure.declared_unit)}"  # type: ignore[assignment]
    return Cfp(
        cfp_id="",
        trace_id=trace_id,
        unit=unit,
        pre=Stage(production=pre, component=Decimal(0), dqr=rating),
        main=Stage(production=main, component=Decimal(0), dqr=rating),
    )


# -- the two calls ----------------------------------------------------------------------------------------


def export_cfp(
    ouranos: OuranosService,
    pcf: PcfService,
    *,
    trace_id: str,
    product_key: str,
    product_id: str,
    reference_period: tuple[datetime, datetime],
) -> Footprint:
    """JP → EU: the part's Ouranos CFP becomes the node's PCF result for ``product_key``."""
    with ouranos.store.unit_of_work():
        part = ouranos.store.parts.get(trace_id)
        if part is None:
            raise NotFound(f"traceId {trace_id} is not registered", reason="trace_id")
        pre, main = ouranos.stage_results(part.operatorId, trace_id)
    footprint = footprint_of(pre, main, product_id=product_id, reference_period=reference_period)
    # adopt opens its own node transaction: after the Ouranos unit, never inside it
    return pcf.adopt(product_key, footprint, origin=f"ouranos:{trace_id}")


@dataclass(frozen=True)
class Imported:
    trade_id: str
    supplier_operator_id: str
    supplier_trace_id: str
    cfp: Cfp


def import_disclosure(
    ouranos: OuranosService,
    disclosure: Disclosure,
    *,
    trace_id: str,
    name: str,
    stage: AnnexStage | None = None,
) -> Imported:
    """EU → JP: ``disclosure`` answers the open request for the buyer's part ``trace_id``. Call it inside the
    store's unit of work (with the log entry that says where the numbers came from)."""
    trade = ouranos.open_request_for(trace_id)
    buyer_part = ouranos.store.parts.get(trace_id)
    wanted = buyer_part.amountRequiredUnit if buyer_part else None
    given = ouranos_unit(disclosure.declared_unit)
    if wanted is not None and wanted != given:
        raise InvalidInput(
            f"the buyer counts its part in {wanted}, the disclosure is per {given}", reason="unit"
        )
    supplier = trade.upstream_operator_id
    supplier_trace = trade.upstream_trace_id or _supplier_part(ouranos, supplier, name[:NAME_LENGTH])
    if trade.upstream_trace_id is None:
        ouranos.put_trade_response(supplier, trade.trade_id, supplier_trace)
    saved = ouranos.register_cfp(supplier, cfp_of(disclosure, trace_id=supplier_trace, stage=stage))
    ouranos.grant(supplier, supplier_trace, trade.downstream_operator_id, ("TOTALCFP", "TOTALDQR"))
    return Imported(trade.trade_id, supplier, supplier_trace, saved)


def _supplier_part(ouranos: OuranosService, supplier: str, name: str) -> str:
    """The supplier operator's part for this product: the one of that name, or a new leaf part (a footprint
    from the data space is complete: nothing upstream of it is asked for through Ouranos)."""
    plants = ouranos.list_plants(supplier)
    if not plants:
        raise NotFound(f"operator {supplier} has no plant: register one for it first", reason="plant")
    plant_id = plants[0].plantId or ""
    for found in ouranos.list_parts(supplier, parts_name=name, plant_id=plant_id):
        if found.supportPartsName is None and found.traceId:
            return found.traceId
    new = PartsModel(
        traceId=None,
        operatorId=supplier,
        plantId=plant_id,
        partsName=name,
        supportPartsName=None,
        terminatedFlag=True,
        amountRequired=None,
        amountRequiredUnit=None,
    )
    return ouranos.put_parts(supplier, new).traceId or ""
