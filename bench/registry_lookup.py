"""Digital twin registry benchmark on SQLite or PostgreSQL: bulk registration rate and lookup latency.

    /work/venv/bin/python bench/registry_lookup.py                      # 100 000 shells, SQLite in a temp dir
    /work/venv/bin/python bench/registry_lookup.py 1000000 --batch 10000
    /work/venv/bin/python bench/registry_lookup.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    # the design size (about an hour at ~2 600 shells/s and ~25 GB of SQLite file; not on a shared machine):
    /work/venv/bin/python bench/registry_lookup.py 10000000 --batch 20000

Each shell is a battery twin as the passport issuance path registers it: a globalAssetId, three
specificAssetIds (partInstanceId shared with one partner BPN, manufacturerPartId PUBLIC_READABLE and shared
by 1 000 batteries of a model, customerPartId owner-only) and one Catena-X submodel descriptor pointing at a
DSP dataset. Shells go in through `Registry.register_many` in batches; then p50/p99 are taken over
`--samples` random calls for each lookup kind. Figures, not a test: nothing asserts a timing.
PostgreSQL runs in a fresh database `battrace_bench_<random>` that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from _stores import postgres_store, sqlite_store

from battrace.registry import OWNER, Registry, RegistryCaller, submodel_descriptor
from battrace.registry.model import PUBLIC_READABLE, AssetLink, dump
from battrace.store import Store

PARTNER = RegistryCaller(owner=False, bpn="BPNL0000000000PA")
PER_MODEL = 1000
SEMANTIC_ID = "urn:samm:io.catenax.battery.battery_pass:6.0.0#BatteryPass"


def _clock() -> datetime:
    return datetime(2026, 3, 1, tzinfo=UTC)


def _subject(value: str) -> dict[str, Any]:
    return {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": value}]}


def _twin(n: int) -> dict[str, Any]:
    submodel = submodel_descriptor(
        SEMANTIC_ID,
        f"urn:uuid:dataset-{n}",
        "https://provider.example/api/dsp",
        f"https://provider.example/api/public/urn:uuid:submodel-{n}",
        submodel_id=f"urn:uuid:submodel-{n}",
    )
    return {
        "id": f"urn:uuid:shell-{n}",
        "globalAssetId": f"urn:uuid:asset-{n}",
        "idShort": f"Battery_{n}",
        "specificAssetIds": [
            {
                "name": "partInstanceId",
                "value": f"BAT-{n:09d}",
                "externalSubjectId": _subject(str(PARTNER.bpn)),
            },
            {
                "name": "manufacturerPartId",
                "value": f"MODEL-{n // PER_MODEL}",
                "externalSubjectId": _subject(PUBLIC_READABLE),
            },
            {"name": "customerPartId", "value": f"C-{n}"},
        ],
        "submodelDescriptors": [dump(submodel)],
    }


def _fill(registry: Registry, n: int, batch: int) -> None:
    start = time.perf_counter()
    done = 0
    while done < n:
        size = min(batch, n - done)
        registry.register_many([_twin(i) for i in range(done, done + size)])
        done += size
        if done % max(batch, n // 10) < batch:
            rate = done / (time.perf_counter() - start)
            print(f"  registered {done:>11,} shells {rate:>9,.0f}/s", flush=True)
    print(f"  insert rate   {n / (time.perf_counter() - start):>9,.0f} shells/s (batches of {batch:,})")


def _timed(label: str, fn: Callable[[int], object], n: int, samples: int) -> None:
    picks = [random.randrange(n) for _ in range(samples)]
    times = []
    for i in picks:
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    q = statistics.quantiles(times, n=100)
    print(f"  {label:<44} p50 {q[49]:7.3f} ms  p99 {q[98]:7.3f} ms")


def run(store: Store, args: argparse.Namespace) -> None:
    registry = Registry(store, clock=_clock)
    n = args.n
    _fill(registry, n, args.batch)

    def by_instance(caller: RegistryCaller) -> Callable[[int], object]:
        def lookup(i: int) -> object:
            found = registry.lookup(caller, [AssetLink(name="partInstanceId", value=f"BAT-{i:09d}")])
            assert found.items == (f"urn:uuid:shell-{i}",)
            return found

        return lookup

    def by_model_and_instance(i: int) -> object:
        links = [
            AssetLink(name="manufacturerPartId", value=f"MODEL-{i // PER_MODEL}"),
            AssetLink(name="partInstanceId", value=f"BAT-{i:09d}"),
        ]
        return registry.lookup(OWNER, links)

    def model_page(i: int) -> object:
        return registry.lookup(
            PARTNER, [AssetLink(name="manufacturerPartId", value=f"MODEL-{i // PER_MODEL}")]
        )

    _timed("lookup partInstanceId (owner)", by_instance(OWNER), n, args.samples)
    _timed("lookup partInstanceId (partner BPN)", by_instance(PARTNER), n, args.samples)
    _timed("lookup manufacturerPartId AND partInstanceId", by_model_and_instance, n, args.samples)
    _timed(
        "lookup by globalAssetId (partner BPN)",
        lambda i: registry.lookup(PARTNER, [AssetLink(name="globalAssetId", value=f"urn:uuid:asset-{i}")]),
        n,
        args.samples,
    )
    _timed(f"lookup manufacturerPartId, page of 100 of {min(n, PER_MODEL)}", model_page, n, args.samples)
    _timed(
        "get shell descriptor (partner BPN)",
        lambda i: registry.get_shell(PARTNER, f"urn:uuid:shell-{i}"),
        n,
        args.samples,
    )


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("n", type=int, nargs="?", default=100_000, help="shells to register (100 000)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite in a temp dir)")
    parser.add_argument("--batch", type=int, default=5000, help="shells per register_many call")
    parser.add_argument("--samples", type=int, default=2000, help="calls timed per lookup kind")
    args = parser.parse_args()
    if args.database_url:
        print(f"PostgreSQL, {args.n:,} shells")
        with postgres_store(args.database_url) as store:
            run(store, args)
    else:
        print(f"SQLite, {args.n:,} shells")
        with sqlite_store() as store:
            run(store, args)


if __name__ == "__main__":
    main()
