"""DCP 1.0 subset: messages against the DCP schemas, scopes, self-issued and access tokens, VP-JWT."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt

from battrace.errors import InvalidInput, Unauthenticated
from battrace.identity import MemoryReplayGuard, NodeKeys, TokenVerifier, did_document, did_web_document_url
from battrace.identity._jose import REGISTRY
from battrace.identity.resolver import DidResolver, static_fetcher
from battrace.trust import dcp
from battrace.trust.dcp import (
    HeldCredential,
    PresentationDefinitionUnsupported,
    Scope,
    access_token_of,
    issue_access_token,
    issue_presentation,
    issue_self_issued_token,
    parse_presentation_query,
    parse_presentation_response,
    presentation_query,
    presentation_response,
    select_credentials,
    verify_access_token,
    verify_presentation,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "dcp"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HOLDER = "did:web:cells.example.jp"
VERIFIER = "did:web:oem.example.de"
HOLDER_KEYS = NodeKeys.generate()
HOLDER_DOC = did_document(HOLDER, HOLDER_KEYS)
MEMBERSHIP_SCOPE = "org.eclipse.dspace.dcp.vc.type:MembershipCredential:read"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def vc_jwt(types: list[str], subject: str = HOLDER, ident: str = "urn:uuid:vc-1") -> str:
    """A VC-JWT shaped credential (the issuer's signature is not what these tests are about)."""
    issuer = NodeKeys.generate()
    vc = {"id": ident, "type": ["VerifiableCredential", *types], "credentialSubject": {"id": subject}}
    claims = {"iss": "did:web:issuer.example", "vc": vc}
    return jwt.encode({"alg": "EdDSA"}, claims, issuer.signing_jwk(), registry=REGISTRY)


# ---- schemas and messages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "context-schema.json",
        "presentation-query-message-schema.json",
        "presentation-response-message-schema.json",
    ],
)
def test_shipped_schemas_are_the_upstream_ones(name: str) -> None:
    shipped = Path(dcp.__file__).parent / "schemas" / name
    assert json.loads(shipped.read_text("utf-8")) == fixture(name)


def test_upstream_query_example_parses_its_scopes_as_unsupported() -> None:
    query = parse_presentation_query(fixture("presentation-examples/presentation-query-message.json"))
    assert query.scopes == ()
    assert query.unsupported == ("presentation1", "presentation2")


def test_upstream_presentation_definition_example_is_not_implemented() -> None:
    document = fixture("presentation-examples/presentation-query-message-w-presentation-definition.json")
    with pytest.raises(PresentationDefinitionUnsupported) as raised:
        parse_presentation_query(document)
    assert raised.value.status == 501


def test_scope_and_presentation_definition_together_are_a_bad_request() -> None:
    document = {**presentation_query([MEMBERSHIP_SCOPE]), "presentationDefinition": {"id": "x"}}
    with pytest.raises(InvalidInput, match="both scope and presentationDefinition"):
        parse_presentation_query(document)


@pytest.mark.parametrize(
    "name",
    ["presentation-response-message.json", "presentation-response-message-w-presentation-submission.json"],
)
def test_upstream_response_examples_parse(name: str) -> None:
    response = parse_presentation_response(fixture(f"presentation-examples/{name}"))
    assert response.presentations


def test_built_query_is_the_exact_dcp_shape_and_parses_back() -> None:
    message = presentation_query([MEMBERSHIP_SCOPE])
    assert message == {
        "@context": ["https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"],
        "type": "PresentationQueryMessage",
        "scope": [MEMBERSHIP_SCOPE],
    }
    assert parse_presentation_query(message).raw_scopes == (MEMBERSHIP_SCOPE,)


def test_tractusx_spelling_of_the_query_is_read() -> None:
    document = {
        "@context": [
            "https://w3id.org/tractusx-trust/v0.8",
            "https://identity.foundation/presentation-exchange/submission/v1",
        ],
        "@type": "PresentationQueryMessage",
        "scope": ["org.eclipse.tractusx.vc.type:MembershipCredential:read"],
    }
    query = parse_presentation_query(document)
    assert query.scopes[0].value == "MembershipCredential"


@pytest.mark.parametrize(
    "document",
    [
        {"@context": ["https://example.org/other"], "type": "PresentationQueryMessage", "scope": ["a"]},
        {"@context": ["https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"], "type": "PresentationQueryMessage"},
        {"@context": ["https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"], "type": "Other", "scope": ["a"]},
        {
            "@context": ["https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"],
            "type": "PresentationQueryMessage",
            "scope": [],
        },
    ],
)
def test_invalid_queries_are_refused_by_the_schema(document: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="not a valid DCP message"):
        parse_presentation_query(document)


