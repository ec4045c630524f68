"""Specifications for the Catena-X battery_pass 6.1.0 mapping (fixtures: tests/fixtures/passport/catenax)."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

from battrace.errors import InvalidInput
from battrace.passport.attributes import LONGLIST
from battrace.passport.mapping.catenax import MAPPED_KEYS, MAPPING, from_catenax, to_catenax

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "passport" / "catenax"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    return Draft4Validator(_load("BatteryPass-schema.json"), format_checker=FormatChecker())


@pytest.fixture
def example() -> dict[str, Any]:
    return _load("BatteryPass.json")


def _complete_source(example: dict[str, Any]) -> dict[str, object]:
    """The imported example made complete: an EV category and a real into-service date."""
    values = dict(from_catenax(example).values)
    values["battery_category"] = "ev"
    values["putting_into_service_date"] = "2001-02-03"
    return values


def test_official_example_validates_against_the_schema(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    assert list(validator.iter_errors(example)) == []


def test_import_flags_known_bad_values_and_imports_the_rest(example: dict[str, Any]) -> None:
    result = from_catenax(example)
    flagged = {flag.attribute: flag for flag in result.flags}
    assert set(flagged) == {"putting_into_service_date", "battery_category"}
    assert flagged["putting_into_service_date"].path == "operation.intoServiceDate"
    assert flagged["putting_into_service_date"].value == "7172-75-08"
    assert flagged["putting_into_service_date"].reason == "date_real"
    assert flagged["battery_category"].path == "identification.category"
    assert flagged["battery_category"].value == "SLI"  # SLI batteries need no passport (Art. 77(1))
    assert "putting_into_service_date" not in result.values
    assert "battery_category" not in result.values
    assert set(result.values) == MAPPED_KEYS - set(flagged)
    assert result.values["battery_mass"] == 0.02  # 20 g -> kg
    assert result.values["battery_status"] == "original"
    assert result.values["manufacturing_date"] == "2000-01-31"
    assert result.values["rated_capacity"] == 4.0
    assert result.values["round_trip_efficiency_at_half_cycle_life"] == 89.0
    assert result.values["idle_temperature_lower_boundary"] == -18.0
    assert result.values["expected_lifetime_cycles"] == 1500
    assert result.values["state_of_charge"] == {
        "value": 50.0, "unit": "%", "measured_at": "2023-12-07T10:39:13.576+01:00"
    }  # fmt: skip
    assert result.values["eu_declaration_of_conformity"] == "https://dummy.link"
    assert result.values["third_party_assurances"] == ["https://dummy.link"]
    assert result.values["initial_internal_resistance"] == 0.55  # the pack's
    assert result.values["current_self_discharge_rate"] == 0.25
    # what has no exact counterpart is reported, not dropped
    assert "materials.active.nickel.recycled" in result.unmapped  # no pre/post-consumer split
    assert "sustainability.carbonFootprint[0].lifecycle" in result.unmapped  # free-text stage
    assert not any(leaf.startswith("performance.dynamic.stateOfCharge") for leaf in result.unmapped)


def test_import_export_import_keeps_every_mapped_attribute(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    source = _complete_source(example)
    assert set(source) == MAPPED_KEYS
    emitted = to_catenax(source, base=example)
    assert list(validator.iter_errors(emitted)) == []
    again = from_catenax(emitted)
    assert again.flags == ()
    assert again.values == source


def test_export_does_not_leak_base_values_for_mapped_paths(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    source = _complete_source(example)
    del source["putting_into_service_date"]
    emitted = to_catenax(source, base=example)
    assert "intoServiceDate" not in emitted["operation"]  # type: ignore[operator]
    assert list(validator.iter_errors(emitted)) == []
    assert example["operation"]["intoServiceDate"] == "7172-75-08"  # base untouched


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("battery_status", "re-used"),
        ("battery_category", "lmt"),
        ("battery_category", "industrial"),
        ("battery_mass", {"value": 450.5, "unit": "kg"}),
    ],
)
def test_every_emitted_document_validates(
    validator: Draft4Validator, example: dict[str, Any], key: str, value: object
) -> None:
    source = _complete_source(example)
    source[key] = value
    emitted = to_catenax(source, base=example)
    assert list(validator.iter_errors(emitted)) == []
    expected = value["value"] if isinstance(value, dict) else value
    assert from_catenax(emitted).values[key] == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("battery_category", "stationary_storage"),  # no Catena-X category
        ("manufacturing_date", "2020-05"),  # Catena-X needs a full date
        ("battery_status", "recycled"),  # not an Annex XIII status
        ("rated_capacity", -1),
        ("battery_mass", {"value": 450.5, "unit": "g"}),  # not the catalogue unit
    ],
)
def test_unrepresentable_value_raises_invalid_input_naming_the_attribute(
    example: dict[str, Any], key: str, value: object
) -> None:
    source = _complete_source(example)
    source[key] = value
    with pytest.raises(InvalidInput) as caught:
        to_catenax(source, base=example)
    assert caught.value.status == 400
    assert key in caught.value.detail


def test_export_refuses_missing_required_attributes(example: dict[str, Any]) -> None:
    source = _complete_source(example)
    del source["battery_chemistry"]
    del source["rated_capacity"]
    with pytest.raises(InvalidInput) as caught:
        to_catenax(source, base=example)
    assert caught.value.extra["attributes"] == ["battery_chemistry", "rated_capacity"]


def test_export_without_base_is_refused(example: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        to_catenax(_complete_source(example))


def test_import_does_not_mutate_or_need_optional_paths(example: dict[str, Any]) -> None:
    trimmed = copy.deepcopy(example)
    del trimmed["operation"]["intoServiceDate"]
    result = from_catenax(trimmed)
    assert [flag.attribute for flag in result.flags] == ["battery_category"]
    assert "putting_into_service_date" not in result.values


T1, T2 = "2026-03-01T08:30:00+01:00", "2026-03-02T17:05:00Z"

PASSPORT: dict[str, object] = {
    "battery_passport_identifier": "urn:uuid:4f1c2d9e-1111-4aaa-8bbb-123456789abc",
    "battery_category": "ev",
    "battery_chemistry": "NMC811",
    "manufacturing_date": "2025-11-03",
    "putting_into_service_date": "2026-01-15",
    "battery_mass": 452.5,
    "battery_status": "original",
    "rated_capacity": 180.0,
    "capacity_threshold_for_exhaustion": 70.0,
    "minimum_voltage": 300.0,
    "maximum_voltage": 470.0,
    "nominal_voltage": 400.0,
    "initial_round_trip_efficiency": 95.0,
    "round_trip_efficiency_at_half_cycle_life": 91.0,
    "initial_self_discharge_rate": 2.0,
    "idle_temperature_lower_boundary": -20.0,
    "idle_temperature_upper_boundary": 45.0,
    "expected_lifetime_years": 12,
    "expected_lifetime_cycles": 2500,
    "certified_usable_energy": 75.0,
    "initial_internal_resistance": 0.08,
    "state_of_charge": {"value": 64.0, "unit": "%", "measured_at": T2},
    "full_cycles": {"value": 160, "unit": "cycles", "measured_at": T1},
    "remaining_capacity": {"value": 176.4, "unit": "Ah", "measured_at": T1},
    "capacity_fade": {"value": 2.0, "unit": "%", "measured_at": T1},
    "capacity_throughput": {"value": 30000.0, "unit": "Ah", "measured_at": T1},
    "remaining_usable_energy": {"value": 73.1, "unit": "kWh", "measured_at": T1},
    "state_of_certified_energy": {"value": 97.5, "unit": "%", "measured_at": T1},
    "energy_throughput": {"value": 12000.0, "unit": "kWh", "measured_at": T1},
    "remaining_power_capability": {"value": 141000.0, "unit": "W", "measured_at": T2},
    "power_fade": {"value": 6.0, "unit": "%", "measured_at": T2},
    "remaining_round_trip_efficiency": {"value": 93.0, "unit": "%", "measured_at": T1},
    "round_trip_efficiency_fade": {"value": 2.1, "unit": "%", "measured_at": T1},
    "internal_resistance_increase": {"value": 7.5, "unit": "%", "measured_at": T2},
    # 0.08 ohm initial + 7.5 % = 0.086 ohm, measured with the increase
    "current_ohmic_resistance": {"value": 0.086, "unit": "Ω", "measured_at": T2},
    "current_self_discharge_rate": 2.4,
    "eu_declaration_of_conformity": "https://example.com/doc/eu-doc.pdf",
    "compliance_test_reports": "https://example.com/doc/test-reports.pdf",
    "third_party_assurances": ["https://example.com/irma.pdf", "https://example.com/rmi.pdf"],
    "end_user_separate_collection": "https://example.com/eol/collection",
    "end_user_waste_prevention": "https://example.com/eol/prevention",
    "safety_measures": "https://example.com/safety.pdf",
    "dismantling_information": "https://example.com/dismantling.pdf",
}


def test_complete_passport_exports_a_valid_document_and_imports_back_identical(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    assert set(PASSPORT) == MAPPED_KEYS
    emitted: Any = to_catenax(PASSPORT, base=example)
    assert list(validator.iter_errors(emitted)) == []
    assert emitted["performance"]["dynamic"]["stateOfCharge"] == {"value": 64.0, "time": T2}
    assert emitted["conformity"]["thirdPartyAssurance"][1] == {
        "contentType": "URL",
        "header": "Third party assurances of recognised schemes",
        "content": "https://example.com/rmi.pdf",
    }
    again = from_catenax(emitted)
    assert again.flags == ()
    assert again.values == PASSPORT


def test_the_current_ohmic_resistance_is_the_remaining_pack_resistance(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    # Annex VII Part A(5): Catena-X performance.dynamic.resistance.remaining.pack {value (ohm), time}.
    imported = from_catenax(example).values["current_ohmic_resistance"]
    assert imported == {"value": 0.3, "unit": "Ω", "measured_at": "2023-12-07T10:39:13.576+01:00"}
    emitted: Any = to_catenax(PASSPORT, base=example)
    remaining = emitted["performance"]["dynamic"]["resistance"]["remaining"]
    assert remaining["pack"] == {"value": 0.086, "time": T2}
    assert remaining["cell"] == example["performance"]["dynamic"]["resistance"]["remaining"]["cell"]
    assert list(validator.iter_errors(emitted)) == []


def test_documents_we_do_not_hold_are_emitted_as_empty_lists(
    validator: Draft4Validator, example: dict[str, Any]
) -> None:
    source = {k: v for k, v in PASSPORT.items() if k not in ("safety_measures", "third_party_assurances")}
    emitted: Any = to_catenax(source, base=example)
    assert emitted["safety"]["safetyMeasures"] == []  # not the base's "Example Document XYZ"
    assert emitted["conformity"]["thirdPartyAssurance"] == []
    assert list(validator.iter_errors(emitted)) == []
    assert from_catenax(emitted).values == source


def test_document_lists_that_do_not_fit_our_attribute_are_flagged(example: dict[str, Any]) -> None:
    doc = copy.deepcopy(example)
    doc["safety"]["dismantling"].append(dict(doc["safety"]["dismantling"][0]))  # two manuals, we hold one
    doc["conformity"]["resultOfTestReport"][0]["content"] = "ftp://example.com/report.pdf"
    result = from_catenax(doc)
    by_path = {flag.path: flag for flag in result.flags}
    assert by_path["safety.dismantling"].reason == "document_count"
    assert by_path["conformity.resultOfTestReport"].reason == "document_link_not_web"
    assert "dismantling_information" not in result.values
    assert "compliance_test_reports" not in result.values


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("state_of_charge", 64.0),  # a dynamic value needs its time
        ("remaining_capacity", {"value": 176.4, "unit": "Ah", "measured_at": "2026-03-01"}),
        ("remaining_capacity", {"value": 176.4, "unit": "Ah", "measured_at": "2026-03-01T08:30:00"}),
        ("remaining_capacity", {"value": 52.0, "unit": "kWh", "measured_at": T1}),  # Ah, not kWh
        ("eu_declaration_of_conformity", "see the paper copy"),
        ("third_party_assurances", ["https://example.com/a", "ftp://example.com/b"]),
    ],
)
def test_unrepresentable_dynamic_value_or_document_raises_naming_the_attribute(
    example: dict[str, Any], key: str, value: object
) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_catenax({**PASSPORT, key: value}, base=example)
    assert caught.value.extra["attribute"] == key


def test_non_object_document_is_rejected() -> None:
    with pytest.raises(InvalidInput):
        from_catenax([])


# --- cross-check with the hand-made mapping table in ../shared (CC BY-NC, never copied here) ------------

_CSV = (
    Path(__file__).resolve().parents[3]
    / "shared/reference/passport/eu-battery-regulation/annex-xiii-attributes.csv"
)


def test_every_mapping_agrees_with_the_reference_mapping_table() -> None:
    if not _CSV.exists():
        pytest.skip("shared/ reference data not present")
    with _CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    column = {a.key: row["tractusx_battery_pass_6_1_0_path"] for a, row in zip(LONGLIST, rows, strict=True)}
    for m in MAPPING:
        if m.key not in column:  # beyond the longlist (ADDITIONS): checked against the schema by its own test
            continue
        cell = column[m.key]
        assert not cell.startswith(("-", "closest")), m.key
        # the table writes leaves as a.b.c or a.b{c,d}: the parent and the leaf name both appear
        assert m.path[-1] in cell or m.path[-2] in cell, (m.key, cell)
        assert ".".join(m.path[:2]) in cell, (m.key, cell)
