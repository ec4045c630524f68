"""The node's persistent transparency log: appends, signed checkpoints, proofs, receipts and cosignatures.

Every entry is the RFC 8785 canonical JSON of ``{"v": 1, "kind": ..., "ts": ..., **event}``; its leaf hash and
every complete subtree it completes are stored in the same transaction as the entry (RFC 9162 §2.1), so the
tree is maintained incrementally and a proof reads O(log n) stored hashes. Checkpoints are C2SP signed notes
(c2sp.org/tlog-checkpoint); the log never signs two checkpoints of one size, because a checkpoint row is keyed
by its size and a new one is made only when the head has moved.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import islice, repeat
from typing import Any

import rfc8785
from sqlalchemy import event as sa_event

from battrace.clock import Clock, iso
from battrace.errors import Conflict, InvalidInput, NotFound
from battrace.ledger.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
)
from battrace.ledger.note import Checkpoint, NoteSigner, SignatureLine, Verifier, open_note, split_note
from battrace.ledger.receipt import format_receipt
from battrace.store import Store, Tx
from battrace.store import ledger as db
from battrace.store.ledger import LogEntry, NewEntry, StoredCheckpoint

__all__ = ["ENTRY_VERSION", "MAX_ENTRIES", "LogEntry", "TransparencyLog", "canonical_json", "leaf_data"]

ENTRY_VERSION = 1
MAX_ENTRIES = 1000  # per `entries` call (and per GET /log/entries)
_RESERVED = frozenset({"v", "kind", "ts"})
_FLUSH = 10_000  # entries held in memory before they are written
# RFC 8785 §3.2.2.3 serialises numbers as IEEE 754 doubles; rfc8785 refuses integers it cannot hold exactly.
_INT_MIN, _INT_MAX = -(2**53) + 1, 2**53 - 1
_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of `value`, exactly what `rfc8785.dumps` returns (or raises).

    The stdlib's C encoder writes the very same bytes for the values `_plain` admits: no floats (JCS writes
    them the ECMAScript way, Python's repr differs), integers within JCS's range, str keys whose code-point
    order is their UTF-16 order, and both escape only the quote, the backslash and the C0 controls, the same
    way (RFC 8785 §3.2.2.2). It is ~4x faster than rfc8785's pure-Python serialiser, which was the largest
    cost of an append. Anything else takes the rfc8785 path (proved in tests/ledger/test_log_canonical.py).
    """
    if _plain(value):
        try:
            return _json_encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 refuses it with its own error below
    return bytes(rfc8785.dumps(value))


_SCALARS = frozenset({str, bool, type(None)})


def _plain(value: Any) -> bool:
    # Exact types: subclasses (enums...) may serialise differently in the two encoders. Written as loops
    # with scalars tested inline, not all() over generators: this walk runs once per appended entry.
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is int:
        return bool(_INT_MIN <= value <= _INT_MAX)
    if kind is dict:
        for key, item in value.items():
            # RFC 8785 §3.2.3 sorts keys by UTF-16 code units, Python by code points: the orders agree unless
            # a key holds a character from U+D800 up (a surrogate pair sorts below U+E000..U+FFFF in UTF-16).
            if type(key) is not str or not (key.isascii() or max(key) < "\ud800"):
                return False
            if type(item) not in _SCALARS and not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(type(item) in _SCALARS or _plain(item) for item in value)
    return False


