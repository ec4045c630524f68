"""Signed data with provenance (issue 4 item 6).

The provider signs every payload it serves (``sign_payload`` → ``Content-Digest`` + ``Battrace-Signature``
headers); the consumer verifies before storing (``verify_payload``). A value computed from inputs gets a
signed derivation statement naming the inputs' hashes (``derive``), so ``provenance_tree`` can show the
signed inputs behind any value, cut where the viewer is not entitled to look; ``render_tree`` prints it.
"""

from battrace.provenance.digest import (
    DIGEST_HEADER,
    check_content_digest,
    content_digest,
    parse_content_digest,
    sha256_hex,
)
from battrace.provenance.errors import (
    AlgorithmRejected,
    BadSignature,
    DigestMismatch,
    MalformedDigest,
    MalformedSignature,
    ProvenanceError,
    WrongSigner,
)
from battrace.provenance.records import MAX_INPUTS, STATEMENT_TYPE, Provenance, parse_statement
from battrace.provenance.render import render_tree
from battrace.provenance.signing import (
    SIGNATURE_HEADER,
    SignedPayload,
    derive,
    sign_payload,
    verify_payload,
    verify_record,
)
from battrace.provenance.store import DirectoryProvenanceStore, MemoryProvenanceStore, ProvenanceStore
from battrace.provenance.tree import Tree, provenance_tree

__all__ = [
    "DIGEST_HEADER",
    "MAX_INPUTS",
    "SIGNATURE_HEADER",
    "STATEMENT_TYPE",
    "AlgorithmRejected",
    "BadSignature",
    "DigestMismatch",
    "DirectoryProvenanceStore",
    "MalformedDigest",
    "MalformedSignature",
    "MemoryProvenanceStore",
    "Provenance",
    "ProvenanceError",
    "ProvenanceStore",
    "SignedPayload",
    "Tree",
    "WrongSigner",
    "check_content_digest",
    "content_digest",
    "derive",
    "parse_content_digest",
    "parse_statement",
    "provenance_tree",
    "render_tree",
    "sha256_hex",
    "sign_payload",
    "verify_payload",
    "verify_record",
]
