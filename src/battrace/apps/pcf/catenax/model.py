"""The Catena-X aspect `urn:samm:io.catenax.pcf:9.0.0#Pcf` as frozen pydantic models.

Attribute names are the aspect's JSON names (`gen/Pcf-schema.json` of eclipse-tractusx/sldt-semantic-models,
CC BY 4.0), so `model_dump` is the wire format. 9.0.0 (R25.09) only re-nests 8.0.0: every group is a SAMM
*collection*, i.e. a JSON array of entities (`"scopeOfPcfForm": [{...}]`); the models keep that shape.

Numbers: the aspect uses JSON numbers where PACT v3 uses decimal strings. Inside battrace they are
`decimal.Decimal`; `parse_pcf` reads raw JSON with `parse_float=Decimal`, so no value passes through a binary
float on the way in. On the way out a value is written as the nearest IEEE-754 double (JSON numbers are
doubles for every consumer in practice): exact for every decimal of at most 15 significant digits.
Unknown properties are ignored (the schema sets no `additionalProperties: false`). Pure module: no I/O.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    ValidationError,
)

from battrace.apps.pcf.pact.model import describe
from battrace.errors import InvalidInput

SPEC_VERSION = "urn:io.catenax.pcf:datamodel:version:9.0.0"  # the aspect's own example value
ASPECT_URN = "urn:samm:io.catenax.pcf:9.0.0#Pcf"
# xsd:dateTime as the aspect's generated schema writes it (time zone optional there; battrace writes UTC `Z`)
_DATE_TIME = re.compile(
    r"^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T"
    r"(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?$"
)
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def number_in(value: Any) -> Decimal:
    """A JSON number as a Decimal. A float is read through its shortest round-trip text (`0.1` → `0.1`)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"expected a JSON number, got {str(value)[:40]!r}")
    result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite():
        raise ValueError("a number must be finite")
    return result


def number_out(value: Decimal) -> int | float:
    """The JSON number for a Decimal: an integer when integral, else the nearest double."""
    return int(value) if value == value.to_integral_value() else float(value)


