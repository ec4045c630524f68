"""Bounded HTTP load on a real node (issue 9 item 4): the data plane, the registry lookup and the public
passport view, at fixed concurrency levels for a fixed time, against `battrace serve` on SQLite or PostgreSQL.

Set-up (not measured): two node processes on loopback (`battrace.devnet.NodeProcess`): a battery maker
(provider) and a partner (consumer) that knows it. The provider registers a passport model and issues
`--passports` passports through its management API (each with its registry twin), and publishes one small
stored asset; the consumer negotiates and starts one pull transfer for it and takes its EDR.

Measured, per target and concurrency C: C asyncio tasks sharing one keep-alive `httpx.AsyncClient` (C
connections) send requests back to back for `--seconds`; each request picks a random passport. Every answer is
checked (status 200 *and* the body it should carry), so a fast wrong answer counts as an error, not a request.

| target | one request |
|---|---|
| `dataplane` | `GET` the asset on the provider's data plane with the consumer's EDR (token, policy, audit) |
| `lookup` | `POST /api/v3/lookup/shellsByAssetLink` `[{partInstanceId: <battery id>}]`, as the operator |
| `passport-json` | `GET /passports/{id}`, no token: the public view (Art. 77(2)) |
| `passport-html` | `GET /passport/{id}`: the viewer's HTML page a QR code leads to |

Printed: requests/s, p50/p99/max latency, errors, the provider's CPU per request (`/proc/<pid>/stat`) and its
RSS, the 1-minute load average before and after each run. The client runs on the same machine as the node
(and PostgreSQL): on a 2-core box it takes CPU from the node, so requests/s are a floor.

`--workers K` serves the provider with `battrace serve --workers K` (PostgreSQL only, as `serve` itself
requires; docs/decisions/2026-11-24-workers.md). Its CPU and RSS are then summed over the parent and its K
worker processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import psycopg

from battrace.client import Edr, NodeClient, first_offer
from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_item_values, ev_model_values

TARGETS = ("dataplane", "lookup", "passport-json", "passport-html")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MODEL_ID = "urn:battrace:model:load-ev-pack"
ASSET_ID = "load-small-asset"
# A small JSON document (~300 bytes), the size of a carbon-footprint summary or a status record.
ASSET_CONTENT: dict[str, Any] = {
    "productId": "urn:battrace:cell:NMC811-load",
    "pcfExcludingBiogenic": 61.4,
    "declaredUnit": "kilogram",
    "referencePeriod": {"start": "2026-01-01", "end": "2026-12-31"},
    "note": "bench/load.py: a small asset for the data-plane load",
}
PARTNER_BPN = "BPNL000000000LDC"
MAKER_BPN = "BPNL000000000LDP"
_ISSUE_BATCH = 100
_CLOCK_TICK = os.sysconf("SC_CLK_TCK")
WORKERS_NEED_POSTGRES = (
    "several workers share one database, which `battrace serve --workers` allows on PostgreSQL only "
    "(use --backend postgres)"
)


# -- the nodes -----------------------------------------------------------------------------------------------


@dataclass
class LoadNet:
    """The provider under load, the consumer that holds the EDR, and what the requests are about."""

    provider: NodeProcess
    consumer: NodeProcess
    backend: str
    passports: dict[str, str]  # passport id -> battery identifier (the registry's partInstanceId)
    edr: Edr


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pid_of(node: NodeProcess) -> int:
    if node.process is None:
        raise RuntimeError(f"node {node.name} is not running")
    return int(node.process.pid)


def pids_of(node: NodeProcess) -> list[int]:
    """The node's process and its children (uvicorn workers and multiprocessing's resource tracker)."""
    pid = pid_of(node)
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text("ascii").split()
    return [pid, *(int(c) for c in children)]


def worker_count(pids: Sequence[int]) -> int:
    workers = [p for p in pids if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
    return len(workers) or 1


def proc_status_kib(pid: int, field_name: str) -> int:
    """A `kB` field of /proc/<pid>/status: VmRSS (resident now) or VmHWM (the peak resident size)."""
    for line in Path(f"/proc/{pid}/status").read_text("ascii").splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise LookupError(f"no {field_name} for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (/proc/<pid>/stat fields 14 and 15, in clock ticks)."""
    raw = Path(f"/proc/{pid}/stat").read_text("ascii")
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may contain spaces; skip past it
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICK


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text("ascii").split()[0])


