"""The bridge (issue 6 item 7): one footprint, the same numbers as PACT v3, Catena-X 9.0.0 and Ouranos CFP.

What leaves the company is a `Disclosure` (see `disclosure.py`), so every writer takes one, and every reader
gives one back: a Japanese cell maker answering through Ouranos and a European carmaker asking through PACT
or Catena-X compare `Disclosure`s. The mapping (research pcf-ouranos.md §1.4, §3, §4.4):

battrace `Disclosure` → PACT v3 `ProductFootprint` / Catena-X `io.catenax.pcf` 9.0.0 / Ouranos `CfpModel`:

* values: per **1** unit → × `declaredUnitAmount` / × `declaredUnitAmount` / per 1 unit (`kgCO2e/<u>`)
* `total` → `pcfExcludingBiogenicUptake` (= including = fossil) / production + distribution stage /
  `preProductionResponse` + `mainProductionResponse`
* `stages` → extension `STAGE_SPLIT_SCHEMA` (and `outboundLogisticsGhgEmissions`) / `distributionStage`, the
  four stages in `PcfForBatteryComponentSupplier` (battery.py) / pre = raw material, main = production
* `dqr` (Ouranos weighting) → extension / battery aspect representativeness / `dqrValue` {TeR, GeR, TiR}
* `pact_dqi` (PACT 5 % rule) → `dqi` (1-5) / `dataSourcesAndQuality` DQRs (1-5) / —
* `primary_data_share` → `primaryDataShare` / `primaryDataShare` / —
* `product_id` URN → `productIds[0]` / `productIds[0]` / `traceId` as `urn:pact:<platform>:trace-id:<uuid>`
* company → `companyIds` URNs / `companyIds` with the BPNL `urn:bpn:id:BPNL…` / (no operator in a CFP row)

The Ouranos side is `cfp.py`, the identifier mapping `ids.py`.

Rounding, stated: PACT and Catena-X amounts are multiplied by `declaredUnitAmount` (exact) and divided back
in `CONTEXT` (34 digits; exact whenever the quotient terminates within that). Catena-X writes JSON numbers,
exact up to 15 significant digits. Ouranos `ghgEmission` has 5 decimals, the 6th rounded **up** (OpenAPI
`CfpModel`), and combines its two per-stage DQRs weighted by emissions, to 5 decimals (sample app §4.3).
Pure module: no I/O.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import ValidationError

from battrace.apps.pcf.catenax import model as cx
from battrace.apps.pcf.catenax.battery import (
    PcfForBatteryComponentSupplier,
    battery_dqr,
    declared_unit,
    stage_values,
)
from battrace.apps.pcf.catenax.ids import bpnl_of
from battrace.apps.pcf.model import (
    CONTEXT,
    DQR,
    STAGES,
    DeclaredUnit,
    Disclosure,
    FactorSource,
    Granularity,
    Stage,
    decimal_text,
)
from battrace.apps.pcf.pact.model import ProductFootprint, describe, parse_footprint
from battrace.errors import InvalidInput

# The PACT data-model extension that carries what v3 has no field for. battrace owns this schema URL.
STAGE_SPLIT_SCHEMA = "https://w3id.org/battrace/pcf/stage-split/1.0.0/schema.json"
EXTENSION_SPEC_VERSION = "2.0.0"  # PACT Data Model Extensions spec version (openapi_v3_0 x-example)
PACT_SPEC_VERSION = "3.0.0"

# --- what a format needs beyond the numbers ----------------------------------------------------------------


@dataclass(frozen=True)
class Envelope:
    """The header of a PACT/Catena-X footprint: who, which product, which declared unit, which method."""

    pf_id: uuid.UUID
    created: datetime
    company_name: str
    company_ids: tuple[str, ...]  # URNs; Catena-X requires the BPNL one (`bpnl_urn`)
    product_name: str
    mass_per_declared_unit: Decimal  # kg per declared unit (= amount × unit), PACT/Catena-X meaning
    validity_end: datetime  # required by Catena-X
    declared_unit_amount: Decimal = Decimal(1)
    product_ids: tuple[str, ...] = ()  # further product URNs, after the disclosure's own `product_id`
    product_description: str = ""
    validity_start: datetime | None = None
    status: Literal["Active", "Deprecated"] = "Active"
    preceding: tuple[uuid.UUID, ...] = ()
    ipcc: Literal["AR4", "AR5", "AR6"] = "AR6"
    standards: tuple[str, ...] = ("ISO14067",)  # PACT spelling; Catena-X spelling via `_STANDARDS`
    region: cx.GeographyRegionOrSubregion = "Global"
    country: str | None = None
    exempted_percent: Decimal = Decimal(0)
    partial_full: Literal["Cradle-to-gate", "Cradle-to-grave"] = "Cradle-to-gate"


# PACT v3 crossSectoralStandards ↔ the spelling of the Catena-X 9.0.0 example ("ISO 14067"); others as is.
_STANDARDS = {"ISO14067": "ISO 14067", "ISO14083": "ISO 14083", "ISO14040-44": "ISO 14040-44"}
_STANDARDS_BACK = {v: k for k, v in _STANDARDS.items()}


def _per_du(value: Decimal, envelope: Envelope) -> Decimal:
    return CONTEXT.multiply(value, envelope.declared_unit_amount)


def _per_unit(value: Decimal, amount: Decimal) -> Decimal:
    return CONTEXT.divide(value, amount)


def _split(disclosure: Disclosure) -> tuple[Decimal, Decimal | None]:
    """(total, distribution) per unit; the distribution is known only with the stage split."""
    if disclosure.total < 0:
        raise InvalidInput("PACT and Catena-X carry no negative total (pcfExcludingBiogenicUptake ≥ 0)")
    if disclosure.stages is None:
        return disclosure.total, None
    return disclosure.total, disclosure.stages.get(Stage.DISTRIBUTION, Decimal(0))


def _granularity(*, stages: bool, quality: bool) -> Granularity:
    if stages:
        return Granularity.STAGES
    return Granularity.DATA_QUALITY if quality else Granularity.TOTAL


def _source_text(source: FactorSource) -> str:
    return f"{source.name} {source.version}"


def _source_of(text: str) -> FactorSource:
    name, _, version = text.rpartition(" ")
    if not name:  # a bare name: Catena-X allows it, PACT needs a version
        return FactorSource(name=text, version="unspecified")
    return FactorSource(name=name, version=version)


# --- PACT v3 ---------------------------------------------------------------------------------------------


def to_pact(disclosure: Disclosure, envelope: Envelope) -> ProductFootprint:
    """A disclosure as a PACT v3 ProductFootprint (values per declared unit = amount × unit)."""
    total, distribution = _split(disclosure)
    pcf: dict[str, Any] = {
        "declaredUnitOfMeasurement": disclosure.declared_unit,
        "declaredUnitAmount": decimal_text(envelope.declared_unit_amount),
        "productMassPerDeclaredUnit": decimal_text(envelope.mass_per_declared_unit),
        "referencePeriodStart": disclosure.reference_period_start,
        "referencePeriodEnd": disclosure.reference_period_end,
        # no biogenic accounting in battrace: all emissions are fossil (notes §4.4). fossilCarbonContent is
        # required (SHALL) and battrace does not compute it: 0 until the roll-up carries carbon contents.
        "pcfExcludingBiogenicUptake": decimal_text(_per_du(total, envelope)),
        "pcfIncludingBiogenicUptake": decimal_text(_per_du(total, envelope)),
        "fossilGhgEmissions": decimal_text(_per_du(total, envelope)),
        "fossilCarbonContent": "0",
        "ipccCharacterizationFactors": [envelope.ipcc],
        "crossSectoralStandards": list(envelope.standards),
        "exemptedEmissionsPercent": decimal_text(envelope.exempted_percent),
        **_pact_geography(envelope),
        **_pact_quality(disclosure),
    }
    if distribution:  # PACT v3: reported inside the totals and also separately (Catena-X: when included)
        pcf["outboundLogisticsGhgEmissions"] = decimal_text(_per_du(distribution, envelope))
    pf: dict[str, Any] = {
        **_pact_header(disclosure, envelope),
        "pcf": pcf,
    }
    extension = _extension(disclosure, envelope)
    if extension is not None:
        pf["extensions"] = [extension]
    return parse_footprint(pf)


def _pact_header(disclosure: Disclosure, envelope: Envelope) -> dict[str, Any]:
    header: dict[str, Any] = {
        "id": str(envelope.pf_id),
        "specVersion": PACT_SPEC_VERSION,
        "created": envelope.created,
        "status": envelope.status,
        "validityPeriodEnd": envelope.validity_end,
        "companyName": envelope.company_name,
        "companyIds": list(envelope.company_ids),
        "productDescription": envelope.product_description,
        "productIds": list(dict.fromkeys((disclosure.product_id, *envelope.product_ids))),
        "productNameCompany": envelope.product_name,
    }
    if envelope.validity_start is not None:
        header["validityPeriodStart"] = envelope.validity_start
    if envelope.preceding:
        header["precedingPfIds"] = [str(i) for i in envelope.preceding]
    return header


def _pact_geography(envelope: Envelope) -> dict[str, str]:
    # PACT admits one geography; Catena-X's "Global"/"Several" have no PACT value (undefined = global).
    if envelope.country is not None:
        return {"geographyCountry": envelope.country}
    if envelope.region not in ("Global", "Several"):
        return {"geographyRegionOrSubregion": envelope.region}
    return {}


def _pact_quality(disclosure: Disclosure) -> dict[str, Any]:
    quality: dict[str, Any] = {}
    if disclosure.pact_dqi is not None:
        quality["dqi"] = disclosure.pact_dqi.pact_dqi()
    if disclosure.primary_data_share is not None:
        quality["primaryDataShare"] = decimal_text(disclosure.primary_data_share)
    if disclosure.factor_sources:
        quality["secondaryEmissionFactorSources"] = [
            {"name": s.name, "version": s.version} for s in disclosure.factor_sources
        ]
    return quality


def _extension(disclosure: Disclosure, envelope: Envelope) -> dict[str, Any] | None:
    data: dict[str, Any] = {}
    if disclosure.stages is not None:
        data["stages"] = {s.value: decimal_text(_per_du(disclosure.stages[s], envelope)) for s in STAGES}
    if disclosure.dqr is not None:
        data["dqr"] = {name: decimal_text(getattr(disclosure.dqr, name)) for name in ("TeR", "GeR", "TiR")}
    if not data:
        return None
    return {"specVersion": EXTENSION_SPEC_VERSION, "dataSchema": STAGE_SPLIT_SCHEMA, "data": data}


def from_pact(pf: ProductFootprint) -> Disclosure:
    """A received PACT v3 footprint as a disclosure per one unit (stage split and DQR from our extension)."""
    amount = pf.pcf.declaredUnitAmount
    data = next((e.data for e in pf.extensions or () if e.dataSchema == STAGE_SPLIT_SCHEMA), {})
    stages = _extension_stages(data.get("stages"), amount)
    dqr = _extension_dqr(data.get("dqr"))
    dqi = pf.pcf.dqi
    pact_dqi = None if dqi is None else _dqr(dqi.technologicalDQR, dqi.geographicalDQR, dqi.temporalDQR)
    sources = tuple(
        FactorSource(name=s.name, version=s.version) for s in pf.pcf.secondaryEmissionFactorSources or ()
    )
    quality = dqr is not None or pact_dqi is not None or pf.pcf.primaryDataShare is not None or bool(sources)
    return _disclosure(
        granularity=_granularity(stages=stages is not None, quality=quality),
        product_id=pf.productIds[0],
        declared_unit=pf.pcf.declaredUnitOfMeasurement,
        total=_per_unit(pf.pcf.pcfExcludingBiogenicUptake, amount),
        reference_period_start=pf.pcf.referencePeriodStart,
        reference_period_end=pf.pcf.referencePeriodEnd,
        stages=stages,
        dqr=dqr,
        pact_dqi=pact_dqi,
        primary_data_share=pf.pcf.primaryDataShare,
        factor_sources=sources or None,
    )


def _extension_stages(value: Any, amount: Decimal) -> dict[Stage, Decimal] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {s.value for s in STAGES}:
        raise InvalidInput(
            f"extension {STAGE_SPLIT_SCHEMA}: stages must name exactly {[s.value for s in STAGES]}"
        )
    return {s: _per_unit(_decimal(value[s.value], f"stages.{s.value}"), amount) for s in STAGES}


def _extension_dqr(value: Any) -> DQR | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"extension {STAGE_SPLIT_SCHEMA}: dqr must be an object {{TeR, GeR, TiR}}")
    return _dqr(*(_decimal(value.get(name), f"dqr.{name}") for name in ("TeR", "GeR", "TiR")))


def _decimal(value: Any, name: str) -> Decimal:
    if not isinstance(value, str) or not re.fullmatch(r"[+-]?\d+(\.\d+)?", value):
        raise InvalidInput(f"extension {STAGE_SPLIT_SCHEMA}: {name} must be a decimal string")
    return Decimal(value)


def _dqr(te: Decimal, ge: Decimal, ti: Decimal) -> DQR:
    try:
        return DQR(TeR=te, GeR=ge, TiR=ti)
    except ValidationError as error:
        raise InvalidInput(f"data-quality ratings must be 1-5: {describe(error)}") from None


def _disclosure(**values: Any) -> Disclosure:
    try:
        return Disclosure(**values)
    except ValidationError as error:
        raise InvalidInput(f"not a carbon-footprint disclosure: {describe(error)}") from None


def envelope_of_pact(pf: ProductFootprint) -> Envelope:
    """The header of a received PACT footprint, to write the same footprint in another format."""
    pcf = pf.pcf
    ipcc = pcf.ipccCharacterizationFactors
    if len(ipcc) != 1 or ipcc[0] not in ("AR4", "AR5", "AR6"):
        raise InvalidInput(f"Catena-X names one of AR4, AR5, AR6; the footprint names {list(ipcc)}")
    region: cx.GeographyRegionOrSubregion = pcf.geographyRegionOrSubregion or "Global"
    return Envelope(
        pf_id=pf.id,
        created=pf.created,
        company_name=pf.companyName,
        company_ids=pf.companyIds,
        product_name=pf.productNameCompany,
        mass_per_declared_unit=pcf.productMassPerDeclaredUnit,
        validity_end=_required(pf.validityPeriodEnd, "validityPeriodEnd (Catena-X requires it)"),
        declared_unit_amount=pcf.declaredUnitAmount,
        product_ids=pf.productIds[1:],
        product_description=pf.productDescription,
        validity_start=pf.validityPeriodStart,
        status=pf.status,
        preceding=pf.precedingPfIds or (),
        ipcc=ipcc[0],  # type: ignore[arg-type]  # checked against the three values just above
        standards=pcf.crossSectoralStandards,
        region=region,
        country=pcf.geographyCountry,
        exempted_percent=pcf.exemptedEmissionsPercent,
    )


def _required(value: datetime | None, name: str) -> datetime:
    if value is None:
        raise InvalidInput(f"{name} is missing")
    return value


# --- Catena-X io.catenax.pcf 9.0.0 ----------------------------------------------------------------------


def to_catenax(disclosure: Disclosure, envelope: Envelope) -> cx.Pcf:
    """A disclosure as a 9.0.0 Pcf. The company ids must include the BPNL (aspect: "It is mandatory")."""
    if bpnl_of(envelope.company_ids) is None:
        raise InvalidInput("Catena-X companyIds must include the BPNL (urn:bpn:id:BPNL…)")
    if disclosure.declared_unit == "megabit second":
        raise InvalidInput("the 9.0.0 schema has no 'megabit second' unit (its enum splits it in two)")
    pcf: dict[str, Any] = {
        "scopeOfPcfForm": [{"specVersion": cx.SPEC_VERSION, "partialFullPcf": envelope.partial_full}],
        "companyAndProductInformation": [_cx_company_and_product(disclosure, envelope)],
        "pcfAssessmentAndMethodology": [_cx_assessment(disclosure, envelope)],
        "general": [{}],
        "carbonContent": [{}],  # battrace computes no carbon contents: none stated
        "productLifeCycleStagesAndEmissions": [_cx_stages(disclosure, envelope)],
    }
    try:
        return cx.Pcf.model_validate(pcf)
    except ValidationError as error:
        raise InvalidInput(f"cannot be written as io.catenax.pcf 9.0.0: {describe(error)}") from None


def _cx_company_and_product(disclosure: Disclosure, envelope: Envelope) -> dict[str, Any]:
    product: dict[str, Any] = {
        "productNameCompany": envelope.product_name,
        "productIds": list(dict.fromkeys((disclosure.product_id, *envelope.product_ids))),
        "declaredUnitOfMeasurement": disclosure.declared_unit,
        "declaredUnitAmount": envelope.declared_unit_amount,
        "productMassPerDeclaredUnit": envelope.mass_per_declared_unit,
    }
    if envelope.product_description:
        product["productDescription"] = envelope.product_description
    company = {"companyName": envelope.company_name, "companyIds": list(envelope.company_ids)}
    return {"companyInformation": [company], "productInformation": [product]}


def _cx_assessment(disclosure: Disclosure, envelope: Envelope) -> dict[str, Any]:
    quality: dict[str, Any] = {"primaryDataShare": disclosure.primary_data_share}
    if disclosure.pact_dqi is not None:
        quality["technologicalDQR"] = disclosure.pact_dqi.TeR
        quality["geographicalDQR"] = disclosure.pact_dqi.GeR
        quality["temporalDQR"] = disclosure.pact_dqi.TiR
    if disclosure.factor_sources:
        quality["secondaryEmissionFactorSources"] = [_source_text(s) for s in disclosure.factor_sources]
    return {
        "dataSourcesAndQuality": [quality],
        "pcfAssessmentInformation": [_cx_information(disclosure, envelope)],
        "pcfMethodology": [_cx_methodology(envelope)],
    }


def _cx_information(disclosure: Disclosure, envelope: Envelope) -> dict[str, Any]:
    id_and_version: dict[str, Any] = {
        "id": str(envelope.pf_id),
        "version": 0,  # "must be set to the default value 0" for Catena-X exchange
        "status": envelope.status,
        "retroOrProspectivePcfType": "Retrospective PCF",
    }
    if envelope.preceding:
        id_and_version["precedingPfIds"] = [{"id": str(i)} for i in envelope.preceding]
    time = {
        "referencePeriodStart": disclosure.reference_period_start,
        "referencePeriodEnd": disclosure.reference_period_end,
        "created": envelope.created,
        "validityPeriodEnd": envelope.validity_end,
        "validityPeriodStart": envelope.validity_start,
    }
    geography = {"geographyRegionOrSubregion": envelope.region, "geographyCountry": envelope.country}
    return {
        "technology": [{"ccsTechnologicalCO2CaptureIncluded": False}],
        "idAndVersion": [id_and_version],
        "boundarySpecifications": [{"exemptedEmissionsPercent": envelope.exempted_percent}],
        "geography": [geography],
        "time": [time],
    }


def _cx_methodology(envelope: Envelope) -> dict[str, Any]:
    standards = [_STANDARDS.get(s, s) for s in envelope.standards]
    return {
        "massBalancingInformation": [
            {
                "massBalancingUsed": False,
                "freeAttributionInMassBalancing": "not applicable",
                "massBalancingCertificateScheme": "not applicable",
            }
        ],
        "standards": [{"crossSectoralStandards": standards, "productOrSectorSpecificRules": []}],
        "gwpCharacterizationFactorDetails": [{"ipccCharacterizationFactors": envelope.ipcc}],
        "allocationInForeground": [{"allocationWasteIncineration": "cut-off"}],
    }


def _cx_stages(disclosure: Disclosure, envelope: Envelope) -> dict[str, Any]:
    """Production stage = total less distribution; distribution "reported separately" (aspect text)."""
    total, distribution = _split(disclosure)
    production = _per_du(total - (distribution or 0), envelope)
    stage = {"pcfExcludingBiogenicUptake": production, "pcfIncludingBiogenicUptake": production}
    dist: dict[str, Any] = {"distributionStageIncluded": bool(distribution)}
    if distribution:
        value = _per_du(distribution, envelope)
        dist["distributionStagePcfExcludingBiogenicUptake"] = value
        dist["distributionStagePcfIncludingBiogenicUptake"] = value
        dist["distributionStageFossilGhgEmissions"] = value
    return {
        "productionStage": [{**stage, "fossilGhgEmissions": production}],
        "distributionStage": [dist],
        "packagingStage": [{"packagingEmissionsIncluded": False}],
    }


def _one(items: tuple[Any, ...] | None, name: str) -> Any:
    if not items or len(items) != 1:
        raise InvalidInput(f"expected exactly one {name} entry, got {len(items or ())}")
    return items[0]


def from_catenax(pcf: cx.Pcf, battery: PcfForBatteryComponentSupplier | None = None) -> Disclosure:
    """A received 9.0.0 Pcf as a disclosure per one unit; with the supplier's battery aspect, the four stages
    and the Ouranos/PEF DQR too (its absolute value must match the Pcf's total)."""
    product: cx.ProductInformation = _one(
        _one(pcf.companyAndProductInformation, "companyAndProductInformation").productInformation,
        "productInformation",
    )
    assessment: cx.PcfAssessmentAndMethodology = _one(
        pcf.pcfAssessmentAndMethodology, "pcfAssessmentAndMethodology"
    )
    time: cx.Time = _one(_one(assessment.pcfAssessmentInformation, "pcfAssessmentInformation").time, "time")
    quality: cx.DataSourcesAndQuality = _one(assessment.dataSourcesAndQuality, "dataSourcesAndQuality")
    amount = product.declaredUnitAmount
    total = _per_unit(_cx_total(pcf), amount)
    stages, dqr = _battery_part(battery, total, product) if battery is not None else (None, None)
    ratings = (quality.technologicalDQR, quality.geographicalDQR, quality.temporalDQR)
    pact_dqi = None if None in ratings else _dqr(*ratings)  # type: ignore[arg-type]
    sources = tuple(_source_of(s) for s in quality.secondaryEmissionFactorSources or ())
    has_quality = dqr is not None or pact_dqi is not None or quality.primaryDataShare is not None
    return _disclosure(
        granularity=_granularity(stages=stages is not None, quality=has_quality or bool(sources)),
        product_id=_first(product.productIds),
        declared_unit=_pact_unit(product.declaredUnitOfMeasurement),
        total=total,
        reference_period_start=time.referencePeriodStart,
        reference_period_end=time.referencePeriodEnd,
        stages=stages,
        dqr=dqr,
        pact_dqi=pact_dqi,
        primary_data_share=quality.primaryDataShare,
        factor_sources=sources or None,
    )


def _cx_total(pcf: cx.Pcf) -> Decimal:
    stages: cx.ProductLifeCycleStagesAndEmissions = _one(
        pcf.productLifeCycleStagesAndEmissions, "productLifeCycleStagesAndEmissions"
    )
    production: cx.ProductionStage = _one(stages.productionStage, "productionStage")
    distribution: cx.DistributionStage = _one(stages.distributionStage, "distributionStage")
    total = production.pcfExcludingBiogenicUptake
    if distribution.distributionStageIncluded:
        total += distribution.distributionStagePcfExcludingBiogenicUptake or Decimal(0)
    return total


def _battery_part(
    battery: PcfForBatteryComponentSupplier, total: Decimal, product: cx.ProductInformation
) -> tuple[dict[Stage, Decimal], DQR]:
    absolute, stages = stage_values(battery)
    if declared_unit(battery) != product.declaredUnitOfMeasurement:
        raise InvalidInput(
            f"battery aspect declares per {declared_unit(battery)}, "
            f"the Pcf per {product.declaredUnitOfMeasurement}"
        )
    if abs(absolute - total) > Decimal("0.000001"):
        raise InvalidInput(f"battery aspect absPcfValue {absolute} is not the Pcf total {total} per unit")
    return stages, battery_dqr(battery)


def _first(ids: tuple[str, ...]) -> str:
    if not ids:
        raise InvalidInput("productIds must name the product")
    return ids[0]


def _pact_unit(unit: str) -> DeclaredUnit:
    if unit in ("megabit", "second"):
        raise InvalidInput(f"declared unit {unit!r} has no PACT/battrace equivalent")
    return unit  # type: ignore[return-value]  # the remaining nine values are PACT's, spelled the same


def envelope_of_catenax(pcf: cx.Pcf) -> Envelope:
    """The header of a received 9.0.0 Pcf, to write the same footprint as PACT v3."""
    info = _one(pcf.companyAndProductInformation, "companyAndProductInformation")
    product: cx.ProductInformation = _one(info.productInformation, "productInformation")
    company: cx.CompanyInformation = _one(info.companyInformation, "companyInformation")
    assessment = _one(pcf.pcfAssessmentAndMethodology, "pcfAssessmentAndMethodology")
    information: cx.PcfAssessmentInformation = _one(
        assessment.pcfAssessmentInformation, "pcfAssessmentInformation"
    )
    methodology: cx.PcfMethodology = _one(assessment.pcfMethodology, "pcfMethodology")
    id_and_version: cx.IdAndVersion = _one(information.idAndVersion, "idAndVersion")
    time: cx.Time = _one(information.time, "time")
    geography: cx.Geography = _one(information.geography, "geography")
    ipcc = _one(
        methodology.gwpCharacterizationFactorDetails, "gwpCharacterizationFactorDetails"
    ).ipccCharacterizationFactors
    if ipcc == "unspecified":
        raise InvalidInput("PACT requires the IPCC assessment report; the Pcf says 'unspecified'")
    standards = _one(methodology.standards, "standards").crossSectoralStandards
    preceding = tuple(
        uuid.UUID(p.id.removeprefix("urn:uuid:")) for p in id_and_version.precedingPfIds or () if p.id
    )
    return Envelope(
        pf_id=uuid.UUID(id_and_version.id.removeprefix("urn:uuid:")),
        created=time.created,
        company_name=company.companyName,
        company_ids=company.companyIds,
        product_name=product.productNameCompany,
        mass_per_declared_unit=product.productMassPerDeclaredUnit,
        validity_end=time.validityPeriodEnd,
        declared_unit_amount=product.declaredUnitAmount,
        product_ids=product.productIds[1:],
        product_description=product.productDescription or "",
        validity_start=time.validityPeriodStart,
        status=id_and_version.status,
        preceding=preceding,
        ipcc=ipcc,
        standards=tuple(_STANDARDS_BACK.get(s, s) for s in standards) or ("ISO14067",),
        region=geography.geographyRegionOrSubregion,
        country=geography.geographyCountry or None,
        exempted_percent=_one(
            information.boundarySpecifications, "boundarySpecifications"
        ).exemptedEmissionsPercent,
        partial_full=_one(pcf.scopeOfPcfForm, "scopeOfPcfForm").partialFullPcf,
    )


# A partner's emission categories beyond the total, carried over when converting one wire format straight
# into the other (battrace's own footprints have no biogenic accounting: written as fossil = total).
# PACT v3 CarbonFootprint name → Catena-X 9.0.0 productionStage name, distributionStage name.
BREAKDOWN = {
    "pcfIncludingBiogenicUptake": (
        "pcfIncludingBiogenicUptake",
        "distributionStagePcfIncludingBiogenicUptake",
    ),
    "fossilGhgEmissions": ("fossilGhgEmissions", "distributionStageFossilGhgEmissions"),
    "landUseChangeGhgEmissions": ("landUseChangeGhgEmissions", "distributionStageLandUseChangeGhgEmissions"),
    "biogenicCO2Uptake": ("biogenicCO2Uptake", "distributionStageBiogenicCO2Uptake"),
    "biogenicNonCO2Emissions": ("biogenicNonCO2Emissions", "distributionStageBiogenicNonCO2Emissions"),
    "landManagementBiogenicCO2Emissions": (
        "landManagementBiogenicCO2Emissions",
        "distributionStageLandManagementBiogenicCO2Emissions",
    ),
    "landManagementBiogenicCO2Removals": (
        "landManagementBiogenicCO2Removals",
        "distributionStageLandManagementBiogenicCO2Removals",
    ),
    "aircraftGhgEmissions": ("aircraftGhgEmissions", "distributionStageAircraftGhgEmissions"),
}
CARBON_CONTENT = ("fossilCarbonContent", "biogenicCarbonContent", "recycledCarbonContent")


def catenax_to_pact(pcf: cx.Pcf, battery: PcfForBatteryComponentSupplier | None = None) -> ProductFootprint:
    """A received 9.0.0 Pcf as PACT v3: the numbers via `from_catenax`, the emission categories and carbon
    contents as the partner stated them (production plus distribution stage when distribution is included)."""
    pf = to_pact(from_catenax(pcf, battery), envelope_of_catenax(pcf))
    stages = _one(pcf.productLifeCycleStagesAndEmissions, "productLifeCycleStagesAndEmissions")
    production = _one(stages.productionStage, "productionStage")
    distribution = _one(stages.distributionStage, "distributionStage")
    update: dict[str, Any] = {}
    for pact_name, (production_name, distribution_name) in BREAKDOWN.items():
        values = [getattr(production, production_name)]
        if distribution.distributionStageIncluded:
            values.append(getattr(distribution, distribution_name))
        if any(v is not None for v in values):
            update[pact_name] = sum((v for v in values if v is not None), Decimal(0))
    content = _one(pcf.carbonContent, "carbonContent")
    update |= {n: getattr(content, n) for n in CARBON_CONTENT if getattr(content, n) is not None}
    return _with_pcf_values(pf, update)


def _with_pcf_values(pf: ProductFootprint, update: dict[str, Any]) -> ProductFootprint:
    data = pf.to_json()
    data["pcf"] |= {name: decimal_text(value) for name, value in update.items()}
    return parse_footprint(data)


def pact_to_catenax(pf: ProductFootprint) -> cx.Pcf:
    """A received PACT v3 footprint as a 9.0.0 Pcf, with its emission categories and carbon contents when
    the distribution stage is not split out (else they would straddle the two Catena-X stages)."""
    pcf = to_catenax(from_pact(pf), envelope_of_pact(pf))
    stages = pcf.productLifeCycleStagesAndEmissions[0]
    if stages.distributionStage[0].distributionStageIncluded:
        return pcf
    values = {cx_name: getattr(pf.pcf, name) for name, (cx_name, _) in BREAKDOWN.items()}
    production = stages.productionStage[0].model_copy(
        update={k: v for k, v in values.items() if v is not None}
    )
    content = {n: getattr(pf.pcf, n) for n in CARBON_CONTENT if getattr(pf.pcf, n) is not None}
    data = pcf.model_copy(
        update={
            "productLifeCycleStagesAndEmissions": (
                stages.model_copy(update={"productionStage": (production,)}),
            ),
            "carbonContent": (cx.CarbonContent(**content),),
        }
    ).to_json()
    return cx.parse_pcf(data)  # validated again: PACT admits values the aspect does not
