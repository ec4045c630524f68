"""ODRL 2.2 evaluation with fail-closed defaults and a human-readable reason for every step.

Decision rules (documented choices):
* With an ``action``, the policy allows it when at least one applicable permission holds (``use`` covers
  every action); with ``action=None`` (access policies, EDC semantics) *every* permission must hold.
* A prohibition denies when all its constraints are satisfied at run time. A Catena-X contractual term
  inside a prohibition (UsageRestriction, AffiliatesRegion, ...) is an obligation the consumer accepts by
  agreeing, so it does not trigger the prohibition.
* Obligations and the duties of holding permissions are returned in ``Decision.duties``; their
  constraints are evaluated too, and one that does not hold denies. For Catena-X these are the
  DataProvisioningEnd* time limits: after the end, provisioning is no longer permitted.
* Anything that cannot be evaluated (unknown left operand, a value the CX profile forbids, an unsupported
  operator) denies the whole decision, whatever rule it is in.
* A policy without an applicable permission denies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from battrace.jsonld import CX_POLICY_NS, ODRL_NS
from battrace.policy.compare import MissingValue, Outcome, Status, compare, fmt
from battrace.policy.model import AtomicConstraint, Constraint, Policy, Rule
from battrace.policy.operands import LeftOperandRegistry, UnknownLeftOperand, default_registry

ODRL_USE = ODRL_NS + "use"
_SHORT_ACTIONS = {"use": ODRL_USE, "access": CX_POLICY_NS + "access"}


@dataclass(frozen=True)
class EvaluationContext:
    scope: str  # "catalog" | "negotiation" | "transfer" | "dataplane"
    participant_did: str
    claims: Mapping[str, Any]
    now: datetime
    agreement_signed_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("now", "agreement_signed_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"EvaluationContext.{name} must be timezone-aware")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...]
    duties: tuple[Rule, ...] = ()


@dataclass
class _Run:
    registry: LeftOperandRegistry
    context: EvaluationContext
    reasons: list[str] = field(default_factory=list)
    errors: int = 0


def evaluate(
    policy: Policy,
    context: EvaluationContext,
    *,
    action: str | None = None,
    registry: LeftOperandRegistry | None = None,
) -> Decision:
    run = _Run(registry or default_registry(), context)
    wanted = _SHORT_ACTIONS.get(action, action) if action is not None else None
    permissions = [r for r in policy.permissions if _applies(r, wanted)]
    if not permissions:
        return Decision(False, (f"no permission for action {_short(wanted or 'any')}: denied",))
    held = [r for r in permissions if _rule_holds(run, "permission", r, contractual_counts=True)]
    permitted = bool(held) if wanted is not None else len(held) == len(permissions)
    prohibited = [r for r in policy.prohibitions if _applies(r, wanted) and _prohibition_applies(run, r)]
    duties = tuple(o for o in policy.obligations if _applies(o, wanted))
    duties += tuple(d for r in held for d in r.duties)
    duties_hold = all(
        [_rule_holds(run, "obligation" if d in policy.obligations else "duty", d, True) for d in duties]
    )
    allowed = permitted and not prohibited and duties_hold and run.errors == 0
    run.reasons.append(_summary(allowed, permitted, prohibited, duties_hold, run.errors))
    return Decision(allowed, tuple(run.reasons), duties)


def _applies(rule: Rule, action: str | None) -> bool:
    return action is None or rule.action in (action, ODRL_USE)


def _summary(allowed: bool, permitted: bool, prohibited: list[Rule], duties_hold: bool, errors: int) -> str:
    if allowed:
        return "decision: allowed"
    why = []
    if errors:
        why.append(f"{errors} constraint(s) could not be evaluated")
    if not permitted:
        why.append("no permission holds")
    if prohibited:
        why.append("a prohibition applies")
    if not duties_hold:
        why.append("an obligation's condition no longer holds")
    return "decision: denied (" + "; ".join(why) + ")"


def _rule_holds(run: _Run, kind: str, rule: Rule, contractual_counts: bool) -> bool:
    label = f"{kind} {_short(rule.action)}"
    if not rule.constraints:
        run.reasons.append(f"{label}: no constraints, holds")
        return True
    results = [_holds(run, label, c, contractual_counts) for c in rule.constraints]
    return all(results)


def _prohibition_applies(run: _Run, rule: Rule) -> bool:
    applies = _rule_holds(run, "prohibition", rule, contractual_counts=False)
    if applies:
        run.reasons.append(f"prohibition {_short(rule.action)}: applies, denied")
    return applies


def _holds(run: _Run, label: str, constraint: Constraint, contractual_counts: bool) -> bool:
    if isinstance(constraint, AtomicConstraint):
        outcome = _atomic(run, constraint)
        text = f"{_short(constraint.left_operand)} {constraint.operator} {fmt(constraint.right_operand)}"
        run.reasons.append(f"{label}: {text} {outcome.status.value} ({outcome.detail})")
        if outcome.status is Status.ERROR:
            run.errors += 1
        return outcome.status is Status.SATISFIED or (
            outcome.status is Status.CONTRACTUAL and contractual_counts
        )
    members = constraint.constraints
    if constraint.operator == "andSequence":
        # ODRL 2.2: evaluated in order; the first failure ends the sequence.
        values: list[bool] = []
        for member in members:
            values.append(_holds(run, label, member, contractual_counts))
            if not values[-1]:
                break
        result = len(values) == len(members) and all(values)
    else:
        values = [_holds(run, label, m, contractual_counts) for m in members]
        result = {"and": all(values), "or": any(values), "xone": values.count(True) == 1}[constraint.operator]
    verdict = "satisfied" if result else "not satisfied"
    run.reasons.append(f"{label}: {constraint.operator} of {len(members)} constraint(s) {verdict}")
    return result


def _atomic(run: _Run, constraint: AtomicConstraint) -> Outcome:
    try:
        spec = run.registry.spec(constraint.left_operand)
    except UnknownLeftOperand as unknown:
        return Outcome(Status.ERROR, f"{unknown}; battrace denies what it cannot evaluate")
    if spec.validator is not None:
        problem = spec.validator(constraint)
        if problem is not None:
            return Outcome(Status.ERROR, problem)
    try:
        actual = spec.resolver(run.context)
    except MissingValue as missing:
        status = Status.CONTRACTUAL if spec.contractual else Status.UNSATISFIED
        return Outcome(status, str(missing))
    if spec.check is not None:
        return spec.check(constraint, actual, run.context)
    return compare(
        constraint.operator, actual, constraint.right_operand, case_insensitive=spec.case_insensitive
    )


def _short(iri: str) -> str:
    for namespace in (ODRL_NS, CX_POLICY_NS):
        if iri.startswith(namespace):
            return iri[len(namespace):]
    return iri
