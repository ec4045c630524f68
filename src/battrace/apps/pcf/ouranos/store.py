"""Where the Ouranos service keeps its rows: one keyed table per entity, behind a Protocol.

``MemoryStore`` keeps them in dicts (tests, one process); ``documents.DocumentStore`` keeps them on the node's
database. The tables follow the reference implementation's schema (tests/fixtures/ouranos/NOTICE.md):
``operators``, ``plants``, ``parts``, ``parts_structures`` (parent trace id → ordered child trace ids),
``trades`` (with the ``request_status`` columns folded in: status id, cfpResponseStatus, message,
replyMessage, responseDueDate, timestamps), ``cfp_infomation`` (one row per trace id holding the four
registered types and the two per-stage DQRs), ``cfp_certificates`` and ``cfp_acl`` (supplier trace id ×
recipient operator → granted item groups). Accounts, API keys and tokens belong to the authentication side
(``auth``), not here.

A service call may write several tables (a parts structure writes parts and the structure; a CFP answers
trades): the caller wraps each call in ``store.unit_of_work()`` so that its writes land together or not at
all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from battrace.apps.pcf.ouranos.model import (
    AclItemGroup,
    CfpCertificationModel,
    CfpResponseStatus,
    GhgDeclaredUnit,
    OperatorModel,
    PartsModel,
    PlantModel,
)

K = TypeVar("K")
V = TypeVar("V")
KC = TypeVar("KC", contravariant=True)


class Table(Protocol[KC, V]):
    def get(self, key: KC) -> V | None: ...
    def put(self, key: KC, value: V) -> None: ...
    def delete(self, key: KC) -> None: ...
    def values(self) -> Iterator[V]: ...


@dataclass(frozen=True)
class Trade:
    """One CFP request (TradeModel + StatusModel: the two always travel together)."""

    trade_id: str
    status_id: str
    downstream_operator_id: str
    downstream_trace_id: str
    upstream_operator_id: str
    upstream_trace_id: str | None
    status: CfpResponseStatus
    message: str | None
    reply_message: str | None
    response_due_date: date | None
    created_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Stage:
    """One process stage of a registered CFP: own (``*Production``) and purchased (``*Component``) emissions
    per declared unit, and the DQR the company gave the stage (``*Processing``; None when not on 1-5)."""

    production: Decimal
    component: Decimal
    dqr: tuple[Decimal | None, Decimal | None, Decimal | None]  # TeR, GeR, TiR as registered


@dataclass(frozen=True)
class Cfp:
    """What a company registered for a part with PUT cfp (the four ``cfpType`` values, notes §4.2)."""

    cfp_id: str
    trace_id: str
    unit: GhgDeclaredUnit
    pre: Stage
    main: Stage


@dataclass(frozen=True)
class Structure:
    parent_trace_id: str
    children: tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """cfpAcl: the supplier (owner of ``trace_id``) lets ``recipient`` see these item groups of it."""

    trace_id: str
    recipient: str
    items: frozenset[AclItemGroup]


class OuranosStore(Protocol):
    """The tables (read-only members, so any table type that behaves as ``Table`` fits)."""

    @property
    def operators(self) -> Table[str, OperatorModel]: ...
    @property
    def plants(self) -> Table[str, PlantModel]: ...
    @property
    def parts(self) -> Table[str, PartsModel]: ...
    @property
    def structures(self) -> Table[str, Structure]: ...
    @property
    def trades(self) -> Table[str, Trade]: ...
    @property
    def cfps(self) -> Table[str, Cfp]: ...  # by trace id
    @property
    def certifications(self) -> Table[str, CfpCertificationModel]: ...
    @property
    def grants(self) -> Table[tuple[str, str], Grant]: ...  # by (trace id, recipient)

    def unit_of_work(self) -> AbstractContextManager[None]:
        """Everything the block writes commits together; an exception leaves the tables as they were."""
        ...


class MemoryTable(Generic[K, V]):
    def __init__(self) -> None:
        self._rows: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._rows.get(key)

    def put(self, key: K, value: V) -> None:
        self._rows[key] = value

    def delete(self, key: K) -> None:
        self._rows.pop(key, None)

    def values(self) -> Iterator[V]:
        return iter(list(self._rows.values()))

    def snapshot(self) -> dict[K, V]:
        return dict(self._rows)

    def restore(self, rows: dict[K, V]) -> None:
        self._rows = rows


@dataclass
class MemoryStore:
    operators: MemoryTable[str, OperatorModel] = field(default_factory=MemoryTable)
    plants: MemoryTable[str, PlantModel] = field(default_factory=MemoryTable)
    parts: MemoryTable[str, PartsModel] = field(default_factory=MemoryTable)
    structures: MemoryTable[str, Structure] = field(default_factory=MemoryTable)
    trades: MemoryTable[str, Trade] = field(default_factory=MemoryTable)
    cfps: MemoryTable[str, Cfp] = field(default_factory=MemoryTable)
    certifications: MemoryTable[str, CfpCertificationModel] = field(default_factory=MemoryTable)
    grants: MemoryTable[tuple[str, str], Grant] = field(default_factory=MemoryTable)

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """Atomic by snapshot: the rows are immutable values, so copying the dicts is enough to roll back.
        Not for concurrent writers (one process, tests)."""
        tables: list[MemoryTable[Any, Any]] = [getattr(self, f.name) for f in fields(self)]
        saved = [table.snapshot() for table in tables]
        try:
            yield
        except BaseException:
            for table, rows in zip(tables, saved, strict=True):
                table.restore(rows)
            raise
