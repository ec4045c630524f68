"""Registry service on SQLite and PostgreSQL: writes, visibility, AND lookups and keyset paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from battrace.errors import Conflict, Forbidden, InvalidInput, NotFound
from battrace.registry import OWNER, Registry, RegistryCaller, submodel_descriptor
from battrace.registry.model import PUBLIC_READABLE, AssetLink, dump
from battrace.store import Store
from battrace.store._orm_registry import RegistryShellRow, RegistrySpecificAssetIdRow

from .conftest import NOW

PARTNER = "BPNL00000000000A"
OTHER = "BPNL00000000000B"
NOBODY = RegistryCaller(owner=False)


def _subject(*bpns: str) -> dict[str, Any]:
    return {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": b} for b in bpns]}


def _shell(n: int, *asset_ids: tuple[str, str, tuple[str, ...]], **extra: Any) -> dict[str, Any]:
    ids = [
        {"name": name, "value": value} | ({"externalSubjectId": _subject(*bpns)} if bpns else {})
        for name, value, bpns in asset_ids
    ]
    return {"id": f"urn:uuid:shell-{n}", "specificAssetIds": ids} | extra


def _submodel(n: int) -> dict[str, Any]:
    return dump(
        submodel_descriptor(
            "urn:samm:io.catenax.battery.battery_pass:6.0.0#BatteryPass",
            f"urn:uuid:asset-{n}",
            "https://provider.example/api/dsp",
            f"https://provider.example/api/public/submodel-{n}",
            submodel_id=f"urn:uuid:submodel-{n}",
        )
    )


def _find(registry: Registry, caller: RegistryCaller, *links: tuple[str, str]) -> set[str]:
    page = registry.lookup(caller, [AssetLink(name=n, value=v) for n, v in links], limit=1000)
    assert page.cursor is None
    return set(page.items)


def _count(store: Store, row: Any) -> int:
    with store.read() as tx:
        return int(tx.session.execute(select(func.count()).select_from(row)).scalar_one())


# -- writes ---------------------------------------------------------------------------------------------


def test_a_created_shell_reads_back_exactly_as_written(registry: Registry) -> None:
    data = _shell(1, ("partInstanceId", "BAT-1", (PARTNER,)), globalAssetId="urn:uuid:g1", idShort="battery1")
    data["submodelDescriptors"] = [_submodel(1)]
    registry.create_shell(OWNER, data)
    assert dump(registry.get_shell(OWNER, "urn:uuid:shell-1")) == data


def test_creating_a_shell_id_twice_is_a_conflict(registry: Registry) -> None:
    registry.create_shell(OWNER, _shell(1))
    with pytest.raises(Conflict):
        registry.create_shell(OWNER, _shell(1, ("x", "y", ())))


@pytest.mark.parametrize("caller", [NOBODY, RegistryCaller(owner=False, bpn=PARTNER)])
def test_only_the_owner_may_write(registry: Registry, caller: RegistryCaller) -> None:
    registry.create_shell(OWNER, _shell(1))
    for write in (
        lambda: registry.create_shell(caller, _shell(2)),
        lambda: registry.put_shell(caller, "urn:uuid:shell-1", _shell(1)),
        lambda: registry.delete_shell(caller, "urn:uuid:shell-1"),
        lambda: registry.create_submodel(caller, "urn:uuid:shell-1", _submodel(1)),
        lambda: registry.delete_submodel(caller, "urn:uuid:shell-1", "urn:uuid:submodel-1"),
    ):
        with pytest.raises(Forbidden):
            write()
    assert registry.list_shells(OWNER).items[0].id == "urn:uuid:shell-1"


def test_register_many_is_all_or_nothing_on_invalid_input(registry: Registry, store: Store) -> None:
    batch = [_shell(n, ("partInstanceId", f"BAT-{n}", ())) for n in range(50)]
    batch[37]["idShort"] = "not valid!"
    with pytest.raises(InvalidInput, match="idShort"):
        registry.register_many(batch)
    assert _count(store, RegistryShellRow) == 0
    assert _count(store, RegistrySpecificAssetIdRow) == 0


def test_register_many_is_all_or_nothing_when_one_id_already_exists(registry: Registry, store: Store) -> None:
    registry.create_shell(OWNER, _shell(3))
    with pytest.raises(Conflict):
        registry.register_many([_shell(n, ("partInstanceId", f"BAT-{n}", ())) for n in range(5)])
    assert _count(store, RegistryShellRow) == 1
    assert _find(registry, OWNER, ("partInstanceId", "BAT-1")) == set()


def test_register_many_refuses_a_batch_that_repeats_an_id(registry: Registry) -> None:
    with pytest.raises(InvalidInput, match="twice"):
        registry.register_many([_shell(1), _shell(1)])


def test_register_many_registers_findable_shells(registry: Registry) -> None:
    assert (
        registry.register_many([_shell(n, ("partInstanceId", f"BAT-{n}", ())) for n in range(3000)]) == 3000
    )
    assert _find(registry, OWNER, ("partInstanceId", "BAT-2999")) == {"urn:uuid:shell-2999"}


def test_put_creates_then_replaces_the_descriptor_and_its_lookup_entries(registry: Registry) -> None:
    assert registry.put_shell(OWNER, "urn:uuid:shell-1", _shell(1, ("partInstanceId", "OLD", ()))) is True
    replacement = _shell(1, ("partInstanceId", "NEW", ()))
    assert registry.put_shell(OWNER, "urn:uuid:shell-1", replacement) is False
    assert _find(registry, OWNER, ("partInstanceId", "OLD")) == set()
    assert _find(registry, OWNER, ("partInstanceId", "NEW")) == {"urn:uuid:shell-1"}
    assert dump(registry.get_shell(OWNER, "urn:uuid:shell-1")) == replacement


def test_ids_too_long_to_index_are_refused_before_they_reach_the_database(registry: Registry) -> None:
    # 2 040 CJK characters: within the OpenAPI's 2 048 but 6 120 bytes, more than PostgreSQL can index.
    long = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(2040))
    for data in (
        _shell(1) | {"id": long},
        _shell(1, ("partInstanceId", long, ())),
        _shell(1, ("p", "v", (long,))),
    ):
        with pytest.raises(InvalidInput, match="bytes"):
            registry.create_shell(OWNER, data)
    with pytest.raises(InvalidInput, match="bytes"):
        registry.create_submodel(OWNER, "urn:uuid:shell-1", _submodel(1) | {"id": long})
    assert registry.list_shells(OWNER).items == ()


def test_put_refuses_a_descriptor_whose_id_differs_from_the_path(registry: Registry) -> None:
    with pytest.raises(InvalidInput, match="differs"):
        registry.put_shell(OWNER, "urn:uuid:shell-2", _shell(1))


def test_a_deleted_shell_is_gone_and_no_longer_found(registry: Registry) -> None:
    registry.create_shell(
        OWNER, _shell(1, ("partInstanceId", "BAT-1", ()), submodelDescriptors=[_submodel(1)])
    )
    registry.delete_shell(OWNER, "urn:uuid:shell-1")
    with pytest.raises(NotFound):
        registry.get_shell(OWNER, "urn:uuid:shell-1")
    assert _find(registry, OWNER, ("partInstanceId", "BAT-1")) == set()
    with pytest.raises(NotFound):
        registry.delete_shell(OWNER, "urn:uuid:shell-1")


# -- submodel descriptors ---------------------------------------------------------------------------------


def test_submodel_descriptors_are_added_listed_replaced_and_removed(registry: Registry) -> None:
    registry.create_shell(OWNER, _shell(1))
    for n in range(5):
        registry.create_submodel(OWNER, "urn:uuid:shell-1", _submodel(n))
    with pytest.raises(Conflict):
        registry.create_submodel(OWNER, "urn:uuid:shell-1", _submodel(0))
    first = registry.list_submodels(OWNER, "urn:uuid:shell-1", limit=3)
    rest = registry.list_submodels(OWNER, "urn:uuid:shell-1", limit=3, cursor=first.cursor)
    assert [s.id for s in first.items + rest.items] == [f"urn:uuid:submodel-{n}" for n in range(5)]
    assert rest.cursor is None
    changed = _submodel(2) | {"idShort": "batteryPass"}
    assert registry.put_submodel(OWNER, "urn:uuid:shell-1", "urn:uuid:submodel-2", changed) is False
    assert dump(registry.get_submodel(OWNER, "urn:uuid:shell-1", "urn:uuid:submodel-2")) == changed
    registry.delete_submodel(OWNER, "urn:uuid:shell-1", "urn:uuid:submodel-2")
    with pytest.raises(NotFound):
        registry.get_submodel(OWNER, "urn:uuid:shell-1", "urn:uuid:submodel-2")
    assert len(registry.get_shell(OWNER, "urn:uuid:shell-1").submodelDescriptors or ()) == 4


def test_a_submodel_of_a_missing_shell_is_not_found(registry: Registry) -> None:
    with pytest.raises(NotFound):
        registry.create_submodel(OWNER, "urn:uuid:nothing", _submodel(1))
    with pytest.raises(NotFound):
        registry.list_submodels(OWNER, "urn:uuid:nothing")


# -- lookup -----------------------------------------------------------------------------------------------


def test_lookup_ands_the_asset_ids(registry: Registry) -> None:
    registry.create_shell(OWNER, _shell(1, ("manufacturerPartId", "P1", ()), ("partInstanceId", "S1", ())))
    registry.create_shell(OWNER, _shell(2, ("manufacturerPartId", "P1", ()), ("partInstanceId", "S2", ())))
    assert _find(registry, OWNER, ("manufacturerPartId", "P1")) == {"urn:uuid:shell-1", "urn:uuid:shell-2"}
    assert _find(registry, OWNER, ("manufacturerPartId", "P1"), ("partInstanceId", "S2")) == {
        "urn:uuid:shell-2"
    }
    assert _find(registry, OWNER, ("manufacturerPartId", "P1"), ("partInstanceId", "S3")) == set()


def test_lookup_by_global_asset_id(registry: Registry) -> None:
    registry.create_shell(OWNER, _shell(1, globalAssetId="urn:uuid:g1"))
    assert _find(registry, OWNER, ("globalAssetId", "urn:uuid:g1")) == {"urn:uuid:shell-1"}


def test_lookup_pages_through_every_match_once(registry: Registry) -> None:
    registry.register_many([_shell(n, ("manufacturerPartId", "P1", ())) for n in range(25)])
    registry.create_shell(OWNER, _shell(99, ("manufacturerPartId", "P2", ())))
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        page = registry.lookup(
            OWNER, [AssetLink(name="manufacturerPartId", value="P1")], limit=10, cursor=cursor
        )
        seen.extend(page.items)
        cursor = page.cursor
    assert cursor is None
    assert sorted(seen) == sorted(f"urn:uuid:shell-{n}" for n in range(25))


def test_a_partner_pages_through_matches_granted_to_its_bpn_and_to_the_public_alike(
    registry: Registry,
) -> None:
    registry.register_many(
        [
            _shell(n, ("manufacturerPartId", "P1", (PUBLIC_READABLE,) if n % 2 else (PARTNER,)))
            for n in range(12)
        ]
    )
    me = RegistryCaller(owner=False, bpn=PARTNER)
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        page = registry.lookup(me, [AssetLink(name="manufacturerPartId", value="P1")], limit=5, cursor=cursor)
        seen.extend(page.items)
        cursor = page.cursor
    assert cursor is None
    assert sorted(seen) == sorted(f"urn:uuid:shell-{n}" for n in range(12))
    assert _find(registry, NOBODY, ("manufacturerPartId", "P1")) == {
        f"urn:uuid:shell-{n}" for n in range(1, 12, 2)
    }


def test_listing_pages_through_every_shell_once(registry: Registry) -> None:
    registry.register_many([_shell(n) for n in range(7)])
    pages = [registry.list_shells(OWNER, limit=3)]
    while pages[-1].cursor is not None:
        pages.append(registry.list_shells(OWNER, limit=3, cursor=pages[-1].cursor))
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert sorted(s.id for p in pages for s in p.items) == sorted(f"urn:uuid:shell-{n}" for n in range(7))


def test_a_cursor_the_registry_did_not_issue_is_refused(registry: Registry) -> None:
    for bad in ("garbage!", "a2V5", "k"):
        with pytest.raises(InvalidInput, match="cursor"):
            registry.list_shells(OWNER, cursor=bad)
    with pytest.raises(InvalidInput, match="limit"):
        registry.list_shells(OWNER, limit=0)


def test_created_after_filters_listing_and_lookup(registry: Registry) -> None:
    registry.create_shell(OWNER, _shell(1, ("partInstanceId", "S1", ())))
    before, after = NOW - timedelta(seconds=1), NOW + timedelta(seconds=1)
    assert len(registry.list_shells(OWNER, created_after=before).items) == 1
    assert len(registry.list_shells(OWNER, created_after=after).items) == 0
    link = [AssetLink(name="partInstanceId", value="S1")]
    assert registry.lookup(OWNER, link, created_after=after).items == ()


# -- visibility -------------------------------------------------------------------------------------------


def test_caller_without_bpn_never_finds_shell_by_restricted_asset_id(registry: Registry) -> None:
    registry.create_shell(
        OWNER, _shell(1, ("partInstanceId", "S1", (PARTNER,)), ("customerPartId", "C1", ()))
    )
    assert _find(registry, NOBODY, ("partInstanceId", "S1")) == set()
    assert _find(registry, NOBODY, ("customerPartId", "C1")) == set()
    with pytest.raises(NotFound):
        registry.get_shell(NOBODY, "urn:uuid:shell-1")


def test_a_partner_finds_a_shell_by_an_id_shared_with_it_and_not_by_one_shared_with_another(
    registry: Registry,
) -> None:
    registry.create_shell(
        OWNER, _shell(1, ("partInstanceId", "S1", (PARTNER,)), ("customerPartId", "C1", (OTHER,)))
    )
    me = RegistryCaller(owner=False, bpn=PARTNER)
    assert _find(registry, me, ("partInstanceId", "S1")) == {"urn:uuid:shell-1"}
    assert _find(registry, me, ("customerPartId", "C1")) == set()
    # An AND with an id the caller may not see must not confirm that id exists.
    assert _find(registry, me, ("partInstanceId", "S1"), ("customerPartId", "C1")) == set()
    assert [a.name for a in registry.get_shell(me, "urn:uuid:shell-1").specificAssetIds or ()] == [
        "partInstanceId"
    ]


def test_public_readable_ids_are_found_by_everybody(registry: Registry) -> None:
    registry.create_shell(OWNER, _shell(1, ("manufacturerPartId", "P1", (PUBLIC_READABLE,))))
    assert _find(registry, NOBODY, ("manufacturerPartId", "P1")) == {"urn:uuid:shell-1"}
    assert _find(registry, RegistryCaller(owner=False, bpn=OTHER), ("manufacturerPartId", "P1")) == {
        "urn:uuid:shell-1"
    }


def test_the_global_asset_id_finds_a_shell_only_for_partners_who_see_the_whole_twin(
    registry: Registry,
) -> None:
    registry.create_shell(
        OWNER,
        _shell(
            1,
            ("partInstanceId", "S1", (PARTNER,)),
            ("manufacturerPartId", "P1", (PUBLIC_READABLE,)),
            globalAssetId="urn:uuid:g1",
        ),
    )
    gid = ("globalAssetId", "urn:uuid:g1")
    assert _find(registry, RegistryCaller(owner=False, bpn=PARTNER), gid) == {"urn:uuid:shell-1"}
    assert _find(registry, RegistryCaller(owner=False, bpn=OTHER), gid) == set()
    assert _find(registry, NOBODY, gid) == set()


def test_a_partner_lists_only_the_shells_it_may_see(registry: Registry) -> None:
    registry.create_shell(OWNER, _shell(1, ("partInstanceId", "S1", (PARTNER,))))
    registry.create_shell(OWNER, _shell(2, ("partInstanceId", "S2", (OTHER,))))
    registry.create_shell(OWNER, _shell(3, ("partInstanceId", "S3", ())))
    me = RegistryCaller(owner=False, bpn=PARTNER)
    assert [s.id for s in registry.list_shells(me).items] == ["urn:uuid:shell-1"]
    assert registry.lookup(me, []).items == ("urn:uuid:shell-1",)
    assert len(registry.list_shells(OWNER).items) == 3


def test_a_partner_reads_submodels_only_of_shells_it_may_see(registry: Registry) -> None:
    registry.create_shell(
        OWNER, _shell(1, ("partInstanceId", "S1", (PARTNER,)), submodelDescriptors=[_submodel(1)])
    )
    me = RegistryCaller(owner=False, bpn=PARTNER)
    assert [s.id for s in registry.list_submodels(me, "urn:uuid:shell-1").items] == ["urn:uuid:submodel-1"]
    with pytest.raises(NotFound):
        registry.list_submodels(RegistryCaller(owner=False, bpn=OTHER), "urn:uuid:shell-1")
    with pytest.raises(NotFound):
        registry.get_submodel(NOBODY, "urn:uuid:shell-1", "urn:uuid:submodel-1")
