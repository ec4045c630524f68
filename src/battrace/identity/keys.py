"""The node's Ed25519 signing key: generated once, kept as a PKCS#8 PEM file readable only by its owner."""

from __future__ import annotations

import base64
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey

from battrace.errors import InvalidInput

DEFAULT_KEY_ID = "key-1"


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2), the encoding of every JWK member."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class NodeKeys:
    private_key: Ed25519PrivateKey
    key_id: str = DEFAULT_KEY_ID  # the DID URL fragment, e.g. "key-1" in did:web:host#key-1

    def __post_init__(self) -> None:
        if not self.key_id or "#" in self.key_id or any(c.isspace() for c in self.key_id):
            raise InvalidInput(f"key id must be a bare DID URL fragment, got {self.key_id!r}")

    @classmethod
    def generate(cls, key_id: str = DEFAULT_KEY_ID) -> NodeKeys:
        return cls(Ed25519PrivateKey.generate(), key_id)

    @classmethod
    def load_or_create(cls, path: Path, *, key_id: str = DEFAULT_KEY_ID) -> NodeKeys:
        """Load the key at ``path``, or generate one and persist it there (mode 0600, atomic write)."""
        if path.exists():
            return cls(_load_pem(path), key_id)
        keys = cls.generate(key_id)
        _write_private(path, keys.private_pem())
        return keys

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_jwk(self) -> dict[str, str]:
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        # RFC 8037 §2: an Ed25519 public key is an OKP JWK whose "x" is the raw 32-byte key
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}

    def signing_jwk(self) -> OKPKey:
        """The private key as a joserfc key, for signing JWS."""
        return OKPKey.import_key(self.private_key)


def _load_pem(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} does not hold an Ed25519 private key")
    return key


def _write_private(path: Path, data: bytes) -> None:
    """Write via a 0600 temporary file in the same directory, then rename, so that a crash never leaves a
    truncated key and the secret is never readable by others, not even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600 regardless of the umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
