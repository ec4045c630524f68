"""The digital twin registry over the store: AAS Part 2 shell/submodel descriptors and the discovery lookup.

Every method takes the caller (a `RegistryCaller`): only the owner writes; partners read what the Tractus-X
visibility rules of `battrace.registry.model` let them see, and a shell they may not see does not exist for
them (404, never 403, so its existence does not leak). Each call is one store transaction: a failed write
leaves nothing behind. Paging is keyset paging on the shell's surrogate key; the cursor is that key, opaque.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    FromClause,
    Select,
    Table,
    delete,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from battrace.clock import Clock, system_clock
from battrace.errors import Conflict, Forbidden, InvalidInput, NotFound
from battrace.registry.model import (
    GLOBAL_ASSET_ID,
    OWNER,
    AssetLink,
    RegistryCaller,
    ShellDescriptor,
    SpecificAssetId,
    SubmodelDescriptor,
    caller_readers,
    dump,
    global_asset_id_readers,
    parse_shell,
    parse_submodel,
    readers,
    view,
)
from battrace.store import Store, Tx
from battrace.store._orm_registry import (
    RegistryAssetIdReaderRow,
    RegistryShellRow,
    RegistrySpecificAssetIdRow,
    RegistrySubmodelRow,
)

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000  # the OpenAPI's maxItems of a lookup result
MAX_CRITERIA = 100  # distinct (name, value) pairs ANDed in one lookup: one index probe each per candidate
_SHELLS = cast(Table, RegistryShellRow.__table__)
_ASSET_IDS = cast(Table, RegistrySpecificAssetIdRow.__table__)
_READERS = cast(Table, RegistryAssetIdReaderRow.__table__)
_SUBMODELS = cast(Table, RegistrySubmodelRow.__table__)
_INSERT_CHUNK = 2000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; `cursor` continues it, None on the last page."""

    items: tuple[T, ...]
    cursor: str | None

    def to_json(self, items: Sequence[Any]) -> dict[str, Any]:
        """The OpenAPI PagedResult: `paging_metadata` is {} on the last page (DTR lookup cases 24 and 26)."""
        meta = {} if self.cursor is None else {"cursor": self.cursor}
        return {"paging_metadata": meta, "result": list(items)}


def _encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"k{pk}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text[:1] == "k" and text[1:].isdigit() and len(text) < 24:
            return int(text[1:])
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput("cursor is not one this registry issued")


def _limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1:
        raise InvalidInput("limit must be at least 1")
    return min(limit, MAX_LIMIT)


def _require_owner(caller: RegistryCaller) -> None:
    if not caller.owner:
        raise Forbidden("only the registry's owner may change descriptors")


def _stored(shell: ShellDescriptor) -> dict[str, Any]:
    """The shell row's JSON: submodel descriptors have their own rows; an empty list remembers that the key
    was sent, so the descriptor reads back exactly as written."""
    data = shell.model_dump(mode="json", exclude_unset=True, exclude={"submodelDescriptors", "createdAt"})
    if shell.submodelDescriptors is not None:
        data["submodelDescriptors"] = []
    return data


