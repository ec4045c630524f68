"""Mapping between our flat Annex XIII attributes and the IDTA-02035 Digital Battery Passport submodels.

Models: IDTA-02035 parts 1-7 (admin-shell-io/submodel-templates, CC BY 4.0) and their SAMM aspects
(admin-shell-io/smt-semantic-models ``io.admin-shell.idta.batterypass.*``: nameplate, handover documentation
and carbon footprint 1.0.0; technical data, product condition and material composition 1.0.1; circularity
1.0.0). Notes: shared/research/battery-passport.md §4.3-§4.5.

Two forms of each part:

* the SAMM *value-only* aspect JSON (``gen/*.json``; ``to_idta`` / ``from_idta``), the canonical form here;
* the AAS V3 ``Submodel`` (``to_idta_submodel`` / ``from_idta_submodel``), converted to and from the
  value-only form element by element (Property / MultiLanguageProperty / File / SubmodelElementCollection /
  SubmodelElementList). Where the templates' idShorts differ from the aspect property names
  (``PcfCO2eq``, ``RatioNorminalBatteryPowerAndBatteryEnergy``, ...) the template spelling is used in the
  submodel (``_AAS_NAMES``). Element semanticIds are not emitted: the submodel carries the part's semanticId.

Decisions (each documented where it is made):

* Documents: our document attributes are links; Parts 1, 3, 4, 5, 7 hold *document identifiers* that point
  into Part 2. Our link is used as the document identifier, and Part 2 carries one ``Document`` per document
  attribute, classified under ``DOCUMENT_CLASSIFICATION_SYSTEM`` with our attribute key as ``ClassId``.
* Dynamic values (Part 5): ``{"value", "unit", "measured_at"}`` in the flat dict (the shape of
  :class:`battrace.passport.lifecycle.DynamicValue` without its source) <-> ``{<X>Value, LastUpdate}``.
* Required fields we do not hold (manufacturer name and address, markings, ClearName, PcfCalculationMethods,
  cell-level resistance, original power capability, spare part sources) come from ``base``, an existing
  value-only document of the part. Where we hold a value its path in ``base`` is replaced by ours; where we
  do not, ``base`` may fill a required path (IDTA requires e.g. CapacityThresholdExhaustion, an EV-only
  attribute, for every category). Nothing is invented.
* Import takes what maps; a schema-valid but semantically wrong value is a :class:`Flag` with its path and is
  not imported (check_value and the cross-attribute rules of checks.CROSS_RULES); every other leaf is listed
  in ``unmapped``. Generated examples give multi-language texts as objects and sets as scalars where the
  schema wants arrays (§4.5): the reader accepts both.
* ``current_ohmic_resistance`` (Annex VII Part A(5), Ω) is not mapped: Part 4 holds the initial resistance and
  its increase, Part 5 (product condition) no resistance at all.

Pure module: no I/O.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial

from battrace.errors import InvalidInput
from battrace.passport.attributes import ATTRIBUTES, ValueKind, attribute
from battrace.passport.checks import CROSS_RULES, check_value
from battrace.passport.mapping.common import Flag, ImportResult, leaves, put, segments
from battrace.trust.identifiers import identifier_claim, parse_identifier


@dataclass(frozen=True)
class Part:
    number: int
    aspect: str  # SAMM aspect name (ImportResult.aspect)
    id_short: str  # the template submodel's idShort
    semantic_id: str  # the template submodel's semanticId


PARTS: dict[int, Part] = {
    1: Part(1, "NameplateBattery", "BatteryNameplate",
            "https://admin-shell.io/idta/digitalbatterypassport/nameplate/1/0/Nameplate"),
    2: Part(2, "HandoverDocumentationBattery", "HandoverDocumentation", "0173-1#01-AHF578#003"),
    3: Part(3, "CarbonFootprintBattery", "CarbonFootprint",
            "https://admin-shell.io/idta/CarbonFootprint/CarbonFootprint/1/0"),
    4: Part(4, "TechnicalDataBattery", "TechnicalData",
            "https://admin-shell.io/idta/digitalbatterypassport/TechnicalData/1/0"),
    5: Part(5, "ProductConditionBattery", "ProductCondition",
            "urn:samm:io.admin-shell.idta.batterypass.product_condition:1.0.0#ProductCondition"),
    6: Part(6, "MaterialCompositionBattery", "MaterialComposition",
            "urn:samm:io.admin-shell.idta.batterypass.material_composition:1.0.0#MaterialComposition"),
    7: Part(7, "CircularityBattery", "Circularity",
            "urn:samm:io.admin-shell.idta.batterypass.circularity:1.0.0#Circularity"),
}  # fmt: skip

# Part 2: the classification that ties a handover document to our attribute (VDI 2770 classes are too coarse
# to tell a declaration of conformity from a test report). DocumentDomainId names who issued the identifier.
DOCUMENT_CLASSIFICATION_SYSTEM = "battrace passport attribute"
DOCUMENT_DOMAIN = "battrace"

_SEPARATOR = "; "  # our single text <-> the model's list of texts (extinguishing agents, document ids)


@dataclass(frozen=True)
class Rule:
    """One row of the mapping table: our key <-> a path in the part's value-only document."""

    key: str
    path: str  # dotted; "List[Field=Value].X" selects the list entry whose Field equals Value
    kind: str  # text | date | number | integer | list | category | organisation | dynamic
    required: bool = True  # the schema requires the path
    time: str | None = None  # dynamic: path of the value's LastUpdate


