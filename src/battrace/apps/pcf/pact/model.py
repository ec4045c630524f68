"""PACT Tech Specs v3.0 `ProductFootprint` (openapi_v3_0.yaml, spec 3.0.4) as frozen pydantic models.

Attribute names are the spec's JSON names, so `model_dump` is the wire format. Emission values are
`decimal.Decimal` in Python and decimal *strings* on the wire (v3 types every fractional number as
`string<decimal>`); a JSON number is refused so that no value ever passes through a float. Date-times must
carry a time zone and are written in UTC with a `Z`.

Unknown properties are ignored on input (the v3 schema sets no `additionalProperties: false`, and
obsolete v2 fields such as `version` or `updated` still appear in partners' payloads); they are not
written back.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    ValidationError,
    model_validator,
)

from battrace.errors import InvalidInput

SPEC_VERSION = "3.0.0"
_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_URN = re.compile(r"^[uU][rR][nN]:")


def _decimal_in(value: Any) -> Decimal:
    # v3 §CarbonFootprint: every fractional number is `string<decimal>`; a JSON number is a v2 habit.
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("a decimal must be finite")
        return value
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise ValueError(f"expected a decimal string like '12.5', got {str(value)[:40]!r}")
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        raise ValueError(f"not a decimal: {value[:40]!r}") from None


def decimal_text(value: Decimal) -> str:
    """Fixed-point text (never `1E-7`), which is what the decimal pattern of the spec admits."""
    return format(value, "f")


def _at_least_zero(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must be ≥ 0 (PositiveOrZeroDecimal)")
    return value


def _at_most_zero(value: Decimal) -> Decimal:
    if value > 0:
        raise ValueError("must be ≤ 0 (NegativeOrZeroDecimal)")
    return value


def _above_zero(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be > 0 (PositiveNonZeroDecimal)")
    return value


def _datetime_in(value: Any) -> Any:
    # JSON carries date-times as strings; pydantic's lax mode would also take a Unix number.
    if not isinstance(value, str | datetime):
        raise ValueError(f"expected an RFC 3339 date-time string, got {type(value).__name__}")
    return value


def _utc_text(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _urn(value: str) -> str:
    if not _URN.match(value):
        raise ValueError(f"not a URN (RFC 8141): {value[:60]!r}")
    return value


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(set(values)) != len(values):
        raise ValueError("items must be unique")
    return values


_Serialised = PlainSerializer(decimal_text, return_type=str)
DecimalText = Annotated[Decimal, BeforeValidator(_decimal_in), _Serialised]
ZeroOrMore = Annotated[Decimal, BeforeValidator(_decimal_in), AfterValidator(_at_least_zero), _Serialised]
ZeroOrLess = Annotated[Decimal, BeforeValidator(_decimal_in), AfterValidator(_at_most_zero), _Serialised]
AboveZero = Annotated[Decimal, BeforeValidator(_decimal_in), AfterValidator(_above_zero), _Serialised]
DateTime = Annotated[
    AwareDatetime, BeforeValidator(_datetime_in), PlainSerializer(_utc_text, return_type=str)
]
PfId = Annotated[uuid.UUID, PlainSerializer(str, return_type=str)]
Urn = Annotated[str, AfterValidator(_urn)]
UrnSet = Annotated[tuple[Urn, ...], Field(min_length=1), AfterValidator(_unique)]
NonEmpty = Annotated[str, Field(min_length=1)]

DeclaredUnit = Literal[
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
    "piece",
    "hour",
    "megabit second",
]
RegionOrSubregion = Literal[
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
]
Status = Literal["Active", "Deprecated"]


class _Frozen(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")


class DataModelExtension(_Frozen):
    specVersion: str
    dataSchema: str
    documentation: str | None = None
    data: dict[str, Any]


class ProductOrSectorSpecificRule(_Frozen):
    operator: Literal["PEF", "EPD International", "Other"]
    ruleNames: Annotated[tuple[NonEmpty, ...], Field(min_length=1), AfterValidator(_unique)]
    otherOperatorName: NonEmpty | None = None


class EmissionFactorSource(_Frozen):
    name: NonEmpty
    version: NonEmpty


class DataQualityIndicators(_Frozen):
    """v3.0: three DQRs, each 1–5 (coverage, completeness and reliability of v2 are gone)."""

    technologicalDQR: DecimalText
    geographicalDQR: DecimalText
    temporalDQR: DecimalText


class Verification(_Frozen):
    coverage: Literal["PCF calculation model", "PCF program", "product level"] | None = None
    providerName: str | None = None
    completedAt: DateTime | None = None
    standardName: str | None = None
    comments: str | None = None


class CarbonFootprint(_Frozen):
    """Emission values in kgCO2e per declared unit = `declaredUnitAmount` × `declaredUnitOfMeasurement`."""

    declaredUnitOfMeasurement: DeclaredUnit
    declaredUnitAmount: AboveZero
    productMassPerDeclaredUnit: ZeroOrMore
    referencePeriodStart: DateTime
    referencePeriodEnd: DateTime
    geographyRegionOrSubregion: RegionOrSubregion | None = None
    geographyCountry: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    geographyCountrySubdivision: Annotated[str, Field(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")] | None = None
    boundaryProcessesDescription: str | None = None
    pcfExcludingBiogenicUptake: DecimalText
    pcfIncludingBiogenicUptake: DecimalText
    fossilCarbonContent: ZeroOrMore
    biogenicCarbonContent: ZeroOrMore | None = None
    recycledCarbonContent: ZeroOrMore | None = None
    fossilGhgEmissions: ZeroOrMore
    landUseChangeGhgEmissions: ZeroOrMore | None = None
    landCarbonLeakage: ZeroOrMore | None = None
    landManagementFossilGhgEmissions: ZeroOrMore | None = None
    landManagementBiogenicCO2Emissions: ZeroOrMore | None = None
    landManagementBiogenicCO2Removals: ZeroOrLess | None = None
    biogenicCO2Uptake: ZeroOrLess | None = None
    biogenicNonCO2Emissions: ZeroOrMore | None = None
    landAreaOccupation: ZeroOrMore | None = None
    aircraftGhgEmissions: ZeroOrMore | None = None
    packagingEmissionsIncluded: StrictBool | None = None
    packagingGhgEmissions: ZeroOrMore | None = None
    packagingBiogenicCarbonContent: ZeroOrMore | None = None
    outboundLogisticsGhgEmissions: ZeroOrMore | None = None
    ccsTechnologicalCO2CaptureIncluded: StrictBool | None = None
    ccsTechnologicalCO2Capture: ZeroOrLess | None = None
    technologicalCO2CaptureOrigin: str | None = None
    technologicalCO2Removals: ZeroOrLess | None = None
    ccuCarbonContent: ZeroOrMore | None = None
    ccuCalculationApproach: Literal["Cut-off", "Credit"] | None = None
    ccuCreditCertification: str | None = None
    ipccCharacterizationFactors: Annotated[
        tuple[Annotated[str, Field(pattern=r"^AR\d+$")], ...], Field(min_length=1), AfterValidator(_unique)
    ]
    # An open enumeration (ISO14067, GHGP-Product, PACT-3.0, …): the spec says unknown values are accepted.
    crossSectoralStandards: Annotated[tuple[NonEmpty, ...], Field(min_length=1), AfterValidator(_unique)]
    productOrSectorSpecificRules: (
        Annotated[tuple[ProductOrSectorSpecificRule, ...], Field(min_length=1)] | None
    ) = None
    exemptedEmissionsPercent: ZeroOrMore
    exemptedEmissionsDescription: str | None = None
    allocationRulesDescription: str | None = None
    secondaryEmissionFactorSources: (
        Annotated[tuple[EmissionFactorSource, ...], Field(min_length=1)] | None
    ) = None
    primaryDataShare: ZeroOrMore | None = None
    dqi: DataQualityIndicators | None = None
    verification: Verification | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CarbonFootprint:
        if len(self.geographies()) > 1:
            raise ValueError(
                "at most one of geographyRegionOrSubregion, geographyCountry, geographyCountrySubdivision"
            )
        if self.packagingGhgEmissions is not None and self.packagingEmissionsIncluded is not True:
            raise ValueError(
                "packagingGhgEmissions MUST be undefined unless packagingEmissionsIncluded is true"
            )
        if self.referencePeriodEnd <= self.referencePeriodStart:
            raise ValueError("referencePeriodEnd must be after referencePeriodStart")
        return self

    def geographies(self) -> tuple[str, ...]:
        values = [self.geographyRegionOrSubregion, self.geographyCountry, self.geographyCountrySubdivision]
        return tuple(v for v in values if v is not None)


class ProductFootprint(_Frozen):
    """A PACT v3 product footprint. Immutable: a change is a new footprint listing this `id` as preceding."""

    id: PfId
    specVersion: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+(-\d{8})?$")]
    precedingPfIds: Annotated[tuple[PfId, ...], Field(min_length=1), AfterValidator(_unique)] | None = None
    created: DateTime
    status: Status
    validityPeriodStart: DateTime | None = None
    validityPeriodEnd: DateTime | None = None
    companyName: NonEmpty
    companyIds: UrnSet
    productDescription: str
    productIds: UrnSet
    productClassifications: UrnSet | None = None
    productNameCompany: NonEmpty
    comment: str | None = None
    pcf: CarbonFootprint
    extensions: tuple[DataModelExtension, ...] | None = None

    @model_validator(mode="after")
    def _validity(self) -> ProductFootprint:
        start, end = self.validityPeriodStart, self.validityPeriodEnd
        if start is not None and end is not None and end <= start:
            raise ValueError("validityPeriodEnd must be after validityPeriodStart")
        return self

    def to_json(self) -> dict[str, Any]:
        """The wire form: undefined properties are left out rather than written as null."""
        return self.model_dump(mode="json", exclude_none=True)


def parse_footprint(value: Any) -> ProductFootprint:
    """Validate decoded JSON as a v3 ProductFootprint; bad input raises `InvalidInput` naming the field."""
    if not isinstance(value, dict):
        raise InvalidInput("a ProductFootprint must be a JSON object")
    try:
        return ProductFootprint.model_validate(value)
    except ValidationError as error:
        raise InvalidInput(f"not a PACT v3 ProductFootprint: {describe(error)}") from None


def describe(error: ValidationError) -> str:
    """Pydantic's errors as `path: message; …` (first five), without echoing whole payloads back."""
    parts = []
    for item in error.errors()[:5]:
        path = "/".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{path}: {item['msg']}")
    more = error.error_count() - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
