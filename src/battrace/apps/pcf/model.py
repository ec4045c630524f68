"""The shapes of a product carbon footprint: stages, data quality, the full result and what is disclosed.

Numbers are ``decimal.Decimal`` throughout, in kg CO2e per **one** unit of the declared unit (the notes'
§1.4: store intensity per unit of measure; a PACT v3 adapter multiplies by ``declaredUnitAmount``). Why
Decimal and not float: PACT v3 carries every emission value as a decimal *string* and Ouranos computes with
decimal.js, so a roll-up must reproduce a supplier's figures digit for digit; sums of Decimals are exact, so a
hand-checked total is checked exactly and the SHA-256 of a result does not depend on summation order.
Shares and ratings (divisions) are rounded to 5 decimals, as Ouranos rounds its DQR (§4.3).
Pure module: no I/O.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

from battrace.errors import InvalidInput

# One arithmetic context for every computation here, whatever the caller set globally: the same inputs give
# the same digits (and so the same hash) in every process.
CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)
RATIO_PLACES = Decimal("0.00001")  # Ouranos rounds DQR to 5 decimals (sample app lib/utils.ts)


def decimal_text(value: Decimal) -> str:
    """PACT v3 ``Decimal``: ``^[+-]?\\d+(\\.\\d+)?$`` — never exponent notation, no trailing dot."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def canonical_bytes(value: object) -> bytes:
    """RFC 8785 (JCS) canonical JSON of documents made only of objects, arrays, strings, booleans, null and
    integers, with keys in the Basic Multilingual Plane — which is what every document here is (decimals are
    strings). For those, sorted keys, no whitespace and ``ensure_ascii=False`` give JCS's exact bytes (same
    escapes, same key order); the stdlib encoder is an order of magnitude faster than a general JCS encoder,
    which matters when a roll-up hashes 100 000 disclosures. Tests compare both."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return CONTEXT.divide(numerator, denominator).quantize(RATIO_PLACES, context=CONTEXT)


Number = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str, when_used="json")]
Rating = Annotated[
    Decimal, Field(ge=1, le=5), PlainSerializer(decimal_text, return_type=str, when_used="json")
]
Percent = Annotated[
    Decimal, Field(ge=0, le=100), PlainSerializer(decimal_text, return_type=str, when_used="json")
]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

# PACT v3 CarbonFootprint.declaredUnitOfMeasurement (openapi_v3_0.yaml), spelled exactly as there
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


class Stage(StrEnum):
    """The life-cycle stages of Reg. (EU) 2023/1542 Annex II (use stage excluded). Ouranos ``pre*`` maps to
    RAW_MATERIAL and ``main*`` to PRODUCTION (notes §8)."""

    RAW_MATERIAL = "raw_material_acquisition_and_pre_processing"
    PRODUCTION = "main_product_production"
    DISTRIBUTION = "distribution"
    END_OF_LIFE = "end_of_life_and_recycling"


STAGES: tuple[Stage, ...] = tuple(Stage)


class DQR(BaseModel):
    """Data-quality ratings on the PEF scale 1 (best) to 5: Ouranos ``dqrValue`` {TeR, GeR, TiR}; the same
    three ratings are PACT v3 ``dqi`` {technologicalDQR, geographicalDQR, temporalDQR}, also 1-5 (notes §4.4;
    PACT v2 used 1-3 and is not mapped here)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    TeR: Rating
    GeR: Rating
    TiR: Rating

    @property
    def average(self) -> Decimal:
        """Ouranos DQR = (TeR + GeR + TiR) / 3 (PEF adds P and divides by 4; Ouranos leaves P out)."""
        return ratio(self.TeR + self.GeR + self.TiR, Decimal(3))

    def pact_dqi(self) -> dict[str, str]:
        """PACT v3 ``DataQualityIndicators`` (all three required, decimal strings)."""
        return {
            "technologicalDQR": decimal_text(self.TeR),
            "geographicalDQR": decimal_text(self.GeR),
            "temporalDQR": decimal_text(self.TiR),
        }


class FactorSource(BaseModel):
    """PACT ``EmissionFactorSource`` {name, version}: a secondary data source used."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)


class Granularity(StrEnum):
    """What a supplier discloses to one recipient; each level includes the ones before it."""

    TOTAL = "total"
    DATA_QUALITY = "data_quality"  # + DQR (Ouranos and PACT weighting), primary-data share, factor sources
    STAGES = "stages"  # + the Annex II stage split
    OWN_SPLIT = "own_split"  # + own/purchased split and the digests of the inputs used

    def includes(self, other: Granularity) -> bool:
        return _RANK[self] >= _RANK[other]


_RANK = {level: rank for rank, level in enumerate(Granularity)}


class _Common(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    product_id: str = Field(min_length=1)  # a URN, as PACT productIds
    declared_unit: DeclaredUnit
    total: Number  # kg CO2e per 1 declared unit (PACT pcfExcludingBiogenicUptake / declaredUnitAmount)
    reference_period_start: AwareDatetime  # inclusive (PACT referencePeriodStart)
    reference_period_end: AwareDatetime  # exclusive


class Footprint(_Common):
    """A node's full result. It stays with the node: only a ``Disclosure`` of it leaves the company."""

    # None fields have defaults: a node keeps its result without them (model_dump(exclude_none=True))
    stages: dict[Stage, Number] | None = None  # None when an input's total could not be placed in a stage
    own: Number  # own emissions (activity data x factors)
    purchased: Number  # sum of amount x supplier total
    dqr: DQR | None = None  # Ouranos: weighted by emissions over every contribution with a known DQR
    dqr_coverage: Percent  # share of the total whose DQR is known (the rest is left out of ``dqr``)
    pact_dqi: DQR | None = None  # PACT: the same weighting over contributions above 5 % of the total only
    pact_dqi_coverage: Percent  # PACT "coverage": share of the total those contributions make up
    primary_data_share: Percent  # PACT primaryDataShare (undisclosed supplier shares count as 0)
    factor_sources: tuple[FactorSource, ...]  # PACT secondaryEmissionFactorSources
    inputs: tuple[Sha256, ...]  # SHA-256 of every input used: own activity data, each supplier payload


class Disclosure(_Common):
    """What one recipient receives; fields beyond the granted granularity are absent (None)."""

    granularity: Granularity
    dqr: DQR | None = None
    pact_dqi: DQR | None = None
    dqr_coverage: Percent | None = None
    pact_dqi_coverage: Percent | None = None
    primary_data_share: Percent | None = None
    factor_sources: tuple[FactorSource, ...] | None = None
    stages: dict[Stage, Number] | None = None
    own: Number | None = None
    purchased: Number | None = None
    inputs: tuple[Sha256, ...] | None = None


def check_period(start: datetime, end: datetime) -> None:
    """PACT: referencePeriodStart is inclusive, referencePeriodEnd exclusive, so start < end."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("reference period bounds must carry a time zone (UTC)")
    if not start < end:
        raise InvalidInput(f"reference period start {start} must be before its end {end}")
