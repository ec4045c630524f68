"""ODRL policy engine for DSP 2025-1 and the Catena-X 2025/9 policy profile (pure: no I/O)."""

from battrace.policy.evaluate import Decision, EvaluationContext, evaluate
from battrace.policy.model import (
    AtomicConstraint,
    Constraint,
    LogicalConstraint,
    Policy,
    PolicyError,
    Rule,
    canonical,
    equivalent,
)
from battrace.policy.operands import (
    BATTRACE_POLICY_CONTEXT,
    BATTRACE_POLICY_NS,
    LeftOperandRegistry,
    LeftOperandResolver,
    UnknownLeftOperand,
    default_registry,
    register_claim,
)
from battrace.policy.parse import parse_policy
from battrace.policy.serialize import policy_to_dsp

__all__ = [
    "BATTRACE_POLICY_CONTEXT",
    "BATTRACE_POLICY_NS",
    "AtomicConstraint",
    "Constraint",
    "Decision",
    "EvaluationContext",
    "LeftOperandRegistry",
    "LeftOperandResolver",
    "LogicalConstraint",
    "Policy",
    "PolicyError",
    "Rule",
    "UnknownLeftOperand",
    "canonical",
    "default_registry",
    "equivalent",
    "evaluate",
    "parse_policy",
    "policy_to_dsp",
    "register_claim",
]
