"""Eclipse Decentralized Claims Protocol (DCP) 1.0: the pure subset a node needs (research notes §6–7).

* Self-issued ID token with the ``token`` claim (DCP base protocol §4.3.1): the access token the verifier
  hands back to the holder's Credential Service. Built on ``battrace.identity.issue_token``.
* The access token itself (our own short JWT, ``typ at+jwt``): which verifier may read which scopes.
* ``PresentationQueryMessage`` / ``PresentationResponseMessage`` builders and parsers, validated against the
  DCP 1.0 JSON schemas shipped in ``schemas/``; Tractus-X's pre-1.0 spelling (``@type``, the
  ``tractusx-trust/v0.8`` context) is read too.
* Scope strings (``org.eclipse.dspace.dcp.vc.type:MembershipCredential:read``, the ``.vc.id`` alias and the
  ``org.eclipse.tractusx.vc.*`` aliases) and the filtering of a holder's credentials by scope.
* VP-JWT (VC Data Model 1.1 ``vp`` claim) signed by the holder, and its verification: signature by an
  ``authentication`` key of the holder, audience, time window, nonce, replay, and holder binding of every
  enclosed credential. Credential signatures, issuer trust and status are checked elsewhere.

Pure: no HTTP, DID documents are passed in.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, ClassVar, Literal

from joserfc import jws, jwt
from joserfc.errors import JoseError

from battrace.errors import BattraceError, InvalidInput, Unauthenticated
from battrace.identity._jose import ACCEPTED_ALGORITHMS, EMITTED_ALGORITHM, REGISTRY
from battrace.identity.did import verification_key
from battrace.identity.keys import NodeKeys
from battrace.identity.replay import ReplayGuard
from battrace.identity.tokens import TOKEN_MAX_LIFETIME, VerifiedCaller, issue_token
from battrace.trust.trustlist import has_relationship

DCP_CONTEXT = "https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"
TRACTUSX_TRUST_CONTEXT = "https://w3id.org/tractusx-trust/v0.8"
PE_SUBMISSION_CONTEXT = "https://identity.foundation/presentation-exchange/submission/v1"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
QUERY_TYPE = "PresentationQueryMessage"
RESPONSE_TYPE = "PresentationResponseMessage"
ACCESS_TOKEN_TYPE = "at+jwt"  # RFC 9068 §2.1
PRESENTATION_TYPE = "vp+jwt"  # VC-JOSE-COSE; VC 1.1 peers send "JWT" or nothing, accepted on input

DCP_TYPE_ALIAS = "org.eclipse.dspace.dcp.vc.type"
DCP_ID_ALIAS = "org.eclipse.dspace.dcp.vc.id"
TX_TYPE_ALIAS = "org.eclipse.tractusx.vc.type"
TX_ID_ALIAS = "org.eclipse.tractusx.vc.id"
_ALIASES: Mapping[str, Literal["type", "id"]] = {
    DCP_TYPE_ALIAS: "type", DCP_ID_ALIAS: "id", TX_TYPE_ALIAS: "type", TX_ID_ALIAS: "id",
}
_OPERATIONS = ("read", "write", "all", "*")
_READING = frozenset({"read", "all", "*"})


class PresentationDefinitionUnsupported(BattraceError):
    """DCP 1.0 presentation protocol: a service that does not support presentationDefinition answers 501."""

    status: ClassVar[int] = 501
    title: ClassVar[str] = "Not implemented"


# ---- scopes ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """``<alias>:<type or id>[:<operation>]``; ``raw`` is the string as received."""

    raw: str
    kind: Literal["type", "id"]
    value: str
    operation: str = "read"

    @classmethod
    def parse(cls, raw: str) -> Scope:
        alias, sep, rest = raw.partition(":")
        kind = _ALIASES.get(alias)
        if kind is None or not sep or not rest:
            raise InvalidInput(f"scope {raw!r} does not use a known alias ({', '.join(_ALIASES)})")
        value, operation = rest, "read"
        head, _, last = rest.rpartition(":")
        if head and last in _OPERATIONS:
            value, operation = head, last
        # a credential type is one name; an id (urn:uuid:...) may contain colons
        if not value or (kind == "type" and ":" in value):
            raise InvalidInput(f"scope {raw!r} does not name one credential {kind}")
        return cls(raw, kind, value, operation)

    @classmethod
    def for_type(cls, credential_type: str, *, alias: str = DCP_TYPE_ALIAS) -> Scope:
        return cls.parse(f"{alias}:{credential_type}:read")

    def selects(self, credential: HeldCredential) -> bool:
        if self.operation not in _READING:
            return False
        return self.value in credential.types if self.kind == "type" else self.value == credential.id


@dataclass(frozen=True)
class HeldCredential:
    """A VC-JWT the holder keeps, with what scope filtering needs (read without verifying: it is ours)."""

    token: str
    id: str | None
    types: frozenset[str]
    subject_ids: tuple[str, ...]

    @classmethod
    def from_jwt(cls, token: str) -> HeldCredential:
        payload = unverified_claims(token)
        # VC 1.1 JWT carries the credential in "vc"; a VC 2.0 vc+jwt payload *is* the credential
        credential = payload.get("vc", payload)
        if not isinstance(credential, Mapping):
            raise InvalidInput("the VC-JWT has no credential object")
        types = credential.get("type", [])
        types = [types] if isinstance(types, str) else types
        ident = credential.get("id", payload.get("jti"))
        return cls(
            token=token,
            id=ident if isinstance(ident, str) else None,
            types=frozenset(t for t in types if isinstance(t, str)),
            subject_ids=_subject_ids(credential, payload),
        )


def select_credentials(
    held: Iterable[HeldCredential], scopes: Iterable[Scope]
) -> tuple[HeldCredential, ...]:
    """The credentials any scope selects, in the holder's order, each once. DCP: a scope the holder has
    nothing for just yields fewer presentations, never an error."""
    wanted = tuple(scopes)
    return tuple(c for c in held if any(s.selects(c) for s in wanted))


# ---- messages --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PresentationQuery:
    scopes: tuple[Scope, ...]
    unsupported: tuple[str, ...] = ()  # scope strings without a known alias: they select nothing

    @property
    def raw_scopes(self) -> tuple[str, ...]:
        return (*(s.raw for s in self.scopes), *self.unsupported)


@dataclass(frozen=True)
class PresentationResponse:
    presentations: tuple[str | Mapping[str, Any], ...]
    submission: Mapping[str, Any] | None = None


def presentation_query(scopes: Iterable[str | Scope]) -> dict[str, Any]:
    raw = [s.raw if isinstance(s, Scope) else Scope.parse(s).raw for s in scopes]
    if not raw:
        raise InvalidInput("a presentation query needs at least one scope")
    message = {"@context": [DCP_CONTEXT], "type": QUERY_TYPE, "scope": raw}
    _validate(message, "presentation-query-message-schema.json")
    return message


def parse_presentation_query(document: Mapping[str, Any]) -> PresentationQuery:
    message = _normalise(document, QUERY_TYPE)
    has_scope, has_definition = "scope" in message, "presentationDefinition" in message
    # DCP 1.0 presentation protocol §5.4.1: scope and presentationDefinition are mutually exclusive
    if has_scope and has_definition:
        raise InvalidInput("a presentation query must not carry both scope and presentationDefinition")
    if has_definition:
        raise PresentationDefinitionUnsupported("presentationDefinition queries are not supported; use scope")
    _validate(message, "presentation-query-message-schema.json")
    scopes: list[Scope] = []
    unsupported: list[str] = []
    for raw in message["scope"]:
        try:
            scopes.append(Scope.parse(raw))
        except InvalidInput:
            unsupported.append(raw)
    return PresentationQuery(tuple(scopes), tuple(unsupported))


def presentation_response(
    presentations: Sequence[str | Mapping[str, Any]], *, submission: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "@context": [DCP_CONTEXT], "type": RESPONSE_TYPE, "presentation": list(presentations)
    }
    if submission is not None:
        message["presentationSubmission"] = dict(submission)
    _validate(message, "presentation-response-message-schema.json")
    return message


def parse_presentation_response(document: Mapping[str, Any]) -> PresentationResponse:
    message = _normalise(document, RESPONSE_TYPE)
    _validate(message, "presentation-response-message-schema.json")
    return PresentationResponse(tuple(message["presentation"]), message.get("presentationSubmission"))


def _normalise(document: Mapping[str, Any], message_type: str) -> dict[str, Any]:
    """Tractus-X (DCP 0.8) writes ``@type`` and its own context; read them as the 1.0 spelling."""
    if not isinstance(document, Mapping):
        raise InvalidInput(f"a {message_type} must be a JSON object")
    message = dict(document)
    if "type" not in message and "@type" in message:
        message["type"] = message.pop("@type")
    contexts = message.get("@context")
    if isinstance(contexts, str):
        contexts = [contexts]
    if isinstance(contexts, list) and TRACTUSX_TRUST_CONTEXT in contexts and DCP_CONTEXT not in contexts:
        contexts = [DCP_CONTEXT if c == TRACTUSX_TRUST_CONTEXT else c for c in contexts]
    if contexts is not None:
        message["@context"] = contexts
    return message


def _validate(message: Mapping[str, Any], schema_name: str) -> None:
    # jsonschema on first use: its metaschemas cost ~0.1–0.2 s of a node's start (issue 9, start time)
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    error = best_match(_validator(schema_name).iter_errors(message))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "message"
        raise InvalidInput(f"not a valid DCP message ({schema_name}): {where}: {error.message}")


@cache
def _validator(schema_name: str) -> Any:
    from jsonschema import Draft201909Validator  # type: ignore[import-untyped]

    return Draft201909Validator(_schema(schema_name), registry=_registry())


def _schema(name: str) -> dict[str, Any]:
    text = resources.files("battrace.trust").joinpath("schemas", name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _registry() -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT201909

    # Offline only. The context schema's own $id says v08 while the messages reference v1.0 (upstream slip).
    # Presentation Exchange schemas are not shipped: presentationDefinition is refused before validation, and
    # a presentationSubmission is checked for DIF PE v2 §6's required members only.
    submission = {"type": "object", "required": ["id", "definition_id", "descriptor_map"]}
    resources_ = {
        "https://w3id.org/dspace-dcp/v1.0/common/context-schema.json": _schema("context-schema.json"),
        "https://identity.foundation/presentation-exchange/schemas/presentation-submission.json": {
            "properties": {"presentation_submission": submission}
        },
        "https://identity.foundation/presentation-exchange/schemas/presentation-definition.json": {
            "not": {}
        },
    }
    return Registry().with_resources(
        (uri, DRAFT201909.create_resource(contents)) for uri, contents in resources_.items()
    )


# ---- tokens ----------------------------------------------------------------------------------------------


def issue_self_issued_token(
    keys: NodeKeys,
    own_did: str,
    audience_did: str,
    *,
    now: datetime,
    jti: str,
    access_token: str | None = None,
    lifetime: timedelta = timedelta(minutes=2),
) -> str:
    """DCP base protocol §4.3.1: ``iss == sub`` = own DID, ``aud`` = the other party, ``token`` = the access
    token for the holder's Credential Service (omitted when None)."""
    extra = None if access_token is None else {"token": access_token}
    return issue_token(keys, own_did, audience_did, now=now, jti=jti, lifetime=lifetime, extra_claims=extra)


