"""The contractHash left operand: a contractual term (the parties verify the text themselves) that the engine
accepts only in its one well-formed shape, and that round-trips through DSP serialisation as a short term."""

from __future__ import annotations

from typing import Any

import pytest

from battrace.contracts import CONTRACT_HASH_OPERAND
from battrace.policy import AtomicConstraint, Policy, Rule, evaluate, parse_policy, policy_to_dsp

from ._helpers import USE, caller

GOOD = "sha256:" + "0123456789abcdef" * 4


def _policy(operator: str, right: Any) -> Policy:
    return Policy(None, permissions=(Rule(USE, (AtomicConstraint(CONTRACT_HASH_OPERAND, operator, right),)),))


def test_a_well_formed_contract_hash_is_accepted_as_a_contractual_term() -> None:
    decision = evaluate(_policy("eq", GOOD), caller())
    assert decision.allowed, decision.reasons
    assert any("contractHash" in reason and "contractual" in reason for reason in decision.reasons)


@pytest.mark.parametrize(
    ("operator", "right"),
    [
        ("eq", "sha256:" + "0123456789ABCDEF" * 4),  # upper case is not the canonical form
        ("eq", "sha256:" + "ab" * 31),  # too short
        ("eq", "ab" * 32),  # no algorithm prefix
        ("eq", "sha512:" + "ab" * 32),
        ("eq", 42),
        ("neq", GOOD),
        ("isAnyOf", [GOOD]),
    ],
)
def test_a_malformed_contract_hash_constraint_denies(operator: str, right: Any) -> None:
    decision = evaluate(_policy(operator, right), caller())
    assert not decision.allowed
    assert "could not be evaluated" in decision.reasons[-1]


def test_the_contract_hash_serialises_as_a_short_term_and_parses_back() -> None:
    policy = _policy("eq", GOOD)
    body, contexts = policy_to_dsp(policy, policy_type="Agreement")
    constraint = body["permission"][0]["constraint"][0]
    assert constraint == {"leftOperand": "contractHash", "operator": "eq", "rightOperand": GOOD}
    assert (
        parse_policy({**body, "@context": [*contexts, "https://w3id.org/dspace/2025/1/context.jsonld"]})
        == policy
    )
