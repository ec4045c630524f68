"""Read a PACT v2.3 (also 2.0–2.2) ProductFootprint into the v3 model, converting the amounts (ADR-0036).

The unit trap (PACT v3 §CarbonFootprint, ADR-0036; research pcf-ouranos.md §1.4):

* v2: emission values are per **one** `declaredUnit`; the product contains `unitaryProductAmount` of them.
* v3: emission values are per **declared unit** = `declaredUnitAmount` × `declaredUnitOfMeasurement`.

So v3 value = v2 value × unitaryProductAmount, for every per-declared-unit quantity (emissions, carbon
contents, mass); percentages (primaryDataShare, exemptedEmissionsPercent) do not scale.

What v3 has no place for, or defines differently, is not guessed: it is listed in `V2Reading.dropped`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from battrace.apps.pcf.pact.model import SPEC_VERSION, ProductFootprint, decimal_text, parse_footprint
from battrace.errors import InvalidInput

# v2 name → v3 name of every per-declared-unit quantity (scaled by unitaryProductAmount).
SCALED = {
    "pCfExcludingBiogenic": "pcfExcludingBiogenicUptake",
    "pCfIncludingBiogenic": "pcfIncludingBiogenicUptake",
    "fossilGhgEmissions": "fossilGhgEmissions",
    "fossilCarbonContent": "fossilCarbonContent",
    "biogenicCarbonContent": "biogenicCarbonContent",
    "dLucGhgEmissions": "landUseChangeGhgEmissions",
    "iLucGhgEmissions": "landCarbonLeakage",
    "biogenicCarbonWithdrawal": "biogenicCO2Uptake",
    "aircraftGhgEmissions": "aircraftGhgEmissions",
    "packagingGhgEmissions": "packagingGhgEmissions",
    "productMassPerDeclaredUnit": "productMassPerDeclaredUnit",
}
COPIED = (
    "referencePeriodStart",
    "referencePeriodEnd",
    "geographyRegionOrSubregion",
    "geographyCountry",
    "geographyCountrySubdivision",
    "boundaryProcessesDescription",
    "exemptedEmissionsDescription",
    "packagingEmissionsIncluded",
    "allocationRulesDescription",
    "secondaryEmissionFactorSources",
    "productOrSectorSpecificRules",
)
PERCENT = ("exemptedEmissionsPercent", "primaryDataShare")
# Not carried over, and why.
DROPPED = {
    "landManagementGhgEmissions": "v3 splits it into fossil emissions, biogenic CO2 emissions and removals",
    "otherBiogenicGhgEmissions": "no v3 counterpart with the same definition",
    "biogenicAccountingMethodology": "removed in v3",
    "uncertaintyAssessmentDescription": "removed in v3",
    "dqi": "v2 rates DQRs 1–3 with five indicators, v3 1–5 with three; the scales are not convertible",
    "characterizationFactors": "superseded by ipccCharacterizationFactors",
    "crossSectoralStandardsUsed": "superseded by crossSectoralStandards",
}
_STANDARDS_V2 = {"GHGP Product": "GHGP-Product"}
_STANDARDS_USED = {
    "GHG Protocol Product standard": "GHGP-Product",
    "ISO Standard 14067": "ISO14067",
    "ISO Standard 14044": "ISO14040-44",
}


@dataclass(frozen=True)
class V2Reading:
    footprint: ProductFootprint
    dropped: tuple[str, ...]


def v2_amount_to_v3(value: Decimal, unitary_product_amount: Decimal) -> Decimal:
    """A v2 per-unit value as the v3 per-declared-unit value."""
    return value * unitary_product_amount


def v3_amount_to_v2(value: Decimal, declared_unit_amount: Decimal) -> Decimal:
    """A v3 per-declared-unit value as the v2 per-unit value (the intensity per one unit of measure)."""
    if declared_unit_amount <= 0:
        raise InvalidInput("declaredUnitAmount must be > 0")
    return value / declared_unit_amount


def read_v2(pf: Any, *, mass_per_unit: Decimal | None = None) -> V2Reading:
    """A v2.x ProductFootprint (decoded JSON) as a v3 one.

    v3 requires `productMassPerDeclaredUnit`, v2 does not: when the v2 footprint lacks it, the caller must say
    what the mass of one declared unit is (`mass_per_unit`, kg per one v2 unit; 0 for energy or services).
    """
    if not isinstance(pf, dict) or not isinstance(pf.get("pcf"), dict):
        raise InvalidInput("a v2 ProductFootprint must be a JSON object with a pcf object")
    dropped = [f"pcf.{name} ({why})" for name, why in DROPPED.items() if name in pf["pcf"]]
    dropped += [f"{name} (removed in v3)" for name in ("version", "updated", "statusComment") if name in pf]
    v3 = _header(pf)
    v3["pcf"] = _carbon_footprint(pf["pcf"], mass_per_unit, dropped)
    return V2Reading(parse_footprint(v3), tuple(dropped))


def _header(pf: dict[str, Any]) -> dict[str, Any]:
    names: tuple[str, ...] = ("id", "precedingPfIds", "created", "status", "validityPeriodStart")
    names += ("validityPeriodEnd", "companyName", "companyIds", "productDescription", "productIds")
    names += ("productNameCompany", "comment", "extensions")
    v3 = {name: pf[name] for name in names if pf.get(name) is not None}
    v3["specVersion"] = SPEC_VERSION
    classifications = list(pf.get("productClassifications") or [])
    cpc = pf.get("productCategoryCpc")
    # v2.3 deprecated productCategoryCpc for productClassifications; keep it as a `urn:cpc:` classification.
    if (
        isinstance(cpc, str)
        and cpc
        and f"urn:cpc:{cpc}".casefold() not in {c.casefold() for c in classifications}
    ):
        classifications.append(f"urn:cpc:{cpc}")
    if classifications:
        v3["productClassifications"] = classifications
    return v3


def _carbon_footprint(
    pcf: dict[str, Any], mass_per_unit: Decimal | None, dropped: list[str]
) -> dict[str, Any]:
    amount = _decimal(pcf.get("unitaryProductAmount"), "unitaryProductAmount")
    if amount <= 0:
        raise InvalidInput("pcf.unitaryProductAmount must be > 0")
    values = {name: pcf[name] for name in COPIED if pcf.get(name) is not None}
    values["declaredUnitOfMeasurement"] = pcf.get("declaredUnit")
    values["declaredUnitAmount"] = decimal_text(amount)
    if pcf.get("productMassPerDeclaredUnit") is None:
        if mass_per_unit is None:
            raise InvalidInput(
                "v3 requires productMassPerDeclaredUnit; the v2 footprint has none: pass mass_per_unit"
            )
        pcf = {**pcf, "productMassPerDeclaredUnit": decimal_text(mass_per_unit)}
    for v2_name, v3_name in SCALED.items():
        if pcf.get(v2_name) is not None:
            values[v3_name] = decimal_text(v2_amount_to_v3(_decimal(pcf[v2_name], v2_name), amount))
    for name in PERCENT:
        if pcf.get(name) is not None:
            values[name] = decimal_text(_decimal(pcf[name], name))
    values["ipccCharacterizationFactors"] = _ipcc(pcf)
    values["crossSectoralStandards"] = _standards(pcf)
    verification = _verification(pcf.get("assurance"), dropped)
    if verification:
        values["verification"] = verification
    return values


def _decimal(value: Any, name: str) -> Decimal:
    # v2 has decimal strings for emissions and JSON numbers for percentages; never go through binary floats
    # beyond what the JSON decoder already did (str() of a float is its shortest round-trip text).
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"pcf.{name} must be a decimal, got {str(value)[:40]!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"pcf.{name} must be a decimal, got {str(value)[:40]!r}") from None
    if not result.is_finite():
        raise InvalidInput(f"pcf.{name} must be finite")
    return result


def _ipcc(pcf: dict[str, Any]) -> list[str]:
    sources = pcf.get("ipccCharacterizationFactorsSources")
    if isinstance(sources, list) and sources:
        return [str(s) for s in sources]
    legacy = pcf.get("characterizationFactors")
    if isinstance(legacy, str) and legacy:
        return [legacy]
    raise InvalidInput("pcf.ipccCharacterizationFactorsSources (or characterizationFactors) is required")


def _standards(pcf: dict[str, Any]) -> list[str]:
    current = pcf.get("crossSectoralStandards")
    if isinstance(current, list) and current:
        return list(dict.fromkeys(_standard_v3(str(s)) for s in current))
    legacy = pcf.get("crossSectoralStandardsUsed")
    if isinstance(legacy, list) and legacy:
        return list(dict.fromkeys(_STANDARDS_USED.get(str(s), str(s)) for s in legacy))
    raise InvalidInput("pcf.crossSectoralStandards (or crossSectoralStandardsUsed) is required")


def _standard_v3(name: str) -> str:
    if name.startswith("PACT Methodology "):
        return "PACT-" + name.removeprefix("PACT Methodology ")
    return _STANDARDS_V2.get(name, name)


def _verification(assurance: Any, dropped: list[str]) -> dict[str, Any] | None:
    """v2 `assurance` → v3 `verification`; only `product level` coverage has the same name in both."""
    if not isinstance(assurance, dict) or assurance.get("assurance") is not True:
        return None
    names = ("providerName", "completedAt", "standardName", "comments")
    verification = {name: assurance[name] for name in names if assurance.get(name) is not None}
    coverage = assurance.get("coverage")
    if coverage == "product level":
        verification["coverage"] = coverage
    elif coverage is not None:
        dropped.append(f"pcf.assurance.coverage ({coverage!r} has no v3 equivalent)")
    for name in ("level", "boundary"):
        if assurance.get(name) is not None:
            dropped.append(f"pcf.assurance.{name} (removed in v3)")
    return verification
