"""Authentication of the Ouranos API (OpenAPI ``securitySchemes``): an ``apiKey`` header issued by the
platform on every call, then ``POST /auth/login`` → bearer access token (``Authorization: Bearer``).

``Authenticator`` is what the router needs; ``MemoryAuthenticator`` keeps opaque random tokens in memory (a
restart logs everybody out: clients log in again, as after an expired token) and the accounts in a table — in
memory by default, or the node's ``documents.DocumentStore.accounts`` so that accounts survive a restart.
Passwords are kept only as PBKDF2-HMAC-SHA256 hashes with their salt and iteration count. A deployment can
plug in its identity provider instead — the reference uses Firebase (notes §4.2), whose JWTs a verifier would
check here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from battrace.apps.pcf.ouranos.store import MemoryTable, Table
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


class MemoryAuthenticator:
    def __init__(
        self,
        api_keys: Iterable[str],
        *,
        iterations: int = PBKDF2_ITERATIONS,
        accounts: Table[str, Account] | None = None,
    ) -> None:
        self._iterations = iterations
        self._api_keys = frozenset(api_keys)
        self._accounts: Table[str, Account] = accounts if accounts is not None else MemoryTable()
        self._access: dict[str, str] = {}  # token → operator id
        self._refresh: dict[str, str] = {}
        self._lock = threading.Lock()

    def add_account(self, account_id: str, password: str, operator_id: str) -> None:
        salt = secrets.token_bytes(16)
        hashed = _hash(password, salt, self._iterations)
        self._accounts.put(account_id, Account(account_id, operator_id, salt, hashed, self._iterations))

    def has_account(self, account_id: str) -> bool:
        return self._accounts.get(account_id) is not None

    def check_api_key(self, key: str) -> bool:
        return any(hmac.compare_digest(key.encode(), known.encode()) for known in self._api_keys)

    def operator_for(self, access_token: str) -> str | None:
        return self._access.get(access_token)

    def login(self, account_id: str, password: str) -> tuple[str, str]:
        account = self._accounts.get(account_id)
        # hash even for an unknown account so that timing does not tell which accounts exist
        salt, iterations = (account.salt, account.iterations) if account else (b"\0" * 16, self._iterations)
        matches = hmac.compare_digest(
            _hash(password, salt, iterations), account.password_hash if account else b""
        )
        if account is None or not matches:
            raise Unauthenticated("Invalid credentials")
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = account.operator_id
            self._refresh[refresh] = account.operator_id
        return access, refresh

    def refresh(self, refresh_token: str) -> str | None:
        operator_id = self._refresh.get(refresh_token)
        if operator_id is None:
            return None
        access = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = operator_id
        return access

    def change_password(self, operator_id: str, new_password: str) -> None:
        for account in self._accounts.values():
            if account.operator_id == operator_id:
                salt = secrets.token_bytes(16)
                hashed = _hash(new_password, salt, self._iterations)
                changed = replace(account, salt=salt, password_hash=hashed, iterations=self._iterations)
                self._accounts.put(account.account_id, changed)


def _hash(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
