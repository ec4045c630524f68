"""Short (`@vocab`), `edc:`-prefixed and fully expanded JSON-LD are the same input."""

from __future__ import annotations

from battrace.jsonld import DCT_NS, EDC_NS
from battrace.management import (
    AssetInput,
    Criterion,
    parse_asset,
    parse_contract_definition,
    parse_policy_definition,
    parse_query_spec,
    parse_transfer_request,
)

from ._fixtures import (
    asset_expanded,
    asset_prefixed,
    asset_short,
    contract_definition_short,
    load,
    policy_expanded,
    policy_prefixed,
    transfer_request_short,
)

EXPECTED_ASSET = AssetInput(
    id="battery-pass-1",
    properties={
        EDC_NS + "id": "battery-pass-1",
        EDC_NS + "name": "Battery passport",
        EDC_NS + "contenttype": "application/json",
        DCT_NS + "type": {"@id": "https://w3id.org/catenax/taxonomy#Submodel"},
        EDC_NS + "version": 3,
    },
    private_properties={EDC_NS + "owner": "team-a"},
    data_address={
        "type": "HttpData",
        "baseUrl": "https://backend.example/passports",
        "proxyPath": "true",
        "proxyQueryParams": "true",
    },
)


def test_asset_in_short_form_reads_expanded_property_keys_and_short_data_address_keys() -> None:
    assert parse_asset(asset_short()) == EXPECTED_ASSET


def test_asset_in_prefixed_form_equals_short_form() -> None:
    assert parse_asset(asset_prefixed()) == EXPECTED_ASSET


def test_asset_in_expanded_form_equals_short_form() -> None:
    assert parse_asset(asset_expanded()) == EXPECTED_ASSET


def test_asset_id_may_come_from_the_id_property() -> None:
    body = asset_short()
    del body["@id"]
    body["properties"]["id"] = "battery-pass-1"
    assert parse_asset(body) == EXPECTED_ASSET


def test_asset_without_any_id_leaves_the_id_to_the_caller() -> None:
    body = asset_short()
    del body["@id"]
    parsed = parse_asset(body)
    assert parsed.id is None
    assert EDC_NS + "id" not in parsed.properties


def test_policy_definition_in_prefixed_form_equals_the_walkthrough_form() -> None:
    walkthrough = parse_policy_definition(load("policydefinition-usage-framework-purpose.json"))
    assert parse_policy_definition(policy_prefixed()) == walkthrough


def test_policy_definition_in_expanded_form_equals_the_walkthrough_form() -> None:
    walkthrough = parse_policy_definition(load("policydefinition-usage-framework-purpose.json"))
    assert parse_policy_definition(policy_expanded()) == walkthrough


def test_contract_definition_criteria_use_expanded_operand_left() -> None:
    parsed = parse_contract_definition(contract_definition_short())
    assert parsed.id == "cd-1"
    assert parsed.access_policy_id == "membership-deg"
    assert parsed.contract_policy_id == "framework-purpose"
    assert parsed.assets_selector == (
        Criterion(EDC_NS + "id", "in", ["battery-pass-1", "battery-pass-2"]),
        Criterion(EDC_NS + "contenttype", "=", "application/json"),
    )


def test_contract_definition_in_prefixed_form_equals_short_form() -> None:
    body = {
        "@context": {"edc": EDC_NS},
        "@id": "cd-1",
        "@type": "edc:ContractDefinition",
        "edc:accessPolicyId": "membership-deg",
        "edc:contractPolicyId": "framework-purpose",
        "edc:assetsSelector": [
            {
                "edc:operandLeft": "id",
                "edc:operator": "in",
                "edc:operandRight": ["battery-pass-1", "battery-pass-2"],
            },
            {"edc:operandLeft": "contenttype", "edc:operator": "=", "edc:operandRight": "application/json"},
        ],
    }
    assert parse_contract_definition(body) == parse_contract_definition(contract_definition_short())


def test_contract_definition_without_selector_selects_everything() -> None:
    body = contract_definition_short()
    del body["assetsSelector"]
    assert parse_contract_definition(body).assets_selector == ()


def test_in_operator_keeps_a_one_element_list_as_a_list() -> None:
    body = {
        "@context": {"@vocab": EDC_NS},
        "filterExpression": [{"operandLeft": "id", "operator": "in", "operandRight": ["only-one"]}],
    }
    assert parse_query_spec(body).filter_expression == (Criterion(EDC_NS + "id", "in", ["only-one"]),)


def test_query_spec_defaults_apply_to_a_missing_or_empty_body() -> None:
    assert parse_query_spec(None) == parse_query_spec({"@context": {"@vocab": EDC_NS}})
    spec = parse_query_spec(None)
    assert (spec.offset, spec.limit, spec.sort_field, spec.sort_order, spec.filter_expression) == (
        0,
        50,
        None,
        "ASC",
        (),
    )


def test_transfer_request_reads_every_field() -> None:
    parsed = parse_transfer_request(transfer_request_short())
    assert parsed.contract_id == "agreement-1"
    assert parsed.asset_id == "battery-pass-1"
    assert parsed.transfer_type == "HttpData-PULL"
    assert parsed.counter_party_id == "did:web:provider.example"
    assert parsed.data_destination is None
    assert parsed.callback_addresses[0].events == ("transfer.process",)


def test_push_transfer_reads_its_destination_with_short_keys() -> None:
    body = transfer_request_short()
    body["transferType"] = "HttpData-PUSH"
    body["dataDestination"] = {"type": "HttpData", "baseUrl": "https://consumer.example/inbox"}
    parsed = parse_transfer_request(body)
    assert parsed.data_destination == {"type": "HttpData", "baseUrl": "https://consumer.example/inbox"}
