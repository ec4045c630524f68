"""Mapping between our flat passport values and the Battery Pass consortium data model.

Model: Battery Pass data model **1.2.0** (github.com/batterypass/BatteryPassDataModel, SAMM 2.1.0, aligned to
DIN DKE SPEC 99100:2025-02), all seven aspects (:data:`ASPECT_URNS`): Circularity, SupplyChainDueDiligence,
GeneralProductInformation, CarbonFootprintForBatteries, Labeling (folder ``Labels``), MaterialComposition and
PerformanceAndDurability **1.2.1** (idle temperature range as {minimum, maximum}). Property names keep the
model's spelling (``thirdPartyAussurances``, ``supplyChainIndicies``, ``batteryTechicalProperties``).
Notes: shared/research/battery-passport.md §4.1, §4.4, §4.5.

Our side is the flat representation of :mod:`battrace.passport.attributes` / :mod:`battrace.passport.checks`
(percentages 0-100 as a number or ``{"value": n, "unit": "%"}``, documents as link strings).

Rules:

* Export (``to_batterypass``) raises :class:`InvalidInput` when a value cannot be represented (``attribute``
  names it) and when a field the aspect requires has no source value (``missing`` names our attribute keys,
  ``from_base`` the paths the base document must give). Nothing is invented.
* ``sparePartSources`` and ``dismantlingAndRemovalInformation`` are required arrays of structured entries
  (supplier address, e-mail, MIME type...) that our catalogue does not hold (``spare_part_sources`` is free
  text, ``dismantling_information`` a single link): they are emitted empty and are not exported
  (:data:`NOT_EXPORTED`); on import their content is reported in ``ImportResult.unmapped``.
* Import (``from_batterypass``) takes what maps; a schema-valid but semantically wrong value (a percentage
  outside 0-100, pre- plus post-consumer share above 100 %, a duplicated material, a document link that is not
  an http(s) URL) is reported as a :class:`Flag` naming the document path and is not imported. Every leaf of
  the document is either imported, flagged or listed as unmapped: nothing is dropped silently.
* Conversions (notes §4.4): statuses ``Reused`` <-> ``re-used``, category ``stationary`` <->
  ``stationary_storage``; date-times are read as their calendar date and written at midnight UTC (a YYYY-MM
  month is not representable); ``ratedMaximumPower`` kW <-> our W, ``absoluteCarbonFootprint`` kg <-> our t;
  life-cycle stage footprints (kg CO2e/kWh) <-> our shares (%) of ``batteryCarbonFootprint``; dynamic
  ``{<name>Value, lastUpdate}`` <-> our ``{"value", "unit", "measured_at"}``. Unit defects of the model
  (remainingCapacity in kWh, power capabilities in %) are not mapped.
* ``current_ohmic_resistance`` (Annex VII Part A(5), Ω) has no counterpart: PerformanceAndDurability 1.2.1
  holds the initial resistance and its increase in %, not the current value
  (``CurrentInternalResistanceValue`` is only the type name of the increase list).
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from battrace.errors import InvalidInput
from battrace.passport.attributes import attribute
from battrace.passport.checks import check_value
from battrace.passport.mapping.common import SEGMENT, Flag, ImportResult, leaves, put

MODEL_VERSION = "1.2.0"
CIRCULARITY = "Circularity"
CIRCULARITY_URN = f"urn:samm:io.BatteryPass.Circularity:{MODEL_VERSION}#Circularity"
SUPPLY_CHAIN = "SupplyChainDueDiligence"
SUPPLY_CHAIN_URN = f"urn:samm:io.BatteryPass.SupplyChainDueDiligence:{MODEL_VERSION}#SupplyChainDueDiligence"

# Annex XIII 1(e) / Art. 8(1) metals as the Battery Pass ``RecycledMaterial`` enum spells them.
_METALS = {"Nickel": "nickel", "Cobalt": "cobalt", "Lithium": "lithium", "Lead": "lead"}

# Our attributes the Circularity aspect cannot carry (see module docstring).
NOT_EXPORTED = ("spare_part_sources", "dismantling_information")

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_WEB = re.compile(r"^https?://\S+$", re.IGNORECASE)
_SEGMENT = SEGMENT


@dataclass(frozen=True)
class Rule:
    """One row of the mapping table: our key <-> Battery Pass path, with the value converters."""

    key: str
    path: str  # dotted path; "list[field=Value]" selects the list entry whose field equals Value
    # "percentage" | "link" | "text_list" | "link_list" | "number_text" | "number" | "text" | "date_time"
    # | "choice" | "dynamic" | "stage_share"
    kind: str
    time: str | None = None  # "dynamic": path of the value's ``lastUpdate``
    scale: float = 1.0  # ours = theirs * scale (e.g. kW -> W)
    choices: tuple[tuple[str, str], ...] = ()  # "choice": (ours, theirs) pairs


# Mapping table, Battery Pass 1.2.0 Circularity aspect (paths from Circularity-schema.json).
CIRCULARITY_RULES: tuple[Rule, ...] = (
    Rule("renewable_content_share", "renewableContent", "percentage"),
    *(
        Rule(
            f"{stage}_consumer_recycled_{ours}_share",
            f"recycledContent[recycledMaterial={bp}].{stage}ConsumerShare",
            "percentage",
        )
        for bp, ours in _METALS.items()
        for stage in ("pre", "post")
    ),
    Rule("safety_measures", "safetyMeasures.safetyInstructions", "link"),
    Rule("extinguishing_agent", "safetyMeasures.extinguishingAgent", "text_list"),
    Rule("end_user_waste_prevention", "endOfLifeInformation.wastePrevention", "link"),
    Rule("end_user_separate_collection", "endOfLifeInformation.separateCollection", "link"),
    Rule("collection_second_life_treatment", "endOfLifeInformation.informationOnCollection", "link"),
)  # fmt: skip

# Required groups: a group is emitted only when all of its keys are known (the schema requires every field).
_REQUIRED_GROUPS: tuple[tuple[str, ...], ...] = (
    ("renewable_content_share",),
    ("safety_measures", "extinguishing_agent"),
    ("end_user_waste_prevention", "end_user_separate_collection", "collection_second_life_treatment"),
)
_OPTIONAL_PAIRS = tuple(
    (f"pre_consumer_recycled_{ours}_share", f"post_consumer_recycled_{ours}_share")
    for ours in _METALS.values()
)
_TEXT_LIST_SEPARATOR = "; "

# Mapping table, Battery Pass 1.2.0 SupplyChainDueDiligence aspect (SupplyChainDueDiligence-schema.json).
# Our third_party_assurances is a list; the model holds one URI: exactly one link is representable.
# Our supply_chain_indices is text; the model holds a number: only a numeric text is representable.
SUPPLY_CHAIN_RULES: tuple[Rule, ...] = (
    Rule("due_diligence_report", "supplyChainDueDiligenceReport", "link"),
    Rule("third_party_assurances", "thirdPartyAussurances", "link_list"),
    Rule("supply_chain_indices", "supplyChainIndicies", "number_text"),
)
_SUPPLY_CHAIN_REQUIRED = ("due_diligence_report",)


def _invalid(key: str, message: str) -> InvalidInput:
    return InvalidInput(f"{key}: {message}", reason="batterypass_unrepresentable", attribute=key)


# --- export -------------------------------------------------------------------------------------------


def _export_value(rule: Rule, value: object) -> object:
    check_value(rule.key, value)
    if rule.kind == "percentage":
        number = value.get("value") if isinstance(value, Mapping) else value
        assert isinstance(number, int | float)  # check_value guarantees it
        return number
    if rule.kind == "link_list":
        assert isinstance(value, list)
        if len(value) != 1 or not _URI.match(value[0]):
            raise _invalid(rule.key, f"the Battery Pass model holds exactly one URI here, got {value!r}")
        return value[0]
    assert isinstance(value, str)
    if rule.kind == "number_text":
        try:
            number = float(value)
        except ValueError:
            raise _invalid(rule.key, f"the Battery Pass model holds a number here, got {value!r}") from None
        if not math.isfinite(number):
            raise _invalid(rule.key, f"the Battery Pass model holds a finite number here, got {value!r}")
        return number
    if rule.kind == "link":
        if not _URI.match(value):
            raise _invalid(rule.key, f"the Battery Pass model wants a URI here, got {value!r}")
        return value
    # text_list: our single text becomes the list; the list form is split on the same separator on import
    return [part for part in (p.strip() for p in value.split(_TEXT_LIST_SEPARATOR)) if part]


def to_batterypass_circularity(values: Mapping[str, object]) -> dict[str, object]:
    """Our values -> a Battery Pass 1.2.0 ``Circularity`` document (valid against Circularity-schema.json)."""
    missing = [key for group in _REQUIRED_GROUPS for key in group if values.get(key) is None]
    for pair in _OPTIONAL_PAIRS:  # recycled content is optional per metal, but each entry needs pre and post
        known = [key for key in pair if values.get(key) is not None]
        if len(known) == 1:
            missing.extend(key for key in pair if key not in known)
    if missing:
        raise InvalidInput(
            f"Battery Pass {CIRCULARITY} {MODEL_VERSION} requires values for: {', '.join(missing)}",
            reason="batterypass_missing",
            missing=missing,
        )
    doc: dict[str, object] = {
        "dismantlingAndRemovalInformation": [],
        "sparePartSources": [],
        "recycledContent": [],
    }
    for rule in CIRCULARITY_RULES:
        value = values.get(rule.key)
        if value is not None:
            put(doc, rule.path, _export_value(rule, value))
    return doc


# --- import -------------------------------------------------------------------------------------------


def _get(doc: Mapping[str, object], path: str) -> tuple[str, object] | None:
    """(concrete path, value) for a rule path, or None when absent."""
    node: object = doc
    concrete: list[str] = []
    for segment in path.split("."):
        match = _SEGMENT.match(segment)
        assert match is not None, path
        if not isinstance(node, Mapping) or match["name"] not in node:
            return None
        node = node[match["name"]]
        concrete.append(match["name"])
        if match["sk"] is not None:
            if not isinstance(node, list):
                return None
            hits = [
                i for i, e in enumerate(node)
                if isinstance(e, Mapping) and e.get(match["sk"]) == match["sv"]
            ]  # fmt: skip
            if not hits:
                return None
            concrete[-1] += f"[{hits[0]}]"
            node = node[hits[0]]
    return ".".join(concrete), node


def _import_value(rule: Rule, path: str, value: object) -> tuple[object, Flag | None]:
    if rule.kind == "percentage":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100
        return value, None if ok else Flag(path, rule.key, "percentage_range", value)
    if rule.kind in ("link", "link_list"):
        ok = isinstance(value, str) and bool(_WEB.match(value))
        imported = [value] if rule.kind == "link_list" else value
        return imported, None if ok else Flag(path, rule.key, "document_link_not_web", value)
    if rule.kind == "number_text":
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return repr(float(value)), None
        return value, Flag(path, rule.key, "kind_number", value)
    ok = isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)
    if not ok:
        return value, Flag(path, rule.key, "text_list", value)
    assert isinstance(value, list)
    return _TEXT_LIST_SEPARATOR.join(v.strip() for v in value), None


def _recycled_content_flags(doc: Mapping[str, object]) -> list[Flag]:
    entries = doc.get("recycledContent")
    flags: list[Flag] = []
    seen: set[object] = set()
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, Mapping):
            continue
        material = entry.get("recycledMaterial")
        ours = _METALS.get(str(material), str(material))
        if material in seen:
            flags.append(
                Flag(f"recycledContent[{index}]", f"recycled_{ours}", "duplicate_material", material)
            )
            continue
        seen.add(material)
        pre, post = entry.get("preConsumerShare"), entry.get("postConsumerShare")
        if isinstance(pre, int | float) and isinstance(post, int | float) and pre + post > 100:
            for stage, value in (("pre", pre), ("post", post)):
                flags.append(
                    Flag(
                        f"recycledContent[{index}].{stage}ConsumerShare",
                        f"{stage}_consumer_recycled_{ours}_share",
                        "recycled_shares_exceed_100",
                        value,
                    )
                )
    return flags


def _from_circularity(doc: Mapping[str, object]) -> ImportResult:
    flags = _recycled_content_flags(doc)
    flagged = {flag.path for flag in flags}
    consumed: set[str] = set()
    values: dict[str, object] = {}
    for rule in CIRCULARITY_RULES:
        found = _get(doc, rule.path)
        if found is None:
            continue
        path, raw = found
        consumed.add(path)
        if "[" in path:  # the selector field of the list entry is consumed with the value
            consumed.add(path.rsplit(".", 1)[0] + ".recycledMaterial")
        if path in flagged:
            continue
        value, flag = _import_value(rule, path, raw)
        if flag is not None:
            flags.append(flag)
            flagged.add(path)
        else:
            values[rule.key] = value
    duplicate_prefixes = tuple(f.path + "." for f in flags if f.reason == "duplicate_material")
    unmapped = tuple(
        leaf
        for leaf in leaves(doc, "")
        if leaf not in consumed and leaf not in flagged and not leaf.startswith(duplicate_prefixes)
        and leaf not in {"dismantlingAndRemovalInformation", "sparePartSources", "recycledContent"}
    )  # fmt: skip
    return ImportResult(CIRCULARITY, values, tuple(flags), unmapped)


def to_batterypass_supply_chain_due_diligence(values: Mapping[str, object]) -> dict[str, object]:
    """Our values -> a Battery Pass 1.2.0 ``SupplyChainDueDiligence`` document."""
    missing = [key for key in _SUPPLY_CHAIN_REQUIRED if values.get(key) is None]
    if missing:
        raise InvalidInput(
            f"Battery Pass {SUPPLY_CHAIN} {MODEL_VERSION} requires values for: {', '.join(missing)}",
            reason="batterypass_missing",
            missing=missing,
        )
    doc: dict[str, object] = {}
    for rule in SUPPLY_CHAIN_RULES:
        value = values.get(rule.key)
        if value is not None:
            put(doc, rule.path, _export_value(rule, value))
    return doc


def _from_supply_chain(doc: Mapping[str, object]) -> ImportResult:
    values: dict[str, object] = {}
    flags: list[Flag] = []
    consumed: set[str] = set()
    for rule in SUPPLY_CHAIN_RULES:
        found = _get(doc, rule.path)
        if found is None:
            continue
        path, raw = found
        consumed.add(path)
        value, flag = _import_value(rule, path, raw)
        if flag is not None:
            flags.append(flag)
        else:
            values[rule.key] = value
    unmapped = tuple(leaf for leaf in leaves(doc, "") if leaf and leaf not in consumed)
    return ImportResult(SUPPLY_CHAIN, values, tuple(flags), unmapped)


# --- the aspects exported onto a base document ------------------------------------------------------
# These aspects require fields our catalogue does not hold (contact addresses, a ``--MM`` warranty month,
# material masses...). As for Catena-X, they come from ``base``, an existing document of the aspect (e.g. the
# one imported): every path we map is cleared from it first, so only our values are emitted there.

GENERAL = "GeneralProductInformation"
CARBON_FOOTPRINT = "CarbonFootprintForBatteries"
LABELING = "Labeling"
MATERIAL_COMPOSITION = "MaterialComposition"
PERFORMANCE = "PerformanceAndDurability"
PERFORMANCE_VERSION = (
    "1.2.1"  # 1.2.1 has the idle temperature range as {minimum, maximum} (1.2.0: one number)
)

ASPECT_URNS: dict[str, str] = {
    CIRCULARITY: CIRCULARITY_URN,
    SUPPLY_CHAIN: SUPPLY_CHAIN_URN,
    GENERAL: f"urn:samm:io.BatteryPass.GeneralProductInformation:{MODEL_VERSION}#{GENERAL}",
    CARBON_FOOTPRINT: f"urn:samm:io.BatteryPass.CarbonFootprint:{MODEL_VERSION}#{CARBON_FOOTPRINT}",
    LABELING: f"urn:samm:io.BatteryPass.Labels:{MODEL_VERSION}#{LABELING}",
    MATERIAL_COMPOSITION: (
        f"urn:samm:io.BatteryPass.MaterialComposition:{MODEL_VERSION}#{MATERIAL_COMPOSITION}"
    ),
    PERFORMANCE: f"urn:samm:io.BatteryPass.Performance:{PERFORMANCE_VERSION}#{PERFORMANCE}",
}

# Notes §4.4: enum spellings differ; ours are the Art. 77(1) categories and Annex XIII 4(c) statuses.
_CATEGORIES = (
    ("ev", "ev"),
    ("lmt", "lmt"),
    ("industrial", "industrial"),
    ("stationary_storage", "stationary"),
)
_STATUSES = (
    ("original", "Original"),
    ("repurposed", "Repurposed"),
    ("re-used", "Reused"),
    ("remanufactured", "Remanufactured"),
    ("waste", "Waste"),
)
# GeneralProductInformation-schema.json: batteryPassportIdentifier pattern (rejects urn:uuid: with hyphens).
_BP_PASSPORT_ID = re.compile(r"^urn:[a-z0-9]+:[a-z0-9]+$")
_CF_TOTAL = "carbon_footprint_per_functional_unit"
# Art. 7(1)(e) life-cycle stages (our shares in %) <-> LifecycleStage enum (values in kg CO2e/kWh).
_CF_STAGES = (
    ("raw_material", "RawMaterialExtraction"),
    ("production", "MainProduction"),
    ("distribution", "Distribution"),
    ("end_of_life", "Recycling"),
)

GENERAL_RULES: tuple[Rule, ...] = (
    Rule("battery_identifier", "productIdentifier", "text"),
    Rule("battery_passport_identifier", "batteryPassportIdentifier", "urn_id"),
    Rule("battery_category", "batteryCategory", "choice", choices=_CATEGORIES),
    Rule("battery_status", "batteryStatus", "choice", choices=_STATUSES),
    Rule("battery_mass", "batteryMass", "number"),  # kg on both sides
    Rule("manufacturing_date", "manufacturingDate", "date_time"),
    Rule("putting_into_service_date", "puttingIntoService", "date_time"),
)
CARBON_FOOTPRINT_RULES: tuple[Rule, ...] = (
    Rule(_CF_TOTAL, "batteryCarbonFootprint", "number"),  # kg CO2e/kWh both sides; first: shares need it
    *(
        Rule(f"carbon_footprint_{ours}_share",
             f"carbonFootprintPerLifecycleStage[lifecycleStage={bp}].carbonFootprint", "stage_share")
        for ours, bp in _CF_STAGES
    ),
    Rule("carbon_footprint_performance_class", "carbonFootprintPerformanceClass", "text"),
    Rule("carbon_footprint_study_link", "carbonFootprintStudy", "link"),
    # absoluteCarbonFootprint is in kg (sic "kilogramm"), ours in t CO2e.
    Rule("absolute_carbon_footprint", "absoluteCarbonFootprint", "number", scale=0.001),
)  # fmt: skip
LABELING_RULES: tuple[Rule, ...] = (
    Rule("eu_declaration_of_conformity", "declarationOfConformity", "link"),
    Rule("compliance_test_reports", "resultOfTestReport", "link"),
    Rule("separate_collection_symbol", "labels[labelingSubject=SeparateCollection].labelingSymbol", "link"),
    Rule("cadmium_lead_symbols", "labels[labelingSubject=HazardousMaterial].labelingSymbol", "link"),
    Rule("carbon_footprint_label", "labels[labelingSubject=CarbonFootPrint].labelingSymbol", "link"),
)
# Materials and hazardous substances are entries with mass in g / a CLP class and location that our
# composition (name, CAS, share in %) does not hold: not exact, left to base and reported as unmapped.
MATERIAL_COMPOSITION_RULES: tuple[Rule, ...] = (
    Rule("battery_chemistry", "batteryChemistry.shortName", "text"),
)

_TP, _BC = "batteryTechicalProperties", "batteryCondition"  # sic, the model's spelling
_PERFORMANCE_STATIC = (
    ("rated_capacity", "ratedCapacity"),  # Ah
    ("certified_usable_energy", "ratedEnergy"),  # kWh
    ("expected_lifetime_cycles", "expectedNumberOfCycles"),
    ("initial_self_discharge_rate", "initialSelfDischarge"),
    ("initial_round_trip_efficiency", "roundtripEfficiency"),
    ("expected_lifetime_years", "expectedLifetime"),
    ("nominal_voltage", "nominalVoltage"),
    ("minimum_voltage", "minimumVoltage"),
    ("maximum_voltage", "maximumVoltage"),
    ("capacity_threshold_for_exhaustion", "capacityThresholdForExhaustion"),
    ("cycle_life_test_c_rate", "cRateLifeCycleTest"),
    ("idle_temperature_lower_boundary", "temperatureRangeIdleState.minimum"),
    ("idle_temperature_upper_boundary", "temperatureRangeIdleState.maximum"),
    ("round_trip_efficiency_at_half_cycle_life", "roundTripEfficiencyat50PerCentCycleLife"),
    ("round_trip_efficiency_fade", "roundTripEfficiencyFade"),
    ("power_fade", "powerFade"),
    # Annex XIII 1(o) "internal battery cell and pack resistance": our one value is the pack's.
    ("initial_internal_resistance", "initialInternalResistance[batteryComponent=pack].ohmicResistance"),
)
# Every batteryCondition value is {<name>Value, lastUpdate} (notes §4.1).
_PERFORMANCE_DYNAMIC = (
    ("energy_throughput", "energyThroughput"),
    ("capacity_throughput", "capacityThroughput"),
    ("full_cycles", "numberOfFullCycles"),
    ("state_of_certified_energy", "stateOfCertifiedEnergy"),
    ("capacity_fade", "capacityFade"),
    ("remaining_usable_energy", "remainingEnergy"),
    ("self_discharge_evolution", "evolutionOfSelfDischarge"),
    ("current_self_discharge_rate", "currentSelfDischargingRate"),
    ("remaining_round_trip_efficiency", "remainingRoundTripEnergyEfficiency"),
    ("state_of_charge", "stateOfCharge"),
)
# The four times at extreme temperatures share one lastUpdate.
_TEMPERATURE_TIMES = (
    ("time_above_temperature_boundary", "timeExtremeHighTemp"),
    ("time_below_temperature_boundary", "timeExtremeLowTemp"),
    ("charging_time_above_temperature_boundary", "timeExtremeHighTempCharging"),
    ("charging_time_below_temperature_boundary", "timeExtremeLowTempCharging"),
)
_PACK_INCREASE = f"{_BC}.internalResistanceIncrease[batteryComponent=pack]"
# Not mapped, unit defects of the model (notes §4.4): remainingCapacity (kWh, ours Ah),
# originalPowerCapability and remainingPowerCapability (%, ours W), powerCapabilityRatio (%, ours W/Wh);
# negativeEvents are texts, ours counts. ratedMaximumPower is kW where ours is W: converted exactly.
PERFORMANCE_RULES: tuple[Rule, ...] = (
    *(Rule(key, f"{_TP}.{name}", "number") for key, name in _PERFORMANCE_STATIC),
    Rule("maximum_permitted_power", f"{_TP}.ratedMaximumPower", "number", scale=1000.0),
    Rule("cycle_life_reference_test", f"{_TP}.lifetimeReferenceTest", "link"),
    *(
        Rule(key, f"{_BC}.{name}.{name}Value", "dynamic", time=f"{_BC}.{name}.lastUpdate")
        for key, name in _PERFORMANCE_DYNAMIC
    ),
    *(
        Rule(key, f"{_BC}.temperatureInformation.{name}", "dynamic",
             time=f"{_BC}.temperatureInformation.lastUpdate")
        for key, name in _TEMPERATURE_TIMES
    ),
    Rule("internal_resistance_increase", f"{_PACK_INCREASE}.internalResistanceIncreaseValue", "dynamic",
         time=f"{_PACK_INCREASE}.lastUpdate"),
)  # fmt: skip


@dataclass(frozen=True)
class Aspect:
    name: str
    rules: tuple[Rule, ...]
    required: tuple[str, ...]  # paths the aspect's schema requires
    empty_lists: tuple[str, ...] = ()  # required lists emitted empty when neither we nor base have entries


_CONTACT = ("manufacturerInformation", "operatorInformation", "manufacturingPlace", "warrentyPeriod")
ASPECTS: dict[str, Aspect] = {
    GENERAL: Aspect(GENERAL, GENERAL_RULES, (*(r.path for r in GENERAL_RULES), *_CONTACT)),
    CARBON_FOOTPRINT: Aspect(
        CARBON_FOOTPRINT,
        CARBON_FOOTPRINT_RULES,
        ("batteryCarbonFootprint", "carbonFootprintPerformanceClass", "carbonFootprintStudy"),
        ("carbonFootprintPerLifecycleStage",),
    ),
    LABELING: Aspect(
        LABELING, LABELING_RULES, ("declarationOfConformity", "resultOfTestReport"), ("labels",)
    ),
    MATERIAL_COMPOSITION: Aspect(
        MATERIAL_COMPOSITION,
        MATERIAL_COMPOSITION_RULES,
        ("batteryChemistry.shortName", "batteryChemistry.clearName", "batteryMaterials",
         "hazardousSubstances"),
    ),
    PERFORMANCE: Aspect(
        PERFORMANCE,
        PERFORMANCE_RULES,
        (
            *(r.path for r in PERFORMANCE_RULES if "[" not in r.path),
            *(r.time for r in PERFORMANCE_RULES if r.time and "[" not in r.time),
            *(f"{_TP}.{name}" for name in ("originalPowerCapability", "powerCapabilityRatio",
                                           "initialInternalResistance")),
            *(f"{_BC}.{name}" for name in ("remainingCapacity", "negativeEvents", "remainingPowerCapability",
                                           "internalResistanceIncrease")),
        ),
    ),
}  # fmt: skip


def _number(key: str, value: object) -> float:
    """The number of an already checked quantity (bare or {"value", "unit", ...})."""
    number = value.get("value") if isinstance(value, Mapping) else value
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise _invalid(key, f"expected a number, got {value!r}")
    return float(number)


def _timestamp(key: str, value: object) -> str:
    """The ``measured_at`` of a dynamic value (battrace.passport.lifecycle.DynamicValue), ISO 8601."""
    when = value.get("measured_at") if isinstance(value, Mapping) else None
    try:
        parsed = datetime.fromisoformat(str(when)) if isinstance(when, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _invalid(
            key,
            "Battery Pass dynamic values carry lastUpdate: give the value as "
            f'{{"value", "unit", "measured_at": <ISO 8601 date-time with offset>}}, got {value!r}',
        )
    return str(when)


def _export_other(rule: Rule, value: object, values: Mapping[str, object]) -> object:
    """Export converters of the aspects onto a base document (the older kinds: ``_export_value``)."""
    check_value(rule.key, value)
    if rule.kind == "number":
        number = _number(rule.key, value)
        return number if rule.scale == 1.0 else round(number / rule.scale, 12)
    if rule.kind == "choice":
        theirs = dict(rule.choices).get(str(value))
        if theirs is None:
            raise _invalid(rule.key, f"{value!r} has no Battery Pass {MODEL_VERSION} counterpart")
        return theirs
    if rule.kind == "urn_id" and not _BP_PASSPORT_ID.match(str(value)):
        raise _invalid(rule.key, f"Battery Pass wants urn:<a-z0-9>:<a-z0-9> (no hyphens), got {value!r}")
    if rule.kind in ("text", "urn_id"):
        return value
    if rule.kind == "date_time":
        if len(str(value)) != 10:
            raise _invalid(rule.key, f"Battery Pass needs a full date (a date-time), got the month {value!r}")
        return f"{value}T00:00:00Z"  # our dates are calendar dates: midnight UTC, read back as the same date
    if rule.kind == "dynamic":
        return _number(rule.key, value)
    if rule.kind == "stage_share":
        if values.get(_CF_TOTAL) is None:
            raise _invalid(rule.key, f"a stage share is emitted in kg CO2e/kWh: {_CF_TOTAL} is needed")
        return round(_number(rule.key, value) / 100 * _number(_CF_TOTAL, values[_CF_TOTAL]), 12)
    return _export_value(rule, value)  # link


def _selector_entry(target: dict[str, object], segment: str) -> tuple[list[object], dict[str, object]] | None:
    match = _SEGMENT.match(segment)
    assert match is not None and match["sk"] is not None, segment
    entries = target.get(match["name"])
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get(match["sk"]) == match["sv"]:
            assert isinstance(entries, list)
            return entries, entry
    return None


def _remove(doc: dict[str, object], path: str) -> None:
    """Clear a mapped path from the base document; a list entry left with only its selector goes too."""
    segments = path.split(".")
    target: object = doc
    for index, segment in enumerate(segments):
        if not isinstance(target, dict):
            return
        if index == len(segments) - 1:
            target.pop(segment, None)
        elif "[" in segment:
            found = _selector_entry(target, segment)
            if found is None:
                return
            entries, entry = found
            _remove(entry, ".".join(segments[index + 1 :]))
            if len(entry) <= 1:
                entries.remove(entry)
            return
        else:
            target = target.get(segment)


def _put_dynamic(doc: dict[str, object], rule: Rule, value: object) -> None:
    assert rule.time is not None
    when = _timestamp(rule.key, value)
    earlier = _get(doc, rule.time)
    if earlier is not None and earlier[1] != when:
        raise _invalid(
            rule.key, f"{rule.time} is shared and already {earlier[1]!r}, this value is at {when!r}"
        )
    put(doc, rule.time, when)


def _mapped_at(aspect: Aspect, path: str) -> list[str]:
    """Our keys whose rule writes ``path`` or below it."""
    return [
        rule.key
        for rule in aspect.rules
        if path in (rule.path, rule.time) or rule.path.startswith((path + ".", path + "["))
    ]


def _missing(aspect: Aspect, doc: Mapping[str, object]) -> None:
    absent = [path for path in aspect.required if _get(doc, path) is None]
    if not absent:
        return
    ours = list(dict.fromkeys(key for path in absent for key in _mapped_at(aspect, path)))
    from_base = [path for path in absent if not _mapped_at(aspect, path)]
    raise InvalidInput(
        f"Battery Pass {aspect.name} requires values for: {', '.join(ours) or '-'}; "
        f"and from the base document: {', '.join(from_base) or '-'}",
        reason="batterypass_missing",
        missing=ours,
        from_base=from_base,
    )


def _finish_labels(doc: dict[str, object]) -> None:
    """A label's symbol is ours: a base label left without one is dropped; its meaning must come from base."""
    labels = doc.get("labels")
    if isinstance(labels, list):
        labels[:] = [x for x in labels if not isinstance(x, dict) or "labelingSymbol" in x]
        lacking = [f"labels[labelingSubject={x.get('labelingSubject')}].labelingMeaning"
                   for x in labels if isinstance(x, dict) and "labelingMeaning" not in x]  # fmt: skip
        if lacking:
            raise InvalidInput(
                f"Battery Pass {LABELING} requires from the base document: {', '.join(lacking)}",
                reason="batterypass_missing",
                missing=[],
                from_base=lacking,
            )


