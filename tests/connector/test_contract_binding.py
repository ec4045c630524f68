"""Binding a contract hash into agreement terms and taking it out again (what the consumer checks)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.connector.contracts import bind_contract_hash, split_contract_hash
from battrace.contracts import CONTRACT_HASH_OPERAND
from battrace.errors import InvalidInput
from battrace.jsonld import CX_POLICY_NS, ODRL_NS
from battrace.policy import AtomicConstraint, EvaluationContext, LogicalConstraint, Policy, Rule, evaluate

USE = ODRL_NS + "use"
HASH = "sha256:" + "5e" * 32
PURPOSE = AtomicConstraint(CX_POLICY_NS + "UsagePurpose", "isAnyOf", ["cx.pcf.base:1"])
OFFER = Policy(
    "offer-1",
    permissions=(
        Rule(USE, (LogicalConstraint("and", (PURPOSE,)),)),
        Rule(CX_POLICY_NS + "access", ()),
    ),
)


def test_the_hash_is_added_to_every_permission_and_split_returns_the_offer() -> None:
    bound = bind_contract_hash(OFFER, HASH)
    for rule in bound.permissions:
        assert rule.constraints[-1] == AtomicConstraint(CONTRACT_HASH_OPERAND, "eq", HASH)
    assert split_contract_hash(bound) == (OFFER, HASH)


def test_terms_without_a_hash_split_to_themselves() -> None:
    assert split_contract_hash(OFFER) == (OFFER, None)


def test_binding_needs_a_permission() -> None:
    with pytest.raises(InvalidInput, match="permission"):
        bind_contract_hash(Policy(None, prohibitions=(Rule(USE, ()),)), HASH)


def _rebind(policy: Policy, *hashes: str) -> Policy:
    rules = tuple(
        dataclasses.replace(r, constraints=(*r.constraints, AtomicConstraint(CONTRACT_HASH_OPERAND, "eq", h)))
        for r, h in zip(policy.permissions, hashes, strict=False)
    )
    return dataclasses.replace(policy, permissions=rules + policy.permissions[len(hashes) :])


@pytest.mark.parametrize(
    "hashes",
    [
        (HASH, "sha256:" + "00" * 32),  # two different contracts
        (HASH,),  # one permission left unbound
        ("sha256:" + "5E" * 32, "sha256:" + "5E" * 32),  # not the canonical lower-case form
    ],
)
def test_a_binding_that_is_not_one_hash_on_every_permission_is_refused(hashes: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput):
        split_contract_hash(_rebind(OFFER, *hashes))


@given(st.binary(min_size=32, max_size=32))
def test_binding_never_changes_the_engine_decision(digest: bytes) -> None:
    context = EvaluationContext("transfer", "did:web:c.example", {}, datetime(2026, 6, 1, tzinfo=UTC))
    bound = bind_contract_hash(OFFER, "sha256:" + digest.hex())
    assert evaluate(bound, context).allowed == evaluate(OFFER, context).allowed