def _dyn(key: str, name: str, *, required: bool = False) -> Rule:
    return Rule(key, f"{name}.{name}Value", "dynamic", required, f"{name}.LastUpdate")


def _temp(key: str, name: str) -> Rule:
    return Rule(key, f"TemperatureInformation.{name}", "dynamic", False, "TemperatureInformation.LastUpdate")


_METALS = {"Nickel": "nickel", "Cobalt": "cobalt", "Lithium": "lithium", "Lead": "lead"}
_TPA = "TechnicalPropertyAreas"
_CEV, _RTE = f"{_TPA}.CapacityEnergyVoltage", f"{_TPA}.RoundTripEnergyEfficiency"
_TEMP, _LIFE = f"{_TPA}.Temperature.TemperatureRangeIdleState", f"{_TPA}.Lifetime"
_RES, _POW = f"{_TPA}.Resistance", f"{_TPA}.PowerCapability"

RULES: dict[int, tuple[Rule, ...]] = {
    1: (
        Rule("battery_identifier", "SerialNumber", "text"),
        Rule("manufacturing_place", "UniqueFacilityIdentifier", "text"),
        Rule("manufacturing_date", "DateOfManufacture", "date"),
        Rule("putting_into_service_date", "DateOfPuttingIntoService", "date", required=False),
        Rule("battery_status", "LifeCycleStage", "text"),  # same literals as Annex XIII 4(c), incl. re-used
        Rule("operator_identifier", "OperatorIdentifier", "organisation", required=False),
        Rule("manufacturer_identifier", "ManufacturerIdentifier", "organisation"),
        Rule("eu_declaration_of_conformity", "EUDeclarationOfConformity", "list"),
        Rule("compliance_test_reports", "ResultsOfTestReportsProvingCompliance", "list"),
    ),
    2: (),  # Documents: see _to_handover / _read_handover
    3: (),  # ProductCarbonFootprints: see _to_carbon_footprint / _read_carbon_footprint
    4: (
        Rule("manufacturer_identifier", "GeneralInformation.ManufacturerIdentifier", "organisation"),
        Rule("warranty_period", "GeneralInformation.WarrantyInformation.WarrantyPeriod", "text"),
        Rule("battery_category", "GeneralInformation.BatteryCategory", "category"),
        Rule("battery_mass", "GeneralInformation.BatteryMass", "number"),  # kg in both
        Rule("nominal_voltage", f"{_CEV}.NominalVoltage", "number"),
        Rule("minimum_voltage", f"{_CEV}.MinVoltage", "number"),
        Rule("maximum_voltage", f"{_CEV}.MaxVoltage", "number"),
        Rule("rated_capacity", f"{_CEV}.RatedCapacity", "number"),  # Ah in both
        Rule("capacity_fade", f"{_CEV}.CapacityFade", "number", required=False),
        Rule("certified_usable_energy", f"{_CEV}.CertifiedUsableBatteryEnergy", "number", required=False),
        # xs:integer in the template (§4.3): a fractional efficiency cannot be represented.
        Rule("initial_round_trip_efficiency", f"{_RTE}.InitialRoundTripEnergyEfficiency", "integer"),
        Rule("round_trip_efficiency_at_half_cycle_life",
             f"{_RTE}.RoundTripEnergyEfficiencyAt50PercentOfCycleLife", "integer"),
        Rule("round_trip_efficiency_fade", f"{_RTE}.EnergyRoundTripEfficiencyFade", "number", required=False),
        Rule("initial_self_discharge_rate", f"{_RTE}.InitialSelfDischargingRate", "integer", required=False),
        # Ours is the battery's (pack's) resistance; the cell level is required too and comes from base.
        Rule("initial_internal_resistance", f"{_RES}.InitialInternalResistanceAtBatteryPackLevel", "number"),
        Rule("internal_resistance_increase", f"{_RES}.InternalResistanceIncreaseAtBatteryPackLevel",
             "number"),
        Rule("maximum_permitted_power", f"{_POW}.MaximumPermittedBatteryPower", "number"),
        Rule("power_fade", f"{_POW}.PowerFade", "number"),
        # The aspect describes it as "nominal power (W) / energy (Wh)" but tags it unit:percent; the example
        # (0.611) is the W/Wh ratio, so the number is taken as W/Wh and not scaled.
        Rule("power_energy_ratio", f"{_POW}.RatioNominalBatteryPowerAndBatteryEnergy", "number"),
        Rule("idle_temperature_lower_boundary", f"{_TEMP}_LowerBoundary", "number"),
        Rule("idle_temperature_upper_boundary", f"{_TEMP}_UpperBoundary", "number"),
        Rule("expected_lifetime_years", f"{_LIFE}.ExpectedLifetimeInCalendarYears", "integer"),
        Rule("expected_lifetime_cycles", f"{_LIFE}.ExpectedNumberOfCycles", "integer"),
        Rule("capacity_threshold_for_exhaustion", f"{_LIFE}.CapacityThresholdExhaustion", "number"),
        Rule("cycle_life_reference_test", f"{_LIFE}.CycleLifeReferenceTest", "list"),
        Rule("cycle_life_test_c_rate", f"{_LIFE}.CrateOfRelevantCycleLifeTest", "number"),
    ),
    5: (
        _dyn("energy_throughput", "EnergyThroughput"),
        _dyn("capacity_throughput", "CapacityThroughput"),
        _dyn("full_cycles", "NumberOfFullCycles", required=True),
        _dyn("state_of_certified_energy", "StateOfCertifiedEnergy"),
        _dyn("remaining_usable_energy", "RemainingEnergy"),
        # RemainingCapacity is not mapped: 1.0.1 gives it in kWh, the Regulation (and we) in Ah (§4.4).
        _dyn("self_discharge_evolution", "EvolutionOfSelfDischarge"),
        _dyn("current_self_discharge_rate", "CurrentSelfDischargingRate"),
        _dyn("remaining_round_trip_efficiency", "RemainingRoundTripEnergyEfficiency"),
        _dyn("state_of_charge", "StateOfCharge", required=True),
        _temp("temperature_information", "MeasuredTemp"),
        _temp("time_above_temperature_boundary", "TimeExtremeHighTemp"),
        _temp("time_below_temperature_boundary", "TimeExtremeLowTemp"),
        _temp("charging_time_above_temperature_boundary", "TimeExtremeHighTempCharging"),
        _temp("charging_time_below_temperature_boundary", "TimeExtremeLowTempCharging"),
        Rule("accident_information", "InformationOnAccidents", "list"),
    ),
    6: (Rule("battery_chemistry", "BatteryChemistry.ShortName", "text"),),  # + _to_/_read_materials
    7: (
        Rule("dismantling_information", "DismantlingAndRemovalInformation", "list"),
        *(
            Rule(f"{stage}_consumer_recycled_{ours}_share",
                 f"RecycledContentInformation[RecycledMaterial={name}].{stage.capitalize()}ConsumerShare",
                 "number", required=False)
            for name, ours in _METALS.items()
            for stage in ("pre", "post")
        ),
        Rule("safety_measures", "SafetyMeasures.SafetyInstructions", "list"),
        Rule("extinguishing_agent", "SafetyMeasures.ExtinguishingAgents", "list"),
        Rule("end_user_waste_prevention", "EndOfLifeInformation.WastePrevention", "list"),
        Rule("end_user_separate_collection", "EndOfLifeInformation.SeparateCollection", "list"),
        Rule("collection_second_life_treatment", "EndOfLifeInformation.InformationOnCollection", "list"),
        Rule("renewable_content_share", "RenewableContent", "number"),  # % in both
    ),
}  # fmt: skip

