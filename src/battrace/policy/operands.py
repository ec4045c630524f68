"""Left operands: how to find the caller's actual value for an IRI, and how to judge it.

An IRI that is not registered is *unknown* and denies (EDC lets unknown constraints pass,
which is how tractusx-edc #1261 evaluated a FrameworkAgreement policy as "allowed").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from battrace.jsonld import ODRL_NS
from battrace.policy.compare import MissingValue, Outcome
from battrace.policy.model import AtomicConstraint

if TYPE_CHECKING:
    from battrace.policy.evaluate import EvaluationContext

BATTRACE_POLICY_NS = "https://w3id.org/battrace/policy/"
BATTRACE_POLICY_CONTEXT = "https://w3id.org/battrace/policy/v1/context.jsonld"
ODRL_DATE_TIME = ODRL_NS + "dateTime"
ODRL_PURPOSE = ODRL_NS + "purpose"
PARTICIPANT_DID = BATTRACE_POLICY_NS + "participantDid"
# The SHA-256 of the contract text rendered for the agreement (battrace.contracts.CONTRACT_HASH_OPERAND).
CONTRACT_HASH = BATTRACE_POLICY_NS + "contractHash"
_CONTRACT_HASH_VALUE = re.compile(r"^sha256:[0-9a-f]{64}$")

LeftOperandResolver = Callable[["EvaluationContext"], Any]
# A custom judgement of the actual value (dates with "until" semantics, "Name:version" operands).
ConstraintCheck = Callable[[AtomicConstraint, Any, "EvaluationContext"], Outcome]
# Returns a problem description when the constraint's operator/right operand are not allowed.
ConstraintValidator = Callable[[AtomicConstraint], "str | None"]


class UnknownLeftOperand(LookupError):
    def __init__(self, iri: str) -> None:
        super().__init__(f"unknown left operand {iri}")
        self.iri = iri


@dataclass(frozen=True)
class OperandSpec:
    resolver: LeftOperandResolver
    contractual: bool = False
    case_insensitive: bool = False
    check: ConstraintCheck | None = None
    validator: ConstraintValidator | None = None


class LeftOperandRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, OperandSpec] = {}

    def register(
        self,
        iri: str,
        resolver: LeftOperandResolver,
        *,
        contractual: bool = False,
        case_insensitive: bool = False,
        check: ConstraintCheck | None = None,
        validator: ConstraintValidator | None = None,
    ) -> None:
        """Register (or replace) a left operand.

        ``contractual``: when the resolver raises MissingValue, the constraint is a term the consumer
        accepts by agreeing (satisfied as "accepted as contractual term") instead of unsatisfied.
        ``validator`` runs first; a problem it reports denies. ``check`` replaces the operator comparison.
        """
        self._specs[iri] = OperandSpec(resolver, contractual, case_insensitive, check, validator)

    def spec(self, iri: str) -> OperandSpec:
        try:
            return self._specs[iri]
        except KeyError:
            raise UnknownLeftOperand(iri) from None

    def resolve(self, iri: str, context: EvaluationContext) -> Any:
        return self.spec(iri).resolver(context)

    def copy(self) -> LeftOperandRegistry:
        duplicate = LeftOperandRegistry()
        duplicate._specs = dict(self._specs)
        return duplicate

    def __contains__(self, iri: object) -> bool:
        return iri in self._specs

    def iris(self) -> tuple[str, ...]:
        return tuple(self._specs)


def claim(context: EvaluationContext, key: str) -> Any:
    """The verified claim ``key`` of the caller; MissingValue names the claim when absent."""
    claims: Mapping[str, Any] = context.claims
    if key not in claims or claims[key] is None:
        raise MissingValue(f"caller presented no {key!r} claim")
    return claims[key]


def register_claim(
    registry: LeftOperandRegistry, iri: str, claim_key: str, *, case_insensitive: bool = False
) -> None:
    """Plug-in helper: the left operand ``iri`` reads ``context.claims[claim_key]``."""
    registry.register(iri, lambda context: claim(context, claim_key), case_insensitive=case_insensitive)


def default_registry() -> LeftOperandRegistry:
    """ODRL dateTime/purpose, battrace participantDid and every Catena-X 2025/9 operand.

    Deliberately *not* registered: relative IRIs such as ``spatial`` from the DSP examples
    (an undefined term expands to a relative IRI), so a policy using them is denied.
    """
    from battrace.policy import cx  # cx registers itself into a registry; imported late to avoid a cycle

    registry = LeftOperandRegistry()
    registry.register(ODRL_DATE_TIME, lambda context: context.now)
    register_claim(registry, ODRL_PURPOSE, "purposes")
    registry.register(PARTICIPANT_DID, lambda context: context.participant_did)
    registry.register(CONTRACT_HASH, _no_actual_value, contractual=True, validator=_contract_hash_problem)
    cx.register_catenax(registry)
    return registry


def _no_actual_value(context: EvaluationContext) -> Any:
    # The hash binds the contract text into the agreement; there is nothing of the caller's to compare it
    # with at evaluation time. The parties check the binding themselves (the consumer verifies the text
    # against the hash before it signs), so here it is a contractual term accepted by agreeing.
    raise MissingValue("the contract hash is a term accepted by agreeing; the parties verify the text")


def _contract_hash_problem(constraint: AtomicConstraint) -> str | None:
    value = constraint.right_operand
    if constraint.operator != "eq":
        return f"contractHash takes the operator eq, not {constraint.operator}"
    if not isinstance(value, str) or not _CONTRACT_HASH_VALUE.match(value):
        return f"contractHash must be sha256:<64 lower-case hex digits>, got {value!r}"
    return None
