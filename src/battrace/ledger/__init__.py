"""Tamper-evident transaction history: an RFC 9162 Merkle log with C2SP signed checkpoints and receipts.

Names are re-exported here; append to ``__all__`` (one name per line) rather than reordering it.
"""

from battrace.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    InvalidProofRequest,
    MemoryTree,
    SubtreeReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_hash,
    root_at,
    root_of,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "CompactRange",
    "InvalidProofRequest",
    "MemoryTree",
    "SubtreeReader",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "range_hash",
    "root_at",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]
