"""Connect-permission modes evaluated by the policy engine over verified claims."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from battrace.errors import InvalidInput
from battrace.policy import (
    AtomicConstraint,
    Decision,
    EvaluationContext,
    LeftOperandRegistry,
    Policy,
    Rule,
    default_registry,
    equivalent,
    evaluate,
    parse_policy,
)
from battrace.trust.modes import (
    ODRL_USE,
    SECURITY_PROFILE,
    connect_policy,
    min_security_profile,
    only_participants,
    only_with_attributes,
    policy_document,
    policy_from_config,
    register_mode_operands,
    security_profile,
)

NOW = datetime(2025, 6, 1, tzinfo=UTC)
CELL_MAKER = "did:web:cells.example.jp"
OEM = "did:web:oem.example.de"


def registry() -> LeftOperandRegistry:
    copy = default_registry().copy()
    register_mode_operands(copy)
    return copy


def decide(policy: Policy, did: str = CELL_MAKER, **claims: Any) -> Decision:
    context = EvaluationContext(scope="catalog", participant_did=did, claims=claims, now=NOW)
    return evaluate(policy, context, registry=registry())


def text(decision: Decision) -> str:
    return " | ".join(decision.reasons)


def test_listed_participant_is_allowed() -> None:
    decision = decide(only_participants([CELL_MAKER, OEM]))
    assert decision.allowed, decision.reasons


def test_participant_not_on_the_allow_list_is_denied_with_its_did() -> None:
    decision = decide(only_participants([OEM]), did=CELL_MAKER)
    assert not decision.allowed
    assert f"caller has {CELL_MAKER}" in text(decision)


def test_caller_with_the_required_role_is_allowed() -> None:
    policy = only_with_attributes({"roles": "CellMaker", "dataSpace": "ouranos"})
    assert decide(policy, roles=["CellMaker", "Recycler"], dataSpace="ouranos").allowed


@pytest.mark.parametrize(
    "claims",
    [
        {"roles": ["Recycler"], "dataSpace": "ouranos"},
        {"roles": ["CellMaker"], "dataSpace": "eu-battery"},
        {"dataSpace": "ouranos"},  # no role credential presented
    ],
)
def test_caller_missing_an_attribute_is_denied(claims: Mapping[str, Any]) -> None:
    decision = decide(only_with_attributes({"roles": "CellMaker", "dataSpace": "ouranos"}), **claims)
    assert not decision.allowed
    assert "not satisfied" in text(decision)


def test_absent_claim_is_named_in_the_reason() -> None:
    decision = decide(only_with_attributes({"corporateNumber": "1234567890123"}))
    assert not decision.allowed
    assert "caller presented no 'corporateNumber' claim" in text(decision)


def test_attribute_with_several_accepted_values_needs_one() -> None:
    policy = only_with_attributes({"roles": ["CellMaker", "VehicleOem"]})
    assert decide(policy, roles=["VehicleOem"]).allowed
    assert not decide(policy, roles=["Recycler"]).allowed


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        ("BASE", False),
        ("TRUST", True),
        ("TRUST_PLUS", True),
        ("idsc:TRUST_SECURITY_PROFILE", True),
        ("https://w3id.org/idsa/code/BASE_SECURITY_PROFILE", False),
        ("idsc:TRUSTPLUS_SECURITY_PROFILE", True),
    ],
)
def test_security_profile_is_ordered_base_trust_trust_plus(caller: str, allowed: bool) -> None:
    decision = decide(min_security_profile("TRUST"), securityProfile=caller)
    assert decision.allowed is allowed, decision.reasons
    assert "TRUST required" in text(decision)


def test_security_profile_too_low_says_so() -> None:
    decision = decide(min_security_profile("TRUST_PLUS"), securityProfile="TRUST")
    assert not decision.allowed
    assert "caller is certified TRUST, TRUST_PLUS required" in text(decision)


def test_unknown_caller_security_profile_is_denied() -> None:
    decision = decide(min_security_profile("BASE"), securityProfile="GOLD")
    assert not decision.allowed
    assert "not an IDS profile" in text(decision)


def test_missing_security_profile_is_denied() -> None:
    decision = decide(min_security_profile("BASE"))
    assert not decision.allowed
    assert "caller presented no 'securityProfile' claim" in text(decision)


def test_policy_with_an_unknown_required_profile_cannot_be_evaluated() -> None:
    policy = Policy(None, (Rule(ODRL_USE, (AtomicConstraint(SECURITY_PROFILE, "gteq", "GOLD"),)),))
    decision = decide(policy, securityProfile="TRUST_PLUS")
    assert not decision.allowed
    assert "could not be evaluated" in text(decision)


def test_mode_operands_are_unknown_without_registration() -> None:
    context = EvaluationContext(scope="catalog", participant_did=CELL_MAKER, claims={}, now=NOW)
    decision = evaluate(min_security_profile("BASE"), context, registry=default_registry())
    assert not decision.allowed
    assert "unknown left operand" in text(decision)


def test_combined_modes_need_every_one() -> None:
    policy = connect_policy(participants=[CELL_MAKER], attributes={"roles": "CellMaker"}, min_profile="BASE")
    assert decide(policy, roles=["CellMaker"], securityProfile="BASE").allowed
    assert not decide(policy, did=OEM, roles=["CellMaker"], securityProfile="BASE").allowed
    assert not decide(policy, roles=["CellMaker"], securityProfile=None).allowed


@pytest.mark.parametrize(
    "policy",
    [
        only_participants([CELL_MAKER, OEM], uid="urn:policy:1"),
        only_with_attributes({"roles": ["CellMaker", "Recycler"], "gln": "4012345000009"}),
        min_security_profile("idsc:TRUST_PLUS_SECURITY_PROFILE"),
        connect_policy(participants=[OEM], attributes={"certificationLevel": "MEMBER"}, min_profile="TRUST"),
    ],
)
def test_policy_documents_parse_back_to_the_same_policy(policy: Policy) -> None:
    document = policy_document(policy)
    assert document["@type"] == "Set"
    assert equivalent(parse_policy(document), policy, ignore=())


def test_config_builds_the_same_policy_as_the_functions() -> None:
    config = {"participants": [OEM], "attributes": {"roles": "VehicleOem"}, "minSecurityProfile": "TRUST"}
    expected = connect_policy(participants=[OEM], attributes={"roles": "VehicleOem"}, min_profile="TRUST")
    assert policy_from_config(config) == expected


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: policy_from_config({"participant": [OEM]}), "unknown connect-permission settings"),
        (lambda: policy_from_config({}), "at least one mode"),
        (lambda: only_participants(OEM), "not one string"),
        (lambda: only_participants([]), "non-empty list of DIDs"),
        (lambda: only_with_attributes({"favouriteColour": "red"}), "unknown attribute"),
        (lambda: only_with_attributes({"roles": {"a": 1}}), "takes a string"),
        (lambda: min_security_profile("GOLD"), "unknown security profile"),
    ],
)
def test_invalid_mode_settings_are_refused(build: Any, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        build()


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("base", "BASE"),
        ("idsc:TRUST_SECURITY_PROFILE", "TRUST"),
        ("https://w3id.org/idsa/code/security_guarantee/TRUST_PLUS_SECURITY_PROFILE", "TRUST_PLUS"),
        ("TRUSTPLUS", "TRUST_PLUS"),
        ("PLUS", None),
        (3, None),
    ],
)
def test_security_profile_spellings(spelling: Any, name: str | None) -> None:
    assert security_profile(spelling) == name


def test_policy_documents_use_the_battrace_policy_context_terms() -> None:
    document = policy_document(connect_policy(attributes={"roles": "CellMaker"}, min_profile="TRUST"))
    assert document["@context"][0] == "https://w3id.org/battrace/policy/v1/context.jsonld"
    operands = [c["leftOperand"] for c in document["permission"][0]["constraint"]]
    assert operands == ["roles", "securityProfile"]
