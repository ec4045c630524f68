"""RFC 6962 / RFC 9162 §2.1 Merkle tree hashing, proofs and their verification (SHA-256).

Pure: no I/O. Storage is abstracted as a ``SubtreeReader`` that returns the hash of any *complete*, aligned
subtree (the only nodes an append-only log ever needs to keep). Every proof is built from O(log n) such reads,
so a log of 10^7 entries never recomputes anything.

Conventions (RFC 9162 §2.1.1): leaf hash = SHA-256(0x00 || data),
interior node = SHA-256(0x01 || left || right), MTH of the empty list = SHA-256(""), and D[0:n] splits
at k = the largest power of two smaller than n.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from battrace.errors import InvalidInput

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


class InvalidProofRequest(InvalidInput):
    """A proof was asked for coordinates that do not exist (index >= size, size1 > size2, negative...)."""


class SubtreeReader(Protocol):
    def subtree(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree over leaves [index * 2**level, (index + 1) * 2**level).

        Level 0 is the leaf hash itself. Callers only ask for subtrees that are complete in the tree
        they read.
        """
        ...


def leaf_hash(data: bytes) -> bytes:
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """k = the largest power of two strictly smaller than n (n >= 2), RFC 9162 §2.1.1."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over the given leaf hashes, straight from the recursive definition (the reference, O(n))."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


def range_hash(start: int, end: int, reader: SubtreeReader) -> bytes:
    """MTH(D[start:end]) for a non-empty range.

    When ``start`` is aligned to the largest power of two below the range length (true of every range a
    proof needs) this costs at most log2(n) reads: the range is a run of complete subtrees of decreasing
    size, and the RFC's split rule folds them from the right. Unaligned ranges are still correct, just O(n).
    """
    if not 0 <= start < end:
        raise InvalidProofRequest(f"empty or negative range [{start}, {end})")
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return reader.subtree(n.bit_length() - 1, start // n)
    k = _split(n)
    return node_hash(range_hash(start, start + k, reader), range_hash(start + k, end, reader))


def root_at(size: int, reader: SubtreeReader) -> bytes:
    if size < 0:
        raise InvalidProofRequest(f"negative tree size {size}")
    return EMPTY_ROOT if size == 0 else range_hash(0, size, reader)


def inclusion_proof(index: int, size: int, reader: SubtreeReader) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, hashes listed bottom-up."""
    if not 0 <= index < size:
        raise InvalidProofRequest(f"leaf index {index} is not in a tree of size {size}")
    top_down: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            top_down.append(range_hash(lo + k, hi, reader))
            hi = lo + k
        else:
            top_down.append(range_hash(lo, lo + k, reader))
            lo += k
    top_down.reverse()
    return top_down


def consistency_proof(size1: int, size2: int, reader: SubtreeReader) -> list[bytes]:
    """PROOF(size1, D[0:size2]) of RFC 9162 §2.1.4.1, hashes listed bottom-up.

    Empty when size1 == size2 and, as in transparency-dev/merkle, when size1 == 0 (there is nothing to prove
    about an empty tree; ``verify_consistency`` still refuses size1 == 0, as the reference vectors require).
    """
    if size1 < 0 or size2 < 0 or size1 > size2:
        raise InvalidProofRequest(f"no consistency proof from size {size1} to size {size2}")
    if size1 == 0 or size1 == size2:
        return []
    top_down: list[bytes] = []
    lo, hi, whole = 0, size2, True  # SUBPROOF(m, D[lo:hi], whole)
    while size1 != hi:
        k = _split(hi - lo)
        if size1 <= lo + k:
            top_down.append(range_hash(lo + k, hi, reader))
            hi = lo + k
        else:
            top_down.append(range_hash(lo, lo + k, reader))
            lo, whole = lo + k, False
    if not whole:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
        top_down.append(range_hash(lo, hi, reader))
    top_down.reverse()
    return top_down


def _ok_hash(h: bytes) -> bool:
    return isinstance(h, bytes) and len(h) == HASH_SIZE


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2. ``leaf`` is the leaf *hash*. Wrong-length hashes are failures (transparency-dev)."""
    if not 0 <= index < size or not _ok_hash(leaf) or not _ok_hash(root):
        return False
    if not all(_ok_hash(p) for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # climb past levels where we are the lone right-edge node
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2, judged exactly as the transparency-dev vectors judge it.

    size1 == 0 fails even when size2 == 0; equal sizes need an empty proof and equal roots (and nothing else:
    the vectors accept equal roots of any length there); otherwise every hash must be 32 bytes.
    """
    if not 0 < size1 <= size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not _ok_hash(root1) or not _ok_hash(root2) or not all(_ok_hash(p) for p in proof):
        return False
    if not proof:
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # step 1: size1 is a power of two, so its root is the proof's implicit start
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


class CompactRange:
    """The right edge of a tree: one complete-subtree hash per set bit of ``size`` (largest first).

    Appending is O(log n) and reports which complete subtrees it finished, so the persistence layer stores
    exactly those and never rehashes old data.
    """

    __slots__ = ("_hashes", "size")

    def __init__(self) -> None:
        self.size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def from_size(cls, size: int, reader: SubtreeReader) -> CompactRange:
        if size < 0:
            raise InvalidProofRequest(f"negative tree size {size}")
        edge = cls()
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                edge._hashes.append(reader.subtree(level, start >> level))
                start += 1 << level
        edge.size = size
        return edge

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def copy(self) -> CompactRange:
        clone = CompactRange()
        clone.size = self.size
        clone._hashes = list(self._hashes)
        return clone

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf *hash*; return every (level, index, hash) that became complete, (0, i, leaf) first."""
        if not _ok_hash(leaf):
            raise InvalidInput("a leaf hash is 32 bytes")
        i = self.size
        done = [(0, i, leaf)]
        h, level = leaf, 0
        while i >> level & 1:  # each trailing 1 bit of i closes one more subtree
            h = node_hash(self._hashes.pop(), h)
            level += 1
            done.append((level, i >> level, h))
        self._hashes.append(h)
        self.size = i + 1
        return done

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        h = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            h = node_hash(left, h)
        return h


class MemoryTree:
    """An in-memory log: one flat bytearray of 32-byte hashes per level (compact enough for 10^7 leaves)."""

    __slots__ = ("_edge", "_levels")

    def __init__(self) -> None:
        self._levels: list[bytearray] = []
        self._edge = CompactRange()

    @property
    def size(self) -> int:
        return self._edge.size

    def append(self, data: bytes) -> int:
        """Append an entry's data (hashed as a leaf here); return its 0-based index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, leaf: bytes) -> int:
        index = self._edge.size
        levels = self._levels
        for level, _, h in self._edge.append(leaf):
            if level == len(levels):
                levels.append(bytearray())
            levels[level] += h  # completed subtrees arrive in index order on every level
        return index

    def subtree(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels):
            raise InvalidProofRequest(f"no complete subtree at level {level} index {index}")
        row = self._levels[level]
        off = index * HASH_SIZE
        if off + HASH_SIZE > len(row):
            raise InvalidProofRequest(f"no complete subtree at level {level} index {index}")
        return bytes(row[off : off + HASH_SIZE])

    def root(self) -> bytes:
        return self._edge.root()
