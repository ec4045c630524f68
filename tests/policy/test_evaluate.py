"""evaluate(): ODRL 2.2 decision rules, fail-closed on what cannot be evaluated, reasons for everything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from battrace.jsonld import CX_POLICY_NS, ODRL_NS
from battrace.policy import (
    AtomicConstraint,
    EvaluationContext,
    LogicalConstraint,
    Policy,
    Rule,
    UnknownLeftOperand,
    default_registry,
    evaluate,
    register_claim,
)
from battrace.policy.operands import BATTRACE_POLICY_NS, ODRL_DATE_TIME, PARTICIPANT_DID

from ._helpers import ACCESS, CALLER_DID, NOW, USE, caller, cx, permit

BPN_OK = cx("BusinessPartnerNumber", "isAnyOf", ["BPNL000000000001"])
BPN_BAD = cx("BusinessPartnerNumber", "isAnyOf", ["BPNL999999999999"])
MEMBER = cx("Membership", "eq", "active")


def test_permission_with_satisfied_constraints_allows() -> None:
    decision = evaluate(permit(BPN_OK, MEMBER), caller(), action=USE)
    assert decision.allowed
    assert decision.reasons[-1] == "decision: allowed"


def test_unsatisfied_constraint_denies() -> None:
    assert not evaluate(permit(BPN_OK, BPN_BAD), caller(), action=USE).allowed


def test_policy_without_permission_denies() -> None:
    decision = evaluate(Policy(uid="p"), caller(), action=USE)
    assert not decision.allowed
    assert "no permission" in decision.reasons[0]


def test_unknown_left_operand_is_denied_with_its_iri_in_the_reason() -> None:
    unknown = AtomicConstraint("https://example.com/ns/shoeSize", "eq", "42")
    decision = evaluate(permit(unknown), caller(), action=USE)
    assert not decision.allowed
    assert any("unknown left operand https://example.com/ns/shoeSize" in r for r in decision.reasons)


def test_unknown_left_operand_denies_even_inside_a_satisfied_or() -> None:
    unknown = AtomicConstraint("https://example.com/ns/shoeSize", "eq", "42")
    assert not evaluate(permit(LogicalConstraint("or", (unknown, BPN_OK))), caller(), action=USE).allowed


def test_dsp_example_operand_spatial_is_not_registered_and_denies() -> None:
    decision = evaluate(permit(AtomicConstraint("spatial", "eq", "http://example.org/EU")), caller())
    assert not decision.allowed
    with pytest.raises(UnknownLeftOperand):
        default_registry().resolve("spatial", caller())


def test_prohibition_wins_over_a_satisfied_permission() -> None:
    policy = Policy(
        uid="p",
        permissions=(Rule(USE, (BPN_OK,)),),
        prohibitions=(Rule(USE, (MEMBER,)),),
    )
    decision = evaluate(policy, caller(), action=USE)
    assert not decision.allowed
    assert any("prohibition use: applies" in r for r in decision.reasons)


def test_prohibition_whose_constraints_fail_does_not_apply() -> None:
    policy = Policy(uid="p", permissions=(Rule(USE, (BPN_OK,)),), prohibitions=(Rule(USE, (BPN_BAD,)),))
    assert evaluate(policy, caller(), action=USE).allowed


def test_contractual_prohibition_is_accepted_not_triggered() -> None:
    restriction = cx("UsageRestriction", "isAllOf", ["cx.thirdParty.forbidden:1"])
    policy = Policy(uid="p", permissions=(Rule(USE, (BPN_OK,)),), prohibitions=(Rule(USE, (restriction,)),))
    decision = evaluate(policy, caller(), action=USE)
    assert decision.allowed
    assert any("UsageRestriction" in r and "accepted as contractual term" in r for r in decision.reasons)


def test_invalid_contractual_value_in_a_prohibition_denies() -> None:
    restriction = cx("UsageRestriction", "isAllOf", ["ExtraordinaryAnalyticsForbiddenRightOperand"])
    policy = Policy(uid="p", permissions=(Rule(USE, (BPN_OK,)),), prohibitions=(Rule(USE, (restriction,)),))
    assert not evaluate(policy, caller(), action=USE).allowed


def test_use_permission_covers_the_access_action_but_access_does_not_cover_use() -> None:
    assert evaluate(permit(MEMBER), caller("catalog"), action=ACCESS).allowed
    access_only = permit(MEMBER, action=ACCESS)
    assert evaluate(access_only, caller("catalog"), action=ACCESS).allowed
    assert not evaluate(access_only, caller(), action=USE).allowed
    assert evaluate(access_only, caller(), action="access").allowed  # short names are accepted


def test_with_an_action_one_holding_permission_is_enough() -> None:
    policy = Policy(uid="p", permissions=(Rule(USE, (BPN_BAD,)), Rule(USE, (BPN_OK,))))
    assert evaluate(policy, caller(), action=USE).allowed


def test_without_an_action_every_permission_must_hold() -> None:
    policy = Policy(uid="p", permissions=(Rule(ACCESS, (BPN_BAD,)), Rule(ACCESS, (BPN_OK,))))
    assert not evaluate(policy, caller("catalog")).allowed
    both = Policy(uid="p", permissions=(Rule(ACCESS, (MEMBER,)), Rule(ACCESS, (BPN_OK,))))
    assert evaluate(both, caller("catalog")).allowed


@pytest.mark.parametrize(
    ("operator", "members", "expected"),
    [
        ("and", (BPN_OK, MEMBER), True),
        ("and", (BPN_OK, BPN_BAD), False),
        ("or", (BPN_BAD, MEMBER), True),
        ("or", (BPN_BAD, BPN_BAD), False),
        ("xone", (BPN_OK, BPN_BAD), True),
        ("xone", (BPN_OK, MEMBER), False),
        ("xone", (BPN_BAD, BPN_BAD), False),
        ("andSequence", (BPN_OK, MEMBER), True),
        ("andSequence", (BPN_OK, BPN_BAD), False),
    ],
)
def test_logical_operators(operator: str, members: tuple[AtomicConstraint, ...], expected: bool) -> None:
    decision = evaluate(permit(LogicalConstraint(operator, members)), caller(), action=USE)
    assert decision.allowed is expected
    assert any(r.startswith(f"permission use: {operator} of 2 constraint(s)") for r in decision.reasons)


def test_and_sequence_stops_at_the_first_failure() -> None:
    decision = evaluate(permit(LogicalConstraint("andSequence", (BPN_BAD, MEMBER))), caller(), action=USE)
    assert not decision.allowed
    assert not any("Membership" in r for r in decision.reasons)


def test_every_decision_has_reasons_naming_the_operand_and_the_callers_value() -> None:
    decision = evaluate(permit(cx("FrameworkAgreement", "eq", "DataExchangeGovernance:1.0")), caller())
    assert decision.reasons[0] == (
        "permission use: FrameworkAgreement eq DataExchangeGovernance:1.0 satisfied "
        "(caller has DataExchangeGovernance 1.0)"
    )


def test_missing_claim_is_unsatisfied_and_named() -> None:
    decision = evaluate(permit(BPN_OK), caller(bpn=None), action=USE)
    assert not decision.allowed
    assert any("no 'bpn' claim" in r for r in decision.reasons)


def test_odrl_date_time_reads_the_injected_clock() -> None:
    before = AtomicConstraint(ODRL_DATE_TIME, "lt", "2026-07-01T00:00:00Z")
    assert evaluate(permit(before), caller(now=NOW)).allowed
    assert not evaluate(permit(before), caller(now=NOW + timedelta(days=60))).allowed


def test_odrl_purpose_reads_the_purposes_claim() -> None:
    purpose = AtomicConstraint(ODRL_NS + "purpose", "isAnyOf", ["cx.circular.dpp:1"])
    assert evaluate(permit(purpose), caller()).allowed
    assert not evaluate(permit(purpose), caller(purposes=["cx.pcf.base:1"])).allowed


def test_participant_did_is_the_verified_caller() -> None:
    assert evaluate(permit(AtomicConstraint(PARTICIPANT_DID, "eq", CALLER_DID)), caller()).allowed
    assert not evaluate(permit(AtomicConstraint(PARTICIPANT_DID, "eq", "did:web:other")), caller()).allowed


def test_register_claim_plugs_in_a_new_operand_without_touching_the_default() -> None:
    iri = BATTRACE_POLICY_NS + "recyclerLicence"
    registry = default_registry().copy()
    register_claim(registry, iri, "recyclerLicence")
    context = EvaluationContext("transfer", CALLER_DID, {"recyclerLicence": "EU-42"}, NOW)
    policy = permit(AtomicConstraint(iri, "eq", "EU-42"))
    assert evaluate(policy, context, registry=registry).allowed
    assert not evaluate(policy, context).allowed  # unknown to the default registry


def test_registry_copy_is_independent() -> None:
    original = default_registry()
    duplicate = original.copy()
    register_claim(duplicate, "urn:x", "x")
    assert "urn:x" in duplicate and "urn:x" not in original


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EvaluationContext("transfer", CALLER_DID, {}, NOW.replace(tzinfo=None))


def test_obligations_and_duties_are_returned_with_the_decision() -> None:
    end = cx("DataProvisioningEndDate", "eq", "2027-01-01T00:00:00Z")
    duty = Rule(ODRL_NS + "delete")
    policy = Policy(
        uid="p",
        permissions=(Rule(USE, (BPN_OK,), duties=(duty,)),),
        obligations=(Rule(USE, (end,)),),
    )
    decision = evaluate(policy, caller(), action=USE)
    assert decision.allowed
    assert set(decision.duties) == {duty, policy.obligations[0]}


def test_type_mismatch_in_a_policy_is_a_denial_not_an_exception() -> None:
    decision = evaluate(permit(AtomicConstraint(ODRL_DATE_TIME, "lt", 42)), caller())
    assert not decision.allowed
    assert any("type mismatch" in r for r in decision.reasons)


def test_cx_string_values_are_case_insensitive() -> None:
    assert evaluate(permit(cx("BusinessPartnerNumber", "isAnyOf", ["bpnl000000000001"])), caller()).allowed
    assert evaluate(permit(cx("Membership", "eq", "ACTIVE")), caller()).allowed


def test_cx_namespace_constant_matches_the_shipped_context() -> None:
    assert CX_POLICY_NS + "Membership" in default_registry()
