"""Catena-X 2025/9 left operands (research notes §9.2, §9.3).

Three kinds:
* credential-backed (Membership, FrameworkAgreement, BusinessPartnerNumber/Group): compared with the
  caller's verified claims; string values case-insensitively (sig-release #1311);
* time limits (DataUsageEnd*/DataProvisioningEnd*): "now must not be after the end";
* contractual terms (ContractReference, UsageRestriction, Warranty, ...): nothing to check at run
  time, the consumer accepts them by agreeing. They hold when the right operand is a valid value per the
  profile's constraint schema (``cx_schemas/``), because the upstream ``policy-schema.json`` does not
  enforce left operands at all (reference README, "Caveat on policy-schema.json").
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from battrace.jsonld import CX_POLICY_NS
from battrace.policy.compare import MissingValue, Outcome, Status, as_datetime, fmt, satisfied
from battrace.policy.model import AtomicConstraint
from battrace.policy.operands import LeftOperandRegistry, claim

if TYPE_CHECKING:
    from battrace.policy.evaluate import EvaluationContext

CX_ACCESS = CX_POLICY_NS + "access"

CREDENTIAL_OPERANDS = ("Membership", "FrameworkAgreement", "BusinessPartnerNumber", "BusinessPartnerGroup")
END_DATE_OPERANDS = ("DataUsageEndDate", "DataProvisioningEndDate")
DURATION_OPERANDS = ("DataUsageEndDurationDays", "DataProvisioningEndDurationDays")
CONTRACTUAL_OPERANDS = (
    "ContractReference", "DataUsageEndDefinition", "UsageRestriction", "AffiliatesRegion", "AffiliatesBpnl",
    "ManagedLegalEntityRegion", "ManagedLegalEntityBpnl", "ConfidentialInformationMeasures",
    "ConfidentialInformationSharing", "ContractTermination", "DataFrequency", "ExclusiveUsage",
    "JurisdictionLocation", "JurisdictionLocationReference", "Liability", "Precedence", "VersionChanges",
    "Warranty", "WarrantyDefinition", "WarrantyDurationMonths",
    # The upstream context defines the term ``WarrantyDuration`` while the schema's leftOperand is
    # ``WarrantyDurationMonths``; accept both IRIs and validate both against the same schema.
    "WarrantyDuration",
)
_SCHEMA_NAME = {"WarrantyDuration": "WarrantyDurationMonths"}
_SCHEMA_FILE = {"WarrantyDurationMonths": "warranty-duration"}


def register_catenax(registry: LeftOperandRegistry) -> None:
    registry.register(CX_POLICY_NS + "Membership", _membership, case_insensitive=True)
    registry.register(
        CX_POLICY_NS + "FrameworkAgreement",
        lambda context: claim(context, "frameworkAgreements"),
        check=_framework_agreement,
    )
    registry.register(CX_POLICY_NS + "BusinessPartnerNumber", _bpn, case_insensitive=True)
    registry.register(
        CX_POLICY_NS + "BusinessPartnerGroup",
        lambda context: claim(context, "businessPartnerGroups"),
        case_insensitive=True,
    )
    registry.register(
        CX_POLICY_NS + "UsagePurpose",
        lambda context: claim(context, "purposes"),
        contractual=True,
        case_insensitive=True,
        validator=profile_validator("UsagePurpose"),
    )
    for name in END_DATE_OPERANDS:
        registry.register(CX_POLICY_NS + name, _now, check=_until_date, validator=profile_validator(name))
    for name in DURATION_OPERANDS:
        registry.register(CX_POLICY_NS + name, _now, check=_until_duration, validator=profile_validator(name))
    for name in CONTRACTUAL_OPERANDS:
        registry.register(
            CX_POLICY_NS + name, _contractual, contractual=True, validator=profile_validator(name)
        )


def profile_validator(name: str) -> Any:
    """Validator for the CX operand ``name`` against its constraint schema (``cx_schemas/``)."""
    schema_name = _SCHEMA_NAME.get(name, name)

    def validate(constraint: AtomicConstraint) -> str | None:
        return profile_violation(schema_name, constraint.operator, constraint.right_operand)

    return validate


def profile_violation(name: str, operator: str, right_operand: Any) -> str | None:
    """None when ``{leftOperand: name, operator, rightOperand}`` is valid per the CX profile, else why not."""
    # jsonschema on first use (no type stubs): its metaschemas cost ~0.1–0.2 s of a node's start (issue 9)
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    instance = {"leftOperand": name, "operator": operator, "rightOperand": right_operand}
    error = best_match(_validator(name).iter_errors(instance))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "constraint"
    return f"violates the Catena-X profile for {name} at {where}: {error.message[:200]}"


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft201909Validator  # type: ignore[import-untyped]

    stem = _SCHEMA_FILE.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    text = resources.files("battrace.policy").joinpath("cx_schemas", f"{stem}-constraint-schema.json")
    return Draft201909Validator(json.loads(text.read_text("utf-8")))


# ---- resolvers and checks ------------------------------------------------------------------------


def _bpn(context: EvaluationContext) -> Any:
    return claim(context, "bpn")


def _now(context: EvaluationContext) -> Any:
    return context.now


def _contractual(context: EvaluationContext) -> Any:
    raise MissingValue("a contractual term, nothing to check at run time")


def _membership(context: EvaluationContext) -> Any:
    value = claim(context, "membership")
    if isinstance(value, bool):  # a verified MembershipCredential may be reported as a flag
        return "active" if value else "inactive"
    return value


def _framework_agreement(constraint: AtomicConstraint, actual: Any, context: EvaluationContext) -> Outcome:
    """CX-0018 §2.4: "Name:version" → the caller's <Name>Credential with contractVersion == version."""
    right = constraint.right_operand
    if constraint.operator not in ("eq", "neq") or not isinstance(right, str) or ":" not in right:
        detail = f'expected eq "Name:version", got {constraint.operator} {fmt(right)}'
        return Outcome(Status.UNSATISFIED, detail)
    if not isinstance(actual, dict):
        return Outcome(Status.UNSATISFIED, "type mismatch: frameworkAgreements is not a name→version map")
    name, version = right.split(":", 1)
    held = {str(k).casefold(): (str(k), str(v)) for k, v in actual.items()}
    found = held.get(name.casefold())
    if found is None:
        detail = f"caller has no {name} framework agreement"
        return satisfied(constraint.operator == "neq", detail)
    # Versions are compared as strings ("1.0" != "1"), as the credential mapping says.
    ok = (found[1] == version) == (constraint.operator == "eq")
    return satisfied(ok, f"caller has {found[0]} {found[1]}")


