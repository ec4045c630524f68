"""The Ouranos tables on the node's database: ``app_documents`` (app ``ouranos``, one kind per table).

``DocumentStore`` is an ``OuranosStore`` whose tables read and write JSON documents inside the *unit of work*
of the current call: ``with store.unit_of_work(): service.put_parts_structure(...)`` runs every table access
of that call in one node transaction, and appends one ``ouranos.<kind>`` log entry per changed row (ids and
SHA-256 only) in the same transaction — a call's writes commit together with their log entries or not at
all. The unit is bound per thread of control (a ``ContextVar``), so concurrent requests never share one.

Outside a unit of work each table access is its own short transaction (reads, tests, scripts): atomic per
row, not per call. Nested units join the outer one.

What this module deliberately does not do: indexes or queries beyond id lookups — ``values()`` pages through
a kind, as the in-memory store iterates its dict. The accounts of ``auth`` live here too (``accounts``), the
tokens do not (see ``StoredAuthenticator``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar, cast

from pydantic import BaseModel

from battrace.apps.pcf.model import canonical_bytes
from battrace.apps.pcf.ouranos.auth import Account
from battrace.apps.pcf.ouranos.model import (
    CfpCertificationModel,
    OperatorModel,
    PartsModel,
    PlantModel,
)
from battrace.apps.pcf.ouranos.store import Cfp, Grant, Stage, Structure, Trade
from battrace.clock import Clock
from battrace.provenance import sha256_hex
from battrace.store import Store
from battrace.store.documents import delete_document, get_document, list_documents, put_document
from battrace.store.tx import Tx

APP = "ouranos"
_PAGE = 500
K = TypeVar("K")
V = TypeVar("V")
M = TypeVar("M", bound=BaseModel)
Body = dict[str, Any]


class EventLog(Protocol):
    """What of the node's transparency log the store needs (``TransparencyLog.append_all``)."""

    def append_all(self, tx: Tx, items: Iterable[tuple[str, Mapping[str, Any]]]) -> range: ...


@dataclass
class _Unit:
    tx: Tx
    events: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class Codec(Generic[K, V]):
    """How one table's keys become document ids and its rows JSON bodies."""

    kind: str
    key: Callable[[K], str]
    encode: Callable[[V], Body]
    decode: Callable[[Mapping[str, Any]], V]


