"""HTTP surface of the transparency log: checkpoint, inclusion and consistency proofs, entries.

Hashes are standard base64, as in the C2SP formats (tlog-checkpoint, tlog-proof). The handlers only
translate: bad parameters raise InvalidInput (400 problem document via the app's error handlers).
Plain `def` handlers: FastAPI runs them in its thread pool, so database reads never block the event loop.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from battrace.clock import iso
from battrace.errors import InvalidInput
from battrace.ledger.log import TransparencyLog
from battrace.store.ledger import LogEntry

_MAX = 2**63 - 1  # BIGINT: larger values could never name an entry
Int = Annotated[int, Query(ge=0, le=_MAX)]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _entry(entry: LogEntry) -> dict[str, Any]:
    return {
        "index": entry.index,
        "kind": entry.kind,
        "created_at": iso(entry.created_at),
        "payload": dict(entry.payload),
        "leaf_hash": _b64(entry.leaf_hash),
    }


def log_router(log: TransparencyLog) -> APIRouter:
    router = APIRouter(prefix="/log", tags=["transparency log"])

    @router.get("/checkpoint", response_class=PlainTextResponse)
    def checkpoint() -> PlainTextResponse:
        """The signed checkpoint of the current head (c2sp.org/tlog-checkpoint signed note)."""
        return PlainTextResponse(log.checkpoint(), media_type="text/plain; charset=utf-8")

    @router.get("/proof/inclusion")
    def inclusion(leaf_index: Int, tree_size: Int) -> dict[str, Any]:
        """RFC 9162 §2.1.3 audit path of leaf_index in the tree of tree_size entries."""
        proof = log.inclusion_proof(leaf_index, tree_size)
        return {"leaf_index": leaf_index, "tree_size": tree_size, "hashes": [_b64(h) for h in proof]}

    @router.get("/proof/consistency")
    def consistency(first: Int, second: Int) -> dict[str, Any]:
        """RFC 9162 §2.1.4 proof that the tree of `first` entries is a prefix of the tree of `second`."""
        if first == 0:
            # RFC 9162 §2.1.4: a consistency proof is defined for 0 < first <= second only.
            raise InvalidInput("first must be at least 1")
        proof = log.consistency_proof(first, second)
        return {"first": first, "second": second, "hashes": [_b64(h) for h in proof]}

    @router.get("/entries")
    def entries(start: Int, end: Int) -> dict[str, Any]:
        """Entries start <= index < end (at most 1000; fewer at the head)."""
        return {"start": start, "entries": [_entry(e) for e in log.entries(start, end)]}

    return router