def _date_time_in(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        raise ValueError(f"expected an xsd:dateTime string, got {str(value)[:40]!r}")
    return value


def _date_time_out(value: datetime) -> str:
    if value.tzinfo is None:
        return value.isoformat()  # the aspect allows a local time; battrace never writes one
    return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


_Out = PlainSerializer(number_out)
Number = Annotated[Decimal, BeforeValidator(number_in), _Out]
ZeroOrMore = Annotated[Decimal, BeforeValidator(number_in), Field(ge=0), _Out]
ZeroOrLess = Annotated[Decimal, BeforeValidator(number_in), Field(le=0), _Out]
Percent = Annotated[Decimal, BeforeValidator(number_in), Field(ge=0, le=100), _Out]
Rating = Annotated[Decimal, BeforeValidator(number_in), Field(ge=1, le=5), _Out]
DateTime = Annotated[datetime, BeforeValidator(_date_time_in), PlainSerializer(_date_time_out)]
NonEmpty = Annotated[str, Field(min_length=1)]
UniqueStrings = tuple[str, ...]

DeclaredUnitOfMeasurement = Literal[
    # the generated schema splits PACT's "megabit second" into two values; both are kept as written
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
    "piece",
    "hour",
    "megabit",
    "second",
]
GeographyRegionOrSubregion = Literal[
    "Africa",
    "Americas",
    "Asia",
    "Europe",
    "Oceania",
    "Australia and New Zealand",
    "Central Asia",
    "Eastern Asia",
    "Eastern Europe",
    "Latin America and the Caribbean",
    "Melanesia",
    "Micronesia",
    "Northern Africa",
    "Northern America",
    "Northern Europe",
    "Polynesia",
    "South-eastern Asia",
    "Southern Asia",
    "Southern Europe",
    "Sub-Saharan Africa",
    "Western Asia",
    "Western Europe",
    "Global",
    "Several",
]
RetroOrProspectivePcfType = Literal[
    "Retrospective PCF",
    "Prospective PCF without forerunner",
    "Prospective PCF of further developed product with forerunner",
    "Prospective PCF for current product for future production date",
    "Progressive PCF",
]


class _Entity(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")


class ScopeOfPcfForm(_Entity):
    specVersion: str
    partialFullPcf: Literal["Cradle-to-gate", "Cradle-to-grave"]


class CompanyInformation(_Entity):
    companyName: NonEmpty
    companyIds: UniqueStrings  # MUST contain the BPNL (aspect description)


class ProductInformation(_Entity):
    productNameCompany: NonEmpty
    productIds: UniqueStrings  # e.g. the Industry Core manufacturerPartId
    declaredUnitOfMeasurement: DeclaredUnitOfMeasurement
    declaredUnitAmount: Annotated[Decimal, BeforeValidator(number_in), Field(gt=0), _Out]
    productMassPerDeclaredUnit: ZeroOrMore
    productClassifications: UniqueStrings | None = None
    productDescription: str | None = None


class CompanyAndProductInformation(_Entity):
    companyInformation: tuple[CompanyInformation, ...] | None = None
    productInformation: tuple[ProductInformation, ...] | None = None


class DataSourcesAndQuality(_Entity):
    primaryDataShare: Percent | None = None
    secondaryEmissionFactorSources: UniqueStrings | None = None
    technologicalDQR: Rating | None = None
    temporalDQR: Rating | None = None
    geographicalDQR: Rating | None = None


class Technology(_Entity):
    ccsTechnologicalCO2CaptureIncluded: StrictBool
    boundaryProcessesDescription: str | None = None


class PrecedingPfId(_Entity):
    # 9.0.0's SAMM entity lost the `id` property 8.0.0 had (its own example writes `[{}]`); battrace keeps
    # writing 8.0.0's `{"id": ...}`, which the 9.0.0 schema admits (no additionalProperties: false).
    id: Annotated[str, Field(pattern=rf"^(urn:uuid:)?{_UUID}$")] | None = None


class IdAndVersion(_Entity):
    id: Annotated[str, Field(pattern=rf"(^{_UUID}$)|(^urn:uuid:{_UUID}$)")]
    version: Annotated[int, Field(ge=0)]  # "must be set to the default value 0" in Catena-X
    status: Literal["Active", "Deprecated"]
    retroOrProspectivePcfType: RetroOrProspectivePcfType
    precedingPfIds: tuple[PrecedingPfId, ...] | None = None


class BoundarySpecifications(_Entity):
    exemptedEmissionsPercent: Annotated[Decimal, BeforeValidator(number_in), Field(ge=0, le=10), _Out]
    exemptedEmissionsDescription: str | None = None


class Geography(_Entity):
    geographyRegionOrSubregion: GeographyRegionOrSubregion
    geographyCountrySubdivision: Annotated[str, Field(pattern=r"([A-Z]{2}-[A-Z0-9]{1,3}|)")] | None = None
    geographyCountry: Annotated[str, Field(pattern=r"([A-Z]{2})")] | None = None


class Time(_Entity):
    referencePeriodStart: DateTime
    referencePeriodEnd: DateTime
    created: DateTime
    validityPeriodEnd: DateTime
    validityPeriodStart: DateTime | None = None


class PcfAssessmentInformation(_Entity):
    technology: tuple[Technology, ...]
    idAndVersion: tuple[IdAndVersion, ...]
    boundarySpecifications: tuple[BoundarySpecifications, ...]
    geography: tuple[Geography, ...]
    time: tuple[Time, ...]


class VerificationAndCertificationShares(_Entity):
    programCertificationShare: Percent | None = None
    productVerificationShare3rdParty: Percent | None = None
    productVerificationShare2ndParty: Percent | None = None
    productVerificationShare1stParty: Percent | None = None


class MassBalancingInformation(_Entity):
    massBalancingUsed: StrictBool
    freeAttributionInMassBalancing: Literal["true", "false", "not applicable"]
    massBalancingCertificateScheme: NonEmpty


class Standards(_Entity):
    crossSectoralStandards: tuple[str, ...]
    productOrSectorSpecificRules: UniqueStrings


class GwpCharacterizationFactorDetails(_Entity):
    ipccCharacterizationFactors: Literal["AR5", "AR6", "AR4", "unspecified"]


class AllocationInForeground(_Entity):
    allocationWasteIncineration: Literal[
        "cut-off", "reverse cut-off", "system expansion", "polluter pays principle"
    ]
    allocationRulesDescription: str | None = None
    allocationRecycledCarbon: Literal["upstream system expansion", "cut-off"] | None = None


class PcfMethodology(_Entity):
    massBalancingInformation: tuple[MassBalancingInformation, ...]
    standards: tuple[Standards, ...]
    gwpCharacterizationFactorDetails: tuple[GwpCharacterizationFactorDetails, ...]
    allocationInForeground: tuple[AllocationInForeground, ...]


class PcfAssessmentAndMethodology(_Entity):
    dataSourcesAndQuality: tuple[DataSourcesAndQuality, ...]
    pcfAssessmentInformation: tuple[PcfAssessmentInformation, ...] | None = None
    verificationAndCertificationShares: tuple[VerificationAndCertificationShares, ...] | None = None
    pcfMethodology: tuple[PcfMethodology, ...] | None = None


class General(_Entity):
    comment: str | None = None
    pcfLegalStatement: str | None = None


class CarbonContent(_Entity):
    carbonContentTotal: ZeroOrMore | None = None
    fossilCarbonContent: ZeroOrMore | None = None
    biogenicCarbonContent: ZeroOrMore | None = None
    packagingBiogenicCarbonContent: ZeroOrMore | None = None
    recycledCarbonContent: ZeroOrMore | None = None


class ProductionStage(_Entity):
    """Cradle-to-gate emissions, kg CO2e per declared unit (= declaredUnitAmount × unit)."""

    pcfIncludingBiogenicUptake: Number
    pcfExcludingBiogenicUptake: ZeroOrMore
    fossilGhgEmissions: ZeroOrMore | None = None
    biogenicNonCO2Emissions: ZeroOrMore | None = None
    biogenicCO2Uptake: ZeroOrLess | None = None
    landUseChangeGhgEmissions: ZeroOrMore | None = None
    landManagementBiogenicCO2Emissions: ZeroOrMore | None = None
    packagingLandManagementBiogenicCO2Emissions: ZeroOrMore | None = None
    landManagementBiogenicCO2Removals: ZeroOrLess | None = None
    aircraftGhgEmissions: ZeroOrMore | None = None


class DistributionStage(_Entity):
    """Outbound transport, "reported separately from the production stage emissions" (aspect text)."""

    distributionStageIncluded: StrictBool
    distributionStagePcfIncludingBiogenicUptake: Number | None = None
    distributionStagePcfExcludingBiogenicUptake: ZeroOrMore | None = None
    distributionStageFossilGhgEmissions: ZeroOrMore | None = None
    distributionStageBiogenicNonCO2Emissions: ZeroOrMore | None = None
    distributionStageBiogenicCO2Uptake: Number | None = None
    distributionStageLandUseChangeGhgEmissions: ZeroOrMore | None = None
    distributionStageLandManagementBiogenicCO2Emissions: ZeroOrMore | None = None
    distributionStageLandManagementBiogenicCO2Removals: ZeroOrLess | None = None
    distributionStageAircraftGhgEmissions: ZeroOrMore | None = None


class PackagingStage(_Entity):
    packagingEmissionsIncluded: StrictBool
    packagingPcfIncludingBiogenicUptake: ZeroOrMore | None = None
    packagingPcfExcludingBiogenicUptake: ZeroOrMore | None = None
    packagingFossilGhgEmissions: ZeroOrMore | None = None
    packagingBiogenicNonCO2Emissions: ZeroOrMore | None = None
    packagingBiogenicCO2Uptake: ZeroOrLess | None = None
    packagingLandUseChangeGhgEmissions: ZeroOrMore | None = None
    packagingLandManagementBiogenicCO2Emissions: ZeroOrMore | None = None
    packagingLandManagementBiogenicCO2Removals: ZeroOrLess | None = None
    packagingAircraftGhgEmissions: ZeroOrMore | None = None


class ProductLifeCycleStagesAndEmissions(_Entity):
    productionStage: tuple[ProductionStage, ...]
    distributionStage: tuple[DistributionStage, ...]
    packagingStage: tuple[PackagingStage, ...]


class AttestationOfConformance(_Entity):
    attestationType: str
    standardName: str
    attestationStandard: str
    attestationOfConformanceId: str
    providerName: str
    attestationOfConformanceLink: str | None = None
    providerId: str | None = None
    completedAt: DateTime | None = None


class Pcf(_Entity):
    """The aspect `urn:samm:io.catenax.pcf:9.0.0#Pcf`."""

    scopeOfPcfForm: tuple[ScopeOfPcfForm, ...]
    companyAndProductInformation: tuple[CompanyAndProductInformation, ...]
    pcfAssessmentAndMethodology: tuple[PcfAssessmentAndMethodology, ...]
    general: tuple[General, ...]
    carbonContent: tuple[CarbonContent, ...]
    productLifeCycleStagesAndEmissions: tuple[ProductLifeCycleStagesAndEmissions, ...]
    attestationOfConformance: tuple[AttestationOfConformance, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire form; undefined properties are left out rather than written as null."""
        return self.model_dump(mode="json", exclude_none=True)


def parse_pcf(payload: bytes | str | dict[str, Any]) -> Pcf:
    """A 9.0.0 Pcf from raw JSON (read Decimal-exact) or decoded JSON; bad input raises `InvalidInput`."""
    value: Any = payload
    if isinstance(payload, bytes | str):
        try:
            value = json.loads(payload, parse_float=Decimal)
        except ValueError as error:
            raise InvalidInput(f"a Catena-X Pcf must be JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidInput("a Catena-X Pcf must be a JSON object")
    try:
        return Pcf.model_validate(value)
    except ValidationError as error:
        raise InvalidInput(f"not an io.catenax.pcf 9.0.0 Pcf: {describe(error)}") from None
