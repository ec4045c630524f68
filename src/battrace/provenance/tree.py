"""The tree of signed inputs behind a value, as far as the viewer is entitled to see.

Each node is a hash. Its statements come from the store, filtered by ``may_see``; its children are the
inputs named by its visible derivation statements. Branches are cut, never silently dropped: a node says
whether it is shown, withheld (statements exist, none visible), unknown (no statement), a cycle (the hash
is already on the path above: statements are signer claims, and a signer may claim anything), repeated
(expanded elsewhere in the tree; keeps shared inputs from multiplying), or truncated (too deep).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from battrace.provenance.records import Provenance
from battrace.provenance.store import ProvenanceStore

Status = Literal["shown", "withheld", "unknown", "cycle", "repeated", "truncated"]
MAX_DEPTH = 64


@dataclass(frozen=True)
class Tree:
    sha256: str
    status: Status
    records: tuple[Provenance, ...] = ()  # the visible statements about this hash (only when shown)
    children: tuple[Tree, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for APIs and ``--json`` output: the statements as their claims plus JWS."""
        return {
            "sha256": self.sha256,
            "status": self.status,
            "statements": [{**r.claims(), "jws": r.signature} for r in self.records],
            "inputs": [child.to_dict() for child in self.children],
        }


def provenance_tree(
    sha256: str,
    store: ProvenanceStore,
    *,
    may_see: Callable[[Provenance], bool],
    max_depth: int = MAX_DEPTH,
) -> Tree:
    return _Walk(store, may_see, max_depth).node(sha256, ())


class _Walk:
    def __init__(self, store: ProvenanceStore, may_see: Callable[[Provenance], bool], max_depth: int) -> None:
        self._store = store
        self._may_see = may_see
        self._max_depth = max_depth
        self._expanded: set[str] = set()

    def node(self, sha256: str, path: tuple[str, ...]) -> Tree:
        if sha256 in path:
            return Tree(sha256, "cycle")
        if sha256 in self._expanded:
            return Tree(sha256, "repeated")
        records = tuple(self._store.records(sha256))
        if not records:
            return Tree(sha256, "unknown")
        visible = tuple(r for r in records if self._may_see(r))
        if not visible:
            return Tree(sha256, "withheld")
        if len(path) >= self._max_depth:
            return Tree(sha256, "truncated", visible)
        self._expanded.add(sha256)
        below = (*path, sha256)
        inputs = _unique(h for r in visible if r.kind == "derivation" for h in r.inputs)
        return Tree(sha256, "shown", visible, tuple(self.node(h, below) for h in inputs))


def _unique(hashes: Iterable[str]) -> list[str]:
    # two visible derivations of the same value may name the same input; show it once
    return list(dict.fromkeys(hashes))
