"""canonical()/equivalent(): soft equivalence (sig-release #735) and property-based round trips."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from battrace.jsonld import DSP_CONTEXT, ODRL_NS
from battrace.policy import (
    AtomicConstraint,
    Constraint,
    LogicalConstraint,
    Policy,
    Rule,
    canonical,
    equivalent,
    parse_policy,
    policy_to_dsp,
)
from battrace.policy.operands import ODRL_DATE_TIME, PARTICIPANT_DID

from ._helpers import ACCESS, USE, cx

FRAMEWORK = cx("FrameworkAgreement", "eq", "DataExchangeGovernance:1.0")
PURPOSE = cx("UsagePurpose", "isAnyOf", ["cx.circular.dpp:1", "cx.pcf.base:1"])


def _policy(*constraints: Constraint, uid: str = "p1") -> Policy:
    return Policy(uid=uid, permissions=(Rule(USE, tuple(constraints)),))


def test_reordered_and_is_equivalent() -> None:
    a = _policy(LogicalConstraint("and", (FRAMEWORK, PURPOSE)))
    b = _policy(LogicalConstraint("and", (PURPOSE, FRAMEWORK)))
    assert a != b
    assert equivalent(a, b)


def test_or_wrapping_a_single_constraint_is_equivalent_to_the_constraint() -> None:
    assert equivalent(_policy(LogicalConstraint("or", (FRAMEWORK,))), _policy(FRAMEWORK))


def test_rule_level_and_equals_a_constraint_list() -> None:
    assert equivalent(_policy(LogicalConstraint("and", (FRAMEWORK, PURPOSE))), _policy(PURPOSE, FRAMEWORK))


def test_reordered_set_operand_members_are_equivalent() -> None:
    swapped = cx("UsagePurpose", "isAnyOf", ["cx.pcf.base:1", "cx.circular.dpp:1"])
    assert equivalent(_policy(PURPOSE), _policy(swapped))


def test_different_uids_are_ignored_by_default_only() -> None:
    a, b = _policy(FRAMEWORK, uid="offer-1"), _policy(FRAMEWORK, uid="offer-2")
    assert equivalent(a, b)
    assert not equivalent(a, b, ignore=())


def test_and_sequence_order_matters() -> None:
    a = _policy(LogicalConstraint("andSequence", (FRAMEWORK, PURPOSE)))
    b = _policy(LogicalConstraint("andSequence", (PURPOSE, FRAMEWORK)))
    assert not equivalent(a, b)


def test_or_and_and_are_not_equivalent() -> None:
    assert not equivalent(
        _policy(LogicalConstraint("or", (FRAMEWORK, PURPOSE))),
        _policy(LogicalConstraint("and", (FRAMEWORK, PURPOSE))),
    )


def test_different_values_are_not_equivalent() -> None:
    assert not equivalent(_policy(FRAMEWORK), _policy(cx("FrameworkAgreement", "eq", "Pcf:1.0")))


def test_canonical_keeps_identity_fields() -> None:
    policy = dataclasses.replace(_policy(FRAMEWORK), target="t", assigner="a", assignee="b")
    assert (canonical(policy).uid, canonical(policy).target) == ("p1", "t")
    assert (canonical(policy).assigner, canonical(policy).assignee) == ("a", "b")


def test_ignoring_an_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="cannot ignore"):
        equivalent(_policy(FRAMEWORK), _policy(FRAMEWORK), ignore=("colour",))


def test_offer_replayed_by_a_peer_with_prefixes_and_reordering_is_equivalent() -> None:
    offer = _policy(LogicalConstraint("and", (FRAMEWORK, PURPOSE)), uid="offer-1")
    purpose = {
        "odrl:leftOperand": {"@id": "cx-policy:UsagePurpose"},
        "odrl:operator": {"@id": "odrl:isAnyOf"},
        "odrl:rightOperand": ["cx.pcf.base:1", "cx.circular.dpp:1"],
    }
    framework = {
        "odrl:leftOperand": {"@id": "cx-policy:FrameworkAgreement"},
        "odrl:operator": {"@id": "odrl:eq"},
        "odrl:rightOperand": "DataExchangeGovernance:1.0",
    }
    replay = {
        "@context": {"odrl": ODRL_NS, "cx-policy": "https://w3id.org/catenax/2025/9/policy/"},
        "@id": "agreement-1",
        "odrl:permission": {
            "odrl:action": {"@id": "odrl:use"},
            "odrl:constraint": {"odrl:and": [purpose, framework]},
        },
    }
    assert equivalent(offer, parse_policy(replay))


# ---- property-based ------------------------------------------------------------------------------

_STRINGS = st.text(alphabet="abcXYZ019:._-", min_size=1, max_size=8)
_SCALARS = st.one_of(_STRINGS, st.integers(-1000, 1000), st.booleans())
_LEFT = st.sampled_from([
    cx("Membership", "eq", "").left_operand,
    cx("BusinessPartnerNumber", "eq", "").left_operand,
    cx("UsagePurpose", "eq", "").left_operand,
    ODRL_DATE_TIME,
    PARTICIPANT_DID,
    "https://example.com/ns/custom",
])
_SCALAR_OPS = st.sampled_from(["eq", "neq", "gt", "gteq", "lt", "lteq", "isA"])
_SET_OPS = st.sampled_from(["isAnyOf", "isNoneOf", "isAllOf", "isPartOf", "hasPart"])


@st.composite
def _atomic(draw: Any) -> AtomicConstraint:
    left = draw(_LEFT)
    if draw(st.booleans()):
        values = draw(st.lists(_STRINGS, min_size=1, max_size=4, unique=True))
        return AtomicConstraint(left, draw(_SET_OPS), values)
    return AtomicConstraint(left, draw(_SCALAR_OPS), draw(_SCALARS))


_CONSTRAINTS = st.recursive(
    _atomic(),
    lambda children: st.builds(
        LogicalConstraint,
        st.sampled_from(["and", "or", "xone", "andSequence"]),
        st.lists(children, min_size=1, max_size=3).map(tuple),
    ),
    max_leaves=8,
)
_RULES = st.builds(
    Rule,
    st.sampled_from([USE, ACCESS, ODRL_NS + "transfer"]),
    st.lists(_CONSTRAINTS, max_size=3).map(tuple),
)
_POLICIES = st.builds(
    Policy,
    st.just("urn:uuid:p"),
    permissions=st.lists(_RULES, min_size=1, max_size=2).map(tuple),
    prohibitions=st.lists(_RULES, max_size=2).map(tuple),
    obligations=st.lists(_RULES, max_size=1).map(tuple),
)


def _shuffled(policy: Policy, rng: random.Random) -> Policy:
    def constraint(c: Constraint) -> Constraint:
        if isinstance(c, AtomicConstraint):
            if isinstance(c.right_operand, list) and c.operator != "eq":
                members = rng.sample(c.right_operand, len(c.right_operand))
                return AtomicConstraint(c.left_operand, c.operator, members)
            return c
        members = [constraint(m) for m in c.constraints]
        if c.operator != "andSequence":
            rng.shuffle(members)
        return LogicalConstraint(c.operator, tuple(members))

    def rules(items: tuple[Rule, ...]) -> tuple[Rule, ...]:
        out = [Rule(r.action, tuple(rng.sample([constraint(c) for c in r.constraints], len(r.constraints))))
               for r in items]
        rng.shuffle(out)
        return tuple(out)

    return dataclasses.replace(
        policy,
        uid="urn:uuid:other",
        permissions=rules(policy.permissions),
        prohibitions=rules(policy.prohibitions),
        obligations=rules(policy.obligations),
    )


_FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(_POLICIES)
def test_random_constraint_trees_round_trip_through_dsp(policy: Policy) -> None:
    body, contexts = policy_to_dsp(policy, policy_type="Offer")
    assert parse_policy(body, [*contexts, DSP_CONTEXT]) == policy


@_FAST
@given(_POLICIES, st.randoms(use_true_random=False))
def test_a_shuffled_policy_is_equivalent(policy: Policy, rng: random.Random) -> None:
    assert equivalent(policy, _shuffled(policy, rng))


@_FAST
@given(_POLICIES)
def test_canonical_is_idempotent(policy: Policy) -> None:
    assert canonical(canonical(policy)) == canonical(policy)