def test_response_round_trip_and_submission_needs_its_members() -> None:
    message = presentation_response(["eyJ.a.b", {"type": "VerifiablePresentation"}])
    assert parse_presentation_response(message).presentations[0] == "eyJ.a.b"
    with pytest.raises(InvalidInput):
        presentation_response(["x"], submission={"id": "only-id"})
    with pytest.raises(InvalidInput):
        parse_presentation_response({"@context": [dcp.DCP_CONTEXT], "type": "PresentationResponseMessage"})


# ---- scopes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "value", "operation"),
    [
        (MEMBERSHIP_SCOPE, "type", "MembershipCredential", "read"),
        ("org.eclipse.dspace.dcp.vc.type:MembershipCredential", "type", "MembershipCredential", "read"),
        ("org.eclipse.tractusx.vc.type:BpnCredential:read", "type", "BpnCredential", "read"),
        ("org.eclipse.dspace.dcp.vc.id:urn:uuid:1234", "id", "urn:uuid:1234", "read"),
        ("org.eclipse.tractusx.vc.id:urn:uuid:1234:write", "id", "urn:uuid:1234", "write"),
    ],
)
def test_scope_aliases(raw: str, kind: str, value: str, operation: str) -> None:
    scope = Scope.parse(raw)
    assert (scope.kind, scope.value, scope.operation) == (kind, value, operation)


@pytest.mark.parametrize(
    "raw",
    [
        "presentation1",
        "org.example:Membership",
        "org.eclipse.dspace.dcp.vc.type:",
        "org.eclipse.dspace.dcp.vc.type:A:B:read",
    ],
)
def test_malformed_scopes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        Scope.parse(raw)


def test_tractusx_membership_vector_is_selected_by_type_and_id() -> None:
    held = HeldCredential.from_jwt((FIXTURES / "tractusx" / "membership-secp256r1.jwt").read_text().strip())
    assert "MembershipCredential" in held.types
    assert held.subject_ids == ("did:web:com.example.participant",)
    assert select_credentials([held], [Scope.parse(MEMBERSHIP_SCOPE)]) == (held,)
    by_id = Scope.parse("org.eclipse.dspace.dcp.vc.id:1f36af58-0fc0-4b24-9b1c-e37d59668089")
    assert select_credentials([held], [by_id]) == (held,)


def test_filtering_returns_only_credentials_a_scope_selects() -> None:
    membership = HeldCredential.from_jwt(vc_jwt(["MembershipCredential"], ident="urn:uuid:m"))
    certification = HeldCredential.from_jwt(vc_jwt(["ConnectorCertificationCredential"], ident="urn:uuid:c"))
    held = [membership, certification]
    assert select_credentials(held, [Scope.parse(MEMBERSHIP_SCOPE)]) == (membership,)
    assert select_credentials(held, [Scope.for_type("CellMakerRoleCredential")]) == ()
    write_only = Scope.parse("org.eclipse.dspace.dcp.vc.type:MembershipCredential:write")
    assert select_credentials(held, [write_only]) == ()


def token_verifier() -> TokenVerifier:
    resolver = DidResolver(static_fetcher({did_web_document_url(HOLDER): HOLDER_DOC}), clock=lambda: NOW)
    guard = MemoryReplayGuard(clock=lambda: NOW)
    return TokenVerifier(audience_did=VERIFIER, resolver=resolver, replay_guard=guard, clock=lambda: NOW)


# ---- tokens --------------------------------------------------------------------------------------------


def test_self_issued_token_carries_the_access_token_and_verifies() -> None:
    access = issue_access_token(HOLDER_KEYS, HOLDER, VERIFIER, [MEMBERSHIP_SCOPE], now=NOW, jti="a-1")
    token = issue_self_issued_token(HOLDER_KEYS, HOLDER, VERIFIER, now=NOW, jti="si-1", access_token=access)
    verifier = token_verifier()
    caller = verifier.verify(f"Bearer {token}")
    assert access_token_of(caller) == access
    grant = verify_access_token(access_token_of(caller), HOLDER_DOC, caller_did=VERIFIER, now=NOW)
    query = parse_presentation_query(presentation_query([MEMBERSHIP_SCOPE, Scope.for_type("BpnCredential")]))
    assert [s.raw for s in grant.entitled(query)] == [MEMBERSHIP_SCOPE]


