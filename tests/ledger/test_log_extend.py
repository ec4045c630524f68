"""`extend` (a batch appended a level at a time) agrees with `CompactRange.append` leaf by leaf."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from battrace.ledger.log import extend
from battrace.ledger.merkle import CompactRange, MemoryTree, root_of


def leaf(i: int) -> bytes:
    return hashlib.sha256(i.to_bytes(8, "big")).digest()


def edge_of(size: int) -> CompactRange:
    edge = CompactRange()
    for i in range(size):
        edge.append(leaf(i))
    return edge


@given(st.integers(0, 300), st.integers(0, 300))
def test_a_batch_closes_the_same_subtrees_and_leaves_the_same_edge_as_single_appends(
    start: int, n: int
) -> None:
    one_by_one = edge_of(start)
    expected = [node for i in range(start, start + n) for node in one_by_one.append(leaf(i))]

    edge, nodes = extend(edge_of(start), [leaf(i) for i in range(start, start + n)])

    assert sorted(nodes) == sorted(expected)
    assert len(nodes) == len(set((lv, i) for lv, i, _ in nodes))
    assert (edge.size, edge.hashes) == (one_by_one.size, one_by_one.hashes)


def test_successive_batches_build_the_tree_of_all_their_leaves() -> None:
    tree = MemoryTree()
    edge = CompactRange()
    stored: dict[tuple[int, int], bytes] = {}
    for size in (1, 2, 5, 64, 1, 127, 1000):
        edge, nodes = extend(edge, [leaf(tree.size + i) for i in range(size)])
        stored.update(((lv, i), h) for lv, i, h in nodes)
        for _ in range(size):
            tree.append_leaf_hash(leaf(tree.size))
    assert edge.root() == tree.root() == root_of([leaf(i) for i in range(tree.size)])
    assert all(tree.subtree(lv, i) == h for (lv, i), h in stored.items())


def test_an_empty_batch_changes_nothing() -> None:
    before = edge_of(13)
    edge, nodes = extend(before, [])
    assert nodes == []
    assert (edge.size, edge.hashes) == (13, before.hashes)
