"""Passport issuance and lookup on SQLite and PostgreSQL. Figures, not a test.

    /work/venv/bin/python bench/passport_issuance.py                        # both backends, 20 000 passports
    /work/venv/bin/python bench/passport_issuance.py --backend sqlite --total 200000 --batch 5000
    /work/venv/bin/python bench/passport_issuance.py --backend postgres --total 10000000   # the goal's size
    /work/venv/bin/python bench/passport_issuance.py --backend sqlite --total 20000 --fill 10000000  # lookups

Issuance is the whole write path of `PassportService.issue`: semantic validation of every passport (model and
item values merged, Annex XIII rules), the issuer's Ed25519 signature per access level, the rows (passport +
its first status event) and one transparency-log entry per passport, in one transaction per batch. The
figures split that cost: validation alone, signing alone, then the whole path, as passports per second of
wall time and per CPU-second of this process (the "per core" the goal means: the database server's own CPU
is not in it, on SQLite there is none). Lookups, at the size reached: the QR-code resolution (battery
identifier -> passport id, one indexed read) and the public view (`document`, three reads plus the split).
Goals (issue 5 item 7): >= 5 000 passports/s per core; lookup p99 <= 5 ms at 10 million passports.
By default each passport's digital twin is registered in the same transaction, as a node does; `--no-twins`
measures the passport alone (the goal's "validate + sign + store + log").
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from _stores import postgres_store, sqlite_store
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from battrace.identity import NodeKeys
from battrace.ledger.log import TransparencyLog
from battrace.ledger.note import NoteSigner
from battrace.passport.attributes import Audience, BatteryCategory
from battrace.passport.checks import cross_problems, missing_mandatory, value_problems
from battrace.passport.samples import ev_item_values, ev_model_values, sample_battery
from battrace.passport.service import NewModel, NewPassport, PassportService
from battrace.passport.signing import level_digests, sign_passport
from battrace.passport.twins import shell_descriptor
from battrace.registry import Registry
from battrace.store import Store
from battrace.store._orm import PassportRow
from battrace.store.passports import PassportModelRecord, PassportRecord
from battrace.store.tx import Tx

ISSUER = "did:web:oem.example"
MODEL = "urn:battrace:model:bench"
GOAL_PER_CORE = 5000.0
GOAL_P99_MS = 5.0


def _clock() -> datetime:
    return datetime(2026, 11, 1, tzinfo=UTC)


def _items(start: int, count: int) -> list[NewPassport]:
    return [
        NewPassport(MODEL, ev_item_values(n), passport_id=f"urn:battrace:passport:{n:09d}")
        for n in range(start, start + count)
    ]


def _split_costs(keys: NodeKeys, n: int) -> None:
    """The per-battery steps of issuance alone, as `PassportService.issue` runs them."""
    model = ev_model_values()
    model_levels = level_digests(model)
    items = [ev_item_values(i) for i in range(n)]
    today = date(2026, 11, 1)
    start = time.process_time()
    for values in items:
        problems = value_problems(values, BatteryCategory.EV)
        merged = {**model, **values}
        problems.extend(missing_mandatory(merged, BatteryCategory.EV))
        cross_problems(merged, problems, today)
    validate = n / (time.process_time() - start)
    start = time.process_time()
    for i, values in enumerate(items):
        levels = level_digests(values)
        sign_passport(
            keys, issuer=ISSUER, passport_id=str(i), model_id=MODEL, issued_at=0, levels=levels,
            model_levels=model_levels,
        )  # fmt: skip
    sign = n / (time.process_time() - start)
    print(f"  validation alone   {validate:>10,.0f}/s per core (the battery's values + rules across both)")
    print(f"  signing alone      {sign:>10,.0f}/s per core (per-level digests + one Ed25519 signature)")


def _issue(service: PassportService, total: int, batch: int) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    done = 0
    last_report = wall
    while done < total:
        count = min(batch, total - done)
        service.issue(_items(done, count))
        done += count
        if time.perf_counter() - last_report > 30:
            last_report = time.perf_counter()
            print(f"    ... {done:,} issued, {done / (last_report - wall):,.0f}/s", flush=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    per_core = total / cpu
    print(
        f"  issuance           {total / wall:>10,.0f}/s wall, {per_core:,.0f}/s per CPU-second "
        f"(batches of {batch:,}; goal {GOAL_PER_CORE:,.0f}/s per core, ratio {per_core / GOAL_PER_CORE:.2f})"
    )


def _timed(fn: Callable[[], object], samples: int) -> tuple[float, float, float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1], times[-1]


def _lookups(service: PassportService, total: int, samples: int) -> None:
    rng = random.Random(1)
    public = frozenset({Audience.PUBLIC})
    resolve = _timed(lambda: service.resolve(sample_battery(rng.randrange(total))), samples)
    read = _timed(
        lambda: service.document(f"urn:battrace:passport:{rng.randrange(total):09d}", public), samples
    )
    for label, (p50, p99, worst) in (("QR resolution", resolve), ("public view", read)):
        print(
            f"  {label:<18} p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {worst:.1f} ms at {total:,} passports "
            f"(goal p99 <= {GOAL_P99_MS} ms, ratio {p99 / GOAL_P99_MS:.2f})"
        )


def _with_twins(service: PassportService, store: Store) -> None:
    """Register each passport's twin in the same transaction, as a node does (battrace.connector.node)."""
    registry = Registry(store, clock=_clock)

    def register(tx: Tx, passports: Sequence[PassportRecord], model: PassportModelRecord) -> None:
        registry.register_in(
            tx,
            [
                shell_descriptor(p.id, p.battery_identifier, p.model_id, base_url="https://oem.example",
                                 dsp_endpoint="https://oem.example/api/dsp/2025-1", asset_id="passports")
                for p in passports
            ],
        )  # fmt: skip

    service.on_issued = register


