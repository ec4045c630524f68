"""What the benchmark measures, and how: one consumer-side `Exchanger` per client thread (its own keep-alive
httpx connection pool), latencies from `time.perf_counter`, and the CPU each process spent over a phase.

The management API is asynchronous (EDC's shape: POST answers with an id, the state machine runs behind it),
so a client learns that a negotiation is FINALIZED by polling. The bench polls at a fixed interval instead of
`NodeClient`'s exponential back-off, whose 2-4-8-16-32 ms steps would round every latency up to the next step;
the interval is reported with the figures because it bounds their resolution.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from _cluster import ASSET_ID, Cluster, cpu_seconds, pid_of

from battrace.client import Edr, NodeClient, first_offer
from battrace.devnet import NodeProcess

Operation = Callable[[], dict[str, float]]  # runs once, returns seconds per phase (may be empty)


class _Counter:
    """Management API status reads made while waiting, across all client threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def add(self) -> None:
        with self._lock:
            self._value += 1

    @property
    def value(self) -> int:
        with self._lock:
            return self._value


POLLS = _Counter()


@dataclass(frozen=True)
class Summary:
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float


def summarise(seconds: Sequence[float]) -> Summary:
    if not seconds:
        return Summary(0, *([float("nan")] * 6))
    ms = sorted(s * 1000 for s in seconds)
    cuts = [ms[0]] * 99 if len(ms) == 1 else statistics.quantiles(ms, n=100, method="inclusive")
    return Summary(len(ms), cuts[49], cuts[94], cuts[98], statistics.fmean(ms), ms[0], ms[-1])


@dataclass
class Run:
    """Raw outcome of one measured phase: per-operation latency, per-phase split, wall and CPU time."""

    latencies: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    polls: int = 0

    def record(self, seconds: float, phases: dict[str, float]) -> None:
        self.latencies.append(seconds)
        for name, value in phases.items():
            self.phases.setdefault(name, []).append(value)

    def per_second(self) -> float:
        return len(self.latencies) / self.wall_seconds if self.wall_seconds else float("nan")


class Exchanger:
    """The consumer's company systems driving the consumer node's management API, as the demo does."""

    def __init__(self, cluster: Cluster, poll_seconds: float) -> None:
        self._provider: NodeProcess = cluster.provider.node
        self._client = cluster.consumer.node.client()
        self._poll = poll_seconds
        self._offer: tuple[dict[str, Any], list[Any]] | None = None

    def close(self) -> None:
        self._client.close()

    @property
    def client(self) -> NodeClient:
        return self._client

    def full_exchange(self) -> dict[str, float]:
        """catalog → negotiation (FINALIZED) → transfer (STARTED) → EDR → first data fetch."""
        phases: dict[str, float] = {}
        began = time.perf_counter()
        catalog = self._client.catalog(self._provider.dsp, self._provider.did)
        offer = first_offer(catalog, ASSET_ID)
        phases["catalog"] = _lap(phases, began)
        agreement = self._negotiate(offer)
        phases["negotiation"] = _lap(phases, began)
        transfer_id = self._transfer(agreement)
        phases["transfer"] = _lap(phases, began)
        edr = self._client.edr(transfer_id)
        phases["edr"] = _lap(phases, began)
        self.fetch(edr)
        phases["fetch"] = _lap(phases, began)
        return phases

    def negotiation(self) -> dict[str, float]:
        """One negotiation to FINALIZED from an offer read once from the catalog (not timed)."""
        if self._offer is None:
            self._offer = first_offer(self._client.catalog(self._provider.dsp, self._provider.did), ASSET_ID)
        self._negotiate(self._offer)
        return {}

    def status_reader(self) -> Operation:
        """Reads of one FINALIZED negotiation's state: the unit cost of waiting for a state by polling."""
        offer = first_offer(self._client.catalog(self._provider.dsp, self._provider.did), ASSET_ID)
        provider = self._provider
        negotiation_id = self._client.negotiate(provider.dsp, provider.did, ASSET_ID, *offer)
        self._wait(lambda: self._client.negotiation(negotiation_id), ("FINALIZED", "TERMINATED"))

        def read() -> dict[str, float]:
            self._client.negotiation(negotiation_id)
            return {}

        return read

    def new_edr(self) -> Edr:
        """An agreement and a STARTED pull transfer, for the data-fetch measurements."""
        offer = first_offer(self._client.catalog(self._provider.dsp, self._provider.did), ASSET_ID)
        return self._client.edr(self._transfer(self._negotiate(offer)))

    def fetch(self, edr: Edr) -> None:
        response = self._client.fetch(edr)
        if response.status_code != 200 or not response.content:
            raise RuntimeError(f"data fetch answered HTTP {response.status_code}: {response.text[:200]}")

    def _negotiate(self, offer: tuple[dict[str, Any], list[Any]]) -> str:
        policy, contexts = offer
        provider = self._provider
        negotiation_id = self._client.negotiate(provider.dsp, provider.did, ASSET_ID, policy, contexts)
        done = self._wait(lambda: self._client.negotiation(negotiation_id), ("FINALIZED", "TERMINATED"))
        if done["state"] != "FINALIZED":
            raise RuntimeError(f"negotiation ended {done['state']}: {done.get('errorDetail')}")
        return str(done["contractAgreementId"])

    def _transfer(self, agreement_id: str) -> str:
        transfer_id = self._client.transfer(self._provider.dsp, agreement_id)
        done = self._wait(lambda: self._client.transfer_process(transfer_id), ("STARTED", "TERMINATED"))
        if done["state"] != "STARTED":
            raise RuntimeError(f"transfer ended {done['state']}: {done.get('errorDetail')}")
        return transfer_id

    def _wait(self, read: Callable[[], dict[str, Any]], states: Iterable[str], timeout: float = 30.0
              ) -> dict[str, Any]:
        wanted = set(states)
        deadline = time.monotonic() + timeout
        while True:
            current = read()
            POLLS.add()
            if current.get("state") in wanted:
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(f"still {current.get('state')} after {timeout} s")
            time.sleep(self._poll)