def _until_date(constraint: AtomicConstraint, actual: Any, context: EvaluationContext) -> Outcome:
    end = as_datetime(constraint.right_operand)
    if end is None:
        return Outcome(Status.UNSATISFIED, f"{fmt(constraint.right_operand)} is not an ISO 8601 date-time")
    if context.now <= end:
        return Outcome(Status.SATISFIED, f"period ends {end.isoformat()}, now is {context.now.isoformat()}")
    return Outcome(Status.UNSATISFIED, f"period ended {end.isoformat()}, now is {context.now.isoformat()}")


def _until_duration(constraint: AtomicConstraint, actual: Any, context: EvaluationContext) -> Outcome:
    days = constraint.right_operand
    if not isinstance(days, int) or isinstance(days, bool):
        return Outcome(Status.UNSATISFIED, f"type mismatch: {fmt(days)} is not a whole number of days")
    signed = context.agreement_signed_at
    if signed is None:
        # Before an agreement exists the period has not started (catalog, negotiation).
        return Outcome(Status.SATISFIED, f"{days} days from signing; no agreement signed yet")
    end = signed + timedelta(days=days)
    verb = "ends" if context.now <= end else "ended"
    return satisfied(context.now <= end, f"{days} days from signing {verb} {end.isoformat()}")
