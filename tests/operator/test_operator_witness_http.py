"""The witness over HTTP: the operator's /space/witness routes, and a node's POST /log/cosignatures, which
keeps a cosignature only from a witness its data spaces' operators name in their DID documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from operator_support import FakeClock, counter_ids, offline
from test_operator_witness_fakes import FakeMember, FakeMembers, enrol

from battrace.connector.config import NodeSettings
from battrace.connector.node import Node
from battrace.connector.urls import check_peer_url
from battrace.errors import InvalidInput
from battrace.http.app import create_app as node_app
from battrace.identity import DidResolutionError, DidResolver, static_fetcher
from battrace.identity.did import did_web_document_url
from battrace.ledger.note import Checkpoint, CosignatureSigner, NoteSigner, cosign, split_note
from battrace.operator import SpaceOperator, init_space
from battrace.operator.http import create_app
from battrace.operator.witness import (
    MAX_CHECKPOINT_BYTES,
    HttpMembers,
    MemberUnreachable,
    Witness,
    witness_name,
    witness_signer,
)

SPACE_URL = "http://127.0.0.1:8301"
OTHER_SPACE_URL = "http://127.0.0.1:8302"
API_KEY = "witness-test-key"
CELL = "did:web:cell.example"


def operator_of(root: Path, url: str, clock: FakeClock) -> SpaceOperator:
    init_space(root, name=root.name, public_url=url, api_key=API_KEY, clock=clock)
    return SpaceOperator(root, clock=clock, ids=counter_ids("c"), resolve=offline, download=offline)


# ---- the operator's routes ------------------------------------------------------------------------------


@dataclass
class OperatorApp:
    client: TestClient
    member: FakeMember


@pytest.fixture
def operator_app(tmp_path: Path) -> Iterator[OperatorApp]:
    clock = FakeClock()
    operator = operator_of(tmp_path / "eu", SPACE_URL, clock)
    members = FakeMembers()
    member = members.add(FakeMember(CELL, "cell.example/log"))
    enrol(operator.files.root, member)
    witness = Witness(operator.files, members, clock=clock, ids=counter_ids("d"))
    with TestClient(create_app(operator, witness), raise_server_exceptions=False) as client:
        yield OperatorApp(client, member)


def test_a_round_on_demand_needs_the_api_key(operator_app: OperatorApp) -> None:
    refused = operator_app.client.post("/space/witness/poll")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert operator_app.member.received == []


def test_the_members_their_checkpoints_and_the_alarms_are_public(operator_app: OperatorApp) -> None:
    client, member = operator_app.client, operator_app.member
    assert client.get("/space/witness").json() == [
        {
            "did": CELL,
            "status": "pending",
            "polledAt": None,
            "checkpoint": None,
            "cosigned": False,
            "error": None,
        }
    ]
    member.append(4)
    polled = client.post("/space/witness/poll", headers={"X-Api-Key": API_KEY})
    assert polled.status_code == 200
    assert [(m["did"], m["status"]) for m in polled.json()["members"]] == [(CELL, "ok")]
    (listed,) = client.get("/space/witness").json()
    assert listed["checkpoint"]["size"] == 4 and listed["cosigned"] is True
    member.entries = member.entries[:2]
    client.post("/space/witness/poll", headers={"X-Api-Key": API_KEY})
    (alarm,) = client.get("/space/witness/alarms").json()
    assert alarm["kind"] == "shrink" and alarm["member"] == CELL


def test_the_operator_did_document_names_the_witness_key(operator_app: OperatorApp) -> None:
    document = operator_app.client.get("/.well-known/did.json").json()
    (service,) = [s for s in document["service"] if s["type"] == "TransparencyWitness"]
    assert service["cosignatureVkey"].startswith(witness_name(SPACE_URL) + "+")
    assert service["serviceEndpoint"] == SPACE_URL + "/space/witness"


def test_an_operator_without_a_witness_answers_404_problems(tmp_path: Path) -> None:
    operator = operator_of(tmp_path / "eu", SPACE_URL, FakeClock())
    with TestClient(create_app(operator), raise_server_exceptions=False) as client:
        assert client.get("/space/witness").status_code == 404
        assert client.get("/space/witness/alarms").status_code == 404
        assert client.post("/space/witness/poll", headers={"X-Api-Key": API_KEY}).status_code == 404


# ---- the node's POST /log/cosignatures ------------------------------------------------------------------


@dataclass
class Member:
    node: Node
    client: TestClient
    space: SpaceOperator  # the space the node belongs to
    foreign: SpaceOperator  # a space it does not belong to

    def signed_checkpoint(self, entries: int) -> str:
        self.node.log.append_many([("test.event", {"n": i}) for i in range(entries)])
        return self.node.log.checkpoint()

    def witness_of(self, space: SpaceOperator) -> CosignatureSigner:
        return witness_signer(space.files, space.config)

    def deliver(self, cosigned: object) -> tuple[int, dict[str, object]]:
        response = self.client.post("/log/cosignatures", json={"cosigned": cosigned})
        return response.status_code, response.json()

    def stored(self, size: int) -> str:
        return str(self.client.get(f"/log/checkpoints/{size}").text)


@pytest.fixture
def member(tmp_path: Path) -> Iterator[Member]:
    clock = FakeClock()
    space = operator_of(tmp_path / "eu", SPACE_URL, clock)
    foreign = operator_of(tmp_path / "jp", OTHER_SPACE_URL, clock)
    settings = NodeSettings(
        name="cell", port=8799, data_dir=tmp_path / "node", api_key="k", dev=True, spaces=(SPACE_URL,)
    )
    node = Node(settings)
    documents = {
        did_web_document_url(s.config.operator_did, allow_http=True): s.operator_document()
        for s in (space, foreign)
    }
    node.resolver = DidResolver(static_fetcher(documents), clock=node.ctx.clock, allow_http=True)
    with TestClient(node_app(node), raise_server_exceptions=False) as client:
        yield Member(node, client, space, foreign)


def test_a_cosignature_from_our_space_witness_is_kept_beside_our_signature(member: Member) -> None:
    note = member.signed_checkpoint(5)
    witness = member.witness_of(member.space)
    status, body = member.deliver(cosign(note, witness, 1_780_000_000))
    assert (status, body) == (200, {"size": 5, "witness": witness.name})
    stored = member.stored(5)
    _, signatures = split_note(stored)
    assert [s.name for s in signatures] == [member.node.log.origin, witness.name]
    assert member.deliver(cosign(note, witness, 1_780_000_000))[0] == 200  # idempotent
    assert member.stored(5) == stored


def test_a_cosignature_from_a_space_we_do_not_belong_to_is_refused(member: Member) -> None:
    note = member.signed_checkpoint(3)
    status, body = member.deliver(cosign(note, member.witness_of(member.foreign), 1_780_000_000))
    assert status == 403 and "witness" in str(body["detail"])
    assert len(split_note(member.stored(3))[1]) == 1


def test_a_cosignature_under_the_witness_name_with_another_key_is_refused(member: Member) -> None:
    note = member.signed_checkpoint(3)
    name = witness_name(SPACE_URL)
    forged = cosign(note, CosignatureSigner(name, Ed25519PrivateKey.generate()), 1_780_000_000)
    assert member.deliver(forged)[0] == 403


def test_a_cosigned_checkpoint_that_is_not_ours_is_a_conflict(member: Member) -> None:
    note = member.signed_checkpoint(3)
    text, _ = split_note(note)
    other = Checkpoint(member.node.log.origin, 3, bytes(32)).text()
    assert other != text
    # the witness cosigned another history of our size (a split view made by someone in our name)
    forged = other + "\n" + note[len(text) + 1 :]
    assert member.deliver(cosign(forged, member.witness_of(member.space), 1_780_000_000))[0] == 409


def test_a_cosigned_checkpoint_of_a_size_we_never_signed_is_not_found(member: Member) -> None:
    member.signed_checkpoint(3)
    text = Checkpoint(member.node.log.origin, 99, bytes(32)).text()
    note = NoteSigner("someone.example/log", Ed25519PrivateKey.generate()).sign(text)
    assert member.deliver(cosign(note, member.witness_of(member.space), 1_780_000_000))[0] == 404


@pytest.mark.parametrize("body", [{"cosigned": 5}, {"note": "x"}, {"cosigned": "not a note"}])
def test_a_malformed_cosignature_is_a_bad_request(member: Member, body: dict[str, object]) -> None:
    assert member.client.post("/log/cosignatures", json=body).status_code == 400


def test_a_node_in_no_space_accepts_no_witness(tmp_path: Path) -> None:
    space = operator_of(tmp_path / "eu", SPACE_URL, FakeClock())
    node = Node(NodeSettings(name="solo", port=8798, data_dir=tmp_path / "solo", api_key="k", dev=True))
    with TestClient(node_app(node), raise_server_exceptions=False) as client:
        node.log.append_many([("test.event", {"n": 1})])
        note = cosign(node.log.checkpoint(), witness_signer(space.files, space.config), 1_780_000_000)
        assert client.post("/log/cosignatures", json={"cosigned": note}).status_code == 403


# ---- the members over HTTP ------------------------------------------------------------------------------

LOG = "https://cell.example/log"


def http_members(handler: Callable[[httpx.Request], httpx.Response], *, dev: bool = True) -> HttpMembers:
    document = {
        "id": CELL,
        "service": [
            {"type": "TransparencyLog", "serviceEndpoint": LOG, "vkey": "v", "cosignatureVkey": "c"},
        ],
    }

    def resolve(did: str) -> dict[str, Any]:
        if did != CELL:
            raise DidResolutionError(f"no DID document for {did}")
        return document

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return HttpMembers(http, resolve, check_url=lambda url: check_peer_url(url, dev=dev, resolve=False))


def answer(status: int, content: bytes = b"") -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, content=content)


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def test_member_logs_are_found_through_their_did_documents() -> None:
    members = http_members(answer(200))
    assert members.log_of(CELL).endpoint == LOG
    with pytest.raises(MemberUnreachable):
        members.log_of("did:web:gone.example")


def test_a_member_log_on_a_private_address_is_refused_outside_dev() -> None:
    def resolve(did: str) -> dict[str, Any]:
        log_service = {"type": "TransparencyLog", "serviceEndpoint": "https://10.0.0.5/log"}
        return {"id": did, "service": [{**log_service, "vkey": "v", "cosignatureVkey": "c"}]}

    http = httpx.Client(transport=httpx.MockTransport(answer(200)))
    members = HttpMembers(http, resolve, check_url=lambda url: check_peer_url(url, dev=False))
    with pytest.raises(InvalidInput, match="non-public"):
        members.log_of(CELL)


def test_checkpoints_are_read_within_limits() -> None:
    assert http_members(answer(200, b"cell.example/log\n0\n")).checkpoint(LOG) == "cell.example/log\n0\n"
    with pytest.raises(InvalidInput, match="500"):
        http_members(answer(500)).checkpoint(LOG)
    with pytest.raises(InvalidInput, match="more than"):
        http_members(answer(200, b"x" * (MAX_CHECKPOINT_BYTES + 1))).checkpoint(LOG)
    with pytest.raises(MemberUnreachable):
        http_members(refuse).checkpoint(LOG)


def test_consistency_proofs_must_be_lists_of_canonical_base64_hashes() -> None:
    seen: list[str] = []

    def proof(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"hashes": ["AAAA"]})

    assert http_members(proof).consistency(LOG, 3, 7) == [b"\0\0\0"]
    assert seen == [LOG + "/proof/consistency?first=3&second=7"]
    for body in (b"not json", b'{"hashes": "AAAA"}', b'{"hashes": [1]}', b'{"hashes": ["AAB="]}', b"[]"):
        with pytest.raises(InvalidInput):
            http_members(answer(200, body)).consistency(LOG, 3, 7)


def test_a_cosignature_the_member_refuses_is_not_delivered() -> None:
    posted: list[Any] = []

    def accept(request: httpx.Request) -> httpx.Response:
        posted.append((str(request.url), request.read()))
        return httpx.Response(200, json={})

    http_members(accept).deliver(LOG, "note\n")
    assert posted == [(LOG + "/cosignatures", b'{"cosigned":"note\\n"}')]
    with pytest.raises(MemberUnreachable, match="403"):
        http_members(answer(403, b"forbidden")).deliver(LOG, "note\n")
    with pytest.raises(MemberUnreachable):
        http_members(refuse).deliver(LOG, "note\n")


# ---- battrace space witness -----------------------------------------------------------------------------


def test_the_cli_lists_alarms_and_fails_while_there_are_any(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from battrace.cli_space import app as space_cli

    clock = FakeClock()
    operator = operator_of(tmp_path / "eu", SPACE_URL, clock)
    runner = CliRunner()
    quiet = runner.invoke(space_cli, ["witness", "--dir", str(operator.files.root), "--alarms"])
    assert quiet.exit_code == 0 and quiet.stdout.strip() == "[]"

    members = FakeMembers()
    member = members.add(FakeMember(CELL, "cell.example/log"))
    enrol(operator.files.root, member)
    witness = Witness(operator.files, members, clock=clock, ids=counter_ids("e"))
    member.append(3)
    witness.poll_once()
    member.entries = member.entries[:1]
    witness.poll_once()
    listed = runner.invoke(space_cli, ["witness", "--dir", str(operator.files.root), "--alarms"])
    assert listed.exit_code == 1
    assert '"kind": "shrink"' in listed.stdout and CELL in listed.stdout
