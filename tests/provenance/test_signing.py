from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.identity import NodeKeys, did_document
from battrace.identity.keys import b64url
from battrace.provenance import (
    STATEMENT_TYPE,
    AlgorithmRejected,
    BadSignature,
    DigestMismatch,
    MalformedSignature,
    Provenance,
    SignedPayload,
    WrongSigner,
    content_digest,
    derive,
    sign_payload,
    verify_payload,
    verify_record,
)

from . import forge
from .conftest import PROVIDER, T0, Party

DATA = b'{"pcf": 71.3, "unit": "kg CO2e / kWh"}'
AGREEMENT = "urn:uuid:0b6c2a7e-agreement"


def signed(party: Party, data: bytes = DATA, **overrides: Any) -> SignedPayload:
    args: dict[str, Any] = {
        "keys": party.keys,
        "signer_did": party.did,
        "agreement_id": AGREEMENT,
        "asset_id": "pcf-cell-42",
        "content_type": "application/json",
        "now": T0,
    }
    args.update(overrides)
    return sign_payload(data, **args)


def verify(party: Party, data: bytes, payload: SignedPayload, **overrides: Any) -> Provenance:
    args: dict[str, Any] = {
        "digest_header": payload.digest_header,
        "signature": payload.signature,
        "signer_document": party.document,
    }
    args.update(overrides)
    return verify_payload(data, **args)


# ---------------------------------------------------------------------------------------------- round trip


def test_a_signed_payload_verifies_and_yields_its_bound_claims(provider: Party) -> None:
    payload = signed(provider)
    record = verify(provider, DATA, payload)
    assert payload.sha256 == record.sha256 == hashlib.sha256(DATA).hexdigest()
    assert payload.digest_header == content_digest(DATA)
    assert (record.signer_did, record.agreement_id, record.asset_id, record.content_type) == (
        PROVIDER,
        AGREEMENT,
        "pcf-cell-42",
        "application/json",
    )
    assert record.kind == "delivery"
    assert record.signed_at == T0.replace(microsecond=0)
    assert record.signature == payload.signature


def test_the_jws_is_typed_eddsa_with_the_provider_key_as_kid(provider: Party) -> None:
    header, claims, _ = forge.parts(signed(provider).signature)
    assert header == {"alg": "EdDSA", "typ": STATEMENT_TYPE, "kid": f"{PROVIDER}#key-1"}
    assert claims["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert claims["signed_at"] == "2025-06-01T12:00:07Z"


def test_signing_is_deterministic_so_a_redelivery_carries_the_same_signature(provider: Party) -> None:
    # Ed25519 is deterministic (RFC 8032) and the claims are RFC 8785 canonical JSON
    assert signed(provider) == signed(provider)


def test_a_naive_timestamp_is_refused(provider: Party) -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        signed(provider, now=datetime(2025, 6, 1, 12, 0))


@pytest.mark.parametrize("field", ["agreement_id", "asset_id", "content_type"])
def test_an_empty_binding_is_refused_at_signing(provider: Party, field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        signed(provider, DATA, **{field: ""})


def test_a_statement_no_verifier_could_read_is_refused_at_signing(provider: Party) -> None:
    # joserfc caps the protected header at 512 bytes on reading; the signer must learn it, not the consumer
    long_did = provider.did + ":" + ":".join(["segment"] * 40)
    with pytest.raises(InvalidInput, match="cannot sign"):
        signed(Party(long_did, provider.keys))


@settings(max_examples=50, deadline=None)
@given(data=st.binary(min_size=1, max_size=4096), where=st.integers(min_value=0), flip=st.integers(1, 255))
def test_any_payload_round_trips_and_any_changed_byte_is_refused(
    provider: Party, data: bytes, where: int, flip: int
) -> None:
    payload = signed(provider, data)
    assert verify(provider, data, payload).sha256 == hashlib.sha256(data).hexdigest()
    index = where % len(data)
    tampered = data[:index] + bytes([data[index] ^ flip]) + data[index + 1 :]
    with pytest.raises(DigestMismatch):
        verify(provider, tampered, payload)


# ---------------------------------------------------------------------------------------------- tampering


def test_one_changed_payload_byte_fails_the_content_digest(provider: Party) -> None:
    with pytest.raises(DigestMismatch, match="Content-Digest"):
        verify(provider, DATA.replace(b"71.3", b"61.3"), signed(provider))


def test_a_payload_with_a_recomputed_digest_fails_the_signed_hash(provider: Party) -> None:
    tampered = DATA.replace(b"71.3", b"61.3")
    with pytest.raises(DigestMismatch, match="signed another payload"):
        verify(provider, tampered, signed(provider), digest_header=content_digest(tampered))


def test_a_changed_digest_header_is_refused(provider: Party) -> None:
    with pytest.raises(DigestMismatch):
        verify(provider, DATA, signed(provider), digest_header=content_digest(b"something else"))


def test_a_changed_signature_byte_is_refused(provider: Party) -> None:
    token = signed(provider).signature
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    tampered = f"{head}.{payload}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"
    with pytest.raises(BadSignature):
        verify(provider, DATA, signed(provider), signature=tampered)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("agreement_id", "urn:uuid:another"),
        ("asset_id", "pcf-cell-43"),
        ("signed_at", "2030-01-01T00:00:00Z"),
    ],
)
def test_changed_claims_break_the_signature(provider: Party, claim: str, value: str) -> None:
    token = signed(provider).signature
    _, claims, _ = forge.parts(token)
    with pytest.raises(BadSignature):
        verify(provider, DATA, signed(provider), signature=forge.with_claims(token, {**claims, claim: value}))


