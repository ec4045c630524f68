"""Real node processes on loopback (battrace.devnet): a provider, a consumer it knows, a stranger it does not.

The provider learns its partners' attributes from its config (until verifiable credentials arrive), so the
consumer is a member with a BPN and the Data Exchange Governance framework agreement, and the stranger has
no claims at all.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from battrace.client import first_offer
from battrace.devnet import NodeProcess

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONSUMER_BPN = "BPNL000000000CON"
PROVIDER_BPN = "BPNL000000000PRO"

MEMBERS_ONLY = [
    {
        "action": "access",
        "constraint": [
            {
                "and": [
                    {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
                    {
                        "leftOperand": "BusinessPartnerNumber",
                        "operator": "isAnyOf",
                        "rightOperand": [CONSUMER_BPN],
                    },
                ]
            }
        ],
    }
]
DEG_USAGE = [
    {
        "action": "use",
        "constraint": [
            {
                "and": [
                    {
                        "leftOperand": "FrameworkAgreement",
                        "operator": "eq",
                        "rightOperand": "DataExchangeGovernance:1.0",
                    },
                    {"leftOperand": "UsagePurpose", "operator": "isAnyOf", "rightOperand": ["cx.pcf.base:1"]},
                ]
            }
        ],
    }
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Network:
    provider: NodeProcess
    consumer: NodeProcess
    stranger: NodeProcess

    def publish(
        self,
        content: Any,
        *,
        usage: list[dict[str, Any]] | None = None,
        access: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> str:
        """A new asset with its own policies and contract definition; returns the asset id."""
        suffix = uuid.uuid4().hex[:8]
        asset_id = f"asset-{suffix}"
        with self.provider.client() as client:
            client.create_asset(asset_id, content)
            client.create_policy(f"access-{suffix}", access or MEMBERS_ONLY)
            client.create_policy(f"usage-{suffix}", usage or DEG_USAGE, **extra)
            client.create_contract_definition(
                f"def-{suffix}", f"access-{suffix}", f"usage-{suffix}", [asset_id]
            )
        return asset_id

    def negotiate(self, asset_id: str, consumer: NodeProcess | None = None) -> dict[str, Any]:
        node = consumer or self.consumer
        with node.client() as client:
            catalog = client.catalog(self.provider.dsp, self.provider.did)
            offer, contexts = first_offer(catalog, asset_id)
            negotiation_id = client.negotiate(self.provider.dsp, self.provider.did, asset_id, offer, contexts)
            return client.wait_negotiation(negotiation_id)

    def pull(self, agreement_id: str) -> dict[str, Any]:
        with self.consumer.client() as client:
            transfer_id = client.transfer(self.provider.dsp, agreement_id)
            return client.wait_transfer(transfer_id)


def make_network(root: Path, *, provider_db: str | None = None, consumer_db: str | None = None) -> Network:
    provider = NodeProcess("provider", free_port(), root, database_url=provider_db)
    consumer = NodeProcess("consumer", free_port(), root, database_url=consumer_db)
    stranger = NodeProcess("stranger", free_port(), root)
    provider.peers = {
        consumer.did: {
            "bpn": CONSUMER_BPN,
            "membership": "active",
            "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
        }
    }
    consumer.peers = {provider.did: {"bpn": PROVIDER_BPN, "membership": "active"}}
    return Network(provider, consumer, stranger)


@contextmanager
def running_pair(network: Network) -> Iterator[Network]:
    """The provider and consumer of ``network`` started, and stopped afterwards whatever happened."""
    network.provider.start()
    network.consumer.start()
    try:
        yield network
    finally:
        network.consumer.stop()
        network.provider.stop()


@pytest.fixture()
def pair(tmp_path: Path) -> Iterator[Network]:
    """A provider and a consumer of their own for one test (one that kills or restarts them)."""
    with running_pair(make_network(tmp_path)) as network:
        yield network


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    net = make_network(tmp_path_factory.mktemp("net"))
    try:
        for node in (net.provider, net.consumer, net.stranger):
            node.start()
        yield net
    finally:
        for node in (net.stranger, net.consumer, net.provider):
            node.stop()
