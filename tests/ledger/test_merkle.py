"""Proof generation against the RFC 9162 recursive definitions, and property tests over random trees."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.ledger.merkle import (
    CompactRange,
    InvalidProofRequest,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    range_hash,
    root_at,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# -- the RFC 9162 §2.1.3.1 / §2.1.4.1 definitions, written out literally as the reference ----------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) over leaf hashes ``d``."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), root_of(d[k:])]
    return [*ref_path(m - k, d[k:]), root_of(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b)."""
    if m == len(d):
        return [] if whole else [root_of(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], whole), root_of(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), root_of(d[:k])]


def _tree(n: int) -> tuple[MemoryTree, list[bytes]]:
    t = MemoryTree()
    for i in range(n):
        t.append(b"entry %d" % i)  # distinct data, so no two leaves share a hash
    return t, [t.subtree(0, i) for i in range(n)]


BIG, BIG_LEAVES = _tree(300)
BIG_ROOTS = [root_at(n, BIG) for n in range(BIG.size + 1)]


def _flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# -- generated proofs equal the definitions ------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 41))
def test_inclusion_proofs_equal_the_rfc_path_definition(n: int) -> None:
    leaves = BIG_LEAVES[:n]
    for m in range(n):
        assert inclusion_proof(m, n, BIG) == ref_path(m, leaves)


@pytest.mark.parametrize("n", range(1, 41))
def test_consistency_proofs_equal_the_rfc_proof_definition(n: int) -> None:
    leaves = BIG_LEAVES[:n]
    for m in range(1, n + 1):
        assert consistency_proof(m, n, BIG) == ref_subproof(m, leaves, True)


def test_consistency_from_the_empty_tree_is_an_empty_proof_that_verification_still_refuses() -> None:
    assert consistency_proof(0, 5, BIG) == []
    assert not verify_consistency(0, 5, BIG_ROOTS[0], BIG_ROOTS[5], [])


@given(st.integers(0, 299), st.integers(1, 300))
def test_range_hash_of_any_range_is_the_mth_of_that_slice(start: int, length: int) -> None:
    end = min(300, start + length)
    assert range_hash(start, end, BIG) == root_of(BIG_LEAVES[start:end])


def test_root_of_empty_is_sha256_of_nothing_and_size_one_is_the_leaf() -> None:
    assert root_of([]).hex().startswith("e3b0c442")
    assert root_of([leaf_hash(b"x")]) == leaf_hash(b"x")


# -- every proof of random trees verifies -----------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 300))
def test_every_inclusion_and_consistency_proof_of_a_random_tree_verifies(n: int) -> None:
    for m in range(n):
        assert verify_inclusion(m, n, BIG_LEAVES[m], inclusion_proof(m, n, BIG), BIG_ROOTS[n])
    for m in range(1, n + 1):
        assert verify_consistency(m, n, BIG_ROOTS[m], BIG_ROOTS[n], consistency_proof(m, n, BIG))


@given(st.data())
def test_any_single_bit_change_of_leaf_proof_root_or_index_fails_inclusion(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 300))
    m = data.draw(st.integers(0, n - 1))
    leaf, proof, root = BIG_LEAVES[m], inclusion_proof(m, n, BIG), BIG_ROOTS[n]
    assert verify_inclusion(m, n, leaf, proof, root)
    bit = data.draw(st.integers(0, 255))
    target = data.draw(
        st.sampled_from(["leaf", "root", "index", "proof"] if proof else ["leaf", "root", "index"])
    )
    if target == "leaf":
        leaf = _flip(leaf, bit)
    elif target == "root":
        root = _flip(root, bit)
    elif target == "index":
        m ^= 1 << (bit % 10)
    else:
        at = data.draw(st.integers(0, len(proof) - 1))
        proof = [*proof[:at], _flip(proof[at], bit), *proof[at + 1 :]]
    assert not verify_inclusion(m, n, leaf, proof, root)


@given(st.data())
def test_any_single_bit_change_of_a_root_proof_element_or_first_size_fails_consistency(
    data: st.DataObject,
) -> None:
    n = data.draw(st.integers(2, 300))
    m = data.draw(st.integers(1, n - 1))
    root1, root2, proof = BIG_ROOTS[m], BIG_ROOTS[n], consistency_proof(m, n, BIG)
    assert verify_consistency(m, n, root1, root2, proof)
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.sampled_from(["root1", "root2", "size1", "proof"]))
    if target == "root1":
        root1 = _flip(root1, bit)
    elif target == "root2":
        root2 = _flip(root2, bit)
    elif target == "size1":
        m ^= 1 << (bit % 10)
    else:
        at = data.draw(st.integers(0, len(proof) - 1))
        proof = [*proof[:at], _flip(proof[at], bit), *proof[at + 1 :]]
    assert not verify_consistency(m, n, root1, root2, proof)