def leaf_data(kind: str, ts: str, event: Mapping[str, Any]) -> bytes:
    """The exact bytes hashed into a leaf: RFC 8785 (JCS) of the versioned event object."""
    if not isinstance(kind, str) or not kind:
        raise InvalidInput("a log entry needs a non-empty kind")
    clash = _RESERVED.intersection(event)
    if clash:
        # The envelope fields must mean what the columns say; an event may not overwrite them.
        raise InvalidInput(f"event fields {sorted(clash)} are reserved for the log entry envelope")
    try:
        return canonical_json({"v": ENTRY_VERSION, "kind": kind, "ts": ts, **event})
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

    def append_all(self, tx: Tx, items: Iterable[tuple[str, Mapping[str, Any]]]) -> range:
        """Append a batch inside the caller's transaction (atomic with the changes it records)."""
        return self._integrate(tx, items)

    def append_many(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> range:
        """Append a batch in one transaction of its own; the indices it received."""
        with self._store.transaction() as tx:
            return self._integrate(tx, items)

    def _integrate(self, tx: Tx, items: Iterable[tuple[str, Mapping[str, Any]]]) -> range:
        start = db.lock_head(tx)  # serialises appenders: the edge we extend is the one committed last
        edge = self._edge_at(tx, start)
        now = self._clock()
        ts = iso(now)
        pending = iter(items)
        while chunk := list(islice(pending, _FLUSH)):  # bounded memory for batches of any size
            entries = [
                _new_entry(edge.size + i, kind, event, now, ts) for i, (kind, event) in enumerate(chunk)
            ]
            edge, nodes = extend(edge, [e.leaf_hash for e in entries])
            db.insert_entries(tx, entries)
            db.insert_subtrees(tx, nodes)
        if edge.size != start:
            db.set_head(tx, edge.size)
            # The new edge becomes the cached one only if this transaction commits; a rollback leaves the
            # cache at the committed size, and a size mismatch always reloads from the database.
            done = edge
            sa_event.listen(tx.session, "after_commit", lambda _session: self._remember(done), once=True)
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
            return db.with_head_and_subtrees(
                tx,
                lambda reader: inclusion_proof(leaf_index, tree_size, reader),
                lambda head: _check_size(tree_size, head),
            )

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 §2.1.4 proof that the tree of `first` entries is a prefix of the tree of `second`."""
        with self._store.read() as tx:
            return db.with_head_and_subtrees(
                tx,
                lambda reader: consistency_proof(first, second, reader),
                lambda head: _check_size(second, head),
            )

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


def _new_entry(index: int, kind: str, event: Mapping[str, Any], now: datetime, ts: str) -> NewEntry:
    data = leaf_data(kind, ts, event)
    return NewEntry(index, kind, now, data.decode("utf-8"), leaf_hash(data))


def extend(edge: CompactRange, leaves: Sequence[bytes]) -> tuple[CompactRange, list[db.Node]]:
    """`edge` with `leaves` appended, and every complete subtree they close: what `CompactRange.append` gives
    leaf by leaf, computed a level at a time (RFC 9162 §2.1.1: a node is the hash of its two children).

    A batch of n leaves closes ~2n subtrees; pairing whole levels keeps the per-node work to one slice, one
    hash and one tuple, which halves the Merkle cost of a large batch against the per-leaf loop.
    """
    nodes: list[db.Node] = []
    left = _left_siblings(edge)
    tips: dict[tuple[int, int], bytes] = dict(left)
    level, first, row = 0, edge.size, list(leaves)
    while row:
        nodes.extend(zip(repeat(level), range(first, first + len(row)), row, strict=False))
        tips[(level, first + len(row) - 1)] = row[-1]
        if first & 1:  # the first new node is a right child: its sibling waits on the old edge
            row.insert(0, left[(level, first - 1)])
            first -= 1
        row = [node_hash(a, b) for a, b in zip(row[0::2], row[1::2], strict=False)]
        level, first = level + 1, first >> 1
    return CompactRange.from_size(edge.size + len(leaves), _Tips(tips)), nodes


def _left_siblings(edge: CompactRange) -> dict[tuple[int, int], bytes]:
    """The edge's hashes by (level, index): one complete subtree per set bit of its size, largest first."""
    found: dict[tuple[int, int], bytes] = {}
    covered = 0
    levels = (lv for lv in range(edge.size.bit_length() - 1, -1, -1) if edge.size >> lv & 1)
    for level, h in zip(levels, edge.hashes, strict=True):
        found[(level, covered >> level)] = h
        covered += 1 << level
    return found


class _Tips:
    """A SubtreeReader over the last complete subtree of each level, all a compact range reads."""

    def __init__(self, hashes: Mapping[tuple[int, int], bytes]) -> None:
        self._hashes = hashes

    def subtree(self, level: int, index: int) -> bytes:
        return self._hashes[(level, index)]


def _check_size(tree_size: int, head: int) -> None:
    if tree_size > head:
        raise InvalidInput(f"tree size {tree_size} is beyond the log's size {head}")


def _signature_lines(note: str) -> Sequence[tuple[str, SignatureLine]]:
    """Each signature line of a note verbatim (newline included) with its parsed form."""
    text, sigs = split_note(note)
    raw = note[len(text) + 1 :].split("\n")[:-1]
    return [(line + "\n", sig) for line, sig in zip(raw, sigs, strict=True)]
