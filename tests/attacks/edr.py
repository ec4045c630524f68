"""Data-plane calls of the attack suite, the way a consumer makes them: `Authorization: DPoP <token>` with a
fresh proof its node signs (RFC 9449; `NodeClient.data_headers`). Attacks change one part of that."""

from __future__ import annotations

import httpx

from battrace.client import Edr
from battrace.devnet import NodeProcess
from battrace.identity import NodeKeys


def data_url(edr: Edr, path: str = "") -> str:
    return edr.endpoint.rstrip("/") + ("/" + path if path else "")


def proof_headers(holder: NodeProcess, edr: Edr, url: str, method: str = "GET") -> dict[str, str]:
    """What `holder` (the node the EDR was issued to) sends with one request to `url`."""
    with holder.client() as client:
        return client.data_headers(edr, method, url)


def fetch(holder: NodeProcess, edr: Edr, path: str = "", *, token: str | None = None) -> httpx.Response:
    """GET on the data plane as the EDR's holder; `token` replaces the EDR's token (the proof stays)."""
    url = data_url(edr, path)
    headers = proof_headers(holder, edr, url)
    if token is not None:
        headers["Authorization"] = f"DPoP {token}"
    return httpx.get(url, headers=headers, timeout=10)


def node_keys(node: NodeProcess) -> NodeKeys:
    """A participant's own Ed25519 key, as its node keeps it (to sign proofs the way that node would)."""
    return NodeKeys.load_or_create(node.data_dir / "keys" / "node-ed25519.pem")
