"""Shared builders for the policy tests: fixture paths, a caller, one-constraint policies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from battrace.jsonld import CX_POLICY_NS, ODRL_NS
from battrace.policy import AtomicConstraint, Constraint, EvaluationContext, Policy, Rule

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "policy"
USE = ODRL_NS + "use"
ACCESS = CX_POLICY_NS + "access"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CALLER_DID = "did:web:consumer.example"


def load(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / relative).read_text("utf-8"))
    return loaded


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "bpn": "BPNL000000000001",
        "membership": "active",
        "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
        "businessPartnerGroups": ["gold"],
        "purposes": ["cx.circular.dpp:1"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def caller(
    scope: str = "transfer", now: datetime = NOW, signed: datetime | None = None, **kw: Any
) -> EvaluationContext:
    return EvaluationContext(scope, CALLER_DID, claims(**kw), now, agreement_signed_at=signed)


def cx(name: str, operator: str, right: Any) -> AtomicConstraint:
    return AtomicConstraint(CX_POLICY_NS + name, operator, right)


def permit(*constraints: Constraint, action: str = USE) -> Policy:
    return Policy(uid="p1", permissions=(Rule(action, tuple(constraints)),))