class Registry:
    def __init__(self, store: Store, *, clock: Clock = system_clock) -> None:
        self._store = store
        self._clock = clock

    # -- shell descriptors ----------------------------------------------------------------------------------

    def create_shell(self, caller: RegistryCaller, data: Any) -> ShellDescriptor:
        _require_owner(caller)
        shell = parse_shell(data)
        with self._store.transaction() as tx:
            if self._shell_pk(tx, shell.id) is not None:
                raise Conflict(f"a shell descriptor with id {shell.id!r} already exists")
            self._insert(tx, [shell])
        return shell

    def register_many(self, descriptors: Iterable[Any]) -> int:
        """Register many shells at once (the passport issuance path): all validated first, then inserted in
        one transaction with batched statements, so either every shell is registered or none is."""
        shells = [parse_shell(d) for d in descriptors]  # all validated before the transaction opens
        with self._store.transaction() as tx:
            return self.register_in(tx, shells)

    def register_in(self, tx: Tx, descriptors: Iterable[Any]) -> int:
        """``register_many`` inside the caller's transaction (a passport and its twin commit together)."""
        shells = [d if isinstance(d, ShellDescriptor) else parse_shell(d) for d in descriptors]
        ids = [s.id for s in shells]
        if len(set(ids)) != len(ids):
            raise InvalidInput("the batch holds the same shell id twice")
        self._insert(tx, shells)
        return len(shells)

    def put_shell(self, caller: RegistryCaller, aas_id: str, data: Any) -> bool:
        """Create or replace; True when created. The path id must equal the descriptor's id."""
        _require_owner(caller)
        shell = parse_shell(data)
        if shell.id != aas_id:
            raise InvalidInput("the descriptor's id differs from the aasIdentifier in the path")
        with self._store.transaction() as tx:
            pk = self._shell_pk(tx, aas_id)
            if pk is None:
                self._insert(tx, [shell])
                return True
            self._replace(tx, pk, shell)
            return False

    def get_shell(self, caller: RegistryCaller, aas_id: str) -> ShellDescriptor:
        with self._store.read() as tx:
            row = tx.session.execute(select(_SHELLS).where(_SHELLS.c.aas_id == aas_id)).one_or_none()
            shell = None if row is None else self._assemble(tx, [row])[0]
        seen = None if shell is None else view(shell, caller)
        if seen is None:
            raise NotFound(f"no shell descriptor {aas_id!r}")
        return seen

    def list_shells(
        self,
        caller: RegistryCaller,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        asset_kind: str | None = None,
        asset_type: str | None = None,
        created_after: datetime | None = None,
    ) -> Page[ShellDescriptor]:
        size, after = _limit(limit), _decode_cursor(cursor)
        stmt = select(_SHELLS).where(_SHELLS.c.pk > after, *self._visible(caller))
        if asset_kind is not None:
            stmt = stmt.where(_SHELLS.c.asset_kind == asset_kind)
        if asset_type is not None:
            stmt = stmt.where(_SHELLS.c.asset_type == asset_type)
        if created_after is not None:
            stmt = stmt.where(_SHELLS.c.created_at > created_after)
        with self._store.read() as tx:
            rows = tx.session.execute(stmt.order_by(_SHELLS.c.pk).limit(size + 1)).all()
            shells = self._assemble(tx, rows[:size])
        seen = tuple(v for v in (view(s, caller) for s in shells) if v is not None)
        return Page(seen, _encode_cursor(rows[size - 1].pk) if len(rows) > size else None)

    def delete_shell(self, caller: RegistryCaller, aas_id: str) -> None:
        _require_owner(caller)
        with self._store.transaction() as tx:
            pk = self._shell_pk(tx, aas_id)
            if pk is None:
                raise NotFound(f"no shell descriptor {aas_id!r}")
            self._delete_dependents(tx, pk)
            tx.session.execute(delete(_SHELLS).where(_SHELLS.c.pk == pk))

    # -- submodel descriptors -------------------------------------------------------------------------------

    def list_submodels(
        self, caller: RegistryCaller, aas_id: str, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[SubmodelDescriptor]:
        size, after = _limit(limit), _decode_cursor(cursor)
        with self._store.read() as tx:
            pk = self._readable_pk(tx, caller, aas_id)
            stmt = (
                select(_SUBMODELS.c.pk, _SUBMODELS.c.descriptor)
                .where(_SUBMODELS.c.shell_pk == pk, _SUBMODELS.c.pk > after)
                .order_by(_SUBMODELS.c.pk)
                .limit(size + 1)
            )
            rows = tx.session.execute(stmt).all()
        items = tuple(SubmodelDescriptor.model_validate(r.descriptor) for r in rows[:size])
        return Page(items, _encode_cursor(rows[size - 1].pk) if len(rows) > size else None)

    def get_submodel(self, caller: RegistryCaller, aas_id: str, submodel_id: str) -> SubmodelDescriptor:
        with self._store.read() as tx:
            pk = self._readable_pk(tx, caller, aas_id)
            found = tx.session.execute(
                select(_SUBMODELS.c.descriptor).where(
                    _SUBMODELS.c.shell_pk == pk, _SUBMODELS.c.submodel_id == submodel_id
                )
            ).scalar_one_or_none()
        if found is None:
            raise NotFound(f"shell {aas_id!r} has no submodel descriptor {submodel_id!r}")
        return SubmodelDescriptor.model_validate(found)

    def create_submodel(self, caller: RegistryCaller, aas_id: str, data: Any) -> SubmodelDescriptor:
        _require_owner(caller)
        submodel = parse_submodel(data)
        with self._store.transaction() as tx:
            pk = self._existing_pk(tx, aas_id)
            if self._submodel_pk(tx, pk, submodel.id) is not None:
                raise Conflict(f"shell {aas_id!r} already has a submodel descriptor {submodel.id!r}")
            self._insert_submodels(tx, [(pk, submodel)])
        return submodel

    def put_submodel(self, caller: RegistryCaller, aas_id: str, submodel_id: str, data: Any) -> bool:
        """Create or replace; True when created. The path id must equal the descriptor's id."""
        _require_owner(caller)
        submodel = parse_submodel(data)
        if submodel.id != submodel_id:
            raise InvalidInput("the descriptor's id differs from the submodelIdentifier in the path")
        with self._store.transaction() as tx:
            pk = self._existing_pk(tx, aas_id)
            existing = self._submodel_pk(tx, pk, submodel_id)
            if existing is None:
                self._insert_submodels(tx, [(pk, submodel)])
                return True
            tx.session.execute(
                update(_SUBMODELS).where(_SUBMODELS.c.pk == existing).values(descriptor=dump(submodel))
            )
            return False

    def delete_submodel(self, caller: RegistryCaller, aas_id: str, submodel_id: str) -> None:
        _require_owner(caller)
        with self._store.transaction() as tx:
            pk = self._existing_pk(tx, aas_id)
            stmt = delete(_SUBMODELS).where(
                _SUBMODELS.c.shell_pk == pk, _SUBMODELS.c.submodel_id == submodel_id
            )
            gone = cast(CursorResult[Any], tx.session.execute(stmt))
            if gone.rowcount == 0:
                raise NotFound(f"shell {aas_id!r} has no submodel descriptor {submodel_id!r}")

    # -- discovery (AAS Part 2 Basic Discovery, SSP-001) ----------------------------------------------------

    def lookup(
        self,
        caller: RegistryCaller,
        links: Sequence[AssetLink],
        *,
        limit: int | None = None,
        cursor: str | None = None,
        created_after: datetime | None = None,
    ) -> Page[str]:
        """Ids of the shells that carry every one of `links` (AND), as far as `caller` may see them.

        A specificAssetId the caller may not see cannot be used to find a shell: partners search the reader
        index, which holds only the (asset id, reader) pairs the visibility rules grant."""
        size, after = _limit(limit), _decode_cursor(cursor)
        criteria = list(dict.fromkeys((link.name, link.value) for link in links))
        if len(criteria) > MAX_CRITERIA:
            raise InvalidInput(f"at most {MAX_CRITERIA} distinct asset links may be combined in one lookup")
        if not criteria:
            scan = select(_SHELLS.c.pk, _SHELLS.c.aas_id).where(_SHELLS.c.pk > after, *self._visible(caller))
            scans = [scan.order_by(_SHELLS.c.pk)]
        elif caller.owner:
            scans = [self._matching(caller, criteria, after, None)]
        else:
            # One keyset scan per reader value the partner matches (its BPN, PUBLIC_READABLE), merged here:
            # each is one ordered index range, where a single `reader IN (...)` would sort every match first.
            scans = [self._matching(caller, criteria, after, r) for r in caller_readers(caller)]
        if created_after is not None:
            scans = [scan.where(_SHELLS.c.created_at > created_after) for scan in scans]
        found: dict[int, str] = {}
        with self._store.read() as tx:
            for scan in scans:
                found.update((int(r.pk), str(r.aas_id)) for r in tx.session.execute(scan.limit(size + 1)))
        rows = sorted(found.items())[: size + 1]
        ids = tuple(aas_id for _, aas_id in rows[:size])
        return Page(ids, _encode_cursor(rows[size - 1][0]) if len(rows) > size else None)

    def asset_links(self, caller: RegistryCaller, aas_id: str) -> list[SpecificAssetId]:
        """GET /lookup/shells/{aasIdentifier}: the shell's specificAssetIds the caller may see."""
        return list(self.get_shell(caller, aas_id).specificAssetIds or ())

    # -- internals ------------------------------------------------------------------------------------------

    @staticmethod
    def _matching(
        caller: RegistryCaller, criteria: Sequence[tuple[str, str]], after: int, reader: str | None
    ) -> Select[Any]:
        """Keyset scan of the first criterion's index range in shell order (for a partner: the range of one
        `reader` value); every further criterion is an index probe per candidate. A page costs the rows it
        scans, not the whole match set, and never an OFFSET."""
        index = _ASSET_IDS if caller.owner else _READERS
        (name, value), rest = criteria[0], criteria[1:]
        if caller.owner and name == GLOBAL_ASSET_ID:
            stmt = select(_SHELLS.c.pk, _SHELLS.c.aas_id).where(
                _SHELLS.c.global_asset_id == value, _SHELLS.c.pk > after
            )
            stmt = stmt.order_by(_SHELLS.c.pk)
        else:
            where = [index.c.name == name, index.c.value == value, index.c.shell_pk > after]
            if reader is not None:
                where.append(index.c.reader == reader)
            # DISTINCT: a shell may carry the same specificAssetId twice.
            stmt = (
                select(index.c.shell_pk.label("pk"), _SHELLS.c.aas_id)
                .distinct()
                .join_from(index, _SHELLS, _SHELLS.c.pk == index.c.shell_pk)
                .where(*where)
                .order_by(index.c.shell_pk)
            )
        for name, value in rest:
            if caller.owner and name == GLOBAL_ASSET_ID:
                stmt = stmt.where(_SHELLS.c.global_asset_id == value)
                continue
            probe = index.alias()
            found = select(probe.c.pk).where(
                probe.c.shell_pk == _SHELLS.c.pk, *_match(probe, caller, name, value)
            )
            stmt = stmt.where(exists(found))
        return stmt

    @staticmethod
    def _visible(caller: RegistryCaller) -> list[ColumnElement[bool]]:
        if caller.owner:
            return []
        grant = select(_READERS.c.pk).where(
            _READERS.c.shell_pk == _SHELLS.c.pk, _READERS.c.reader.in_(caller_readers(caller))
        )
        return [exists(grant)]

    @staticmethod
    def _shell_pk(tx: Tx, aas_id: str) -> int | None:
        pk = tx.session.execute(select(_SHELLS.c.pk).where(_SHELLS.c.aas_id == aas_id)).scalar_one_or_none()
        return None if pk is None else int(pk)

    def _existing_pk(self, tx: Tx, aas_id: str) -> int:
        pk = self._shell_pk(tx, aas_id)
        if pk is None:
            raise NotFound(f"no shell descriptor {aas_id!r}")
        return pk

    def _readable_pk(self, tx: Tx, caller: RegistryCaller, aas_id: str) -> int:
        stmt = select(_SHELLS.c.pk).where(_SHELLS.c.aas_id == aas_id, *self._visible(caller))
        pk = tx.session.execute(stmt).scalar_one_or_none()
        if pk is None:
            raise NotFound(f"no shell descriptor {aas_id!r}")
        return int(pk)

    @staticmethod
    def _submodel_pk(tx: Tx, shell_pk: int, submodel_id: str) -> int | None:
        stmt = select(_SUBMODELS.c.pk).where(
            _SUBMODELS.c.shell_pk == shell_pk, _SUBMODELS.c.submodel_id == submodel_id
        )
        pk = tx.session.execute(stmt).scalar_one_or_none()
        return None if pk is None else int(pk)

    @staticmethod
    def _assemble(tx: Tx, rows: Sequence[Any]) -> list[ShellDescriptor]:
        """Shell rows plus their submodel rows (one query for the whole page, not one per shell)."""
        by_shell: dict[int, list[dict[str, Any]]] = {r.pk: [] for r in rows}
        if by_shell:
            stmt = (
                select(_SUBMODELS.c.shell_pk, _SUBMODELS.c.descriptor)
                .where(_SUBMODELS.c.shell_pk.in_(list(by_shell)))
                .order_by(_SUBMODELS.c.pk)
            )
            for shell_pk, descriptor in tx.session.execute(stmt):
                by_shell[shell_pk].append(descriptor)
        shells = []
        for row in rows:
            data = dict(row.descriptor)
            if by_shell[row.pk] or "submodelDescriptors" in data:
                data["submodelDescriptors"] = by_shell[row.pk]
            shells.append(ShellDescriptor.model_validate(data))
        return shells

    def _insert(self, tx: Tx, shells: Sequence[ShellDescriptor]) -> None:
        now = self._clock()
        for start in range(0, len(shells), _INSERT_CHUNK):
            chunk = shells[start : start + _INSERT_CHUNK]
            params = [self._shell_values(s) | {"created_at": now} for s in chunk]
            stmt = insert(_SHELLS).returning(_SHELLS.c.pk, sort_by_parameter_order=True)
            try:
                pks = [int(pk) for pk in tx.session.execute(stmt, params).scalars()]
            except IntegrityError:
                raise Conflict("a shell descriptor with one of these ids already exists") from None
            self._insert_index(tx, list(zip(pks, chunk, strict=True)))
            self._insert_submodels(
                tx, [(pk, sm) for pk, s in zip(pks, chunk, strict=True) for sm in s.submodelDescriptors or ()]
            )

    @staticmethod
    def _shell_values(shell: ShellDescriptor) -> dict[str, Any]:
        return {
            "aas_id": shell.id,
            "global_asset_id": shell.globalAssetId,
            "asset_kind": shell.assetKind,
            "asset_type": shell.assetType,
            "descriptor": _stored(shell),
        }

    def _replace(self, tx: Tx, pk: int, shell: ShellDescriptor) -> None:
        # PUT replaces the whole descriptor, its submodel descriptors included (AAS Part 2 PutAAS...ById).
        self._delete_dependents(tx, pk)
        tx.session.execute(update(_SHELLS).where(_SHELLS.c.pk == pk).values(**self._shell_values(shell)))
        self._insert_index(tx, [(pk, shell)])
        self._insert_submodels(tx, [(pk, sm) for sm in shell.submodelDescriptors or ()])

    @staticmethod
    def _delete_dependents(tx: Tx, pk: int) -> None:
        for table in (_ASSET_IDS, _READERS, _SUBMODELS):
            tx.session.execute(delete(table).where(table.c.shell_pk == pk))

    @staticmethod
    def _insert_index(tx: Tx, shells: Sequence[tuple[int, ShellDescriptor]]) -> None:
        ids: list[dict[str, Any]] = []
        grants: list[dict[str, Any]] = []
        for pk, shell in shells:
            asset_ids = shell.specificAssetIds or []
            for a in asset_ids:
                ids.append(
                    {
                        "shell_pk": pk,
                        "name": a.name,
                        "value": a.value,
                        "external_subject_ids": list(a.subjects()),
                    }
                )
                grants.extend(
                    {"shell_pk": pk, "name": a.name, "value": a.value, "reader": r} for r in readers(a)
                )
            if shell.globalAssetId is not None:
                grants.extend(
                    {"shell_pk": pk, "name": GLOBAL_ASSET_ID, "value": shell.globalAssetId, "reader": r}
                    for r in global_asset_id_readers(asset_ids)
                )
        if ids:
            tx.session.execute(insert(_ASSET_IDS), ids)
        if grants:
            tx.session.execute(insert(_READERS), grants)

    @staticmethod
    def _insert_submodels(tx: Tx, submodels: Sequence[tuple[int, SubmodelDescriptor]]) -> None:
        if submodels:
            rows = [{"shell_pk": pk, "submodel_id": s.id, "descriptor": dump(s)} for pk, s in submodels]
            tx.session.execute(insert(_SUBMODELS), rows)


def _match(index: FromClause, caller: RegistryCaller, name: str, value: str) -> list[ColumnElement[bool]]:
    """The asset id (name, value) in the owner's index, or among the partner's grants in the reader index."""
    found = [index.c.name == name, index.c.value == value]
    if not caller.owner:
        found.append(index.c.reader.in_(caller_readers(caller)))
    return found


__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "OWNER", "Page", "Registry"]
