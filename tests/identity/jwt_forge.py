"""Build JWS by hand so tests can present tokens a correct issuer would never produce."""

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


def signing_input(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def signing_input_raw(header: dict[str, Any], payload: bytes) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(payload)}"


def ed25519_jws(header: dict[str, Any], claims: dict[str, Any], key: Ed25519PrivateKey) -> str:
    head = signing_input(header, claims)
    return f"{head}.{b64(key.sign(head.encode()))}"


def hs256_jws(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    head = signing_input(header, claims)
    return f"{head}.{b64(hmac.new(secret, head.encode(), hashlib.sha256).digest())}"


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    return json.loads(unb64(header)), json.loads(unb64(payload)), signature


def replace_payload(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
