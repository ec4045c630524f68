"""Self-issued ID tokens (DCP v1.0 base protocol §4.3.1 shape) that authenticate every DSP request.

Caller side: ``issue_token``. Callee side: ``TokenVerifier.verify`` — cheap structural checks first, then DID
resolution, then the signature, and only then the jti is recorded, so a forged token cannot burn a real jti.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from battrace.clock import Clock
from battrace.errors import BattraceError, InvalidInput, Unauthenticated
from battrace.identity._jose import ACCEPTED_ALGORITHMS, EMITTED_ALGORITHM, REGISTRY
from battrace.identity.did import verification_key
from battrace.identity.keys import NodeKeys
from battrace.identity.replay import ReplayGuard
from battrace.identity.resolver import DidResolutionError, DidResolver

# Refusals are logged once here (issue 9: every attack refused *and* logged), without the token itself.
refusals = logging.getLogger("battrace.refused")

TOKEN_MAX_LIFETIME = timedelta(minutes=5)
MAX_JTI_LENGTH = 256
_REGISTERED = frozenset({"iss", "sub", "aud", "iat", "nbf", "exp", "jti"})


def issue_token(
    keys: NodeKeys,
    issuer_did: str,
    audience_did: str,
    *,
    now: datetime,
    jti: str,
    lifetime: timedelta = timedelta(minutes=2),
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """A compact JWS signed with the node key; ``extra_claims`` (e.g. DCP's ``token``) cannot override the
    registered claims."""
    if not timedelta(0) < lifetime <= TOKEN_MAX_LIFETIME:
        raise InvalidInput(f"token lifetime must be within (0, {TOKEN_MAX_LIFETIME}], got {lifetime}")
    if not jti or len(jti) > MAX_JTI_LENGTH:
        raise InvalidInput("jti must be a non-empty string of at most 256 characters")
    clash = _REGISTERED.intersection(extra_claims or {})
    if clash:
        raise InvalidInput(f"extra claims may not set registered claims: {sorted(clash)}")
    issued = _epoch(now)
    claims: dict[str, Any] = {
        **(extra_claims or {}),
        "iss": issuer_did,
        "sub": issuer_did,  # DCP: a self-issued token has iss == sub
        "aud": audience_did,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "jti": jti,
    }
    header = {"alg": EMITTED_ALGORITHM, "typ": "JWT", "kid": f"{issuer_did}#{keys.key_id}"}
    return jwt.encode(header, claims, keys.signing_jwk(), registry=REGISTRY)


@dataclass(frozen=True)
class VerifiedCaller:
    did: str
    jti: str
    expires_at: datetime
    claims: Mapping[str, Any]  # every JWT claim, read-only


@dataclass(frozen=True)
class _Unverified:
    token: jws.CompactSignature
    header: Mapping[str, Any]
    claims: Mapping[str, Any]


class TokenVerifier:
    def __init__(
        self,
        *,
        audience_did: str,
        resolver: DidResolver,
        replay_guard: ReplayGuard,
        clock: Clock,
        leeway: timedelta = timedelta(seconds=30),
    ) -> None:
        self._audience = audience_did
        self._resolver = resolver
        self._replay_guard = replay_guard
        self._clock = clock
        self._leeway = leeway

    def verify(self, authorization_header: str | None) -> VerifiedCaller:
        """The authenticated caller, or Unauthenticated with the precise reason (logged as a refusal)."""
        try:
            return self._verify(authorization_header)
        except Unauthenticated as refusal:
            if authorization_header:  # an anonymous call is not an attack; public routes try tokens first
                refusals.warning("token refused: audience=%s reason=%s", self._audience, refusal.detail)
            raise

    def _verify(self, authorization_header: str | None) -> VerifiedCaller:
        parsed = _parse(_bearer(authorization_header))
        issuer, kid = _check_identity(parsed)
        _check_audience(parsed.claims, self._audience)
        expires = self._check_times(parsed.claims)
        jti = _check_jti(parsed.claims)
        self._check_signature(parsed, issuer, kid)
        # the guard remembers the jti for as long as the token could still pass the exp check (exp + leeway)
        if not self._replay_guard.check_and_record(issuer, jti, expires + self._leeway):
            raise Unauthenticated(f"token {jti!r} of {issuer} was already used (replay)")
        return VerifiedCaller(issuer, jti, expires, MappingProxyType(dict(parsed.claims)))

    def _check_times(self, claims: Mapping[str, Any]) -> datetime:
        now = _epoch_float(self._clock())
        leeway = self._leeway.total_seconds()
        exp = _numeric(claims, "exp")
        if exp is None:
            raise Unauthenticated("token has no exp")
        nbf = _numeric(claims, "nbf")
        iat = _numeric(claims, "iat")
        if exp + leeway < now:
            raise Unauthenticated("token expired")
        if nbf is not None and nbf - leeway > now:
            raise Unauthenticated("token not valid yet (nbf in the future)")
        if iat is not None and iat - leeway > now:
            raise Unauthenticated("token issued in the future (iat)")
        # bound the lifetime so a stolen token is useless within minutes, whatever exp the issuer chose
        start = iat if iat is not None else nbf if nbf is not None else now
        if exp - start > TOKEN_MAX_LIFETIME.total_seconds():
            raise Unauthenticated(f"token lifetime exceeds {TOKEN_MAX_LIFETIME}")
        return datetime.fromtimestamp(exp, UTC)

    def _check_signature(self, parsed: _Unverified, issuer: str, kid: str) -> None:
        document = self._resolve(issuer)
        if self._signature_valid(parsed, document, kid):
            return
        # maybe the issuer rotated its key since we cached the document: look once more
        fresh = self._refresh(issuer)
        if fresh is None or not self._signature_valid(parsed, fresh, kid):
            raise Unauthenticated(f"signature invalid or key {kid} unknown")

    def _resolve(self, did: str) -> Mapping[str, Any]:
        try:
            return self._resolver.resolve(did)
        except DidResolutionError as error:
            raise Unauthenticated(f"DID not resolvable: {error.detail}") from error

    def _refresh(self, did: str) -> Mapping[str, Any] | None:
        try:
            return self._resolver.refresh(did)
        except DidResolutionError as error:
            raise Unauthenticated(f"DID not resolvable: {error.detail}") from error

    @staticmethod
    def _signature_valid(parsed: _Unverified, document: Mapping[str, Any], kid: str) -> bool:
        try:
            key: OKPKey = verification_key(document, kid)
        except BattraceError:
            return False
        try:
            return jws.validate_compact(parsed.token, key, registry=REGISTRY)
        except JoseError:
            return False


def _bearer(header: str | None) -> str:
    if header is None or not header.strip():
        raise Unauthenticated("missing Authorization header")
    value = header.strip()
    if value.lower() == "bearer":
        raise Unauthenticated("Authorization header carries no token")
    scheme, _, rest = value.partition(" ")
    # DSP 2025-1 leaves the scheme open; DCP says "Bearer", EDC sends the bare token: accept both
    if rest and scheme.lower() == "bearer":
        value = rest.strip()
    if not value or any(c.isspace() for c in value):
        raise Unauthenticated("malformed Authorization header")
    return value


def _parse(token: str) -> _Unverified:
    try:
        compact = jws.extract_compact(token.encode("ascii"), registry=REGISTRY)
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError) as error:
        raise Unauthenticated(f"malformed JWT: {error}") from error
    if not isinstance(claims, dict):
        raise Unauthenticated("malformed JWT: the payload is not a JSON object")
    header = compact.headers()
    alg = header.get("alg")
    # RFC 8725 §3.1: never let the token choose its algorithm family ("none", HS256 keyed with the public key)
    if alg not in ACCEPTED_ALGORITHMS:
        raise Unauthenticated(f"algorithm {alg!r} not accepted, only EdDSA")
    typ = header.get("typ", "JWT")
    # RFC 8725 §3.11 explicit typing: a VP-JWT or VC-JWT signed by the same key is not an ID token
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise Unauthenticated(f"token type {typ!r} is not JWT")
    return _Unverified(compact, header, claims)


def _check_identity(parsed: _Unverified) -> tuple[str, str]:
    issuer = parsed.claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise Unauthenticated("token has no iss")
    # DCP v1.0 base protocol: a self-issued ID token MUST have iss == sub
    if parsed.claims.get("sub") != issuer:
        raise Unauthenticated("token iss and sub differ")
    kid = parsed.header.get("kid")
    if not isinstance(kid, str) or not kid.startswith(issuer + "#") or len(kid) == len(issuer) + 1:
        raise Unauthenticated(f"kid {kid!r} is not a key of the issuer {issuer}")
    return issuer, kid


def _check_audience(claims: Mapping[str, Any], audience: str) -> None:
    aud = claims.get("aud")
    # RFC 7519 §4.1.3: aud is a string or an array of strings
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if audience not in audiences:
        raise Unauthenticated(f"token audience {aud!r} is not {audience}")


def _check_jti(claims: Mapping[str, Any]) -> str:
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise Unauthenticated("token has no jti")
    if len(jti) > MAX_JTI_LENGTH:
        raise Unauthenticated("token jti is too long")
    return jti


def _numeric(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    # RFC 7519 §2 NumericDate; bool is an int in Python and must not pass
    # (Python's json also parses NaN/Infinity, which would slip through every comparison below)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Unauthenticated(f"token {name} is not a NumericDate")
    return float(value)


def _epoch(ts: datetime) -> int:
    return int(_epoch_float(ts))


def _epoch_float(ts: datetime) -> float:
    if ts.tzinfo is None:
        raise InvalidInput("timestamps must be timezone-aware")
    return ts.timestamp()