def node_pair(root: Path, workers: int = 1) -> tuple[NodeProcess, NodeProcess]:
    """A provider that knows its partner (membership, BPN, framework agreement) from config, as the demo."""
    provider = NodeProcess("battery-maker", free_port(), root, workers=workers)
    # The data-plane target sends the EDR token alone, as before DPoP binding (docs/security.md): it
    # measures the token, policy and audit path without a consumer-side proof per request.
    provider.extra = {"dataplane_bearer_tokens": True}
    consumer = NodeProcess("partner", free_port(), root)
    provider.peers = {
        consumer.did: {
            "bpn": PARTNER_BPN,
            "membership": "active",
            "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
        }
    }
    consumer.peers = {provider.did: {"bpn": MAKER_BPN, "membership": "active"}}
    return provider, consumer


@contextmanager
def databases(server_url: str | None, count: int) -> Iterator[list[str | None]]:
    """`count` fresh PostgreSQL databases on `server_url` (dropped afterwards), or SQLite (None) for each."""
    if server_url is None:
        yield [None] * count
        return
    names = [f"battrace_load_{secrets.token_hex(4)}_{i}" for i in range(count)]
    scheme, rest = server_url.split("://", 1)
    admin = scheme.split("+", 1)[0] + "://" + rest  # psycopg wants a libpq URL, not SQLAlchemy's
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        parts = urlsplit(server_url)
        yield [urlunsplit((parts.scheme, parts.netloc, "/" + n, parts.query, parts.fragment)) for n in names]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                # WITH (FORCE): PostgreSQL >= 13; a node killed mid-run may leave sessions behind.
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def issue_passports(client: NodeClient, count: int, *, first_serial: int = 1) -> dict[str, str]:
    """`count` passports of the bench model through the management API, in batches; id -> battery id."""
    issued: dict[str, str] = {}
    serial = first_serial
    while len(issued) < count:
        items = [
            {"modelId": MODEL_ID, "values": ev_item_values(f"L{serial + i:09d}")}
            for i in range(min(_ISSUE_BATCH, count - len(issued)))
        ]
        ids = client.issue_passports(items)
        for passport_id, serial_values in zip(ids, items, strict=True):
            values = serial_values["values"]
            assert isinstance(values, dict)
            issued[passport_id] = str(values["battery_identifier"])
        serial += len(items)
    return issued


