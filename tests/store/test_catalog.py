"""Store contract: assets with content, policy definitions, contract definitions (every backend)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from battrace.errors import Conflict, InvalidInput
from battrace.store import Store

from .factories import asset, content, contract_definition, policy


def test_asset_and_content_round_trip(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_asset(asset(), content())
    with store.read() as tx:
        assert tx.get_asset("urn:uuid:asset-1") == asset()
        assert tx.get_asset_content("urn:uuid:asset-1") == content()


def test_asset_without_content_has_no_content(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_asset(asset())
    with store.read() as tx:
        assert tx.get_asset_content("urn:uuid:asset-1") is None
        assert tx.get_asset("missing") is None


def test_duplicate_asset_id_is_a_conflict_and_keeps_the_original(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_asset(asset(), content(data=b"original"))
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.add_asset(replace(asset(), properties={"name": "impostor"}), content(data=b"impostor"))
    with store.read() as tx:
        assert tx.get_asset("urn:uuid:asset-1") == asset()
        found = tx.get_asset_content("urn:uuid:asset-1")
        assert found is not None and found.data == b"original"


def test_content_for_another_asset_is_rejected(store: Store) -> None:
    with pytest.raises(InvalidInput), store.transaction() as tx:
        tx.add_asset(asset("a"), content("b"))
    with store.read() as tx:
        assert tx.get_asset("a") is None


def test_assets_are_listed_oldest_first_in_pages(store: Store) -> None:
    with store.transaction() as tx:
        for i in (3, 1, 2, 0):
            tx.add_asset(asset(f"asset-{i}", created=i))
    with store.read() as tx:
        assert [a.id for a in tx.list_assets()] == ["asset-0", "asset-1", "asset-2", "asset-3"]
        assert [a.id for a in tx.list_assets(offset=1, limit=2)] == ["asset-1", "asset-2"]
        assert tx.list_assets(offset=4) == []


def test_negative_page_bounds_are_invalid_input(store: Store) -> None:
    with store.read() as tx, pytest.raises(InvalidInput):
        tx.list_assets(offset=-1)


def test_deleting_an_asset_deletes_its_content(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_asset(asset(), content())
    with store.transaction() as tx:
        assert tx.delete_asset("urn:uuid:asset-1") is True
        assert tx.delete_asset("urn:uuid:asset-1") is False
    with store.read() as tx:
        assert tx.get_asset("urn:uuid:asset-1") is None
        assert tx.get_asset_content("urn:uuid:asset-1") is None
    with store.transaction() as tx:  # the id is free again
        tx.add_asset(asset(), content(data=b"new"))


def test_policy_definition_crud_keeps_the_jsonld_as_received(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_policy_definition(policy("p2", created=2))
        tx.add_policy_definition(policy("p1", created=1))
        with pytest.raises(Conflict):
            tx.add_policy_definition(policy("p1"))
    with store.transaction() as tx:
        assert tx.get_policy_definition("p1") == policy("p1", created=1)
        assert [p.id for p in tx.list_policy_definitions()] == ["p1", "p2"]
        assert tx.delete_policy_definition("p1") is True
        assert tx.delete_policy_definition("p1") is False
    with store.read() as tx:
        assert tx.get_policy_definition("p1") is None
        assert [p.id for p in tx.list_policy_definitions(limit=1)] == ["p2"]


def test_contract_definition_crud_keeps_the_selector_a_tuple(store: Store) -> None:
    with store.transaction() as tx:
        tx.add_contract_definition(contract_definition("cd-2", created=2))
        tx.add_contract_definition(contract_definition("cd-1", created=1))
        with pytest.raises(Conflict):
            tx.add_contract_definition(contract_definition("cd-2"))
    with store.transaction() as tx:
        found = tx.get_contract_definition("cd-1")
        assert found == contract_definition("cd-1", created=1)
        assert found is not None and isinstance(found.assets_selector, tuple)
        assert [c.id for c in tx.list_contract_definitions()] == ["cd-1", "cd-2"]
        assert tx.delete_contract_definition("cd-1") is True
    with store.read() as tx:
        assert tx.get_contract_definition("cd-1") is None
        assert [c.id for c in tx.list_contract_definitions()] == ["cd-2"]
