"""Ouranos access and refresh tokens (``/auth/login``, ``/auth/refresh``) are self-contained: any
``MemoryAuthenticator`` built from the same node secret and accounts accepts them — every worker process of a
node, and the node after a restart. Access tokens live an hour, refresh tokens 30 days and may be used again
(as the reference's Firebase refresh tokens); a password change revokes every token issued before it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from battrace.apps.pcf.ouranos.auth import Account, MemoryAuthenticator
from battrace.apps.pcf.ouranos.store import MemoryTable, Table
from battrace.apps.pcf.pact.auth import TokenSigner

from .conftest import API_KEY, PASSWORD, A, B, document_store, node_at

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ALICE = "1000000000001@example.com"
BOB = "2000000000002@example.com"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _auth(secret: bytes, accounts: Table[str, Account], clock: Clock) -> MemoryAuthenticator:
    return MemoryAuthenticator([API_KEY], iterations=1_000, accounts=accounts, secret=secret, clock=clock)


@pytest.fixture()
def accounts() -> Table[str, Account]:
    table: Table[str, Account] = MemoryTable()
    setup = _auth(secrets.token_bytes(32), table, Clock())
    setup.add_account(ALICE, PASSWORD, A)
    setup.add_account(BOB, PASSWORD, B)
    return table


def test_tokens_from_one_worker_are_accepted_by_another_on_the_same_secret_and_accounts(
    accounts: Table[str, Account],
) -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    access, refresh = _auth(secret, accounts, clock).login(ALICE, PASSWORD)
    other = _auth(secret, accounts, clock)
    assert other.operator_for(access) == A
    renewed = other.refresh(refresh)
    assert renewed is not None and _auth(secret, accounts, clock).operator_for(renewed) == A


def test_tokens_survive_a_restart_of_the_node(tmp_path: Path) -> None:
    first = node_at(tmp_path / "node")
    auth = _auth(first.session_secret, document_store(first).accounts, Clock())
    auth.add_account(ALICE, PASSWORD, A)
    access, refresh = auth.login(ALICE, PASSWORD)
    first.store.dispose()
    again = node_at(tmp_path / "node")
    restarted = _auth(again.session_secret, document_store(again).accounts, Clock())
    assert restarted.operator_for(access) == A
    assert restarted.refresh(refresh) is not None
    again.store.dispose()


def test_an_access_token_is_refused_after_its_hour(accounts: Table[str, Account]) -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    access, refresh = _auth(secret, accounts, clock).login(ALICE, PASSWORD)
    clock.now = START + timedelta(minutes=59)
    assert _auth(secret, accounts, clock).operator_for(access) == A
    clock.now = START + timedelta(hours=1)
    assert _auth(secret, accounts, clock).operator_for(access) is None
    renewed = _auth(secret, accounts, clock).refresh(refresh)  # what the 401 tells a client to do
    assert renewed is not None and _auth(secret, accounts, clock).operator_for(renewed) == A


def test_a_refresh_token_may_be_used_again_until_its_30_days_are_over(accounts: Table[str, Account]) -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    auth = _auth(secret, accounts, clock)
    _, refresh = auth.login(ALICE, PASSWORD)
    assert auth.refresh(refresh) is not None and auth.refresh(refresh) is not None
    clock.now = START + timedelta(days=30)
    assert auth.refresh(refresh) is None


def test_tokens_of_another_node_are_refused(accounts: Table[str, Account]) -> None:
    clock = Clock()
    access, refresh = _auth(secrets.token_bytes(32), accounts, clock).login(ALICE, PASSWORD)
    other_node = _auth(secrets.token_bytes(32), accounts, clock)
    assert other_node.operator_for(access) is None
    assert other_node.refresh(refresh) is None


def test_an_access_token_is_no_refresh_token_and_the_reverse(accounts: Table[str, Account]) -> None:
    auth = _auth(secrets.token_bytes(32), accounts, Clock())
    access, refresh = auth.login(ALICE, PASSWORD)
    assert auth.operator_for(refresh) is None
    assert auth.refresh(access) is None


def test_tampered_tokens_are_refused(accounts: Table[str, Account]) -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    auth = _auth(secret, accounts, clock)
    access, _ = auth.login(ALICE, PASSWORD)
    token_id, subject, expiry, mac = access.split(".")
    bob = TokenSigner(secrets.token_bytes(32), "x").issue(BOB, START).split(".")[1]
    middle = len(mac) // 2
    flipped = mac[:middle] + ("A" if mac[middle] != "A" else "B") + mac[middle + 1 :]
    for forged in (
        f"{token_id}.{bob}.{expiry}.{mac}",  # another account
        f"{token_id}.{subject}.{int(expiry) + 86_400}.{mac}",
        f"{token_id}.{subject}.{expiry}.{flipped}",
        f"{token_id}.{subject}.{expiry}",
        access + "x",
        "",
        "forged",
    ):
        assert auth.operator_for(forged) is None, forged
        assert auth.refresh(forged) is None, forged


def test_a_password_change_revokes_every_earlier_token_in_every_worker(accounts: Table[str, Account]) -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    access, refresh = _auth(secret, accounts, clock).login(ALICE, PASSWORD)
    bob_access, _ = _auth(secret, accounts, clock).login(BOB, PASSWORD)
    _auth(secret, accounts, clock).change_password(A, "new-Secret2")
    other = _auth(secret, accounts, clock)
    assert other.operator_for(access) is None
    assert other.refresh(refresh) is None
    assert other.operator_for(bob_access) == B  # only the changed account's tokens
    fresh, _ = other.login(ALICE, "new-Secret2")
    assert _auth(secret, accounts, clock).operator_for(fresh) == A
