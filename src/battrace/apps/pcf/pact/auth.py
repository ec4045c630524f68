"""OAuth 2.0 client credentials for a PACT host (PACT v3 §Authentication; RFC 6749 §4.4, §5.2; RFC 6750).

Tokens are opaque random strings kept in memory with their expiry: a restart ends every session, and a
data recipient simply asks for a new token (that is what the spec's 401 tells it to do).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
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


class ClientCredentials:
    """The data recipients this host knows (client id → secret) and the tokens it gave them."""

    def __init__(
        self, clients: Mapping[str, str], *, clock: Clock, lifetime: timedelta = TOKEN_LIFETIME
    ) -> None:
        self._clients = dict(clients)
        self._clock = clock
        self._lifetime = lifetime
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

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
        token = IssuedToken(secrets.token_urlsafe(32), client_id, self._clock() + self._lifetime)
        with self._lock:
            self._drop_expired()
            self._tokens[token.access_token] = token
        return token

    def authenticate(self, authorization: str | None) -> str:
        """The client id behind a `Bearer` header; `InvalidToken` otherwise."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("a Bearer access token is required", expired=False)
        with self._lock:
            token = self._tokens.get(value.strip())
        if token is None:
            raise InvalidToken("Invalid token provided", expired=False)
        if token.expires_at <= self._clock():
            raise InvalidToken("the access token has expired; request a new one", expired=True)
        return token.client_id

    def _drop_expired(self) -> None:
        now = self._clock()
        for key in [k for k, t in self._tokens.items() if t.expires_at <= now]:
            del self._tokens[key]


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
