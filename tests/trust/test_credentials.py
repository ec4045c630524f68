"""Issuing and parsing VC-JWTs: every credential type round-trips with both algorithms and data models."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from battrace.errors import InvalidInput
from battrace.identity import NodeKeys
from battrace.trust import (
    AppCertificationCredential,
    Bpn,
    CertificationLevel,
    ConnectorCertificationCredential,
    CorporateNumber,
    CredentialSubject,
    Gln,
    IssuerKey,
    MembershipCredential,
    Role,
    RoleCredential,
    SecurityProfile,
    StatusEntry,
    decode_credential_jwt,
    issue_credential,
    verify_credential,
)

from .vc_support import HOLDER, ISSUER, NOW, Directory, trusting

SUBJECTS: list[CredentialSubject] = [
    MembershipCredential(
        "BPNL00000003AYRE",
        member_of="did:web:space.jp",
        since=NOW - timedelta(days=30),
        identifiers=(CorporateNumber("7000012050002"), Bpn("BPNL00000003AYRE"), Gln("4006381333931")),
    ),
    ConnectorCertificationCredential(
        HOLDER,
        SecurityProfile.TRUST,
        CertificationLevel.COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW,
        certified_until=NOW + timedelta(days=365),
    ),
    RoleCredential(frozenset(Role)),
    AppCertificationCredential("urn:app:pcf-calc", "PCF Calculator", "2.1.0", "CarbonFootprintCalculator"),
]


@pytest.mark.parametrize("subject", SUBJECTS, ids=lambda s: s.credential_type)
@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
@pytest.mark.parametrize("model", ["1.1", "2.0"])
def test_every_credential_type_round_trips_and_verifies(
    subject: CredentialSubject, alg: Any, model: Any
) -> None:
    key = IssuerKey.generate(alg)
    directory = Directory()
    directory.add(ISSUER, key)
    status = None
    token = issue_credential(
        key,
        ISSUER,
        HOLDER,
        subject,
        valid_from=NOW,
        valid_until=NOW + timedelta(days=90),
        status=status,
        now=NOW,
        jti="urn:uuid:1",
        data_model=model,
    )
    verified = verify_credential(
        token,
        issuer_document_for=directory,
        is_trusted=trusting(ISSUER),
        status=None,
        holder=HOLDER,
        now=NOW + timedelta(days=1),
    )
    assert verified.credential.subject == subject
    assert verified.credential.data_model == model
    assert verified.algorithm == alg
    assert (verified.issuer, verified.holder, verified.credential_type) == (
        ISSUER,
        HOLDER,
        subject.credential_type,
    )


def test_vc11_jwt_maps_the_registered_claims_onto_the_credential() -> None:
    key = IssuerKey.generate("ES256")
    status = StatusEntry("https://issuer.example/status/1", 42)
    token = issue_credential(
        key,
        ISSUER,
        HOLDER,
        SUBJECTS[0],
        valid_from=NOW,
        valid_until=NOW + timedelta(days=1),
        status=status,
        now=NOW,
        jti="urn:uuid:abc",
    )
    parsed = decode_credential_jwt(token)
    claims, vc = parsed.claims, parsed.claims["vc"]
    assert parsed.header["typ"] == "JWT" and parsed.header["kid"] == f"{ISSUER}#key-1"
    assert claims["iss"] == vc["issuer"] == ISSUER
    assert claims["sub"] == vc["credentialSubject"]["id"] == HOLDER
    assert claims["jti"] == vc["id"] == "urn:uuid:abc"
    assert claims["nbf"] == int(NOW.timestamp()) and vc["issuanceDate"] == "2026-06-01T12:00:00Z"
    assert claims["exp"] == int((NOW + timedelta(days=1)).timestamp())
    assert vc["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert vc["credentialStatus"]["statusListIndex"] == "42"
    assert parsed.credential.status == status
    assert vc["credentialSubject"]["identifiers"][0] == {"type": "CorporateNumber", "value": "7000012050002"}


def test_vc20_jwt_is_typed_vc_jwt_and_the_payload_is_the_credential() -> None:
    key = IssuerKey.generate()
    token = issue_credential(
        key,
        ISSUER,
        HOLDER,
        SUBJECTS[2],
        valid_from=NOW,
        valid_until=None,
        status=None,
        now=NOW,
        jti="urn:uuid:2",
        data_model="2.0",
    )
    parsed = decode_credential_jwt(token)
    assert (parsed.header["typ"], parsed.header["cty"]) == ("vc+jwt", "vc")
    assert parsed.claims["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert parsed.claims["validFrom"] == "2026-06-01T12:00:00Z" and "vc" not in parsed.claims


@pytest.mark.parametrize("typ", ["application/vc+jwt", "vc+ld+json+jwt", "vc-ld+jwt"])
def test_other_vc2_media_type_spellings_are_accepted(typ: str) -> None:
    key = IssuerKey.generate()
    token = issue_credential(
        key,
        ISSUER,
        HOLDER,
        SUBJECTS[2],
        valid_from=NOW,
        valid_until=None,
        status=None,
        now=NOW,
        jti="urn:uuid:3",
        data_model="2.0",
    )
    retyped = _resign(token, key, typ=typ)
    assert decode_credential_jwt(retyped).credential.data_model == "2.0"


def test_node_keys_can_issue() -> None:
    keys = NodeKeys.generate()
    token = issue_credential(
        keys,
        ISSUER,
        HOLDER,
        SUBJECTS[3],
        valid_from=NOW,
        valid_until=None,
        status=None,
        now=NOW,
        jti="urn:uuid:4",
    )
    assert decode_credential_jwt(token).header["alg"] == "EdDSA"


def test_certification_level_must_certify_the_claimed_profile() -> None:
    with pytest.raises(InvalidInput, match="does not certify") as caught:
        ConnectorCertificationCredential(
            HOLDER,
            SecurityProfile.TRUST_PLUS,
            CertificationLevel.COMPONENT_BASE_SECURITY_PROFILE_CHECKLIST_APPROACH,
        )
    assert caught.value.extra["reason"] == "certification_level"


@pytest.mark.parametrize(
    "spelling",
    [
        "idsc:TRUST_SECURITY_PROFILE",
        "https://w3id.org/idsa/code/TRUST_SECURITY_PROFILE",
        "https://w3id.org/idsa/code/security_guarantee/TRUST_SECURITY_PROFILE",
        "TRUST",
    ],
)
def test_security_profile_is_read_by_local_name(spelling: str) -> None:
    assert SecurityProfile.parse(spelling) is SecurityProfile.TRUST


def test_security_profiles_are_ordered_base_trust_trust_plus() -> None:
    assert SecurityProfile.BASE < SecurityProfile.TRUST < SecurityProfile.TRUST_PLUS
    assert (
        SecurityProfile.TRUST_PLUS >= SecurityProfile.TRUST
        and not SecurityProfile.BASE >= SecurityProfile.TRUST
    )


def test_unknown_role_is_refused_on_parse() -> None:
    with pytest.raises(InvalidInput, match="unknown role"):
        RoleCredential.from_claims("RoleCredential", {"roles": ["Recycler", "Wizard"]})


def test_validity_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidInput, match="must be after"):
        issue_credential(
            IssuerKey.generate(),
            ISSUER,
            HOLDER,
            SUBJECTS[2],
            valid_from=NOW,
            valid_until=NOW,
            status=None,
            now=NOW,
            jti="urn:uuid:5",
        )


def _resign(token: str, key: IssuerKey, **header: Any) -> str:
    from joserfc import jws

    from battrace.trust.credentials import REGISTRY

    parsed = decode_credential_jwt(token)
    new_header = {**parsed.header, **header}
    payload = json.dumps(dict(parsed.claims)).encode()
    return jws.serialize_compact(new_header, payload, key.signing_jwk(), registry=REGISTRY)
