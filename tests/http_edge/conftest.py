"""One node in-process behind Starlette's TestClient, and a peer whose DID document the node knows statically.

This is for the HTTP edge (status codes, problem documents, limits); exchanges between real node processes
live in tests/integration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from battrace.clock import urn_uuid
from battrace.connector.config import NodeSettings
from battrace.connector.node import Node
from battrace.http.app import create_app
from battrace.identity import (
    DidResolver,
    MemoryReplayGuard,
    NodeKeys,
    TokenVerifier,
    did_document,
    did_web,
    issue_token,
    static_fetcher,
)
from battrace.identity.did import did_web_document_url

API_KEY = "test-key"
PEER_DID = did_web("peer.example", 8443)


@dataclass
class Edge:
    node: Node
    client: TestClient
    peer_keys: NodeKeys

    def token(self) -> str:
        return "Bearer " + issue_token(
            self.peer_keys, PEER_DID, self.node.did, now=datetime.now(UTC), jti=urn_uuid()
        )

    def dsp(self, path: str) -> str:
        return "/api/dsp/2025-1" + path


def make_node(data_dir: Path, *, dev: bool = True, **settings: object) -> tuple[Node, NodeKeys]:
    peer_keys = NodeKeys.generate()
    node = Node(NodeSettings(name="edge", port=8799, data_dir=data_dir, api_key=API_KEY, dev=dev, **settings))
    documents = {did_web_document_url(PEER_DID): did_document(PEER_DID, peer_keys)}
    resolver = DidResolver(static_fetcher(documents), clock=node.ctx.clock)
    node.verifier = TokenVerifier(
        audience_did=node.did,
        resolver=resolver,
        replay_guard=MemoryReplayGuard(clock=node.ctx.clock),
        clock=node.ctx.clock,
    )
    return node, peer_keys


@pytest.fixture()
def edge(tmp_path: Path) -> Iterator[Edge]:
    node, peer_keys = make_node(tmp_path / "node", max_body_bytes=64 * 1024)
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield Edge(node, client, peer_keys)
