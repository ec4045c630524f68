"""W3C Data Integrity proofs with the EdDSA cryptosuites ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022``
(VC Data Integrity EdDSA Cryptosuites v1.0 §3.2 / §3.3).

hashData = SHA-256(canonical proof configuration) || SHA-256(canonical document)   (proof hash FIRST, §3.2.4)
proofValue = "z" + base58btc(Ed25519 signature over hashData)

Canonicalisation: RDFC-1.0 via PyLD's URDNA2015 (identical output for these inputs, notes §3.1 [verified])
with battrace's offline document loader, or RFC 8785 JCS. Pure module: keys come from a callable.

Known gap: JSON-LD drops terms its contexts do not define, so with ``eddsa-rdfc-2022`` such properties are
not covered by the signature. Consumers must read the data through contexts they trust (or use JCS).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from battrace.errors import InvalidInput, Unauthenticated
from battrace.jsonld import document_loader

PROOF_TYPE = "DataIntegrityProof"
RDFC = "eddsa-rdfc-2022"
JCS = "eddsa-jcs-2022"
CRYPTOSUITES = frozenset({RDFC, JCS})
_ED25519_MULTICODEC = b"\xed\x01"  # multicodec ed25519-pub (varint 0xed)
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}

PublicKeyFor = Callable[[str], Ed25519PublicKey]


class ProofInvalid(Unauthenticated):
    """A Data Integrity proof that does not verify; ``reason`` says which rule failed."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    # leading zero bytes are kept as leading "1"s (Bitcoin alphabet convention)
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise InvalidInput(f"not base58btc: {char!r}")
        number = number * 58 + _B58_INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def ed25519_multikey(key: Ed25519PublicKey) -> str:
    """``z6Mk…``: multibase base58btc of the multicodec-prefixed raw key (Multikey)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58btc_encode(_ED25519_MULTICODEC + raw)


def ed25519_from_multikey(value: str) -> Ed25519PublicKey:
    if not isinstance(value, str) or not value.startswith("z"):
        raise InvalidInput(f"an Ed25519 multikey is base58btc multibase ('z' prefix), got {value!r}")
    decoded = base58btc_decode(value[1:])
    if len(decoded) != 34 or not decoded.startswith(_ED25519_MULTICODEC):
        raise InvalidInput("multikey is not an Ed25519 public key (multicodec 0xed01, 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(decoded[2:])


def did_key_public_key(verification_method: str) -> Ed25519PublicKey:
    """The key of a ``did:key:z6Mk…#z6Mk…`` verification method (did:key v0.7 §3.1.2); the fragment, when
    present, must repeat the identifier (a did:key document has exactly that one method)."""
    did, _, fragment = verification_method.partition("#")
    if not did.startswith("did:key:"):
        raise InvalidInput(f"not a did:key verification method: {verification_method!r}")
    identifier = did[len("did:key:") :]
    if fragment and fragment != identifier:
        raise InvalidInput(f"did:key fragment {fragment!r} is not the key {identifier!r}")
    return ed25519_from_multikey(identifier)


@dataclass(frozen=True)
class VerifiedProof:
    verification_method: str
    cryptosuite: str
    proof_purpose: str
    created: str | None


def sign_document(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
    cryptosuite: str = RDFC,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """``document`` with a ``proof`` added (§3.2.1 / §3.3.1 "Create Proof")."""
    if "proof" in document:
        raise InvalidInput("document already carries a proof")
    if cryptosuite not in CRYPTOSUITES:
        raise InvalidInput(f"unsupported cryptosuite {cryptosuite!r}")
    if created.tzinfo is None:
        raise InvalidInput("created must be timezone-aware")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": cryptosuite,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    signature = private_key.sign(_hash_data(dict(document), dict(proof), cryptosuite))
    return {
        **copy.deepcopy(dict(document)),
        "proof": {**proof, "proofValue": "z" + base58btc_encode(signature)},
    }


def verify_document(
    document: Mapping[str, Any],
    *,
    public_key_for: PublicKeyFor = did_key_public_key,
    expected_purpose: str = "assertionMethod",
) -> VerifiedProof:
    """Check the single ``proof`` of ``document`` (§3.2.2 / §3.3.2 "Verify Proof"); ProofInvalid if not."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = document.get("proof")
    if not isinstance(proof, Mapping):
        raise ProofInvalid("no_proof", "document has no single proof object")
    suite = proof.get("cryptosuite")
    if proof.get("type") != PROOF_TYPE or suite not in CRYPTOSUITES:
        raise ProofInvalid("unsupported_proof", f"unsupported proof {proof.get('type')!r}/{suite!r}")
    if proof.get("proofPurpose") != expected_purpose:
        raise ProofInvalid(
            "wrong_purpose", f"proof purpose {proof.get('proofPurpose')!r} is not {expected_purpose}"
        )
    method = proof.get("verificationMethod")
    signature = _signature(proof.get("proofValue"))
    if not isinstance(method, str):
        raise ProofInvalid("bad_proof", "proof has no verificationMethod")
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in config and config["@context"] != unsecured.get("@context"):
        raise ProofInvalid("bad_proof", "proof @context differs from the document's")
    try:
        key = public_key_for(method)
    except Exception as error:  # fail closed: a key we cannot obtain is a proof we cannot accept
        raise ProofInvalid("unknown_key", f"no key for {method}: {error}") from error
    try:
        key.verify(signature, _hash_data(unsecured, config, str(suite)))
    except InvalidSignature:
        raise ProofInvalid("bad_signature", "Data Integrity signature does not verify") from None
    created = proof.get("created")
    return VerifiedProof(method, str(suite), expected_purpose, created if isinstance(created, str) else None)


def _signature(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofInvalid("bad_proof", "proofValue must be base58btc multibase ('z' prefix)")
    try:
        signature = base58btc_decode(value[1:])
    except InvalidInput as error:
        raise ProofInvalid("bad_proof", error.detail) from error
    if len(signature) != 64:
        raise ProofInvalid("bad_proof", f"an Ed25519 signature is 64 bytes, got {len(signature)}")
    return signature


def _hash_data(unsecured: dict[str, Any], config: dict[str, Any], suite: str) -> bytes:
    # §3.2.5 / §3.3.5 proof configuration: it carries the document's @context
    config = dict(config)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    canon = _rdfc if suite == RDFC else _jcs
    return hashlib.sha256(canon(config)).digest() + hashlib.sha256(canon(unsecured)).digest()


def _jcs(value: dict[str, Any]) -> bytes:
    return bytes(rfc8785.dumps(value))


def _rdfc(value: dict[str, Any]) -> bytes:
    from pyld import jsonld  # on first use (a node's start need not load PyLD, issue 9)
    from pyld.context_resolver import ContextResolver

    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": document_loader,
        "contextResolver": ContextResolver({}, document_loader),
    }
    try:
        nquads = jsonld.normalize(copy.deepcopy(value), options)
    except jsonld.JsonLdError as error:
        raise ProofInvalid("bad_document", f"RDF canonicalisation failed: {error}") from error
    if not isinstance(nquads, str):
        raise ProofInvalid("bad_document", "RDF canonicalisation produced no N-Quads")
    return nquads.encode("utf-8")
