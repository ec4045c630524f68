"""Provenance statements: what a signer says about a SHA-256, as a compact JWS over canonical JSON.

Two kinds of statement share one shape (one ``typ``, one verifier, one store):

* ``delivery``: "I, the provider, served these bytes under agreement A for asset X as content type T";
* ``derivation``: "I computed these bytes from the inputs with these hashes, by this method".

The JWS signs the *statement*, which names the payload by its hash (not the payload itself, as an RFC 7797
detached JWS would). So a statement can be stored, shown and re-verified offline without the data, which is
what a provenance tree needs: a viewer may check the signed inputs behind a value they never received.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError

from battrace.clock import iso
from battrace.errors import InvalidInput
from battrace.identity._jose import ACCEPTED_ALGORITHMS, EMITTED_ALGORITHM, REGISTRY
from battrace.identity.keys import NodeKeys
from battrace.provenance.digest import SHA256_HEX
from battrace.provenance.errors import AlgorithmRejected, MalformedSignature

# RFC 8725 §3.11 explicit typing: an ID token or a VC signed by the same key can never pass for a statement
STATEMENT_TYPE = "battrace-provenance+json"
Kind = Literal["delivery", "derivation"]
MAX_INPUTS = 1000  # joserfc's registry caps a payload at 128 kB; 1000 hashes stay well below it


@dataclass(frozen=True)
class Provenance:
    """A signed statement about ``sha256``. ``signature`` is the compact JWS it was read from."""

    sha256: str
    signer_did: str
    signed_at: datetime
    signature: str
    kind: Kind = "delivery"
    agreement_id: str | None = None  # delivery only
    asset_id: str | None = None  # delivery only
    content_type: str | None = None  # delivery only
    inputs: tuple[str, ...] = ()  # derivation only: the inputs' SHA-256 (hex), in the signer's order
    method: str | None = None  # derivation only

    def claims(self) -> dict[str, Any]:
        return statement_claims(self)


def statement_claims(record: Provenance) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "kind": record.kind,
        "sha256": record.sha256,
        "signer": record.signer_did,
        "signed_at": iso(record.signed_at),
    }
    if record.kind == "delivery":
        claims.update(
            agreement_id=record.agreement_id, asset_id=record.asset_id, content_type=record.content_type
        )
    else:
        claims.update(inputs=list(record.inputs), method=record.method)
    return claims


def sign_statement(record: Provenance, keys: NodeKeys) -> Provenance:
    """``record`` with ``signature`` set: a compact JWS (EdDSA, kid = signer DID + key fragment) over the
    RFC 8785 canonical JSON of its claims, so the same statement always yields the same bytes."""
    _check_claims(statement_claims(record))
    header = {"alg": EMITTED_ALGORITHM, "typ": STATEMENT_TYPE, "kid": f"{record.signer_did}#{keys.key_id}"}
    payload = rfc8785.dumps(statement_claims(record))
    token = jws.serialize_compact(header, payload, keys.signing_jwk(), registry=REGISTRY)
    # read back the way a verifier will: the caller holds exactly what verifiers read (seconds precision),
    # and a statement no verifier could read (header or payload over joserfc's size limits) is refused here
    try:
        return parse_statement(token).record
    except MalformedSignature as error:
        raise InvalidInput(f"cannot sign this statement: {error.detail}") from error


@dataclass(frozen=True)
class ParsedStatement:
    """A statement read from its JWS, signature not yet checked."""

    compact: jws.CompactSignature
    kid: str
    record: Provenance


def parse_statement(signature: str) -> ParsedStatement:
    """Read a statement without verifying it (shape, algorithm and type are checked)."""
    try:
        compact = jws.extract_compact(signature.strip().encode("ascii"), registry=REGISTRY)
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError, binascii.Error) as error:
        raise MalformedSignature(f"not a compact JWS: {error}") from error
    header = compact.headers()
    alg = header.get("alg")
    # RFC 8725 §3.1: the token never chooses the algorithm family ("none", HS256 keyed with the public key)
    if alg not in ACCEPTED_ALGORITHMS:
        raise AlgorithmRejected(f"algorithm {alg!r} not accepted, only EdDSA")
    if header.get("typ") != STATEMENT_TYPE:
        raise MalformedSignature(f"JWS type {header.get('typ')!r} is not {STATEMENT_TYPE}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise MalformedSignature("JWS header has no kid")
    if not isinstance(claims, dict):
        raise MalformedSignature("the JWS payload is not a JSON object")
    return ParsedStatement(compact, kid, _record(claims, signature.strip()))


def _record(claims: Mapping[str, Any], signature: str) -> Provenance:
    try:
        _check_claims(claims)
    except InvalidInput as error:
        raise MalformedSignature(f"statement claims: {error.detail}") from error
    common = {
        "sha256": claims["sha256"],
        "signer_did": claims["signer"],
        "signed_at": _timestamp(claims["signed_at"]),
        "signature": signature,
    }
    if claims["kind"] == "delivery":
        return Provenance(
            **common,
            kind="delivery",
            agreement_id=claims["agreement_id"],
            asset_id=claims["asset_id"],
            content_type=claims["content_type"],
        )
    return Provenance(**common, kind="derivation", inputs=tuple(claims["inputs"]), method=claims["method"])


def _check_claims(claims: Mapping[str, Any]) -> None:
    """The statement shape, for signing (refuse to sign nonsense) and for reading (refuse to trust it)."""
    kind = claims.get("kind")
    if kind not in ("delivery", "derivation"):
        raise InvalidInput(f"kind must be delivery or derivation, got {kind!r}")
    _check_sha256("sha256", claims.get("sha256"))
    required = ("signer", "signed_at") + (
        ("agreement_id", "asset_id", "content_type") if kind == "delivery" else ("method",)
    )
    for name in required:
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise InvalidInput(f"{name} must be a non-empty string")
    _timestamp(claims["signed_at"])
    if kind == "derivation":
        inputs = claims.get("inputs")
        if not isinstance(inputs, list | tuple):
            raise InvalidInput("inputs must be a list of SHA-256 hashes")
        if len(inputs) > MAX_INPUTS:
            raise InvalidInput(f"a derivation may name at most {MAX_INPUTS} inputs")
        for value in inputs:
            _check_sha256("input", value)


def _check_sha256(name: str, value: Any) -> None:
    if not isinstance(value, str) or not SHA256_HEX.match(value):
        raise InvalidInput(f"{name} must be a SHA-256 in lowercase hex, got {value!r}")


def _timestamp(value: str) -> datetime:
    # iso() writes YYYY-MM-DDTHH:MM:SSZ; anything else was not written by us
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError as error:
        raise InvalidInput(f"signed_at {value!r} is not YYYY-MM-DDTHH:MM:SSZ") from error
    return parsed.replace(tzinfo=UTC)
