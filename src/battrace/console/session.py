"""Console login sessions and CSRF tokens: HMAC-SHA256 (RFC 2104) signed strings, no server-side store.

A session proves that its holder typed the management API key once: the cookie carries an expiry and a
fingerprint of the key (so rotating the key ends every session at once), signed under a node-held secret
with a "console" label (so a passport viewer cookie signed with the same secret never passes here).
CSRF tokens for the forms are MACs of the session (logout) or of an issue time (login). Pure module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from battrace.errors import InvalidInput

COOKIE_NAME = "battrace_console_session"
SESSION_TTL = timedelta(hours=1)
LOGIN_FORM_TTL = timedelta(hours=2)  # how long a login page may sit open before its CSRF token expires
_MIN_SECRET = 32
_MAX_TOKEN = 512
_LABEL = b"battrace-console-v1|"


def cookie_name(owner: str) -> str:
    """The cookie's name for one console: cookies do not separate ports (RFC 6265 §8.5), so two nodes on
    one host would otherwise overwrite each other's session; a tag of the owner's DID keeps them apart."""
    return f"{COOKIE_NAME}_{hashlib.sha256(owner.encode('utf-8')).hexdigest()[:12]}"


def check_secret(secret: bytes) -> bytes:
    """At least 32 bytes: RFC 2104 §3 recommends a key no shorter than the hash output."""
    if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET:
        raise InvalidInput(f"console secret must be at least {_MIN_SECRET} bytes", reason="session_secret")
    return secret


def _mac(secret: bytes, text: str) -> str:
    digest = hmac.new(secret, _LABEL + text.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def key_fingerprint(api_key: str) -> str:
    """A short, one-way tag of the API key; the key itself never goes into a cookie."""
    return hashlib.sha256(b"battrace-console-key|" + api_key.encode("utf-8")).hexdigest()[:32]


def issue(secret: bytes, api_key: str, now: datetime) -> str:
    """``expiry.fingerprint.mac``: valid for SESSION_TTL from ``now``."""
    body = f"{int((now + SESSION_TTL).timestamp())}.{key_fingerprint(api_key)}"
    return f"{body}.{_mac(secret, 'session|' + body)}"


def valid(secret: bytes, cookie: str | None, api_key: str, now: datetime) -> bool:
    """True for an unexpired cookie this node signed for the current API key; the MAC is compared in
    constant time before anything else in the cookie is trusted."""
    if not cookie or len(cookie) > _MAX_TOKEN or not cookie.isascii() or cookie.count(".") != 2:
        return False
    expiry, fingerprint, mac = cookie.split(".")
    if not hmac.compare_digest(mac, _mac(secret, f"session|{expiry}.{fingerprint}")):
        return False
    if not expiry.isdigit() or int(expiry) <= now.timestamp():
        return False
    return hmac.compare_digest(fingerprint, key_fingerprint(api_key))


def login_csrf(secret: bytes, now: datetime) -> str:
    """The login form's token: its issue time and a MAC of it (login CSRF, OWASP CSRF cheat sheet)."""
    issued = str(int(now.timestamp()))
    return f"{issued}.{_mac(secret, 'login|' + issued)}"


def login_csrf_valid(secret: bytes, token: str | None, now: datetime) -> bool:
    if not token or len(token) > _MAX_TOKEN or not token.isascii() or token.count(".") != 1:
        return False
    issued, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(secret, "login|" + issued)) or not issued.isdigit():
        return False
    age = now.timestamp() - int(issued)
    return 0 <= age <= LOGIN_FORM_TTL.total_seconds()


def session_csrf(secret: bytes, cookie: str) -> str:
    """The token of the forms shown inside a session (logout): bound to that session's cookie."""
    return _mac(secret, "csrf|" + cookie)


def session_csrf_valid(secret: bytes, cookie: str | None, token: str | None) -> bool:
    if not cookie or not token or len(token) > _MAX_TOKEN or not token.isascii() or not cookie.isascii():
        return False
    return hmac.compare_digest(token, session_csrf(secret, cookie))
