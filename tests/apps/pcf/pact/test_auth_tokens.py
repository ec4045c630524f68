"""PACT access tokens are self-contained (RFC 6749 §4.4 client credentials, RFC 6750 bearer use): any
``ClientCredentials`` built from the same node secret accepts them — every worker process of a node, and the
node after a restart — until they expire; nothing forged, altered or signed by another node gets in."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from battrace.apps.pcf.pact.auth import ClientCredentials, InvalidToken, TokenSigner, basic_header

CLIENTS = {"buyer": "buyer-secret", "auditor": "auditor-secret"}
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _host(secret: bytes, clock: Clock) -> ClientCredentials:
    return ClientCredentials(CLIENTS, clock=clock, secret=secret)


def _token(host: ClientCredentials, client_id: str = "buyer") -> str:
    issued = host.issue(basic_header(client_id, CLIENTS[client_id]), "client_credentials")
    return issued.access_token


def test_a_token_from_one_worker_is_accepted_by_another_built_from_the_same_secret() -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    token = _token(_host(secret, clock))
    assert _host(secret, clock).authenticate(f"Bearer {token}") == "buyer"


def test_a_token_names_the_client_it_was_issued_to() -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    host = _host(secret, clock)
    assert host.authenticate(f"Bearer {_token(host, 'auditor')}") == "auditor"


def test_a_token_is_refused_once_its_hour_is_over() -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    token = _token(_host(secret, clock))
    clock.now = START + timedelta(minutes=59)
    assert _host(secret, clock).authenticate(f"Bearer {token}") == "buyer"
    clock.now = START + timedelta(hours=1)
    with pytest.raises(InvalidToken) as refused:
        _host(secret, clock).authenticate(f"Bearer {token}")
    assert refused.value.expired


def test_a_token_of_another_node_is_refused() -> None:
    clock = Clock()
    token = _token(_host(secrets.token_bytes(32), clock))
    with pytest.raises(InvalidToken) as refused:
        _host(secrets.token_bytes(32), clock).authenticate(f"Bearer {token}")
    assert not refused.value.expired


def test_hosts_without_a_secret_accept_only_their_own_tokens() -> None:
    clock = Clock()
    token = _token(ClientCredentials(CLIENTS, clock=clock))
    with pytest.raises(InvalidToken):
        ClientCredentials(CLIENTS, clock=clock).authenticate(f"Bearer {token}")


def _tampered(token: str) -> list[str]:
    token_id, subject, expiry, mac = token.split(".")
    other = TokenSigner(secrets.token_bytes(32), "pact v3 access token").issue("auditor", START)
    auditor = base64.urlsafe_b64encode(b"auditor").rstrip(b"=").decode()
    return [
        f"{token_id}.{auditor}.{expiry}.{mac}",  # another client
        f"{token_id}.{subject}.{int(expiry) + 86_400}.{mac}",  # a later expiry
        f"{_flip(token_id)}.{subject}.{expiry}.{mac}",
        f"{token_id}.{subject}.{expiry}.{_flip(mac)}",
        f"{token_id}.{subject}.{expiry}",
        f"{token_id}.{subject}.{expiry}.{mac}.",
        f"{token_id}.{other.split('.', 1)[1]}",  # another node's subject, expiry and MAC
        token + "=",
        "",
        "." * 3,
        "x" * 10_000,
    ]


def _flip(part: str) -> str:
    """One character changed (in the middle: a base64url's last character may carry unused bits)."""
    middle = len(part) // 2
    return part[:middle] + ("A" if part[middle] != "A" else "B") + part[middle + 1 :]


def test_tampered_tokens_are_refused_without_an_error() -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    host = _host(secret, clock)
    for forged in _tampered(_token(host)):
        with pytest.raises(InvalidToken):
            host.authenticate(f"Bearer {forged}")


def test_a_token_of_another_purpose_signed_with_the_same_secret_is_refused() -> None:
    secret, clock = secrets.token_bytes(32), Clock()
    other_purpose = TokenSigner(secret, "ouranos access token").issue("buyer", START + timedelta(hours=1))
    with pytest.raises(InvalidToken):
        _host(secret, clock).authenticate(f"Bearer {other_purpose}")


def test_a_short_secret_is_refused_rfc_2104_section_3() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TokenSigner(b"short", "pact v3 access token")


def test_the_signer_reports_an_expired_token_with_its_expiry() -> None:
    signer = TokenSigner(secrets.token_bytes(32), "test")
    token = signer.issue("buyer", START)
    claims = signer.verify(token)
    assert claims is not None and claims.subject == "buyer" and claims.expires_at == START


def test_a_bound_token_is_refused_with_another_binding() -> None:
    signer = TokenSigner(secrets.token_bytes(32), "test")
    token = signer.issue("buyer", START, bound=b"salt-1")
    assert signer.verify(token, bound=b"salt-1") is not None
    assert signer.verify(token, bound=b"salt-2") is None
    assert signer.verify(token) is None
