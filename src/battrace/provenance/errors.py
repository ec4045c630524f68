"""Why a signed payload or provenance record was refused: one class per reason, all InvalidInput (HTTP 400).

The consumer turns these into a refusal to store the data, so each carries a reason precise enough to tell a
corrupted transfer (digest) from a forgery (signature) from a mix-up of providers (signer).
"""

from __future__ import annotations

from battrace.errors import InvalidInput


class ProvenanceError(InvalidInput):
    title = "Provenance check failed"


class MalformedDigest(ProvenanceError):
    """The Content-Digest header is not an RFC 9530 dictionary with a sha-256 byte sequence."""


class DigestMismatch(ProvenanceError):
    """The payload's hash differs from the Content-Digest header or from the hash the provider signed."""


class MalformedSignature(ProvenanceError):
    """The signature is not a compact JWS carrying a provenance statement of the expected shape."""


class AlgorithmRejected(ProvenanceError):
    """The JWS names an algorithm other than EdDSA/Ed25519 ("none", HS256, ...)."""


class WrongSigner(ProvenanceError):
    """The JWS key or signer claim belongs to another DID than the expected signer's document."""


class BadSignature(ProvenanceError):
    """The signature does not verify with the signer's key: the statement or its header was altered."""