def access_token_of(caller: VerifiedCaller) -> str:
    """The ``token`` claim of a verified self-issued token (Unauthenticated when absent)."""
    token = caller.claims.get("token")
    if not isinstance(token, str) or not token:
        raise Unauthenticated(f"the self-issued token of {caller.did} carries no access token ('token')")
    return token


@dataclass(frozen=True)
class AccessGrant:
    holder_did: str
    verifier_did: str
    scopes: frozenset[str]
    expires_at: datetime

    def entitled(self, query: PresentationQuery) -> tuple[Scope, ...]:
        """The query's scopes this grant covers; the others are silently dropped (DCP: fewer results)."""
        return tuple(s for s in query.scopes if s.raw in self.scopes)


def issue_access_token(
    keys: NodeKeys,
    holder_did: str,
    verifier_did: str,
    scopes: Iterable[str],
    *,
    now: datetime,
    jti: str,
    lifetime: timedelta = timedelta(minutes=2),
) -> str:
    """The holder's own token allowing ``verifier_did`` to read ``scopes`` from the holder's Credential
    Service (notes §7.1 step 4); opaque to everybody else."""
    granted = sorted({Scope.parse(s).raw for s in scopes})
    issued = _epoch(now)
    claims = {
        "iss": holder_did, "sub": holder_did, "aud": verifier_did, "jti": jti, "scope": " ".join(granted),
        "iat": issued, "exp": issued + _seconds(lifetime),
    }
    header = {"alg": EMITTED_ALGORITHM, "typ": ACCESS_TOKEN_TYPE, "kid": f"{holder_did}#{keys.key_id}"}
    return jwt.encode(header, claims, keys.signing_jwk(), registry=REGISTRY)


