"""The data-space operator witnesses its members' logs between real processes (issue 4 item 3).

Two certified members of one space trade; a witness round cosigns both members' latest checkpoints, which
the members keep beside their own signature. Then one member's operator deletes the tail of its log in the
database (append-only triggers dropped first, as an attacker with the file can) and restarts: the next round
raises an alarm for that member, and only for it.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from battrace.client import first_offer
from battrace.devnet import NodeProcess
from battrace.errors import InvalidInput
from battrace.ledger.note import CosignatureVerifier, open_note, split_note
from battrace.operator.client import SpaceClient
from battrace.operator.devnet import OperatorProcess
from battrace.operator.files import SpaceFiles

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Space:
    operator: OperatorProcess
    provider: NodeProcess
    consumer: NodeProcess

    def poll(self) -> list[dict[str, Any]]:
        response = httpx.post(
            self.operator.base_url + "/space/witness/poll",
            headers={"X-Api-Key": self.operator.api_key},
            timeout=60.0,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["members"])

    def alarms(self) -> list[dict[str, Any]]:
        return list(httpx.get(self.operator.base_url + "/space/witness/alarms").json())

    def witness_verifier(self) -> CosignatureVerifier:
        document = httpx.get(self.operator.base_url + "/.well-known/did.json").json()
        (service,) = [s for s in document["service"] if s["type"] == "TransparencyWitness"]
        return CosignatureVerifier.from_vkey(service["cosignatureVkey"])


def certify(operator: OperatorProcess, node: NodeProcess, name: str) -> None:
    with httpx.Client() as http:
        credentials = SpaceClient(operator.base_url, http, api_key=operator.api_key).certify(
            {"participant": node.did, "name": name, "types": ["Membership"]}
        )
    for credential in credentials:
        response = httpx.post(
            node.base_url + "/management/v3/credentials",
            json={"credential": credential},
            headers={"X-Api-Key": node.api_key},
        )
        assert response.status_code == 201, response.text


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Space]:
    root: Path = tmp_path_factory.mktemp("witness")
    operator = OperatorProcess("eu-space", free_port(), root).init()
    files = SpaceFiles(operator.space_dir)
    # rounds only on demand, so the test decides when the witness looks (the production default is 30 s)
    files.write_config(files.config().model_copy(update={"witness_interval_seconds": 0}))
    operator.start()
    extra = {"spaces": [operator.base_url], "trust_refresh_seconds": 0}
    provider = NodeProcess("eu-cell-maker", free_port(), root, extra=extra).start()
    consumer = NodeProcess("eu-carmaker", free_port(), root, extra=extra).start()
    try:
        certify(operator, provider, "Cell Maker GmbH")
        certify(operator, consumer, "Carmaker AG")
        yield Space(operator, provider, consumer)
    finally:
        consumer.stop()
        provider.stop()
        operator.stop()


def exchange(space: Space) -> None:
    asset_id = f"cells-{free_port()}"
    with space.provider.client() as client:
        client.create_asset(asset_id, {"cell": "NMC811"})
        client.create_policy(f"access-{asset_id}", [{"action": "use"}])
        client.create_policy(f"use-{asset_id}", [{"action": "use"}])
        client.create_contract_definition(
            f"def-{asset_id}", f"access-{asset_id}", f"use-{asset_id}", [asset_id]
        )
    with space.consumer.client() as client:
        catalog = client.catalog(space.provider.dsp, space.provider.did)
        offer, contexts = first_offer(catalog, asset_id)
        negotiation = client.negotiate(space.provider.dsp, space.provider.did, asset_id, offer, contexts)
        assert client.wait_negotiation(negotiation)["state"] == "FINALIZED"


def log_size(node: NodeProcess) -> int:
    return int(httpx.get(node.base_url + "/log/checkpoint").text.splitlines()[1])


def settled(node: NodeProcess, timeout: float = 15.0) -> None:
    """Wait until the node's log stops growing (receipts and peer cosignatures are exchanged afterwards)."""
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        size = log_size(node)
        if size == last:
            return
        last = size
        time.sleep(0.5)


def witness_cosigned(node: NodeProcess, size: int, witness: CosignatureVerifier) -> bool:
    note = httpx.get(node.base_url + f"/log/checkpoints/{size}").text
    try:
        open_note(note, [witness])
    except InvalidInput:
        return False
    return any(s.name == witness.name for s in split_note(note)[1])


def truncate_log(node: NodeProcess, keep: int) -> None:
    """What an operator with the database file can do: drop the append-only guards and cut the log's tail."""
    db = sqlite3.connect(node.data_dir / "battrace.db")
    try:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute(f'DROP TRIGGER "{name}"')
        db.execute("DELETE FROM log_entries WHERE idx >= ?", (keep,))
        db.execute("DELETE FROM log_subtrees WHERE (idx + 1) * (1 << level) > ?", (keep,))
        db.execute("DELETE FROM log_checkpoints WHERE size > ?", (keep,))
        db.execute("UPDATE log_head SET size = ?", (keep,))
        db.commit()
    finally:
        db.close()


def test_the_witness_cosigns_both_members_after_an_exchange_and_catches_a_shrunk_log(space: Space) -> None:
    exchange(space)
    settled(space.provider)
    settled(space.consumer)
    witness = space.witness_verifier()

    records = {r["did"]: r for r in space.poll()}
    assert set(records) == {space.provider.did, space.consumer.did}
    for node in (space.provider, space.consumer):
        record = records[node.did]
        assert record["status"] == "ok" and record["cosigned"] is True, record
        size = record["checkpoint"]["size"]
        assert size > 0
        assert witness_cosigned(node, size, witness), f"{node.name} keeps the witness cosignature"
    assert space.alarms() == []

    seen = records[space.provider.did]["checkpoint"]["size"]
    space.provider.stop()
    truncate_log(space.provider, keep=seen // 2)
    space.provider.start()

    after = {r["did"]: r for r in space.poll()}
    assert after[space.provider.did]["status"] == "alarm"
    assert after[space.consumer.did]["status"] == "ok"
    (alarm,) = space.alarms()
    assert alarm["member"] == space.provider.did
    assert alarm["kind"] in ("shrink", "inconsistent"), alarm
    assert alarm["lastVerified"]["size"] == seen
    log = (space.operator.space_dir / "operator.log").read_text("utf-8")
    assert "WARNING" in log and "WITNESS ALARM" in log and space.provider.did in log
