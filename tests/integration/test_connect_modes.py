"""Connect-permission modes (BASC §5.1 ②: specific connectors, connectors with given attributes, connectors
meeting a security profile) gate the catalog and the negotiation of a real node."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from battrace.client import EDC_CONTEXT, first_offer
from battrace.trust import min_security_profile, only_participants, only_with_attributes, policy_document

from .conftest import Network, make_network

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    network = make_network(tmp_path_factory.mktemp("modes"))
    # What the provider knows of its partners (verifiable credentials will supply these claims).
    network.provider.peers[network.consumer.did].update(
        {"securityProfile": "TRUST_PLUS", "roles": ["VEHICLE_OEM"]}
    )
    network.provider.peers[network.stranger.did] = {"securityProfile": "BASE", "roles": ["RECYCLER"]}
    for node in (network.provider, network.consumer, network.stranger):
        node.start()
    try:
        yield network
    finally:
        for node in (network.stranger, network.consumer, network.provider):
            node.stop()


def publish_with_access(net: Network, access: dict[str, Any]) -> str:
    suffix = uuid.uuid4().hex[:8]
    asset_id = f"gated-{suffix}"
    headers = {"X-Api-Key": net.provider.api_key}
    base = net.provider.base_url + "/management/v3"
    body = {**access, "@id": f"access-{suffix}", "@type": "Set"}
    definition = {
        "@context": [*body.pop("@context"), EDC_CONTEXT],
        "@type": "PolicyDefinition",
        "@id": f"access-{suffix}",
        "policy": body,
    }
    assert httpx.post(base + "/policydefinitions", json=definition, headers=headers).status_code == 200
    with net.provider.client() as client:
        client.create_asset(asset_id, {"gated": True})
        client.create_policy(f"use-{suffix}", [{"action": "use"}])
        client.create_contract_definition(f"def-{suffix}", f"access-{suffix}", f"use-{suffix}", [asset_id])
    return asset_id


def visible(net: Network, node: Any, asset_id: str) -> bool:
    with node.client() as client:
        catalog = client.catalog(net.provider.dsp, net.provider.did)
    return asset_id in [d["@id"] for d in catalog.get("dataset", [])]


@pytest.mark.parametrize(
    ("mode", "consumer_sees", "stranger_sees"),
    [
        ("profile", True, False),
        ("attributes", True, False),
        ("participants", False, True),
    ],
)
def test_each_mode_gates_the_catalog(
    net: Network, mode: str, consumer_sees: bool, stranger_sees: bool
) -> None:
    policy = {
        "profile": lambda: min_security_profile("TRUST"),
        "attributes": lambda: only_with_attributes({"roles": "VEHICLE_OEM"}),
        "participants": lambda: only_participants([net.stranger.did]),
    }[mode]()
    asset_id = publish_with_access(net, policy_document(policy))
    assert visible(net, net.consumer, asset_id) is consumer_sees
    assert visible(net, net.stranger, asset_id) is stranger_sees


def test_a_refused_participant_cannot_negotiate_with_a_replayed_offer(net: Network) -> None:
    asset_id = publish_with_access(net, policy_document(min_security_profile("TRUST")))
    with net.consumer.client() as consumer:
        offer, contexts = first_offer(consumer.catalog(net.provider.dsp, net.provider.did), asset_id)
    with net.stranger.client() as stranger:
        negotiation = stranger.negotiate(net.provider.dsp, net.provider.did, asset_id, offer, contexts)
        assert stranger.wait_negotiation(negotiation)["state"] == "TERMINATED"
    assert net.negotiate(asset_id)["state"] == "FINALIZED"
