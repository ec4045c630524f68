"""Scale figures for docs/scale.md (issue 9 item 5): what one passport costs in the database, and how
issuance, lookups, log appends and log proofs behave at the size reached,
on SQLite and PostgreSQL. Figures, not a test.

    /work/venv/bin/python bench/scale.py                                   # both backends, 100 000 passports
    /work/venv/bin/python bench/scale.py --backend sqlite --passports 20000  # a quick look
    /work/venv/bin/python bench/scale.py --backend postgres --passports 10000000  # the goal's size (hours)

The node's write path, in process (no HTTP): `PassportService.issue` in batches, each passport with its
registry twin and its transparency-log entry in the same transaction, as a node issues them
(`battrace.connector.node`). At the size reached:

* database size per passport, per table *with its indexes* (SQLite: the `dbstat` virtual table, total =
  page_count x page_size; PostgreSQL: `pg_total_relation_size`, total = `pg_database_size`), so a projection
  can scale each table by its own row count;
* lookups, p50/p99/max over `--samples` random passports: QR resolution (battery id -> passport id), the
  public view (`document`), and the registry lookup by `partInstanceId` as the operator;
* the log: `append_many` in batches of 50 000 on top (entries/s), then inclusion and consistency proofs at the
  new size (p50/p99).

What it deliberately does not do: fill rows straight to the driver (`passport_issuance.py --fill` does that
for lookups at 10 M without issuing them); every passport here is issued the way a node issues it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from battrace.identity import NodeKeys
from battrace.ledger.log import TransparencyLog
from battrace.ledger.note import NoteSigner
from battrace.passport.attributes import Audience, BatteryCategory
from battrace.passport.samples import ev_item_values, ev_model_values, sample_battery
from battrace.passport.service import NewModel, NewPassport, PassportService
from battrace.passport.twins import shell_descriptor
from battrace.registry import OWNER, Registry
from battrace.registry.model import AssetLink
from battrace.store import Store
from battrace.store.passports import PassportModelRecord, PassportRecord
from battrace.store.tx import Tx

ISSUER = "did:web:oem.example"
BASE = "https://oem.example"
MODEL = "urn:battrace:model:scale"
ORIGIN = "oem.example/log"
EVENT = {"peer": "did:web:peer.example", "ids": {"agreement": "urn:uuid:0"}, "payloadSha256": "0" * 64}
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _clock() -> datetime:
    return datetime(2026, 11, 1, tzinfo=UTC)


def _load() -> float:
    return float(Path("/proc/loadavg").read_text("ascii").split()[0])


# -- stores that can tell their size before they go ----------------------------------------------------------


@dataclass
class Bench:
    store: Store
    backend: str
    table_bytes: Callable[[], dict[str, tuple[int, int]]]  # table -> (bytes with indexes, index bytes)
    total_bytes: Callable[[], int]


@contextmanager
def sqlite_bench() -> Iterator[Bench]:
    with tempfile.TemporaryDirectory(prefix="battrace-scale-") as tmp:
        store = Store.for_data_dir(Path(tmp))
        store.migrate()

        def tables() -> dict[str, tuple[int, int]]:
            with store.read() as tx:
                conn = tx.session.connection()
                schema = conn.exec_driver_sql("SELECT name, tbl_name, type FROM sqlite_master").all()
                owner = {str(row[0]): (str(row[1]), row[2] == "index") for row in schema}
                sizes: dict[str, tuple[int, int]] = {}
                for name, size in conn.exec_driver_sql("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
                    table, is_index = owner.get(name, (name, False))  # an index counts towards its table
                    whole, indexes = sizes.get(table, (0, 0))
                    sizes[table] = (whole + int(size), indexes + (int(size) if is_index else 0))
                return sizes

        def total() -> int:
            with store.read() as tx:
                conn = tx.session.connection()
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                return int(pages) * int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())

        try:
            yield Bench(store, "sqlite", tables, total)
        finally:
            store.dispose()


@contextmanager
def postgres_bench(server_url: str) -> Iterator[Bench]:
    server = make_url(server_url)
    name = f"battrace_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(server.set(database=name).render_as_string(hide_password=False))
    try:
        store.migrate()

        def tables() -> dict[str, tuple[int, int]]:
            with store.read() as tx:
                rows = tx.session.execute(
                    text(
                        "SELECT relname, pg_total_relation_size(c.oid), pg_indexes_size(c.oid) "
                        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE c.relkind = 'r' AND n.nspname = current_schema()"
                    )
                ).all()
                return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}

        def total() -> int:
            with store.read() as tx:
                return int(
                    tx.session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
                )

        yield Bench(store, "postgresql", tables, total)
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- issuing as a node does ----------------------------------------------------------------------------------


def node_services(store: Store) -> tuple[PassportService, Registry, TransparencyLog]:
    keys = NodeKeys(Ed25519PrivateKey.from_private_bytes(b"\x07" * 32))
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(b"\x01" * 32))
    log = TransparencyLog(store, signer, origin=ORIGIN, clock=_clock)
    service = PassportService(store, keys, did=ISSUER, log=log, clock=_clock)
    registry = Registry(store, clock=_clock)

    def register(tx: Tx, passports: Sequence[PassportRecord], model: PassportModelRecord) -> None:
        descriptors = [
            shell_descriptor(p.id, p.battery_identifier, p.model_id, base_url=BASE,
                             dsp_endpoint=BASE + "/api/dsp/2025-1", asset_id="passports")
            for p in passports
        ]  # fmt: skip
        registry.register_in(tx, descriptors)

    service.on_issued = register
    service.register_model(NewModel(MODEL, BatteryCategory.EV, ev_model_values()))
    return service, registry, log


def passport_id(n: int) -> str:
    return f"urn:battrace:passport:{n:09d}"


def issue(service: PassportService, total: int, batch: int) -> tuple[float, float]:
    """Issue `total` passports; (per wall second, per CPU-second of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    done, last = 0, wall
    while done < total:
        count = min(batch, total - done)
        service.issue([NewPassport(MODEL, ev_item_values(n), passport_id=passport_id(n))
                       for n in range(done, done + count)])  # fmt: skip
        done += count
        if time.perf_counter() - last > 30:
            last = time.perf_counter()
            print(f"    ... {done:,} issued, {done / (last - wall):,.0f}/s, load {_load():.1f}", flush=True)
    return total / (time.perf_counter() - wall), total / (time.process_time() - cpu)


def timed(fn: Callable[[], object], samples: int) -> tuple[float, float, float]:
    """p50, p99, max in ms."""
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[98], max(times)


def lookups(
    service: PassportService, registry: Registry, total: int, samples: int
) -> dict[str, tuple[float, float, float]]:
    rng = random.Random(1)
    public = frozenset({Audience.PUBLIC})

    def twin() -> object:
        battery = str(ev_item_values(rng.randrange(total))["battery_identifier"])
        found = registry.lookup(OWNER, [AssetLink(name="partInstanceId", value=battery)])
        if len(found.items) != 1:
            raise RuntimeError(f"registry lookup of {battery} found {found.items}")
        return found

    return {
        "QR resolution": timed(lambda: service.resolve(sample_battery(rng.randrange(total))), samples),
        "public view": timed(lambda: service.document(passport_id(rng.randrange(total)), public), samples),
        "registry lookup (partInstanceId)": timed(twin, samples),
    }


def log_figures(
    log: TransparencyLog, batches: int, samples: int
) -> tuple[float, dict[str, tuple[float, float, float]]]:
    began, n = time.perf_counter(), 0
    for b in range(batches):
        log.append_many(("bench.scale", {**EVENT, "n": b * 50_000 + i}) for i in range(50_000))
        n += 50_000
    rate = n / (time.perf_counter() - began)
    size = log.size()
    rng = random.Random(2)
    proofs = {
        "inclusion proof": timed(lambda: log.inclusion_proof(rng.randrange(size), size), samples),
        "consistency proof": timed(lambda: log.consistency_proof(rng.randrange(1, size), size), samples),
    }
    return rate, proofs


# -- the run -------------------------------------------------------------------------------------------------


def run(bench: Bench, args: argparse.Namespace) -> None:
    service, registry, log = node_services(bench.store)
    load_before = _load()
    wall_rate, cpu_rate = issue(service, args.passports, args.batch)
    print(
        f"  issuance (passport + twin + log entry): {wall_rate:,.0f}/s wall, {cpu_rate:,.0f}/s per CPU-s "
        f"of this process, {args.passports:,} passports; load {load_before:.1f}->{_load():.1f}"
    )
    sizes, total = bench.table_bytes(), bench.total_bytes()
    n = args.passports
    print(f"  database {total / 1e6:,.1f} MB = {total / n:,.0f} bytes per passport (with twin and log entry)")
    for table, (size, indexes) in sorted(sizes.items(), key=lambda item: -item[1][0]):
        if size * 200 >= total:  # tables of at least 0.5 % of the total; the rest is schema and small tables
            print(
                f"    {table:<28} {size / 1e6:>10,.1f} MB  {size / n:>8,.0f} B/passport "
                f"(indexes {indexes / n:>6,.0f} B/passport)"
            )
    load_before = _load()
    for label, (p50, p99, worst) in lookups(service, registry, n, args.samples).items():
        print(f"  {label:<34} p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {worst:.1f} ms at {n:,}")
    rate, proofs = log_figures(log, args.log_batches, args.samples)
    print(f"  log append_many (batches of 50 000)  {rate:,.0f} entries/s at {log.size():,} entries")
    for label, (p50, p99, worst) in proofs.items():
        print(f"  {label:<34} p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {worst:.1f} ms at {log.size():,}")
    print(f"  load {load_before:.1f}->{_load():.1f}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--passports", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--log-batches", type=int, default=4, help="batches of 50 000 appended for the rate")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.backend in ("sqlite", "both"):
        print("SQLite")
        with sqlite_bench() as bench:
            run(bench, args)
    if args.backend in ("postgres", "both"):
        print("PostgreSQL")
        with postgres_bench(args.postgres_url) as bench:
            run(bench, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
