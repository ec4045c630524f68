"""A full exchange leaves matching, cosigned, provable records on both sides (issue 4)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from battrace.ledger import NoteVerifier, open_checkpoint, verify_inclusion
from battrace.ledger.merkle import leaf_hash
from battrace.ledger.note import CosignatureVerifier, open_note

from .conftest import Network

pytestmark = pytest.mark.integration


def did_log(node: Any) -> dict[str, str]:
    document = httpx.get(node.base_url + "/.well-known/did.json").json()
    return next(s for s in document["service"] if s["type"] == "TransparencyLog")


def entries(node: Any) -> list[dict[str, Any]]:
    size = int(httpx.get(node.base_url + "/log/checkpoint").text.splitlines()[1])
    response = httpx.get(
        node.base_url + f"/log/entries?start=0&end={size}", headers={"X-Api-Key": node.api_key}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


def test_both_parties_log_the_agreement_and_cosign_each_others_checkpoints(network: Network) -> None:
    asset_id = network.publish({"cell": "LOG"})
    agreement_id = network.negotiate(asset_id)["contractAgreementId"]
    provider_log, consumer_log = did_log(network.provider), did_log(network.consumer)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        receipts = {
            name: [
                e
                for e in entries(node)
                if e["kind"] == "log.receipt" and _payload(e).get("agreement") == agreement_id
            ]
            for name, node in (("provider", network.provider), ("consumer", network.consumer))
        }
        if all(receipts.values()):
            break
        time.sleep(0.1)
    assert all(receipts.values()), "each side records the other's receipt"
    for node, own, peer in (
        (network.provider, provider_log, consumer_log),
        (network.consumer, consumer_log, provider_log),
    ):
        agreement_entries = [
            e
            for e in entries(node)
            if e["kind"] == "contract.agreement" and _payload(e)["agreement"]["@id"] == agreement_id
        ]
        assert len(agreement_entries) == 1
        notes = httpx.get(node.base_url + "/log/checkpoint").text
        checkpoint = open_checkpoint(notes, [NoteVerifier.from_vkey(own["vkey"])])
        # the counterparty's cosignature of (some) checkpoint of this log is kept beside the log's signature
        cosigned = _cosigned_checkpoints(node, CosignatureVerifier.from_vkey(peer["cosignatureVkey"]))
        assert cosigned, "the peer cosigned one of our checkpoints"
        entry = agreement_entries[0]
        proof = httpx.get(
            node.base_url + f"/log/proof/inclusion?leaf_index={entry['index']}&tree_size={checkpoint.size}"
        ).json()
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        leaf = (
            base64.b64decode(entry["leafHash"])
            if "leafHash" in entry
            else leaf_hash(json.dumps(_payload(entry), separators=(",", ":")).encode())
        )
        assert verify_inclusion(entry["index"], checkpoint.size, leaf, hashes, checkpoint.root)


def test_log_entries_are_for_the_operator_only(network: Network) -> None:
    assert httpx.get(network.provider.base_url + "/log/entries?start=0&end=1").status_code == 401
    assert httpx.get(network.provider.base_url + "/log/checkpoint").status_code == 200


def _payload(entry: dict[str, Any]) -> dict[str, Any]:
    payload = entry.get("payload") or entry.get("data")
    return json.loads(payload) if isinstance(payload, str) else dict(payload)


def _cosigned_checkpoints(node: Any, witness: CosignatureVerifier) -> list[int]:
    sizes = []
    head = int(httpx.get(node.base_url + "/log/checkpoint").text.splitlines()[1])
    for size in range(1, head + 1):
        response = httpx.get(node.base_url + f"/log/checkpoints/{size}")
        if response.status_code != 200:
            continue
        try:
            open_note(response.text, [witness])
            sizes.append(size)
        except Exception:
            continue
    return sizes