def verify_access_token(
    token: str,
    holder_document: Mapping[str, Any],
    *,
    caller_did: str,
    now: datetime,
    leeway: timedelta = timedelta(seconds=30),
) -> AccessGrant:
    """The Credential Service checks its own access token: signed by the holder, issued to this caller."""
    claims = _open(token, {ACCESS_TOKEN_TYPE}, holder_document, "capabilityInvocation", "access token")
    if claims.get("aud") != caller_did:
        raise Unauthenticated(f"access token was issued to {claims.get('aud')!r}, not to {caller_did}")
    expires = _check_window(claims, now, leeway, "access token")
    scope = claims.get("scope")
    if not isinstance(scope, str):
        raise Unauthenticated("access token has no scope")
    return AccessGrant(claims["iss"], caller_did, frozenset(scope.split()), expires)


# ---- VP-JWT ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedPresentation:
    holder_did: str
    jti: str
    expires_at: datetime
    credentials: tuple[str, ...]  # VC-JWT strings, each bound to the holder; not yet verified themselves
    nonce: str | None = None


def issue_presentation(
    keys: NodeKeys,
    holder_did: str,
    verifier_did: str,
    credentials: Sequence[str],
    *,
    now: datetime,
    jti: str,
    nonce: str | None = None,
    lifetime: timedelta = timedelta(minutes=5),
) -> str:
    """A VP-JWT (VC Data Model 1.1 §6.3.1 ``vp`` claim) signed by the holder for one verifier."""
    issued = _epoch(now)
    claims: dict[str, Any] = {
        "iss": holder_did, "sub": holder_did, "aud": verifier_did, "jti": jti,
        "iat": issued, "nbf": issued, "exp": issued + _seconds(lifetime),
        "vp": {
            "@context": [VC_V1_CONTEXT],
            "type": ["VerifiablePresentation"],
            "holder": holder_did,
            "verifiableCredential": list(credentials),
        },
    }
    if nonce is not None:
        claims["nonce"] = nonce
    header = {"alg": EMITTED_ALGORITHM, "typ": PRESENTATION_TYPE, "kid": f"{holder_did}#{keys.key_id}"}
    return jwt.encode(header, claims, keys.signing_jwk(), registry=REGISTRY)


