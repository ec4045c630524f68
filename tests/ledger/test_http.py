"""The /log HTTP endpoints: C2SP-style bodies that verify, and 400 problem documents for bad parameters."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from battrace.http.common import install_error_handlers
from battrace.ledger.http import log_router
from battrace.ledger.log import TransparencyLog
from battrace.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from battrace.ledger.note import NoteSigner, NoteVerifier, open_checkpoint
from battrace.store import Store

ORIGIN = "provider.example/basc-log"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def log(store: Store) -> TransparencyLog:
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
    log = TransparencyLog(store, signer, origin=ORIGIN, clock=lambda: T0)
    log.append_many(("test.event", {"n": i}) for i in range(10))
    return log


@pytest.fixture
def client(log: TransparencyLog) -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(log_router(log))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def unb64(values: list[str]) -> list[bytes]:
    return [base64.b64decode(v, validate=True) for v in values]


def test_the_checkpoint_is_a_signed_note_in_plain_text(client: TestClient, log: TransparencyLog) -> None:
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    checkpoint = open_checkpoint(response.text, [NoteVerifier.from_vkey(log.vkey)])
    assert (checkpoint.origin, checkpoint.size) == (ORIGIN, 10)


def test_an_inclusion_proof_over_http_verifies_against_the_checkpoint(
    client: TestClient, log: TransparencyLog
) -> None:
    checkpoint = open_checkpoint(client.get("/log/checkpoint").text, [NoteVerifier.from_vkey(log.vkey)])
    body = client.get("/log/proof/inclusion", params={"leaf_index": 6, "tree_size": 10}).json()
    assert (body["leaf_index"], body["tree_size"]) == (6, 10)
    leaf = base64.b64decode(
        client.get("/log/entries", params={"start": 6, "end": 7}).json()["entries"][0]["leaf_hash"]
    )
    assert verify_inclusion(6, 10, leaf, unb64(body["hashes"]), checkpoint.root)


def test_a_consistency_proof_over_http_verifies_between_two_checkpoints(
    client: TestClient, log: TransparencyLog
) -> None:
    verifier = NoteVerifier.from_vkey(log.vkey)
    old = open_checkpoint(client.get("/log/checkpoint").text, [verifier])
    log.append_many(("test.event", {"n": i}) for i in range(10, 13))
    new = open_checkpoint(client.get("/log/checkpoint").text, [verifier])
    body = client.get("/log/proof/consistency", params={"first": 10, "second": 13}).json()
    assert (body["first"], body["second"]) == (10, 13)
    assert verify_consistency(10, 13, old.root, new.root, unb64(body["hashes"]))


def test_entries_carry_their_payload_and_a_leaf_hash_that_matches_it(client: TestClient) -> None:
    body = client.get("/log/entries", params={"start": 8, "end": 50}).json()
    assert [e["index"] for e in body["entries"]] == [8, 9]
    entry = body["entries"][0]
    assert entry["payload"] == {"v": 1, "kind": "test.event", "ts": "2026-03-01T12:00:00Z", "n": 8}
    data = b'{"kind":"test.event","n":8,"ts":"2026-03-01T12:00:00Z","v":1}'
    assert base64.b64decode(entry["leaf_hash"]) == leaf_hash(data)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/log/proof/inclusion", {"leaf_index": 10, "tree_size": 10}),
        ("/log/proof/inclusion", {"leaf_index": 0, "tree_size": 11}),
        ("/log/proof/inclusion", {"leaf_index": -1, "tree_size": 5}),
        ("/log/proof/inclusion", {"leaf_index": "x", "tree_size": 5}),
        ("/log/proof/inclusion", {"leaf_index": 2**70, "tree_size": 5}),
        ("/log/proof/inclusion", {"tree_size": 5}),
        ("/log/proof/consistency", {"first": 5, "second": 4}),
        ("/log/proof/consistency", {"first": 0, "second": 4}),
        ("/log/proof/consistency", {"first": 3, "second": 99}),
        ("/log/proof/consistency", {"first": "", "second": 4}),
        ("/log/entries", {"start": 5, "end": 4}),
        ("/log/entries", {"start": -5, "end": 4}),
        ("/log/entries", {"start": "1.5", "end": 4}),
    ],
)
def test_bad_parameters_are_400_problem_documents(
    client: TestClient, path: str, params: dict[str, object]
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 400
