"""Published vectors: Tractus-X credential samples parse into battrace types, Tractus-X VC-JWTs verify, and
the W3C eddsa-rdfc-2022 / eddsa-jcs-2022 vectors verify with battrace's Data Integrity verifier."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from battrace.trust import (
    BpnCredential,
    DismantlerCredential,
    FrameworkCredential,
    MembershipCredential,
    decode_credential_jwt,
    parse_credential_json,
    verify_credential,
)
from battrace.trust.dataintegrity import (
    ProofInvalid,
    _hash_data,
    _jcs,
    _rdfc,
    base58btc_decode,
    base58btc_encode,
    did_key_public_key,
    ed25519_multikey,
    sign_document,
    verify_document,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "vc"
SAMPLES = sorted((FIXTURES / "tractusx" / "samples").glob("*.json"))
W3C = FIXTURES / "w3c-eddsa"


def load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def test_all_fourteen_tractusx_samples_are_present() -> None:
    assert len(SAMPLES) == 14


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_tractusx_sample_parses_into_a_typed_subject(path: Path) -> None:
    document = load(path)
    credential = parse_credential_json(document)
    assert credential.data_model == "1.1"
    assert credential.issuer == "did:web:com.example.issuer"
    assert credential.subject_id == "did:web:com.example.participant"
    assert credential.valid_until == datetime.fromisoformat(document["expirationDate"])
    assert isinstance(
        credential.subject, MembershipCredential | BpnCredential | FrameworkCredential | DismantlerCredential
    )
    assert credential.credential_type == document["type"][1]
    # nothing is lost: the typed subject writes back the sample's claims
    expected = {k: v for k, v in document["credentialSubject"].items() if k != "id"}
    assert credential.subject.claims() == expected


def test_membership_sample_keeps_the_catena_x_holder_identifier() -> None:
    credential = parse_credential_json(load(FIXTURES / "tractusx/samples/membership.credential.json"))
    assert isinstance(credential.subject, MembershipCredential)
    assert credential.subject.holder_identifier == "BPNL000000001"


TRACTUSX_JWTS = sorted(p.name.removesuffix(".jwt") for p in (FIXTURES / "tractusx/jwt").glob("*.jwt"))


def test_every_tractusx_sample_credential_is_in_the_fixtures() -> None:
    assert len(TRACTUSX_JWTS) == 14  # 9 secp256r1 (ES256) + 5 secp256k1 (ES256K), as published upstream


@pytest.mark.parametrize("sample", TRACTUSX_JWTS)
def test_tractusx_vc_jwt_signature_verifies_and_parses(sample: str) -> None:
    from joserfc import jws
    from joserfc.jwk import ECKey

    from battrace.trust.credentials import REGISTRY

    token = (FIXTURES / f"tractusx/jwt/{sample}.jwt").read_text().strip()
    jwk = load(FIXTURES / f"tractusx/jwt/{sample}-pubkey.json")
    public = ECKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "y")})
    parsed = decode_credential_jwt(token)
    assert parsed.header["alg"] == ("ES256K" if sample.endswith("secp256k1") else "ES256")
    assert jws.validate_compact(parsed.compact, public, registry=REGISTRY)
    assert parsed.credential.subject_id.startswith("did:web:")  # the samples name different test holders


def test_tractusx_vector_with_placeholder_iss_is_refused_as_inconsistent() -> None:
    # the vectors sign with iss "me myself and I" while vc.issuer is did:web:com.example.issuer; VC DM 1.1
    # §6.3.1 requires them to agree, so the full verifier refuses it after the signature passed
    from battrace.trust.verify import CredentialUnauthenticated

    token = (FIXTURES / "tractusx/jwt/membership-secp256r1.jwt").read_text().strip()
    jwk = load(FIXTURES / "tractusx/jwt/membership-secp256r1-pubkey.json")
    issuer = "me myself and I"
    document = {
        "id": issuer,
        "assertionMethod": [f"{issuer}#ec-secp256r1"],
        "verificationMethod": [
            {
                "id": f"{issuer}#ec-secp256r1",
                "controller": issuer,
                "type": "JsonWebKey2020",
                "publicKeyJwk": jwk,
            }
        ],
    }
    with pytest.raises(CredentialUnauthenticated) as caught:
        verify_credential(
            token,
            issuer_document_for=lambda did: document,
            is_trusted=lambda *_: True,
            status=None,
            holder="did:web:com.example.participant",
            now=datetime(2022, 1, 1, tzinfo=UTC),
        )
    assert caught.value.reason == "inconsistent_claims"
    assert "iss/issuer" in caught.value.detail


def test_rdfc_canonical_forms_match_the_w3c_intermediate_values() -> None:
    signed = load(W3C / "signedDataInt.json")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    config = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    config["@context"] = unsecured["@context"]
    assert _rdfc(unsecured).decode() == (W3C / "canonDocDataInt.txt").read_text()
    assert _rdfc(config).decode() == (W3C / "proofCanonDataInt.txt").read_text()


def test_jcs_canonical_form_matches_the_w3c_intermediate_value() -> None:
    signed = load(W3C / "signedJCS.json")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    assert _jcs(unsecured).decode() == (W3C / "canonDocJCS.txt").read_text().strip()


@pytest.mark.parametrize(
    ("file", "suite"), [("signedDataInt.json", "eddsa-rdfc-2022"), ("signedJCS.json", "eddsa-jcs-2022")]
)
def test_w3c_eddsa_vector_verifies(file: str, suite: str) -> None:
    proof = verify_document(load(W3C / file))
    assert proof.cryptosuite == suite
    assert proof.verification_method.startswith("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")


@pytest.mark.parametrize("file", ["signedDataInt.json", "signedJCS.json"])
def test_tampering_with_a_w3c_vector_breaks_it(file: str) -> None:
    tampered = load(W3C / file)
    tampered["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    with pytest.raises(ProofInvalid) as caught:
        verify_document(tampered)
    assert caught.value.reason == "bad_signature"


def test_a_proof_for_another_purpose_is_refused() -> None:
    signed = load(W3C / "signedJCS.json")
    with pytest.raises(ProofInvalid) as caught:
        verify_document(signed, expected_purpose="authentication")
    assert caught.value.reason == "wrong_purpose"


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_signing_with_the_published_w3c_key_reproduces_the_vector(suite: str) -> None:
    pair = load(W3C / "keyPair.json")
    secret = base58btc_decode(pair["privateKeyMultibase"][1:])
    assert secret[:2] == b"\x80\x26"  # multicodec ed25519-priv
    key = Ed25519PrivateKey.from_private_bytes(secret[2:])
    assert ed25519_multikey(key.public_key()) == pair["publicKeyMultibase"]
    vector = load(W3C / ("signedDataInt.json" if suite == "eddsa-rdfc-2022" else "signedJCS.json"))
    unsecured = {k: v for k, v in vector.items() if k != "proof"}
    method = vector["proof"]["verificationMethod"]
    signed = sign_document(
        unsecured,
        key,
        verification_method=method,
        cryptosuite=suite,
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC),
    )
    # Ed25519 is deterministic: the same key, config and document give the published proofValue
    assert signed["proof"]["proofValue"] == vector["proof"]["proofValue"]
    assert verify_document(copy.deepcopy(signed)).cryptosuite == suite


def test_hash_data_puts_the_proof_hash_first() -> None:
    signed = load(W3C / "signedJCS.json")
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    config = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    import hashlib

    combined = _hash_data(unsecured, config, "eddsa-jcs-2022")
    assert combined[32:] == hashlib.sha256((W3C / "canonDocJCS.txt").read_text().strip().encode()).digest()


def test_base58btc_round_trips_with_leading_zero_bytes() -> None:
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(40))):
        assert base58btc_decode(base58btc_encode(data)) == data


def test_did_key_fragment_must_repeat_the_key() -> None:
    with pytest.raises(Exception, match="fragment"):
        did_key_public_key("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkOther")