def _lap(phases: dict[str, float], began: float) -> float:
    """Seconds since the end of the previous phase (phases are recorded in order)."""
    return time.perf_counter() - began - sum(phases.values())


def sequential(operation: Operation, count: int, cluster: Cluster) -> Run:
    run = Run()
    with _CpuMeter(run, cluster):
        began = time.perf_counter()
        for _ in range(count):
            _timed(operation, run)
        run.wall_seconds = time.perf_counter() - began
    return run


def concurrent(make: Callable[[], tuple[Operation, Callable[[], None]]], clients: int, count: int,
               cluster: Cluster) -> Run:
    """`clients` threads share `count` operations; each thread owns its operation (and its HTTP client)."""
    run = Run()
    lock = threading.Lock()
    remaining = [count]
    workers = [make() for _ in range(clients)]  # set-up (catalog reads, connections) is not measured
    barrier = threading.Barrier(clients + 1)

    def loop(operation: Operation) -> None:
        barrier.wait()
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            _timed(operation, run, lock)

    threads = [threading.Thread(target=loop, args=(op,), name=f"bench-client-{i}") for i, (op, _) in
               enumerate(workers)]
    for thread in threads:
        thread.start()
    with _CpuMeter(run, cluster):
        barrier.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        run.wall_seconds = time.perf_counter() - began
    for _, close in workers:
        close()
    return run


def _timed(operation: Operation, run: Run, lock: threading.Lock | None = None) -> None:
    began = time.perf_counter()
    try:
        phases = operation()
    except Exception as error:  # a benchmark reports failures; it does not stop at the first one
        if lock is None:
            run.errors.append(f"{type(error).__name__}: {error}")
        else:
            with lock:
                run.errors.append(f"{type(error).__name__}: {error}")
        return
    elapsed = time.perf_counter() - began
    if lock is None:
        run.record(elapsed, phases)
    else:
        with lock:
            run.record(elapsed, phases)


class _CpuMeter:
    """CPU seconds spent by provider, consumer and the bench process while the block runs; polls made."""

    def __init__(self, run: Run, cluster: Cluster) -> None:
        self._run = run
        self._pids = {name: pid_of(node) for name, node in cluster.nodes().items()}
        self._before: dict[str, float] = {}
        self._polls = 0

    def _now(self) -> dict[str, float]:
        return {**{name: cpu_seconds(pid) for name, pid in self._pids.items()}, "bench": time.process_time()}

    def __enter__(self) -> None:
        self._before = self._now()
        self._polls = POLLS.value

    def __exit__(self, *_: object) -> None:
        after = self._now()
        self._run.cpu_seconds = {name: after[name] - self._before[name] for name in after}
        self._run.polls = POLLS.value - self._polls
