"""`battrace log verify`: recompute the log from the database and hold it against the signed checkpoints.

How each kind of tampering is caught (and named):

* **Edited entry, naive** (payload or a column changed, leaf hash left alone): every payload is
  re-canonicalised (RFC 8785) and re-hashed; a mismatch with the stored leaf hash names it (``edited``).
  The ``kind`` and ``created_at`` columns are compared with the payload's ``kind`` and ``ts`` (hashed fields).
* **Edited entry, careful** (payload and leaf hash rewritten together): the tree recomputed from the
  payloads no longer has the root of the signed checkpoints that cover the entry. The culprit is found by
  descending from the signed root: at each RFC 9162 split, the two stored half-range hashes
  (``log_subtrees``) are trusted only if they hash to the already-authenticated parent, and the search
  follows every half whose recomputed hash differs from the authenticated one. Authenticated down to a
  leaf, the entry is named (``diverged``); if the stored subtrees were rewritten too, the report names the
  smallest range they can still vouch for.
* **Reordered entries**: the same descent finds both positions, and an entry whose recomputed leaf equals the
  authenticated leaf of another reported position is reported as ``reordered`` (naming where it was signed).
* **Deleted entry**: a gap in the index sequence is ``missing`` at once. Deleted and renumbered (later entries
  shifted down), the first divergent position holds what was signed one later: ``deleted`` there.
* **Inserted entry**: rows beyond the head are ``unexpected``; inserted and renumbered (shifted up), the entry
  after the first divergent position holds what was signed there: ``inserted``.
* **Truncated or rolled-back log**: a verified checkpoint larger than the entries present is ``shrunk``.
  Pass checkpoints kept outside the database (a witness's cosigned note, receipts from peers) as
  ``checkpoints=`` to catch an operator who also deleted the later checkpoints.
* **Forged or altered checkpoints**: every stored note must verify with a trusted key and agree with its row
  (``bad_checkpoint``); two verified checkpoints of one size with different roots are a ``split_view``.

Entries after the newest verified checkpoint can only be checked for internal consistency; the report says
from where (``covered``). Memory: about 64 bytes per entry (the recomputed tree) during the audit.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785

from battrace.clock import iso
from battrace.errors import InvalidInput
from battrace.ledger.merkle import (
    MemoryTree,
    SubtreeReader,
    leaf_hash,
    node_hash,
    range_hash,
    root_at,
)
from battrace.ledger.note import Checkpoint, NoteVerifier, Verifier, open_checkpoint
from battrace.store import Store
from battrace.store import ledger as db
from battrace.store.ledger import LogEntry, MissingSubtree, StoredCheckpoint

MAX_LOCATED = 64  # divergent positions named per checkpoint; a shifted log would otherwise name them all
_HOLE = bytes(32)  # stands in for a missing row, so later positions keep their index in the recomputed tree


@dataclass(frozen=True)
class Finding:
    kind: str  # missing | unexpected | edited | diverged | reordered | deleted | inserted | shrunk | ...
    index: int | None  # first entry concerned (None: a checkpoint problem)
    end: int | None  # exclusive end when only a range [index, end) can be named
    detail: str


@dataclass(frozen=True)
class VerifyReport:
    entries: int  # positions recomputed (highest index + 1)
    head: int  # the size the log_head row claims
    checkpoints: int  # signed checkpoints that verified
    covered: int  # largest size whose recomputed root equals a verified signed root
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def verify_log(
    store: Store, verifiers: Sequence[Verifier], *, checkpoints: Iterable[str] = ()
) -> VerifyReport:
    """Audit the whole log in one read transaction; `checkpoints` are signed notes kept elsewhere."""
    with store.read() as tx:
        head = db.read_head(tx)
        tree, findings = _recompute(db.iter_entries(tx))
        stored = db.list_checkpoints(tx)
        signed, bad = _signed_checkpoints(stored, checkpoints, verifiers)
        findings.extend(bad)
        present = tree.size
        findings.extend(_against_head(present, head))
        while tree.size < max(signed, default=0):  # holes where a truncated tail was, so descent still works
            tree.append_leaf_hash(_HOLE)
        # Largest first: a bigger tree shows more of a swap or shift, so its explanation is the one kept.
        results = {
            cp.size: _against_checkpoint(cp, present, tree, db.StoredSubtrees(tx))
            for cp in sorted(signed.values(), key=lambda c: -c.size)
        }
    for problems in results.values():
        findings.extend(problems)
    earliest = min((f.index for f in findings if f.index is not None), default=present)
    covered = max((size for size, p in results.items() if not p and size <= earliest), default=0)
    ordered = sorted(_dedupe(findings), key=lambda f: (f.index is not None, f.index or 0))  # stable
    return VerifyReport(present, head, len(signed), covered, tuple(ordered))


# -- entries ------------------------------------------------------------------------------------------------


def _recompute(rows: Iterable[LogEntry]) -> tuple[MemoryTree, list[Finding]]:
    tree = MemoryTree()
    findings: list[Finding] = []
    for entry in rows:
        if entry.index > tree.size:
            findings.append(Finding("missing", tree.size, entry.index, _gap(tree.size, entry.index)))
            while tree.size < entry.index:
                tree.append_leaf_hash(_HOLE)
        leaf, problem = _check_entry(entry)
        if problem:
            findings.append(Finding("edited", entry.index, None, problem))
        tree.append_leaf_hash(leaf)
    return tree, findings


def _gap(start: int, end: int) -> str:
    which = f"entry {start} is" if end == start + 1 else f"entries {start}..{end - 1} are"
    return f"{which} missing (deleted)"


def _check_entry(entry: LogEntry) -> tuple[bytes, str | None]:
    """The leaf hash recomputed from the payload, and what disagrees within the row (None if nothing)."""
    try:
        leaf = leaf_hash(rfc8785.dumps(dict(entry.payload)))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        return _HOLE, f"payload cannot be canonicalised ({exc})"
    if leaf != entry.leaf_hash:
        return leaf, "payload does not match its stored leaf hash"
    if entry.payload.get("kind") != entry.kind:
        return leaf, f"kind column {entry.kind!r} differs from the payload's {entry.payload.get('kind')!r}"
    if entry.payload.get("ts") != iso(entry.created_at):
        return leaf, f"created_at {iso(entry.created_at)} differs from the payload's ts"
    return leaf, None


def _against_head(size: int, head: int) -> list[Finding]:
    if size > head:
        return [Finding("unexpected", head, size, f"rows {head}..{size - 1} lie beyond the head (inserted?)")]
    if size < head:
        return [Finding("missing", size, head, f"{_gap(size, head)}: the head says {head} entries")]
    return []


# -- checkpoints --------------------------------------------------------------------------------------------


def _signed_checkpoints(
    stored: Sequence[StoredCheckpoint], external: Iterable[str], verifiers: Sequence[Verifier]
) -> tuple[dict[int, Checkpoint], list[Finding]]:
    """Every checkpoint that verifies, by size; findings for those that do not, or that disagree."""
    signed: dict[int, Checkpoint] = {}
    findings: list[Finding] = []
    notes: list[tuple[str, str, StoredCheckpoint | None]]
    notes = [(f"stored checkpoint of size {row.size}", row.note, row) for row in stored]
    notes += [(f"external checkpoint #{i + 1}", note, None) for i, note in enumerate(external)]
    for label, note, row in notes:
        try:
            cp = open_checkpoint(note, verifiers)
        except InvalidInput as exc:
            findings.append(Finding("bad_checkpoint", None, None, f"{label}: {exc.detail}"))
            continue
        if row is not None and (cp.size, cp.root) != (row.size, row.root):
            findings.append(
                Finding("bad_checkpoint", None, None, f"{label}: row disagrees with its signed note")
            )
            continue
        other = signed.setdefault(cp.size, cp)
        if other.root != cp.root:
            detail = f"{label}: two signed checkpoints of size {cp.size} with different roots"
            findings.append(Finding("split_view", None, None, detail))
    return signed, findings


def _against_checkpoint(
    cp: Checkpoint, present: int, tree: MemoryTree, stored: SubtreeReader
) -> list[Finding]:
    findings = []
    if cp.size > present:
        detail = f"a signed checkpoint covers {cp.size} entries but only {present} exist (truncated log)"
        findings.append(Finding("shrunk", present, cp.size, detail))
    if root_at(cp.size, tree) != cp.root:
        located = _locate(cp.size, cp.root, stored, tree)
        # A range reaching into a deleted tail cannot be narrowed (its subtrees went too): "shrunk" says so.
        located = [(a, b, h) for a, b, h in located if b == a + 1 or b <= present]
        findings.extend(_classify(located, tree, cp.size))
    return findings


def _locate(
    size: int, root: bytes, stored: SubtreeReader, tree: SubtreeReader
) -> list[tuple[int, int, bytes]]:
    """Ranges [a, b) holding entries that differ from the signed tree, smallest the stored hashes allow.

    Returns (a, b, authenticated hash of the range), leftmost first, at most MAX_LOCATED of them.
    """
    found: list[tuple[int, int, bytes]] = []
    stack = [(0, size, root)]
    while stack and len(found) < MAX_LOCATED:
        a, b, authentic = stack.pop()
        if range_hash(a, b, tree) == authentic:
            continue
        halves = _stored_halves(a, b, authentic, stored)
        if halves is None:
            found.append((a, b, authentic))
            continue
        (k, left, right) = halves
        stack.append((a + k, b, right))
        stack.append((a, a + k, left))  # popped first: findings come out leftmost first
    return found


def _stored_halves(
    a: int, b: int, authentic: bytes, stored: SubtreeReader
) -> tuple[int, bytes, bytes] | None:
    """The RFC 9162 split of [a, b) and its two stored half hashes, if they vouch for `authentic`."""
    if b - a == 1:
        return None
    k = 1 << ((b - a - 1).bit_length() - 1)
    try:
        left, right = range_hash(a, a + k, stored), range_hash(a + k, b, stored)
    except MissingSubtree:
        return None
    return (k, left, right) if node_hash(left, right) == authentic else None


def _classify(located: list[tuple[int, int, bytes]], tree: MemoryTree, size: int) -> list[Finding]:
    authentic = {a: h for a, b, h in located if b == a + 1}
    findings: list[Finding] = []
    shift = 0  # -1 after a deletion, +1 after an insertion: later positions hold their neighbour's entry
    for a, b, _ in located:
        if b != a + 1:
            detail = (
                f"entries {a}..{b - 1} differ from the checkpoint of size {size} (its subtrees were altered)"
            )
            findings.append(Finding("diverged", a, b, detail))
            continue
        if shift and _agrees(_leaf(tree, a), authentic.get(a - shift)):
            continue  # explained by the deletion or insertion already reported
        finding, shift = _classify_one(a, tree, authentic, size)
        findings.append(finding)
    return findings


def _leaf(tree: MemoryTree, index: int) -> bytes | None:
    return tree.subtree(0, index) if 0 <= index < tree.size else None


def _agrees(recomputed: bytes | None, authentic: bytes | None) -> bool:
    return recomputed is None or authentic is None or recomputed == authentic  # unknown is no contradiction


def _classify_one(a: int, tree: MemoryTree, authentic: dict[int, bytes], size: int) -> tuple[Finding, int]:
    here = _leaf(tree, a)
    signed_at = {h: i for i, h in authentic.items() if i != a}
    j = signed_at.get(here) if here is not None else None
    if j is not None and _leaf(tree, j) == authentic[a]:
        return Finding("reordered", a, None, f"entries {a} and {j} were swapped"), 0
    if authentic.get(a + 1) == here and _agrees(_leaf(tree, a + 1), authentic.get(a + 2)):
        return Finding("deleted", a, None, f"the entry signed at {a} was deleted; later ones moved down"), -1
    if _leaf(tree, a + 1) == authentic[a] and _agrees(_leaf(tree, a + 2), authentic.get(a + 1)):
        return Finding("inserted", a, None, f"an entry was inserted at {a}; later ones moved up"), 1
    if j is not None:
        return Finding("reordered", a, None, f"entry {a} holds the entry signed at index {j}"), 0
    detail = f"entry {a} differs from the one signed in the checkpoint of size {size}"
    return Finding("diverged", a, None, detail), 0


def _dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """Drop repeats, and entry findings inside a range an earlier finding already explains."""
    out: list[Finding] = []
    for f in findings:
        if f in out:
            continue
        if f.index is not None and any(_covers(g, f.index) for g in out):
            continue
        out.append(f)
    return out


def _covers(finding: Finding, index: int) -> bool:
    if finding.index is None:
        return False
    return finding.index <= index < (finding.end if finding.end is not None else finding.index + 1)


# -- command-line entry point -------------------------------------------------------------------------------


def _open_store(data_dir_or_url: str) -> Store:
    if "://" in data_dir_or_url:
        return Store(data_dir_or_url)
    return Store.for_data_dir(Path(data_dir_or_url))


def main(data_dir_or_url: str, vkeys: Sequence[str], checkpoint_files: Sequence[Path] = ()) -> int:
    """Audit a node's log; print a report; 0 if it is intact, 1 if tampering was found, 2 on bad input."""
    from rich.console import Console  # only the command line needs rich

    console = Console()
    try:
        verifiers = [NoteVerifier.from_vkey(v) for v in vkeys]
        external = [p.read_text(encoding="utf-8") for p in checkpoint_files]
    except (InvalidInput, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    if not verifiers:
        console.print(
            "[red]error:[/red] give the log's verifier key (checkpoints cannot be trusted without it)"
        )
        return 2
    store = _open_store(data_dir_or_url)
    try:
        report = verify_log(store, verifiers, checkpoints=external)
    finally:
        store.dispose()
    _print(console, report)
    return 0 if report.ok else 1


def _print(console: Any, report: VerifyReport) -> None:
    console.print(
        f"entries {report.entries} (head {report.head}), verified checkpoints {report.checkpoints}, "
        f"signed coverage up to size {report.covered}"
    )
    if report.covered < report.entries:
        console.print(
            f"[yellow]entries {report.covered}.. are not yet covered by a signed checkpoint[/yellow]"
        )
    for f in report.findings:
        where = "" if f.index is None else f" at {f.index}" + ("" if f.end is None else f"..{f.end - 1}")
        console.print(f"[red]{f.kind}[/red]{where}: {f.detail}")
    console.print("[green]log intact[/green]" if report.ok else "[red]tampering detected[/red]")


if __name__ == "__main__":  # python -m battrace.ledger.verify DATA_DIR_OR_URL VKEY...
    sys.exit(main(sys.argv[1], sys.argv[2:]))
