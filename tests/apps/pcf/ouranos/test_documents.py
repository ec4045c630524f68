"""The Ouranos tables on the node's database (``DocumentStore``): a call's writes are atomic, every change is
logged with ids and SHA-256 only, numbers come back exactly, and rows and accounts survive a restart.
(The service's behaviour on this store is covered by running test_service and test_http on both stores.)"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from battrace.apps.pcf.ouranos.auth import MemoryAuthenticator
from battrace.apps.pcf.ouranos.model import PartsStructureModel
from battrace.apps.pcf.ouranos.service import OuranosService
from battrace.apps.pcf.ouranos.store import Cfp, Stage
from battrace.connector.node import Node
from battrace.errors import InvalidInput, Unauthenticated

from .conftest import API_KEY, PASSWORD, A, World, clock, document_store, ids, make_world, node_at, part
from .test_service import trade_flow

UNKNOWN_PLANT = "99999999-0000-4000-8000-000000000099"


def _ouranos_entries(node: Node, since: int) -> list[dict[str, object]]:
    entries = node.log.entries(since, node.log.size())
    return [dict(e.payload) for e in entries if e.kind.startswith("ouranos.")]


def test_a_structure_call_that_fails_on_its_last_child_leaves_nothing_behind(world: World) -> None:
    structure = PartsStructureModel(
        parentPartsModel=part(A, world.plant(A), "CELL-01"),
        childrenPartsModel=[
            part(A, world.plant(A), "CATHODE-IN", amount=3.0, unit="kilogram"),
            part(A, UNKNOWN_PLANT, "ANODE-IN", amount=1.0, unit="kilogram"),  # refused after two saves
        ],
    )
    with pytest.raises(InvalidInput), world.service.store.unit_of_work():
        world.service.put_parts_structure(A, structure)
    assert world.service.list_parts(A) == []


def test_every_change_is_logged_with_ids_and_digests_only(tmp_path: Path) -> None:
    node = node_at(tmp_path / "node")
    world = make_world(document_store(node))
    since = node.log.size()
    with world.service.store.unit_of_work():
        saved = world.service.put_parts(A, part(A, world.plant(A), "CELL-01"))
    entries = _ouranos_entries(node, since)
    assert [e["kind"] for e in entries] == ["ouranos.part"]
    assert entries[0]["id"] == saved.traceId
    assert set(entries[0]) == {"v", "kind", "ts", "id", "sha256"}  # no part name, no operator
    node.store.dispose()


def test_a_failed_call_logs_nothing(tmp_path: Path) -> None:
    node = node_at(tmp_path / "node")
    world = make_world(document_store(node))
    since = node.log.size()
    with pytest.raises(InvalidInput), world.service.store.unit_of_work():
        world.service.put_parts(A, part(A, world.plant(A), "CELL-01"))
        raise InvalidInput("the caller gives up after the first write")
    assert _ouranos_entries(node, since) == []
    assert world.service.list_parts(A) == []
    node.store.dispose()


def test_registered_values_come_back_exactly(tmp_path: Path) -> None:
    node = node_at(tmp_path / "node")
    store = document_store(node)
    # more places than a JSON double holds: an imported supplier total is kept as given
    exact = Decimal("12.345678901234567890123")
    cfp = Cfp(
        cfp_id="c",
        trace_id="t",
        unit="kgCO2e/unit",
        pre=Stage(exact, Decimal(0), (Decimal("2.5"), None, Decimal(1))),
        main=Stage(Decimal("0.00001"), Decimal("7"), (None, None, None)),
    )
    store.cfps.put("t", cfp)
    assert store.cfps.get("t") == cfp
    node.store.dispose()


def test_parts_trades_cfps_and_accounts_survive_a_restart(tmp_path: Path) -> None:
    first = node_at(tmp_path / "node")
    world = make_world(document_store(first))
    flow = trade_flow(world)
    before = world.service.get_cfp(A, [flow["cell"], flow["child"]])
    first.store.dispose()

    again = node_at(tmp_path / "node")
    store = document_store(again)
    service = OuranosService(store, clock=clock, new_id=ids())
    assert service.get_cfp(A, [flow["cell"], flow["child"]]) == before
    assert [t.tradeId for t in service.list_trade_requests(A)] == [flow["trade"]]
    auth = MemoryAuthenticator([API_KEY], iterations=1_000, accounts=store.accounts)
    access, _ = auth.login("1000000000001@example.com", PASSWORD)  # tokens are not kept: log in again
    assert auth.operator_for(access) == A
    with pytest.raises(Unauthenticated):
        auth.login("1000000000001@example.com", "not-the-password")
    again.store.dispose()


def test_the_password_is_stored_only_as_a_salted_hash(tmp_path: Path) -> None:
    node = node_at(tmp_path / "node")
    store = document_store(node)
    make_world(store)
    account = store.accounts.get("1000000000001@example.com")
    assert account is not None and account.operator_id == A
    assert PASSWORD.encode() not in account.password_hash and len(account.salt) == 16
    node.store.dispose()