def test_a_statement_naming_another_payload_breaks_the_signature(provider: Party) -> None:
    token = signed(provider).signature
    _, claims, _ = forge.parts(token)
    forged = forge.with_claims(token, {**claims, "sha256": hashlib.sha256(b"other").hexdigest()})
    with pytest.raises(BadSignature):
        verify(provider, b"other", signed(provider), signature=forged, digest_header=content_digest(b"other"))


def test_a_valid_signature_of_another_participant_is_refused(provider: Party, other: Party) -> None:
    theirs = signed(other)
    verify(other, DATA, theirs)  # genuine for its own signer
    with pytest.raises(WrongSigner, match="not a key of"):
        verify(provider, DATA, theirs)


def test_a_kid_naming_the_provider_on_a_foreign_key_signature_is_refused(provider: Party) -> None:
    _, claims, _ = forge.parts(signed(provider).signature)
    header = {"alg": "EdDSA", "typ": STATEMENT_TYPE, "kid": f"{PROVIDER}#key-1"}
    forged = forge.ed25519(header, claims, Ed25519PrivateKey.generate())
    with pytest.raises(BadSignature):
        verify(provider, DATA, signed(provider), signature=forged)


def test_a_kid_the_provider_document_does_not_list_is_refused(provider: Party) -> None:
    token = signed(provider).signature
    header, _, _ = forge.parts(token)
    with pytest.raises(WrongSigner, match="no verification method"):
        verify(
            provider,
            DATA,
            signed(provider),
            signature=forge.with_header(token, {**header, "kid": f"{PROVIDER}#key-2"}),
        )


def test_a_genuine_statement_naming_another_signer_is_refused(provider: Party) -> None:
    # the provider's own key signs a statement claiming to come from somebody else
    _, claims, _ = forge.parts(signed(provider).signature)
    header = {"alg": "EdDSA", "typ": STATEMENT_TYPE, "kid": f"{PROVIDER}#key-1"}
    forged = forge.ed25519(header, {**claims, "signer": "did:web:other.example"}, provider.keys.private_key)
    with pytest.raises(WrongSigner, match="names signer"):
        verify(provider, DATA, signed(provider), signature=forged)


