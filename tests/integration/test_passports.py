"""Battery passports between real node processes: an OEM issues; the public, a recycler, an authority and a
stranger read what Art. 77(2) allows them, over the participant API and through the data space."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from battrace.client import EDC_CONTEXT, ManagementError
from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_item_values, ev_model_values

from .conftest import DEG_USAGE, MEMBERS_ONLY, Network, free_port, make_network

MODEL = "urn:battrace:model:ev-pack-77"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, NodeProcess]]:
    root = tmp_path_factory.mktemp("passports")
    network = make_network(root)
    authority = NodeProcess("authority", free_port(), root)
    # Roles as verified credentials would give them (battrace.trust turns role credentials into these claims).
    network.provider.peers[network.consumer.did]["roles"] = ["Recycler"]
    network.provider.peers[authority.did] = {"roles": ["MarketSurveillanceAuthority"]}
    nodes = (network.provider, network.consumer, network.stranger, authority)
    try:
        for node in nodes:
            node.start()
        with network.provider.client() as oem:
            oem.register_passport_model(MODEL, "ev", ev_model_values())
        yield network, authority
    finally:
        for node in reversed(nodes):
            node.stop()


def _issue(network: Network, serial: str, **extra: Any) -> str:
    with network.provider.client() as oem:
        (passport_id,) = oem.issue_passports([{"modelId": MODEL, "values": ev_item_values(serial), **extra}])
    return passport_id


def _read(network: Network, passport_id: str, reader: NodeProcess | None = None) -> httpx.Response:
    headers = {}
    if reader is not None:
        with reader.client() as client:
            headers["Authorization"] = client.token_for(network.provider.did)
    return httpx.get(f"{network.provider.base_url}/passports/{passport_id}", headers=headers, timeout=10)


def test_public_visitor_reads_the_public_view_without_any_credential(
    net: tuple[Network, NodeProcess],
) -> None:
    network, _ = net
    passport_id = _issue(network, "PUB-1")
    response = _read(network, passport_id)
    assert response.status_code == 200
    values = response.json()["values"]
    assert values["carbon_footprint_per_functional_unit"] == 61.4
    assert "dismantling_information" not in values and "compliance_test_reports" not in values
    assert "restricted" not in response.text  # no restricted document link leaks in any field


def test_recycler_with_its_role_credential_sees_dismantling_information(
    net: tuple[Network, NodeProcess],
) -> None:
    network, _ = net
    passport_id = _issue(network, "REC-1")
    body = _read(network, passport_id, network.consumer).json()
    assert body["values"]["dismantling_information"].endswith("dismantling-manual-v3.pdf")
    assert "compliance_test_reports" not in body["values"]
    assert body["state"] == "original"


def test_authority_sees_test_reports_but_not_item_use_data(net: tuple[Network, NodeProcess]) -> None:
    network, authority = net
    passport_id = _issue(network, "AUT-1")
    body = _read(network, passport_id, authority).json()
    assert "compliance_test_reports" in body["values"]
    assert "battery_status" not in body["values"] and "state" not in body


def test_a_participant_without_a_role_gets_the_public_view(net: tuple[Network, NodeProcess]) -> None:
    network, _ = net
    passport_id = _issue(network, "STR-1")
    body = _read(network, passport_id, network.stranger).json()
    assert body["audiences"] == ["public"]
    assert "dismantling_information" not in body["values"]


def test_recycler_reads_the_passport_through_the_data_space(net: tuple[Network, NodeProcess]) -> None:
    network, _ = net
    passport_id = _issue(network, "DSP-1")
    asset_id = f"passports-{uuid.uuid4().hex[:6]}"
    with network.provider.client() as oem:
        oem.call(
            "POST",
            "/management/v3/assets",
            {
                "@context": EDC_CONTEXT,
                "@id": asset_id,
                "properties": {"name": "battery passports of model ev-pack-77"},
                "dataAddress": {"type": "BattracePassport", "modelId": MODEL},
            },
        )
        oem.create_policy(f"access-{asset_id}", MEMBERS_ONLY)
        oem.create_policy(f"usage-{asset_id}", DEG_USAGE)
        oem.create_contract_definition(
            f"def-{asset_id}", f"access-{asset_id}", f"usage-{asset_id}", [asset_id]
        )
    agreement = network.negotiate(asset_id)
    assert agreement["state"] == "FINALIZED"
    transfer = network.pull(agreement["contractAgreementId"])
    with network.consumer.client() as recycler:
        edr = recycler.edr(transfer["@id"])
        response = recycler.fetch(edr, passport_id)
        assert response.status_code == 200, response.text
        recycler.verify_delivery(response, network.provider.did)
        assert "dismantling_information" in response.json()["values"]
        assert recycler.fetch(edr, "urn:battrace:passport:none").status_code == 404


def test_mandated_party_records_measurements_and_a_stranger_is_forbidden(
    net: tuple[Network, NodeProcess],
) -> None:
    network, _ = net
    passport_id = _issue(network, "MAN-1", mandated=[network.consumer.did])
    url = f"{network.provider.base_url}/passports/{passport_id}/measurements"
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = {
        "measurements": [
            {
                "key": "state_of_certified_energy",
                "value": 96.5,
                "unit": "%",
                "measuredAt": when,
                "source": "bms:1",
            }
        ]
    }
    for writer, expected in ((network.stranger, 403), (network.consumer, 201)):
        with writer.client() as client:
            token = client.token_for(network.provider.did)
        response = httpx.post(url, json=body, headers={"Authorization": token}, timeout=10)
        assert response.status_code == expected, response.text
    assert httpx.post(url, json=body, timeout=10).status_code == 401
    with network.provider.client() as oem:
        series = oem.passport(passport_id)["series"]["state_of_certified_energy"]
    assert [point["value"] for point in series] == [96.5]


def test_a_malformed_passport_is_a_400_problem_and_leaves_nothing_behind(
    net: tuple[Network, NodeProcess],
) -> None:
    network, _ = net
    bad = ev_item_values("BAD-1") | {"manufacturing_date": "2026-02-30"}
    good = ev_item_values("BAD-2")
    with network.provider.client() as oem:
        with pytest.raises(ManagementError) as raised:
            oem.issue_passports([{"modelId": MODEL, "values": good}, {"modelId": MODEL, "values": bad}])
        assert raised.value.status == 400
        assert raised.value.body["problems"][0]["attribute"] == "manufacturing_date"
        (passport_id,) = oem.issue_passports([{"modelId": MODEL, "values": good}])  # nothing was taken
    assert _read(network, passport_id).status_code == 200
    assert _read(network, "urn:battrace:passport:unknown").status_code == 404


def test_every_issued_passport_has_its_twin_in_the_registry(net: tuple[Network, NodeProcess]) -> None:
    network, _ = net
    passport_id = _issue(network, "DTR-1")
    base = network.provider.base_url
    owner = {"X-Api-Key": network.provider.api_key}
    serial = ev_item_values("DTR-1")["battery_identifier"]
    asset_ids = base64.urlsafe_b64encode(json.dumps({"name": "partInstanceId", "value": serial}).encode())
    found = httpx.get(f"{base}/api/v3/lookup/shells", params={"assetIds": asset_ids.decode()}, headers=owner)
    assert found.status_code == 200 and found.json()["result"] == [passport_id]
    shell_path = base64.urlsafe_b64encode(passport_id.encode()).decode().rstrip("=")
    shell = httpx.get(f"{base}/api/v3/shell-descriptors/{shell_path}", headers=owner).json()
    href = shell["submodelDescriptors"][0]["endpoints"][0]["protocolInformation"]["href"]
    assert href.endswith(passport_id)
    # a stranger finds nothing by serial: serials are not published in the registry
    anonymous = httpx.get(f"{base}/api/v3/lookup/shells", params={"assetIds": asset_ids.decode()})
    assert anonymous.status_code == 200 and anonymous.json()["result"] == []
