"""Specifications for the Battery Pass 1.2.0 mapping (Circularity, SupplyChainDueDiligence aspects)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from battrace.errors import InvalidInput
from battrace.passport.mapping.batterypass import (
    CIRCULARITY,
    CIRCULARITY_RULES,
    SUPPLY_CHAIN,
    from_batterypass,
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