# Required fields we do not hold: they come from ``base``.
ENVELOPE: dict[int, tuple[str, ...]] = {
    1: ("URIOfTheProduct", "ManufacturerName", "AddressInformation", "Markings"),
    2: (),
    3: ("ProductCarbonFootprints[0].PcfCalculationMethods",),
    4: ("GeneralInformation.ManufacturerName", f"{_RES}.InitialInternalResistanceAtBatteryCellLevel",
        f"{_POW}.OriginalPowerCapability"),
    5: (),
    6: ("BatteryChemistry.ClearName",),
    7: ("SparePartSources",),
}  # fmt: skip

_DOCUMENT_KEYS = tuple(a.key for a in ATTRIBUTES if a.kind is ValueKind.DOCUMENT)

# Part 3. Art. 7(1)(e) / Annex II life-cycle stages -> the aspect's EN 15804 module codes (§4.3; no A2).
_STAGES: dict[str, str] = {
    "carbon_footprint_raw_material_share": "A1 - raw material supply (and upstream production)",
    "carbon_footprint_production_share": "A3 - production",
    "carbon_footprint_distribution_share": "A4 - transport to final destination",
    "carbon_footprint_end_of_life_share": "C1-C4",
}
_CF_KEYS = (
    "carbon_footprint_per_functional_unit",
    "carbon_footprint_performance_class",
    "carbon_footprint_study_link",
)
_FUNCTIONAL_UNIT = "kwH"  # Art. 7(1)(d): kg CO2e per kWh of total energy over the service life

_MATERIAL_KEYS = ("hazardous_substances", "critical_raw_materials")

