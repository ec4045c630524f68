"""CredentialClaims: a verifier node gets a caller's policy claims from the caller's Credential Service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from battrace.errors import Forbidden
from battrace.identity import VerifiedCaller
from battrace.policy import EvaluationContext, default_registry, evaluate
from battrace.trust.claims import DEFAULT_SCOPES, CredentialClaims
from battrace.trust.dcp import issue_presentation, presentation_response
from battrace.trust.modes import connect_policy, register_mode_operands
from battrace.trust.recognition import Recognition, RecognitionStatement
from battrace.trust.subjects import (
    CertificationLevel,
    ConnectorCertificationCredential,
    FrameworkCredential,
    SecurityProfile,
)
from battrace.trust.trustlist import CertificationBody, TrustList

from .test_claims_world import (
    BPN,
    CERTIFICATION,
    CORPORATE_NUMBER,
    GLN,
    HOLDER,
    MEMBERSHIP,
    NOW,
    OPERATOR,
    OTHER,
    ROGUE,
    ROLES,
    VERIFIER,
    World,
)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def reasons(source: CredentialClaims, did: str = HOLDER) -> list[str]:
    outcome = source.outcome(did)
    assert outcome is not None
    return [r.reason for r in outcome.refusals]


def assert_no_credential_claims(claims: Mapping[str, Any]) -> None:
    for name in ("membership", "bpn", "securityProfile", "roles", "dataSpace", "corporateNumber"):
        assert name not in claims
    assert claims["credentials"] == []


def test_trusted_membership_and_trust_certification_give_the_policy_claims(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP, status_index=7))
    world.wallet.add(world.credential(CERTIFICATION))
    world.wallet.add(world.credential(ROLES))
    source = world.claims_source()

    claims = source.claims_for(world.caller())

    assert claims["membership"] == "active"
    assert claims["bpn"] == BPN
    assert claims["corporateNumber"] == CORPORATE_NUMBER.value
    assert claims["gln"] == GLN.value
    assert claims["dataSpace"] == "ouranos"
    assert claims["securityProfile"] == "TRUST"
    assert claims["certificationLevel"] == "COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW"
    assert claims["roles"] == ["CellMaker"]
    assert sorted(c["type"] for c in claims["credentials"]) == [
        "ConnectorCertificationCredential", "MembershipCredential", "RoleCredential",
    ]
    assert {(c["issuer"], c["via"]) for c in claims["credentials"]} == {("did:web:issuer.example", "local")}
    assert all(d.startswith("accepted ") for d in claims["trustDecisions"])
    assert reasons(source) == []
    assert world.calls.urls == ["https://holder.example/api/credentials/presentations/query"]


def test_only_the_configured_scopes_are_asked_for(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP))
    world.wallet.add(world.credential(CERTIFICATION))
    membership_only = (DEFAULT_SCOPES[0],)
    claims = world.claims_source(scopes=membership_only).claims_for(world.caller())
    assert claims["membership"] == "active"
    assert "securityProfile" not in claims


def test_framework_credentials_become_framework_agreements(world: World) -> None:
    framework = FrameworkCredential("TraceabilityCredential", BPN, "https://example.org/contract", "1.0")
    world.wallet.add(world.credential(framework))
    scopes = ("org.eclipse.dspace.dcp.vc.type:TraceabilityCredential:read",)
    claims = world.claims_source(scopes=scopes).claims_for(world.caller(scopes=scopes))
    assert claims["frameworkAgreements"] == {"Traceability": "1.0"}


def test_untrusted_issuer_gives_no_claims(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP, issuer=ROGUE))
    source = world.claims_source()
    claims = source.claims_for(world.caller())
    assert_no_credential_claims(claims)
    assert reasons(source) == ["untrusted_issuer"]
    assert any("refused untrusted_issuer" in d for d in claims["trustDecisions"])


def test_no_trust_list_trusts_nobody(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP))
    source = world.claims_source(trust_lists=lambda: [])
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["untrusted_issuer"]


def test_revoked_credential_gives_no_claims_but_the_others_stay(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP, status_index=7))
    world.wallet.add(world.credential(CERTIFICATION, status_index=8))
    world.revoke(8)
    source = world.claims_source()
    claims = source.claims_for(world.caller())
    assert claims["membership"] == "active"
    assert "securityProfile" not in claims
    assert reasons(source) == ["revoked"]


def test_expired_credential_gives_no_claims(world: World) -> None:
    start = world.clock() - timedelta(days=400)
    world.wallet.add(world.credential(MEMBERSHIP, valid_from=start, valid_until=start + timedelta(days=365)))
    source = world.claims_source()
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["expired"]


def test_a_certificate_of_another_connector_is_not_the_callers(world: World) -> None:
    other = ConnectorCertificationCredential(
        OTHER, SecurityProfile.TRUST, CertificationLevel.COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW
    )
    world.wallet.add(world.credential(other))
    source = world.claims_source()
    assert "securityProfile" not in source.claims_for(world.caller())
    assert reasons(source) == ["wrong_connector"]


def scripted(world: World, *vps: str) -> Any:
    """A malicious or broken Credential Service answering with the given VP-JWTs."""

    def post(url: str, body: Mapping[str, Any], authorization: str) -> Mapping[str, Any]:
        return presentation_response(list(vps))

    return post


def holder_vp(world: World, credentials: list[str], *, audience: str = VERIFIER) -> str:
    now = world.clock()
    return issue_presentation(world.holder_keys, HOLDER, audience, credentials, now=now, jti="urn:vp")


def test_another_holders_credential_spoils_the_presentation(world: World) -> None:
    stolen = world.credential(MEMBERSHIP, holder=OTHER)
    source = world.claims_source(http=scripted(world, holder_vp(world, [stolen])))
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["presentation_invalid"]
    outcome = source.outcome(HOLDER)
    assert outcome is not None and "not the presenter" in outcome.refusals[0].detail


def test_presentation_for_another_audience_is_refused(world: World) -> None:
    vp = holder_vp(world, [world.credential(MEMBERSHIP)], audience=OTHER)
    source = world.claims_source(http=scripted(world, vp))
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["presentation_invalid"]


def test_replayed_presentation_is_refused(world: World) -> None:
    vp = holder_vp(world, [world.credential(MEMBERSHIP)])
    source = world.claims_source(http=scripted(world, vp), max_cache_age=timedelta(0))
    assert source.claims_for(world.caller())["membership"] == "active"
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["presentation_invalid"]
    outcome = source.outcome(HOLDER)
    assert outcome is not None and "replay" in outcome.refusals[0].detail


def test_presentation_signed_by_someone_else_is_refused(world: World) -> None:
    forged = issue_presentation(
        world.verifier_keys, HOLDER, VERIFIER, [world.credential(MEMBERSHIP)], now=world.clock(), jti="urn:x"
    )
    source = world.claims_source(http=scripted(world, forged))
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["presentation_invalid"]


def test_no_access_token_means_no_query_and_no_claims(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP))
    source = world.claims_source()
    assert_no_credential_claims(source.claims_for(world.caller(with_access_token=False)))
    assert reasons(source) == ["no_access_token"]
    assert world.calls.urls == []


def test_access_token_without_the_scopes_yields_nothing(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP))
    scopes = ("org.eclipse.dspace.dcp.vc.type:RoleCredential:read",)
    source = world.claims_source()
    assert_no_credential_claims(source.claims_for(world.caller(scopes=scopes)))
    assert reasons(source) == ["no_credentials"]


def test_caller_without_credential_service_gets_no_claims(world: World) -> None:
    del world.documents[HOLDER]["service"]
    source = world.claims_source()
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["no_credential_service"]


def test_a_refused_credential_service_url_is_never_called(world: World) -> None:
    def guard(url: str) -> None:
        raise Forbidden(f"{url} is not an allowed peer")

    source = world.claims_source(url_guard=guard)
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["no_credential_service"]
    assert world.calls.urls == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (RuntimeError("connection reset"), "query_failed"),
        ({"type": "PresentationResponseMessage"}, "bad_response"),
        ({"@context": ["https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"], "type": "PresentationResponseMessage",
          "presentation": [{"type": "VerifiablePresentation"}]}, "bad_response"),
    ],
)
def test_a_broken_credential_service_never_raises(world: World, answer: Any, reason: str) -> None:
    def post(url: str, body: Mapping[str, Any], authorization: str) -> Mapping[str, Any]:
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)

    source = world.claims_source(http=post)
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == [reason]


def test_a_credential_service_answering_401_is_a_failed_query(world: World) -> None:
    # the holder's service refuses our access token: it was issued to another verifier
    world.wallet.add(world.credential(MEMBERSHIP))
    caller = world.caller()
    stranger = world.claims_source(did=OTHER)
    relayed = VerifiedCaller(HOLDER, "j", caller.expires_at, caller.claims)
    assert_no_credential_claims(stranger.claims_for(relayed))
    assert reasons(stranger) == ["query_failed"]
    outcome = stranger.outcome(HOLDER)
    assert outcome is not None and "401" in outcome.refusals[0].detail


def test_unavailable_trust_lists_deny(world: World) -> None:
    def down() -> list[TrustList]:
        raise ConnectionError("operator unreachable")

    world.wallet.add(world.credential(MEMBERSHIP))
    source = world.claims_source(trust_lists=down)
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["trust_lists_unavailable"]


def test_claims_are_cached_for_the_presentation_lifetime_only(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP))
    source = world.claims_source()
    assert source.claims_for(world.caller())["membership"] == "active"
    world.clock.advance(minutes=4, seconds=59)
    assert source.claims_for(world.caller())["membership"] == "active"
    assert len(world.calls.urls) == 1
    world.clock.advance(seconds=1)  # the VP (5 minutes) has expired: ask again
    assert source.claims_for(world.caller())["membership"] == "active"
    assert len(world.calls.urls) == 2


def test_a_shorter_cache_age_is_honoured_and_failures_are_not_cached(world: World) -> None:
    source = world.claims_source(max_cache_age=timedelta(seconds=30))
    assert_no_credential_claims(source.claims_for(world.caller(with_access_token=False)))
    world.wallet.add(world.credential(MEMBERSHIP))
    assert source.claims_for(world.caller())["membership"] == "active"
    world.clock.advance(seconds=29)
    source.claims_for(world.caller())
    world.clock.advance(seconds=1)
    source.claims_for(world.caller())
    assert len(world.calls.urls) == 2


def test_a_revocation_is_seen_after_the_cache_expires(world: World) -> None:
    world.wallet.add(world.credential(MEMBERSHIP, status_index=3))
    source = world.claims_source()
    assert source.claims_for(world.caller())["membership"] == "active"
    world.revoke(3)
    world.clock.advance(minutes=5)
    assert "membership" not in source.claims_for(world.caller())
    assert reasons(source) == ["revoked"]


def test_returned_claims_are_a_copy(world: World) -> None:
    world.wallet.add(world.credential(ROLES))
    source = world.claims_source()
    first: Any = source.claims_for(world.caller())  # a dict: try to poison the cache through it
    first["roles"].append("Recycler")
    first["membership"] = "active"
    again = source.claims_for(world.caller())
    assert again["roles"] == ["CellMaker"]
    assert "membership" not in again


def test_verified_claims_open_the_connect_policy_and_their_absence_closes_it(world: World) -> None:
    registry = default_registry().copy()
    register_mode_operands(registry)
    policy = connect_policy(attributes={"roles": "CellMaker", "dataSpace": "ouranos"}, min_profile="TRUST")

    def allowed(claims: Mapping[str, Any]) -> bool:
        context = EvaluationContext(scope="catalog", participant_did=HOLDER, claims=claims, now=world.clock())
        return evaluate(policy, context, registry=registry).allowed

    world.wallet.add(world.credential(MEMBERSHIP))
    world.wallet.add(world.credential(CERTIFICATION))
    world.wallet.add(world.credential(ROLES))
    assert allowed(world.claims_source().claims_for(world.caller()))
    assert not allowed(world.claims_source().claims_for(world.caller(with_access_token=False)))
    assert not allowed(world.claims_source(trust_lists=lambda: []).claims_for(world.caller()))


def test_a_member_of_a_recognised_space_is_accepted_with_its_own_data_space(world: World) -> None:
    cx_operator = "did:web:cx-operator.example"
    foreign = TrustList(
        space="catena-x", operator_did=cx_operator, issued_at=NOW - timedelta(days=10),
        bodies=(CertificationBody(did=ROGUE, credential_types=("MembershipCredential",),
                                  valid_from=NOW - timedelta(days=100)),),
    )
    statement = RecognitionStatement(
        id="urn:recognition:1", recognizer_did=OPERATOR, recognizer_space="ouranos",
        recognized_space="catena-x", recognized_operator_did=cx_operator,
        credential_types=("MembershipCredential",), valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=365), issued_at=NOW - timedelta(days=1),
    )
    ouranos = world.trust_list.with_recognitions(Recognition(statement, foreign))
    world.wallet.add(world.credential(MEMBERSHIP, issuer=ROGUE))
    claims = world.claims_source(trust_lists=lambda: [ouranos]).claims_for(world.caller())
    assert claims["membership"] == "active"
    assert claims["dataSpace"] == "catena-x"
    assert claims["credentials"][0]["via"] == "recognition:catena-x"


def test_an_unexpected_error_is_an_internal_refusal_not_an_exception(world: World) -> None:
    def broken_ids() -> str:
        raise RuntimeError("id factory down")

    world.wallet.add(world.credential(MEMBERSHIP))
    source = world.claims_source(new_id=broken_ids)
    assert_no_credential_claims(source.claims_for(world.caller()))
    assert reasons(source) == ["internal_error"]