def _fill(store: Store, start: int, end: int) -> None:
    """Top the table up to ``end`` passports with rows shaped like issued ones (copied from the first, with
    their own ids, battery identifiers and item values), written straight to the driver: a lookup benchmark
    at 10 M need not validate and sign 10 M passports first. Not issuance: no log entries, no twins."""
    table = PassportRow.__table__
    with store.read() as tx:
        first = tx.session.execute(select(PassportRow).limit(1)).scalar_one()
        template = {c.name: getattr(first, c.key) for c in table.columns}
    began = time.perf_counter()
    for chunk in range(start, end, 50_000):
        with store.transaction() as tx:
            conn = tx.session.connection()
            bind = {c.name: c.type.bind_processor(conn.dialect) or (lambda v: v) for c in table.columns}
            fixed = {name: bind[name](value) for name, value in template.items()}
            marker = "?" if conn.dialect.name == "sqlite" else "%s"
            names = list(template)
            columns = ", ".join(f'"{name}"' for name in names)  # "values" is a reserved word
            sql = f"INSERT INTO passports ({columns}) VALUES ({', '.join([marker] * len(names))})"
            rows = []
            for n in range(chunk, min(chunk + 50_000, end)):
                item = ev_item_values(n)
                pid = f"urn:battrace:passport:{n:09d}"
                values = {**template["values"], **item, "battery_passport_identifier": pid}
                own = {
                    "id": pid,
                    "battery_identifier": item["battery_identifier"],
                    "values": bind["values"](values),
                }
                rows.append(tuple(own.get(name, fixed[name]) for name in names))
            conn.exec_driver_sql(sql, rows)
    rate = (end - start) / (time.perf_counter() - began)
    print(f"  filled to {end:,} passports directly ({rate:,.0f} rows/s)")


def run(store: Store, args: argparse.Namespace) -> None:
    keys = NodeKeys(Ed25519PrivateKey.from_private_bytes(b"\x07" * 32))
    signer = NoteSigner("oem.example/log", Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
    log = TransparencyLog(store, signer, origin="oem.example/log", clock=_clock)
    service = PassportService(store, keys, did=ISSUER, log=log, clock=_clock)
    if args.twins:
        _with_twins(service, store)
    print(f"  (passports {'with' if args.twins else 'without'} their registry twins)")
    service.register_model(NewModel(MODEL, BatteryCategory.EV, ev_model_values()))
    _split_costs(keys, min(args.total, 5000))
    _issue(service, args.total, args.batch)
    size = args.total
    if args.fill > size:
        _fill(store, size, args.fill)
        size = args.fill
    _lookups(service, size, args.samples)
    print(f"  transparency log   {log.size():,} entries")


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--total", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--fill", type=int, default=0, help="then top up to this many rows for the lookups")
    parser.add_argument("--twins", action=argparse.BooleanOptionalAction, default=True,
                        help="register each twin in the registry, as a node does")  # fmt: skip
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