def verify_presentation(
    token: str,
    holder_document: Mapping[str, Any],
    *,
    verifier_did: str,
    now: datetime,
    nonce: str | None = None,
    replay_guard: ReplayGuard | None = None,
    leeway: timedelta = timedelta(seconds=30),
) -> VerifiedPresentation:
    """Notes §7.2 step 4: signed by an ``authentication`` key of the holder whose DID document is given (the
    caller's), for this verifier, inside its time window, with the expected nonce, never seen before, and
    every credential in it issued *to* the holder. Raises Unauthenticated with the reason."""
    types = {PRESENTATION_TYPE, "JWT", None}
    claims = _open(token, types, holder_document, "authentication", "presentation")
    holder = claims["iss"]
    audiences = _audiences(claims.get("aud"))
    if verifier_did not in audiences:
        raise Unauthenticated(f"presentation is for {claims.get('aud')!r}, not for {verifier_did}")
    expires = _check_window(claims, now, leeway, "presentation")
    if nonce is not None and claims.get("nonce") != nonce:
        raise Unauthenticated("presentation nonce does not match the one requested")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise Unauthenticated("presentation has no jti")
    credentials = _bound_credentials(claims.get("vp"), holder)
    if replay_guard is not None and not replay_guard.check_and_record(holder, jti, expires + leeway):
        raise Unauthenticated(f"presentation {jti!r} of {holder} was already used (replay)")
    return VerifiedPresentation(holder, jti, expires, credentials, claims.get("nonce"))


def _bound_credentials(vp: Any, holder: str) -> tuple[str, ...]:
    if not isinstance(vp, Mapping):
        raise Unauthenticated("presentation has no vp claim")
    vp_types = vp.get("type", [])
    if "VerifiablePresentation" not in ([vp_types] if isinstance(vp_types, str) else vp_types):
        raise Unauthenticated("vp is not a VerifiablePresentation")
    credentials = vp.get("verifiableCredential", [])
    if not isinstance(credentials, list) or not all(isinstance(c, str) for c in credentials):
        raise Unauthenticated("vp.verifiableCredential must be a list of VC-JWT strings")
    for token in credentials:
        try:
            held = HeldCredential.from_jwt(token)
        except InvalidInput as error:
            raise Unauthenticated(f"presentation holds an unreadable credential: {error.detail}") from error
        # holder binding: a credential about somebody else must not be presented as one's own
        if not held.subject_ids or any(s != holder for s in held.subject_ids):
            about = ", ".join(held.subject_ids) or "nobody"
            raise Unauthenticated(f"credential {held.id} is about {about}, not the presenter {holder}")
    return tuple(credentials)


