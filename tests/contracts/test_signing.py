"""Binding the contract hash into the agreement policy, and the parties' signatures over it."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from battrace.contracts import (
    CONTRACT_HASH_OPERAND,
    SIGNATURE_TYPE,
    ContractSignatureInvalid,
    RenderedContract,
    contract_hash_constraint,
    sign_contract,
    verify_contract_signature,
)
from battrace.errors import InvalidInput
from battrace.identity import NodeKeys, issue_token
from battrace.jsonld import DSP_CONTEXT, expand
from battrace.policy import parse_policy
from battrace.policy.model import AtomicConstraint

from .conftest import render_with

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
PROVIDER_KEYS = NodeKeys.generate()
CONSUMER_KEYS = NodeKeys.generate()


@pytest.fixture(scope="module")
def contract() -> RenderedContract:
    return render_with("battery-data-exchange-v1")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _forge(header: dict[str, Any], claims: dict[str, Any], keys: NodeKeys) -> str:
    head = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{head}.{_b64(keys.private_key.sign(head.encode()))}"


def _claims(rendered: RenderedContract, /, **changes: Any) -> dict[str, Any]:
    return {
        "contract": rendered.contract_hash,
        "agreement": rendered.agreement_id,
        "signer": rendered.parties.provider.did,
        "iat": int(T0.timestamp()),
        **changes,
    }


def _header(contract: RenderedContract, **changes: Any) -> dict[str, Any]:
    return {"alg": "EdDSA", "typ": SIGNATURE_TYPE, "kid": f"{contract.parties.provider.did}#key-1", **changes}


# --- the hash constraint ---------------------------------------------------------------------------------


def test_the_hash_constraint_has_the_battrace_left_operand_eq_and_the_prefixed_hash(
    contract: RenderedContract,
) -> None:
    assert contract_hash_constraint(contract.sha256) == {
        "leftOperand": "https://w3id.org/battrace/policy/contractHash",
        "operator": "eq",
        "rightOperand": f"sha256:{contract.sha256}",
    }


def test_the_hash_constraint_parses_as_an_odrl_constraint_of_an_agreement(contract: RenderedContract) -> None:
    agreement = {
        "@context": [DSP_CONTEXT],
        "@type": "Agreement",
        "@id": "urn:uuid:policy-1",
        "target": "urn:uuid:asset-1",
        "assigner": contract.parties.provider.did,
        "assignee": contract.parties.consumer.did,
        "permission": [{"action": "use", "constraint": [contract_hash_constraint(contract.sha256)]}],
    }
    policy = parse_policy(agreement)
    (constraint,) = policy.permissions[0].constraints
    assert isinstance(constraint, AtomicConstraint)
    assert constraint.left_operand == CONTRACT_HASH_OPERAND
    assert constraint.operator == "eq"
    assert constraint.right_operand == contract.contract_hash
    assert expand(agreement)  # plain JSON-LD expansion accepts it too


@pytest.mark.parametrize("value", ["", "sha256:" + "0" * 64, "A" * 64, "0" * 63, None])
def test_the_hash_constraint_refuses_anything_but_lowercase_hex(value: Any) -> None:
    with pytest.raises(InvalidInput):
        contract_hash_constraint(value)


# --- sign and verify -------------------------------------------------------------------------------------


def test_a_signature_verifies_with_the_signers_public_key(contract: RenderedContract) -> None:
    signer = contract.parties.provider.did
    token = sign_contract(contract, PROVIDER_KEYS, signer, now=T0)
    signature = verify_contract_signature(
        token, contract.sha256, PROVIDER_KEYS.public_jwk(), agreement_id=contract.agreement_id
    )
    assert signature.signer_did == signer
    assert signature.key_id == f"{signer}#key-1"
    assert signature.agreement_id == contract.agreement_id
    assert signature.contract_hash == contract.contract_hash
    assert signature.issued_at == T0
    assert signature.jws == token


def test_the_signature_carries_exactly_the_agreed_claims_and_header(contract: RenderedContract) -> None:
    signer = contract.parties.consumer.did
    token = sign_contract(contract, CONSUMER_KEYS, signer, now=T0)
    header, payload, _ = token.split(".")
    assert json.loads(_unb64(header)) == {"alg": "EdDSA", "typ": SIGNATURE_TYPE, "kid": f"{signer}#key-1"}
    assert json.loads(_unb64(payload)) == {
        "contract": contract.contract_hash, "agreement": contract.agreement_id,
        "signer": signer, "iat": int(T0.timestamp()),
    }


def test_both_parties_sign_the_same_hash_independently(contract: RenderedContract) -> None:
    provider_jws = sign_contract(contract, PROVIDER_KEYS, contract.parties.provider.did, now=T0)
    consumer_jws = sign_contract(contract, CONSUMER_KEYS, contract.parties.consumer.did, now=T0)
    by_provider = verify_contract_signature(provider_jws, contract.sha256, PROVIDER_KEYS.public_jwk())
    by_consumer = verify_contract_signature(consumer_jws, contract.sha256, CONSUMER_KEYS.public_jwk())
    assert (by_provider.signer_did, by_consumer.signer_did) == (
        contract.parties.provider.did,
        contract.parties.consumer.did,
    )
    with pytest.raises(ContractSignatureInvalid, match="does not verify"):
        verify_contract_signature(consumer_jws, contract.sha256, PROVIDER_KEYS.public_jwk())


def test_only_a_party_may_sign(contract: RenderedContract) -> None:
    with pytest.raises(InvalidInput, match="not a party"):
        sign_contract(contract, PROVIDER_KEYS, "did:web:stranger.example.com", now=T0)


def test_signing_needs_an_aware_timestamp(contract: RenderedContract) -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        sign_contract(contract, PROVIDER_KEYS, contract.parties.provider.did, now=datetime(2025, 3, 1))


def test_a_signature_of_another_contract_text_is_refused(contract: RenderedContract) -> None:
    token = sign_contract(contract, PROVIDER_KEYS, contract.parties.provider.did, now=T0)
    tampered = render_with("battery-data-exchange-v1", retention_days=3650)
    with pytest.raises(ContractSignatureInvalid, match="is over sha256:"):
        verify_contract_signature(token, tampered.sha256, PROVIDER_KEYS.public_jwk())


def test_a_signature_for_another_agreement_is_refused_when_the_agreement_is_given(
    contract: RenderedContract,
) -> None:
    token = sign_contract(contract, PROVIDER_KEYS, contract.parties.provider.did, now=T0)
    with pytest.raises(ContractSignatureInvalid, match="for agreement"):
        verify_contract_signature(
            token, contract.sha256, PROVIDER_KEYS.public_jwk(), agreement_id="urn:other"
        )


def test_a_payload_changed_after_signing_is_refused(contract: RenderedContract) -> None:
    token = sign_contract(contract, PROVIDER_KEYS, contract.parties.provider.did, now=T0)
    header, _, signature = token.split(".")
    other = _claims(contract, contract="sha256:" + "0" * 64)
    forged = f"{header}.{_b64(json.dumps(other).encode())}.{signature}"
    with pytest.raises(ContractSignatureInvalid, match="does not verify"):
        verify_contract_signature(forged, "0" * 64, PROVIDER_KEYS.public_jwk())


def test_a_flipped_signature_bit_is_refused(contract: RenderedContract) -> None:
    header, payload, signature = sign_contract(
        contract, PROVIDER_KEYS, contract.parties.provider.did, now=T0
    ).split(".")
    raw = bytearray(_unb64(signature))
    raw[5] ^= 0x01
    flipped = f"{header}.{payload}.{_b64(bytes(raw))}"
    with pytest.raises(ContractSignatureInvalid, match="does not verify"):
        verify_contract_signature(flipped, contract.sha256, PROVIDER_KEYS.public_jwk())


def test_a_dsp_identity_token_of_the_same_key_is_not_a_contract_signature(contract: RenderedContract) -> None:
    token = issue_token(
        PROVIDER_KEYS, contract.parties.provider.did, contract.parties.consumer.did, now=T0, jti="j1",
        extra_claims={"contract": contract.contract_hash},
    )
    with pytest.raises(ContractSignatureInvalid, match="type 'JWT'"):
        verify_contract_signature(token, contract.sha256, PROVIDER_KEYS.public_jwk())


@pytest.mark.parametrize(
    ("header", "claims", "message"),
    [
        ({"alg": "none"}, {}, "algorithm 'none' not accepted"),
        ({"alg": "HS256"}, {}, "algorithm 'HS256' not accepted"),
        ({"typ": None}, {}, "JWS type None"),
        ({"kid": "did:web:someone.else#key-1"}, {}, "not a key of the signer"),
        ({"kid": "did:web:cells.example.com#"}, {}, "not a key of the signer"),
        ({}, {"signer": ""}, "no signer"),
        ({}, {"agreement": 7}, "no agreement"),
        ({}, {"iat": "yesterday"}, "no valid iat"),
        ({}, {"iat": 10**20}, "no valid iat"),
    ],
)
def test_a_correctly_signed_but_malformed_signature_is_refused(
    contract: RenderedContract, header: dict[str, Any], claims: dict[str, Any], message: str
) -> None:
    token = _forge(_header(contract, **header), _claims(contract, **claims), PROVIDER_KEYS)
    with pytest.raises(ContractSignatureInvalid, match=message):
        verify_contract_signature(token, contract.sha256, PROVIDER_KEYS.public_jwk())


def test_a_hand_made_signature_with_the_agreed_shape_is_accepted(contract: RenderedContract) -> None:
    # the forge helper itself is sound: the same shape, correctly signed, passes
    token = _forge(_header(contract), _claims(contract), PROVIDER_KEYS)
    assert verify_contract_signature(token, contract.sha256, PROVIDER_KEYS.public_jwk()).signer_did == (
        contract.parties.provider.did
    )


@pytest.mark.parametrize("token", ["", "a.b", "not a jws", "é.é.é", "a.b.c.d"])
def test_garbage_is_refused_as_malformed(contract: RenderedContract, token: str) -> None:
    with pytest.raises(ContractSignatureInvalid):
        verify_contract_signature(token, contract.sha256, PROVIDER_KEYS.public_jwk())


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "n": "x", "e": "AQAB"},
        {"kty": "OKP", "crv": "Ed448", "x": "AAAA"},
        {"kty": "OKP", "crv": "Ed25519", "x": "too-short"},
        {"kty": "oct", "k": "c2VjcmV0"},
    ],
)
def test_a_key_that_is_not_an_ed25519_public_key_is_refused(
    contract: RenderedContract, jwk: dict[str, str]
) -> None:
    token = sign_contract(contract, PROVIDER_KEYS, contract.parties.provider.did, now=T0)
    with pytest.raises(ContractSignatureInvalid):
        verify_contract_signature(token, contract.sha256, jwk)


def test_a_malformed_expected_hash_is_refused_before_anything_else(contract: RenderedContract) -> None:
    token = sign_contract(contract, PROVIDER_KEYS, contract.parties.provider.did, now=T0)
    with pytest.raises(InvalidInput, match="SHA-256"):
        verify_contract_signature(token, contract.contract_hash, PROVIDER_KEYS.public_jwk())
