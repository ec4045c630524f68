"""Real node processes for the conformance suite, and the scripted peers that talk to them.

Each node is started once (seconds), every test uses fresh process ids, so tests stay independent. `node`
decides on its own (auto_approve, the default); `manual_node` has auto_approve off, so its operator agrees,
finalizes and starts transfers: the states where the TCK wants the *provider* to act (CN:02-06, CN:02-07,
TP:01-05) are then stable.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from battrace.devnet import NodeProcess

from ._flows import PEER_CLAIMS, Operator, publish
from ._peer import JSON, Peer, free_port


@contextmanager
def _running(process: NodeProcess, peers: Mapping[str, tuple[Peer, JSON]]) -> Iterator[NodeProcess]:
    """Start `process` knowing `peers` (did → claims), publish the TCK dataset, stop it afterwards."""
    process.peers = {participant.did: dict(claims) for participant, claims in peers.values()}
    for participant, _ in peers.values():
        participant.target(process.did, process.dsp)
    process.start()
    client = process.client()
    try:
        publish(client)
        yield process
    finally:
        client.close()
        process.stop()


@pytest.fixture(scope="session")
def peer() -> Iterator[Peer]:
    scripted = Peer("tck-peer").start()
    yield scripted
    scripted.stop()


@pytest.fixture(scope="session")
def stranger() -> Iterator[Peer]:
    """A second participant, known to the node, that must never see the first one's processes."""
    other = Peer("stranger").start()
    yield other
    other.stop()


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory, peer: Peer, stranger: Peer) -> Iterator[NodeProcess]:
    process = NodeProcess("tck-node", free_port(), Path(tmp_path_factory.mktemp("tck")))
    peers = {"peer": (peer, PEER_CLAIMS), "stranger": (stranger, {**PEER_CLAIMS, "bpn": "BPNL000000000STR"})}
    with _running(process, peers) as running:
        yield running


@pytest.fixture(scope="session")
def operator(node: NodeProcess) -> Iterator[Operator]:
    client = node.client()
    yield Operator(client)
    client.close()


@pytest.fixture(scope="session")
def manual_peer() -> Iterator[Peer]:
    """The scripted consumer of `manual_node` (a peer targets exactly one node)."""
    scripted = Peer("tck-manual-peer").start()
    yield scripted
    scripted.stop()


@pytest.fixture(scope="session")
def manual_node(tmp_path_factory: pytest.TempPathFactory, manual_peer: Peer) -> Iterator[NodeProcess]:
    """A node with auto_approve off: every provider decision waits for its operator."""
    process = NodeProcess("tck-manual-node", free_port(), Path(tmp_path_factory.mktemp("tck-manual")),
                          extra={"auto_approve": False})
    with _running(process, {"peer": (manual_peer, PEER_CLAIMS)}) as running:
        yield running


@pytest.fixture(scope="session")
def manual_operator(manual_node: NodeProcess) -> Iterator[Operator]:
    client = manual_node.client()
    yield Operator(client)
    client.close()


@pytest.fixture(autouse=True)
def _scripts_end_with_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A scripted answer a test did not use must not leak into the next test."""
    yield
    for name in ("peer", "manual_peer"):
        if name in request.fixturenames:
            scripted: Peer = request.getfixturevalue(name)
            scripted.clear_scripts()
