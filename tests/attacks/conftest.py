"""One network of real node processes on loopback for the whole attack suite (issue 9, item 3).

The provider is an OEM: it offers data assets and battery passports. Its partners are a ``consumer`` (member,
BPN, Data Exchange Governance, role Recycler) and a ``rival`` (member with its own BPN, no role), both known
from the provider's config as credentials would give them; the ``stranger`` has no claims at all. EDR tokens
live ``EDR_TTL`` seconds and a request must be received within ``READ_TIMEOUT`` seconds, so expiry and
slow-client tests finish fast. Each node writes its log to ``<data_dir>/node.log`` (level warning): the
refusal lines (logger ``battrace.refused``) are asserted there.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from battrace.client import EDC_CONTEXT, Edr, first_offer
from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_item_values, ev_model_values

CONSUMER_BPN = "BPNL000000000CON"
RIVAL_BPN = "BPNL000000000RIV"
PROVIDER_BPN = "BPNL000000000PRO"
EDR_TTL = 6  # seconds; the minimum NodeSettings allows is 5
READ_TIMEOUT = 2.0  # seconds a request may take to arrive (slowloris guard)
MODEL = "urn:battrace:model:attack-pack"
# Values only a Recycler may read (Art. 77(2)); their text must never reach a lower level.
RESTRICTED_MARKERS = ("dismantling-manual-v3", "test-reports-un38.3")


def access_for(*bpns: str) -> list[dict[str, Any]]:
    return [
        {
            "action": "access",
            "constraint": [
                {
                    "and": [
                        {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
                        {
                            "leftOperand": "BusinessPartnerNumber",
                            "operator": "isAnyOf",
                            "rightOperand": list(bpns),
                        },
                    ]
                }
            ],
        }
    ]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Space:
    provider: NodeProcess
    consumer: NodeProcess
    rival: NodeProcess
    stranger: NodeProcess

    def publish(
        self, content: Any, *, allowed: tuple[str, ...] = (CONSUMER_BPN,), kind: str = "asset"
    ) -> str:
        suffix = uuid.uuid4().hex[:8]
        asset_id = f"{kind}-{suffix}"
        with self.provider.client() as client:
            if kind == "passports":
                address = {"type": "BattracePassport", "modelId": MODEL}
                body = {"@context": EDC_CONTEXT, "@id": asset_id, "dataAddress": address}
                client.call("POST", "/management/v3/assets", body)
            else:
                client.create_asset(asset_id, content)
        return self.publish_existing(asset_id, allowed=allowed)

    def publish_existing(self, asset_id: str, *, allowed: tuple[str, ...] = (CONSUMER_BPN,)) -> str:
        """Offer an asset already created: access for ``allowed`` BPNs, use unrestricted."""
        suffix = uuid.uuid4().hex[:8]
        with self.provider.client() as client:
            client.create_policy(f"access-{suffix}", access_for(*allowed))
            client.create_policy(f"usage-{suffix}", [{"action": "use"}])
            client.create_contract_definition(
                f"def-{suffix}", f"access-{suffix}", f"usage-{suffix}", [asset_id]
            )
        return asset_id

    def negotiate(self, asset_id: str, consumer: NodeProcess) -> dict[str, Any]:
        with consumer.client() as client:
            catalog = client.catalog(self.provider.dsp, self.provider.did)
            offer, contexts = first_offer(catalog, asset_id)
            negotiation_id = client.negotiate(self.provider.dsp, self.provider.did, asset_id, offer, contexts)
            return client.wait_negotiation(negotiation_id)

    def pull(self, asset_id: str, consumer: NodeProcess | None = None) -> tuple[str, dict[str, Any], Edr]:
        """Negotiate and start a pull transfer; the agreement id, the consumer's transfer and its EDR."""
        node = consumer or self.consumer
        agreement = self.negotiate(asset_id, node)
        assert agreement["state"] == "FINALIZED", agreement
        with node.client() as client:
            transfer = client.wait_transfer(
                client.transfer(self.provider.dsp, agreement["contractAgreementId"])
            )
            assert transfer["state"] == "STARTED", transfer
            return agreement["contractAgreementId"], transfer, client.edr(transfer["@id"])

    def token(self, caller: NodeProcess, audience: NodeProcess | None = None) -> str:
        """A fresh self-issued ``Authorization`` value of ``caller`` for ``audience`` (default: provider)."""
        with caller.client() as client:
            return client.token_for((audience or self.provider).did)

    def issue_passport(self, serial: str) -> str:
        with self.provider.client() as oem:
            (passport_id,) = oem.issue_passports([{"modelId": MODEL, "values": ev_item_values(serial)}])
        return passport_id


def log_of(node: NodeProcess) -> str:
    return (node.data_dir / "node.log").read_text("utf-8", errors="replace")


def wait_for_log(node: NodeProcess, needle: str, timeout: float = 5.0) -> str:
    """The node's log once ``needle`` is in it (log lines are flushed by another process)."""
    deadline = time.monotonic() + timeout
    while True:
        text = log_of(node)
        if needle in text or time.monotonic() > deadline:
            assert needle in text, f"{needle!r} not logged by {node.name}"
            return text
        time.sleep(0.05)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, timeout=10, **kwargs)


@pytest.fixture(scope="session")
def space(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Space]:
    root: Path = tmp_path_factory.mktemp("attacks")
    timing = {"edr_token_ttl": EDR_TTL, "request_read_timeout": READ_TIMEOUT}
    provider = NodeProcess("provider", free_port(), root, extra=timing)
    consumer = NodeProcess("consumer", free_port(), root)
    rival = NodeProcess("rival", free_port(), root)
    stranger = NodeProcess("stranger", free_port(), root)
    member = {"membership": "active", "frameworkAgreements": {"DataExchangeGovernance": "1.0"}}
    provider.peers = {
        consumer.did: {"bpn": CONSUMER_BPN, "roles": ["Recycler"], **member},
        rival.did: {"bpn": RIVAL_BPN, **member},
    }
    for node in (consumer, rival, stranger):
        node.peers = {provider.did: {"bpn": PROVIDER_BPN, "membership": "active"}}
    nodes = (provider, consumer, rival, stranger)
    try:
        for node in nodes:
            node.start(120.0)  # generous: CI runners are busy
        with provider.client() as oem:
            oem.register_passport_model(MODEL, "ev", ev_model_values())
        yield Space(provider, consumer, rival, stranger)
    finally:
        for node in reversed(nodes):
            node.stop()
