"""OAuth 2.0 client credentials for a PACT host (PACT v3 §Authentication; RFC 6749 §4.4, §5.2; RFC 6750).

Access tokens are self-contained (``TokenSigner``): ``<random id>.<client id>.<expiry>.<HMAC-SHA256>`` under
a key derived from a node secret, so every worker process of a node accepts a token any of them issued, and
a token stays valid across a restart until it expires (1 h), with nothing stored. They are opaque to the
client (RFC 6749 §1.4). Without a secret an instance draws its own key: its tokens are valid in it only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from battrace.clock import Clock
from battrace.errors import BattraceError

TOKEN_LIFETIME = timedelta(hours=1)


class OAuthError(BattraceError):
    """An RFC 6749 §5.2 error of the token endpoint (its body is `{error, error_description}`)."""

    status = 400
    title = "OAuth error"

    def __init__(self, error: str, detail: str, *, status: int = 400) -> None:
        super().__init__(detail)
        self.error = error
        self.status_code = status


class InvalidToken(BattraceError):
    """A bearer token the host did not issue, or one that expired (PACT v3: 401)."""

    status = 401
    title = "Invalid token"

    def __init__(self, detail: str, *, expired: bool) -> None:
        super().__init__(detail)
        self.expired = expired


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    client_id: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    expires_at: datetime


# <id>.<subject, base64url>.<expiry, Unix seconds>.<HMAC-SHA256, base64url>; parts never contain a dot.
_TOKEN = re.compile(r"([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{0,1400})\.([0-9]{1,11})\.([A-Za-z0-9_-]{43})")
_MIN_SECRET = 32


class TokenSigner:
    """Self-contained bearer tokens: a subject and an expiry under an HMAC-SHA256 (RFC 2104) with a key
    derived from a node secret and the tokens' purpose, so that a token of one purpose (a PACT access token,
    an Ouranos refresh token…) is never accepted as another. ``bound`` mixes in a value the token is only
    valid with (e.g. an account's password salt: changing it revokes every token issued before)."""

    def __init__(self, secret: bytes, purpose: str) -> None:
        # RFC 2104 §3: a key no shorter than the hash output.
        if len(secret) < _MIN_SECRET:
            raise ValueError(f"a token secret needs at least {_MIN_SECRET} bytes")
        label = b"battrace bearer token key\0" + purpose.encode()
        self._key = hmac.new(secret, label, hashlib.sha256).digest()

    def issue(self, subject: str, expires_at: datetime, *, bound: bytes = b"") -> str:
        # floor: the token never outlives the expiry announced with it
        payload = f"{secrets.token_urlsafe(24)}.{_b64(subject.encode())}.{int(expires_at.timestamp())}"
        return f"{payload}.{self._mac(payload, bound)}"

    def subject_of(self, token: str) -> str | None:
        """The subject a well-formed token names, NOT verified: to find what it is ``bound`` to."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        try:
            return _unb64(match[2]).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None

    def verify(self, token: str, *, bound: bytes = b"") -> TokenClaims | None:
        """The claims of a token this signer issued (expired or not: the caller tells the two apart)."""
        match = _TOKEN.fullmatch(token)
        subject = self.subject_of(token)
        if match is None or subject is None:
            return None
        payload = token.rpartition(".")[0]
        if not hmac.compare_digest(self._mac(payload, bound), match[4]):
            return None
        return TokenClaims(subject, datetime.fromtimestamp(int(match[3]), UTC))

    def _mac(self, payload: str, bound: bytes) -> str:
        # The payload is ASCII without NUL, so payload NUL bound is unambiguous.
        return _b64(hmac.new(self._key, payload.encode("ascii") + b"\0" + bound, hashlib.sha256).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ClientCredentials:
    """The data recipients this host knows (client id → secret); hands out and checks their tokens.

    ``secret``: the node's (``Node.session_secret``), the same in every worker and across restarts."""

    def __init__(
        self,
        clients: Mapping[str, str],
        *,
        clock: Clock,
        lifetime: timedelta = TOKEN_LIFETIME,
        secret: bytes | None = None,
    ) -> None:
        self._clients = dict(clients)
        self._clock = clock
        self._lifetime = lifetime
        self._signer = TokenSigner(secret or secrets.token_bytes(32), "pact v3 access token")

    @property
    def lifetime(self) -> timedelta:
        return self._lifetime

    def issue(self, authorization: str | None, grant_type: str | None) -> IssuedToken:
        """Check HTTP Basic client authentication (RFC 6749 §2.3.1) and the grant type; hand out a token."""
        client_id, secret = _basic_credentials(authorization)
        known = self._clients.get(client_id)
        # Compare even for an unknown client so that timing does not tell which client ids exist.
        matches = hmac.compare_digest((known or "\0").encode(), secret.encode())
        if known is None or not matches:
            raise OAuthError("invalid_client", "Client authentication failed", status=401)
        if grant_type != "client_credentials":
            raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials")
        expires_at = self._clock() + self._lifetime
        return IssuedToken(self._signer.issue(client_id, expires_at), client_id, expires_at)

    def authenticate(self, authorization: str | None) -> str:
        """The client id behind a `Bearer` header; `InvalidToken` otherwise."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("a Bearer access token is required", expired=False)
        claims = self._signer.verify(value.strip())
        if claims is None:
            raise InvalidToken("Invalid token provided", expired=False)
        if claims.expires_at <= self._clock():
            raise InvalidToken("the access token has expired; request a new one", expired=True)
        return claims.subject


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError(
            "invalid_client", "Client authentication failed: HTTP Basic credentials required", status=401
        )
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(
            "invalid_client", "Client authentication failed: malformed Basic credentials"
        ) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "Client authentication failed: malformed Basic credentials")
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Base64.
    return unquote(client_id), unquote(secret)


def basic_header(client_id: str, secret: str) -> str:
    """The `Authorization` value a client sends to the token endpoint."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")
