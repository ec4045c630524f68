"""Node resource use (issue 9 item 6): start time and resident memory of `battrace serve`, on SQLite and on
PostgreSQL; goals: start <= 1.5 s, <= 150 MB resident.

* **Start time**: process spawn (`battrace.devnet.NodeProcess.start`) to the first `/health` 200, median (and
  min/max) of `--starts` starts. Two cases: a *first* start (empty data dir: keys generated, schema migrated)
  and a *restart* of the same node (what an operator's restart or a crash recovery costs).
* **Memory**: `VmRSS` (resident now) and `VmHWM` (peak resident) from `/proc/<pid>/status` of the provider at
  rest (2 s after `/health`), after issuing `--passports` passports through the management API (with their
  registry twins), and during and after `bench/load.py`'s load (every target at `--concurrency`, `--seconds`
  each), sampled every 100 ms in a thread.

It measures one process per node (`battrace serve` has no workers); PostgreSQL's own memory is not counted
(its shared buffers are the server's, shared by every node on it). The 1-minute load average is printed with
every figure: on a shared machine the start time is mostly scheduling.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from load import (
    DEFAULT_POSTGRES,
    MODEL_ID,
    TARGETS,
    LoadNet,
    cpu_seconds,
    databases,
    free_port,
    issue_passports,
    load_average,
    node_pair,
    pid_of,
    proc_status_kib,
    publish_small_asset,
    pull_edr,
    run_one,
    show_logs,
)

from battrace.devnet import NodeProcess
from battrace.passport.samples import ev_model_values

GOAL_START_SECONDS = 1.5
GOAL_RSS_MB = 150.0


@dataclass
class StartTimes:
    """Wall seconds from spawn to /health 200, and the CPU seconds the node process spent until then (the
    figure a loaded machine does not inflate: wall time there is mostly waiting for a core)."""

    first_seconds: list[float]
    restart_seconds: list[float]
    first_cpu_seconds: list[float]
    restart_cpu_seconds: list[float]
    load_before: float
    load_after: float


@dataclass
class Memory:
    stage: str
    rss_mib: float
    hwm_mib: float
    load: float


def timed_start(node: NodeProcess) -> tuple[float, float]:
    """(wall seconds, node CPU seconds) from spawn to the first /health 200."""
    began = time.perf_counter()
    node.start(timeout=120.0)
    return time.perf_counter() - began, cpu_seconds(pid_of(node))


def start_times(server_url: str | None, starts: int) -> StartTimes:
    """`starts` first starts (each on a fresh data dir and database) and `starts` restarts of one node."""
    load_before = load_average()
    first: list[tuple[float, float]] = []
    restart: list[tuple[float, float]] = []
    for _ in range(starts):
        root = Path(tempfile.mkdtemp(prefix="battrace-start-"))
        node = NodeProcess("starter", free_port(), root)
        try:
            with databases(server_url, 1) as (url,):
                node.database_url = url
                first.append(timed_start(node))
                node.stop()
                restart.append(timed_start(node))
                node.stop()
        finally:
            node.stop()
            shutil.rmtree(root, ignore_errors=True)
    return StartTimes(
        [wall for wall, _ in first],
        [wall for wall, _ in restart],
        [cpu for _, cpu in first],
        [cpu for _, cpu in restart],
        load_before,
        load_average(),
    )


def memory_of(node: NodeProcess, stage: str) -> Memory:
    pid = pid_of(node)
    return Memory(
        stage, proc_status_kib(pid, "VmRSS") / 1024, proc_status_kib(pid, "VmHWM") / 1024, load_average()
    )


class _PeakSampler:
    """Highest VmRSS seen every 100 ms while a load runs (VmHWM alone cannot tell the load's share)."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, proc_status_kib(self._pid, "VmRSS"))
            self._stop.wait(0.1)

    def __enter__(self) -> _PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def _nodes(server_url: str | None) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    root = Path(tempfile.mkdtemp(prefix="battrace-resources-"))
    provider, consumer = node_pair(root)
    try:
        with databases(server_url, 2) as urls:
            provider.database_url, consumer.database_url = urls
            try:
                provider.start(timeout=60.0)
                consumer.start(timeout=60.0)
                yield provider, consumer
            except BaseException:
                show_logs(provider, consumer)
                raise
            finally:
                consumer.stop()
                provider.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def memory_stages(server_url: str | None, passports: int, concurrency: int, seconds: float) -> list[Memory]:
    backend = "postgresql" if server_url else "sqlite"
    stages: list[Memory] = []
    with _nodes(server_url) as (provider, consumer):
        time.sleep(2.0)  # let start-up work (first checkpoint, caches) settle: "at rest"
        stages.append(memory_of(provider, "at rest"))
        with provider.client() as maker:
            maker.register_passport_model(MODEL_ID, "ev", ev_model_values())
            issued = issue_passports(maker, passports)
            publish_small_asset(maker)
        stages.append(memory_of(provider, f"after {passports} passports"))
        with consumer.client() as partner:
            edr = pull_edr(partner, provider)
        net = LoadNet(provider, consumer, backend, issued, edr)
        with _PeakSampler(pid_of(provider)) as sampler:
            for target in TARGETS:
                run_one(net, target, concurrency, seconds)
        stages.append(
            Memory(
                f"peak under load (C={concurrency})",
                sampler.peak_kib / 1024,
                proc_status_kib(pid_of(provider), "VmHWM") / 1024,
                load_average(),
            )
        )
        stages.append(memory_of(provider, "after the load"))
    return stages


def _print_starts(backend: str, times: StartTimes) -> None:
    cases = (
        ("first start", times.first_seconds, times.first_cpu_seconds),
        ("restart", times.restart_seconds, times.restart_cpu_seconds),
    )
    for label, values, cpu in cases:
        median = statistics.median(values)
        print(
            f"{backend:<10} {label:<12} median {median:.2f} s (min {min(values):.2f}, max {max(values):.2f}, "
            f"n={len(values)}), goal {GOAL_START_SECONDS} s: x{median / GOAL_START_SECONDS:.2f}; node CPU "
            f"median {statistics.median(cpu):.2f} s; load {times.load_before:.1f}->{times.load_after:.1f}"
        )


def _print_memory(backend: str, stages: Sequence[Memory]) -> None:
    for m in stages:
        mb = m.rss_mib * 1.048576
        print(
            f"{backend:<10} {m.stage:<28} RSS {m.rss_mib:6.1f} MiB ({mb:.0f} MB, goal {GOAL_RSS_MB:.0f} MB: "
            f"x{mb / GOAL_RSS_MB:.2f})  HWM {m.hwm_mib:6.1f} MiB  load {m.load:.1f}"
        )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--starts", type=int, default=5, help="starts per case (median reported)")
    parser.add_argument("--passports", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32, help="load level while sampling memory")
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per target")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    report: dict[str, object] = {}
    for backend in backends:
        server = args.database_url if backend == "postgres" else None
        name = "postgresql" if server else "sqlite"
        times = start_times(server, args.starts)
        _print_starts(name, times)
        stages = memory_stages(server, args.passports, args.concurrency, args.seconds)
        _print_memory(name, stages)
        report[name] = {"starts": asdict(times), "memory": [asdict(m) for m in stages]}
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
