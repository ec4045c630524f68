"""ODRL 2.2 policy values as DSP 2025-1 and the Catena-X 2025/9 profile use them, plus soft equivalence.

Left operands and actions are full IRIs (after JSON-LD expansion), so ``FrameworkAgreement``,
``cx-policy:FrameworkAgreement`` and the expanded IRI are one and the same value here
(tractusx-edc #1299 is the bug this avoids). Operators are ODRL short names.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from battrace.errors import InvalidInput

# DSP 2025-1 contract-schema.json `Operator` enum (``term-lteq`` parses but is not evaluated).
COMPARISON_OPERATORS = ("eq", "neq", "gt", "gteq", "lt", "lteq")
SET_OPERATORS = ("isAnyOf", "isNoneOf", "isAllOf", "isPartOf", "hasPart")
OPERATORS = frozenset((*COMPARISON_OPERATORS, *SET_OPERATORS, "isA", "term-lteq"))
LOGICAL_OPERATORS = ("and", "or", "xone", "andSequence")
# Members of these may be reordered without changing the meaning; andSequence is ordered.
_UNORDERED = frozenset(("and", "or", "xone"))


class PolicyError(InvalidInput):
    """A policy document that cannot be understood; ``detail`` says exactly where."""

    title = "Invalid policy"


@dataclass(frozen=True)
class AtomicConstraint:
    left_operand: str
    operator: str
    right_operand: Any

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise PolicyError(f"unknown ODRL operator {self.operator!r} (left operand {self.left_operand})")
        if not isinstance(self.left_operand, str) or not self.left_operand:
            raise PolicyError(f"leftOperand must be a non-empty IRI string, got {self.left_operand!r}")
        # JSON-LD cannot tell ["a"] from "a" (both expand to one value); set operators always take a
        # set, so store it as a list and parse/serialise round-trip exactly.
        if self.operator in SET_OPERATORS and not isinstance(self.right_operand, list):
            object.__setattr__(self, "right_operand", [self.right_operand])


@dataclass(frozen=True)
class LogicalConstraint:
    operator: str
    constraints: tuple[Constraint, ...]

    def __post_init__(self) -> None:
        if self.operator not in LOGICAL_OPERATORS:
            raise PolicyError(f"unknown logical operator {self.operator!r}")
        if not self.constraints:
            # An empty "and" would vacuously hold: refuse it rather than allow by accident.
            raise PolicyError(f"logical constraint {self.operator!r} has no members")
        object.__setattr__(self, "constraints", tuple(self.constraints))


Constraint = AtomicConstraint | LogicalConstraint


@dataclass(frozen=True)
class Rule:
    action: str
    constraints: tuple[Constraint, ...] = ()
    duties: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Policy:
    uid: str | None
    permissions: tuple[Rule, ...] = ()
    prohibitions: tuple[Rule, ...] = ()
    obligations: tuple[Rule, ...] = ()
    profile: tuple[str, ...] = ()
    target: str | None = None
    assigner: str | None = None
    assignee: str | None = None


def canonical(policy: Policy) -> Policy:
    """Order-insensitive normal form (sig-release #735).

    * members of and/or/xone and every rule list are sorted; andSequence keeps its order;
    * a logical and/or with one member becomes that member, and an ``and`` nested in an ``and``
      (or ``or`` in ``or``) is flattened;
    * a rule's top-level ``and`` is merged into the rule's constraint list, which ODRL already ANDs;
    * set-operator right operands are sorted and de-duplicated.
    uid, target, assigner and assignee are kept as they are.
    """
    return dataclasses.replace(
        policy,
        permissions=_rules(policy.permissions),
        prohibitions=_rules(policy.prohibitions),
        obligations=_rules(policy.obligations),
        profile=tuple(sorted(set(policy.profile))),
    )


def equivalent(a: Policy, b: Policy, *, ignore: Iterable[str] = ("uid",)) -> bool:
    """Soft equivalence: equal canonical forms, ignoring the named Policy fields."""
    names = {f.name for f in dataclasses.fields(Policy)}
    blank: dict[str, Any] = {}
    for name in ignore:
        if name not in names:
            raise ValueError(f"cannot ignore {name!r}: Policy fields are {sorted(names)}")
        blank[name] = () if name in ("permissions", "prohibitions", "obligations", "profile") else None
    return dataclasses.replace(canonical(a), **blank) == dataclasses.replace(canonical(b), **blank)


def sort_key(value: Constraint | Rule) -> str:
    return json.dumps(to_plain(value), sort_keys=True, default=str)


def to_plain(value: Constraint | Rule) -> dict[str, Any]:
    """A JSON-able view used for stable ordering (not a wire format: see serialize.py)."""
    if isinstance(value, AtomicConstraint):
        return {"l": value.left_operand, "o": value.operator, "r": value.right_operand}
    if isinstance(value, LogicalConstraint):
        return {"op": value.operator, "c": [to_plain(c) for c in value.constraints]}
    return {
        "a": value.action,
        "c": [to_plain(c) for c in value.constraints],
        "d": [to_plain(d) for d in value.duties],
    }


def _rules(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    return tuple(sorted((_rule(r) for r in rules), key=sort_key))


def _rule(rule: Rule) -> Rule:
    merged = _flatten("and", tuple(_constraint(c) for c in rule.constraints))
    constraints = tuple(sorted(merged, key=sort_key))
    return Rule(action=rule.action, constraints=constraints, duties=_rules(rule.duties))


def _constraint(constraint: Constraint) -> Constraint:
    if isinstance(constraint, AtomicConstraint):
        return _atomic(constraint)
    members = tuple(_constraint(c) for c in constraint.constraints)
    if constraint.operator in ("and", "or"):
        members = _flatten(constraint.operator, members)
        if len(members) == 1:
            return members[0]
    if constraint.operator in _UNORDERED:
        members = tuple(sorted(members, key=sort_key))
    return LogicalConstraint(constraint.operator, members)


def _flatten(operator: str, members: tuple[Constraint, ...]) -> tuple[Constraint, ...]:
    flat: list[Constraint] = []
    for member in members:
        if isinstance(member, LogicalConstraint) and member.operator == operator:
            flat.extend(member.constraints)
        else:
            flat.append(member)
    return tuple(flat)


def _atomic(constraint: AtomicConstraint) -> AtomicConstraint:
    if constraint.operator not in SET_OPERATORS:
        return constraint
    unique = {json.dumps(v, sort_keys=True, default=str): v for v in constraint.right_operand}
    ordered = [unique[k] for k in sorted(unique)]
    return AtomicConstraint(constraint.left_operand, constraint.operator, ordered)
