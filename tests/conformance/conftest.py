"""One real node process for the whole conformance suite, and the scripted peers that talk to it.

The node is started once (seconds), every test uses fresh process ids, so tests stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from battrace.devnet import NodeProcess

from ._flows import PEER_CLAIMS, Operator, publish
from ._peer import Peer, free_port


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
    process.peers = {peer.did: dict(PEER_CLAIMS),
                     stranger.did: {**PEER_CLAIMS, "bpn": "BPNL000000000STR"}}
    for participant in (peer, stranger):
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
def operator(node: NodeProcess) -> Iterator[Operator]:
    client = node.client()
    yield Operator(client)
    client.close()


@pytest.fixture(autouse=True)
def _scripts_end_with_the_test(peer: Peer) -> Iterator[None]:
    """A scripted answer a test did not use must not leak into the next test."""
    yield
    peer.clear_scripts()