def publish_small_asset(client: NodeClient) -> None:
    client.create_asset(ASSET_ID, ASSET_CONTENT)
    client.create_policy(
        "load-members",
        [
            {
                "action": "access",
                "constraint": [
                    {
                        "and": [
                            {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
                            {
                                "leftOperand": "BusinessPartnerNumber",
                                "operator": "isAnyOf",
                                "rightOperand": [PARTNER_BPN],
                            },
                        ]
                    }
                ],
            }
        ],
    )
    client.create_policy(
        "load-usage",
        [
            {
                "action": "use",
                "constraint": [
                    {
                        "leftOperand": "FrameworkAgreement",
                        "operator": "eq",
                        "rightOperand": "DataExchangeGovernance:1.0",
                    }
                ],
            }
        ],
    )
    client.create_contract_definition("load-offer", "load-members", "load-usage", [ASSET_ID])


def pull_edr(consumer: NodeClient, provider: NodeProcess) -> Edr:
    """One negotiation to FINALIZED, one pull transfer to STARTED: the EDR every data-plane request uses."""
    policy, contexts = first_offer(consumer.catalog(provider.dsp, provider.did), ASSET_ID)
    negotiation_id = consumer.negotiate(provider.dsp, provider.did, ASSET_ID, policy, contexts)
    done = consumer.wait_negotiation(negotiation_id)
    if done.get("state") != "FINALIZED":
        raise RuntimeError(f"negotiation ended {done.get('state')}: {done.get('errorDetail')}")
    transfer_id = consumer.transfer(provider.dsp, str(done["contractAgreementId"]))
    started = consumer.wait_transfer(transfer_id, states=("STARTED", "TERMINATED"))
    if started.get("state") != "STARTED":
        raise RuntimeError(f"transfer ended {started.get('state')}: {started.get('errorDetail')}")
    return consumer.edr(transfer_id)


@contextmanager
def load_net(
    server_url: str | None, passports: int, root: Path | None = None, *, workers: int = 1
) -> Iterator[LoadNet]:
    """Start both nodes (SQLite, or fresh databases on `server_url`), set up the data, tear down. The
    provider serves with `workers` processes, the consumer with one."""
    work = root or Path(tempfile.mkdtemp(prefix="battrace-load-"))
    provider, consumer = node_pair(work, workers)
    try:
        with databases(server_url, 2) as urls:
            provider.database_url, consumer.database_url = urls
            try:
                provider.start(timeout=240.0)  # workers each import the app: slow on a busy machine
                consumer.start(timeout=60.0)
                with provider.client() as maker:
                    maker.register_passport_model(MODEL_ID, "ev", ev_model_values())
                    issued = issue_passports(maker, passports)
                    publish_small_asset(maker)
                with consumer.client() as partner:
                    edr = pull_edr(partner, provider)
                yield LoadNet(provider, consumer, "postgresql" if server_url else "sqlite", issued, edr)
            except BaseException:
                show_logs(provider, consumer)
                raise
            finally:
                consumer.stop()
                provider.stop()
    finally:
        if root is None:
            shutil.rmtree(work, ignore_errors=True)


def show_logs(*nodes: NodeProcess) -> None:
    """The temp dir is about to go: print the end of each node's log, where a failure is reported."""
    for node in nodes:
        log = node.data_dir / "node.log"
        if log.exists():
            print(f"---- {node.name} node.log (last 3000 characters)", file=sys.stderr)
            print(log.read_text("utf-8", errors="replace")[-3000:], file=sys.stderr)


# -- the requests --------------------------------------------------------------------------------------------

Check = Callable[[httpx.Response], str | None]  # None when the answer is right, else what is wrong with it


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    check: Check


def request_maker(net: LoadNet, target: str) -> Callable[[random.Random], Request]:
    """How to build one request of `target` about a random passport, and how to check its answer."""
    base = net.provider.base_url
    ids = sorted(net.passports)
    if target == "dataplane":
        data_request = Request("GET", net.edr.endpoint, {"Authorization": net.edr.token}, None, _same_asset)
        return lambda _rng: data_request
    if target == "lookup":
        headers = {"X-Api-Key": net.provider.api_key, "Content-Type": "application/json"}

        def lookup(rng: random.Random) -> Request:
            passport_id = rng.choice(ids)
            body = json.dumps([{"name": "partInstanceId", "value": net.passports[passport_id]}]).encode()
            url = base + "/api/v3/lookup/shellsByAssetLink"
            return Request("POST", url, headers, body, _finds(passport_id))

        return lookup
    if target == "passport-json":

        def public_json(rng: random.Random) -> Request:
            passport_id = rng.choice(ids)
            return Request(
                "GET",
                f"{base}/passports/{quote(passport_id, safe=':@')}",
                {},
                None,
                _public_view(passport_id),
            )

        return public_json
    if target == "passport-html":

        def page(rng: random.Random) -> Request:
            passport_id = rng.choice(ids)
            return Request("GET", f"{base}/passport/{quote(passport_id, safe=':@')}", {}, None, _html_page)

        return page
    raise ValueError(f"unknown target {target!r}; one of {', '.join(TARGETS)}")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _same_asset(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    return None if _json(response) == ASSET_CONTENT else "body is not the asset"


def _finds(passport_id: str) -> Check:
    def check(response: httpx.Response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        body = _json(response)
        if not isinstance(body, dict) or body.get("result") != [passport_id]:
            return "lookup did not answer exactly the passport's shell"
        return None

    return check


def _public_view(passport_id: str) -> Check:
    def check(response: httpx.Response) -> str | None:
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        body = _json(response)
        if not isinstance(body, dict) or body.get("passportId") != passport_id:
            return "not this passport's document"
        if body.get("audiences") != ["public"] or not isinstance(body.get("values"), dict):
            return "not the public view"
        return None

    return check


def _html_page(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    if not response.headers.get("content-type", "").startswith("text/html"):
        return "not text/html"
    return None if "</html>" in response.text else "truncated HTML"


# -- one run -------------------------------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    backend: str
    concurrency: int
    seconds: float
    requests: int
    errors: int
    error_kinds: dict[str, int]
    statuses: dict[str, int]
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    provider_cpu_ms_per_request: float
    provider_rss_mib: float
    load_before: float
    load_after: float
    workers: int = 1


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)


async def _client_loop(
    http: httpx.AsyncClient,
    make: Callable[[random.Random], Request],
    rng: random.Random,
    deadline: float,
    tally: _Tally,
) -> None:
    while time.perf_counter() < deadline:
        request = make(rng)
        began = time.perf_counter()
        try:
            response = await http.request(
                request.method, request.url, headers=request.headers, content=request.body
            )
        except httpx.HTTPError as error:
            tally.errors[type(error).__name__] += 1
            continue
        tally.latencies.append(time.perf_counter() - began)
        tally.statuses[str(response.status_code)] += 1
        wrong = request.check(response)
        if wrong is not None:
            tally.errors[wrong] += 1


async def _drive(
    make: Callable[[random.Random], Request], concurrency: int, seconds: float
) -> tuple[_Tally, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    tally = _Tally()
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as http:
        began = time.perf_counter()
        deadline = began + seconds
        await asyncio.gather(
            *(_client_loop(http, make, random.Random(i), deadline, tally) for i in range(concurrency))
        )
        return tally, time.perf_counter() - began


def run_one(net: LoadNet, target: str, concurrency: int, seconds: float) -> Result:
    """Warm the path with a few requests, then drive it for `seconds` at `concurrency`."""
    make = request_maker(net, target)
    asyncio.run(_drive(make, 1, min(0.5, seconds / 4)))  # warm-up: connections, first-request caches
    pids = pids_of(net.provider)
    load_before, cpu_before = load_average(), sum(cpu_seconds(p) for p in pids)
    tally, wall = asyncio.run(_drive(make, concurrency, seconds))
    cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
    ms = sorted(s * 1000 for s in tally.latencies)
    cuts = (
        statistics.quantiles(ms, n=100, method="inclusive")
        if len(ms) > 1
        else [ms[0] if ms else float("nan")] * 99
    )
    done = len(ms)
    return Result(
        target=target,
        backend=net.backend,
        concurrency=concurrency,
        seconds=round(wall, 3),
        requests=done,
        errors=sum(tally.errors.values()),
        error_kinds=dict(tally.errors),
        statuses=dict(tally.statuses),
        per_second=done / wall if wall else float("nan"),
        p50_ms=cuts[49],
        p99_ms=cuts[98],
        max_ms=ms[-1] if ms else float("nan"),
        provider_cpu_ms_per_request=1000 * cpu / done if done else float("nan"),
        provider_rss_mib=sum(proc_status_kib(p, "VmRSS") for p in pids) / 1024,
        workers=worker_count(pids),
        load_before=load_before,
        load_after=load_average(),
    )


def run_all(net: LoadNet, targets: Sequence[str], levels: Sequence[int], seconds: float) -> list[Result]:
    results = []
    for target in targets:
        for level in levels:
            result = run_one(net, target, level, seconds)
            print(format_row(result), flush=True)
            results.append(result)
    return results


HEADER = (
    f"{'backend':<10} {'W':>2} {'target':<14} {'C':>3} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'max ms':>8} {'errors':>6} {'cpu ms/req':>10} {'RSS MiB':>8}  load"
)


def format_row(r: Result) -> str:
    return (
        f"{r.backend:<10} {r.workers:>2} {r.target:<14} {r.concurrency:>3} {r.per_second:>8.0f} "
        f"{r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.max_ms:>8.1f} {r.errors:>6} "
        f"{r.provider_cpu_ms_per_request:>10.2f} {r.provider_rss_mib:>8.1f}  "
        f"{r.load_before:.1f}->{r.load_after:.1f}" + (f"  {r.error_kinds}" if r.errors else "")
    )


# -- command line --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument(
        "--database-url", default=DEFAULT_POSTGRES, help="PostgreSQL server for --backend postgres"
    )
    parser.add_argument(
        "--concurrency", default="1,8,32,64", help="comma-separated levels (default 1,8,32,64)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per target and level")
    parser.add_argument(
        "--targets", default=",".join(TARGETS), help=f"comma-separated, of {', '.join(TARGETS)}"
    )
    parser.add_argument("--passports", type=int, default=1000, help="passports issued before measuring")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn workers of the provider (more than 1: PostgreSQL)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.workers < 1 or (args.workers > 1 and args.backend != "postgres"):
        print(f"--workers {args.workers}: {WORKERS_NEED_POSTGRES}", file=sys.stderr)
        return 2
    targets = [t for t in args.targets.split(",") if t]
    for target in targets:
        if target not in TARGETS:
            print(f"unknown target {target!r}; one of {', '.join(TARGETS)}", file=sys.stderr)
            return 2
    levels = [int(c) for c in args.concurrency.split(",") if c]
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: list[Result] = []
    print(
        f"{os.cpu_count()} CPUs; {args.passports} passports; {args.seconds:g} s per run; "
        f"load {load_average():.2f}"
    )
    print(HEADER)
    for backend in backends:
        server = args.database_url if backend == "postgres" else None
        with load_net(server, args.passports, workers=args.workers) as net:
            results.extend(run_all(net, targets, levels, args.seconds))
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n", "utf-8")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
