"""Compacted JSON-LD policy → Policy, by expanding offline and reading the expanded ODRL graph.

Reading the *expanded* form is what makes ``"FrameworkAgreement"``, ``"cx-policy:FrameworkAgreement"``
and the full IRI the same left operand (tractusx-edc #1299), and what makes EDC's 1-element
arrays-as-objects and 0.8-style ``"odrl:leftOperand": {"@id": ...}`` irrelevant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from battrace.errors import InvalidInput
from battrace.jsonld import (
    CX_ODRL,
    CX_POLICY_CONTEXT,
    CX_POLICY_NS,
    DSP_CONTEXT,
    DSP_ODRL_PROFILE,
    EDC_NS,
    ODRL_NS,
    expand,
)
from battrace.policy.model import (
    LOGICAL_OPERATORS,
    OPERATORS,
    SET_OPERATORS,
    AtomicConstraint,
    Constraint,
    LogicalConstraint,
    Policy,
    PolicyError,
    Rule,
)

DEFAULT_CONTEXT: tuple[str, ...] = (CX_POLICY_CONTEXT, DSP_ODRL_PROFILE)
_POLICY_TYPES = frozenset(ODRL_NS + t for t in ("Policy", "Set", "Offer", "Agreement"))
_RULE_KEYS = ("permission", "prohibition", "obligation")
# Compact IRIs peers write as plain strings (no @vocab coercion), e.g. "odrl:action": "odrl:use".
_PREFIXES = {"odrl:": ODRL_NS, "cx-policy:": CX_POLICY_NS}
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_CASTS: dict[str, Any] = {
    _XSD + "integer": int, _XSD + "int": int, _XSD + "long": int,
    _XSD + "decimal": float, _XSD + "double": float, _XSD + "float": float,
    _XSD + "boolean": lambda v: str(v).lower() == "true",
}


def parse_policy(document: Mapping[str, Any], context: Sequence[Any] | None = None) -> Policy:
    """Parse a DSP Offer/Agreement/Set, an EDC PolicyDefinition or its ``policy``, or a CX sample."""
    if not isinstance(document, Mapping):
        raise PolicyError(f"a policy must be a JSON object, got {type(document).__name__}")
    body = dict(document)
    if "@context" not in body:
        body["@context"] = policy_context(context)
    elif _needs_odrl_terms(body["@context"]):
        body["@context"] = policy_context(body["@context"])
    return _policy(_policy_node(_expand(body)))


def _expand(body: dict[str, Any]) -> list[dict[str, Any]]:
    # battrace.jsonld.expand resolves contexts privately per call: PyLD 2.0.4 corrupts its shared
    # cache of the ODRL profile after a DSP type-scoped @import (regression test in test_parse.py).
    try:
        return expand(body)
    except InvalidInput as error:
        raise PolicyError(f"policy is not valid JSON-LD: {error.detail}") from error


def policy_context(context: Sequence[Any] | None) -> list[Any]:
    """The @context for a policy body taken out of a message.

    The ODRL terms of DSP 2025-1 live in *type-scoped* contexts of the message types, so the bare
    body needs the ODRL profile itself. It replaces the DSP context, because PyLD fails on a
    context listed after the @protected DSP context that repeats one of its terms.
    """
    if context is None:
        return list(DEFAULT_CONTEXT)
    items = [c for c in ([context] if isinstance(context, str | dict) else list(context)) if c != DSP_CONTEXT]
    if DSP_ODRL_PROFILE not in items and CX_ODRL not in items:
        items.append(DSP_ODRL_PROFILE)
    return items


def _needs_odrl_terms(context: Any) -> bool:
    """A body that kept its message's @context ([..., DSP]) lacks the type-scoped ODRL terms."""
    if not isinstance(context, str | dict | list):
        return False  # null or a scalar: JSON-LD expansion refuses it with its own message
    items = [context] if isinstance(context, str | dict) else context
    return DSP_CONTEXT in items and DSP_ODRL_PROFILE not in items and CX_ODRL not in items


def _policy_node(expanded: list[dict[str, Any]]) -> dict[str, Any]:
    if len(expanded) != 1:
        raise PolicyError(
            f"expected one policy object, found {len(expanded)} after JSON-LD expansion "
            "(are permission/prohibition defined by the @context?)"
        )
    node = expanded[0]
    wrapped = node.get(EDC_NS + "policy")
    if wrapped is not None:  # EDC management PolicyDefinition {"policy": {...}}
        node = _single(wrapped, "policy")
    if not (set(node.get("@type", ())) & _POLICY_TYPES or any(ODRL_NS + k in node for k in _RULE_KEYS)):
        raise PolicyError("not an ODRL policy: no Set/Offer/Agreement type and no permission/prohibition")
    return node


