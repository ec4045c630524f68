"""Recycling on a node (issue 7): a treatment facility records the life-cycle events of the lots it treats and
computes its Annex XII rates.

Rows are checked as one batch against everything recorded before (massbalance.record_rows: the state machine
and the mass balance of each step); a batch is kept whole or refused whole, with its log entry in the same
transaction. Events of other parties in a lot's history (placing on the market, collection) are recorded
as reported to the facility; the facility's own rates count only lots delivered to it (rates.treated).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from battrace.apps.recycling.events import Chemistry, PlacedOnMarket, Records
from battrace.apps.recycling.massbalance import record_rows
from battrace.apps.recycling.rates import Rate, recovery_rates, recycling_efficiency, treated
from battrace.connector.node import Node
from battrace.errors import InvalidInput
from battrace.store.documents import list_documents, put_document
from battrace.store.tx import Tx

APP = "recycling"
MAX_ROWS = 10_000


def _rows(tx: Tx) -> list[Mapping[str, object]]:
    rows: list[Mapping[str, object]] = []
    after = None
    while batch := list_documents(tx, APP, "batch", after=after, limit=500):
        for document in batch:
            rows.extend(document.body["rows"])
        after = batch[-1].id
    return rows


def rate_json(rate: Rate) -> dict[str, Any]:
    return {"percent": round(rate.percent, 4), "target": rate.target, "meets": rate.meets, "note": rate.note}


class RecyclingService:
    def __init__(self, node: Node) -> None:
        self.node = node

    def record(self, rows: object) -> dict[str, Any]:
        """Record a batch of event rows (all or none); returns the batch id and how many rows it held."""
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            raise InvalidInput("rows must be a non-empty array of event objects", reason="rows")
        if len(rows) > MAX_ROWS:
            raise InvalidInput(f"at most {MAX_ROWS} rows per batch", reason="too_many")
        batch: Sequence[Mapping[str, object]] = rows
        with self.node.store.transaction() as tx:
            previous = _rows(tx)
            record_rows(record_rows(Records(), previous), batch)  # InvalidInput names the row and field
            batch_id = f"{len(previous):012d}"  # ordered ids: replaying batches in order rebuilds the records
            put_document(tx, APP, "batch", batch_id, {"rows": batch}, self.node.ctx.clock())
            digest = hashlib.sha256(json.dumps(batch, sort_keys=True).encode()).hexdigest()
            own = sum(1 for r in batch if r.get("performed_by") == self.node.did)
            self.node.log.append(
                tx, "recycling.events", {"batch": batch_id, "rows": len(batch), "sha256": digest}
            )
        return {"batchId": batch_id, "recorded": len(batch), "own": own}

    def records(self) -> Records:
        with self.node.store.read() as tx:
            return record_rows(Records(), _rows(tx))

    def rates(self, year: int, facility: str | None = None) -> dict[str, Any]:
        """Annex XII Part B (recycling efficiency per chemistry) and Part C (recovery per element) for the
        lots delivered to ``facility`` (this node unless named) in ``year`` and refined."""
        who = facility or self.node.did
        histories = treated(self.records(), who, year)
        if not histories:
            raise InvalidInput(f"no lot delivered to {who} in {year} has been refined yet", reason="no_input")
        chemistries = sorted(
            {placed.chemistry for h in histories if (placed := h.detail(PlacedOnMarket)) is not None}
        )
        return {
            "facility": who,
            "year": year,
            "lots": sorted(h.subject for h in histories),
            "recyclingEfficiency": {
                str(c): rate_json(recycling_efficiency(histories, Chemistry(c), year)) for c in chemistries
            },
            "recovery": {str(e): rate_json(r) for e, r in recovery_rates(histories, year).items()},
        }