MAPPED_KEYS_BY_PART: dict[int, frozenset[str]] = {
    1: frozenset(r.key for r in RULES[1]),
    2: frozenset(_DOCUMENT_KEYS),
    3: frozenset((*_CF_KEYS, *_STAGES)),
    4: frozenset(r.key for r in RULES[4]),
    5: frozenset(r.key for r in RULES[5]),
    6: frozenset((*(r.key for r in RULES[6]), *_MATERIAL_KEYS)),
    7: frozenset(r.key for r in RULES[7]),
}
MAPPED_KEYS: frozenset[str] = frozenset().union(*MAPPED_KEYS_BY_PART.values())

# Attributes with a near but not exact IDTA-02035 counterpart, left out on purpose (import: unmapped).
NOT_MAPPED: dict[str, str] = {
    "battery_passport_identifier": "DppMetadata.digitalProductPassportId (EN 18223), not an IDTA-02035 part",
    "meaning_of_labels": "Markings[].MarkingAdditionalText is one text per marking, ours one text for all",
    "impact_of_substances": "HazardousSubstanceImpact[] is per substance, ours one text for the battery",
    "electrode_electrolyte_materials": "BatteryMaterials[] give masses in kg, ours shares in %",
    "spare_part_sources": "SparePartSources[] are structured supplier records, ours free text",
    "remaining_capacity": "ProductCondition 1.0.1 gives RemainingCapacity in kWh, the Regulation in Ah",
    "original_power_capability": "OriginalPowerCapability[] holds one power per state of charge",
    "remaining_power_capability": "RemainingPowerCapabilityValue holds one power per state of charge",
    "deep_discharge_events": "NegativeEvents[] are described events, not counts",
    "overcharge_events": "NegativeEvents[] are described events, not counts",
}


def _invalid(message: str, reason: str, **extra: object) -> InvalidInput:
    return InvalidInput(message, reason=reason, **extra)


def _part(number: object) -> Part:
    found = PARTS.get(number) if isinstance(number, int) and not isinstance(number, bool) else None
    if found is None:
        raise _invalid(f"IDTA-02035 has parts 1-7, got part {number!r}", "idta_part", part=repr(number))
    return found


# --- unit and shape conversions (all in one place) -------------------------------------------------------


def _number_of(value: object) -> float | int:
    """The number of a checked quantity: bare, or ``{"value": n, ...}``."""
    number = value.get("value") if isinstance(value, Mapping) else value
    assert isinstance(number, int | float)  # check_value ran before
    return number


def stage_value(total: float, share: float) -> float:
    """Art. 7(1)(e) share (% of the per-functional-unit total) -> the stage's kg CO2e per kWh (Part 3)."""
    return total * share / 100


def stage_share(total: float, value: float) -> float:
    """A stage's kg CO2e per kWh -> its share in % of the total; rounded to 9 places so that share ->
    value -> share gives back the declared share despite binary floating point."""
    return round(value / total * 100, 9) if total else math.nan


_CATEGORY_OUT = {"ev": "ev", "lmt": "lmt", "industrial": "industrial", "stationary_storage": "stationary"}
_CATEGORY_IN = {v: k for k, v in _CATEGORY_OUT.items()}


def _organisation_in(key: str, raw: object) -> dict[str, str]:
    """A free-text identifier -> our typed claim, when exactly one of our schemes accepts it."""
    accepted = []
    for scheme in ("BPN", "GLN", "CorporateNumber"):
        try:
            accepted.append(identifier_claim(parse_identifier(scheme, str(raw))))
        except InvalidInput:
            continue
    if len(accepted) != 1:
        why = "no" if not accepted else "more than one"
        raise _invalid(
            f"{key}: {raw!r} is {why} known company identifier (BPN, GLN, corporate number)",
            "organisation_identifier",
        )
    return accepted[0]


def _export(rule: Rule, value: object) -> object:
    """Our checked value -> the model's value at rule.path (dynamic: the number only)."""
    check_value(rule.key, value)
    if rule.kind in ("text", "category", "organisation", "date", "list"):
        return _export_text(rule, value)
    number = _number_of(value)
    if rule.kind == "integer":
        if number != int(number):
            raise _invalid(
                f"{rule.key}: the model holds an integer here, got {number}",
                "not_representable",
                attribute=rule.key,
            )
        return int(number)
    return number


def _export_text(rule: Rule, value: object) -> object:
    if rule.kind == "category":
        return _CATEGORY_OUT[str(value)]
    if rule.kind == "organisation":
        assert isinstance(value, Mapping)
        return value["value"]  # BPN, GLN and corporate numbers tell their scheme apart (see _organisation_in)
    assert isinstance(value, str)
    if rule.kind == "date" and len(value) != 10:
        # xs:date needs a day; a YYYY-MM month cannot be represented without inventing one.
        raise _invalid(
            f"{rule.key}: IDTA-02035 needs a full date YYYY-MM-DD, got {value!r}",
            "not_representable",
            attribute=rule.key,
        )
    if rule.kind == "list":
        return [part.strip() for part in value.split(_SEPARATOR) if part.strip()]
    return value


