"""`battrace serve --workers N` (issue 9 item 4): a provider served by three worker processes on PostgreSQL.

A consumer node (one process) runs 30 negotiations, transfers and data-plane reads against it at once. The
consumer is reached through a counting HTTP relay on loopback (its public URL and DID point there), so the
test sees every message the provider's workers deliver: a message answered 2xx twice would be a message two
workers both sent. Which processes served is read from /proc (the established connections on the provider's
port held by each uvicorn worker), so the node exposes nothing new for the test.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from battrace.client import first_offer
from battrace.devnet import NodeProcess
from battrace.identity import did_web

from .conftest import CONSUMER_BPN, DEG_USAGE, MEMBERS_ONLY, PROVIDER_BPN, free_port

pytestmark = [pytest.mark.integration]
WORKERS = 3
EXCHANGES = 30
API_KEY = "battrace-dev-key"
LOG_VERIFY = [sys.executable, "-m", "battrace.cli", "log", "verify", "--database-url"]


class Relay:
    """Forwards every request to `target` and remembers (path, body digest, status) of each POST whose
    sender was still waiting for the answer. A sender that gave up first (its read timed out on a loaded
    machine) retries by design (at-least-once); two workers sending one message would both be waiting."""

    def __init__(self, port: int, target: str) -> None:
        self.posts: list[tuple[str, str, int]] = []
        lock = threading.Lock()
        http = httpx.Client(timeout=30.0)
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                answer = http.request(self.command, target + self.path, headers=headers, content=body)
                if self.command == "POST" and not _closed(self.connection):
                    with lock:
                        relay.posts.append((self.path, hashlib.sha256(body).hexdigest(), answer.status_code))
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "date"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args: Any) -> None:
                return None

            def handle(self) -> None:
                with contextlib.suppress(OSError):  # the sender closed its connection first (it retries)
                    super().handle()

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._http = http
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()


def _closed(connection: socket.socket) -> bool:
    """The peer closed its side: readable with nothing to read (it sent no further request meanwhile)."""
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


@dataclass
class WorkersNode(NodeProcess):
    """`battrace serve --workers N` (devnet.NodeProcess with `workers`), and which of its workers serve."""

    def worker_pids(self) -> set[int]:
        assert self.process is not None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {int(c) for c in children if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()}

    def serving_pids(self) -> set[int]:
        """The workers holding an established connection to the node's port (each accepts its own)."""
        inodes = _established_inodes(self.port)
        serving = set()
        for worker in self.worker_pids():
            try:
                fds = list(Path(f"/proc/{worker}/fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    link = os.readlink(fd)
                except OSError:
                    continue
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    serving.add(worker)
                    break
        return serving


def _established_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


@pytest.fixture()
def database(fresh_postgres_url: str) -> str:
    return fresh_postgres_url  # tests/conftest.py: fails instead of skipping under CI=true


@pytest.fixture()
def nodes(tmp_path: Path, database: str) -> Iterator[tuple[WorkersNode, NodeProcess, Relay]]:
    relay_port = free_port()
    consumer = NodeProcess("consumer", free_port(), tmp_path)
    consumer_did = did_web("127.0.0.1", relay_port)
    provider = WorkersNode(
        "provider", free_port(), tmp_path, api_key=API_KEY, database_url=database, workers=WORKERS
    )
    provider.peers = {
        consumer_did: {
            "bpn": CONSUMER_BPN,
            "membership": "active",
            "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
        }
    }
    consumer.peers = {provider.did: {"bpn": PROVIDER_BPN, "membership": "active"}}
    consumer.extra = {"public_url": f"http://127.0.0.1:{relay_port}"}
    relay = Relay(relay_port, consumer.base_url)
    try:
        provider.start(timeout=240)  # each worker imports the whole app; the machine may be shared
        consumer.start(timeout=240)
        yield provider, consumer, relay
    finally:
        consumer.stop()
        provider.stop()
        relay.close()


def _publish(provider: WorkersNode) -> str:
    with provider.client() as client:
        client.create_asset("workers-asset", {"cell": "W1"})
        client.create_policy("workers-access", MEMBERS_ONLY)
        client.create_policy("workers-usage", DEG_USAGE)
        client.create_contract_definition("workers-def", "workers-access", "workers-usage", ["workers-asset"])
    return "workers-asset"


def _exchange(consumer: NodeProcess, provider: WorkersNode, asset_id: str) -> tuple[str, str]:
    """Negotiate, pull and read once; (negotiation id, agreement id)."""
    with consumer.client() as client:
        catalog = client.catalog(provider.dsp, provider.did)
        offer, contexts = first_offer(catalog, asset_id)
        negotiation_id = client.negotiate(provider.dsp, provider.did, asset_id, offer, contexts)
        negotiation = client.wait_negotiation(negotiation_id, timeout=60)
        assert negotiation["state"] == "FINALIZED", negotiation
        agreement_id = str(negotiation["contractAgreementId"])
        transfer_id = client.transfer(provider.dsp, agreement_id)
        assert client.wait_transfer(transfer_id, timeout=60)["state"] == "STARTED"
        assert client.fetch(client.edr(transfer_id)).json() == {"cell": "W1"}
        return negotiation_id, agreement_id


def _sample_serving(provider: WorkersNode, stop: threading.Event, seen: set[int]) -> None:
    while not stop.is_set():
        seen |= provider.serving_pids()
        stop.wait(0.05)


@pytest.mark.postgres
def test_three_workers_on_postgresql_finalize_every_negotiation_once_and_keep_a_valid_log(
    nodes: tuple[WorkersNode, NodeProcess, Relay], tmp_path: Path
) -> None:
    provider, consumer, relay = nodes
    assert len(provider.worker_pids()) == WORKERS
    asset_id = _publish(provider)
    before = tmp_path / "checkpoint-before.txt"
    before.write_text(httpx.get(provider.base_url + "/log/checkpoint").text)
    seen: set[int] = set()
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_serving, args=(provider, stop, seen), daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=EXCHANGES) as pool:
            results = list(pool.map(lambda _: _exchange(consumer, provider, asset_id), range(EXCHANGES)))
    finally:
        stop.set()
        sampler.join()

    agreements = {agreement for _, agreement in results}
    assert len(agreements) == EXCHANGES
    with provider.client() as client:
        on_provider = [n for n in client.negotiations() if n.get("assetId", asset_id) == asset_id]
    assert len(on_provider) == EXCHANGES
    assert {n["state"] for n in on_provider} == {"FINALIZED"}
    assert {n["contractAgreementId"] for n in on_provider} == agreements
    with consumer.client() as client:
        finalized = [n for n in client.negotiations() if n["state"] == "FINALIZED"]
    assert len(finalized) == EXCHANGES

    # No message was delivered twice: each body the consumer accepted reached it once.
    accepted = Counter((path, digest) for path, digest, status in relay.posts if 200 <= status < 300)
    assert accepted and max(accepted.values()) == 1, [k for k, n in accepted.items() if n > 1]

    assert len(seen) > 1, f"only worker(s) {seen} of {provider.worker_pids()} served"

    after = tmp_path / "checkpoint-after.txt"
    after.write_text(httpx.get(provider.base_url + "/log/checkpoint").text)
    vkey = _log_vkey(provider)
    assert provider.database_url is not None
    verify = subprocess.run(
        [
            *LOG_VERIFY,
            provider.database_url,
            "--vkey",
            vkey,
            "--checkpoint",
            str(before),
            "--checkpoint",
            str(after),
        ],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _log_vkey(provider: WorkersNode) -> str:
    document = httpx.get(provider.base_url + "/.well-known/did.json").json()
    return str(next(s["vkey"] for s in document["service"] if s.get("type") == "TransparencyLog"))


def test_several_workers_on_sqlite_are_refused_with_a_reason(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "battrace.cli", "serve", "--data-dir", str(tmp_path / "node")]
    result = subprocess.run(
        [*command, "--port", str(free_port()), "--workers", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs PostgreSQL" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
