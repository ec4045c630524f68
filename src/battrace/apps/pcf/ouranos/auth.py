"""Authentication of the Ouranos API (OpenAPI ``securitySchemes``): an ``apiKey`` header issued by the
platform on every call, then ``POST /auth/login`` → bearer access token (``Authorization: Bearer``).

``Authenticator`` is what the router needs; ``MemoryAuthenticator`` keeps accounts, keys and opaque random
tokens in memory (a restart logs everybody out). A deployment can plug in its identity provider instead — the
reference uses Firebase (notes §4.2), whose JWTs a verifier would check here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from battrace.errors import Unauthenticated


class Authenticator(Protocol):
    def check_api_key(self, key: str) -> bool: ...
    def operator_for(self, access_token: str) -> str | None: ...
    def login(self, account_id: str, password: str) -> tuple[str, str]: ...
    def refresh(self, refresh_token: str) -> str | None: ...
    def change_password(self, operator_id: str, new_password: str) -> None: ...


@dataclass
class _Account:
    operator_id: str
    password_hash: bytes
    salt: bytes


PBKDF2_ITERATIONS = 600_000  # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256


class MemoryAuthenticator:
    def __init__(self, api_keys: Iterable[str], *, iterations: int = PBKDF2_ITERATIONS) -> None:
        self._iterations = iterations
        self._api_keys = frozenset(api_keys)
        self._accounts: dict[str, _Account] = {}
        self._access: dict[str, str] = {}  # token → operator id
        self._refresh: dict[str, str] = {}
        self._lock = threading.Lock()

    def add_account(self, account_id: str, password: str, operator_id: str) -> None:
        salt = secrets.token_bytes(16)
        self._accounts[account_id] = _Account(operator_id, self._hash(password, salt), salt)

    def _hash(self, password: str, salt: bytes) -> bytes:
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, self._iterations)

    def check_api_key(self, key: str) -> bool:
        return any(hmac.compare_digest(key.encode(), known.encode()) for known in self._api_keys)

    def operator_for(self, access_token: str) -> str | None:
        return self._access.get(access_token)

    def login(self, account_id: str, password: str) -> tuple[str, str]:
        account = self._accounts.get(account_id)
        # hash even for an unknown account so that timing does not tell which accounts exist
        salt = account.salt if account else b"\0" * 16
        matches = hmac.compare_digest(self._hash(password, salt), account.password_hash if account else b"")
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
                account.salt = secrets.token_bytes(16)
                account.password_hash = self._hash(new_password, account.salt)
