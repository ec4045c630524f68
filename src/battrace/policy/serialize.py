"""Policy → compact, unprefixed DSP 2025-1 policy body (contract-schema.json shape).

Written by hand rather than with JSON-LD compaction because the schema wants exact shapes that
compaction does not give (arrays for permission/constraint even with one member, no prefixes,
no @context inside the offer).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from battrace.jsonld import CX_POLICY_CONTEXT, DSP_ODRL_PROFILE, document_loader
from battrace.policy.model import SET_OPERATORS, AtomicConstraint, Constraint, LogicalConstraint, Policy, Rule
from battrace.policy.operands import BATTRACE_POLICY_CONTEXT

# Order matters: these go *before* the @protected DSP context in a message (research notes §6).
_TERM_CONTEXTS = (BATTRACE_POLICY_CONTEXT, CX_POLICY_CONTEXT, DSP_ODRL_PROFILE)


def policy_to_dsp(policy: Policy, *, policy_type: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Return (body, contexts to put before DSP_CONTEXT).

    ``policy_type`` ("Offer", "Agreement", "Set") is written as ``@type`` when given; the Policy value
    does not carry it because the same policy is an Offer in a catalog and an Agreement later.
    Numbers and booleans in right operands are written as ``{"@value": n}`` because the DSP schema's
    RightOperand is string | object | array; a list under a non-set operator is an ``@list`` so that
    ``eq ["a"]`` does not come back as ``eq "a"``.
    """
    used: set[str] = set()
    body: dict[str, Any] = {}
    if policy.uid is not None:
        body["@id"] = policy.uid
    if policy_type is not None:
        body["@type"] = policy_type
    if policy.profile:
        body["profile"] = list(policy.profile)
    for key in ("target", "assigner", "assignee"):
        if getattr(policy, key) is not None:
            body[key] = getattr(policy, key)
    for key, rules in (
        ("permission", policy.permissions),
        ("prohibition", policy.prohibitions),
        ("obligation", policy.obligations),
    ):
        if rules:
            body[key] = [_rule(r, used) for r in rules]
    contexts = [c for c in _TERM_CONTEXTS if c in used and c != DSP_ODRL_PROFILE]
    return body, contexts


def _rule(rule: Rule, used: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"action": _term(rule.action, used)}
    if rule.constraints:
        out["constraint"] = [_constraint(c, used) for c in rule.constraints]
    if rule.duties:
        out["duty"] = [_rule(d, used) for d in rule.duties]
    return out


def _constraint(constraint: Constraint, used: set[str]) -> dict[str, Any]:
    if isinstance(constraint, LogicalConstraint):
        return {constraint.operator: [_constraint(c, used) for c in constraint.constraints]}
    return {
        "leftOperand": _term(constraint.left_operand, used),
        "operator": constraint.operator,
        "rightOperand": _right(constraint),
    }


def _right(constraint: AtomicConstraint) -> Any:
    value = constraint.right_operand
    if isinstance(value, list):
        items = [_literal(v) for v in value]
        return items if constraint.operator in SET_OPERATORS else {"@list": items}
    return _literal(value)


def _literal(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        return {"@value": value}
    if isinstance(value, list):
        return {"@list": [_literal(v) for v in value]}
    return value


def _term(iri: str, used: set[str]) -> str:
    """The short term a shipped context defines for ``iri``, else the IRI itself."""
    for url in _TERM_CONTEXTS:
        term = _terms(url).get(iri)
        if term is not None:
            used.add(url)
            return term
    return iri


@cache
def _terms(url: str) -> dict[str, str]:
    """IRI → term for the simple terms of a shipped context (prefix definitions resolved)."""
    definitions: dict[str, Any] = document_loader(url)["document"]["@context"]
    prefixes = {k: v for k, v in definitions.items() if isinstance(v, str) and v.endswith(("/", "#"))}
    reverse: dict[str, str] = {}
    for term, definition in definitions.items():
        target = definition.get("@id") if isinstance(definition, dict) else definition
        if term.startswith("@") or not isinstance(target, str) or term in prefixes:
            continue
        prefix, _, local = target.partition(":")
        reverse.setdefault(prefixes[prefix] + local if prefix in prefixes else target, term)
    return reverse
