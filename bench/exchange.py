"""Benchmark of the full Dataspace Protocol exchange between two real battrace node processes.

    /work/venv/bin/python bench/exchange.py [--n N] [--concurrency C] [--postgres | --database-url URL]

Measures (1) catalog → negotiation → transfer → first data fetch: sequential p50/p95/p99 and exchanges/s
with C clients; (2) a data fetch under an existing agreement (EDR held): sequential percentiles and
fetches/s with C clients; (3) negotiations/s with C clients each negotiating to FINALIZED. Prints the
figures against the goals and anchors, node start time and RSS, and writes bench/results/<timestamp>.json.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _cluster import DEFAULT_POSTGRES, Cluster, cluster, pid_of, rss_kib
from _measure import Exchanger, Operation, Run, concurrent, sequential
from _profile import Profiler
from _report import Scenario, goals, print_report, reduce, write_json
from rich.console import Console

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50, help="operations per measured scenario (default 50)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent client threads (default 4)")
    parser.add_argument("--postgres", action="store_true",
                        help=f"two fresh PostgreSQL databases on {DEFAULT_POSTGRES} (dropped afterwards)")
    parser.add_argument("--database-url", help="PostgreSQL server URL to create the two databases on "
                        "(implies --postgres); default is SQLite in a temp dir")
    parser.add_argument("--poll-ms", type=float, default=1.0,
                        help="management API polling interval while waiting for a state (default 1 ms)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured full exchanges first (default 3)")
    parser.add_argument("--profile", action="store_true",
                        help="record both nodes with py-spy during the measured run (results/<stamp>-*.txt)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON result goes")
    args = parser.parse_args(argv)
    if args.n < 1 or args.concurrency < 1:
        parser.error("--n and --concurrency must be at least 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = args.database_url or (DEFAULT_POSTGRES if args.postgres else None)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # Wide enough for the tables when the output is a pipe or a file (rich assumes 80 columns there).
    console = Console() if sys.stdout.isatty() else Console(width=140)
    load_before = os.getloadavg()  # other work on the machine skews every figure: recorded with them
    with cluster(server) as nodes:
        rest = {role: rss_kib(pid_of(node)) for role, node in nodes.nodes().items()}
        with Profiler(nodes, args.results, stamp, enabled=args.profile) as profiler:
            cold_ms, scenarios = measure(nodes, args, console)
        after = {role: rss_kib(pid_of(node)) for role, node in nodes.nodes().items()}
        result = _result(args, nodes, cold_ms, scenarios, rest, after, server)
        result["profiles"] = profiler.outputs
        result["load_average_before"] = load_before
    print_report(console, result, scenarios)
    path = write_json(args.results, stamp, result, scenarios)
    console.print(f"result: {path}")
    return 0


def measure(nodes: Cluster, args: argparse.Namespace, console: Console) -> tuple[float, dict[str, Scenario]]:
    poll = args.poll_ms / 1000
    main_client = Exchanger(nodes, poll)
    try:
        began = time.perf_counter()
        main_client.full_exchange()  # the first exchange resolves DIDs and warms caches: reported apart
        cold_ms = (time.perf_counter() - began) * 1000
        for _ in range(args.warmup):
            main_client.full_exchange()
        scenarios: dict[str, Scenario] = {}

        def step(key: str, clients: int, run: Callable[[], Run]) -> None:
            console.log(f"{key} (C={clients}, n={args.n}) …")
            scenarios[key] = reduce(key, clients, run())

        step("exchange_sequential", 1, lambda: sequential(main_client.full_exchange, args.n, nodes))
        step("exchange_concurrent", args.concurrency,
             lambda: concurrent(_workers(nodes, poll, "exchange"), args.concurrency, args.n, nodes))
        edr = main_client.new_edr()
        step("fetch_sequential", 1, lambda: sequential(lambda: _fetch(main_client, edr), args.n, nodes))
        step("fetch_concurrent", args.concurrency,
             lambda: concurrent(_fetchers(nodes, poll, edr), args.concurrency, args.n, nodes))
        step("status_read_sequential", 1, lambda: sequential(main_client.status_reader(), args.n, nodes))
        step("negotiation_concurrent", args.concurrency,
             lambda: concurrent(_workers(nodes, poll, "negotiation"), args.concurrency, args.n, nodes))
        return cold_ms, scenarios
    finally:
        main_client.close()


def _fetch(exchanger: Exchanger, edr: Any) -> dict[str, float]:
    exchanger.fetch(edr)
    return {}


def _workers(nodes: Cluster, poll: float, kind: str) -> Callable[[], tuple[Operation, Callable[[], None]]]:
    def make() -> tuple[Operation, Callable[[], None]]:
        exchanger = Exchanger(nodes, poll)
        if kind == "negotiation":
            exchanger.negotiation()  # reads the offer and opens the connection outside the measured window
            return exchanger.negotiation, exchanger.close
        return exchanger.full_exchange, exchanger.close

    return make


def _fetchers(nodes: Cluster, poll: float, edr: Any) -> Callable[[], tuple[Operation, Callable[[], None]]]:
    def make() -> tuple[Operation, Callable[[], None]]:
        exchanger = Exchanger(nodes, poll)
        exchanger.fetch(edr)  # opens the keep-alive connection outside the measured window
        return (lambda: _fetch(exchanger, edr)), exchanger.close

    return make


def _result(args: argparse.Namespace, nodes: Cluster, cold_ms: float, scenarios: dict[str, Scenario],
            rest: dict[str, int], after: dict[str, int], server: str | None) -> dict[str, Any]:
    started = {"provider": nodes.provider, "consumer": nodes.consumer}
    return {
        "backend": nodes.backend, "database_server": server, "n": args.n, "concurrency": args.concurrency,
        "poll_ms": args.poll_ms, "warmup": args.warmup, "cold_exchange_ms": cold_ms,
        "load_average_after": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "processor": _cpu_model()},
        "nodes": {role: {"name": s.node.name, "start_ms": s.start_seconds * 1000, "rss_rest_kib": rest[role],
                         "rss_after_kib": after[role]} for role, s in started.items()},
        "goals": goals(scenarios),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
