"""Connect-permission modes (BASC §5.1 ②: specific connectors, connectors with given attributes, connectors
meeting a security profile) gate the catalog and the negotiation of a real node."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from battrace.client import EDC_CONTEXT, ManagementError, first_offer
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


def test_a_node_wide_connect_permission_refuses_other_connectors_before_any_asset_policy(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    network = make_network(tmp_path_factory.mktemp("node-wide"))
    network.provider.extra["connect"] = {"minSecurityProfile": "TRUST"}
    network.provider.peers[network.consumer.did].update({"securityProfile": "TRUST_PLUS"})
    network.provider.peers[network.stranger.did] = {"securityProfile": "BASE", "membership": "active"}
    for node in (network.provider, network.consumer, network.stranger):
        node.start()
    try:
        asset_id = network.publish({"open": True}, access=[{"action": "access"}])
        assert visible(network, network.consumer, asset_id)
        with network.stranger.client() as client, pytest.raises(ManagementError) as refused:
            client.catalog(network.provider.dsp, network.provider.did)
        assert "403" in str(refused.value.body)
        explained = httpx.get(
            network.provider.base_url
            + f"/management/v3/trust/decisions/{quote(network.stranger.did, safe='')}",
            headers={"X-Api-Key": network.provider.api_key},
        ).json()
        assert explained["policyDenials"][-1]["connectPermission"] is True
        assert "securityProfile" in json.dumps(explained["policyDenials"][-1]["reasons"])
    finally:
        for node in (network.stranger, network.consumer, network.provider):
            node.stop()
