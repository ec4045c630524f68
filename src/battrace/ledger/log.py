"""The node's persistent transparency log: appends, signed checkpoints, proofs, receipts and cosignatures.

Every entry is the RFC 8785 canonical JSON of ``{"v": 1, "kind": ..., "ts": ..., **event}``; its leaf hash and
every complete subtree it completes are stored in the same transaction as the entry (RFC 9162 §2.1), so the
tree is maintained incrementally and a proof reads O(log n) stored hashes. Checkpoints are C2SP signed notes
(c2sp.org/tlog-checkpoint); the log never signs two checkpoints of one size, because a checkpoint row is keyed
by its size and a new one is made only when the head has moved.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import rfc8785
from sqlalchemy import event as sa_event

from battrace.clock import Clock, iso
from battrace.errors import Conflict, InvalidInput, NotFound
from battrace.ledger.merkle import CompactRange, consistency_proof, inclusion_proof, leaf_hash, root_at
from battrace.ledger.note import Checkpoint, NoteSigner, SignatureLine, Verifier, open_note, split_note
from battrace.ledger.receipt import format_receipt
from battrace.store import Store, Tx
from battrace.store import ledger as db
from battrace.store.ledger import LogEntry, NewEntry, StoredCheckpoint

__all__ = ["ENTRY_VERSION", "MAX_ENTRIES", "LogEntry", "TransparencyLog", "leaf_data"]

ENTRY_VERSION = 1
MAX_ENTRIES = 1000  # per `entries` call (and per GET /log/entries)
_RESERVED = frozenset({"v", "kind", "ts"})
_FLUSH = 10_000  # entries held in memory before they are written


def leaf_data(kind: str, ts: str, event: Mapping[str, Any]) -> bytes:
    """The exact bytes hashed into a leaf: RFC 8785 (JCS) of the versioned event object."""
    if not isinstance(kind, str) or not kind:
        raise InvalidInput("a log entry needs a non-empty kind")
    clash = _RESERVED.intersection(event)
    if clash:
        # The envelope fields must mean what the columns say; an event may not overwrite them.
        raise InvalidInput(f"event fields {sorted(clash)} are reserved for the log entry envelope")
    try:
        return bytes(rfc8785.dumps({"v": ENTRY_VERSION, "kind": kind, "ts": ts, **event}))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(f"event is not canonical-JSON serialisable: {exc}") from exc


class TransparencyLog:
    def __init__(self, store: Store, signer: NoteSigner, *, origin: str, clock: Clock) -> None:
        self._store = store
        self._signer = signer
        self._edge: CompactRange | None = None
        self._edge_lock = threading.Lock()
        self._origin = origin
        self._clock = clock

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def vkey(self) -> str:
        """The verifier key of our checkpoints (what peers and witnesses configure)."""
        return self._signer.vkey

    # -- appending ------------------------------------------------------------------------------------------

    def append(self, tx: Tx, kind: str, event: Mapping[str, Any]) -> int:
        """Append one entry inside the caller's transaction (atomic with the change it records); its index."""
        return self._integrate(tx, [(kind, event)]).start

    def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> range:
        """Append a batch in one transaction of its own; the indices it received."""
        with self._store.transaction() as tx:
            return self._integrate(tx, items)

    def _integrate(self, tx: Tx, items: Iterable[tuple[str, Mapping[str, Any]]]) -> range:
        start = db.lock_head(tx)  # serialises appenders: the edge we extend is the one committed last
        edge = self._edge_at(tx, start)
        now = self._clock()
        ts = iso(now)
        entries: list[NewEntry] = []
        nodes: list[db.Node] = []
        for kind, event in items:
            data = leaf_data(kind, ts, event)
            leaf = leaf_hash(data)
            entries.append(NewEntry(edge.size, kind, now, data.decode("utf-8"), leaf))
            nodes.extend(edge.append(leaf))
            if len(entries) == _FLUSH:  # bounded memory for batches of any size
                _flush(tx, entries, nodes)
        _flush(tx, entries, nodes)
        if edge.size != start:
            db.set_head(tx, edge.size)
            # The new edge becomes the cached one only if this transaction commits; a rollback leaves the
            # cache at the committed size, and a size mismatch always reloads from the database.
            sa_event.listen(tx.session, "after_commit", lambda _session: self._remember(edge), once=True)
        return range(start, edge.size)

    def _edge_at(self, tx: Tx, size: int) -> CompactRange:
        """The right edge at the committed head: from memory when this process committed it last (the common
        case: loading it costs a query per append), otherwise from the stored subtrees."""
        with self._edge_lock:
            cached = self._edge
        if cached is not None and cached.size == size:
            return cached.copy()
        return db.with_subtrees(tx, lambda reader: CompactRange.from_size(size, reader))

    def _remember(self, edge: CompactRange) -> None:
        with self._edge_lock:
            if self._edge is None or edge.size > self._edge.size:
                self._edge = edge.copy()

    # -- checkpoints ----------------------------------------------------------------------------------------

    def checkpoint(self) -> str:
        """The signed note of the current head; signs and stores a new one only if the head moved."""
        return self._checkpoint().note

    def _checkpoint(self) -> StoredCheckpoint:
        with self._store.read() as tx:  # the common case, nothing appended since: no write lock
            latest = db.latest_checkpoint(tx)
            if latest is not None and latest.size == db.read_head(tx):
                return latest
        with self._store.transaction() as tx:
            size = db.lock_head(tx)
            latest = db.latest_checkpoint(tx)
            if latest is not None and latest.size == size:
                return latest
            root = db.with_subtrees(tx, lambda reader: root_at(size, reader))
            note = self._signer.sign(Checkpoint(self._origin, size, root).text())
            made = StoredCheckpoint(size, root, note, self._clock())
            db.insert_checkpoint(tx, made)
            return made

    def latest_checkpoint(self) -> str | None:
        with self._store.read() as tx:
            latest = db.latest_checkpoint(tx)
        return None if latest is None else latest.note

    def add_cosignature(self, size: int, cosigned_note: str, verifier: Verifier) -> None:
        """Keep `verifier`'s (co)signatures of our checkpoint of `size` beside our own signature.

        The note must verify with `verifier` and carry exactly our checkpoint text; a peer cosigning a
        different text of the same size would be evidence of a split view, so it is refused loudly (409).
        """
        text, _ = open_note(cosigned_note, [verifier])
        with self._store.transaction() as tx:
            stored = db.get_checkpoint(tx, size)
            if stored is None:
                raise NotFound(f"this log has no checkpoint of size {size}")
            ours, present = split_note(stored.note)
            if text != ours:
                raise Conflict(f"the cosigned note is not our checkpoint of size {size}")
            have = {(s.name, s.key_id, s.sig) for s in present}
            new = [
                line
                for line, sig in _signature_lines(cosigned_note)
                if (sig.name, sig.key_id) == (verifier.name, verifier.key_id)
                and (sig.name, sig.key_id, sig.sig) not in have
            ]
            if new:
                db.replace_checkpoint_note(tx, size, stored.note + "".join(new))

    # -- reading and proving --------------------------------------------------------------------------------

    def size(self) -> int:
        with self._store.read() as tx:
            return db.read_head(tx)

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> list[bytes]:
        """RFC 9162 §2.1.3 audit path of `leaf_index` in the tree of `tree_size` (<= the current size)."""
        with self._store.read() as tx:
            _check_size(tree_size, db.read_head(tx))
            return db.with_subtrees(tx, lambda reader: inclusion_proof(leaf_index, tree_size, reader))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 §2.1.4 proof that the tree of `first` entries is a prefix of the tree of `second`."""
        with self._store.read() as tx:
            _check_size(second, db.read_head(tx))
            return db.with_subtrees(tx, lambda reader: consistency_proof(first, second, reader))

    def entries(self, start: int, end: int) -> list[LogEntry]:
        """Entries start <= index < end: at most MAX_ENTRIES and never past the head (fewer is no error)."""
        if start < 0 or end < start:
            raise InvalidInput(f"need 0 <= start <= end (got start={start}, end={end})")
        with self._store.read() as tx:
            stop = min(end, start + MAX_ENTRIES, db.read_head(tx))
            return db.entries(tx, start, stop) if stop > start else []

    def receipt(self, leaf_index: int) -> str:
        """A c2sp.org/tlog-proof@v1 receipt: the inclusion proof of the entry against a fresh checkpoint."""
        checkpoint = self._checkpoint()
        if not 0 <= leaf_index < checkpoint.size:
            raise InvalidInput(f"leaf index {leaf_index} is not in the log of size {checkpoint.size}")
        proof = self.inclusion_proof(leaf_index, checkpoint.size)
        return format_receipt(leaf_index, proof, checkpoint.note)


def _flush(tx: Tx, entries: list[NewEntry], nodes: list[db.Node]) -> None:
    db.insert_entries(tx, entries)
    db.insert_subtrees(tx, nodes)
    entries.clear()
    nodes.clear()


def _check_size(tree_size: int, head: int) -> None:
    if tree_size > head:
        raise InvalidInput(f"tree size {tree_size} is beyond the log's size {head}")


def _signature_lines(note: str) -> Sequence[tuple[str, SignatureLine]]:
    """Each signature line of a note verbatim (newline included) with its parsed form."""
    text, sigs = split_note(note)
    raw = note[len(text) + 1 :].split("\n")[:-1]
    return [(line + "\n", sig) for line, sig in zip(raw, sigs, strict=True)]
