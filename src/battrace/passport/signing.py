"""The issuer's signature over a passport, verifiable by every reader at its own access level.

A passport is read in parts (Art. 77(2)): the public sees one part, a recycler more. A single hash over all
values would prove nothing to a reader who cannot see them all, so the issuer signs one SHA-256 per access
level (RFC 8785 canonical JSON of that level's static values). A reader recomputes the digests of the levels
its view holds completely and checks them against the signed ones; the withheld levels' digests reveal
nothing usable (they cover whole value sets, not single attributes).

Wire form: a compact JWS (RFC 7515 §7.1, EdDSA over Ed25519 per RFC 8037, ``kid`` = issuer DID URL) whose
payload is the canonical JSON of ``{typ, passport, model, issuer, iat, levels}``. Signed with
``cryptography`` directly: issuance signs thousands per second and the JWS is three base64url parts.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc.jwk import OKPKey

from battrace.errors import InvalidInput
from battrace.identity.did import verification_key
from battrace.identity.keys import NodeKeys, b64url
from battrace.passport.attributes import AccessLevel, Granularity, attribute

# Values given once per model are signed with the model; a passport's signature carries their digests.
MODEL_GRANULARITIES = frozenset({Granularity.MODEL, Granularity.MODEL_PER_PLANT})

SIGNATURE_TYPE = "battrace-passport+jws"
_HEADER_CACHE: dict[str, bytes] = {}


def canonical_sha256(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(dict(values))).hexdigest()


def digest_of_levels(levels: Mapping[str, str]) -> str:
    """One SHA-256 committing to every level digest (what the transparency log records for a passport)."""
    joined = "\n".join(f"{level}:{digest}" for level, digest in sorted(levels.items()))
    return hashlib.sha256(joined.encode()).hexdigest()


def level_digests(values: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 (hex) of each access level's part of ``values``; levels without values are left out."""
    parts: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        parts.setdefault(attribute(key).access.value, {})[key] = value
    return {level: canonical_sha256(part) for level, part in sorted(parts.items())}


def _header(kid: str) -> bytes:
    cached = _HEADER_CACHE.get(kid)
    if cached is None:
        header = {"alg": "EdDSA", "kid": kid, "typ": SIGNATURE_TYPE}
        cached = _HEADER_CACHE[kid] = b64url(json.dumps(header, separators=(",", ":")).encode()).encode()
    return cached


def sign_passport(
    keys: NodeKeys,
    *,
    issuer: str,
    passport_id: str,
    model_id: str,
    issued_at: int,
    levels: Mapping[str, str],
    model_levels: Mapping[str, str] | None = None,
) -> str:
    """The compact JWS over a passport's own ``levels`` (``level_digests`` of its values) and its model's
    (``model_levels``), or, without ``model_levels``, over a model's."""
    claims: dict[str, Any] = {
        "typ": "passport" if model_levels is not None else "passport-model",
        "passport": passport_id,
        "model": model_id,
        "issuer": issuer,
        "iat": issued_at,
        "levels": dict(levels),
    }
    if model_levels is not None:
        claims["modelLevels"] = dict(model_levels)
    # The payload is signed as the bytes it is (a verifier never re-serialises it), so plain sorted JSON
    # suffices here; only the value digests must be reproducible by readers, hence RFC 8785 for them.
    payload = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    signing_input = _header(f"{issuer}#{keys.key_id}") + b"." + b64url(payload).encode()
    return (signing_input + b"." + b64url(keys.private_key.sign(signing_input)).encode()).decode("ascii")


@dataclass(frozen=True)
class VerifiedPassportSignature:
    issuer: str
    passport_id: str
    model_id: str
    issued_at: int
    levels: Mapping[str, str]


def verify_passport_signature(
    token: str, *, issuer_document: Mapping[str, Any], visible: Mapping[str, Any]
) -> VerifiedPassportSignature:
    """Check the JWS against the issuer's DID document, and every access level that ``visible`` holds
    against its signed digest. ``visible`` must hold each of its levels completely (a view does); its dynamic
    values (measurements, status) are not part of what was issued and are left out."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(payload_b64))
        signature = _unb64(signature_b64)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"passport signature is not a compact JWS: {exc}", reason="signature") from exc
    if header.get("alg") != "EdDSA" or header.get("typ") != SIGNATURE_TYPE:
        raise InvalidInput("passport signature must be EdDSA of type " + SIGNATURE_TYPE, reason="signature")
    key: OKPKey = verification_key(issuer_document, str(header.get("kid", "")))
    public = key.public_key
    if not isinstance(public, Ed25519PublicKey):
        raise InvalidInput("the issuer's key is not Ed25519", reason="signature")
    try:
        public.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
    except InvalidSignature:
        raise InvalidInput("passport signature does not verify", reason="signature") from None
    if claims.get("issuer") != issuer_document.get("id"):
        raise InvalidInput("passport signature names another issuer", reason="signature")
    signed_levels: Mapping[str, str] = claims.get("levels", {})
    signed_model: Mapping[str, str] | None = claims.get("modelLevels")
    static = {key: value for key, value in visible.items() if not attribute(key).dynamic}
    if signed_model is None:
        _compare(static, signed_levels, "")
    else:  # a passport: its own values and its model's, each against its digests
        model_part = {k: v for k, v in static.items() if attribute(k).granularity in MODEL_GRANULARITIES}
        _compare(model_part, signed_model, "model ")
        _compare({k: v for k, v in static.items() if k not in model_part}, signed_levels, "")
    return VerifiedPassportSignature(
        claims["issuer"], claims["passport"], claims["model"], int(claims["iat"]), signed_levels
    )


def _compare(values: Mapping[str, Any], signed: Mapping[str, str], what: str) -> None:
    for level, digest in level_digests(values).items():
        if signed.get(level) != digest:
            raise InvalidInput(
                f"the {what}{AccessLevel(level).value} values differ from what the issuer signed",
                reason="signature_mismatch",
            )


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
