"""A real operator process on loopback (OperatorProcess): certification, verification over real HTTP,
revocation by the CLI beside the running server, and a crash (kill -9) that loses nothing."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from battrace.clock import system_clock
from battrace.operator import SpaceClient, http_download, http_resolver, trust_predicate
from battrace.operator.devnet import OperatorProcess
from battrace.trust import (
    CredentialForbidden,
    StatusCache,
    decode_credential_jwt,
    status_fetcher,
    verify_credential,
)

pytestmark = pytest.mark.integration
HOLDER = "did:web:cellmaker.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def operator(tmp_path: Path) -> Iterator[OperatorProcess]:
    process = OperatorProcess("eu-battery", free_port(), tmp_path).start()
    try:
        yield process
    finally:
        process.stop()


def verify(http: httpx.Client, client: SpaceClient, token: str) -> None:
    resolver = http_resolver(http, clock=system_clock, dev=True)
    fetch = status_fetcher(http_download(http), issuer_document_for=resolver.resolve, clock=system_clock)
    verify_credential(
        token,
        issuer_document_for=resolver.resolve,
        is_trusted=trust_predicate(client.trust_view(resolver)),
        status=StatusCache(fetch, clock=system_clock, max_age=timedelta(0)),
        holder=HOLDER,
        now=system_clock(),
    )


def test_a_real_operator_certifies_and_honours_a_revocation_made_by_the_cli(
    operator: OperatorProcess,
) -> None:
    with httpx.Client() as http:
        client = SpaceClient(operator.base_url, http, operator.api_key)
        [token] = client.certify({"participant": HOLDER, "name": "Cell Maker", "types": ["Membership"]})
        verify(http, client, token)
        assert decode_credential_jwt(token).credential.issuer == operator.certification_did

        jti = str(decode_credential_jwt(token).credential.id)
        command = [sys.executable, "-m", "battrace.cli_space", "revoke", "--dir", str(operator.space_dir)]
        done = subprocess.run([*command, "--credential", jti], capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr

        with pytest.raises(CredentialForbidden) as refused:
            verify(http, client, token)
        assert refused.value.reason == "revoked"


def test_a_killed_operator_restarts_with_the_same_identity_and_state(operator: OperatorProcess) -> None:
    with httpx.Client() as http:
        client = SpaceClient(operator.base_url, http, operator.api_key)
        [token] = client.certify({"participant": HOLDER, "name": "Cell Maker", "types": ["Membership"]})
        client.revoke(str(decode_credential_jwt(token).credential.id))
        document = http.get(operator.base_url + "/.well-known/did.json").json()
        operator.kill()
        operator.start()
        assert http.get(operator.base_url + "/.well-known/did.json").json() == document
        assert client.directory()[0]["did"] == HOLDER
        with pytest.raises(CredentialForbidden):
            verify(http, client, token)


def space_cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "battrace.cli_space", *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_stopped_operator_recognises_and_withdraws_through_the_cli(
    operator: OperatorProcess, tmp_path: Path
) -> None:
    eu = tmp_path / "eu"
    space_cli("init", "eu-battery", "--dir", str(eu), "--public-url", f"http://127.0.0.1:{free_port()}")
    trust_list = f"{operator.base_url}/space/trust-list"
    recognition = space_cli(
        "recognize", "--dir", str(eu), "--foreign-operator", operator.did,
        "--foreign-trust-list-url", trust_list, "--type", "Membership", "--valid-days", "30",
    ).strip()  # fmt: skip
    space_cli("withdraw", "--dir", str(eu), "--recognition", recognition, "--reason", "test")
    [record] = json.loads((eu / "recognitions.json").read_text())
    assert record["id"] == recognition
    assert record["foreignOperatorDid"] == operator.did
    assert record["withdrawal"] is not None