def _export_onto_base(
    aspect: Aspect, values: Mapping[str, object], base: Mapping[str, object] | None
) -> dict[str, object]:
    doc: dict[str, object] = copy.deepcopy(dict(base)) if base is not None else {}
    for rule in aspect.rules:
        _remove(doc, rule.path)
        if rule.time is not None:
            _remove(doc, rule.time)
    for name in aspect.empty_lists:
        doc.setdefault(name, [])
    for rule in aspect.rules:
        value = values.get(rule.key)
        if value is None:
            continue
        put(doc, rule.path, _export_other(rule, value, values))
        if rule.kind == "dynamic":
            _put_dynamic(doc, rule, value)
    if aspect.name == LABELING:
        _finish_labels(doc)
    _missing(aspect, doc)
    return doc


def to_batterypass(
    values: Mapping[str, object], aspect: str, *, base: Mapping[str, object] | None = None
) -> dict[str, object]:
    """Our values -> a Battery Pass 1.2 document of ``aspect`` (a key of :data:`ASPECT_URNS`).

    Circularity and SupplyChainDueDiligence need no base. The other aspects take the fields our catalogue
    does not hold from ``base`` (mapped paths are cleared from it first; ``base`` is not changed). Raises
    InvalidInput naming the attribute when a value cannot be represented, and listing ``missing`` attribute
    keys and ``from_base`` paths when a field the schema requires has no source.
    """
    if aspect in (CIRCULARITY, SUPPLY_CHAIN):
        if base is not None:
            raise InvalidInput(f"Battery Pass {aspect} takes no base document", reason="batterypass_base")
        if aspect == CIRCULARITY:
            return to_batterypass_circularity(values)
        return to_batterypass_supply_chain_due_diligence(values)
    found = ASPECTS.get(aspect)
    if found is None:
        raise InvalidInput(
            f"unsupported Battery Pass aspect {aspect!r}; supported: {sorted(ASPECT_URNS)}",
            reason="batterypass_aspect",
        )
    return _export_onto_base(found, values, base)