def _import(rule: Rule, raw: object, doc: Mapping[str, object]) -> object:
    """The model's value -> ours; InvalidInput (with a reason) when it does not fit, check_value after."""
    if rule.kind == "list":
        items = [raw] if isinstance(raw, str) else raw  # generated examples give sets as scalars (§4.5)
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(i, str) and i.strip() for i in items)
        ):
            raise _invalid(f"{rule.key}: expected a non-empty list of texts, got {raw!r}", "kind_list")
        value: object = _SEPARATOR.join(str(i).strip() for i in items)
    elif rule.kind == "category":
        if raw not in _CATEGORY_IN:
            raise _invalid(f"{rule.key}: unknown battery category {raw!r}", "choice")
        value = _CATEGORY_IN[str(raw)]
    elif rule.kind == "organisation":
        value = _organisation_in(rule.key, raw)
    elif rule.kind == "dynamic":
        assert rule.time is not None
        found = _get(doc, rule.time)
        when = found[1] if found else None
        if not isinstance(when, str):
            raise _invalid(f"{rule.key}: a dynamic value needs its LastUpdate", "missing_timestamp")
        value = {"value": raw, "unit": attribute(rule.key).unit, "measured_at": when}
    else:
        value = raw
    check_value(rule.key, value)
    return value


# --- paths -------------------------------------------------------------------------------------------------


def _get(doc: Mapping[str, object], path: str) -> tuple[str, object] | None:
    """(concrete path, value) of a rule path, or None when absent."""
    node: object = doc
    concrete: list[str] = []
    for match in segments(path):
        if not isinstance(node, Mapping) or match["name"] not in node:
            return None
        node, name = node[match["name"]], match["name"]
        if match["index"] is not None or match["sk"] is not None:
            if not isinstance(node, list):
                return None
            hits = [
                i for i, e in enumerate(node) if isinstance(e, Mapping) and e.get(match["sk"]) == match["sv"]
            ]
            if match["index"] is not None:
                hits = [int(match["index"])] if int(match["index"]) < len(node) else []
            if not hits:
                return None
            node, name = node[hits[0]], f"{name}[{hits[0]}]"
        concrete.append(name)
    return ".".join(concrete), node


def _clear(doc: dict[str, object], path: str) -> None:
    """Remove what a rule path owns from a base document (a selected list entry: the whole list)."""
    node: object = doc
    matches = list(segments(path))
    for index, match in enumerate(matches):
        if not isinstance(node, dict):
            return
        if index == len(matches) - 1 or match["sk"] is not None:
            node.pop(match["name"], None)
            return
        node = node.get(match["name"])


# --- export ------------------------------------------------------------------------------------------------


def _export_rules(part: int, values: Mapping[str, object], doc: dict[str, object]) -> list[str]:
    """Our values onto doc; returns the required keys we lack."""
    missing: list[str] = []
    times: dict[str, list[str]] = {}
    for rule in RULES[part]:
        value = values.get(rule.key)
        if value is None:
            missing += [rule.key] if rule.required and _get(doc, rule.path) is None else []
            continue
        put(doc, rule.path, _export(rule, value))
        if rule.time is not None:
            when = value.get("measured_at") if isinstance(value, Mapping) else None
            if not isinstance(when, str) or not when:
                raise _invalid(
                    f"{rule.key}: IDTA-02035 Part 5 needs the time of the value (measured_at)",
                    "missing_timestamp",
                    attribute=rule.key,
                )
            times.setdefault(rule.time, []).append(when)
    for path, stamps in times.items():
        # TemperatureInformation has one LastUpdate for its five values: the latest one stands for all.
        put(doc, path, max(stamps))
    if part == 5 and "TemperatureInformation.LastUpdate" not in times:
        missing.append("temperature_information")
    return missing


def _to_carbon_footprint(values: Mapping[str, object], base: Mapping[str, object]) -> list[object]:
    """One ProductCarbonFootprint per functional unit (all four stages) and one per stage we hold."""
    for key in (*_CF_KEYS, *(k for k in _STAGES if k in values)):
        check_value(key, values[key])
    found = _get(base, ENVELOPE[3][0])  # present: to_idta checked the envelope
    methods = found[1] if found else None
    total = float(_number_of(values["carbon_footprint_per_functional_unit"]))
    common = {
        "PcfCalculationMethods": [methods] if isinstance(methods, str) else copy.deepcopy(methods),
        "ReferenceImpactUnitForCalculation": _FUNCTIONAL_UNIT,
        "QuantityOfMeasureForCalculation": 1.0,
        "PerformanceClass": values["carbon_footprint_performance_class"],
        "WebLinkToPublicCarbonFootprintStudy": _export(
            Rule("carbon_footprint_study_link", "", "list"), values["carbon_footprint_study_link"]
        ),
    }
    entries: list[object] = [{**common, "PcfCo2eq": total, "LifeCyclePhases": list(_STAGES.values())}]
    for key, phase in _STAGES.items():
        if key in values:
            share = float(_number_of(values[key]))
            entries.append(
                {**copy.deepcopy(common), "PcfCo2eq": stage_value(total, share), "LifeCyclePhases": [phase]}
            )
    return entries


