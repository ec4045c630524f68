"""The v2.3 read adapter and the v2/v3 unit conversion (PACT ADR-0036; research pcf-ouranos.md §1.4)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from battrace.apps.pcf.pact.v2 import read_v2, v2_amount_to_v3, v3_amount_to_v2
from battrace.errors import InvalidInput

from .conftest import SHARED_PCF, schema_errors

# The spec's own illustration of the unit trap: a 12 l bottle of ethanol at 1.5 kgCO2e per litre,
# 0.789 kg per litre. In v3 the same product declares 18 kgCO2e and 9.468 kg per declared unit (12 l).
ETHANOL_V2: dict[str, Any] = {
    "id": "91715e5e-fd0b-4d1c-8fab-76290c46e6ed",
    "specVersion": "2.3.0",
    "version": 2,
    "created": "2024-03-01T00:00:00Z",
    "updated": "2024-04-01T00:00:00Z",
    "status": "Active",
    "companyName": "Example Ethanol Co",
    "companyIds": ["urn:pact:ethanol.example.com:company-id:EEC"],
    "productDescription": "Ethanol 96 %, 12 l bottle",
    "productIds": ["urn:gtin:4012345000023"],
    "productCategoryCpc": "3342",
    "productNameCompany": "Ethanol 12",
    "comment": "",
    "pcf": {
        "declaredUnit": "liter",
        "unitaryProductAmount": "12",
        "productMassPerDeclaredUnit": "0.789",
        "pCfExcludingBiogenic": "1.5",
        "pCfIncludingBiogenic": "0.25",
        "fossilGhgEmissions": "1.25",
        "fossilCarbonContent": "0",
        "biogenicCarbonContent": "0.41",
        "dLucGhgEmissions": "0.01",
        "landManagementGhgEmissions": "0.02",
        "biogenicCarbonWithdrawal": "-1.25",
        "characterizationFactors": "AR6",
        "ipccCharacterizationFactorsSources": ["AR6"],
        "crossSectoralStandardsUsed": ["GHG Protocol Product standard"],
        "crossSectoralStandards": ["GHGP Product", "PACT Methodology 2.0"],
        "boundaryProcessesDescription": "cradle to gate",
        "referencePeriodStart": "2023-01-01T00:00:00Z",
        "referencePeriodEnd": "2024-01-01T00:00:00Z",
        "geographyCountry": "FR",
        "exemptedEmissionsPercent": 1.5,
        "exemptedEmissionsDescription": "office heating",
        "packagingEmissionsIncluded": False,
        "primaryDataShare": 56.12,
        "dqi": {
            "coveragePercent": 78.0,
            "technologicalDQR": 1.6,
            "temporalDQR": 2.6,
            "geographicalDQR": 1.8,
            "completenessDQR": 1.7,
            "reliabilityDQR": 2.1,
        },
        "assurance": {
            "assurance": True,
            "coverage": "product level",
            "level": "limited",
            "providerName": "Auditor",
        },
    },
}


@pytest.fixture
def ethanol() -> dict[str, Any]:
    return copy.deepcopy(ETHANOL_V2)


def test_v3_values_are_v2_values_times_the_unitary_product_amount(ethanol: dict[str, Any]) -> None:
    pcf = read_v2(ethanol).footprint.pcf
    assert pcf.declaredUnitOfMeasurement == "liter"
    assert pcf.declaredUnitAmount == Decimal("12")
    assert pcf.pcfExcludingBiogenicUptake == Decimal("18")
    assert pcf.productMassPerDeclaredUnit == Decimal("9.468")
    assert pcf.pcfIncludingBiogenicUptake == Decimal("3")
    assert pcf.fossilGhgEmissions == Decimal("15")
    assert pcf.biogenicCO2Uptake == Decimal("-15")
    assert pcf.landUseChangeGhgEmissions == Decimal("0.12")
    assert pcf.biogenicCarbonContent == Decimal("4.92")


def test_percentages_do_not_scale_and_become_decimal_strings(ethanol: dict[str, Any]) -> None:
    written = read_v2(ethanol).footprint.to_json()["pcf"]
    assert written["primaryDataShare"] == "56.12"
    assert written["exemptedEmissionsPercent"] == "1.5"


def test_renamed_and_superseded_fields_take_their_v3_names_and_values(ethanol: dict[str, Any]) -> None:
    pf = read_v2(ethanol).footprint
    assert pf.specVersion.startswith("3.")
    assert pf.pcf.crossSectoralStandards == ("GHGP-Product", "PACT-2.0")
    assert pf.pcf.ipccCharacterizationFactors == ("AR6",)
    assert pf.productClassifications == ("urn:cpc:3342",)
    assert pf.pcf.verification is not None and pf.pcf.verification.coverage == "product level"
    assert pf.pcf.verification.providerName == "Auditor"


def test_the_legacy_standards_list_is_used_when_the_current_one_is_absent(ethanol: dict[str, Any]) -> None:
    del ethanol["pcf"]["crossSectoralStandards"]
    assert read_v2(ethanol).footprint.pcf.crossSectoralStandards == ("GHGP-Product",)


def test_what_v3_cannot_carry_is_reported_not_guessed(ethanol: dict[str, Any]) -> None:
    reading = read_v2(ethanol)
    dropped = " ".join(reading.dropped)
    for name in ("landManagementGhgEmissions", "dqi", "version", "updated", "assurance.level"):
        assert name in dropped
    assert reading.footprint.pcf.dqi is None
    assert reading.footprint.pcf.landManagementBiogenicCO2Emissions is None


def test_the_result_validates_against_the_v3_schema(ethanol: dict[str, Any], openapi: dict[str, Any]) -> None:
    assert schema_errors(openapi, "ProductFootprint", read_v2(ethanol).footprint.to_json()) == []


def test_a_v2_footprint_without_mass_needs_the_mass_from_the_caller(ethanol: dict[str, Any]) -> None:
    del ethanol["pcf"]["productMassPerDeclaredUnit"]
    with pytest.raises(InvalidInput, match="productMassPerDeclaredUnit"):
        read_v2(ethanol)
    assert read_v2(
        ethanol, mass_per_unit=Decimal("0.789")
    ).footprint.pcf.productMassPerDeclaredUnit == Decimal("9.468")


def test_a_v2_footprint_without_the_biogenic_total_is_refused_by_name(ethanol: dict[str, Any]) -> None:
    del ethanol["pcf"]["pCfIncludingBiogenic"]
    with pytest.raises(InvalidInput, match="pcfIncludingBiogenicUptake"):
        read_v2(ethanol)


@pytest.mark.parametrize("amount", ["0", "-1", "twelve", None])
def test_a_bad_unitary_product_amount_is_invalid_input(ethanol: dict[str, Any], amount: Any) -> None:
    ethanol["pcf"]["unitaryProductAmount"] = amount
    with pytest.raises(InvalidInput, match="unitaryProductAmount"):
        read_v2(ethanol)


def test_not_a_footprint_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="pcf object"):
        read_v2({"id": "x"})


def test_unit_conversion_round_trips() -> None:
    per_unit, amount = Decimal("1.5"), Decimal("12")
    assert v2_amount_to_v3(per_unit, amount) == Decimal("18")
    assert v3_amount_to_v2(v2_amount_to_v3(per_unit, amount), amount) == per_unit
    with pytest.raises(InvalidInput):
        v3_amount_to_v2(Decimal("18"), Decimal("0"))


V2_EXAMPLE = SHARED_PCF / "wbcsd-data-exchange-protocol" / "v2" / "examples" / "get-footprint-response.json"


@pytest.mark.skipif(not V2_EXAMPLE.exists(), reason="the WBCSD v2 examples live in ../shared (WBCSD licence)")
def test_the_official_v2_example_reads_as_a_schema_valid_v3_footprint(openapi: dict[str, Any]) -> None:
    raw = json.loads(Path(V2_EXAMPLE).read_text(encoding="utf-8"))["data"]
    amount = Decimal(str(raw["pcf"]["unitaryProductAmount"]))
    reading = read_v2(raw, mass_per_unit=Decimal("1"))
    assert schema_errors(openapi, "ProductFootprint", reading.footprint.to_json()) == []
    expected = Decimal(raw["pcf"]["pCfExcludingBiogenic"]) * amount
    assert reading.footprint.pcf.pcfExcludingBiogenicUptake == expected
