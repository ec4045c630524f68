"""policy_to_dsp: schema-valid DSP 2025-1 bodies that parse back to an equal Policy."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft201909Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

from battrace.jsonld import CX_POLICY_CONTEXT, DSP_CONTEXT, ODRL_NS
from battrace.policy import (
    BATTRACE_POLICY_CONTEXT,
    AtomicConstraint,
    LogicalConstraint,
    Policy,
    Rule,
    parse_policy,
    policy_to_dsp,
)
from battrace.policy.operands import ODRL_DATE_TIME, PARTICIPANT_DID

from ._helpers import ACCESS, FIXTURES, USE, cx, load

CONTRACT_REQUEST = "https://w3id.org/dspace/2025/1/negotiation/contract-request-message-schema.json"
CONTRACT_AGREEMENT = "https://w3id.org/dspace/2025/1/negotiation/contract-agreement-message-schema.json"


@cache
def _validator(schema_id: str) -> Draft201909Validator:
    resources = []
    for path in (FIXTURES / "dsp-2025-1").glob("*-schema.json"):
        # Upstream bug (reference README): some $refs read "#definitions/"; python-referencing needs "#/".
        text = path.read_text("utf-8").replace("#definitions/", "#/definitions/")
        contents = json.loads(text)
        resource = Resource.from_contents(contents, default_specification=DRAFT201909)
        resources.append((contents["$id"], resource))
    registry: Registry[Any] = Registry().with_resources(resources)
    return Draft201909Validator(registry.contents(schema_id), registry=registry)


def _request_message(policy: Policy) -> dict[str, Any]:
    body, contexts = policy_to_dsp(policy, policy_type="Offer")
    return {
        "@context": [*contexts, DSP_CONTEXT],
        "@type": "ContractRequestMessage",
        "consumerPid": "urn:uuid:consumer",
        "offer": body,
        "callbackAddress": "https://consumer.example/callback",
    }


def _errors(message: dict[str, Any], schema_id: str = CONTRACT_REQUEST) -> list[str]:
    return [e.message for e in _validator(schema_id).iter_errors(message)]


BATTERY_PASS = Policy(
    uid="offer-1",
    target="battery-pass-asset",
    permissions=(
        Rule(USE, (LogicalConstraint("and", (
            cx("FrameworkAgreement", "eq", "DataExchangeGovernance:1.0"),
            cx("UsagePurpose", "isAnyOf", ["cx.circular.dpp:1"]),
            cx("DataUsageEndDurationDays", "eq", 365),
        )),)),
    ),
    prohibitions=(Rule(USE, (cx("UsageRestriction", "isAllOf", ["cx.thirdParty.forbidden:1"]),)),),
    obligations=(Rule(USE, (cx("DataProvisioningEndDate", "eq", "2027-01-01T00:00:00Z"),)),),
)


def test_battery_pass_offer_is_schema_valid_inside_a_contract_request() -> None:
    message = _request_message(BATTERY_PASS)
    assert _errors(message) == []
    assert message["@context"] == [CX_POLICY_CONTEXT, DSP_CONTEXT]


def test_output_is_compact_and_unprefixed() -> None:
    body, _ = policy_to_dsp(BATTERY_PASS, policy_type="Offer")
    rule = body["permission"][0]
    assert rule["action"] == "use"
    members = rule["constraint"][0]["and"]
    lefts = [m["leftOperand"] for m in members]
    assert lefts == ["FrameworkAgreement", "UsagePurpose", "DataUsageEndDurationDays"]
    assert members[2]["rightOperand"] == {"@value": 365}  # DSP RightOperand is string | object | array
    assert "@context" not in body


def test_schema_validation_can_fail() -> None:
    message = _request_message(BATTERY_PASS)
    message["offer"]["permission"][0]["constraint"][0]["and"][0]["operator"] = "like"
    assert _errors(message)


def test_output_round_trips_through_parse_policy_with_the_message_context() -> None:
    message = _request_message(BATTERY_PASS)
    assert parse_policy(message["offer"], message["@context"]) == BATTERY_PASS


def test_agreement_with_assigner_assignee_is_schema_valid() -> None:
    agreement = Policy(
        uid="urn:uuid:agreement",
        target="asset-1",
        assigner="did:web:provider.example",
        assignee="did:web:consumer.example",
        profile=("https://w3id.org/catenax/2025/9/policy/profile",),
        permissions=(Rule(ACCESS, (cx("Membership", "eq", "active"),)),),
    )
    body, contexts = policy_to_dsp(agreement, policy_type="Agreement")
    body["timestamp"] = "2026-01-01T00:00:00Z"
    message: dict[str, Any] = {
        "@context": [*contexts, DSP_CONTEXT],
        "@type": "ContractAgreementMessage",
        "providerPid": "urn:uuid:p",
        "consumerPid": "urn:uuid:c",
        "agreement": body,
    }
    assert _errors(message, CONTRACT_AGREEMENT) == []
    assert parse_policy(body, message["@context"]) == agreement


def test_iris_without_a_term_are_written_in_full_and_battrace_terms_need_its_context() -> None:
    policy = Policy(uid="p", permissions=(Rule(ODRL_NS + "transfer", (
        AtomicConstraint(ODRL_DATE_TIME, "lt", "2027-01-01T00:00:00Z"),
        AtomicConstraint(PARTICIPANT_DID, "eq", "did:web:x"),
    )),))
    body, contexts = policy_to_dsp(policy)
    rule = body["permission"][0]
    assert rule["action"] == ODRL_NS + "transfer"
    assert [c["leftOperand"] for c in rule["constraint"]] == [ODRL_DATE_TIME, "participantDid"]
    assert contexts == [BATTRACE_POLICY_CONTEXT]
    assert parse_policy(body, [*contexts, DSP_CONTEXT]) == policy


def test_list_under_a_non_set_operator_survives_the_round_trip() -> None:
    policy = Policy(uid="p", permissions=(Rule(USE, (cx("BusinessPartnerGroup", "eq", ["gold"]),)),))
    body, contexts = policy_to_dsp(policy)
    assert parse_policy(body, [*contexts, DSP_CONTEXT]) == policy


@pytest.mark.parametrize(
    "path",
    [
        "usage-policy-individual-constraints-sample.json",
        "access-policy.json",
        "usage-policy-comprehensive-sample.json",
    ],
)
def test_upstream_samples_round_trip_and_validate(path: str) -> None:
    policy = parse_policy(load(f"cx-samples/{path}"))
    message = _request_message(policy)
    assert _errors(message) == []
    assert parse_policy(message["offer"], message["@context"]) == policy


def test_dsp_agreement_example_round_trips() -> None:
    message = load("dsp-2025-1/contract-agreement-message-full.json")
    policy = parse_policy(message["agreement"], message["@context"])
    body, contexts = policy_to_dsp(policy, policy_type="Agreement")
    assert contexts == []
    assert parse_policy(body, message["@context"]) == policy