def test_a_rotated_key_no_longer_verifies_old_signatures(provider: Party) -> None:
    rotated = did_document(PROVIDER, NodeKeys.generate())
    with pytest.raises(BadSignature):
        verify(provider, DATA, signed(provider), signer_document=rotated)


def test_alg_none_is_refused(provider: Party) -> None:
    _, claims, _ = forge.parts(signed(provider).signature)
    forged = forge.encode({"alg": "none", "typ": STATEMENT_TYPE, "kid": f"{PROVIDER}#key-1"}, claims) + "."
    with pytest.raises(AlgorithmRejected, match="'none'"):
        verify(provider, DATA, signed(provider), signature=forged)


def test_hs256_keyed_with_the_public_key_is_refused(provider: Party) -> None:
    # the classic confusion: an HMAC "signed" with the verifier's public key bytes
    _, claims, _ = forge.parts(signed(provider).signature)
    secret = provider.keys.public_jwk()["x"].encode()
    forged = forge.hs256({"alg": "HS256", "typ": STATEMENT_TYPE, "kid": f"{PROVIDER}#key-1"}, claims, secret)
    with pytest.raises(AlgorithmRejected, match="HS256"):
        verify(provider, DATA, signed(provider), signature=forged)


def test_a_self_issued_id_token_is_not_a_statement(provider: Party) -> None:
    token = signed(provider).signature
    header, _, _ = forge.parts(token)
    with pytest.raises(MalformedSignature, match="type"):
        verify(provider, DATA, signed(provider), signature=forge.with_header(token, {**header, "typ": "JWT"}))


@pytest.mark.parametrize(
    "signature", ["", "abc", "a.b", "a.b.c", "é.é.é", b64url(b"{}") + ".." + b64url(b"x")]
)
def test_garbage_is_a_malformed_signature(provider: Party, signature: str) -> None:
    with pytest.raises(MalformedSignature):
        verify(provider, DATA, signed(provider), signature=signature)


def test_claims_of_the_wrong_shape_are_malformed(provider: Party) -> None:
    _, claims, _ = forge.parts(signed(provider).signature)
    header = {"alg": "EdDSA", "typ": STATEMENT_TYPE, "kid": f"{PROVIDER}#key-1"}
    for broken in ({**claims, "sha256": "ABC"}, {**claims, "kind": "gift"}, {**claims, "signed_at": "today"}):
        forged = forge.ed25519(header, broken, provider.keys.private_key)
        with pytest.raises(MalformedSignature):
            verify(provider, DATA, signed(provider), signature=forged)


def test_a_derivation_is_not_accepted_as_a_delivery_signature(provider: Party) -> None:
    derived = derive(DATA, [], keys=provider.keys, signer_did=PROVIDER, method="measured", now=T0)
    with pytest.raises(MalformedSignature, match="not a delivery"):
        verify(provider, DATA, signed(provider), signature=derived.signature)


def test_verify_record_checks_a_statement_offline_and_optionally_its_data(provider: Party) -> None:
    token = signed(provider).signature
    assert verify_record(token, signer_document=provider.document).asset_id == "pcf-cell-42"
    assert (
        verify_record(token, signer_document=provider.document, data=DATA).sha256 == signed(provider).sha256
    )
    with pytest.raises(DigestMismatch):
        verify_record(token, signer_document=provider.document, data=DATA + b" ")


def test_records_are_frozen(provider: Party) -> None:
    record = verify(provider, DATA, signed(provider))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.sha256 = "0" * 64  # type: ignore[misc]


def test_a_document_without_id_is_refused(provider: Party) -> None:
    with pytest.raises(InvalidInput, match="no id"):
        verify(provider, DATA, signed(provider), signer_document={"verificationMethod": []})


def test_timestamps_keep_utc(provider: Party) -> None:
    record = verify(provider, DATA, signed(provider, now=datetime(2025, 6, 1, 14, 0, tzinfo=UTC)))
    assert record.signed_at.tzinfo is UTC
