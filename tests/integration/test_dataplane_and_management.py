"""The data plane in front of an HTTP backend, and the Management API fed with Tractus-X's own payloads."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import CONSUMER_BPN, MEMBERS_ONLY, Network

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parent.parent / "fixtures" / "management"


@pytest.fixture()
def backend() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A company system behind the provider (e.g. an ERP API) that records what reaches it."""
    seen: list[dict[str, Any]] = []

    class Backend(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, "headers": dict(self.headers)})
            body = json.dumps({"served": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/erp", seen
    finally:
        server.shutdown()


def test_pull_through_the_data_plane_reaches_the_backend_with_agreement_and_bpn_headers(
    network: Network, backend: tuple[str, list[dict[str, Any]]]
) -> None:
    base_url, seen = backend
    asset_id = "erp-api"
    with network.provider.client() as provider:
        provider.create_http_asset(asset_id, base_url)
        provider.create_policy("erp-access", MEMBERS_ONLY)
        provider.create_policy("erp-use", [{"action": "use"}])
        provider.create_contract_definition("erp-def", "erp-access", "erp-use", [asset_id])
    agreement_id = network.negotiate(asset_id)["contractAgreementId"]
    transfer = network.pull(agreement_id)
    with network.consumer.client() as consumer:
        response = consumer.fetch(consumer.edr(transfer["@id"]), "batteries/BAT-1?view=soh")
    assert response.status_code == 200
    assert response.json() == {"served": "/erp/batteries/BAT-1?view=soh"}
    headers = {k.lower(): v for k, v in seen[-1]["headers"].items()}
    assert headers["edc-contract-agreement-id"] == agreement_id
    assert headers["edc-bpn"] == CONSUMER_BPN
    assert "authorization" not in headers  # the EDR token never leaks to the backend


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("policydefinition-*.json")))
def test_tractusx_walkthrough_policy_definitions_are_accepted_as_they_are(
    network: Network, name: str
) -> None:
    body = json.loads((FIXTURES / name).read_text("utf-8"))
    body["@id"] = f"{body.get('@id', 'p')}-{name}"  # the walkthrough reuses ids across files
    response = httpx.post(
        network.provider.base_url + "/management/v3/policydefinitions",
        json=body,
        headers={"X-Api-Key": network.provider.api_key},
    )
    assert response.status_code == 200, response.text
    stored = httpx.get(
        network.provider.base_url + f"/management/v3/policydefinitions/{body['@id']}",
        headers={"X-Api-Key": network.provider.api_key},
    )
    assert stored.status_code == 200
    assert stored.json()["@id"] == body["@id"]


def test_tractusx_walkthrough_contract_request_starts_a_negotiation(network: Network) -> None:
    template = (FIXTURES / "contract-request-management-api-05_contractnegotiations.json").read_text("utf-8")
    asset_id = network.publish({"cell": "TX"})
    with network.consumer.client() as consumer:
        catalog = consumer.catalog(network.provider.dsp, network.provider.did)
    dataset = next(d for d in catalog["dataset"] if d["@id"] == asset_id)
    offer = dataset["hasPolicy"][0]
    body = json.loads(
        template.replace("{{OFFER_ID}}", offer["@id"])
        .replace("{{ASSET_ID}}", asset_id)
        .replace("{{PROVIDER_IDENTIFIER}}", network.provider.did)
    )
    body["counterPartyAddress"] = network.provider.dsp
    body["policy"]["permission"] = offer["permission"]
    response = httpx.post(
        network.consumer.base_url + "/management/v3/contractnegotiations",
        json=body,
        headers={"X-Api-Key": network.consumer.api_key},
    )
    assert response.status_code == 200, response.text
    with network.consumer.client() as consumer:
        assert consumer.wait_negotiation(response.json()["@id"])["state"] == "FINALIZED"