def _cas(component: Mapping[str, object], key: str) -> str:
    if not isinstance(component.get("cas"), str):
        raise _invalid(
            f"{key}: IDTA-02035 Part 6 needs the CAS number of {component.get('name')!r}",
            "not_representable",
            attribute=key,
        )
    return str(component["cas"])


def _components(value: object) -> list[Mapping[str, object]]:
    entries = value.get("components") if isinstance(value, Mapping) else value
    assert isinstance(entries, list)
    return entries


def _to_materials(values: Mapping[str, object], doc: dict[str, object]) -> None:
    """Hazardous substances (name, CAS, concentration %) and the critical raw materials, which need the CAS
    number that our composition attributes give for the same material name."""
    for key in _MATERIAL_KEYS:
        check_value(key, values[key])
    substances = []
    for component in _components(values["hazardous_substances"]):
        entry = {
            "HazardousSubstanceName": component["name"],
            "HazardousSubstanceIdentifier": _cas(component, "hazardous_substances"),
        }
        if component.get("share") is not None:
            entry["HazardousSubstanceConcentration"] = component["share"]  # % in both
        substances.append(entry)
    known = {
        str(c["name"]).lower(): c
        for key in ("electrode_electrolyte_materials", "hazardous_substances")
        if isinstance(values.get(key), Mapping | list)
        for c in _components(values[key])
    }
    materials = []
    for name in values["critical_raw_materials"]:  # type: ignore[attr-defined]
        component = known.get(str(name).lower(), {"name": name})
        materials.append(
            {
                "BatteryMaterialLocation": {},
                "BatteryMaterialName": name,
                "BatteryMaterialIdentifier": _cas(component, "critical_raw_materials"),
                "IsCriticalRawMaterial": True,
            }
        )
    doc["HazardousSubstances"], doc["BatteryMaterials"] = substances, materials


def _to_handover(values: Mapping[str, object]) -> list[object]:
    documents: list[object] = []
    for key in _DOCUMENT_KEYS:
        if key not in values:
            continue
        check_value(key, values[key])
        link, title = values[key], [{"en": attribute(key).name}]
        documents.append(
            {
                "DocumentIds": [
                    {
                        "DocumentDomainId": DOCUMENT_DOMAIN,
                        "DocumentIdentifier": link,
                        "DocumentIsPrimary": True,
                    }
                ],
                "DocumentClassifications": [
                    {
                        "ClassId": key,
                        "ClassName": title,
                        "ClassificationSystem": DOCUMENT_CLASSIFICATION_SYSTEM,
                    }
                ],
                "DocumentVersions": [{"Language": ["en"], "Title": title, "DigitalFiles": [{"value": link}]}],
            }
        )
    return documents


def _special_missing(part: int, values: Mapping[str, object]) -> list[str]:
    if part == 3:
        return [k for k in _CF_KEYS if k not in values]
    if part == 6:
        return [k for k in _MATERIAL_KEYS if k not in values]
    if part == 7:  # each RecycledContent entry needs both shares
        pairs = [
            (f"pre_consumer_recycled_{m}_share", f"post_consumer_recycled_{m}_share")
            for m in _METALS.values()
        ]
        return [k for pair in pairs if any(p in values for p in pair) for k in pair if k not in values]
    return []


