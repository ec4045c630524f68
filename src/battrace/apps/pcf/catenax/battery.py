"""The Catena-X aspect `PcfForBatteryComponentSupplier` (`io.catenax.pcf_for_battery_component_supplier`
1.0.0): a battery-component supplier's PCF split into the four life-cycle stages of the draft delegated act
(Reg. (EU) 2023/1542 Art. 7, Annex II) — the carrier of our `Stage` split in Catena-X, since
io.catenax.pcf 9.0.0 has no raw-material / production split.

Reading of `stageValue`: the aspect's texts disagree — each stage property says "the percentage of the
absolute PCF value", the `stageValue` it holds says "the PCF value of the parent stage measured in the
declared unit" and the declared unit is `CO2KG/KG` or `CO2KG/piece`. battrace **writes** absolute values
(kg CO2e per one kg or one piece, like `absPcfValue`) and **reads** both: stage values summing to
`absPcfValue` are absolute, values summing to 100 are percentages of it (when `absPcfValue` is 100 both
readings give the same numbers); anything else is refused rather than guessed.

A received aspect is checked against the aspect's own generated JSON Schema (`schemas/`, draft-04, shipped
unmodified) before the models read it, so what battrace accepts is what the published schema accepts.
Pure module apart from reading that packaged schema once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from battrace.apps.pcf.catenax.model import DateTime, Percent, Rating, ZeroOrMore
from battrace.apps.pcf.model import CONTEXT, DQR, DeclaredUnit, Disclosure, Granularity, Stage
from battrace.apps.pcf.pact.model import describe
from battrace.errors import InvalidInput

ASPECT_URN = "urn:samm:io.catenax.pcf_for_battery_component_supplier:1.0.0#PcfForBatteryComponentSupplier"
SCHEMA_FILE = "PcfForBatteryComponentSupplier-schema.json"
# JSON numbers are doubles: stage values that were computed in decimal and written as doubles may miss the
# absolute value by a last-digit rounding; a gap within this (kg CO2e) is taken as equal.
SUM_TOLERANCE = Decimal("0.000001")
_HUNDRED = Decimal(100)


class _Entity(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")


class StageValue(_Entity):
    stageValue: ZeroOrMore


class SharesPerStage(_Entity):
    stage1RawMaterialAquisitionPreProcessing: StageValue  # (sic: "Aquisition" in the aspect)
    stage2MainProductProduction: StageValue
    stage3Distribution: StageValue
    stage4EndOfLifeRecycling: StageValue
    declaredUnit: Literal["CO2KG/KG", "CO2KG/piece"]
    absPcfValue: StageValue


class PcfValues(_Entity):
    sharesPerStage: SharesPerStage
    pcfPerformanceClass: str | None = None
    webLinkToCarbonFootPrintStudy: str | None = None


class ValidityPeriod(_Entity):
    validTo: DateTime | None = None
    validFrom: DateTime | None = None


class PcfForBatteryComponentSupplier(_Entity):
    pcfValues: PcfValues
    secondaryEmissionFactorSources: tuple[str, ...]
    customerPartId: str
    technologicalRepresentativeness: Rating
    geographicalRepresentativeness: Rating
    timerelatedRepresentativeness: Rating
    dataQualityRating: Rating
    manufacturerPartId: str
    validityPeriod: ValidityPeriod
    siteIdentifier: Annotated[str, Field(pattern=r"^BPNS[a-zA-Z0-9]{12}$")]
    legalidentifier: Annotated[str, Field(pattern=r"^BPNL[a-zA-Z0-9]{12}$")]
    productQualityParameter: tuple[str, ...]
    contentC02Metals: tuple[str, ...]  # (sic: "C02" with a zero in the aspect)
    primaryDataShare: Percent | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


_STAGE_NAMES = {
    Stage.RAW_MATERIAL: "stage1RawMaterialAquisitionPreProcessing",
    Stage.PRODUCTION: "stage2MainProductProduction",
    Stage.DISTRIBUTION: "stage3Distribution",
    Stage.END_OF_LIFE: "stage4EndOfLifeRecycling",
}
_UNITS: dict[str, Literal["CO2KG/KG", "CO2KG/piece"]] = {"kilogram": "CO2KG/KG", "piece": "CO2KG/piece"}


@dataclass(frozen=True)
class BatterySupplierInfo:
    """What the aspect requires beyond a disclosure: the parties, the part, the validity, and free text."""

    manufacturer_part_id: str
    customer_part_id: str
    legal_identifier: str  # BPNL of the provider
    site_identifier: str  # BPNS of the producing site
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    product_quality_parameters: tuple[str, ...] = ()
    content_co2_metals: tuple[str, ...] = ()
    performance_class: str | None = None
    study_link: str | None = None


def to_battery_aspect(disclosure: Disclosure, info: BatterySupplierInfo) -> PcfForBatteryComponentSupplier:
    """A disclosure granted at least the stage split, per one kg or one piece (the aspect's declared units).

    The three representativeness ratings and `dataQualityRating` = (TeR+GeR+TiR)/3 are the Ouranos/PEF DQR.
    """
    if disclosure.stages is None or not disclosure.granularity.includes(Granularity.STAGES):
        raise InvalidInput(
            "the battery-supplier aspect carries the stage split: disclose at 'stages' or above"
        )
    if disclosure.dqr is None:
        raise InvalidInput("the battery-supplier aspect requires the three representativeness ratings (DQR)")
    unit = _UNITS.get(disclosure.declared_unit)
    if unit is None:
        raise InvalidInput(
            "the battery-supplier aspect declares per kilogram or per piece, "
            f"not {disclosure.declared_unit!r}"
        )
    stages = {name: {"stageValue": disclosure.stages[stage]} for stage, name in _STAGE_NAMES.items()}
    values: dict[str, Any] = {
        "sharesPerStage": {**stages, "declaredUnit": unit, "absPcfValue": {"stageValue": disclosure.total}}
    }
    if info.performance_class is not None:
        values["pcfPerformanceClass"] = info.performance_class
    if info.study_link is not None:
        values["webLinkToCarbonFootPrintStudy"] = info.study_link
    return _validated(_aspect(disclosure, disclosure.dqr, info, values))


def _aspect(
    disclosure: Disclosure, dqr: DQR, info: BatterySupplierInfo, values: dict[str, Any]
) -> dict[str, Any]:
    sources = disclosure.factor_sources or ()
    aspect: dict[str, Any] = {
        "pcfValues": values,
        "secondaryEmissionFactorSources": [f"{s.name} {s.version}" for s in sources],
        "customerPartId": info.customer_part_id,
        "technologicalRepresentativeness": dqr.TeR,
        "geographicalRepresentativeness": dqr.GeR,
        "timerelatedRepresentativeness": dqr.TiR,
        "dataQualityRating": dqr.average,
        "manufacturerPartId": info.manufacturer_part_id,
        "validityPeriod": {"validFrom": info.valid_from, "validTo": info.valid_to},
        "siteIdentifier": info.site_identifier,
        "legalidentifier": info.legal_identifier,
        "productQualityParameter": list(info.product_quality_parameters),
        "contentC02Metals": list(info.content_co2_metals),
    }
    if disclosure.primary_data_share is not None:
        aspect["primaryDataShare"] = disclosure.primary_data_share
    return aspect


def _validated(value: dict[str, Any]) -> PcfForBatteryComponentSupplier:
    try:
        return PcfForBatteryComponentSupplier.model_validate(value)
    except ValidationError as error:
        raise InvalidInput(f"not a PcfForBatteryComponentSupplier 1.0.0: {describe(error)}") from None


def parse_battery_aspect(payload: bytes | str | dict[str, Any]) -> PcfForBatteryComponentSupplier:
    """From raw JSON (read Decimal-exact) or decoded JSON, checked against the aspect's JSON Schema first;
    bad input raises `InvalidInput`."""
    value: Any = payload
    if isinstance(payload, bytes | str):
        try:
            value = json.loads(payload, parse_float=Decimal)
        except ValueError as error:
            raise InvalidInput(f"a PcfForBatteryComponentSupplier must be JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidInput("a PcfForBatteryComponentSupplier must be a JSON object")
    # jsonschema on first use: its metaschemas cost ~0.1–0.2 s of a node's start (issue 9, start time)
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    problem = best_match(_schema_validator().iter_errors(value))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "aspect"
        raise InvalidInput(
            f"not a PcfForBatteryComponentSupplier 1.0.0 ({SCHEMA_FILE}): {where}: {problem.message}"
        )
    return _validated(value)


@cache
def _schema_validator() -> Any:
    # the generated schema declares draft-04 (`$schema`); Decimal counts as a JSON number there
    from jsonschema import Draft4Validator  # type: ignore[import-untyped]

    text = resources.files("battrace.apps.pcf.catenax").joinpath("schemas", SCHEMA_FILE).read_text("utf-8")
    return Draft4Validator(json.loads(text))


def declared_unit(aspect: PcfForBatteryComponentSupplier) -> DeclaredUnit:
    return "kilogram" if aspect.pcfValues.sharesPerStage.declaredUnit == "CO2KG/KG" else "piece"


def stage_values(aspect: PcfForBatteryComponentSupplier) -> tuple[Decimal, dict[Stage, Decimal]]:
    """(absolute PCF, stage → kg CO2e) per one kg or piece, whichever reading of `stageValue` adds up."""
    shares = aspect.pcfValues.sharesPerStage
    total = shares.absPcfValue.stageValue
    raw = {stage: getattr(shares, name).stageValue for stage, name in _STAGE_NAMES.items()}
    summed = sum(raw.values(), Decimal(0))
    if abs(summed - total) <= SUM_TOLERANCE:
        return total, raw
    if abs(summed - _HUNDRED) <= SUM_TOLERANCE:
        return total, {
            stage: CONTEXT.divide(CONTEXT.multiply(total, v), _HUNDRED) for stage, v in raw.items()
        }
    raise InvalidInput(
        f"stage values sum to {summed}: neither absPcfValue {total} (absolute) nor 100 (percent shares)"
    )


def battery_dqr(aspect: PcfForBatteryComponentSupplier) -> DQR:
    return DQR(
        TeR=aspect.technologicalRepresentativeness,
        GeR=aspect.geographicalRepresentativeness,
        TiR=aspect.timerelatedRepresentativeness,
    )