def _policy(node: dict[str, Any]) -> Policy:
    return Policy(
        uid=node.get("@id"),
        permissions=_rules(node, "permission"),
        prohibitions=_rules(node, "prohibition"),
        obligations=_rules(node, "obligation"),
        profile=tuple(_reference(p, "profile") for p in node.get(ODRL_NS + "profile", ())),
        target=_optional_reference(node, "target"),
        assigner=_optional_reference(node, "assigner"),
        assignee=_optional_reference(node, "assignee"),
    )


def _rules(node: dict[str, Any], key: str) -> tuple[Rule, ...]:
    return tuple(_rule(item, key) for item in node.get(ODRL_NS + key, ()))


def _rule(node: Any, kind: str) -> Rule:
    if not isinstance(node, dict) or "@value" in node:
        raise PolicyError(f"{kind} must be an object, got {node!r}")
    actions = node.get(ODRL_NS + "action")
    if not actions:
        raise PolicyError(f"{kind} has no action")
    action = _reference(_single(actions, f"{kind}.action"), f"{kind}.action")
    constraints = tuple(_constraint(c, kind) for c in node.get(ODRL_NS + "constraint", ()))
    return Rule(action=_action_iri(action), constraints=constraints, duties=_rules(node, "duty"))


def _constraint(node: Any, where: str) -> Constraint:
    if not isinstance(node, dict):
        raise PolicyError(f"{where}: a constraint must be an object, got {node!r}")
    logical = [op for op in LOGICAL_OPERATORS if ODRL_NS + op in node]
    if len(logical) > 1:
        raise PolicyError(f"{where}: a logical constraint needs one of {LOGICAL_OPERATORS}, got {logical}")
    if logical:
        op = logical[0]
        members = _unlist(node[ODRL_NS + op])
        return LogicalConstraint(op, tuple(_constraint(m, f"{where}.{op}") for m in members))
    return _atomic(node, where)


def _atomic(node: dict[str, Any], where: str) -> AtomicConstraint:
    for key in ("leftOperand", "operator", "rightOperand"):
        if not node.get(ODRL_NS + key):
            raise PolicyError(f"{where}: constraint without {key} (keys: {sorted(node)})")
    left = _iri(_reference(_single(node[ODRL_NS + "leftOperand"], "leftOperand"), f"{where}.leftOperand"))
    operator = _operator(_reference(_single(node[ODRL_NS + "operator"], "operator"), f"{where}.operator"))
    raw = node[ODRL_NS + "rightOperand"]
    values = [_value(v) for v in raw]
    if len(raw) == 1 and isinstance(raw[0], dict) and "@list" in raw[0]:
        right: Any = values[0]  # an explicit @list is a list even with one member
    elif operator in SET_OPERATORS or len(values) > 1:
        right = values
    else:
        right = values[0]
    return AtomicConstraint(left, operator, right)


def _operator(value: str) -> str:
    short = value[len(ODRL_NS):] if value.startswith(ODRL_NS) else value.removeprefix("odrl:")
    if short not in OPERATORS:
        raise PolicyError(f"unknown ODRL operator {value!r}")
    return short


def _value(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    if "@list" in item:
        return [_value(v) for v in item["@list"]]
    if "@id" in item and len(item) == 1:
        return item["@id"]
    if "@value" in item:
        cast = _XSD_CASTS.get(item.get("@type", ""))
        if cast is not None and isinstance(item["@value"], str):
            try:
                return cast(item["@value"])
            except ValueError as error:
                detail = f"rightOperand {item['@value']!r} is not a valid {item['@type']}"
                raise PolicyError(detail) from error
        return item["@value"]
    raise PolicyError(f"rightOperand objects are not supported: {item!r}")


def _unlist(values: Any) -> list[Any]:
    if len(values) == 1 and isinstance(values[0], dict) and "@list" in values[0]:
        return list(values[0]["@list"])
    return list(values)


def _single(values: Any, what: str) -> Any:
    items = values if isinstance(values, list) else [values]
    if len(items) != 1:
        raise PolicyError(f"{what} must have exactly one value, got {len(items)}")
    return items[0]


def _reference(item: Any, what: str) -> str:
    """An @id reference, or a plain string literal (peers that do not use @vocab coercion)."""
    if isinstance(item, dict):
        value = item.get("@id", item.get("@value"))
        if isinstance(value, str):
            return value
    raise PolicyError(f"{what} must be an IRI or a string, got {item!r}")


def _optional_reference(node: dict[str, Any], key: str) -> str | None:
    values = node.get(ODRL_NS + key)
    return _reference(_single(values, key), key) if values else None


def _iri(value: str) -> str:
    for prefix, namespace in _PREFIXES.items():
        if value.startswith(prefix):
            return namespace + value[len(prefix):]
    return value


def _action_iri(value: str) -> str:
    # A literal short action from a peer without @vocab coercion ("odrl:action": "use").
    return {"use": ODRL_NS + "use", "access": CX_POLICY_NS + "access"}.get(value) or _iri(value)
