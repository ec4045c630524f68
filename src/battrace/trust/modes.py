"""Connect-permission modes (BASC §5.1 ②): whom a node, or one of its assets, lets connect.

Each mode is an ODRL ``Set`` policy over the caller's *verified* claims (research notes §8.3), evaluated by
``battrace.policy.evaluate`` with the operands registered by ``register_mode_operands``:

* ``only_participants(dids)``: the caller's DID is one of the list (``participantDid isAnyOf [...]``);
* ``only_with_attributes({claim: value})``: the caller's credentials carry these attributes (roles,
  corporate number, GLN, certification level, data space);
* ``min_security_profile("TRUST")``: the caller's connector is certified at or above an IDS security profile,
  ordered BASE < TRUST < TRUST_PLUS (IDS InformationModel codes/SecurityGuarantee.ttl).

Claims read (keys of ``EvaluationContext.claims``, filled from verified credentials): ``securityProfile``,
``roles`` (list), ``corporateNumber``, ``gln``, ``certificationLevel``, ``dataSpace``; the DID comes from
``EvaluationContext.participant_did``. An absent claim never satisfies a constraint. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from battrace.errors import InvalidInput
from battrace.jsonld import DSP_ODRL_PROFILE, ODRL_NS
from battrace.policy import (
    AtomicConstraint,
    LeftOperandRegistry,
    LeftOperandResolver,
    Policy,
    Rule,
    policy_to_dsp,
)
from battrace.policy.compare import Outcome, Status, compare
from battrace.policy.operands import BATTRACE_POLICY_NS, PARTICIPANT_DID, claim

if TYPE_CHECKING:
    from battrace.policy import EvaluationContext

ODRL_USE = ODRL_NS + "use"
SECURITY_PROFILE = BATTRACE_POLICY_NS + "securityProfile"
ROLES = BATTRACE_POLICY_NS + "roles"
CORPORATE_NUMBER = BATTRACE_POLICY_NS + "corporateNumber"
GLN = BATTRACE_POLICY_NS + "gln"
CERTIFICATION_LEVEL = BATTRACE_POLICY_NS + "certificationLevel"
DATA_SPACE = BATTRACE_POLICY_NS + "dataSpace"

# IDS security profiles in order of the guarantees they give (research notes §8.2)
SECURITY_PROFILES = ("BASE", "TRUST", "TRUST_PLUS")
_PROFILE_OPERATORS = frozenset({"eq", "neq", "gt", "gteq", "lt", "lteq"})


@dataclass(frozen=True)
class Attribute:
    claim: str  # the key in EvaluationContext.claims
    iri: str  # the ODRL left operand
    multi_valued: bool = False  # a list claim: "has this value among others"


ATTRIBUTES: Mapping[str, Attribute] = {
    a.claim: a
    for a in (
        Attribute("roles", ROLES, multi_valued=True),
        Attribute("corporateNumber", CORPORATE_NUMBER),
        Attribute("gln", GLN),
        Attribute("certificationLevel", CERTIFICATION_LEVEL),
        Attribute("dataSpace", DATA_SPACE),
    )
}


def security_profile(value: Any) -> str | None:
    """The profile's short name for any spelling peers use (``TRUST``, ``idsc:TRUST_SECURITY_PROFILE``,
    ``https://w3id.org/idsa/code/TRUST_PLUS_SECURITY_PROFILE``, ``TRUSTPLUS``), None when unknown.
    Local names are compared because DATs and the TTL use different namespaces (notes §8.2)."""
    if not isinstance(value, str):
        return None
    local = value.rsplit("/", 1)[-1].rsplit(":", 1)[-1].upper().removesuffix("_SECURITY_PROFILE")
    local = {"TRUSTPLUS": "TRUST_PLUS", "TRUST_PLUS": "TRUST_PLUS"}.get(local, local)
    return local if local in SECURITY_PROFILES else None


# ---- policies --------------------------------------------------------------------------------------------


def only_participants(dids: Iterable[str], *, uid: str | None = None) -> Policy:
    return _policy(uid, _participants(dids))


def only_with_attributes(attributes: Mapping[str, Any], *, uid: str | None = None) -> Policy:
    return _policy(uid, *_attributes(attributes))


def min_security_profile(profile: str, *, uid: str | None = None) -> Policy:
    return _policy(uid, _profile(profile))


def connect_policy(
    *,
    participants: Iterable[str] | None = None,
    attributes: Mapping[str, Any] | None = None,
    min_profile: str | None = None,
    uid: str | None = None,
) -> Policy:
    """All the given modes at once (one permission, its constraints ANDed)."""
    constraints: list[AtomicConstraint] = []
    if participants is not None:
        constraints.append(_participants(participants))
    if attributes:
        constraints.extend(_attributes(attributes))
    if min_profile is not None:
        constraints.append(_profile(min_profile))
    if not constraints:
        raise InvalidInput("a connect policy needs at least one mode (participants, attributes, min_profile)")
    return _policy(uid, *constraints)


def policy_from_config(config: Mapping[str, Any], *, uid: str | None = None) -> Policy:
    """A node's or asset's configuration, e.g. ``{"participants": ["did:web:a"], "attributes":
    {"roles": "CellMaker"}, "minSecurityProfile": "TRUST"}``; unknown keys are refused (a typo must not open
    the node)."""
    unknown = set(config) - {"participants", "attributes", "minSecurityProfile"}
    if unknown:
        raise InvalidInput(f"unknown connect-permission settings: {sorted(unknown)}")
    return connect_policy(
        participants=config.get("participants"),
        attributes=config.get("attributes"),
        min_profile=config.get("minSecurityProfile"),
        uid=uid,
    )


def policy_document(policy: Policy) -> dict[str, Any]:
    """The policy as a standalone JSON-LD ODRL ``Set``, readable back with ``parse_policy``."""
    body, contexts = policy_to_dsp(policy, policy_type="Set")
    return {"@context": [*contexts, DSP_ODRL_PROFILE], **body}


def _policy(uid: str | None, *constraints: AtomicConstraint) -> Policy:
    return Policy(uid=uid, permissions=(Rule(action=ODRL_USE, constraints=tuple(constraints)),))


def _participants(dids: Iterable[str]) -> AtomicConstraint:
    if isinstance(dids, str):
        raise InvalidInput("participants must be a list of DIDs, not one string")
    listed = sorted(set(dids))
    if not listed or not all(isinstance(d, str) and d.startswith("did:") for d in listed):
        raise InvalidInput(f"participants must be a non-empty list of DIDs, got {listed!r}")
    return AtomicConstraint(PARTICIPANT_DID, "isAnyOf", listed)


def _attributes(attributes: Mapping[str, Any]) -> list[AtomicConstraint]:
    if not attributes:
        raise InvalidInput("attributes must name at least one claim")
    return [_attribute(name, value) for name, value in sorted(attributes.items())]


def _attribute(name: str, value: Any) -> AtomicConstraint:
    attribute = ATTRIBUTES.get(name)
    if attribute is None:
        raise InvalidInput(f"unknown attribute {name!r}; known: {', '.join(sorted(ATTRIBUTES))}")
    if isinstance(value, list | tuple | set | frozenset):
        # several accepted values: the caller needs one of them
        return AtomicConstraint(attribute.iri, "isAnyOf", sorted(value))
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InvalidInput(f"attribute {name!r} takes a string or a list of strings, got {value!r}")
    # a list claim must contain the value; a single-valued claim must equal it
    return AtomicConstraint(attribute.iri, "isAllOf" if attribute.multi_valued else "eq", value)


def _profile(profile: str) -> AtomicConstraint:
    name = security_profile(profile)
    if name is None:
        raise InvalidInput(f"unknown security profile {profile!r}; known: {', '.join(SECURITY_PROFILES)}")
    return AtomicConstraint(SECURITY_PROFILE, "gteq", name)


# ---- operands --------------------------------------------------------------------------------------------


def register_mode_operands(registry: LeftOperandRegistry) -> None:
    """Register the mode operands on ``registry`` (pass a copy of ``default_registry()``).
    ``participantDid`` is already a default operand."""
    registry.register(
        SECURITY_PROFILE,
        lambda context: claim(context, "securityProfile"),
        check=_check_profile,
        validator=_profile_problem,
    )
    for attribute in ATTRIBUTES.values():
        registry.register(attribute.iri, _claim_reader(attribute.claim))


def _claim_reader(key: str) -> LeftOperandResolver:
    def resolve(context: EvaluationContext) -> Any:
        return claim(context, key)

    return resolve


def _profile_problem(constraint: AtomicConstraint) -> str | None:
    if constraint.operator not in _PROFILE_OPERATORS:
        return f"securityProfile takes one of {sorted(_PROFILE_OPERATORS)}, not {constraint.operator}"
    if security_profile(constraint.right_operand) is None:
        known = ", ".join(SECURITY_PROFILES)
        return f"securityProfile {constraint.right_operand!r} is not an IDS profile ({known})"
    return None


def _check_profile(constraint: AtomicConstraint, actual: Any, context: EvaluationContext) -> Outcome:
    name = security_profile(actual)
    if name is None:
        return Outcome(Status.UNSATISFIED, f"caller's security profile {actual!r} is not an IDS profile")
    required = security_profile(constraint.right_operand)
    rank = SECURITY_PROFILES.index
    outcome = compare(constraint.operator, rank(name), rank(required or ""))
    return Outcome(outcome.status, f"caller is certified {name}, {required} required ({constraint.operator})")
