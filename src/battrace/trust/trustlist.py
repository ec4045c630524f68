"""A data space's trust list: which certification bodies may issue which credential types, and when.

The operator of a data space publishes its trust list signed (compact JWS, EdDSA, the operator's did:web key
listed under ``assertionMethod``); every node verifies it before using it. ``TrustList.is_trusted`` is the
one question a credential verifier asks: "may this issuer issue this credential type at this time?". Besides
its own bodies a list consults the *recognitions* attached to it (``battrace.trust.recognition``): a
credential issued in another data space is trusted only through a valid recognition of that space.

Pure: no I/O. DID documents are passed in by the caller (resolved elsewhere).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from battrace.errors import BattraceError, InvalidInput
from battrace.identity._jose import ACCEPTED_ALGORITHMS, EMITTED_ALGORITHM, REGISTRY
from battrace.identity.did import verification_key
from battrace.identity.keys import NodeKeys

# RFC 8725 §3.11 explicit typing: an ID token or a contract signature by the same key is not a trust list
TRUST_LIST_TYPE = "battrace-trust-list+jws"
LOCAL = "local"


class SignatureInvalid(InvalidInput):
    """A signed trust document (trust list, recognition, withdrawal) that does not verify; detail says why."""

    title = "Invalid signature"


@dataclass(frozen=True)
class TrustDecision:
    """Whether an issuer is trusted for a credential type, with the chain of reasons.

    ``via`` is ``"local"`` (a certification body of this space) or ``"recognition:<space>"``; None when not
    trusted. Truthy exactly when trusted, so it can stand in for a ``bool`` predicate.
    """

    trusted: bool
    reasons: tuple[str, ...]
    via: str | None = None

    def __bool__(self) -> bool:
        return self.trusted

    @property
    def allowed(self) -> bool:
        """The name `verify_credential` (and the policy engine's Decision) reads: the same flag."""
        return self.trusted


@runtime_checkable
class RecognitionLike(Protocol):
    """What a trust list needs from a recognition (``battrace.trust.recognition.Recognition``)."""

    @property
    def recognizer_did(self) -> str: ...

    def decide(self, issuer_did: str, credential_type: str, at: datetime) -> TrustDecision | None:
        """None when the recognition does not concern this issuer; a decision otherwise."""
        ...


class WireModel(BaseModel):
    model_config = ConfigDict(
        defer_build=True, frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class CertificationBody(WireModel):
    """An issuer (certification body) and the credential types it may issue, within a validity period."""

    did: str = Field(min_length=1)
    name: str = ""
    credential_types: tuple[str, ...] = Field(min_length=1)
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None

    @field_validator("credential_types")
    @classmethod
    def _sorted_unique(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        if any(not t for t in types):
            raise ValueError("credential types must be non-empty strings")
        return tuple(sorted(set(types)))

    def covers(self, credential_type: str, at: datetime) -> str | None:
        """None when this body may issue ``credential_type`` at ``at``; otherwise why not."""
        if credential_type not in self.credential_types:
            accredited = ", ".join(self.credential_types)
            return f"{self.did} is not accredited for {credential_type} (only {accredited})"
        if at < self.valid_from:
            return f"{self.did} is accredited only from {self.valid_from.isoformat()}"
        if self.valid_until is not None and at >= self.valid_until:
            return f"{self.did}'s accreditation ended {self.valid_until.isoformat()}"
        return None


class TrustList(WireModel):
    """A data space's trust list. ``recognitions`` are attached at run time and never serialised."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    space: str = Field(min_length=1)
    operator_did: str = Field(min_length=1)
    issued_at: AwareDatetime
    valid_until: AwareDatetime | None = None
    bodies: tuple[CertificationBody, ...] = ()
    recognitions: tuple[RecognitionLike, ...] = Field(default=(), exclude=True, repr=False)

    @field_validator("bodies")
    @classmethod
    def _unique_bodies(cls, bodies: tuple[CertificationBody, ...]) -> tuple[CertificationBody, ...]:
        dids = [b.did for b in bodies]
        if len(dids) != len(set(dids)):
            raise ValueError("a certification body may appear only once")
        return bodies

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> TrustList:
        if not isinstance(document, Mapping) or "recognitions" in document:
            raise InvalidInput("a trust list must be a JSON object without recognitions")
        try:
            return cls.model_validate(dict(document))
        except ValidationError as error:
            raise InvalidInput(f"invalid trust list: {validation_detail(error)}") from error

    def body(self, issuer_did: str) -> CertificationBody | None:
        return next((b for b in self.bodies if b.did == issuer_did), None)

    def with_recognitions(self, *recognitions: RecognitionLike) -> TrustList:
        """This list consulting ``recognitions`` too. Only the operator's own statements count: a recognition
        signed by anyone else could otherwise widen this space's trust."""
        for recognition in recognitions:
            if recognition.recognizer_did != self.operator_did:
                raise InvalidInput(
                    f"recognition by {recognition.recognizer_did} cannot extend the trust list of "
                    f"{self.space}, whose operator is {self.operator_did}"
                )
        return self.model_copy(update={"recognitions": tuple(recognitions)})

    def local_decision(self, issuer_did: str, credential_type: str, at: datetime) -> TrustDecision:
        """The decision from this list's own certification bodies only (what a recognising space asks)."""
        _aware(at)
        where = f"trust list of {self.space} (operator {self.operator_did})"
        if self.valid_until is not None and at >= self.valid_until:
            return TrustDecision(False, (f"{where} expired {self.valid_until.isoformat()}",))
        body = self.body(issuer_did)
        if body is None:
            return TrustDecision(False, (f"{issuer_did} is not a certification body in the {where}",))
        problem = body.covers(credential_type, at)
        if problem is not None:
            return TrustDecision(False, (f"{where}: {problem}",))
        return TrustDecision(True, (f"{issuer_did} may issue {credential_type} per the {where}",), LOCAL)

    def is_trusted(self, issuer_did: str, credential_type: str, at: datetime) -> TrustDecision:
        """Trusted locally, else through the first recognition that trusts it; all reasons are kept."""
        local = self.local_decision(issuer_did, credential_type, at)
        if local.trusted:
            return local
        reasons = list(local.reasons)
        for recognition in self.recognitions:
            decision = recognition.decide(issuer_did, credential_type, at)
            if decision is None:
                continue
            if decision.trusted:
                return TrustDecision(True, (*reasons, *decision.reasons), decision.via)
            reasons.extend(decision.reasons)
        if not self.recognitions:
            reasons.append(f"{self.space} recognises no other data space")
        return TrustDecision(False, tuple(reasons))


def sign_trust_list(trust_list: TrustList, keys: NodeKeys) -> str:
    """The operator's compact JWS over the list (RFC 8785 canonical JSON payload)."""
    return sign_payload(trust_list.to_json(), keys, trust_list.operator_did, TRUST_LIST_TYPE)


def verify_trust_list(token: str, operator_document: Mapping[str, Any]) -> TrustList:
    """The trust list in ``token`` once its signature verifies with a key of ``operator_document``, the DID
    document of the operator the caller expects (so a list signed by anyone else is refused)."""
    payload = open_signed(token, TRUST_LIST_TYPE, operator_document, signer_field="operatorDid")
    return TrustList.from_json(payload)


# ---- signed JSON documents (shared with recognition.py) -------------------------------------------------


def sign_payload(payload: Mapping[str, Any], keys: NodeKeys, signer_did: str, typ: str) -> str:
    header = {"alg": EMITTED_ALGORITHM, "typ": typ, "kid": f"{signer_did}#{keys.key_id}"}
    return jws.serialize_compact(header, rfc8785.dumps(dict(payload)), keys.signing_jwk(), registry=REGISTRY)


def open_signed(
    token: str, typ: str, signer_document: Mapping[str, Any], *, signer_field: str
) -> dict[str, Any]:
    """The JSON payload of ``token`` once it is shown to be signed by the DID whose document is given, and
    that DID is the one the payload names in ``signer_field``. Raises SignatureInvalid with the reason."""
    compact = _extract(token, typ)
    payload = _payload(compact)
    signer = payload.get(signer_field)
    doc_id = signer_document.get("id") if isinstance(signer_document, Mapping) else None
    if not isinstance(signer, str) or signer != doc_id:
        raise SignatureInvalid(f"the payload names {signer!r} as {signer_field}, the document is {doc_id!r}")
    kid = compact.headers().get("kid")
    if not isinstance(kid, str) or not kid.startswith(signer + "#"):
        raise SignatureInvalid(f"key id {kid!r} is not a key of {signer}")
    # an assertion about others (a trust list, a recognition) must be signed with an assertion key
    if not has_relationship(signer_document, "assertionMethod", kid):
        raise SignatureInvalid(f"{kid} is not an assertionMethod of {signer}")
    try:
        key = verification_key(signer_document, kid)
        valid = jws.validate_compact(compact, key, registry=REGISTRY)
    except (BattraceError, JoseError) as error:
        raise SignatureInvalid(f"signature of {signer} cannot be checked: {error}") from error
    if not valid:
        raise SignatureInvalid(f"signature does not verify with {kid}")
    return payload


def _extract(token: str, typ: str) -> jws.CompactSignature:
    try:
        compact = jws.extract_compact(token.encode("ascii"), registry=REGISTRY)
    except (JoseError, ValueError, UnicodeError, AttributeError) as error:
        raise SignatureInvalid(f"malformed JWS: {error}") from error
    header = compact.headers()
    # RFC 8725 §3.1: never let the token choose the algorithm
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        raise SignatureInvalid(f"algorithm {header.get('alg')!r} not accepted, only EdDSA")
    if header.get("typ") != typ:
        raise SignatureInvalid(f"JWS type {header.get('typ')!r} is not {typ}")
    return compact


def _payload(compact: jws.CompactSignature) -> dict[str, Any]:
    try:
        payload = json.loads(compact.payload)
    except (ValueError, UnicodeError) as error:
        raise SignatureInvalid(f"the payload is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise SignatureInvalid("the payload is not a JSON object")
    return payload


def has_relationship(document: Mapping[str, Any], relationship: str, kid: str) -> bool:
    doc_id = str(document.get("id", ""))
    entries = document.get(relationship, [])
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        return False
    for entry in entries:
        ref = entry.get("id") if isinstance(entry, Mapping) else entry
        if isinstance(ref, str) and (doc_id + ref if ref.startswith("#") else ref) == kid:
            return True
    return False


def _aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise InvalidInput("timestamps must be timezone-aware")


def validation_detail(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "document"
    return f"{where}: {first['msg']}"
