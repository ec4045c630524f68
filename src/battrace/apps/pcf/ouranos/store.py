"""Where the Ouranos service keeps its rows: one keyed table per entity, behind a Protocol.

Only the in-memory store exists for this slice. A persistent one needs these tables (they follow the
reference implementation's schema, tests/fixtures/ouranos/NOTICE.md): ``operators``, ``plants``, ``parts``,
``parts_structures`` (parent trace id → ordered child trace ids), ``trades`` (with the ``request_status``
columns folded in: status id, cfpResponseStatus, message, replyMessage, responseDueDate, timestamps),
``cfp_infomation`` (one row per trace id holding the four registered types and the two per-stage DQRs),
``cfp_certificates`` and ``cfp_acl`` (supplier trace id × recipient operator → granted item groups). Accounts,
API keys and tokens belong to the authentication side (``auth``), not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

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
    operators: Table[str, OperatorModel]
    plants: Table[str, PlantModel]
    parts: Table[str, PartsModel]
    structures: Table[str, Structure]
    trades: Table[str, Trade]
    cfps: Table[str, Cfp]  # by trace id
    certifications: Table[str, CfpCertificationModel]
    grants: Table[tuple[str, str], Grant]  # by (trace id, recipient)


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