def to_idta(
    values: Mapping[str, object], *, part: int, base: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The value-only aspect JSON of IDTA-02035 ``part`` holding our mapped attributes.

    Raises InvalidInput when a value fails our rules or cannot be represented (``attribute`` names it), when
    a schema-required attribute is missing (``missing`` names them), or when ``base`` lacks a required field
    we do not hold (``envelope`` names the paths).
    """
    spec = _part(part)
    if not isinstance(values, Mapping):
        raise _invalid("passport values are a mapping of attribute key to value", "idta_shape")
    if base is not None and not isinstance(base, Mapping):
        raise _invalid(f"base of part {part} is a value-only {spec.aspect} JSON object", "idta_shape")
    doc: dict[str, object] = copy.deepcopy(dict(base or {}))
    for rule in RULES[part]:
        if values.get(rule.key) is not None:  # base fills a required path only where we hold no value
            _clear(doc, rule.path)
    absent = [path for path in ENVELOPE[part] if _get(doc, path) is None]
    if absent:
        raise _invalid(
            f"IDTA-02035 part {part} requires fields we do not hold: {', '.join(absent)}; pass them in base",
            "missing_envelope",
            envelope=absent,
        )
    missing = _special_missing(part, values)
    if not missing:
        missing += _export_rules(part, values, doc)
    if missing:
        raise _invalid(
            f"IDTA-02035 part {part} ({spec.aspect}) requires values for: {', '.join(missing)}",
            "missing_required",
            missing=missing,
        )
    if part == 3:
        doc["ProductCarbonFootprints"] = _to_carbon_footprint(values, base or {})
    elif part == 6:
        _to_materials(values, doc)
    elif part == 2:
        doc["Documents"] = _to_handover(values)
    elif part == 7:
        doc.setdefault("RecycledContentInformation", [])
    return doc


# --- import ------------------------------------------------------------------------------------------------


@dataclass
class _Reading:
    """What an import has found so far: values with the path each came from, flags and consumed paths."""

    values: dict[str, object]
    where: dict[str, str]
    flags: list[Flag]
    consumed: set[str]

    def take(self, key: str, path: str, raw: object, convert: Callable[[], object]) -> None:
        self.consumed.add(path)
        try:
            value = convert()
        except InvalidInput as exc:
            self.flags.append(Flag(path, key, str(exc.extra.get("reason", "invalid")), raw))
            return
        self.values[key], self.where[key] = value, path


def _read_rules(part: int, doc: Mapping[str, object], reading: _Reading) -> None:
    for rule in RULES[part]:
        found = _get(doc, rule.path)
        if found is None:
            continue
        path, raw = found
        if raw == []:  # an empty list declares nothing (a template's unset list): no value, no flag
            continue
        if rule.time is not None and (stamp := _get(doc, rule.time)) is not None:
            reading.consumed.add(stamp[0])
        if "[" in path:  # the selector field of the list entry goes with the value
            reading.consumed.add(path.rsplit(".", 1)[0] + ".RecycledMaterial")
        reading.take(rule.key, path, raw, partial(_import, rule, raw, doc))


def _phases(entry: Mapping[str, object]) -> list[object]:
    phases = entry.get("LifeCyclePhases")
    return [phases] if isinstance(phases, str) else list(phases) if isinstance(phases, list) else []


def _per_kwh(entry: object) -> bool:
    return (
        isinstance(entry, Mapping)
        and entry.get("ReferenceImpactUnitForCalculation") == _FUNCTIONAL_UNIT
        and entry.get("QuantityOfMeasureForCalculation") == 1
    )


def _read_carbon_footprint(doc: Mapping[str, object], reading: _Reading) -> None:
    """The per-kWh entry covering the four Annex II stages is the total; single-stage per-kWh entries give the
    stage shares of it. Entries with other units or phases are not Art. 7 values (left unmapped)."""
    entries = doc.get("ProductCarbonFootprints")
    entries = entries if isinstance(entries, list) else []
    stages = set(_STAGES.values())
    totals = [i for i, e in enumerate(entries) if _per_kwh(e) and set(_phases(e)) == stages]
    if not totals:
        return
    at, total = f"ProductCarbonFootprints[{totals[0]}]", entries[totals[0]]
    reading.consumed.update(
        f"{at}.{f}"
        for f in ("ReferenceImpactUnitForCalculation", "QuantityOfMeasureForCalculation", "LifeCyclePhases")
    )
    for key, field, kind in (
        ("carbon_footprint_per_functional_unit", "PcfCo2eq", "number"),
        ("carbon_footprint_performance_class", "PerformanceClass", "text"),
        ("carbon_footprint_study_link", "WebLinkToPublicCarbonFootprintStudy", "list"),
    ):
        if field in total:
            raw = total[field]
            reading.take(key, f"{at}.{field}", raw, partial(_import, Rule(key, "", kind), raw, doc))
    _read_stages(entries, totals[0], reading)


def _read_stages(entries: list[object], total_at: int, reading: _Reading) -> None:
    total = reading.values.get("carbon_footprint_per_functional_unit")
    by_phase = {phase: key for key, phase in _STAGES.items()}
    for index, entry in enumerate(entries):
        phases = _phases(entry) if isinstance(entry, Mapping) else []
        if index == total_at or not _per_kwh(entry) or len(phases) != 1 or phases[0] not in by_phase:
            continue
        assert isinstance(entry, Mapping)
        at, key, raw = f"ProductCarbonFootprints[{index}]", by_phase[str(phases[0])], entry.get("PcfCo2eq")
        reading.consumed.update(
            f"{at}.{f}"
            for f in (
                "ReferenceImpactUnitForCalculation",
                "LifeCyclePhases",
                "QuantityOfMeasureForCalculation",
                "PerformanceClass",
                "WebLinkToPublicCarbonFootprintStudy",
            )
        )
        if isinstance(total, int | float) and isinstance(raw, int | float) and not isinstance(raw, bool):
            share = stage_share(float(total), float(raw))
            reading.take(key, f"{at}.PcfCo2eq", raw, partial(_checked, key, share))


def _checked(key: str, value: object) -> object:
    check_value(key, value)
    return value


def _read_materials(doc: Mapping[str, object], reading: _Reading) -> None:
    """Hazardous substances -> our composition (name, CAS, concentration as share); the names of the
    materials marked critical -> critical_raw_materials. Their CAS numbers, masses and locations stay
    unmapped (our list holds names)."""
    substances = doc.get("HazardousSubstances")
    components: list[object] = []
    for index, entry in enumerate(substances if isinstance(substances, list) else []):
        if not isinstance(entry, Mapping):
            continue
        at = f"HazardousSubstances[{index}]"
        component = {
            "name": entry.get("HazardousSubstanceName"),
            "cas": entry.get("HazardousSubstanceIdentifier"),
        }
        if "HazardousSubstanceConcentration" in entry:
            component["share"] = entry["HazardousSubstanceConcentration"]
        reading.consumed.update(
            f"{at}.{f}"
            for f in (
                "HazardousSubstanceName",
                "HazardousSubstanceIdentifier",
                "HazardousSubstanceConcentration",
            )
        )
        probe = _Reading({}, {}, reading.flags, set())
        probe.take(
            "hazardous_substances", at, dict(entry), partial(_checked, "hazardous_substances", [component])
        )
        components.extend(probe.values.get("hazardous_substances", []))  # type: ignore[arg-type]
    if components:
        reading.take(
            "hazardous_substances",
            "HazardousSubstances",
            substances,
            partial(_checked, "hazardous_substances", components),
        )
    materials = doc.get("BatteryMaterials")
    names: list[object] = []
    for index, entry in enumerate(materials if isinstance(materials, list) else []):
        if isinstance(entry, Mapping) and entry.get("IsCriticalRawMaterial") is True:
            names.append(entry.get("BatteryMaterialName"))
            reading.consumed.update(
                f"BatteryMaterials[{index}].{f}" for f in ("BatteryMaterialName", "IsCriticalRawMaterial")
            )
    if names:
        reading.take(
            "critical_raw_materials",
            "BatteryMaterials",
            names,
            partial(_checked, "critical_raw_materials", names),
        )


def _read_handover(doc: Mapping[str, object], reading: _Reading) -> None:
    """Documents classified under DOCUMENT_CLASSIFICATION_SYSTEM with one of our document keys as ClassId;
    the value is the document's (first) identifier. Other documents stay unmapped."""
    documents = doc.get("Documents")
    for index, document in enumerate(documents if isinstance(documents, list) else []):
        found = _get(document, "DocumentIds[0].DocumentIdentifier") if isinstance(document, Mapping) else None
        classes = document.get("DocumentClassifications") if isinstance(document, Mapping) else None
        for c_index, entry in enumerate(classes if isinstance(classes, list) else []):
            ours = (
                isinstance(entry, Mapping)
                and entry.get("ClassificationSystem") == DOCUMENT_CLASSIFICATION_SYSTEM
            )
            if not ours or found is None or entry.get("ClassId") not in _DOCUMENT_KEYS:
                continue
            at = f"Documents[{index}]"
            key, raw = str(entry["ClassId"]), found[1]
            reading.consumed.update(
                {
                    f"{at}.DocumentClassifications[{c_index}].ClassId",
                    f"{at}.DocumentClassifications[{c_index}].ClassificationSystem",
                }
            )
            reading.take(key, f"{at}.{found[0]}", raw, partial(_checked, key, raw))


_SPECIAL_READERS: dict[int, Callable[[Mapping[str, object], _Reading], None]] = {
    2: _read_handover,
    3: _read_carbon_footprint,
    6: _read_materials,
}


def _cross_check(reading: _Reading) -> None:
    """Rules spanning attributes (checks.CROSS_RULES): the attribute a problem names is flagged, not taken.
    Dates in the future are validate_passport's question (it holds the clock), hence date.max here."""
    for rule in CROSS_RULES:
        for problem in rule(dict(reading.values), date.max):
            if problem.key in reading.values:
                value = reading.values.pop(problem.key)
                reading.flags.append(Flag(reading.where[problem.key], problem.key, problem.rule, value))


def _consumed(leaf: str, consumed: set[str]) -> bool:
    return any(leaf == c or leaf.startswith((c + ".", c + "[")) for c in consumed)


def from_idta(part: int, doc: object) -> ImportResult:
    """A value-only IDTA-02035 aspect document of ``part`` -> our flat values, flags and unmapped leaves.

    ``doc`` is expected to be schema-valid (validate it first); this adds the semantic checks.
    """
    spec = _part(part)
    if not isinstance(doc, Mapping):
        raise _invalid(
            f"an IDTA-02035 part {part} ({spec.aspect}) document is a JSON object, got {type(doc).__name__}",
            "idta_shape",
        )
    reading = _Reading({}, {}, [], set())
    _read_rules(part, doc, reading)
    if part in _SPECIAL_READERS:
        _SPECIAL_READERS[part](doc, reading)
    _cross_check(reading)
    flagged = {flag.path for flag in reading.flags}
    unmapped = tuple(
        leaf
        for leaf in leaves(doc, "")
        if not _consumed(leaf, reading.consumed) and not _consumed(leaf, flagged)
    )
    return ImportResult(spec.aspect, reading.values, tuple(reading.flags), unmapped)