# --- import of the aspects onto a base document ---------------------------------------------------------


def _checked(rule: Rule, path: str, raw: object, value: object) -> tuple[object, Flag | None]:
    try:
        check_value(rule.key, value)
    except InvalidInput as exc:
        return value, Flag(path, rule.key, str(exc.extra.get("reason", "invalid")), raw)
    except OverflowError:  # a 300-digit integer in an example payload
        return value, Flag(path, rule.key, "kind_number", raw)
    return value, None


def _import_other(
    rule: Rule, path: str, raw: object, when: object, values: Mapping[str, object]
) -> tuple[object, Flag | None]:
    if rule.kind == "choice":
        ours = {theirs: mine for mine, theirs in rule.choices}.get(str(raw), raw)
        return _checked(rule, path, raw, ours)
    if rule.kind == "date_time":
        return _checked(rule, path, raw, raw[:10] if isinstance(raw, str) else raw)
    if rule.kind == "dynamic":
        if not isinstance(when, str):
            return raw, Flag(path, rule.key, "dynamic_without_time", raw)
        return _checked(
            rule, path, raw, {"value": raw, "unit": attribute(rule.key).unit, "measured_at": when}
        )
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        return _checked(rule, path, raw, raw)
    if rule.kind == "stage_share":
        total = values.get(_CF_TOTAL)
        if not isinstance(total, int | float) or total <= 0:
            return raw, Flag(path, rule.key, "carbon_footprint_total_unknown", raw)
        return _checked(rule, path, raw, _rounded(raw / total * 100))
    return _checked(rule, path, raw, raw if rule.scale == 1.0 else _rounded(raw * rule.scale))


