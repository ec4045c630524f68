"""kill -9 in the middle of a negotiation and a transfer: after a restart every process finishes.

State changes are committed before they are acknowledged and outgoing messages leave from the outbox, so a
node that dies with a message still to send sends it after the restart, and a node that receives a message
again (because the sender died before it saw our answer) answers the same way.
"""

from __future__ import annotations

import json
import time

import pytest

from battrace.client import first_offer

from .conftest import Network

pytestmark = pytest.mark.integration


@pytest.fixture()
def net(pair: Network) -> Network:
    return pair


def test_provider_killed_with_an_unsent_agreement_completes_after_restart(net: Network) -> None:
    asset_id = net.publish({"cell": "A1", "soh": 0.97})
    with net.consumer.client() as consumer, net.provider.client() as provider:
        offer, contexts = first_offer(consumer.catalog(net.provider.dsp, net.provider.did), asset_id)
        # Other terms than the offer make the provider wait for its operator: a deterministic pause.
        proposal = json.loads(json.dumps(offer))
        proposal["permission"][0]["constraint"][0]["and"][1]["rightOperand"] = [
            "cx.pcf.base:1",
            "cx.quality.base:1",
        ]
        negotiation_id = consumer.negotiate(net.provider.dsp, net.provider.did, asset_id, proposal, contexts)
        pending = _wait_for(lambda: [n for n in provider.negotiations() if n["state"] == "REQUESTED"])
        # The consumer goes away, then the provider agrees: the agreement can only wait in the outbox.
        net.consumer.kill()
        provider.act("contractnegotiations", pending[0]["@id"], "agree")
        assert provider.negotiation(pending[0]["@id"])["state"] == "AGREED"
    net.provider.kill()

    net.provider.start()
    net.consumer.start()
    with net.consumer.client() as consumer, net.provider.client() as provider:
        result = consumer.wait_negotiation(negotiation_id, timeout=60)
        assert result["state"] == "FINALIZED"
        provider_side = provider.wait_negotiation(pending[0]["@id"], timeout=30)
        assert provider_side["state"] == "FINALIZED"
        assert provider_side["contractAgreementId"] == result["contractAgreementId"]


def test_consumer_killed_right_after_requesting_a_transfer_still_gets_its_data(net: Network) -> None:
    asset_id = net.publish({"cell": "A2", "soh": 0.91})
    agreement_id = net.negotiate(asset_id)["contractAgreementId"]
    with net.consumer.client() as consumer:
        transfer_id = consumer.transfer(net.provider.dsp, agreement_id)
    net.consumer.kill()  # whether or not the request left, the restart must converge
    net.consumer.start()
    with net.consumer.client() as consumer:
        started = consumer.wait_transfer(transfer_id, timeout=60)
        assert started["state"] == "STARTED"
        response = consumer.fetch(consumer.edr(transfer_id))
    assert response.json() == {"cell": "A2", "soh": 0.91}


def test_no_agreement_is_lost_or_duplicated_across_a_provider_crash(net: Network) -> None:
    asset_id = net.publish({"cell": "A3"})
    with net.consumer.client() as consumer:
        offer, contexts = first_offer(consumer.catalog(net.provider.dsp, net.provider.did), asset_id)
        ids = [
            consumer.negotiate(net.provider.dsp, net.provider.did, asset_id, offer, contexts)
            for _ in range(20)
        ]
    net.provider.kill()
    net.provider.start()
    with net.consumer.client() as consumer, net.provider.client() as provider:
        results = [consumer.wait_negotiation(i, timeout=60) for i in ids]
        unfinished = [r for r in results if r["state"] != "FINALIZED"]
        assert not unfinished, json.dumps(unfinished)
        consumer_agreements = {r["contractAgreementId"] for r in results}
        provider_agreements = {
            a["@id"]
            for a in provider.call("POST", "/management/v3/contractagreements/request")
            if a["assetId"] == asset_id
        }
    assert len(consumer_agreements) == 20
    assert consumer_agreements == provider_agreements


def _wait_for(read: object, timeout: float = 10.0) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()  # type: ignore[operator]
        if value:
            return list(value)
        time.sleep(0.05)
    raise TimeoutError("nothing appeared")
