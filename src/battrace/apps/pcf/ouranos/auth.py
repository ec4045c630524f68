"""Authentication of the Ouranos API (OpenAPI ``securitySchemes``): an ``apiKey`` header issued by the
platform on every call, then ``POST /auth/login`` → bearer access token (``Authorization: Bearer``).

``Authenticator`` is what the router needs; ``MemoryAuthenticator`` keeps the accounts in a table — in
memory by default, or the node's ``documents.DocumentStore.accounts`` so that accounts survive a restart —
and stores no token: access and refresh tokens are self-contained (``pact.auth.TokenSigner``, HMAC-SHA256
under a key derived from the node secret), so every worker process of a node accepts them, and they survive
a restart. Each is bound to its account's password salt, which every password change renews: a change (or
removing the account) revokes every token issued before, in every process, with no list of revoked tokens.
As in the reference's identity provider (Firebase, notes §4.2), access tokens live an hour and refresh
tokens may be used again (the OpenAPI's ``/auth/refresh`` says nothing of single use); ours also expire, after
30 days. Passwords are kept only as PBKDF2-HMAC-SHA256 hashes with their salt and iteration count. A
deployment can plug in its identity provider instead, whose JWTs a verifier would check here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from battrace.apps.pcf.ouranos.store import MemoryTable, Table
from battrace.apps.pcf.pact.auth import TokenSigner
from battrace.clock import Clock, system_clock
from battrace.errors import Unauthenticated


class Authenticator(Protocol):
    def check_api_key(self, key: str) -> bool: ...
    def operator_for(self, access_token: str) -> str | None: ...
    def login(self, account_id: str, password: str) -> tuple[str, str]: ...
    def refresh(self, refresh_token: str) -> str | None: ...
    def change_password(self, operator_id: str, new_password: str) -> None: ...


@dataclass(frozen=True)
class Account:
    account_id: str
    operator_id: str
    salt: bytes
    password_hash: bytes
    iterations: int


PBKDF2_ITERATIONS = 600_000  # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256
ACCESS_LIFETIME = timedelta(hours=1)  # a Firebase ID token's
REFRESH_LIFETIME = timedelta(days=30)


class MemoryAuthenticator:
    """``secret``: the node's (``Node.session_secret``), the same in every worker; without one the instance
    draws its own key and its tokens are valid in it only."""

    def __init__(
        self,
        api_keys: Iterable[str],
        *,
        iterations: int = PBKDF2_ITERATIONS,
        accounts: Table[str, Account] | None = None,
        secret: bytes | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._iterations = iterations
        self._api_keys = frozenset(api_keys)
        self._accounts: Table[str, Account] = accounts if accounts is not None else MemoryTable()
        secret = secret or secrets.token_bytes(32)
        self._access = TokenSigner(secret, "ouranos access token")
        self._refresh = TokenSigner(secret, "ouranos refresh token")
        self._clock = clock

    def add_account(self, account_id: str, password: str, operator_id: str) -> None:
        salt = secrets.token_bytes(16)
        hashed = _hash(password, salt, self._iterations)
        self._accounts.put(account_id, Account(account_id, operator_id, salt, hashed, self._iterations))

    def has_account(self, account_id: str) -> bool:
        return self._accounts.get(account_id) is not None

    def check_api_key(self, key: str) -> bool:
        return any(hmac.compare_digest(key.encode(), known.encode()) for known in self._api_keys)

    def operator_for(self, access_token: str) -> str | None:
        account = self._holder(self._access, access_token)
        return None if account is None else account.operator_id

    def login(self, account_id: str, password: str) -> tuple[str, str]:
        account = self._accounts.get(account_id)
        # hash even for an unknown account so that timing does not tell which accounts exist
        salt, iterations = (account.salt, account.iterations) if account else (b"\0" * 16, self._iterations)
        matches = hmac.compare_digest(
            _hash(password, salt, iterations), account.password_hash if account else b""
        )
        if account is None or not matches:
            raise Unauthenticated("Invalid credentials")
        now = self._clock()
        subject, salt = account.account_id, account.salt
        refresh = self._refresh.issue(subject, now + REFRESH_LIFETIME, bound=salt)
        return self._access.issue(subject, now + ACCESS_LIFETIME, bound=salt), refresh

    def refresh(self, refresh_token: str) -> str | None:
        account = self._holder(self._refresh, refresh_token)
        if account is None:
            return None
        return self._access.issue(account.account_id, self._clock() + ACCESS_LIFETIME, bound=account.salt)

    def _holder(self, signer: TokenSigner, token: str) -> Account | None:
        """The account of an unexpired token issued since its last password change."""
        account_id = signer.subject_of(token)
        account = None if account_id is None else self._accounts.get(account_id)
        if account is None:
            return None
        claims = signer.verify(token, bound=account.salt)
        return account if claims is not None and claims.expires_at > self._clock() else None

    def change_password(self, operator_id: str, new_password: str) -> None:
        for account in self._accounts.values():
            if account.operator_id == operator_id:
                salt = secrets.token_bytes(16)
                hashed = _hash(new_password, salt, self._iterations)
                changed = replace(account, salt=salt, password_hash=hashed, iterations=self._iterations)
                self._accounts.put(account.account_id, changed)


def _hash(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
