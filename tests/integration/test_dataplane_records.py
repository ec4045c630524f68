"""Every read the data plane serves is in the provider's transparency log, even when the provider is SIGKILLed
right after answering (issue 9: group commit; `battrace.ledger.batch`).

The data of a read leaves only once the batch holding its `dataplane.access` record has committed, so a crash
at any moment after a response cannot lose that response's record. The reads come from several threads at once
(as a busy consumer's would) and the provider is killed as soon as the last answer is in. A node that also
accepts plain bearer tokens (the interop switch) records those reads the same way.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Network, make_network, running_pair

pytestmark = pytest.mark.integration

READS = 40
THREADS = 8


@pytest.fixture()
def net(pair: Network) -> Network:
    return pair


def access_records(net: Network, asset_id: str) -> list[dict[str, Any]]:
    node = net.provider
    size = int(httpx.get(node.base_url + "/log/checkpoint", timeout=10).text.splitlines()[1])
    response = httpx.get(
        node.base_url + f"/log/entries?start=0&end={size}", headers={"X-Api-Key": node.api_key}, timeout=30
    )
    assert response.status_code == 200, response.text
    found = []
    for entry in response.json()["entries"]:
        payload = entry.get("payload") or entry.get("data")
        event = json.loads(payload) if isinstance(payload, str) else dict(payload)
        if entry["kind"] == "dataplane.access" and event.get("asset") == asset_id:
            found.append(event)
    return found


def test_every_served_read_is_in_the_log_after_a_sigkill_right_after_the_last_answer(net: Network) -> None:
    asset_id = net.publish({"cell": "REC", "soh": 0.93})
    transfer = net.pull(net.negotiate(asset_id)["contractAgreementId"])
    assert transfer["state"] == "STARTED", transfer

    def read(_: int) -> int:
        with net.consumer.client() as client:
            response = client.fetch(client.edr(transfer["@id"]))
        assert response.json() == {"cell": "REC", "soh": 0.93}
        return response.status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(read, range(READS)))
    net.provider.kill()  # no shutdown hook runs: nothing queued after the answers could still be flushed
    assert statuses == [200] * READS

    net.provider.start()
    records = access_records(net, asset_id)
    assert len(records) == READS
    assert all(r["status"] == 200 and r["peer"] == net.consumer.did for r in records)


def test_a_node_that_accepts_bearer_tokens_serves_a_plain_token_and_still_records_it(tmp_path: Path) -> None:
    # `dataplane_bearer_tokens = true`: interop with consumers that cannot sign DPoP proofs (e.g. an EDC).
    network = make_network(tmp_path)
    network.provider.extra = {"dataplane_bearer_tokens": True}
    with running_pair(network):
        asset_id = network.publish({"cell": "EDC"})
        transfer = network.pull(network.negotiate(asset_id)["contractAgreementId"])
        with network.consumer.client() as client:
            edr = client.edr(transfer["@id"])
            bound = client.fetch(edr)  # a proof is still accepted
        plain = httpx.get(edr.endpoint, headers={"Authorization": edr.token}, timeout=10)
        assert bound.json() == plain.json() == {"cell": "EDC"}
        assert len(access_records(network, asset_id)) == 2
