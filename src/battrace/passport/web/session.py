"""The viewer's login session: a signed cookie holding the caller's DID, audiences and expiry.

The caller proves itself once with a bearer token its own node issued (checked by the node's
``authenticate``); the viewer then keeps only what the token established, signed with HMAC-SHA256 under a
node-held key (RFC 2104), so no server-side session store is needed and nothing in the cookie can be
changed by the browser. The cookie is short-lived (15 minutes), HttpOnly and SameSite=Lax (RFC 6265bis
§5.4.7: not sent on cross-site POSTs), Secure when the viewer is served over https. Pure module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from battrace.errors import InvalidInput
from battrace.passport.attributes import Audience

COOKIE_NAME = "battrace_passport_session"
SESSION_TTL = timedelta(minutes=15)
# Far above any real value (a DID plus three audience names); refuses oversized cookies before decoding.
_MAX_COOKIE = 4096
_MIN_SECRET = 32


@dataclass(frozen=True)
class Session:
    did: str
    audiences: frozenset[Audience]
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def check_secret(secret: bytes) -> bytes:
    """A session key of at least 32 bytes: RFC 2104 §3 recommends a key no shorter than the hash output."""
    if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET:
        raise InvalidInput(f"session secret must be at least {_MIN_SECRET} bytes", reason="session_secret")
    return secret


def issue(did: str, audiences: frozenset[Audience], now: datetime) -> Session:
    """A session for ``did`` expiring SESSION_TTL after ``now``; the public audience is always included."""
    return Session(did, frozenset(audiences) | {Audience.PUBLIC}, now + SESSION_TTL)


def encode(secret: bytes, session: Session) -> str:
    """``payload.mac``, both base64url: the payload is canonical JSON so the same session signs the same."""
    body = {
        "did": session.did,
        "aud": sorted(a.value for a in session.audiences),
        "exp": int(session.expires.timestamp()),
    }
    payload = _b64(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_mac(secret, payload)}"


def decode(secret: bytes, cookie: str | None, now: datetime) -> Session | None:
    """The session in ``cookie``, or None when it is missing, malformed, forged or expired.

    The MAC is compared in constant time (hmac.compare_digest) before anything in the payload is read.
    """
    if not cookie or len(cookie) > _MAX_COOKIE or not cookie.isascii() or cookie.count(".") != 1:
        return None
    payload, mac = cookie.split(".")
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    try:
        body = json.loads(_unb64(payload))
        did, expiry = body["did"], body["exp"]
        audiences = frozenset(Audience(a) for a in body["aud"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(did, str) or isinstance(expiry, bool) or not isinstance(expiry, int):
        return None
    if expiry <= now.timestamp():
        return None
    return Session(did, audiences | {Audience.PUBLIC}, datetime.fromtimestamp(expiry, tz=now.tzinfo))
