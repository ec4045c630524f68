"""DPoP proofs (RFC 9449) that bind a data-plane EDR token to the consumer's DID key, for both sides.

An EDR token used to be a bearer token: whoever held a copy read the asset until expiry. Now the provider
records, when it mints the token, the RFC 7638 thumbprint of the consumer's DID authentication key (the
`cnf.jkt` of RFC 9449 §6; our tokens are opaque, so the thumbprint lives in the EDR row, as §6.2 describes for
introspection). Each data-plane request then carries `Authorization: DPoP <token>` and a `DPoP` header: a JWS
signed by that key over the method, the URL, the time and the token's hash. A copied token alone is useless.

Consumer side: `proof()`. Provider side: `check_proof()`, the checks of §4.3 in its order, each refusal with
its own reason. Replay (§11.1): a proof's `jti` is remembered until its `iat` leaves the acceptance window, in
the `ReplayGuard` the data plane is given. The default guard is in memory, per process: with several uvicorn
workers, a proof captured on the wire could be replayed once to each *other* worker within the window
(`MAX_AGE`, 60 s) — and only for the same method and URL, with the same token. A node running several workers
gives the data plane a database-backed guard (`battrace.store.DbReplayGuard`, one insert per read) instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit, urlunsplit

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from battrace.errors import Unauthenticated
from battrace.identity import NodeKeys, ReplayGuard, verification_key
from battrace.identity._jose import ACCEPTED_ALGORITHMS, EMITTED_ALGORITHM, REGISTRY
from battrace.identity.keys import b64url

SCHEME = "DPoP"
TYP = "dpop+jwt"  # RFC 9449 §4.2
MAX_AGE = timedelta(seconds=60)  # §4.3 step 11 / §11.1: "a reasonable window", a few seconds to minutes
FUTURE_SKEW = timedelta(seconds=5)  # a consumer clock slightly ahead of ours
MAX_PROOF_BYTES = 4096
_REQUIRED = ("jti", "htm", "htu", "iat", "ath")  # §4.2; ath because the proof goes with an access token


class InvalidDpopProof(Unauthenticated):
    """RFC 9449 §7.1: a missing or bad proof is a 401, `WWW-Authenticate: DPoP error="invalid_dpop_proof"`."""

    title: ClassVar[str] = "Invalid DPoP proof"
    challenge: ClassVar[str] = f'{SCHEME} error="invalid_dpop_proof", algs="{EMITTED_ALGORITHM}"'

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge}


class InvalidDpopToken(Unauthenticated):
    """§7.1: a bad or unbound access token under the DPoP scheme: `error="invalid_token"`."""

    challenge: ClassVar[str] = f'{SCHEME} error="invalid_token", algs="{EMITTED_ALGORITHM}"'

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge}


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK SHA-256 thumbprint (base64url), of the public members only."""
    return str(_public_key(jwk).thumbprint())


def token_hash(token: str) -> str:
    """§4.2 `ath`: base64url of the SHA-256 of the access token's ASCII bytes."""
    return b64url(hashlib.sha256(token.encode("ascii", errors="replace")).digest())


def did_key_thumbprint(resolve: Callable[[str], Mapping[str, Any]]) -> Callable[[str], str]:
    """For the provider minting an EDR: the thumbprint of the consumer DID's first `authentication` key (the
    key its self-issued tokens are signed with), from its resolved DID document."""

    def key_of(did: str) -> str:
        document = resolve(did)
        methods = document.get("authentication") or []
        first = methods[0] if isinstance(methods, list) and methods else None
        kid = first if isinstance(first, str) else first.get("id") if isinstance(first, Mapping) else None
        if not isinstance(kid, str):
            raise InvalidDpopToken(f"the DID document of {did} names no authentication key")
        return str(verification_key(document, kid).thumbprint())

    return key_of


def proof(keys: NodeKeys, *, htm: str, htu: str, token: str, now: datetime, jti: str) -> str:
    """The `DPoP` header value for one request (§4.2), signed with the node's DID key."""
    header = {"typ": TYP, "alg": EMITTED_ALGORITHM, "jwk": keys.public_jwk()}
    claims = {
        "jti": jti,
        "htm": htm.upper(),
        "htu": urlunsplit(urlsplit(htu)._replace(query="", fragment="")),  # §4.2: without query and fragment
        "iat": int(now.timestamp()),
        "ath": token_hash(token),
    }
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, keys.signing_jwk(), registry=REGISTRY)


