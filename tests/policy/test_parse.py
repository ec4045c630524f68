"""parse_policy: every shape a peer sends becomes the same Policy value."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.jsonld import CX_POLICY_CONTEXT, DSP_CONTEXT, DSP_ODRL_PROFILE, ODRL_NS, expand
from battrace.policy import AtomicConstraint, LogicalConstraint, PolicyError, Rule, parse_policy

from ._helpers import ACCESS, FIXTURES, USE, cx, load

CX_CONTEXT = [CX_POLICY_CONTEXT, DSP_ODRL_PROFILE]
FRAMEWORK = cx("FrameworkAgreement", "eq", "DataExchangeGovernance:1.0")
FRAMEWORK_JSON = {
    "leftOperand": "FrameworkAgreement", "operator": "eq", "rightOperand": "DataExchangeGovernance:1.0"
}


def _one_constraint(constraint: dict[str, Any], context: list[Any] | None = None) -> dict[str, Any]:
    return {
        "@context": context or CX_CONTEXT,
        "@type": "Set",
        "@id": "p1",
        "permission": [{"action": "use", "constraint": [constraint]}],
    }


@pytest.mark.parametrize(
    "left",
    [
        "FrameworkAgreement",
        "cx-policy:FrameworkAgreement",
        "https://w3id.org/catenax/2025/9/policy/FrameworkAgreement",
    ],
)
def test_short_prefixed_and_expanded_left_operands_are_the_same_iri(left: str) -> None:
    policy = parse_policy(
        _one_constraint({"leftOperand": left, "operator": "eq", "rightOperand": "DataExchangeGovernance:1.0"})
    )
    assert policy.permissions == (Rule(USE, (FRAMEWORK,)),)


def test_edc_08_prefixed_form_with_single_objects_parses() -> None:
    document = {
        "@context": {
            "odrl": ODRL_NS,
            "cx-policy": "https://w3id.org/catenax/2025/9/policy/",
        },
        "@id": "p1",
        "@type": "odrl:Set",
        "odrl:permission": {
            "odrl:action": {"@id": "odrl:use"},
            "odrl:constraint": {
                "odrl:leftOperand": {"@id": "cx-policy:FrameworkAgreement"},
                "odrl:operator": {"@id": "odrl:eq"},
                "odrl:rightOperand": "DataExchangeGovernance:1.0",
            },
        },
    }
    assert parse_policy(document).permissions == (Rule(USE, (FRAMEWORK,)),)


def test_plain_string_prefixed_operand_without_vocab_coercion_is_resolved() -> None:
    document = {
        "@context": {"odrl": ODRL_NS},
        "@id": "p1",
        "odrl:permission": {
            "odrl:action": "use",
            "odrl:constraint": {
                "odrl:leftOperand": "cx-policy:FrameworkAgreement",
                "odrl:operator": "odrl:eq",
                "odrl:rightOperand": "DataExchangeGovernance:1.0",
            },
        },
    }
    assert parse_policy(document).permissions == (Rule(USE, (FRAMEWORK,)),)


def test_body_without_context_uses_the_enclosing_message_context() -> None:
    body = {
        "@id": "offer-1",
        "@type": "Offer",
        "target": "asset-1",
        "permission": [{"action": "use", "constraint": [FRAMEWORK_JSON]}],
    }
    policy = parse_policy(body, [CX_POLICY_CONTEXT, DSP_CONTEXT])
    assert policy.uid == "offer-1"
    assert policy.target == "asset-1"
    assert policy.permissions == (Rule(USE, (FRAMEWORK,)),)
    assert parse_policy(body) == policy  # the default context is CX + ODRL profile


def test_default_context_does_not_know_bare_dsp_example_operands() -> None:
    policy = parse_policy(_one_constraint({"leftOperand": "spatial", "operator": "eq", "rightOperand": "x"}))
    constraint = policy.permissions[0].constraints[0]
    assert isinstance(constraint, AtomicConstraint)
    assert constraint.left_operand == "spatial"  # relative IRI, kept as written (base=None)


def test_dsp_agreement_example_parses_every_logical_operator() -> None:
    message = load("dsp-2025-1/contract-agreement-message-full.json")
    policy = parse_policy(message["agreement"], message["@context"])
    assert policy.uid == "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44"
    assert (policy.assigner, policy.assignee) == ("http://example.com/Provider", "http://example.com/Consumer")
    assert policy.profile == ("https://test.com/profile",)
    logical = [c for r in policy.permissions for c in r.constraints if isinstance(c, LogicalConstraint)]
    assert sorted({c.operator for c in logical}) == ["and", "andSequence", "or", "xone"]
    sequence = next(c for c in logical if c.operator == "andSequence")
    assert [getattr(m, "right_operand", None) for m in sequence.constraints] == ["gold", "silver"]  # in order


def test_dsp_request_example_without_constraints_parses() -> None:
    message = load("dsp-2025-1/contract-request-message_initial.json")
    policy = parse_policy(message["offer"], message["@context"])
    assert policy.permissions == (Rule(USE),)


def test_access_sample_parses_with_the_cx_access_action() -> None:
    policy = parse_policy(load("cx-samples/access-policy.json"))
    assert policy.permissions[0].action == ACCESS
    assert policy.permissions[0].constraints == (
        LogicalConstraint("and", (
            cx("Membership", "eq", "active"),
            cx("BusinessPartnerNumber", "isAnyOf", ["BPNL012345678910"]),
        )),
    )


@pytest.mark.parametrize(
    "path", sorted(p.name for p in (FIXTURES / "cx-samples").glob("usage-policy*.json")), ids=str
)
def test_every_cx_usage_policy_sample_parses_with_three_rule_kinds(path: str) -> None:
    policy = parse_policy(load(f"cx-samples/{path}"))
    assert policy.permissions and policy.prohibitions and policy.obligations
    assert all(rule.action == USE for rule in policy.permissions + policy.prohibitions + policy.obligations)


def test_comprehensive_sample_keeps_the_known_bad_values_as_written() -> None:
    policy = parse_policy(load("cx-samples/usage-policy-comprehensive-sample.json"))
    members = policy.permissions[0].constraints[0]
    assert isinstance(members, LogicalConstraint)
    by_left = {c.left_operand: c for c in members.constraints if isinstance(c, AtomicConstraint)}
    # The upstream context has no term WarrantyDurationMonths: it stays a relative IRI.
    assert by_left["WarrantyDurationMonths"].right_operand == "6"


def _constraint_samples() -> list[str]:
    return sorted(p.name for p in (FIXTURES / "cx-samples").glob("*-constraint-sample.json"))


@pytest.mark.parametrize("path", _constraint_samples(), ids=str)
def test_every_cx_constraint_sample_parses_to_its_cx_iri(path: str) -> None:
    sample = load(f"cx-samples/{path}")
    parsed = parse_policy(_one_constraint(sample)).permissions[0].constraints[0]
    assert isinstance(parsed, AtomicConstraint)
    name = sample["leftOperand"]
    # Upstream context gap: it defines WarrantyDuration but neither WarrantyDurationMonths nor
    # WarrantyDefinition, so those bare names expand to relative IRIs (and are later denied).
    relative = name in ("WarrantyDurationMonths", "WarrantyDefinition")
    expected = name if relative else cx(name, "eq", "").left_operand
    assert parsed.left_operand == expected
    assert parsed.operator == sample["operator"]
    assert parsed.right_operand == sample["rightOperand"]


@pytest.mark.parametrize(
    "path", sorted(p.name for p in (FIXTURES / "tractusx-edc").glob("policydefinition-*.json")), ids=str
)
def test_every_tractusx_policy_definition_parses_through_the_policy_wrapper(path: str) -> None:
    policy = parse_policy(load(f"tractusx-edc/{path}"))
    assert policy.uid is None  # the inner policy has no @id; the definition's id is not the policy's
    assert len(policy.permissions) == 1
    assert policy.permissions[0].action in (USE, ACCESS)


def test_edc_single_object_constraint_equals_the_array_form() -> None:
    single = parse_policy(load("tractusx-edc/policydefinition-access-bpn.json"))
    as_array = load("tractusx-edc/policydefinition-access-bpn.json")
    rule = as_array["policy"]["permission"][0]
    rule["constraint"] = [rule["constraint"]]
    assert parse_policy(as_array) == single


def test_numbers_and_typed_literals_are_plain_values() -> None:
    for right in (30, {"@value": 30}, {"@value": "30", "@type": "http://www.w3.org/2001/XMLSchema#integer"}):
        constraint = {"leftOperand": "DataUsageEndDurationDays", "operator": "eq", "rightOperand": right}
        policy = parse_policy(_one_constraint(constraint))
        assert policy.permissions[0].constraints[0] == cx("DataUsageEndDurationDays", "eq", 30)


def test_single_value_under_a_set_operator_is_a_list() -> None:
    constraint = {"leftOperand": "BusinessPartnerNumber", "operator": "isAnyOf", "rightOperand": "BPNL1"}
    policy = parse_policy(_one_constraint(constraint))
    assert policy.permissions[0].constraints[0] == cx("BusinessPartnerNumber", "isAnyOf", ["BPNL1"])


def test_remote_context_is_a_policy_error_not_a_network_fetch() -> None:
    with pytest.raises(PolicyError, match="not valid JSON-LD"):
        parse_policy(load("cx-samples/example_usage_policy.json"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["permission"][0].pop("action"), "has no action"),
        (lambda d: d["permission"][0]["constraint"][0].pop("rightOperand"), "without rightOperand"),
        (lambda d: d["permission"][0]["constraint"][0].update(operator="like"), "unknown ODRL operator"),
        (
            lambda d: d["permission"][0]["constraint"].__setitem__(0, {"and": [], "or": []}),
            "needs one of",
        ),
    ],
)
def test_malformed_policies_raise_a_precise_policy_error(mutate: Any, message: str) -> None:
    document = copy.deepcopy(
        _one_constraint({"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"})
    )
    mutate(document)
    with pytest.raises(PolicyError, match=message):
        parse_policy(document)


def test_policy_error_is_a_400() -> None:
    assert PolicyError.status == 400


def test_a_non_policy_object_is_rejected() -> None:
    with pytest.raises(PolicyError, match="not an ODRL policy"):
        parse_policy({"@context": CX_CONTEXT, "@id": "x", "@type": "Dataset"})


def test_fixture_folder_has_its_notice() -> None:
    assert (Path(FIXTURES) / "NOTICE.md").is_file()


def test_body_that_kept_the_message_context_still_gets_the_odrl_terms() -> None:
    body = {
        "@context": [CX_POLICY_CONTEXT, DSP_CONTEXT],
        "@id": "offer-1",
        "@type": "Offer",
        "permission": [{"action": "use", "constraint": [FRAMEWORK_JSON]}],
    }
    assert parse_policy(body).permissions == (Rule(USE, (FRAMEWORK,)),)


def test_management_style_context_with_profile_before_dsp_is_used_as_is() -> None:
    body = {
        "@context": [CX_POLICY_CONTEXT, DSP_ODRL_PROFILE, DSP_CONTEXT],
        "@id": "p1",
        "@type": "Set",
        "permission": [{"action": "use", "constraint": [FRAMEWORK_JSON]}],
    }
    assert parse_policy(body).permissions == (Rule(USE, (FRAMEWORK,)),)


def test_parsing_after_a_dsp_message_was_expanded_does_not_hit_the_pyld_cache_bug() -> None:
    # PyLD 2.0.4 mutates its cached ODRL profile while processing a type-scoped @import; a context
    # array that then starts with that URL crashed with a TypeError.
    message = load("dsp-2025-1/contract-agreement-message-full.json")
    expand(message)
    bare = parse_policy({"@id": "x", "permission": [{"action": "use"}]}, [DSP_CONTEXT])
    assert bare.permissions == (Rule(USE),)
    edc = parse_policy(load("tractusx-edc/policydefinition-usage-allow-all.json"))
    assert edc.permissions == (Rule(USE),)


def test_empty_logical_constraint_is_refused() -> None:
    document = _one_constraint({"and": []})
    with pytest.raises(PolicyError, match="has no members"):
        parse_policy(document)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["use", "eq", "and", "@id", "odrl:eq"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(
        st.sampled_from(
            ["permission", "constraint", "action", "leftOperand", "operator", "rightOperand", "and", "or",
             "@id", "@type", "@value", "@list", "prohibition", "obligation", "duty", "target"]
        ),
        children,
        max_size=4,
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["permission", "prohibition", "@id", "@type"]), _JSON, max_size=3))
def test_garbage_is_a_policy_error_or_a_policy_never_a_crash(document: dict[str, Any]) -> None:
    with contextlib.suppress(PolicyError):
        parse_policy(document)
