"""Every Tractus-X walkthrough *request* body is accepted exactly as published.

Out of scope: `connector-*-discovery-*.json` (the Tractus-X connector-discovery extension,
`/v3/connectordiscovery/...`) has no parser here. The response files are checked in test_render.py.
"""

from __future__ import annotations

import pytest

from battrace.jsonld import CX_POLICY_CONTEXT, DSP_CONTEXT, DSP_ODRL_PROFILE, EDC_NS
from battrace.management import (
    CallbackAddress,
    Criterion,
    QuerySpec,
    parse_catalog_request,
    parse_contract_request,
    parse_policy_definition,
)
from battrace.management._ld import expand

from ._fixtures import CATALOG_REQUEST, CONTRACT_REQUESTS, POLICY_DEFINITIONS, load

POLICY_CONTEXT = [CX_POLICY_CONTEXT, DSP_ODRL_PROFILE, DSP_CONTEXT]


def test_the_fixture_set_is_complete() -> None:
    assert len(POLICY_DEFINITIONS) == 6
    assert len(CONTRACT_REQUESTS) == 2


@pytest.mark.parametrize("name", POLICY_DEFINITIONS)
def test_walkthrough_policy_definition_parses_to_an_equivalent_dsp_policy(name: str) -> None:
    body = load(name)
    parsed = parse_policy_definition(body)
    assert parsed.id == body["@id"]
    assert parsed.policy["@type"] == "Set"
    # Same meaning: the DSP form expands to exactly what the walkthrough body's policy expands to.
    original = expand(body)[0][EDC_NS + "policy"]
    assert expand(parsed.policy) == original


def test_access_policy_keeps_catena_x_terms_short_and_context_ordered() -> None:
    parsed = parse_policy_definition(load("policydefinition-access-membership-deg.json"))
    assert parsed.policy == {
        "@context": POLICY_CONTEXT,
        "@type": "Set",
        "permission": [
            {
                "action": "access",
                "constraint": [
                    {
                        "and": [
                            {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
                            {
                                "leftOperand": "FrameworkAgreement",
                                "operator": "eq",
                                "rightOperand": "DataExchangeGovernance:1.0",
                            },
                        ]
                    }
                ],
            }
        ],
    }


def test_policy_without_catena_x_terms_does_not_ask_for_the_catena_x_context() -> None:
    parsed = parse_policy_definition(load("policydefinition-usage-allow-all.json"))
    assert parsed.policy == {
        "@context": [DSP_ODRL_PROFILE, DSP_CONTEXT],
        "@type": "Set",
        "permission": [{"action": "use"}],
    }


def test_set_operator_keeps_a_one_element_right_operand_as_an_array() -> None:
    parsed = parse_policy_definition(load("policydefinition-usage-framework-purpose.json"))
    constraint = parsed.policy["permission"][0]["constraint"][0]["and"][1]
    assert constraint == {"leftOperand": "UsagePurpose", "operator": "isAnyOf", "rightOperand": ["<value>"]}


def test_undefined_left_operand_of_the_template_stays_a_full_iri() -> None:
    parsed = parse_policy_definition(load("policydefinition-usage-chained-template.json"))
    first = parsed.policy["permission"][0]["constraint"][0]["and"][0]
    assert first["leftOperand"] == EDC_NS + "<leftOperand>"


def test_contract_request_for_negotiations_keeps_the_empty_offer_as_sent() -> None:
    parsed = parse_contract_request(load("contract-request-management-api-05_contractnegotiations.json"))
    assert parsed.counter_party_address == "https://provider-control.plane/api/v1/dsp/2025-1"
    assert parsed.counter_party_id is None
    assert parsed.protocol == "dataspace-protocol-http:2025-1"
    assert parsed.offer == {
        "@id": "{{OFFER_ID}}",
        "@type": "Offer",
        "target": "{{ASSET_ID}}",
        "assigner": "{{PROVIDER_IDENTIFIER}}",
        "permission": [],
        "prohibition": [],
        "obligation": [],
    }
    assert parsed.offer_context == []
    assert parsed.callback_addresses == (
        CallbackAddress(
            uri="http://callback/url",
            events=("contract.negotiation",),
            transactional=False,
            auth_key="auth-key",
            auth_code_id="auth-code-id",
        ),
    )


def test_contract_request_for_edrs_yields_offer_with_catena_x_context() -> None:
    parsed = parse_contract_request(load("contract-request-management-api-07_edrs.json"))
    assert parsed.offer_context == [CX_POLICY_CONTEXT]
    assert parsed.offer["permission"] == [
        {
            "action": "use",
            "constraint": [
                {
                    "and": [
                        {
                            "leftOperand": "FrameworkAgreement",
                            "operator": "eq",
                            "rightOperand": "DataExchangeGovernance:1.0",
                        },
                    ]
                }
            ],
        }
    ]
    assert parsed.callback_addresses == ()


@pytest.mark.parametrize("name", CONTRACT_REQUESTS)
def test_offer_placed_in_a_dsp_contract_request_message_means_the_same_policy(name: str) -> None:
    body = load(name)
    parsed = parse_contract_request(body)
    message = {
        "@context": [*parsed.offer_context, DSP_CONTEXT],
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833",
        "offer": parsed.offer,
        "callbackAddress": "https://consumer.example/callback",
    }
    offer_in_message = expand(message)[0]["https://w3id.org/dspace/2025/1/offer"]
    assert offer_in_message == expand(body)[0][EDC_NS + "policy"]


def test_catalog_request_parses_with_its_query_spec() -> None:
    parsed = parse_catalog_request(load(CATALOG_REQUEST))
    assert parsed.counter_party_id == "did:web:one-example.com"
    assert parsed.counter_party_address == "https://provider.domain.com/api/v1/dsp/2025-1"
    assert parsed.protocol == "dataspace-protocol-http:2025-1"
    assert parsed.query_spec == QuerySpec(
        offset=0,
        limit=50,
        sort_field="http://purl.org/dc/terms/type",
        sort_order="ASC",
        filter_expression=(Criterion(EDC_NS + "someProperty", "=", "value"),),
    )
