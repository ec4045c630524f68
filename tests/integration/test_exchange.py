"""End to end between real node processes over HTTP: catalog → negotiation → transfer → data, and the policy
checks at each of those steps (DSP 2025-1 §2–4; access policy at catalog and negotiation, usage policy at
transfer and every data-plane request)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from battrace.client import ManagementError, first_offer
from battrace.clock import iso, urn_uuid
from battrace.dsp import messages as dsp
from battrace.identity import NodeKeys, issue_token
from battrace.provenance import DigestMismatch, WrongSigner

from .conftest import DEG_USAGE, Network

pytestmark = pytest.mark.integration

PCF = {"productId": "urn:battrace:cell:A1", "pcf": 58.4, "unit": "kg CO2e/kWh"}


def test_consumer_pulls_a_published_dataset_over_http(network: Network) -> None:
    asset_id = network.publish(PCF)
    negotiation = network.negotiate(asset_id)
    assert negotiation["state"] == "FINALIZED"
    transfer = network.pull(negotiation["contractAgreementId"])
    assert transfer["state"] == "STARTED"
    with network.consumer.client() as client:
        response = client.fetch(client.edr(transfer["@id"]))
    assert response.status_code == 200
    assert response.json() == PCF


def test_served_data_carries_the_providers_signature_and_tampering_is_detected(network: Network) -> None:
    asset_id = network.publish(PCF)
    transfer = network.pull(network.negotiate(asset_id)["contractAgreementId"])
    with network.consumer.client() as client:
        response = client.fetch(client.edr(transfer["@id"]))
        provenance = client.verify_delivery(response, network.provider.did)
        assert provenance.signer_did == network.provider.did
        assert provenance.asset_id == asset_id
        assert provenance.agreement_id == transfer["contractId"]
        tampered = httpx.Response(
            200, content=response.content.replace(b"58.4", b"18.4"), headers=response.headers
        )
        with pytest.raises(DigestMismatch):
            client.verify_delivery(tampered, network.provider.did)
        with pytest.raises(WrongSigner):
            client.verify_delivery(response, network.consumer.did)  # someone else's key does not vouch for it


def test_both_sides_record_the_same_agreement(network: Network) -> None:
    asset_id = network.publish(PCF)
    agreement_id = network.negotiate(asset_id)["contractAgreementId"]
    with network.provider.client() as provider, network.consumer.client() as consumer:
        theirs = provider.call("GET", f"/management/v3/contractagreements/{agreement_id}")
        ours = consumer.call("GET", f"/management/v3/contractagreements/{agreement_id}")
    assert theirs["assetId"] == ours["assetId"] == asset_id
    assert theirs["providerId"] == ours["providerId"] == network.provider.did
    assert theirs["consumerId"] == ours["consumerId"] == network.consumer.did


def test_consumer_without_membership_is_refused_catalog(network: Network) -> None:
    asset_id = network.publish(PCF)
    with network.stranger.client() as stranger, network.consumer.client() as consumer:
        stranger_catalog = stranger.catalog(network.provider.dsp, network.provider.did)
        member_catalog = consumer.catalog(network.provider.dsp, network.provider.did)
    assert asset_id not in [d["@id"] for d in stranger_catalog.get("dataset", [])]
    assert asset_id in [d["@id"] for d in member_catalog.get("dataset", [])]


def test_wrong_party_replaying_a_members_offer_is_refused_at_negotiation(network: Network) -> None:
    asset_id = network.publish(PCF)
    with network.consumer.client() as consumer:
        offer, contexts = first_offer(consumer.catalog(network.provider.dsp, network.provider.did), asset_id)
    with network.stranger.client() as stranger:
        negotiation_id = stranger.negotiate(
            network.provider.dsp, network.provider.did, asset_id, offer, contexts
        )
        result = stranger.wait_negotiation(negotiation_id)
    assert result["state"] == "TERMINATED"
    assert "404" in result["errorDetail"]


def test_wrong_party_is_refused_a_transfer_under_someone_elses_agreement(network: Network) -> None:
    asset_id = network.publish(PCF)
    agreement_id = network.negotiate(asset_id)["contractAgreementId"]
    # The stranger signs a raw DSP TransferRequestMessage with its own key, naming the consumer's agreement.
    keys = NodeKeys.load_or_create(network.stranger.data_dir / "keys" / "node-ed25519.pem")
    token = issue_token(
        keys, network.stranger.did, network.provider.did, now=datetime.now(UTC), jti=urn_uuid()
    )
    body = dsp.transfer_request(urn_uuid(), agreement_id, "HttpData-PULL", network.stranger.dsp + "/callback")
    response = httpx.post(
        network.provider.dsp + "/transfers/request", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
    assert response.json()["@type"] == "TransferError"
    assert response.json()["code"] == "UNKNOWN_AGREEMENT"


def test_data_fetch_with_a_forged_token_is_refused(network: Network) -> None:
    response = httpx.get(network.provider.base_url + "/api/public", headers={"Authorization": "forged"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401


def test_expired_agreement_is_refused_at_data_fetch_and_transfer(network: Network) -> None:
    end = datetime.now(UTC) + timedelta(seconds=3)
    usage = [
        {
            "action": "use",
            "constraint": [
                {
                    "and": [
                        *DEG_USAGE[0]["constraint"][0]["and"],
                        {"leftOperand": "DataUsageEndDate", "operator": "eq", "rightOperand": iso(end)},
                    ]
                }
            ],
        }
    ]
    asset_id = network.publish(PCF, usage=usage)
    negotiation = network.negotiate(asset_id)
    transfer = network.pull(negotiation["contractAgreementId"])
    with network.consumer.client() as client:
        edr = client.edr(transfer["@id"])
        assert client.fetch(edr).status_code == 200
        time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds()) + 1.1)
        refused = client.fetch(edr)
        assert refused.status_code == 403
        assert any("DataUsageEndDate" in reason for reason in refused.json()["reason"])
    second = network.pull(negotiation["contractAgreementId"])
    assert second["state"] == "TERMINATED"


def test_unknown_left_operand_in_the_usage_policy_is_denied(network: Network) -> None:
    usage = [
        {
            "action": "use",
            "constraint": [
                {"leftOperand": "https://example.com/ns/madeUpOperand", "operator": "eq", "rightOperand": "x"}
            ],
        }
    ]
    asset_id = network.publish(PCF, usage=usage)
    result = network.negotiate(asset_id)
    assert result["state"] == "TERMINATED"
    assert "madeUpOperand" in result["errorDetail"]


def test_unknown_left_operand_in_the_access_policy_hides_the_dataset(network: Network) -> None:
    access = [
        {
            "action": "access",
            "constraint": [
                {"leftOperand": "https://example.com/ns/madeUpOperand", "operator": "eq", "rightOperand": "x"}
            ],
        }
    ]
    asset_id = network.publish(PCF, access=access)
    with network.consumer.client() as client:
        catalog = client.catalog(network.provider.dsp, network.provider.did)
    assert asset_id not in [d["@id"] for d in catalog.get("dataset", [])]


def test_suspended_transfer_refuses_data_until_resumed_and_termination_ends_it(network: Network) -> None:
    asset_id = network.publish(PCF)
    transfer = network.pull(network.negotiate(asset_id)["contractAgreementId"])
    with network.consumer.client() as client:
        edr = client.edr(transfer["@id"])
        client.act("transferprocesses", transfer["@id"], "suspend")
        client.wait_transfer(transfer["@id"], ("SUSPENDED",))
        assert _eventually(lambda: client.fetch(edr).status_code == 403)
        client.act("transferprocesses", transfer["@id"], "resume")
        client.wait_transfer(transfer["@id"], ("STARTED",))
        assert _eventually(lambda: client.fetch(edr).status_code == 200)
        client.act("transferprocesses", transfer["@id"], "terminate")
        client.wait_transfer(transfer["@id"], ("TERMINATED",))
        assert _eventually(lambda: client.fetch(edr).status_code == 401)


def test_counter_offer_then_acceptance_reaches_finalized(network: Network) -> None:
    asset_id = network.publish(PCF)
    with network.consumer.client() as consumer, network.provider.client() as provider:
        offer, contexts = first_offer(consumer.catalog(network.provider.dsp, network.provider.did), asset_id)
        # Different terms (an extra purpose) are not agreed automatically: they wait for the provider.
        proposal = json.loads(json.dumps(offer))
        proposal["permission"][0]["constraint"][0]["and"][1]["rightOperand"] = [
            "cx.pcf.base:1",
            "cx.quality.base:1",
        ]
        negotiation_id = consumer.negotiate(
            network.provider.dsp, network.provider.did, asset_id, proposal, contexts
        )
        consumer_pid = _eventually_value(lambda: _provider_negotiation(provider, "REQUESTED"))
        provider.counter(consumer_pid["@id"], "offer", asset_id, offer, network.provider.did, contexts)
        consumer.wait_negotiation(negotiation_id, ("OFFERED",))
        consumer.act("contractnegotiations", negotiation_id, "accept")
        result = consumer.wait_negotiation(negotiation_id)
    assert result["state"] == "FINALIZED"


def test_push_transfer_delivers_the_data_to_the_consumers_endpoint(network: Network) -> None:
    received: list[tuple[str, bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            received.append((self.headers.get("authorization", ""), self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        asset_id = network.publish(PCF)
        agreement_id = network.negotiate(asset_id)["contractAgreementId"]
        destination = {
            "type": "HttpData",
            "baseUrl": f"http://127.0.0.1:{server.server_address[1]}/inbox",
            "authCode": "secret-for-the-provider",
        }
        with network.consumer.client() as client:
            transfer_id = client.transfer(
                network.provider.dsp, agreement_id, transfer_type="HttpData-PUSH", destination=destination
            )
            result = client.wait_transfer(transfer_id, ("COMPLETED", "TERMINATED"))
        assert result["state"] == "COMPLETED"
        assert _eventually(lambda: len(received) == 1)
        assert received[0] == ("Bearer secret-for-the-provider", json.dumps(PCF).encode())
    finally:
        server.shutdown()


def test_management_api_refuses_a_wrong_api_key(network: Network) -> None:
    response = httpx.get(
        network.provider.base_url + "/management/v3/assets/x", headers={"X-Api-Key": "wrong"}
    )
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthenticated"


def test_management_api_rejects_a_malformed_asset_and_stores_nothing(network: Network) -> None:
    with network.provider.client() as client:
        with pytest.raises(ManagementError) as refused:
            client.call(
                "POST",
                "/management/v3/assets",
                {
                    "@context": {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"},
                    "@id": "half",
                    "dataAddress": {"type": "HttpData"},
                },
            )
        assert refused.value.status == 400
        with pytest.raises(ManagementError) as missing:
            client.call("GET", "/management/v3/assets/half")
        assert missing.value.status == 404


def _provider_negotiation(provider: Any, state: str) -> dict[str, Any] | None:
    for negotiation in provider.negotiations():
        if negotiation["state"] == state and negotiation["type"] == "PROVIDER":
            return dict(negotiation)
    return None


def _eventually(check: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _eventually_value(read: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if value is not None:
            return value
        time.sleep(0.05)
    raise TimeoutError("value did not appear")
