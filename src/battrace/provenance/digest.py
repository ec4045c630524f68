"""RFC 9530 ``Content-Digest`` values: ``sha-256=:<base64>:`` (an RFC 8941 dictionary of byte sequences)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable

from battrace.provenance.errors import DigestMismatch, MalformedDigest

DIGEST_HEADER = "Content-Digest"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

# RFC 9530 §5: the algorithms we can check; a recipient ignores the ones it does not know
_ALGORITHMS: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda data: hashlib.sha256(data).digest(),
    "sha-512": lambda data: hashlib.sha512(data).digest(),
}
# RFC 8941 §3.3.5: a byte sequence is standard base64 (with padding) between colons
_BYTE_SEQUENCE = re.compile(r"^:([A-Za-z0-9+/]*={0,2}):$")
_KEY = re.compile(r"^[a-z*][a-z0-9_.*-]*$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_digest(data: bytes) -> str:
    """The ``Content-Digest`` header value for ``data``: ``sha-256=:<base64 of the SHA-256>:``."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode('ascii')}:"


def parse_content_digest(value: str) -> dict[str, bytes]:
    """The digests named in a ``Content-Digest`` value, by algorithm; unknown algorithms are kept too."""
    digests: dict[str, bytes] = {}
    for member in value.split(","):
        key, sep, raw = member.strip().partition("=")
        # RFC 8941 §4.2.2: parameters may follow a member; RFC 9530 defines none, so they are dropped
        raw = raw.split(";", 1)[0].strip()
        if not sep or not _KEY.match(key):
            raise MalformedDigest(f"Content-Digest member {member.strip()!r} is not key=:base64:")
        match = _BYTE_SEQUENCE.match(raw)
        if match is None:
            raise MalformedDigest(f"Content-Digest {key} is not a byte sequence (:base64:)")
        try:
            # RFC 8941 §4.2.2: a later duplicate key overrides an earlier one
            digests[key] = base64.b64decode(match.group(1), validate=True)
        except binascii.Error as error:
            raise MalformedDigest(f"Content-Digest {key} is not valid base64") from error
    return digests


def check_content_digest(data: bytes, value: str) -> str:
    """The payload's SHA-256 (hex) once every known digest in ``value`` matches it; sha-256 is required
    because it is the hash the provider signs."""
    digests = parse_content_digest(value)
    if "sha-256" not in digests:
        raise MalformedDigest("Content-Digest carries no sha-256 digest")
    for algorithm, expected in digests.items():
        compute = _ALGORITHMS.get(algorithm)
        if compute is not None and compute(data) != expected:
            raise DigestMismatch(f"the payload does not match its Content-Digest ({algorithm})")
    return sha256_hex(data)