# ---- JWT plumbing ----------------------------------------------------------------------------------------


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWS without checking its signature (for one's own or to-be-verified data)."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise InvalidInput("not a compact JWS (three dot-separated parts)")
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeError) as error:
        raise InvalidInput(f"JWS payload is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise InvalidInput("JWS payload is not a JSON object")
    return payload


def _open(
    token: str, types: set[str | None], document: Mapping[str, Any], relationship: str, what: str
) -> dict[str, Any]:
    try:
        compact = jws.extract_compact(token.encode("ascii"), registry=REGISTRY)
        claims: dict[str, Any] = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError, AttributeError) as error:
        raise Unauthenticated(f"malformed {what}: {error}") from error
    if not isinstance(claims, dict):
        raise Unauthenticated(f"malformed {what}: the payload is not a JSON object")
    header = compact.headers()
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        raise Unauthenticated(f"{what} algorithm {header.get('alg')!r} not accepted, only EdDSA")
    if header.get("typ") not in types:
        raise Unauthenticated(f"{what} type {header.get('typ')!r} not accepted")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or issuer != document.get("id"):
        raise Unauthenticated(f"{what} issued by {issuer!r}, expected {document.get('id')!r}")
    if claims.get("sub", issuer) != issuer:
        raise Unauthenticated(f"{what} iss and sub differ")
    kid = header.get("kid")
    if not isinstance(kid, str) or not has_relationship(document, relationship, kid):
        raise Unauthenticated(f"{what} key {kid!r} is not a {relationship} method of {issuer}")
    try:
        valid = jws.validate_compact(compact, verification_key(document, kid), registry=REGISTRY)
    except (BattraceError, JoseError):
        valid = False
    if not valid:
        raise Unauthenticated(f"{what} signature does not verify with {kid}")
    return claims


def _check_window(claims: Mapping[str, Any], now: datetime, leeway: timedelta, what: str) -> datetime:
    moment, slack = _epoch_float(now), leeway.total_seconds()
    exp, iat, nbf = (_numeric(claims, n, what) for n in ("exp", "iat", "nbf"))
    if exp is None:
        raise Unauthenticated(f"{what} has no exp")
    if exp + slack < moment:
        raise Unauthenticated(f"{what} expired")
    if (nbf is not None and nbf - slack > moment) or (iat is not None and iat - slack > moment):
        raise Unauthenticated(f"{what} is not valid yet")
    start = iat if iat is not None else nbf if nbf is not None else moment
    # a presentation is proof of possession for one exchange: it must be short-lived whatever exp says
    if exp - start > TOKEN_MAX_LIFETIME.total_seconds():
        raise Unauthenticated(f"{what} lifetime exceeds {TOKEN_MAX_LIFETIME}")
    return datetime.fromtimestamp(exp, UTC)


def _numeric(claims: Mapping[str, Any], name: str, what: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Unauthenticated(f"{what} {name} is not a NumericDate")
    return float(value)


def _audiences(aud: Any) -> list[str]:
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


def _subject_ids(credential: Mapping[str, Any], payload: Mapping[str, Any]) -> tuple[str, ...]:
    subjects = credential.get("credentialSubject", [])
    subjects = subjects if isinstance(subjects, list) else [subjects]
    ids = [s["id"] for s in subjects if isinstance(s, Mapping) and isinstance(s.get("id"), str)]
    # VC-JWT 1.1 §6.3.1: "sub" stands for credentialSubject.id when that was moved out
    if not ids and isinstance(payload.get("sub"), str):
        ids = [payload["sub"]]
    return tuple(ids)


def _seconds(lifetime: timedelta) -> int:
    if not timedelta(0) < lifetime <= TOKEN_MAX_LIFETIME:
        raise InvalidInput(f"lifetime must be within (0, {TOKEN_MAX_LIFETIME}], got {lifetime}")
    return int(lifetime.total_seconds())


def _epoch(ts: datetime) -> int:
    return int(_epoch_float(ts))


def _epoch_float(ts: datetime) -> float:
    if ts.tzinfo is None:
        raise InvalidInput("timestamps must be timezone-aware")
    return ts.timestamp()