class DocumentStore:
    def __init__(self, store: Store, log: EventLog, *, clock: Clock) -> None:
        self._store = store
        self._log = log
        self._clock = clock
        self._current: ContextVar[_Unit | None] = ContextVar(f"ouranos-unit-{id(self)}", default=None)
        self.operators = DocumentTable(self, _pydantic("operator", OperatorModel))
        self.plants = DocumentTable(self, _pydantic("plant", PlantModel))
        self.parts = DocumentTable(self, _pydantic("part", PartsModel))
        self.structures = DocumentTable(self, STRUCTURE)
        self.trades = DocumentTable(self, TRADE)
        self.cfps = DocumentTable(self, CFP)
        self.certifications = DocumentTable(self, _pydantic("certification", CfpCertificationModel))
        self.grants = DocumentTable(self, GRANT)
        self.accounts = DocumentTable(self, ACCOUNT)

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One node transaction for everything the block does to these tables, logged at its end."""
        if self._current.get() is not None:
            yield  # joins the enclosing unit
            return
        with self._store.transaction() as tx:
            unit = _Unit(tx)
            token = self._current.set(unit)
            try:
                yield
            finally:
                self._current.reset(token)
            if unit.events:  # only reached when the block succeeded: a failed call logs nothing
                self._log.append_all(tx, unit.events)

    @contextmanager
    def _tx(self, *, write: bool) -> Iterator[_Unit]:
        unit = self._current.get()
        if unit is not None:
            yield unit
        elif write:
            with self.unit_of_work():
                yield cast(_Unit, self._current.get())
        else:
            with self._store.read() as tx:
                yield _Unit(tx)

    def note(self, kind: str, event: Mapping[str, Any]) -> None:
        """A log entry of the current unit beyond the row changes (say where imported numbers came from)."""
        unit = self._current.get()
        if unit is None:
            raise RuntimeError("note() belongs inside unit_of_work()")
        unit.events.append((kind, event))

    def now(self) -> datetime:
        return self._clock()


class DocumentTable(Generic[K, V]):
    """``store.Table`` over one document kind."""

    def __init__(self, owner: DocumentStore, codec: Codec[K, V]) -> None:
        self._owner = owner
        self._codec = codec

    def get(self, key: K) -> V | None:
        with self._owner._tx(write=False) as unit:
            found = get_document(unit.tx, APP, self._codec.kind, self._codec.key(key))
        return None if found is None else self._codec.decode(found.body)

    def put(self, key: K, value: V) -> None:
        doc_id, body = self._codec.key(key), self._codec.encode(value)
        with self._owner._tx(write=True) as unit:
            put_document(unit.tx, APP, self._codec.kind, doc_id, body, self._owner.now())
            event = {"id": doc_id, "sha256": sha256_hex(canonical_bytes(body))}
            unit.events.append((f"{APP}.{self._codec.kind}", event))

    def delete(self, key: K) -> None:
        doc_id = self._codec.key(key)
        with self._owner._tx(write=True) as unit:
            if delete_document(unit.tx, APP, self._codec.kind, doc_id):
                unit.events.append((f"{APP}.{self._codec.kind}_deleted", {"id": doc_id}))

    def values(self) -> Iterator[V]:
        """Every row in id order, read in one go (the caller may write while iterating)."""
        rows: list[V] = []
        after: str | None = None
        with self._owner._tx(write=False) as unit:
            while True:
                page = list_documents(unit.tx, APP, self._codec.kind, after=after, limit=_PAGE)
                rows.extend(self._codec.decode(d.body) for d in page)
                if len(page) < _PAGE:
                    break
                after = page[-1].id
        return iter(rows)


# -- codecs ------------------------------------------------------------------------------------------------


def _pydantic(kind: str, model: type[M]) -> Codec[str, M]:
    return Codec(
        kind=kind,
        key=str,
        encode=lambda value: value.model_dump(mode="json"),
        decode=model.model_validate,
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)  # str(Decimal) round-trips exactly


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _stage(stage: Stage) -> Body:
    return {
        "production": str(stage.production),
        "component": str(stage.component),
        "dqr": [_text(v) for v in stage.dqr],
    }


def _stage_of(body: Mapping[str, Any]) -> Stage:
    te, ge, ti = (_number(v) for v in body["dqr"])
    return Stage(
        production=Decimal(body["production"]), component=Decimal(body["component"]), dqr=(te, ge, ti)
    )


def _cfp(cfp: Cfp) -> Body:
    return {
        "cfpId": cfp.cfp_id,
        "traceId": cfp.trace_id,
        "unit": cfp.unit,
        "pre": _stage(cfp.pre),
        "main": _stage(cfp.main),
    }


def _cfp_of(body: Mapping[str, Any]) -> Cfp:
    return Cfp(
        cfp_id=body["cfpId"],
        trace_id=body["traceId"],
        unit=body["unit"],
        pre=_stage_of(body["pre"]),
        main=_stage_of(body["main"]),
    )


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _trade(trade: Trade) -> Body:
    return {
        "tradeId": trade.trade_id,
        "statusId": trade.status_id,
        "downstreamOperatorId": trade.downstream_operator_id,
        "downstreamTraceId": trade.downstream_trace_id,
        "upstreamOperatorId": trade.upstream_operator_id,
        "upstreamTraceId": trade.upstream_trace_id,
        "status": trade.status,
        "message": trade.message,
        "replyMessage": trade.reply_message,
        "responseDueDate": _iso(trade.response_due_date),
        "createdAt": _iso(trade.created_at),
        "completedAt": _iso(trade.completed_at),
    }


def _trade_of(body: Mapping[str, Any]) -> Trade:
    due, completed = body["responseDueDate"], body["completedAt"]
    return Trade(
        trade_id=body["tradeId"],
        status_id=body["statusId"],
        downstream_operator_id=body["downstreamOperatorId"],
        downstream_trace_id=body["downstreamTraceId"],
        upstream_operator_id=body["upstreamOperatorId"],
        upstream_trace_id=body["upstreamTraceId"],
        status=body["status"],
        message=body["message"],
        reply_message=body["replyMessage"],
        response_due_date=None if due is None else date.fromisoformat(due),
        created_at=datetime.fromisoformat(body["createdAt"]),
        completed_at=None if completed is None else datetime.fromisoformat(completed),
    )


STRUCTURE: Codec[str, Structure] = Codec(
    kind="structure",
    key=str,
    encode=lambda s: {"parentTraceId": s.parent_trace_id, "children": list(s.children)},
    decode=lambda b: Structure(parent_trace_id=b["parentTraceId"], children=tuple(b["children"])),
)
TRADE: Codec[str, Trade] = Codec(kind="trade", key=str, encode=_trade, decode=_trade_of)
CFP: Codec[str, Cfp] = Codec(kind="cfp", key=str, encode=_cfp, decode=_cfp_of)
# trace ids and operator ids are UUIDs, so "|" cannot occur in either half of the key
GRANT: Codec[tuple[str, str], Grant] = Codec(
    kind="grant",
    key=lambda k: f"{k[0]}|{k[1]}",
    encode=lambda g: {"traceId": g.trace_id, "recipient": g.recipient, "items": sorted(g.items)},
    decode=lambda b: Grant(trace_id=b["traceId"], recipient=b["recipient"], items=frozenset(b["items"])),
)


# PBKDF2 hash, salt and iteration count: a later change of the iteration count still verifies old hashes
ACCOUNT: Codec[str, Account] = Codec(
    kind="account",
    key=str,
    encode=lambda a: {
        "accountId": a.account_id,
        "operatorId": a.operator_id,
        "salt": a.salt.hex(),
        "hash": a.password_hash.hex(),
        "iterations": a.iterations,
    },
    decode=lambda b: Account(
        account_id=b["accountId"],
        operator_id=b["operatorId"],
        salt=bytes.fromhex(b["salt"]),
        password_hash=bytes.fromhex(b["hash"]),
        iterations=int(b["iterations"]),
    ),
)