def _rounded(number: float) -> float:
    """Undo the float noise of a unit conversion (0.1 * 1000 = 100.00000000000001)."""
    try:
        return round(number, 9)
    except OverflowError:
        return number


def _consumed_selectors(rule_path: str, concrete: str) -> set[str]:
    """The selector fields (e.g. ``labels[0].labelingSubject``) read along with a list entry's value."""
    found: set[str] = set()
    for rule_segment, segment in zip(rule_path.split("."), concrete.split("."), strict=False):
        match = _SEGMENT.match(rule_segment)
        if match is not None and match["sk"] is not None:
            prefix = concrete.split(segment)[0] + segment
            found.add(f"{prefix}.{match['sk']}")
    return found


def _from_aspect(aspect: Aspect, doc: Mapping[str, object]) -> ImportResult:
    values: dict[str, object] = {}
    flags: list[Flag] = []
    consumed: set[str] = set()
    for rule in aspect.rules:
        found = _get(doc, rule.path)
        if found is None:
            continue
        path, raw = found
        consumed |= {path, *_consumed_selectors(rule.path, path)}
        when_found = _get(doc, rule.time) if rule.time is not None else None
        if when_found is not None:
            consumed.add(when_found[0])
        kind_old = rule.kind in ("link", "percentage")
        value, flag = (
            _import_value(rule, path, raw)
            if kind_old
            else _import_other(rule, path, raw, when_found[1] if when_found else None, values)
        )
        if flag is not None:
            flags.append(flag)
        else:
            values[rule.key] = value
    unmapped = tuple(leaf for leaf in leaves(doc, "") if leaf and leaf not in consumed)
    return ImportResult(aspect.name, values, tuple(flags), unmapped)


_IMPORTERS: dict[str, Callable[[Mapping[str, object]], ImportResult]] = {
    CIRCULARITY: _from_circularity,
    SUPPLY_CHAIN: _from_supply_chain,
    **{name: functools.partial(_from_aspect, found) for name, found in ASPECTS.items()},
}


def from_batterypass(aspect_name: str, doc: object) -> ImportResult:
    """A Battery Pass 1.2 aspect document -> our flat values, flags and unmapped leaves.

    ``doc`` is expected to be schema-valid (validate it first); this adds the semantic checks.
    """
    importer = _IMPORTERS.get(aspect_name)
    if importer is None:
        raise InvalidInput(
            f"unsupported Battery Pass aspect {aspect_name!r}; supported: {sorted(_IMPORTERS)}",
            reason="batterypass_aspect",
        )
    if not isinstance(doc, Mapping):
        raise InvalidInput(
            f"a Battery Pass {aspect_name} document is a JSON object", reason="batterypass_shape"
        )
    return importer(doc)
