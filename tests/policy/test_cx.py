"""Catena-X 2025/9 operands: credentials, time limits, contractual terms checked against the profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from battrace.policy import AtomicConstraint, Policy, Rule, evaluate, parse_policy
from battrace.policy.cx import CONTRACTUAL_OPERANDS, profile_violation

from ._helpers import FIXTURES, NOW, USE, caller, cx, load, permit

SIGNED = datetime(2026, 5, 1, tzinfo=UTC)


def _allowed(constraint: AtomicConstraint, **context: Any) -> bool:
    return evaluate(permit(constraint), caller(**context), action=USE).allowed


# ---- credential-backed operands ------------------------------------------------------------------


def test_membership_accepts_active_string_or_true_flag() -> None:
    member = cx("Membership", "eq", "active")
    assert _allowed(member)
    assert _allowed(member, membership=True)
    assert not _allowed(member, membership=False)
    assert not _allowed(member, membership="suspended")
    assert not _allowed(member, membership=None)


def test_framework_agreement_compares_the_version_as_a_string() -> None:
    deg = cx("FrameworkAgreement", "eq", "DataExchangeGovernance:1.0")
    assert _allowed(deg)
    assert not _allowed(deg, frameworkAgreements={"DataExchangeGovernance": "1"})
    assert not _allowed(deg, frameworkAgreements={"Pcf": "1.0"})
    assert not _allowed(deg, frameworkAgreements=None)
    assert _allowed(deg, frameworkAgreements={"dataexchangegovernance": "1.0"})  # sig-release #1311


def test_framework_agreement_without_a_version_is_not_satisfied() -> None:
    decision = evaluate(permit(cx("FrameworkAgreement", "eq", "DataExchangeGovernance")), caller())
    assert not decision.allowed
    assert any('expected eq "Name:version"' in r for r in decision.reasons)


def test_business_partner_number_is_any_of_and_none_of() -> None:
    assert _allowed(cx("BusinessPartnerNumber", "isAnyOf", ["BPNL000000000001", "BPNL000000000002"]))
    assert not _allowed(cx("BusinessPartnerNumber", "isNoneOf", ["BPNL000000000001"]))
    assert _allowed(cx("BusinessPartnerNumber", "isNoneOf", ["BPNL000000000009"]))


def test_business_partner_group_reads_the_group_list() -> None:
    assert _allowed(cx("BusinessPartnerGroup", "isAnyOf", ["gold", "silver"]))
    assert not _allowed(cx("BusinessPartnerGroup", "isAnyOf", ["silver"]))
    assert not _allowed(cx("BusinessPartnerGroup", "isNoneOf", ["gold"]))
    assert not _allowed(cx("BusinessPartnerGroup", "isAnyOf", ["gold"]), businessPartnerGroups=None)


# ---- UsagePurpose ---------------------------------------------------------------------------------


def test_usage_purpose_is_checked_against_presented_purposes() -> None:
    purpose = cx("UsagePurpose", "isAnyOf", ["cx.circular.dpp:1"])
    assert _allowed(purpose)
    assert not _allowed(purpose, purposes=["cx.pcf.base:1"])


def test_usage_purpose_without_purposes_claim_is_a_contractual_term() -> None:
    decision = evaluate(permit(cx("UsagePurpose", "isAnyOf", ["cx.circular.dpp:1"])), caller(purposes=None))
    assert decision.allowed
    assert "accepted as contractual term" in decision.reasons[0]


def test_usage_purpose_with_the_wrong_operator_fails_the_profile() -> None:
    assert not _allowed(cx("UsagePurpose", "eq", "cx.circular.dpp:1"), purposes=None)


# ---- time limits ----------------------------------------------------------------------------------


def test_data_usage_end_date_in_the_past_refuses_the_transfer() -> None:
    end = cx("DataUsageEndDate", "eq", "2026-05-31T23:59:59Z")
    decision = evaluate(permit(end), caller("transfer", now=NOW), action=USE)
    assert not decision.allowed
    assert any("period ended" in r for r in decision.reasons)
    assert _allowed(end, now=NOW - timedelta(days=1))


def test_data_usage_end_duration_days_elapsed_refuses_the_transfer() -> None:
    days = cx("DataUsageEndDurationDays", "eq", 30)
    assert _allowed(days, signed=SIGNED, now=SIGNED + timedelta(days=30))
    decision = evaluate(permit(days), caller("transfer", signed=SIGNED, now=SIGNED + timedelta(days=31)))
    assert not decision.allowed
    assert any("30 days from signing ended" in r for r in decision.reasons)


def test_duration_before_signing_is_satisfied() -> None:
    assert _allowed(cx("DataUsageEndDurationDays", "eq", 30), signed=None)


def test_duration_as_a_string_fails_the_profile() -> None:
    assert not _allowed(cx("DataUsageEndDurationDays", "eq", "30"), signed=SIGNED)


def test_past_data_provisioning_end_date_obligation_denies_provisioning() -> None:
    policy = Policy(
        uid="p",
        permissions=(Rule(USE, (cx("Membership", "eq", "active"),)),),
        obligations=(Rule(USE, (cx("DataProvisioningEndDate", "eq", "2026-01-01T00:00:00Z"),)),),
    )
    decision = evaluate(policy, caller(now=NOW), action=USE)
    assert not decision.allowed
    assert "obligation" in decision.reasons[-1]
    assert evaluate(policy, caller(now=datetime(2025, 12, 1, tzinfo=UTC)), action=USE).allowed


def test_data_provisioning_duration_obligation_after_signing() -> None:
    policy = Policy(
        uid="p",
        permissions=(Rule(USE),),
        obligations=(Rule(USE, (cx("DataProvisioningEndDurationDays", "eq", 2),)),),
    )
    assert evaluate(policy, caller(signed=SIGNED, now=SIGNED + timedelta(days=1))).allowed
    assert not evaluate(policy, caller(signed=SIGNED, now=SIGNED + timedelta(days=3))).allowed


# ---- contractual terms ----------------------------------------------------------------------------

VALID_CONTRACTUAL = [
    ("ContractReference", "isAllOf", ["x12345"]),
    ("DataUsageEndDefinition", "eq", "cx.dataUsageEnd.unlimited:1"),
    ("UsageRestriction", "isAllOf", ["cx.thirdParty.forbidden:1"]),
    ("AffiliatesRegion", "isAnyOf", ["cx.region.europe:1"]),
    ("AffiliatesBpnl", "isAnyOf", ["BPNL012345678910"]),
    ("ManagedLegalEntityRegion", "isAnyOf", ["cx.region.asia:1"]),
    ("ManagedLegalEntityBpnl", "isAnyOf", ["BPNL012345678910"]),
    ("ConfidentialInformationMeasures", "eq", "cx.confidentiality.measures:1"),
    ("ConfidentialInformationSharing", "isAnyOf", ["cx.sharing.affiliates:1"]),
    ("ContractTermination", "eq", "cx.data.deletion:1"),
    ("DataFrequency", "eq", "cx.dataFrequency.once:1"),
    ("ExclusiveUsage", "eq", "cx.exclusiveUsage.dataConsumer:1"),
    ("JurisdictionLocation", "eq", "Munich"),
    ("JurisdictionLocationReference", "eq", "cx.location.dataConsumer:1"),
    ("Liability", "eq", "cx.slightNegligence:1"),
    ("Precedence", "eq", "cx.precedence.rcAgreement:1"),
    ("VersionChanges", "eq", "cx.versionChanges.major:1"),
    ("Warranty", "eq", "cx.warranty.dataQualityIssues:1"),
    ("WarrantyDefinition", "eq", "cx.warranty.contractEndDate:1"),
    ("WarrantyDurationMonths", "eq", 12),
    ("WarrantyDuration", "eq", 6),
]
INVALID_CONTRACTUAL = [
    ("ContractReference", "eq", "x12345"),
    ("DataUsageEndDefinition", "eq", "cx.dataUsageEnd.unlimited"),
    ("UsageRestriction", "isAllOf", ["ThirdPartyForbiddenRightOperand"]),
    ("AffiliatesRegion", "isAnyOf", ["cx.region.mars:1"]),
    ("AffiliatesBpnl", "isAnyOf", ["BPN123"]),
    ("ManagedLegalEntityRegion", "isAnyOf", []),
    ("ManagedLegalEntityBpnl", "isAnyOf", ["bpnl0123"]),
    ("ConfidentialInformationMeasures", "eq", "yes"),
    ("ConfidentialInformationSharing", "isAnyOf", ["cx.sharing.everyone:1"]),
    ("ContractTermination", "eq", "cx.data.keeping"),
    ("DataFrequency", "eq", "cx.dataFrequency.daily:1"),
    ("ExclusiveUsage", "eq", "cx.exclusiveUsage.dataProvider:1"),
    ("JurisdictionLocation", "eq", ["Munich"]),
    ("JurisdictionLocationReference", "eq", "Munich"),
    ("Liability", "eq", "cx.noLiability:1"),
    ("Precedence", "eq", "cx.precedence.none:1"),
    ("VersionChanges", "eq", "cx.versionChanges.patch:1"),
    ("Warranty", "eq", "cx.warranty.forever:1"),
    ("WarrantyDefinition", "eq", "cx.warranty.none:1"),
    ("WarrantyDurationMonths", "eq", "6"),
    ("WarrantyDuration", "eq", 6.5),
]


def test_the_tables_cover_every_contractual_operand() -> None:
    assert {name for name, _, _ in VALID_CONTRACTUAL} == set(CONTRACTUAL_OPERANDS)
    assert {name for name, _, _ in INVALID_CONTRACTUAL} == set(CONTRACTUAL_OPERANDS)


@pytest.mark.parametrize(("name", "operator", "right"), VALID_CONTRACTUAL, ids=lambda v: str(v)[:40])
def test_valid_contractual_term_is_accepted(name: str, operator: str, right: Any) -> None:
    decision = evaluate(permit(cx(name, operator, right)), caller(), action=USE)
    assert decision.allowed, decision.reasons
    assert "accepted as contractual term" in decision.reasons[0]


@pytest.mark.parametrize(("name", "operator", "right"), INVALID_CONTRACTUAL, ids=lambda v: str(v)[:40])
def test_invalid_contractual_value_is_not_satisfied(name: str, operator: str, right: Any) -> None:
    decision = evaluate(permit(cx(name, operator, right)), caller(), action=USE)
    assert not decision.allowed
    assert "violates the Catena-X profile" in decision.reasons[0]


def _samples() -> list[str]:
    return sorted(p.name for p in (FIXTURES / "cx-samples").glob("*-constraint-sample.json"))


@pytest.mark.parametrize("path", _samples(), ids=str)
def test_upstream_constraint_samples_pass_the_profile_except_the_known_bad_one(path: str) -> None:
    sample = load(f"cx-samples/{path}")
    problem = profile_violation(sample["leftOperand"], sample["operator"], sample["rightOperand"])
    if path == "contract-termination-constraint-sample.json":  # "cx.data.keeping" lacks ":1"
        assert problem is not None and "rightOperand" in problem
    else:
        assert problem is None


def test_bare_warranty_duration_months_is_unknown_but_prefixed_is_accepted() -> None:
    body: dict[str, Any] = {"@type": "Set", "@id": "p", "permission": [{"action": "use", "constraint": [
        {"leftOperand": "WarrantyDurationMonths", "operator": "eq", "rightOperand": 12}
    ]}]}
    bare = parse_policy(body)
    assert not evaluate(bare, caller()).allowed
    body["permission"][0]["constraint"][0]["leftOperand"] = "cx-policy:WarrantyDurationMonths"
    prefixed = parse_policy(body)
    assert prefixed.permissions[0].constraints[0] == cx("WarrantyDurationMonths", "eq", 12)
    assert evaluate(prefixed, caller()).allowed


# ---- whole upstream samples -------------------------------------------------------------------------

FULL_CLAIMS: dict[str, Any] = {"purposes": None, "bpn": "BPNL012345678910"}


def test_access_policy_sample_allows_the_listed_member_only() -> None:
    policy = parse_policy(load("cx-samples/access-policy.json"))
    assert evaluate(policy, caller("catalog", **FULL_CLAIMS)).allowed
    assert not evaluate(policy, caller("catalog", bpn="BPNL000000000009")).allowed


def test_individual_constraints_sample_allows_until_provisioning_ends() -> None:
    policy = parse_policy(load("cx-samples/usage-policy-individual-constraints-sample.json"))
    early = caller("negotiation", now=datetime(2023, 1, 1, tzinfo=UTC), **FULL_CLAIMS)
    assert evaluate(policy, early, action=USE).allowed
    late = caller("transfer", now=datetime(2024, 1, 1, tzinfo=UTC), **FULL_CLAIMS)
    assert not evaluate(policy, late, action=USE).allowed  # DataProvisioningEndDate 2023-10-04 passed


@pytest.mark.parametrize(
    ("path", "culprit"),
    [
        ("usage-policy-sample.json", "DataUsageEndDefinition eq cx.dataUsageEnd.unlimited denied"),
        ("usage-policy-comprehensive-sample.json", "WarrantyDurationMonths eq 6 denied"),
        ("usage-policy-comprehensive-sample.json", "UsageRestriction isAllOf"),
    ],
)
def test_known_bad_upstream_samples_parse_but_are_denied(path: str, culprit: str) -> None:
    policy = parse_policy(load(f"cx-samples/{path}"))
    decision = evaluate(policy, caller("negotiation", now=datetime(2023, 1, 1, tzinfo=UTC), **FULL_CLAIMS))
    assert not decision.allowed
    assert any(culprit in r for r in decision.reasons), decision.reasons



def test_tractusx_bpn_group_example_allows_a_caller_in_exactly_that_group() -> None:
    policy = parse_policy(load("tractusx-edc/policydefinition-usage-bpn-group.json"))
    assert evaluate(policy, caller(businessPartnerGroups=["gold-partners"]), action=USE).allowed
    assert not evaluate(policy, caller(businessPartnerGroups=["silver"]), action=USE).allowed


def test_tractusx_membership_deg_access_example() -> None:
    policy = parse_policy(load("tractusx-edc/policydefinition-access-membership-deg.json"))
    assert evaluate(policy, caller("catalog")).allowed
    assert not evaluate(policy, caller("catalog", frameworkAgreements={})).allowed


def test_tractusx_allow_all_example_allows() -> None:
    policy = parse_policy(load("tractusx-edc/policydefinition-usage-allow-all.json"))
    assert evaluate(policy, caller()).allowed
