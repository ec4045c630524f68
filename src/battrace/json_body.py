"""Reading a peer's JSON answer without trusting it: the body is read incrementally up to a cap (a hostile
peer cannot make us buffer gigabytes) and must be one JSON object. Shared by the DID resolver and the DCP
credential-service client, which wrap ``BodyRejected`` in their own error types."""

from __future__ import annotations

import json
from typing import Any

import httpx


class BodyRejected(ValueError):
    """The answer is too large, not JSON, or not a JSON object; the message says which."""


def read_json_object(response: httpx.Response, max_bytes: int) -> dict[str, Any]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise BodyRejected(f"a body that exceeds {max_bytes} bytes")
        chunks.append(chunk)
    try:
        document = json.loads(b"".join(chunks))
    except ValueError as error:
        raise BodyRejected(f"invalid JSON: {error}") from error
    if not isinstance(document, dict):
        raise BodyRejected("JSON that is not an object")
    return document