def check_proof(
    value: str,
    *,
    method: str,
    url: str,
    token: str,
    jkt: str,
    now: datetime,
    replay: ReplayGuard,
) -> None:
    """Refuse (`InvalidDpopProof`) unless `value` is a fresh proof by key `jkt` for this request (§4.3).

    `url` is the request's URL as the server routed it: its path already percent-decoded once."""
    compact, header, claims = _parse(value)
    key = _public_key(header.get("jwk"))
    _check_signature(compact, key)
    _check_request(claims, method, url)
    issued = _check_time(claims, now)
    # §4.3 step 12: the proof is for this access token
    if claims["ath"] != token_hash(token):
        raise InvalidDpopProof("ath does not match the access token")
    # §4.3 step 12 (bound token): the proof's key is the one the token was issued to
    if str(key.thumbprint()) != jkt:
        raise InvalidDpopProof("the proof is signed by another key than the one this token is bound to")
    # §11.1: a jti is accepted once while its iat is in the window (recorded last: a forgery burns nothing)
    if not replay.check_and_record(f"dpop:{jkt}", str(claims["jti"]), issued + MAX_AGE + FUTURE_SKEW):
        raise InvalidDpopProof("this proof was already used (jti replay)")


def _parse(value: str) -> tuple[jws.CompactSignature, Mapping[str, Any], Mapping[str, Any]]:
    # §4.3 steps 1-2: one well-formed JWT
    if not value or len(value) > MAX_PROOF_BYTES or "," in value or any(c.isspace() for c in value):
        raise InvalidDpopProof("the request needs exactly one well-formed DPoP header")
    try:
        compact = jws.extract_compact(value.encode("ascii"), registry=REGISTRY)
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError) as error:
        raise InvalidDpopProof(f"malformed DPoP proof: {error}") from error
    header = compact.headers()
    if not isinstance(claims, dict):
        raise InvalidDpopProof("malformed DPoP proof: the payload is not a JSON object")
    # §4.3 step 3: every required claim
    missing = [name for name in _REQUIRED if name not in claims]
    if missing:
        raise InvalidDpopProof(f"the DPoP proof lacks {', '.join(missing)}")
    # §4.3 step 4: typ
    if header.get("typ") != TYP:
        raise InvalidDpopProof(f"the DPoP proof's typ must be {TYP!r}, not {header.get('typ')!r}")
    # §4.3 step 5: an asymmetric algorithm we support (Ed25519 only; never "none" or a MAC)
    if header.get("alg") not in ACCEPTED_ALGORITHMS:
        raise InvalidDpopProof(f"the DPoP proof's alg {header.get('alg')!r} is not accepted, only EdDSA")
    return compact, header, claims


def _public_key(jwk: object) -> OKPKey:
    # §4.3 step 7: the jwk is a public key (no private member)
    if not isinstance(jwk, Mapping) or "d" in jwk:
        raise InvalidDpopProof("the DPoP proof's jwk must be a public key")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise InvalidDpopProof("the DPoP proof's jwk must be an Ed25519 public key")
    try:
        return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
    except (JoseError, ValueError) as error:
        raise InvalidDpopProof(f"the DPoP proof's jwk is invalid: {error}") from error


def _check_signature(compact: jws.CompactSignature, key: OKPKey) -> None:
    # §4.3 step 6: the signature verifies with the jwk of the header
    try:
        valid = jws.validate_compact(compact, key, registry=REGISTRY)
    except JoseError:
        valid = False
    if not valid:
        raise InvalidDpopProof("the DPoP proof's signature does not verify with its jwk")


def _check_request(claims: Mapping[str, Any], method: str, url: str) -> None:
    # §4.3 step 8: htm is the request's method
    if claims["htm"] != method.upper():
        raise InvalidDpopProof(f"the DPoP proof is for {claims['htm']!r}, not {method.upper()}")
    # §4.3 step 9: htu is the request's URI, query and fragment ignored (syntax-normalised, RFC 3986 §6.2.2)
    try:
        same = isinstance(claims["htu"], str) and _target(claims["htu"]) == _target(url, decoded=True)
    except ValueError:  # e.g. a port out of range
        same = False
    if not same:
        raise InvalidDpopProof("the DPoP proof is for another URL")


def _check_time(claims: Mapping[str, Any], now: datetime) -> datetime:
    iat = claims["iat"]
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise InvalidDpopProof("the DPoP proof's iat is not a number")
    issued = datetime.fromtimestamp(iat, UTC)
    # §4.3 step 11: created within an acceptable window
    if issued > now + FUTURE_SKEW or issued < now - MAX_AGE:
        raise InvalidDpopProof("the DPoP proof's iat is outside the accepted window")
    return issued


def _target(url: str, *, decoded: bool = False) -> str:
    """The URI without query and fragment, scheme and host lower-cased, the path percent-decoded once, as the
    server decodes it before routing (§4.3 step 9; `decoded`: that was done already)."""
    parts = urlsplit(url.strip())
    port = (
        f":{parts.port}"
        if parts.port and (parts.scheme, parts.port) not in (("http", 80), ("https", 443))
        else ""
    )
    host = (parts.hostname or "") + port
    path = parts.path if decoded else unquote(parts.path)
    return urlunsplit((parts.scheme.lower(), host, path or "/", "", ""))


__all__ = [
    "MAX_AGE",
    "SCHEME",
    "InvalidDpopProof",
    "InvalidDpopToken",
    "check_proof",
    "did_key_thumbprint",
    "proof",
    "thumbprint",
    "token_hash",
]
