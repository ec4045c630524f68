"""ODRL policies inside Management API bodies, re-compacted into DSP 2025-1 ODRL form.

The policy is read from the *expanded* body, so ``"leftOperand": "FrameworkAgreement"`` under the
Catena-X context, ``cx-policy:FrameworkAgreement`` and the full IRI are the same thing. It is compacted
against ``[CX policy context (only when a cx-policy IRI occurs), DSP ODRL profile, DSP context]``:
* the Catena-X context goes first because the DSP context is ``@protected`` (research notes §6);
* the ODRL profile is listed explicitly because the DSP context defines ``permission``, ``action`` …
  only inside the type-scoped contexts of DSP messages, not for a free-standing policy.
"""

from __future__ import annotations

from typing import Any

from battrace.errors import InvalidInput
from battrace.jsonld import CX_POLICY_CONTEXT, CX_POLICY_NS, DSP_CONTEXT, DSP_ODRL_PROFILE, ODRL_NS
from battrace.management import _ld
from battrace.management._ld import Node

POLICY_TYPES = frozenset(ODRL_NS + name for name in ("Set", "Offer", "Agreement", "Policy"))
OFFER_TYPE = ODRL_NS + "Offer"
_RULE_KINDS = ("permission", "prohibition", "obligation")
_LOGICAL = ("and", "or", "xone", "andSequence")
# DSP/Catena-X schemas want an array here; JSON-LD compaction turns a one-element array into a scalar.
_SET_OPERATORS = frozenset({"isAnyOf", "isAllOf", "isNoneOf"})


def needed_contexts(expanded: Any) -> list[Any]:
    """Contexts an ODRL policy needs in front of the DSP context."""
    return [CX_POLICY_CONTEXT] if _ld.mentions(expanded, CX_POLICY_NS) else []


def policy_context(expanded: Any) -> list[Any]:
    return [*needed_contexts(expanded), DSP_ODRL_PROFILE, DSP_CONTEXT]


def parse_policy(node: Node, field: str) -> dict[str, Any]:
    """A policy definition's policy: DSP compact form *with* its ``@context`` array."""
    _check_policy_type(node, POLICY_TYPES, field)
    check_rules(node, field, require_rule=True)
    context = policy_context(node)
    body = _to_dsp(node, context, default_type="Set")
    return {"@context": context, **body}


def parse_offer(node: Node, field: str) -> tuple[dict[str, Any], list[Any]]:
    """A contract request's offer: DSP ``Offer`` without ``@context``, plus the contexts it needs.

    Empty rule arrays are accepted: the Tractus-X walkthrough (05_contractnegotiations) sends an offer with
    ``"permission": []``, and EDC only needs the consumer to replay the provider's offer.
    """
    _check_policy_type(node, {OFFER_TYPE}, field)
    if not node.get("@id"):
        raise InvalidInput(f"{field}.@id is required (the offer id from the catalog)")
    target = _ld.one(node, ODRL_NS + "target", f"{field}.target")
    if not (isinstance(target, dict) and isinstance(target.get("@id") or target.get("@value"), str)):
        raise InvalidInput(f"{field}.target is required (the asset id), DSP 2025-1 §3.2")
    check_rules(node, field, require_rule=False)
    offer = _to_dsp(node, policy_context(node), default_type="Offer")
    return offer, needed_contexts(node)


def check_rules(policy: Node, field: str, *, require_rule: bool) -> None:
    rules = {kind: policy.get(ODRL_NS + kind, []) for kind in _RULE_KINDS}
    if require_rule and not (rules["permission"] or rules["prohibition"]):
        # DSP 2025-1 contract-schema PolicyClass: anyOf permission / prohibition.
        raise InvalidInput(f"{field} needs at least one permission or prohibition rule")
    for kind, items in rules.items():
        for index, rule in enumerate(items):
            where = f"{field}.{kind}[{index}]"
            if not _ld.is_node(rule):
                raise InvalidInput(f"{where}: expected a rule object")
            if not rule.get(ODRL_NS + "action"):
                raise InvalidInput(f"{where}.action is required (e.g. \"use\" or \"access\")")


def _check_policy_type(node: Node, allowed: set[str] | frozenset[str], field: str) -> None:
    types = node.get("@type", [])
    if types and not allowed.intersection(types):
        expected = " or ".join(sorted(t[len(ODRL_NS) :] for t in allowed))
        raise InvalidInput(f"{field}.@type must be {expected}, got {', '.join(map(str, types))}")


def _to_dsp(node: Node, context: list[Any], default_type: str) -> dict[str, Any]:
    compacted = _ld.compact(node, context)
    compacted.pop("@context", None)
    compacted.setdefault("@type", default_type)
    fixed: dict[str, Any] = _arrays_where_dsp_wants_them(compacted)
    return fixed


def _arrays_where_dsp_wants_them(value: Any) -> Any:
    if isinstance(value, list):
        return [_arrays_where_dsp_wants_them(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: _arrays_where_dsp_wants_them(item) for key, item in value.items()}
    for key in _LOGICAL:
        if key in out and not isinstance(out[key], list):
            out[key] = [out[key]]
    right = out.get("rightOperand")
    operator = out.get("operator")
    is_set_operator = isinstance(operator, str) and operator in _SET_OPERATORS
    if is_set_operator and right is not None and not isinstance(right, list):
        out["rightOperand"] = [right]
    return out