def test_a_proof_can_verify_against_a_wrong_tree_size_so_the_size_must_be_signed_with_the_root() -> None:
    # The path of leaf 0 has the same shape in trees of 6 and 7 leaves, so the (size 6) root verifies with
    # size 7 too; the same holds for consistency and the second size. Checkpoints sign size and root together,
    # and receipts take both from the signed checkpoint; against the genuine size-7 root the proof fails.
    proof = inclusion_proof(0, 6, BIG)
    assert verify_inclusion(0, 7, BIG_LEAVES[0], proof, BIG_ROOTS[6])
    assert not verify_inclusion(0, 7, BIG_LEAVES[0], proof, BIG_ROOTS[7])
    cproof = consistency_proof(3, 6, BIG)
    assert verify_consistency(3, 7, BIG_ROOTS[3], BIG_ROOTS[6], cproof)
    assert not verify_consistency(3, 7, BIG_ROOTS[3], BIG_ROOTS[7], cproof)


@given(st.data())
def test_a_changed_tree_size_never_verifies_against_the_genuine_root_of_that_size(
    data: st.DataObject,
) -> None:
    n = data.draw(st.integers(2, 300))
    m = data.draw(st.integers(1, n - 1))
    other = n ^ (1 << data.draw(st.integers(0, 8)))
    if not m < other <= 300:
        candidates = [size for size in (n - 1, n + 1) if m < size <= 300]
        assume(candidates)  # n = 300 with m = 299 leaves no other size in the table
        other = candidates[0]
    assert not verify_inclusion(m, other, BIG_LEAVES[m], inclusion_proof(m, n, BIG), BIG_ROOTS[other])
    assert not verify_consistency(m, other, BIG_ROOTS[m], BIG_ROOTS[other], consistency_proof(m, n, BIG))


def test_hashes_of_the_wrong_length_never_verify() -> None:
    proof = inclusion_proof(2, 5, BIG)
    assert verify_inclusion(2, 5, BIG_LEAVES[2], proof, BIG_ROOTS[5])
    assert not verify_inclusion(2, 5, BIG_LEAVES[2] + b"\0", proof, BIG_ROOTS[5])
    assert not verify_inclusion(2, 5, BIG_LEAVES[2], [*proof[:-1], proof[-1] + b"\0"], BIG_ROOTS[5])
    assert not verify_inclusion(2, 5, BIG_LEAVES[2], [*proof, b""], BIG_ROOTS[5])


# -- compact range and storage -------------------------------------------------------------------------------


@settings(max_examples=50)
@given(st.integers(0, 300))
def test_compact_range_rebuilt_from_storage_equals_the_live_one(n: int) -> None:
    live = CompactRange()
    for leaf in BIG_LEAVES[:n]:
        live.append(leaf)
    rebuilt = CompactRange.from_size(n, BIG)
    assert (rebuilt.size, rebuilt.hashes, rebuilt.root()) == (live.size, live.hashes, live.root())
    assert len(rebuilt.hashes) == bin(n).count("1")
    assert rebuilt.root() == BIG_ROOTS[n]


def test_append_reports_exactly_the_subtrees_it_completes() -> None:
    edge = CompactRange()
    reported: list[tuple[int, int]] = []
    for leaf in BIG_LEAVES[:8]:
        reported += [(level, index) for level, index, _ in edge.append(leaf)]
    by_leaf = [[(0, 0)], [(0, 1), (1, 0)], [(0, 2)], [(0, 3), (1, 1), (2, 0)], [(0, 4)], [(0, 5), (1, 2)]]
    by_leaf += [[(0, 6)], [(0, 7), (1, 3), (2, 1), (3, 0)]]
    assert reported == [pair for pairs in by_leaf for pair in pairs]


def test_completed_subtree_hashes_are_the_mth_of_their_leaves() -> None:
    edge = CompactRange()
    for leaf in BIG_LEAVES[:37]:
        for level, index, h in edge.append(leaf):
            assert h == root_of(BIG_LEAVES[index << level : (index + 1) << level])


def test_a_leaf_hash_must_be_32_bytes() -> None:
    with pytest.raises(InvalidInput):
        CompactRange().append(b"short")


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (inclusion_proof, (5, 5)),
        (inclusion_proof, (-1, 5)),
        (inclusion_proof, (0, 0)),
        (consistency_proof, (6, 5)),
        (consistency_proof, (-1, 5)),
        (root_at, (-1,)),
        (range_hash, (3, 3)),
    ],
)
def test_impossible_proof_requests_are_invalid_input(call: object, args: tuple[int, ...]) -> None:
    with pytest.raises(InvalidProofRequest) as err:
        call(*args, BIG)  # type: ignore[operator]
    assert err.value.status == 400


def test_memory_tree_refuses_subtrees_that_are_not_complete_yet() -> None:
    t, _ = _tree(5)
    assert t.subtree(2, 0) == root_of([t.subtree(0, i) for i in range(4)])
    with pytest.raises(InvalidProofRequest):
        t.subtree(2, 1)
    with pytest.raises(InvalidProofRequest):
        t.subtree(3, 0)
    with pytest.raises(InvalidProofRequest):
        inclusion_proof(0, 6, t)


def test_memory_tree_append_returns_the_index_and_root_matches_the_reference() -> None:
    t = MemoryTree()
    assert [t.append(b"%d" % i) for i in range(3)] == [0, 1, 2]
    assert t.root() == root_of([leaf_hash(b"%d" % i) for i in range(3)])
