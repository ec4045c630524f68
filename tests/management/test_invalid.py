"""Malformed bodies give InvalidInput whose detail names the field and what was expected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from battrace.errors import InvalidInput
from battrace.jsonld import EDC_NS
from battrace.management import (
    TerminateInput,
    parse_asset,
    parse_catalog_request,
    parse_contract_definition,
    parse_contract_request,
    parse_policy_definition,
    parse_query_spec,
    parse_terminate,
    parse_transfer_request,
)

from ._fixtures import asset_short, contract_definition_short, deep, load, transfer_request_short

VOCAB = {"@vocab": EDC_NS}


def _fails(parse: Callable[[Any], object], body: Any, *fragments: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(body)
    for fragment in fragments:
        assert fragment in caught.value.detail, caught.value.detail


@pytest.mark.parametrize("body", [[], "asset", 42, None, True])
def test_a_body_that_is_not_an_object_is_rejected(body: Any) -> None:
    _fails(parse_asset, body, "must be a JSON object")


def test_unknown_remote_context_is_rejected_without_fetching_it() -> None:
    body = asset_short()
    body["@context"] = ["https://example.com/unknown-context.jsonld", VOCAB]
    _fails(parse_asset, body, "https://example.com/unknown-context.jsonld", "not available offline")


def test_body_without_context_is_rejected_instead_of_silently_emptied() -> None:
    body = asset_short()
    del body["@context"]
    _fails(parse_asset, body, "'@context' is missing", "properties")


def test_body_of_another_type_is_rejected() -> None:
    policy = load("policydefinition-usage-allow-all.json")
    policy["dataAddress"] = {"type": "HttpData"}
    _fails(parse_asset, policy, "@type must be", "Asset", "PolicyDefinition")


def test_asset_without_data_address_is_rejected() -> None:
    body = asset_short()
    del body["dataAddress"]
    _fails(parse_asset, body, "dataAddress is required")


def test_asset_data_address_without_type_is_rejected() -> None:
    body = asset_short()
    del body["dataAddress"]["type"]
    _fails(parse_asset, body, "dataAddress.type is required")


def test_asset_with_conflicting_ids_is_rejected() -> None:
    body = asset_short()
    body["properties"]["id"] = "another"
    _fails(parse_asset, body, "differ")


def test_asset_properties_that_are_not_an_object_are_rejected() -> None:
    body = asset_short()
    body["properties"] = "name=x"
    _fails(parse_asset, body, "properties: expected an object")


def test_policy_definition_without_policy_is_rejected() -> None:
    body = load("policydefinition-usage-allow-all.json")
    del body["policy"]
    _fails(parse_policy_definition, body, "policy is required")


def test_policy_without_permission_or_prohibition_is_rejected() -> None:
    body = load("policydefinition-usage-allow-all.json")
    del body["policy"]["permission"]
    _fails(parse_policy_definition, body, "at least one permission or prohibition")


def test_policy_with_only_empty_permissions_is_rejected() -> None:
    body = load("policydefinition-usage-allow-all.json")
    body["policy"]["permission"] = []
    _fails(parse_policy_definition, body, "at least one permission or prohibition")


def test_rule_without_action_is_rejected() -> None:
    body = load("policydefinition-usage-bpn-group.json")
    del body["policy"]["permission"][0]["action"]
    _fails(parse_policy_definition, body, "policy.permission[0].action is required")


def test_rule_that_is_not_an_object_is_rejected() -> None:
    body = load("policydefinition-usage-allow-all.json")
    body["policy"]["permission"] = ["use"]
    _fails(parse_policy_definition, body, "policy.permission[0]")


def test_policy_of_a_non_policy_type_is_rejected() -> None:
    body = load("policydefinition-usage-allow-all.json")
    body["policy"]["@type"] = "Asset"
    _fails(parse_policy_definition, body, "policy.@type must be")


def test_contract_request_offer_without_id_is_rejected() -> None:
    body = load("contract-request-management-api-07_edrs.json")
    del body["policy"]["@id"]
    _fails(parse_contract_request, body, "policy.@id is required")


def test_contract_request_offer_without_target_is_rejected() -> None:
    body = load("contract-request-management-api-07_edrs.json")
    del body["policy"]["target"]
    _fails(parse_contract_request, body, "policy.target is required")


def test_contract_request_offer_of_type_set_is_rejected() -> None:
    body = load("contract-request-management-api-07_edrs.json")
    body["policy"]["@type"] = "Set"
    _fails(parse_contract_request, body, "policy.@type must be Offer")


def test_contract_request_without_counter_party_address_is_rejected() -> None:
    body = load("contract-request-management-api-05_contractnegotiations.json")
    del body["counterPartyAddress"]
    _fails(parse_contract_request, body, "counterPartyAddress is required")


def test_callback_without_uri_is_rejected() -> None:
    body = load("contract-request-management-api-05_contractnegotiations.json")
    del body["callbackAddresses"][0]["uri"]
    _fails(parse_contract_request, body, "callbackAddresses[0].uri is required")


def test_two_values_for_a_single_valued_field_are_rejected() -> None:
    body = load("catalog-request-management-api.json")
    body["counterPartyAddress"] = ["https://a.example", "https://b.example"]
    _fails(parse_catalog_request, body, "counterPartyAddress: expected a single value, got 2")


def test_catalog_request_without_protocol_is_rejected() -> None:
    body = load("catalog-request-management-api.json")
    del body["protocol"]
    _fails(parse_catalog_request, body, "protocol is required")


def test_non_string_policy_id_is_rejected() -> None:
    body = contract_definition_short()
    body["accessPolicyId"] = 5
    _fails(parse_contract_definition, body, "accessPolicyId: expected a string, got a number")


def test_blank_policy_id_is_rejected() -> None:
    body = contract_definition_short()
    body["contractPolicyId"] = "  "
    _fails(parse_contract_definition, body, "contractPolicyId must not be blank")


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"limit": 0}, ("querySpec.limit", "between 1 and 1000", "got 0")),
        ({"limit": 1001}, ("querySpec.limit", "got 1001")),
        ({"limit": "ten"}, ("querySpec.limit: expected an integer, got a string",)),
        ({"limit": True}, ("querySpec.limit: expected an integer, got a boolean",)),
        ({"offset": -1}, ("querySpec.offset must be >= 0",)),
        ({"sortOrder": "UP"}, ("querySpec.sortOrder must be ASC or DESC",)),
        ({"filterExpression": ["id=1"]}, ("querySpec.filterExpression[0]: expected an object",)),
        (
            {"filterExpression": [{"operandLeft": "id", "operator": "~", "operandRight": 1}]},
            ("querySpec.filterExpression[0].operator '~' is not supported",),
        ),
        (
            {"filterExpression": [{"operandLeft": "id", "operator": "="}]},
            ("querySpec.filterExpression[0].operandRight is required",),
        ),
        (
            {"filterExpression": [{"operator": "=", "operandRight": 1}]},
            ("querySpec.filterExpression[0].operandLeft is required",),
        ),
    ],
)
def test_bad_query_spec_names_the_field(change: dict[str, Any], fragments: tuple[str, ...]) -> None:
    _fails(parse_query_spec, {"@context": VOCAB, **change}, *fragments)


def test_unsupported_transfer_type_is_rejected() -> None:
    body = transfer_request_short()
    body["transferType"] = "AmazonS3-PUSH"
    _fails(parse_transfer_request, body, "transferType must be one of", "AmazonS3-PUSH")


def test_push_transfer_without_destination_is_rejected() -> None:
    body = transfer_request_short()
    body["transferType"] = "HttpData-PUSH"
    _fails(parse_transfer_request, body, "dataDestination is required for HttpData-PUSH")


def test_transfer_without_contract_id_is_rejected() -> None:
    body = deep(transfer_request_short())
    del body["contractId"]
    _fails(parse_transfer_request, body, "contractId is required")


def test_terminate_reads_an_optional_reason() -> None:
    body = {"@context": VOCAB, "@type": "TerminateNegotiation", "@id": "n-1", "reason": "changed my mind"}
    assert parse_terminate(body) == TerminateInput(reason="changed my mind")
    assert parse_terminate({"@context": VOCAB, "@type": "TerminateTransfer"}) == TerminateInput(None)


def test_terminate_reason_must_be_a_string() -> None:
    _fails(parse_terminate, {"@context": VOCAB, "reason": {"code": 1}}, "reason: expected a string")
