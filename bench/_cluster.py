"""Two real company nodes for the benchmark: free loopback ports, a temp dir, SQLite or fresh PostgreSQL
databases, one published offer, and what the operating system says about each process (RSS, CPU time).

Nothing here is mocked: each node is its own `battrace serve` process started by `battrace.devnet`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from battrace.client import NodeClient
from battrace.devnet import NodeProcess

# The exchanged dataset: a cell model's carbon footprint, offered by a cell maker to one carmaker.
CELL_FOOTPRINT: dict[str, Any] = {
    "productId": "urn:battrace:cell-model:NMC811-60Ah",
    "declaredUnit": "kilogram",
    "pcfExcludingBiogenic": 58.4,
    "unit": "kg CO2e per kWh",
    "referencePeriod": {"start": "2026-01-01T00:00:00Z", "end": "2026-12-31T23:59:59Z"},
}
CELL_MAKER_BPN = "BPNL000000000CEL"
OEM_BPN = "BPNL000000000OEM"

ASSET_ID = "cell-pcf-NMC811"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_CLOCK_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Started:
    """A node that is up, and how long `battrace serve` took to answer /health."""

    node: NodeProcess
    start_seconds: float


@dataclass(frozen=True)
class Cluster:
    provider: Started
    consumer: Started
    backend: str  # "sqlite" or "postgresql"

    def nodes(self) -> dict[str, NodeProcess]:
        return {"provider": self.provider.node, "consumer": self.consumer.node}


def free_port() -> int:
    # Bind to port 0 and release: the kernel's pick is free now; a race with another process is possible
    # but unlikely on a bench machine, and `start()` fails loudly if it happens.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident set size from /proc/<pid>/status (VmRSS, kB)."""
    for line in Path(f"/proc/{pid}/status").read_text("ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (/proc/<pid>/stat fields 14 and 15, in clock ticks)."""
    raw = Path(f"/proc/{pid}/stat").read_text("ascii")
    fields = raw[raw.rindex(")") + 2:].split()  # the command name may contain spaces; skip past it
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICK


def pid_of(node: NodeProcess) -> int:
    if node.process is None:
        raise RuntimeError(f"node {node.name} is not running")
    return node.process.pid


@contextmanager
def cluster(server_url: str | None) -> Iterator[Cluster]:
    """Start provider and consumer (SQLite, or two fresh databases on `server_url`), publish, tear down."""
    root = Path(tempfile.mkdtemp(prefix="battrace-bench-"))
    provider = NodeProcess("cell-maker", free_port(), root)
    consumer = NodeProcess("vehicle-oem", free_port(), root)
    # Until verifiable credentials arrive, each node knows its partner's attributes from config (as the demo).
    provider.peers = {consumer.did: {"bpn": OEM_BPN, "membership": "active",
                                     "frameworkAgreements": {"DataExchangeGovernance": "1.0"}}}
    consumer.peers = {provider.did: {"bpn": CELL_MAKER_BPN, "membership": "active"}}
    with _databases(server_url, 2) as urls:
        provider.database_url, consumer.database_url = urls
        try:
            started = _start(provider), _start(consumer)
            publish(provider.client())
            yield Cluster(*started, backend="postgresql" if server_url else "sqlite")
        except BaseException:
            _show_logs(provider, consumer)
            raise
        finally:
            consumer.stop()
            provider.stop()
            shutil.rmtree(root, ignore_errors=True)


def _show_logs(*nodes: NodeProcess) -> None:
    """The temp dir is about to go: keep the end of each node's log where the failure is reported."""
    for node in nodes:
        log = node.data_dir / "node.log"
        if log.exists():
            print(f"---- {node.name} node.log (last 3000 characters)", file=sys.stderr)
            print(log.read_text("utf-8", errors="replace")[-3000:], file=sys.stderr)


def _start(node: NodeProcess) -> Started:
    began = time.perf_counter()
    node.start(timeout=60.0)
    return Started(node, time.perf_counter() - began)


@contextmanager
def _databases(server_url: str | None, count: int) -> Iterator[tuple[str | None, ...]]:
    if server_url is None:
        yield (None,) * count
        return
    names = [f"battrace_bench_{secrets.token_hex(4)}_{i}" for i in range(count)]
    admin = _libpq_url(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield tuple(_with_database(server_url, name) for name in names)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                # WITH (FORCE): PostgreSQL ≥ 13; a node killed mid-run may leave sessions behind.
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _libpq_url(url: str) -> str:
    """SQLAlchemy's `postgresql+psycopg://` is not a libpq URL; psycopg wants plain `postgresql://`."""
    scheme, rest = url.split("://", 1)
    return scheme.split("+", 1)[0] + "://" + rest


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def publish(provider: NodeClient) -> None:
    """The demo's offer: the cell carbon footprint under a membership access policy and a PCF usage policy."""
    provider.create_asset(ASSET_ID, CELL_FOOTPRINT, properties={
        "http://purl.org/dc/terms/type": {"@id": "https://w3id.org/catenax/taxonomy#PcfExchange"}})
    provider.create_policy("members-only", [{"action": "access", "constraint": [{"and": [
        {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
        {"leftOperand": "BusinessPartnerNumber", "operator": "isAnyOf", "rightOperand": [OEM_BPN]}]}]}])
    provider.create_policy("pcf-usage", [{"action": "use", "constraint": [{"and": [
        {"leftOperand": "FrameworkAgreement", "operator": "eq", "rightOperand": "DataExchangeGovernance:1.0"},
        {"leftOperand": "UsagePurpose", "operator": "isAnyOf", "rightOperand": ["cx.pcf.base:1"]}]}]}])
    provider.create_contract_definition("pcf-offer", "members-only", "pcf-usage", [ASSET_ID])
    provider.close()
