"""Self-descriptions between two real node processes: B verifies A's participant and connector through its
management API; A's assets are described one by one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from battrace.devnet import NodeProcess
from battrace.trust.selfdescription import DATA_RESOURCE, verify_self_description

from .conftest import free_port

CORPORATE_NUMBER = "7000012050002"
BPN = "BPNL000000000PRO"
DCT = "http://purl.org/dc/terms/"
ROUTE = "/management/v3/peers/self-description"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    root: Path = tmp_path_factory.mktemp("selfdescription")
    a = NodeProcess("alpha", free_port(), root)
    b = NodeProcess("beta", free_port(), root)
    a.peers = {a.did: {"corporateNumber": CORPORATE_NUMBER, "bpn": BPN, "countrySubdivisionCode": "JP-13"}}
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        b.stop()
        a.stop()


def ask(node: NodeProcess, did: str, address: str, api_key: str | None = None) -> httpx.Response:
    headers = {"X-Api-Key": node.api_key if api_key is None else api_key}
    params = {"did": did, "address": address}
    return httpx.get(node.base_url + ROUTE, params=params, headers=headers, timeout=20)


def resolve(did: str) -> dict[str, Any]:
    # did:web:127.0.0.1%3A<port> -> http://127.0.0.1:<port>/.well-known/did.json (devnet nodes speak http)
    host = did.removeprefix("did:web:").replace("%3A", ":")
    document: dict[str, Any] = httpx.get(f"http://{host}/.well-known/did.json", timeout=10).json()
    return document


def test_node_b_verifies_node_a_self_descriptions(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    a, b = nodes
    response = ask(b, a.did, a.base_url)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["did"] == a.did
    assert body["legalName"] == "alpha"
    assert body["dspEndpoint"] == a.dsp
    assert {"type": "CorporateNumber", "value": CORPORATE_NUMBER} in body["registrationNumbers"]
    assert {"type": "BPN", "value": BPN} in body["registrationNumbers"]
    participant = body["participant"]["credentialSubject"]
    assert participant["gx:legalAddress"] == {"gx:countrySubdivisionCode": "JP-13"}
    assert body["serviceOffering"]["credentialSubject"]["bt:managementApiExposed"] is False


def test_self_descriptions_of_another_did_are_refused(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    a, b = nodes
    # B's own documents served at B's address, but presented as A's: issued by the wrong DID
    response = ask(b, a.did, b.base_url)
    assert response.status_code == 422
    assert response.json()["reason"] == "wrong_issuer"


def test_unreachable_peer_is_a_problem_with_its_reason(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    _, b = nodes
    response = ask(b, "did:web:127.0.0.1%3A1", f"http://127.0.0.1:{free_port()}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["reason"] == "unreachable"


def test_peer_check_needs_the_api_key(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    a, b = nodes
    assert ask(b, a.did, a.base_url, api_key="wrong").status_code == 401


def test_asset_data_resource_is_served_signed_and_verifies(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    a, _ = nodes
    properties = {DCT + "title": "Cell batch 42", DCT + "license": "https://example.org/licence"}
    with a.client() as client:
        asset_id = client.create_asset("cells-42", {"pcf": 1.0}, properties=properties)
    response = httpx.get(f"{a.base_url}/api/self-descriptions/assets/{quote(asset_id, safe='')}", timeout=10)
    assert response.status_code == 200
    verified = verify_self_description(
        response.json(), resolve, expected_type=DATA_RESOURCE, expected_issuer=a.did
    )
    assert verified.subject["gx:name"] == "Cell batch 42"
    assert verified.subject["gx:license"] == "https://example.org/licence"
    assert verified.subject["bt:assetId"] == asset_id
    assert verified.subject["gx:exposedThrough"] == {
        "id": a.base_url + "/.well-known/gaia-x/service-offering.json#subject"
    }


def test_unknown_asset_has_no_self_description(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    a, _ = nodes
    response = httpx.get(f"{a.base_url}/api/self-descriptions/assets/no-such-asset", timeout=10)
    assert response.status_code == 404