def test_self_issued_token_without_access_token_is_refused_by_the_credential_service() -> None:
    token = issue_self_issued_token(HOLDER_KEYS, HOLDER, VERIFIER, now=NOW, jti="si-2")
    verifier = token_verifier()
    with pytest.raises(Unauthenticated, match="no access token"):
        access_token_of(verifier.verify(token))


def test_access_token_for_another_verifier_or_expired_or_forged_is_refused() -> None:
    access = issue_access_token(HOLDER_KEYS, HOLDER, VERIFIER, [MEMBERSHIP_SCOPE], now=NOW, jti="a-2")
    with pytest.raises(Unauthenticated, match="issued to"):
        verify_access_token(access, HOLDER_DOC, caller_did="did:web:thief.example", now=NOW)
    with pytest.raises(Unauthenticated, match="expired"):
        verify_access_token(access, HOLDER_DOC, caller_did=VERIFIER, now=NOW + timedelta(minutes=10))
    forged = issue_access_token(NodeKeys.generate(), HOLDER, VERIFIER, [MEMBERSHIP_SCOPE], now=NOW, jti="a-3")
    with pytest.raises(Unauthenticated, match="does not verify"):
        verify_access_token(forged, HOLDER_DOC, caller_did=VERIFIER, now=NOW)


def test_an_access_token_is_not_a_presentation() -> None:
    access = issue_access_token(HOLDER_KEYS, HOLDER, VERIFIER, [MEMBERSHIP_SCOPE], now=NOW, jti="a-4")
    with pytest.raises(Unauthenticated, match="type"):
        verify_presentation(access, HOLDER_DOC, verifier_did=VERIFIER, now=NOW)


# ---- VP-JWT -------------------------------------------------------------------------------------------


def presentation(**overrides: Any) -> str:
    fields: dict[str, Any] = {
        "keys": HOLDER_KEYS,
        "holder_did": HOLDER,
        "verifier_did": VERIFIER,
        "credentials": [vc_jwt(["MembershipCredential"])],
        "now": NOW,
        "jti": "vp-1",
        "nonce": "n-1",
    }
    fields.update(overrides)
    return issue_presentation(**fields)


def test_presentation_verifies_and_returns_the_bound_credentials() -> None:
    verified = verify_presentation(presentation(), HOLDER_DOC, verifier_did=VERIFIER, now=NOW, nonce="n-1")
    assert verified.holder_did == HOLDER
    assert len(verified.credentials) == 1
    assert verified.expires_at == NOW + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("token", "kwargs", "match"),
    [
        (lambda: presentation(verifier_did="did:web:other.example"), {}, "not for"),
        (lambda: presentation(), {"now": NOW + timedelta(minutes=6)}, "expired"),
        (lambda: presentation(), {"now": NOW - timedelta(minutes=1)}, "not valid yet"),
        (lambda: presentation(), {"nonce": "n-2"}, "nonce"),
        (lambda: presentation(keys=NodeKeys.generate()), {}, "does not verify"),
        (lambda: presentation(holder_did="did:web:someone.example"), {}, "expected"),
        (
            lambda: presentation(
                credentials=[vc_jwt(["MembershipCredential"], subject="did:web:victim.example")]
            ),
            {},
            "not the presenter",
        ),
        (lambda: presentation(credentials=["not-a-jwt"]), {}, "unreadable credential"),
        (lambda: "garbage", {}, "malformed"),
    ],
)
def test_presentation_attacks_are_refused(token: Any, kwargs: dict[str, Any], match: str) -> None:
    arguments: dict[str, Any] = {"verifier_did": VERIFIER, "now": NOW, **kwargs}
    with pytest.raises(Unauthenticated, match=match):
        verify_presentation(token(), HOLDER_DOC, **arguments)


def test_replayed_presentation_is_refused() -> None:
    guard = MemoryReplayGuard(clock=lambda: NOW)
    token = presentation()
    verify_presentation(token, HOLDER_DOC, verifier_did=VERIFIER, now=NOW, replay_guard=guard)
    with pytest.raises(Unauthenticated, match="replay"):
        verify_presentation(token, HOLDER_DOC, verifier_did=VERIFIER, now=NOW, replay_guard=guard)


def test_presentation_key_must_be_an_authentication_method() -> None:
    document = {**HOLDER_DOC, "authentication": []}
    with pytest.raises(Unauthenticated, match="authentication"):
        verify_presentation(presentation(), document, verifier_did=VERIFIER, now=NOW)


def test_presentation_lifetime_is_bounded() -> None:
    with pytest.raises(InvalidInput):
        presentation(lifetime=timedelta(hours=1))
