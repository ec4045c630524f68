"""Transparency-log benchmark on SQLite and PostgreSQL: appends/s and proof times. Figures, not a test.

    /work/venv/bin/python bench/ledger_log.py                       # both backends, 60 s of building each
    /work/venv/bin/python bench/ledger_log.py --backend sqlite --build-seconds 120
    /work/venv/bin/python bench/ledger_log.py --backend sqlite --build-entries 10000000   # the goal's size
    /work/venv/bin/python bench/ledger_log.py --postgres-url postgresql+psycopg://postgres@db:5432/postgres

Scenarios per backend: `single` (one append per transaction, as a business change records itself),
`batched` (`append_many` in batches), then the log is grown with batches for `--build-seconds` and inclusion
proofs, consistency proofs and a checkpoint are timed at the size reached (p50/p95 over `--samples`). Goals
(issue 4 item 9): appends >= 100 000/s batched, proofs <= 1 ms p50 at 10 million entries.
PostgreSQL runs in a fresh database `battrace_bench_<random>` that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from _stores import postgres_store, sqlite_store
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from battrace.ledger.log import TransparencyLog
from battrace.ledger.note import NoteSigner
from battrace.store import Store

ORIGIN = "bench.example/basc-log"
EVENT = {"peer": "did:web:peer.example", "ids": {"agreement": "urn:uuid:0"}, "payloadSha256": "0" * 64}


def _clock() -> datetime:
    return datetime(2026, 3, 1, tzinfo=UTC)


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>10,.0f}/s"


def _single(log: TransparencyLog, store: Store, n: int) -> None:
    start = time.perf_counter()
    for i in range(n):
        with store.transaction() as tx:
            log.append(tx, "bench.single", {**EVENT, "n": i})
    print(f"  single appends   {n:>9,} entries {_rate(n, time.perf_counter() - start)}")


def _batched(log: TransparencyLog, batch: int, seconds: float, label: str, until: int = 0) -> int:
    """Append batches for `seconds`, or, when `until` is set, until the log holds that many entries."""
    start = time.perf_counter()
    n = 0
    while (log.size() < until) if until else (time.perf_counter() - start < seconds):
        log.append_many(("bench.batched", {**EVENT, "n": n + i}) for i in range(batch))
        n += batch
    print(f"  {label:<16} {n:>9,} entries {_rate(n, time.perf_counter() - start)} (batches of {batch:,})")
    return n


def _timed(fn: Callable[[], object], samples: int) -> str:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"p50 {statistics.median(times):.3f} ms  p95 {p95:.3f} ms"


def _proofs(log: TransparencyLog, samples: int) -> None:
    size = log.size()
    rng = random.Random(1)
    incl = _timed(lambda: log.inclusion_proof(rng.randrange(size), size), samples)
    print(f"  inclusion proof  at size {size:,}: {incl}")

    def consistency() -> object:
        first = rng.randrange(1, size)
        return log.consistency_proof(first, size)

    print(f"  consistency proof at size {size:,}: {_timed(consistency, samples)}")
    start = time.perf_counter()
    log.checkpoint()
    print(f"  new checkpoint (sign + store) {(time.perf_counter() - start) * 1000:.1f} ms")


def run(store: Store, args: argparse.Namespace) -> None:
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
    log = TransparencyLog(store, signer, origin=ORIGIN, clock=_clock)
    _single(log, store, args.single)
    _batched(log, args.batch, args.batched_seconds, "append_many")
    _batched(log, args.batch, args.build_seconds, "building", args.build_entries)
    _proofs(log, args.samples)


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--batched-seconds", type=float, default=10)
    parser.add_argument("--build-seconds", type=float, default=60)
    parser.add_argument("--build-entries", type=int, default=0, help="build to this size (overrides seconds)")
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        print("SQLite")
        with sqlite_store() as store:
            run(store, args)
    if args.backend in ("postgres", "both"):
        print("PostgreSQL")
        with postgres_store(args.postgres_url) as store:
            run(store, args)


if __name__ == "__main__":
    main()
