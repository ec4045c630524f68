"""Binding a rendered contract into its agreement: an ODRL constraint on the hash, and the signatures.

A signature is a compact JWS (EdDSA, Ed25519 key of the signer's DID) over a small JSON claim set naming the
contract hash, the agreement and the signer; the contract text itself is not in the JWS, so signatures stay
small and the text can be stored and served separately.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from battrace.contracts.render import RenderedContract
from battrace.errors import InvalidInput
from battrace.identity._jose import ACCEPTED_ALGORITHMS, EMITTED_ALGORITHM, REGISTRY
from battrace.identity.keys import NodeKeys

# battrace.policy.operands.BATTRACE_POLICY_NS + "contractHash", spelled out: contracts do not import policy
CONTRACT_HASH_OPERAND = "https://w3id.org/battrace/policy/contractHash"
# RFC 8725 §3.11 explicit typing: a DSP ID token signed by the same key is not a contract signature
SIGNATURE_TYPE = "battrace-contract+jwt"
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_YEAR_10000 = 253_402_300_800


class ContractSignatureInvalid(InvalidInput):
    title = "Invalid contract signature"


@dataclass(frozen=True)
class ContractSignature:
    signer_did: str
    key_id: str  # the DID URL of the signing key, e.g. did:web:example.com#key-1
    agreement_id: str
    contract_hash: str  # sha256:<hex>
    issued_at: datetime
    jws: str


def contract_hash_constraint(sha256: str) -> dict[str, Any]:
    """The ODRL constraint that binds the contract text into the agreement policy (DSP contract-schema shape).

    The left operand is written as a full IRI: battrace's policy context does not define a ``contractHash``
    term, and a full IRI expands to itself under any context.
    """
    return {"leftOperand": CONTRACT_HASH_OPERAND, "operator": "eq", "rightOperand": f"sha256:{_hex(sha256)}"}


def sign_contract(rendered: RenderedContract, keys: NodeKeys, signer_did: str, *, now: datetime) -> str:
    """The signer's compact JWS over the contract hash; only one of the two parties may sign."""
    if signer_did not in (rendered.parties.provider.did, rendered.parties.consumer.did):
        raise InvalidInput(f"{signer_did!r} is not a party to agreement {rendered.agreement_id}")
    if now.tzinfo is None:
        raise InvalidInput("timestamps must be timezone-aware")
    claims: dict[str, str | int] = {
        "contract": rendered.contract_hash,
        "agreement": rendered.agreement_id,
        "signer": signer_did,
        "iat": int(now.timestamp()),
    }
    header = {"alg": EMITTED_ALGORITHM, "typ": SIGNATURE_TYPE, "kid": f"{signer_did}#{keys.key_id}"}
    # RFC 8785 canonical JSON: the same claims always give the same payload bytes
    return jws.serialize_compact(header, rfc8785.dumps(claims), keys.signing_jwk(), registry=REGISTRY)


def verify_contract_signature(
    token: str,
    rendered_sha256: str,
    public_jwk: Mapping[str, str],
    *,
    agreement_id: str | None = None,
) -> ContractSignature:
    """The signature's claims once it is shown to sign ``rendered_sha256`` with ``public_jwk``.

    Raises ContractSignatureInvalid with the reason otherwise. ``agreement_id``, when given, must match too.
    The caller decides whether the signer (``signer_did``) is the party it expects.
    """
    expected = f"sha256:{_hex(rendered_sha256)}"
    key = _public_key(public_jwk)
    compact = _parse(token)
    try:
        valid = jws.validate_compact(compact, key, registry=REGISTRY)
    except JoseError:
        valid = False
    if not valid:
        raise ContractSignatureInvalid("the signature does not verify with the given key")
    claims = _claims(compact)
    if claims["contract"] != expected:
        raise ContractSignatureInvalid(f"the signature is over {claims['contract']}, not {expected}")
    if agreement_id is not None and claims["agreement"] != agreement_id:
        signed_for = claims["agreement"]
        raise ContractSignatureInvalid(f"the signature is for agreement {signed_for}, not {agreement_id}")
    kid = compact.headers().get("kid")
    signer = claims["signer"]
    if not isinstance(kid, str) or not kid.startswith(signer + "#") or kid == signer + "#":
        raise ContractSignatureInvalid(f"key id {kid!r} is not a key of the signer {signer}")
    return ContractSignature(
        signer_did=signer,
        key_id=kid,
        agreement_id=claims["agreement"],
        contract_hash=claims["contract"],
        issued_at=datetime.fromtimestamp(claims["iat"], UTC),
        jws=token,
    )


def _hex(sha256: Any) -> str:
    if not isinstance(sha256, str) or not _HEX_SHA256.match(sha256):
        raise InvalidInput(f"{sha256!r} is not a SHA-256 hash in lower-case hex")
    return sha256


def _public_key(jwk: Mapping[str, str]) -> OKPKey:
    # RFC 8037 §2: only an Ed25519 OKP key; anything else (RSA, EC, a symmetric secret) is refused up front
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ContractSignatureInvalid("the public key must be an Ed25519 OKP JWK")
    try:
        return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk.get("x", "")})
    except (JoseError, ValueError, TypeError) as error:
        raise ContractSignatureInvalid(f"the public key is not usable: {error}") from error


def _parse(token: str) -> jws.CompactSignature:
    try:
        compact = jws.extract_compact(token.encode("ascii"), registry=REGISTRY)
    except (JoseError, ValueError, UnicodeError, AttributeError) as error:
        raise ContractSignatureInvalid(f"malformed JWS: {error}") from error
    header = compact.headers()
    # RFC 8725 §3.1: the algorithm is ours to choose, never the token's
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        raise ContractSignatureInvalid(f"algorithm {header.get('alg')!r} not accepted, only EdDSA")
    if header.get("typ") != SIGNATURE_TYPE:
        raise ContractSignatureInvalid(f"JWS type {header.get('typ')!r} is not {SIGNATURE_TYPE}")
    return compact


def _claims(compact: jws.CompactSignature) -> dict[str, Any]:
    try:
        claims = json.loads(compact.payload)
    except (ValueError, UnicodeError) as error:
        raise ContractSignatureInvalid(f"the payload is not JSON: {error}") from error
    if not isinstance(claims, dict):
        raise ContractSignatureInvalid("the payload is not a JSON object")
    for name in ("contract", "agreement", "signer"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise ContractSignatureInvalid(f"the payload has no {name}")
    iat = claims.get("iat")
    # RFC 7519 NumericDate; bounded so that converting it to a datetime cannot overflow
    if isinstance(iat, bool) or not isinstance(iat, int | float) or not 0 <= iat < _YEAR_10000:
        raise ContractSignatureInvalid("the payload has no valid iat")
    return claims
