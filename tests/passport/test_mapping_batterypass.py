"""Specifications for the Battery Pass 1.2 mapping, all aspects (fixtures/passport/batterypass)."""

from __future__ import annotations

import copy
import csv
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from battrace.errors import InvalidInput
from battrace.passport.attributes import LONGLIST
from battrace.passport.mapping.batterypass import (
    ASPECTS,
    CARBON_FOOTPRINT,
    CIRCULARITY,
    CIRCULARITY_RULES,
    GENERAL,
    LABELING,
    MATERIAL_COMPOSITION,
    PERFORMANCE,
    SUPPLY_CHAIN,
    SUPPLY_CHAIN_RULES,
    from_batterypass,
    to_batterypass,
    to_batterypass_circularity,
    to_batterypass_supply_chain_due_diligence,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passport" / "batterypass"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _validator(schema_file: str) -> jsonschema.protocols.Validator:
    schema = _load(schema_file)
    assert schema["$schema"].startswith("http://json-schema.org/draft-04/")
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _errors(schema_file: str, doc: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(schema_file).iter_errors(doc)]


FULL: dict[str, object] = {
    "renewable_content_share": 12.5,
    "pre_consumer_recycled_nickel_share": 4.0,
    "post_consumer_recycled_nickel_share": 6.0,
    "pre_consumer_recycled_cobalt_share": 10.0,
    "post_consumer_recycled_cobalt_share": {"value": 16.0, "unit": "%"},
    "pre_consumer_recycled_lithium_share": 3.0,
    "post_consumer_recycled_lithium_share": 6.0,
    "pre_consumer_recycled_lead_share": 0,
    "post_consumer_recycled_lead_share": 0,
    "safety_measures": "https://example.com/safety.pdf",
    "extinguishing_agent": "Water; Class D powder",
    "end_user_waste_prevention": "https://example.com/eol/prevention",
    "end_user_separate_collection": "https://example.com/eol/collection",
    "collection_second_life_treatment": "https://example.com/eol/treatment",
}


def _plain(values: dict[str, object]) -> dict[str, object]:
    return {k: v["value"] if isinstance(v, dict) else v for k, v in values.items()}


def test_example_payload_validates_against_its_schema() -> None:
    assert _errors("Circularity-schema.json", _load("Circularity.json")) == []


def test_import_flags_known_bad_values_and_imports_the_rest() -> None:
    result = from_batterypass(CIRCULARITY, _load("Circularity.json"))
    by_path = {flag.path: flag for flag in result.flags}
    assert by_path["renewableContent"].reason == "percentage_range"
    assert by_path["renewableContent"].attribute == "renewable_content_share"
    assert by_path["recycledContent[0].preConsumerShare"].reason == "recycled_shares_exceed_100"
    assert by_path["recycledContent[0].postConsumerShare"].reason == "recycled_shares_exceed_100"
    assert by_path["endOfLifeInformation.separateCollection"].reason == "document_link_not_web"
    assert by_path["endOfLifeInformation.informationOnCollection"].reason == "document_link_not_web"
    assert result.values == {
        "safety_measures": "http://www.ietf.org/rfc/rfc2396.txt",
        "extinguishing_agent": "RYtGKbgicZaHCBRQDSx",
        "end_user_waste_prevention": "http://www.wikipedia.org",
    }
    for flag in result.flags:
        assert flag.attribute not in result.values
    # what our catalogue cannot hold is reported, not dropped
    assert "sparePartSources[0].nameOfSupplier" in result.unmapped
    assert "dismantlingAndRemovalInformation[0].documentURL" in result.unmapped
    assert not any(
        p.startswith(("renewableContent", "recycledContent", "safetyMeasures")) for p in result.unmapped
    )


def test_every_emitted_document_validates() -> None:
    doc = to_batterypass_circularity(FULL)
    assert _errors("Circularity-schema.json", doc) == []
    minimal = {k: v for k, v in FULL.items() if "recycled" not in k}
    doc = to_batterypass_circularity(minimal)
    assert doc["recycledContent"] == []
    assert _errors("Circularity-schema.json", doc) == []


def test_export_import_export_keeps_every_mapped_attribute() -> None:
    assert {rule.key for rule in CIRCULARITY_RULES} == set(FULL)
    first = from_batterypass(CIRCULARITY, to_batterypass_circularity(FULL))
    assert first.flags == ()
    assert first.unmapped == ()
    assert first.values == _plain(FULL)
    second = from_batterypass(CIRCULARITY, to_batterypass_circularity(first.values))
    assert second.values == first.values


def test_import_export_import_keeps_every_imported_attribute() -> None:
    doc = _load("Circularity.json")
    doc["renewableContent"] = 20.0
    doc["recycledContent"][0]["postConsumerShare"] = 5.0
    for key in ("separateCollection", "informationOnCollection"):
        doc["endOfLifeInformation"][key] = "https://example.org/" + key
    first = from_batterypass(CIRCULARITY, doc)
    assert first.flags == ()
    assert len(first.values) == 8
    exported = to_batterypass_circularity(first.values)
    assert _errors("Circularity-schema.json", exported) == []
    assert from_batterypass(CIRCULARITY, exported).values == first.values


def test_duplicate_material_is_flagged() -> None:
    doc: Any = to_batterypass_circularity(FULL)
    doc["recycledContent"].append(
        {"recycledMaterial": "Nickel", "preConsumerShare": 1.0, "postConsumerShare": 1.0}
    )
    result = from_batterypass(CIRCULARITY, doc)
    assert [f.reason for f in result.flags] == ["duplicate_material"]
    assert result.flags[0].path == "recycledContent[4]"
    assert result.values["pre_consumer_recycled_nickel_share"] == 4.0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("renewable_content_share", 140.0),
        ("post_consumer_recycled_cobalt_share", {"value": 0.16, "unit": "fraction"}),
        ("safety_measures", "see the manual"),
        ("extinguishing_agent", "   "),
    ],
)
def test_unrepresentable_value_raises_naming_the_attribute(key: str, value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_batterypass_circularity({**FULL, key: value})
    assert caught.value.extra["attribute"] == key


def test_missing_required_source_attributes_are_named() -> None:
    values = {
        k: v
        for k, v in FULL.items()
        if k not in ("renewable_content_share", "pre_consumer_recycled_lead_share")
    }
    with pytest.raises(InvalidInput) as caught:
        to_batterypass_circularity(values)
    assert caught.value.extra["missing"] == ["renewable_content_share", "pre_consumer_recycled_lead_share"]


def test_unknown_aspect_and_non_object_are_rejected() -> None:
    with pytest.raises(InvalidInput):
        from_batterypass("Nameplate", {})
    with pytest.raises(InvalidInput):
        from_batterypass(CIRCULARITY, [])


# --- SupplyChainDueDiligence -------------------------------------------------------------------------

SUPPLY: dict[str, object] = {
    "due_diligence_report": "https://example.com/due-diligence-2026.pdf",
    "third_party_assurances": ["https://example.com/assurance/irma"],
    "supply_chain_indices": "0.82",
}


def test_supply_chain_example_payload_validates_against_its_schema() -> None:
    schema = "SupplyChainDueDiligence-schema.json"
    assert _errors(schema, _load("SupplyChainDueDiligence-payload.json")) == []


def test_supply_chain_import_flags_non_web_links_and_imports_the_index() -> None:
    result = from_batterypass(SUPPLY_CHAIN, _load("SupplyChainDueDiligence-payload.json"))
    by_path = {flag.path: flag for flag in result.flags}
    assert by_path["supplyChainDueDiligenceReport"].attribute == "due_diligence_report"
    assert by_path["supplyChainDueDiligenceReport"].reason == "document_link_not_web"
    assert by_path["thirdPartyAussurances"].attribute == "third_party_assurances"
    assert result.values == {"supply_chain_indices": "2.1624482e+38"}
    assert result.unmapped == ()


def test_supply_chain_round_trip_and_emitted_documents_validate() -> None:
    schema = "SupplyChainDueDiligence-schema.json"
    doc = to_batterypass_supply_chain_due_diligence(SUPPLY)
    assert _errors(schema, doc) == []
    first = from_batterypass(SUPPLY_CHAIN, doc)
    assert first.flags == ()
    assert first.values == SUPPLY
    assert (
        from_batterypass(SUPPLY_CHAIN, to_batterypass_supply_chain_due_diligence(first.values)).values
        == SUPPLY
    )
    minimal = to_batterypass_supply_chain_due_diligence({"due_diligence_report": "https://example.com/r"})
    assert _errors(schema, minimal) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("third_party_assurances", ["https://example.com/a", "https://example.com/b"]),
        ("supply_chain_indices", "good"),
        ("due_diligence_report", "the report"),
    ],
)
def test_supply_chain_unrepresentable_value_raises_naming_the_attribute(key: str, value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_batterypass_supply_chain_due_diligence({**SUPPLY, key: value})
    assert caught.value.extra["attribute"] == key


def test_supply_chain_missing_report_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        to_batterypass_supply_chain_due_diligence({"supply_chain_indices": "1"})
    assert caught.value.extra["missing"] == ["due_diligence_report"]


# --- the aspects exported onto a base document ---------------------------------------------------------

SCHEMAS = {
    GENERAL: "GeneralProductInformation-schema.json",
    CARBON_FOOTPRINT: "CarbonFootprintForBatteries-schema.json",
    LABELING: "Labeling-schema.json",
    MATERIAL_COMPOSITION: "MaterialComposition-schema.json",
    PERFORMANCE: "PerformanceAndDurability-schema.json",
}
PAYLOADS = {name: schema.replace("-schema.json", "-payload.json") for name, schema in SCHEMAS.items()}
T1, T2 = "2026-03-01T08:30:00+01:00", "2026-03-02T17:05:00Z"

PASSPORT: dict[str, dict[str, object]] = {
    GENERAL: {
        "battery_identifier": "BAT-2026-000123",
        "battery_passport_identifier": "urn:battrace:p000123",
        "battery_category": "ev",
        "battery_status": "re-used",
        "battery_mass": 452.5,
        "manufacturing_date": "2025-11-03",
        "putting_into_service_date": "2026-01-15",
    },
    CARBON_FOOTPRINT: {
        "carbon_footprint_per_functional_unit": 62.0,
        "carbon_footprint_raw_material_share": 60.0,
        "carbon_footprint_production_share": 30.0,
        "carbon_footprint_distribution_share": 2.0,
        "carbon_footprint_end_of_life_share": 8.0,
        "carbon_footprint_performance_class": "B",
        "carbon_footprint_study_link": "https://example.com/cf-study-2026.pdf",
        "absolute_carbon_footprint": 4.8,
    },
    LABELING: {
        "eu_declaration_of_conformity": "https://example.com/doc/eu-doc.pdf",
        "compliance_test_reports": "https://example.com/doc/test-reports.pdf",
        "separate_collection_symbol": "https://example.com/labels/bin.svg",
        "cadmium_lead_symbols": "https://example.com/labels/pb.svg",
        "carbon_footprint_label": "https://example.com/labels/cf-b.svg",
    },
    MATERIAL_COMPOSITION: {"battery_chemistry": "NMC811"},
    PERFORMANCE: {
        "rated_capacity": 180.0,
        "certified_usable_energy": 75.0,
        "expected_lifetime_cycles": 2500,
        "initial_self_discharge_rate": 2.0,
        "initial_round_trip_efficiency": 95.0,
        "expected_lifetime_years": 12,
        "nominal_voltage": 400.0,
        "minimum_voltage": 300.0,
        "maximum_voltage": 470.0,
        "capacity_threshold_for_exhaustion": 70.0,
        "cycle_life_test_c_rate": 0.5,
        "idle_temperature_lower_boundary": -20.0,
        "idle_temperature_upper_boundary": 45.0,
        "round_trip_efficiency_at_half_cycle_life": 91.0,
        "round_trip_efficiency_fade": 4.0,
        "power_fade": 6.0,
        "initial_internal_resistance": 0.08,
        "maximum_permitted_power": 150000.0,
        "cycle_life_reference_test": "https://example.com/tests/cycle-life.pdf",
        "energy_throughput": {"value": 12000.0, "unit": "kWh", "measured_at": T1},
        "capacity_throughput": {"value": 30000.0, "unit": "Ah", "measured_at": T1},
        "full_cycles": {"value": 160, "unit": "cycles", "measured_at": T1},
        "state_of_certified_energy": {"value": 97.5, "unit": "%", "measured_at": T1},
        "capacity_fade": {"value": 2.5, "unit": "%", "measured_at": T2},
        "remaining_usable_energy": {"value": 73.1, "unit": "kWh", "measured_at": T1},
        "self_discharge_evolution": {"value": 0.4, "unit": "%", "measured_at": T2},
        "current_self_discharge_rate": {"value": 2.4, "unit": "%/month", "measured_at": T2},
        "remaining_round_trip_efficiency": {"value": 93.0, "unit": "%", "measured_at": T1},
        "state_of_charge": {"value": 64.0, "unit": "%", "measured_at": T2},
        "time_above_temperature_boundary": {"value": 35.0, "unit": "min", "measured_at": T1},
        "time_below_temperature_boundary": {"value": 0.0, "unit": "min", "measured_at": T1},
        "charging_time_above_temperature_boundary": {"value": 5.0, "unit": "min", "measured_at": T1},
        "charging_time_below_temperature_boundary": {"value": 0.0, "unit": "min", "measured_at": T1},
        "internal_resistance_increase": {"value": 7.5, "unit": "%", "measured_at": T2},
    },
}

LABELING_BASE: dict[str, Any] = {
    "declarationOfConformity": "https://old.example/doc.pdf",
    "resultOfTestReport": "https://old.example/tests.pdf",
    "labels": [
        {"labelingSubject": s, "labelingSymbol": "https://old.example/" + s, "labelingMeaning": {"en": m}}
        for s, m in (
            ("SeparateCollection", "Collect separately, do not dispose of with household waste"),
            ("HazardousMaterial", "Contains lead (Pb)"),
            ("CarbonFootPrint", "Carbon footprint performance class B"),
            ("ExtinguishingAgent", "Use water"),
        )
    ],
}


def _base(aspect: str) -> dict[str, Any]:
    """Fields our catalogue does not hold: from the official payload, made schema-valid where it is not."""
    if aspect == LABELING:
        return copy.deepcopy(LABELING_BASE)
    doc: dict[str, Any] = _load(PAYLOADS[aspect])
    if aspect == MATERIAL_COMPOSITION:  # the payload's only schema error (notes §4.5)
        doc["batteryMaterials"][0]["batteryMaterialIdentifier"] = "7439-93-2"
    return doc


@pytest.mark.parametrize("aspect", sorted(SCHEMAS))
def test_complete_passport_exports_valid_document_and_imports_back_identical(aspect: str) -> None:
    source = PASSPORT[aspect]
    assert {rule.key for rule in ASPECTS[aspect].rules} == set(source)
    emitted = to_batterypass(source, aspect, base=_base(aspect))
    assert _errors(SCHEMAS[aspect], emitted) == []
    again = from_batterypass(aspect, emitted)
    assert again.flags == ()
    assert again.values == source


@pytest.mark.parametrize("aspect", sorted(SCHEMAS))
def test_official_payload_validates_except_the_known_cas_error(aspect: str) -> None:
    errors = _errors(SCHEMAS[aspect], _load(PAYLOADS[aspect]))
    if aspect == MATERIAL_COMPOSITION:
        assert errors == ["['batteryMaterials', 0, 'batteryMaterialIdentifier']: "
                          "'7439-93-2 ' does not match '^\\\\d{2,7}-\\\\d{2}-\\\\d{1}$'"]  # fmt: skip
    else:
        assert errors == []


def test_exported_values_use_the_battery_pass_spellings_and_units() -> None:
    general = to_batterypass(PASSPORT[GENERAL], GENERAL, base=_base(GENERAL))
    assert general["batteryStatus"] == "Reused"  # ours "re-used" (Annex XIII 4(c))
    assert general["manufacturingDate"] == "2025-11-03T00:00:00Z"
    cf: Any = to_batterypass(PASSPORT[CARBON_FOOTPRINT], CARBON_FOOTPRINT)
    assert cf["absoluteCarbonFootprint"] == 4800.0  # t -> kg
    stages = {e["lifecycleStage"]: e["carbonFootprint"] for e in cf["carbonFootprintPerLifecycleStage"]}
    assert stages == {"RawMaterialExtraction": 37.2, "MainProduction": 18.6, "Distribution": 1.24,
                      "Recycling": 4.96}  # fmt: skip  # share of 62 kg CO2e/kWh
    perf: Any = to_batterypass(PASSPORT[PERFORMANCE], PERFORMANCE, base=_base(PERFORMANCE))
    assert perf["batteryTechicalProperties"]["ratedMaximumPower"] == 150.0  # W -> kW
    assert perf["batteryCondition"]["stateOfCharge"] == {"stateOfChargeValue": 64.0, "lastUpdate": T2}
    assert perf["batteryCondition"]["internalResistanceIncrease"] == [
        {"batteryComponent": "pack", "internalResistanceIncreaseValue": 7.5, "lastUpdate": T2}
    ]


def test_general_product_information_payload_imports_and_survives_a_round_trip() -> None:
    payload = _load(PAYLOADS[GENERAL])
    first = from_batterypass(GENERAL, payload)
    assert first.flags == ()
    assert first.values["battery_status"] == "original"
    assert first.values["manufacturing_date"] == "2025-06-17"  # date-time read as its calendar date
    assert "warrentyPeriod" in first.unmapped  # --MM is a month of the year, not a warranty period
    emitted = to_batterypass(first.values, GENERAL, base=payload)
    assert _errors(SCHEMAS[GENERAL], emitted) == []
    assert from_batterypass(GENERAL, emitted).values == first.values


def test_carbon_footprint_payload_flags_the_random_sample_values() -> None:
    result = from_batterypass(CARBON_FOOTPRINT, _load(PAYLOADS[CARBON_FOOTPRINT]))
    by_path = {flag.path: flag for flag in result.flags}
    assert by_path["batteryCarbonFootprint"].reason == "non_negative"
    assert by_path["absoluteCarbonFootprint"].reason == "non_negative"
    assert by_path["carbonFootprintStudy"].reason == "document_link_not_web"  # telnet://
    # a stage value cannot become a share of a total that was refused
    assert by_path["carbonFootprintPerLifecycleStage[0].carbonFootprint"].reason == (
        "carbon_footprint_total_unknown"
    )
    assert result.values == {"carbon_footprint_performance_class": "eOMtThyhVNLWUZNRcBaQKxI"}
    assert result.unmapped == ()


def test_carbon_footprint_payload_round_trip_once_the_bad_values_are_fixed() -> None:
    doc = _load(PAYLOADS[CARBON_FOOTPRINT])
    doc["batteryCarbonFootprint"] = 80.0
    doc["carbonFootprintPerLifecycleStage"][0]["carbonFootprint"] = 50.0
    doc["absoluteCarbonFootprint"] = 5300.0
    doc["carbonFootprintStudy"] = "https://example.org/study"
    first = from_batterypass(CARBON_FOOTPRINT, doc)
    assert first.flags == ()
    assert first.values["carbon_footprint_raw_material_share"] == 62.5
    assert first.values["absolute_carbon_footprint"] == 5.3
    emitted = to_batterypass(first.values, CARBON_FOOTPRINT, base=doc)
    assert _errors(SCHEMAS[CARBON_FOOTPRINT], emitted) == []
    assert from_batterypass(CARBON_FOOTPRINT, emitted).values == first.values


def test_labeling_payload_flags_non_web_links_and_keeps_the_label_meaning_unmapped() -> None:
    payload = _load(PAYLOADS[LABELING])
    result = from_batterypass(LABELING, payload)
    assert {(f.path, f.reason) for f in result.flags} == {
        ("declarationOfConformity", "document_link_not_web"),
        ("resultOfTestReport", "document_link_not_web"),
    }
    assert result.values == {"separate_collection_symbol": "http://www.ietf.org/rfc/rfc2396.txt"}
    assert result.unmapped == ("labels[0].labelingMeaning.en",)
    fixed = {**result.values, **{k: PASSPORT[LABELING][k] for k in ("eu_declaration_of_conformity",
                                                                   "compliance_test_reports")}}  # fmt: skip
    emitted = to_batterypass(fixed, LABELING, base=payload)
    assert _errors(SCHEMAS[LABELING], emitted) == []
    assert emitted["labels"] == payload["labels"]  # meaning kept from the base
    assert from_batterypass(LABELING, emitted).values == fixed


def test_label_without_a_meaning_in_base_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        to_batterypass(PASSPORT[LABELING], LABELING)
    assert caught.value.extra["from_base"] == [
        "labels[labelingSubject=SeparateCollection].labelingMeaning",
        "labels[labelingSubject=HazardousMaterial].labelingMeaning",
        "labels[labelingSubject=CarbonFootPrint].labelingMeaning",
    ]


def test_base_label_whose_symbol_we_do_not_hold_is_not_emitted() -> None:
    values = {k: v for k, v in PASSPORT[LABELING].items() if k != "carbon_footprint_label"}
    emitted: Any = to_batterypass(values, LABELING, base=LABELING_BASE)
    subjects = [label["labelingSubject"] for label in emitted["labels"]]
    assert subjects == ["SeparateCollection", "HazardousMaterial", "ExtinguishingAgent"]
    assert LABELING_BASE["labels"][2]["labelingSymbol"] == "https://old.example/CarbonFootPrint"


def test_material_composition_payload_imports_the_chemistry_and_reports_the_rest() -> None:
    payload = _load(PAYLOADS[MATERIAL_COMPOSITION])
    result = from_batterypass(MATERIAL_COMPOSITION, payload)
    assert result.values == {"battery_chemistry": "NMC"}
    assert "batteryMaterials[0].batteryMaterialMass" in result.unmapped
    assert "hazardousSubstances[0].hazardousSubstanceConcentration" in result.unmapped
    emitted = to_batterypass(result.values, MATERIAL_COMPOSITION, base=_base(MATERIAL_COMPOSITION))
    assert _errors(SCHEMAS[MATERIAL_COMPOSITION], emitted) == []
    assert from_batterypass(MATERIAL_COMPOSITION, emitted).values == result.values


def test_performance_payload_flags_the_random_sample_values() -> None:
    result = from_batterypass(PERFORMANCE, _load(PAYLOADS[PERFORMANCE]))
    by_key = {flag.attribute: flag for flag in result.flags}
    cycles = by_key["full_cycles"]  # the 300-digit integer (notes §4.5)
    assert cycles.path == "batteryCondition.numberOfFullCycles.numberOfFullCyclesValue"
    assert cycles.reason == "non_negative"
    assert by_key["minimum_voltage"].reason == "non_negative"
    assert by_key["initial_round_trip_efficiency"].reason == "percentage_range"
    assert by_key["cycle_life_reference_test"].reason == "document_link_not_web"
    assert by_key["maximum_permitted_power"].reason == "kind_number"  # -1.8e308 kW overflows in W
    assert by_key["internal_resistance_increase"].path == (
        "batteryCondition.internalResistanceIncrease[0].internalResistanceIncreaseValue"
    )
    assert result.values["remaining_usable_energy"] == {
        "value": 1.0879929e38, "unit": "kWh", "measured_at": "2025-08-08T16:19:26.601+02:00"
    }  # fmt: skip
    assert result.values["idle_temperature_lower_boundary"] == -100.0
    assert "batteryCondition.remainingCapacity.remainingCapacityValue" in result.unmapped  # kWh, ours Ah
    for flag in result.flags:
        assert flag.attribute not in result.values


def test_performance_payload_round_trip_once_the_bad_values_are_fixed() -> None:
    payload = _load(PAYLOADS[PERFORMANCE])
    first = from_batterypass(PERFORMANCE, payload)
    fixed = {**PASSPORT[PERFORMANCE], **first.values}
    emitted = to_batterypass(fixed, PERFORMANCE, base=payload)
    assert _errors(SCHEMAS[PERFORMANCE], emitted) == []
    again = from_batterypass(PERFORMANCE, emitted)
    assert again.flags == ()
    assert again.values == fixed
    assert again.unmapped == first.unmapped  # what we do not hold passes through from the base


@pytest.mark.parametrize(
    ("aspect", "key", "value"),
    [
        (GENERAL, "battery_passport_identifier", "urn:uuid:4f1c2d9e-1111-4aaa-8bbb-123456789abc"),
        (GENERAL, "manufacturing_date", "2025-11"),  # a month: the model wants a date-time
        (GENERAL, "battery_status", "recycled"),
        (GENERAL, "battery_mass", {"value": 452500, "unit": "g"}),
        (CARBON_FOOTPRINT, "carbon_footprint_study_link", "see our website"),
        (CARBON_FOOTPRINT, "carbon_footprint_raw_material_share", 0.6),  # fine as 0.6 %...
        (PERFORMANCE, "state_of_charge", 64.0),  # no lastUpdate
        (PERFORMANCE, "state_of_charge", {"value": 64.0, "unit": "%", "measured_at": "2026-03-02T17:05"}),
        (PERFORMANCE, "time_below_temperature_boundary", {"value": 1.0, "unit": "min", "measured_at": T2}),
        (PERFORMANCE, "rated_capacity", {"value": 75.0, "unit": "kWh"}),
    ],
)
def test_unrepresentable_value_raises_invalid_input_naming_the_attribute(
    aspect: str, key: str, value: object
) -> None:
    values = {**PASSPORT[aspect], key: value}
    if key == "carbon_footprint_raw_material_share":
        del values["carbon_footprint_per_functional_unit"]  # ...but no total to express it in kg CO2e/kWh
    with pytest.raises(InvalidInput) as caught:
        to_batterypass(values, aspect, base=_base(aspect))
    assert caught.value.status == 400
    assert caught.value.extra["attribute"] == key


def test_missing_sources_name_our_keys_and_the_base_paths() -> None:
    values = {k: v for k, v in PASSPORT[PERFORMANCE].items() if k != "state_of_charge"}
    with pytest.raises(InvalidInput) as caught:
        to_batterypass(values, PERFORMANCE)
    assert caught.value.extra["missing"] == ["state_of_charge"]
    assert caught.value.extra["from_base"] == [
        "batteryTechicalProperties.originalPowerCapability",
        "batteryTechicalProperties.powerCapabilityRatio",
        "batteryCondition.remainingCapacity",
        "batteryCondition.negativeEvents",
        "batteryCondition.remainingPowerCapability",
    ]


def test_export_does_not_change_the_base_or_leak_its_mapped_values() -> None:
    base = _base(GENERAL)
    before = json.dumps(base, sort_keys=True)
    values = {k: v for k, v in PASSPORT[GENERAL].items() if k != "putting_into_service_date"}
    with pytest.raises(InvalidInput) as caught:
        to_batterypass(values, GENERAL, base=base)
    assert caught.value.extra["missing"] == ["putting_into_service_date"]
    assert json.dumps(base, sort_keys=True) == before


def test_unknown_aspect_and_base_for_complete_aspects_are_rejected() -> None:
    with pytest.raises(InvalidInput):
        to_batterypass({}, "Nameplate")
    with pytest.raises(InvalidInput):
        to_batterypass(FULL, CIRCULARITY, base={})
    assert to_batterypass(FULL, CIRCULARITY) == to_batterypass_circularity(FULL)


# --- cross-check with the hand-made mapping table in ../shared (CC BY-NC, never copied here) ------------

_CSV = (
    Path(__file__).resolve().parents[3]
    / "shared/reference/passport/eu-battery-regulation/annex-xiii-attributes.csv"
)


def _csv_paths(column: str) -> dict[str, str]:
    if not _CSV.exists():
        pytest.skip("shared/ reference data not present")
    with _CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(LONGLIST)
    return {a.key: row[column] for a, row in zip(LONGLIST, rows, strict=True)}  # same longlist order


def _names(path: str) -> set[str]:
    """Property names and selector values of a rule path's last two segments ("fooValue" also as "foo")."""
    names: set[str] = set()
    for segment in path.split(".")[-2:]:
        for part in re.split(r"[\[\]=]", segment):
            if part:
                names |= {part, part.removesuffix("Value")}
    return names


def test_every_rule_agrees_with_the_reference_mapping_table() -> None:
    paths = _csv_paths("batterypass_1_2_path")
    rules = [*CIRCULARITY_RULES, *SUPPLY_CHAIN_RULES, *(r for a in ASPECTS.values() for r in a.rules)]
    for rule in rules:
        assert not paths[rule.key].startswith("-"), rule.key
        assert any(name in paths[rule.key] for name in _names(rule.path)), (rule.key, paths[rule.key])
