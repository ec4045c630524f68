"""Sign what the data plane serves and what a node derives; verify both against the signer's DID document.

Wire format (the data plane sets, the client checks):

* ``Content-Digest: sha-256=:<base64>:`` (RFC 9530) — integrity of the bytes on the wire;
* ``Battrace-Signature: <compact JWS>`` — the provider's signed delivery statement over the same SHA-256,
  binding agreement id, asset id, content type and time (see ``records``).

Not the standard ``Signature`` header: RFC 9421 defines its syntax (``sig1=:...:`` with ``Signature-Input``)
and signs HTTP message components, not an agreement; reusing the name for a JWS would confuse RFC 9421 tools.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from battrace.errors import BattraceError, InvalidInput
from battrace.identity._jose import REGISTRY
from battrace.identity.did import verification_key
from battrace.identity.keys import NodeKeys
from battrace.provenance.digest import SHA256_HEX, check_content_digest, content_digest, sha256_hex
from battrace.provenance.errors import BadSignature, DigestMismatch, MalformedSignature, WrongSigner
from battrace.provenance.records import Provenance, parse_statement, sign_statement

SIGNATURE_HEADER = "Battrace-Signature"


@dataclass(frozen=True)
class SignedPayload:
    digest_header: str  # value of the Content-Digest header
    signature: str  # value of the Battrace-Signature header: the delivery statement's compact JWS
    sha256: str  # hex


def sign_payload(
    data: bytes,
    *,
    keys: NodeKeys,
    signer_did: str,
    agreement_id: str,
    asset_id: str,
    content_type: str,
    now: datetime,
) -> SignedPayload:
    """The headers a provider sends with ``data`` served under ``agreement_id``."""
    digest = sha256_hex(data)
    statement = Provenance(
        sha256=digest,
        signer_did=signer_did,
        signed_at=_aware(now),
        signature="",
        kind="delivery",
        agreement_id=agreement_id,
        asset_id=asset_id,
        content_type=content_type,
    )
    signed = sign_statement(statement, keys)
    return SignedPayload(content_digest(data), signed.signature, digest)


def derive(
    output: bytes,
    inputs: Sequence[Provenance | str],
    *,
    keys: NodeKeys,
    signer_did: str,
    method: str,
    now: datetime,
) -> Provenance:
    """A signed derivation statement: ``output`` was computed from ``inputs`` (records or SHA-256 hex) by
    ``method`` (free text, e.g. "sum of supplier PCF totals, kg CO2e")."""
    digest = sha256_hex(output)
    hashes = tuple(item.sha256 if isinstance(item, Provenance) else item for item in inputs)
    for value in hashes:
        if not SHA256_HEX.match(value):
            raise InvalidInput(f"input {value!r} is not a SHA-256 in lowercase hex")
    if digest in hashes:
        raise InvalidInput("a derived value cannot be its own input")
    statement = Provenance(
        sha256=digest,
        signer_did=signer_did,
        signed_at=_aware(now),
        signature="",
        kind="derivation",
        inputs=hashes,
        method=method,
    )
    return sign_statement(statement, keys)


def verify_payload(
    data: bytes, *, digest_header: str, signature: str, signer_document: Mapping[str, Any]
) -> Provenance:
    """The provider's delivery statement for ``data``, once the bytes match the Content-Digest, the JWS
    verifies with a key of ``signer_document`` (the provider's DID document), and it signs these bytes."""
    check_content_digest(data, digest_header)
    record = verify_record(signature, signer_document=signer_document, data=data)
    if record.kind != "delivery":
        raise MalformedSignature(f"the statement is a {record.kind}, not a delivery")
    return record


def verify_record(
    signature: str, *, signer_document: Mapping[str, Any], data: bytes | None = None
) -> Provenance:
    """Any statement (delivery or derivation), verified offline against its signer's DID document; with
    ``data``, also that the statement is about these bytes."""
    record = _verify_statement(signature, signer_document)
    if data is not None and record.sha256 != sha256_hex(data):
        raise DigestMismatch("the signer signed another payload than the one received")
    return record


def _verify_statement(signature: str, signer_document: Mapping[str, Any]) -> Provenance:
    parsed = parse_statement(signature)
    did = signer_document.get("id")
    if not isinstance(did, str) or not did:
        raise InvalidInput("the signer's DID document has no id")
    # kid must name a method of the expected DID: a valid signature by another participant is still refused
    if not parsed.kid.startswith(did + "#"):
        raise WrongSigner(f"the JWS is signed with {parsed.kid!r}, not a key of {did}")
    try:
        key = verification_key(signer_document, parsed.kid)
    except BattraceError as error:
        raise WrongSigner(f"key {parsed.kid!r} unusable: {error.detail}") from error
    try:
        valid = jws.validate_compact(parsed.compact, key, registry=REGISTRY)
    except JoseError as error:
        raise BadSignature(f"signature check failed: {error}") from error
    if not valid:
        raise BadSignature(f"the signature does not verify with {parsed.kid}")
    # checked once the statement is known to be genuine: the key holder itself named another signer
    if parsed.record.signer_did != did:
        raise WrongSigner(f"the statement names signer {parsed.record.signer_did}, expected {did}")
    return parsed.record


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise InvalidInput("timestamps must be timezone-aware")
    return now
