"""The node's wallet: credentials issued to this node, persisted atomically, selected by DCP scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from battrace.errors import InvalidInput
from battrace.http.common import install_error_handlers
from battrace.trust.dcp import Scope
from battrace.trust.http import wallet_router
from battrace.trust.wallet import Wallet

from .test_claims_world import CERTIFICATION, HOLDER, MEMBERSHIP, OTHER, ROLES, World

API_KEY = "s3cret-key"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_added_credentials_survive_a_restart(world: World, tmp_path: Path) -> None:
    membership = world.credential(MEMBERSHIP)
    entry = world.wallet.add(membership)
    reopened = Wallet(tmp_path / "credentials", HOLDER)
    assert [e.held.token for e in reopened.all()] == [membership]
    assert entry.issuer == "did:web:issuer.example"
    files = sorted(p.name for p in (tmp_path / "credentials").iterdir())
    assert files == [f"{entry.key}.jwt"]  # no temporary file left behind


def test_the_same_credential_twice_is_one_entry(world: World) -> None:
    token = world.credential(MEMBERSHIP)
    world.wallet.add(token)
    world.wallet.add(token + "\n")
    assert len(world.wallet.all()) == 1


def test_a_credential_for_another_did_is_refused_and_not_stored(world: World) -> None:
    with pytest.raises(InvalidInput, match="not to this node"):
        world.wallet.add(world.credential(MEMBERSHIP, holder=OTHER))
    assert world.wallet.all() == ()


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "x" * 70_000])
def test_something_that_is_not_a_credential_is_refused(world: World, token: str) -> None:
    with pytest.raises(InvalidInput):
        world.wallet.add(token)


def test_select_by_type_and_by_id(world: World) -> None:
    membership = world.credential(MEMBERSHIP)
    certification = world.credential(CERTIFICATION)
    world.wallet.add(membership)
    world.wallet.add(certification)
    by_type = world.wallet.select(["org.eclipse.dspace.dcp.vc.type:ConnectorCertificationCredential:read"])
    assert [c.token for c in by_type] == [certification]
    cert_id = by_type[0].id
    assert cert_id is not None
    by_id = world.wallet.select([f"org.eclipse.dspace.dcp.vc.id:{cert_id}"])
    assert [c.token for c in by_id] == [certification]
    assert world.wallet.select([Scope.for_type("RoleCredential")]) == ()


def test_a_corrupt_or_foreign_file_is_never_served(world: World, tmp_path: Path) -> None:
    world.wallet.add(world.credential(ROLES))
    directory = tmp_path / "credentials"
    (directory / "garbage.jwt").write_text("not a jwt", "ascii")
    (directory / "planted.jwt").write_text(world.credential(MEMBERSHIP, holder=OTHER), "ascii")
    assert [sorted(e.held.types) for e in world.wallet.all()] == [["RoleCredential", "VerifiableCredential"]]


def test_remove(world: World) -> None:
    entry = world.wallet.add(world.credential(ROLES))
    assert world.wallet.remove(entry.key)
    assert not world.wallet.remove(entry.key)
    assert world.wallet.all() == ()
    with pytest.raises(InvalidInput):
        world.wallet.remove("../keys/node-ed25519")


def client(wallet: Wallet) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(wallet_router(wallet, API_KEY))
    return TestClient(app)


def test_management_routes_add_list_and_remove(world: World) -> None:
    http = client(world.wallet)
    headers = {"X-Api-Key": API_KEY}
    token = world.credential(MEMBERSHIP)
    created = http.post("/management/v3/credentials", json={"credential": token}, headers=headers)
    assert created.status_code == 201
    assert created.json()["type"] == ["MembershipCredential", "VerifiableCredential"]
    listed = http.get("/management/v3/credentials", headers=headers).json()
    assert [e["credential"] for e in listed] == [token]
    assert listed[0]["holder"] == [HOLDER]
    gone = http.delete(f"/management/v3/credentials/{listed[0]['key']}", headers=headers)
    assert gone.status_code == 204
    assert http.get("/management/v3/credentials", headers=headers).json() == []


def test_management_refuses_a_credential_for_another_did(world: World) -> None:
    response = client(world.wallet).post(
        "/management/v3/credentials",
        json={"credential": world.credential(MEMBERSHIP, holder=OTHER)},
        headers={"X-Api-Key": API_KEY},
    )
    assert response.status_code == 400
    assert "not to this node" in response.json()["detail"]
    assert world.wallet.all() == ()


@pytest.mark.parametrize("body", [{}, {"credential": 3}, {"jwt": "x"}])
def test_management_refuses_a_body_without_a_credential(world: World, body: dict[str, object]) -> None:
    headers = {"X-Api-Key": API_KEY}
    response = client(world.wallet).post("/management/v3/credentials", json=body, headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "wrong"}])
def test_management_needs_the_api_key(world: World, headers: dict[str, str]) -> None:
    http = client(world.wallet)
    assert http.get("/management/v3/credentials", headers=headers).status_code == 401
    token = world.credential(MEMBERSHIP)
    posted = http.post("/management/v3/credentials", json={"credential": token}, headers=headers)
    assert posted.status_code == 401
    assert world.wallet.all() == ()
