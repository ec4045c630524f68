"""Build JWS by hand so tests can present statements an honest signer would never produce."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


def encode(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def ed25519(header: dict[str, Any], claims: dict[str, Any], key: Ed25519PrivateKey) -> str:
    head = encode(header, claims)
    return f"{head}.{b64(key.sign(head.encode()))}"


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    head = encode(header, claims)
    return f"{head}.{b64(hmac.new(secret, head.encode(), hashlib.sha256).digest())}"


def with_header(token: str, header: dict[str, Any]) -> str:
    """The same payload and signature under another protected header."""
    _, payload, signature = token.split(".")
    return f"{b64(json.dumps(header).encode())}.{payload}.{signature}"


def with_claims(token: str, claims: dict[str, Any]) -> str:
    """The same header and signature over other claims."""
    header, _, signature = token.split(".")
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
