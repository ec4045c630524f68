"""Crash safety at scale (issue 9 item 2): N concurrent negotiations and pull transfers between two real
node processes while the provider and the consumer are killed with SIGKILL at seeded random moments and
restarted.

    /work/venv/bin/python bench/crash_many.py [--n 1000] [--rounds 6] [--seed S] [--postgres|--database-url U]

What one run does: publish a few assets on the provider; post all N contract requests to the consumer at once
(C client threads); as negotiations finalize, start a pull transfer under each agreement; as transfers start,
fetch the data through the EDR and compare it with the asset's content. Meanwhile a killer thread waits for
seeded progress points (fractions of the 3·N steps: negotiation terminal, transfer terminal, data fetched),
SIGKILLs the provider, the consumer or both, leaves them down for a seeded moment and restarts them; the next
kill waits until every process that was in flight at the previous kill is terminal again (that wait is the
"time to converge" reported per round). An in-process data-space witness (battrace.operator.witness.Witness
against the nodes' /log endpoints) polls both logs every second and right after every restart.

Verdicts (the integration test tests/integration/test_crash_many.py asserts them on a bounded run):
every process terminal on both nodes; the FINALIZED negotiations of both sides name the same agreements,
each once, and each node's agreement list holds exactly those; every agreement got a transfer whose data
matched its asset; the witness raised no alarm and verified each node's log across every one of its restarts;
and after the run both logs verify (`battrace.ledger.verify.verify_log`) against their key and every
checkpoint the witness saw (no rollback of a signed checkpoint, no fork).

Deliberately self-contained (no `_cluster` import) so the test can load it by path. Figures are printed; the
test asserts no timing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import text

from battrace.client import EDC_CONTEXT, ManagementError, NodeClient, first_offer
from battrace.clock import system_clock, urn_uuid
from battrace.devnet import NodeProcess
from battrace.ledger.exchange import peer_log
from battrace.ledger.note import NoteVerifier
from battrace.ledger.verify import verify_log
from battrace.operator import init_space
from battrace.operator.files import SpaceFiles
from battrace.operator.records import Participant
from battrace.operator.witness import MemberStatus, Witness, http_witness
from battrace.store import Store

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONSUMER_BPN = "BPNL000000000CON"
PROVIDER_BPN = "BPNL000000000PRO"
NEGOTIATION_TERMINAL = {"FINALIZED", "TERMINATED"}
# A pull transfer's flow ends at STARTED (the consumer holds an EDR); COMPLETED/TERMINATED end it otherwise.
TRANSFER_TERMINAL = {"STARTED", "COMPLETED", "TERMINATED"}
PAGE = 1000  # the management API's largest page (management.shapes.MAX_LIMIT)
T = TypeVar("T")


@dataclass(frozen=True)
class CrashConfig:
    n: int = 1000
    rounds: int = 6
    seed: int = 0
    concurrency: int = 8
    assets: int = 5
    server_url: str | None = None  # a PostgreSQL server: one fresh database per node, dropped afterwards
    max_down_seconds: float = 1.0
    deadline_seconds: float = 900.0


@dataclass
class KillRound:
    at_progress: int  # steps done when the round fired
    victims: tuple[str, ...]
    in_flight: int  # processes (ours) not terminal at the kill
    down_seconds: float
    restart_seconds: float = 0.0  # spawn → /health of the slowest victim
    # restart → every process in flight at the kill terminal (a later round's downtime counts if overlapping)
    converge_seconds: float | None = None


@dataclass
class WitnessView:
    polls: int = 0
    ok: Counter[str] = field(default_factory=Counter)  # member name → rounds that verified
    unreachable: Counter[str] = field(default_factory=Counter)
    across_restart: Counter[str] = field(default_factory=Counter)  # verified against a pre-restart reference
    notes: dict[str, list[str]] = field(default_factory=dict)  # member name → every checkpoint it verified
    alarms: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Outcome:
    config: CrashConfig
    backend: str
    seconds: float = 0.0
    rounds: list[KillRound] = field(default_factory=list)
    restarts: Counter[str] = field(default_factory=Counter)
    final_converge_seconds: float = 0.0
    negotiations: dict[str, Counter[str]] = field(default_factory=dict)  # side → state counts
    transfers: Counter[str] = field(default_factory=Counter)
    not_terminal: dict[str, list[str]] = field(default_factory=dict)
    agreements: dict[str, list[str]] = field(default_factory=dict)  # side → FINALIZED agreement ids
    listed_agreements: dict[str, list[str]] = field(default_factory=dict)  # side → /contractagreements
    agreements_without_transfer: list[str] = field(default_factory=list)
    fetched_right: int = 0
    fetched_wrong: list[str] = field(default_factory=list)
    orphans: int = 0  # consumer negotiations we never got an id for (consumer killed mid-POST)
    transfer_orphans: int = 0  # the same for transfers: a POST retried after the consumer died answering it
    fetch_expected: int = 0  # our transfers that ended STARTED: each must have fetched its asset's data
    witness: WitnessView = field(default_factory=WitnessView)
    log_verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)  # other work on the machine skews every figure

    def problems(self) -> list[str]:
        """Every broken crash-safety property, in words; empty when the run is clean."""
        found = [f"{side} not terminal: {ids[:5]}" for side, ids in self.not_terminal.items() if ids]
        consumer, provider = self.agreements.get("consumer", []), self.agreements.get("provider", [])
        for side, ids in self.agreements.items():
            if len(ids) != len(set(ids)):
                found.append(f"{side}: an agreement id is named by two negotiations")
            if sorted(self.listed_agreements.get(side, [])) != sorted(ids):
                found.append(f"{side}: /contractagreements differs from its FINALIZED negotiations")
        if set(consumer) != set(provider):
            found.append(
                f"agreements differ: only consumer {sorted(set(consumer) - set(provider))[:5]}, "
                f"only provider {sorted(set(provider) - set(consumer))[:5]}"
            )
        if self.agreements_without_transfer:
            found.append(f"agreements without a terminal transfer: {self.agreements_without_transfer[:5]}")
        if self.fetched_right != self.fetch_expected:
            found.append(f"{self.fetched_right} of {self.fetch_expected} started transfers fetched data")
        if self.fetched_wrong:
            found.append(f"transfers that fetched the wrong data: {self.fetched_wrong[:5]}")
        if self.witness.alarms:
            found.append(f"witness alarms: {self.witness.alarms}")
        for name, count in self.restarts.items():
            if self.witness.across_restart[name] < count:
                found.append(
                    f"witness verified {name} across {self.witness.across_restart[name]} of {count} restarts"
                )
        found.extend(f"{name} log: {v['findings']}" for name, v in self.log_verdicts.items() if not v["ok"])
        return found

    def summary(self) -> dict[str, Any]:
        done = sum(self.negotiations.get("consumer", Counter()).values())
        return {
            "backend": self.backend, "n": self.config.n, "seed": self.config.seed,
            "rounds": [vars(r) for r in self.rounds], "restarts": dict(self.restarts),
            "seconds": round(self.seconds, 1),
            "exchanges_per_second": round(done / self.seconds, 2) if self.seconds else None,
            "final_converge_seconds": round(self.final_converge_seconds, 1),
            "negotiations": {side: dict(c) for side, c in self.negotiations.items()},
            "transfers": dict(self.transfers), "orphans": self.orphans,
            "transfer_orphans": self.transfer_orphans,
            "fetched_right": self.fetched_right, "fetched_wrong": len(self.fetched_wrong),
            "agreements": {side: len(ids) for side, ids in self.agreements.items()},
            "witness": {"polls": self.witness.polls, "ok": dict(self.witness.ok),
                        "unreachable": dict(self.witness.unreachable),
                        "across_restart": dict(self.witness.across_restart),
                        "alarms": len(self.witness.alarms)},
            "logs": self.log_verdicts, "problems": self.problems(),
            "load_average": self.load_average,
        }  # fmt: skip


# ---- nodes and databases -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def databases(server_url: str | None) -> Iterator[tuple[str | None, str | None]]:
    """Two fresh PostgreSQL databases on ``server_url`` (dropped afterwards), or SQLite (None, None)."""
    if server_url is None:
        yield None, None
        return
    import psycopg  # only the PostgreSQL run needs the driver here

    names = [f"battrace_crash_{secrets.token_hex(4)}_{role}" for role in ("provider", "consumer")]
    scheme, rest = server_url.split("://", 1)
    admin = scheme.split("+", 1)[0] + "://" + rest  # libpq does not know SQLAlchemy's "+psycopg"
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    try:
        yield tuple(urlunsplit((parts.scheme, parts.netloc, "/" + n, parts.query, "")) for n in names)  # type: ignore[misc]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # killed nodes leave sessions


def make_nodes(
    root: Path, provider_db: str | None, consumer_db: str | None
) -> tuple[NodeProcess, NodeProcess]:
    provider = NodeProcess("provider", free_port(), root, database_url=provider_db)
    consumer = NodeProcess("consumer", free_port(), root, database_url=consumer_db)
    provider.peers = {
        consumer.did: {
            "bpn": CONSUMER_BPN,
            "membership": "active",
            "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
        }
    }
    consumer.peers = {provider.did: {"bpn": PROVIDER_BPN, "membership": "active"}}
    return provider, consumer


def publish(provider: NodeProcess, count: int) -> dict[str, Any]:
    """``count`` assets with distinct content, each under a members-only access and a PCF usage policy."""
    contents: dict[str, Any] = {}
    access = [
        {
            "action": "access",
            "constraint": [
                {
                    "and": [
                        {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
                        {
                            "leftOperand": "BusinessPartnerNumber",
                            "operator": "isAnyOf",
                            "rightOperand": [CONSUMER_BPN],
                        },
                    ]
                }
            ],
        }
    ]
    usage = [
        {
            "action": "use",
            "constraint": [
                {
                    "and": [
                        {
                            "leftOperand": "FrameworkAgreement",
                            "operator": "eq",
                            "rightOperand": "DataExchangeGovernance:1.0",
                        },
                        {
                            "leftOperand": "UsagePurpose",
                            "operator": "isAnyOf",
                            "rightOperand": ["cx.pcf.base:1"],
                        },
                    ]
                }
            ],
        }
    ]
    with provider.client() as client:
        client.create_policy("access", access)
        client.create_policy("usage", usage)
        for i in range(count):
            asset_id = f"cell-{i}"
            contents[asset_id] = {"cell": asset_id, "pcf": 60.0 + i}
            client.create_asset(asset_id, contents[asset_id])
            # one definition per asset: the criteria of one assetsSelector must all hold (EDC semantics)
            client.create_contract_definition(f"offer-{i}", "access", "usage", [asset_id])
    return contents  # fmt: skip


def retrying(call: Callable[[], T], stop: float) -> T:
    """``call`` until it gets an answer that is not a dead or restarting node (transport error, 5xx)."""
    while True:
        try:
            return call()
        except (httpx.TransportError, ManagementError) as error:
            if isinstance(error, ManagementError) and error.status < 500:
                raise
            if time.monotonic() > stop:
                raise
            time.sleep(0.1)


def list_all(client: NodeClient, entity: str) -> list[dict[str, Any]]:
    """Every item of ``POST /management/v3/<entity>/request``, page by page."""
    items: list[dict[str, Any]] = []
    while True:
        body = {"@context": EDC_CONTEXT, "@type": "QuerySpec", "offset": len(items), "limit": PAGE}
        page: list[dict[str, Any]] = client.call("POST", f"/management/v3/{entity}/request", body)
        items.extend(page)
        if len(page) < PAGE:
            return items


# ---- the run -------------------------------------------------------------------------------------------


class CrashRun:
    def __init__(self, config: CrashConfig, root: Path, say: Callable[[str], None] = print) -> None:
        self.config = config
        self.root = root
        self.say = say
        self.random = random.Random(config.seed)
        self.outcome = Outcome(config, "postgresql" if config.server_url else "sqlite")
        self.lock = threading.Lock()
        self.epoch: Counter[str] = Counter()  # node name → restarts so far (the witness compares epochs)
        self.negotiation_ids: list[str] = []
        self.negotiation_asset: dict[str, str] = {}
        self.neg_state: dict[str, dict[str, Any]] = {}
        self.transfer_of: dict[str, str] = {}  # agreement id → transfer id
        self.transfer_state: dict[str, dict[str, Any]] = {}
        self.fetched: set[str] = set()  # transfer ids whose data was fetched and compared
        self.done = threading.Event()
        self.idle = threading.Event()  # all traffic settled: kill rounds still to come hit quiet nodes
        self.failure: BaseException | None = None
        self._seen_epoch: dict[str, int] = {}  # node name → restart epoch of the witness's last verification
        self._last_restart = 0.0
        self._converging: list[tuple[KillRound, set[str], float]] = []  # rounds still converging

    def progress(self) -> int:
        with self.lock:
            negotiated = sum(1 for s in self.neg_state.values() if s["state"] in NEGOTIATION_TERMINAL)
            transferred = sum(1 for s in self.transfer_state.values() if s["state"] in TRANSFER_TERMINAL)
            return negotiated + transferred + len(self.fetched)

    def in_flight(self) -> set[str]:
        with self.lock:
            mine = set(self.negotiation_ids)
            return {i for i in mine if self.neg_state.get(i, {}).get("state") not in NEGOTIATION_TERMINAL} | {
                t for t in self.transfer_of.values()
                if self.transfer_state.get(t, {}).get("state") not in TRANSFER_TERMINAL
            }  # fmt: skip

    def run(self) -> Outcome:
        with databases(self.config.server_url) as (provider_db, consumer_db):
            self.provider, self.consumer = make_nodes(self.root, provider_db, consumer_db)
            self.nodes = {"provider": self.provider, "consumer": self.consumer}
            try:
                self._run(provider_db, consumer_db)
            finally:
                for node in (self.consumer, self.provider):
                    node.stop()
        return self.outcome

    def _run(self, provider_db: str | None, consumer_db: str | None) -> None:
        for node in self.nodes.values():
            node.start(timeout=240)
        self.contents = publish(self.provider, self.config.assets)
        vkeys = {name: peer_log(httpx.get(n.base_url + "/.well-known/did.json").json()).vkey
                 for name, n in self.nodes.items()}  # fmt: skip
        self.witness = self._witness()
        self.say(f"seed {self.config.seed}: {self.config.n} negotiations, {self.config.rounds} kill rounds, "
                 f"{self.outcome.backend}")  # fmt: skip
        began = time.monotonic()
        stop = began + self.config.deadline_seconds
        threads = [threading.Thread(target=self._guard(f), args=(stop,), daemon=True)
                   for f in (self._drive, self._kill_rounds, self._watch)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads[:2]:
            thread.join()
        self.done.set()
        threads[2].join()
        if self.failure is not None:
            raise self.failure
        self.outcome.seconds = time.monotonic() - began
        self.outcome.load_average = os.getloadavg()
        self._poll_until_ok(set(self.nodes))  # the final checkpoints, seen by the witness too
        self._collect()
        for node in self.nodes.values():
            node.stop()
        urls = {"provider": provider_db, "consumer": consumer_db}
        for name, node in self.nodes.items():
            self.outcome.log_verdicts[name] = self._verify(urls[name], node, vkeys[name])

    def _guard(self, work: Callable[[float], None]) -> Callable[[float], None]:
        def guarded(stop: float) -> None:
            try:
                work(stop)
            except BaseException as error:  # reported by the main thread; the others stop with it
                self.failure = self.failure or error
                self.done.set()

        return guarded

    # ---- traffic ---------------------------------------------------------------------------------------

    def _drive(self, stop: float) -> None:
        with ThreadPoolExecutor(self.config.concurrency) as pool:
            clients = threading.local()

            def client() -> NodeClient:
                if not hasattr(clients, "c"):
                    clients.c = self.consumer.client()
                return clients.c  # type: ignore[no-any-return]

            offer = retrying(lambda: self._offers(client()), stop)
            list(pool.map(lambda i: self._negotiate(client(), offer, i, stop), range(self.config.n)))
            last_change = time.monotonic()
            while not self.done.is_set():
                if time.monotonic() > stop:
                    raise TimeoutError(f"not converged in {self.config.deadline_seconds} s: "
                                       f"{len(self.in_flight())} processes in flight")  # fmt: skip
                before = self.progress()
                with self.consumer.client() as c:
                    self._refresh(c, stop)
                finalized = self._finalized_without_transfer()
                started = self._started_not_fetched()
                list(pool.map(lambda a: self._transfer(client(), a, stop), finalized))
                list(pool.map(lambda t: self._fetch(client(), t, stop), started))
                if self.progress() != before:
                    last_change = time.monotonic()
                self._note_convergence()
                if self._all_done():
                    self.outcome.final_converge_seconds = time.monotonic() - self._last_restart
                    return
                time.sleep(0.2 if time.monotonic() - last_change < 5 else 1.0)

    def _offers(self, client: NodeClient) -> dict[str, tuple[dict[str, Any], list[Any]]]:
        catalog = client.catalog(self.provider.dsp, self.provider.did)
        return {asset_id: first_offer(catalog, asset_id) for asset_id in self.contents}

    def _negotiate(self, client: NodeClient, offers: dict[str, Any], i: int, stop: float) -> None:
        asset_id = f"cell-{i % self.config.assets}"
        offer, contexts = offers[asset_id]
        negotiation_id = retrying(
            lambda: client.negotiate(self.provider.dsp, self.provider.did, asset_id, offer, contexts), stop
        )
        with self.lock:
            self.negotiation_ids.append(negotiation_id)
            self.negotiation_asset[negotiation_id] = asset_id

    def _refresh(self, client: NodeClient, stop: float) -> None:
        negotiations = retrying(lambda: list_all(client, "contractnegotiations"), stop)
        transfers = retrying(lambda: list_all(client, "transferprocesses"), stop)
        with self.lock:
            self.neg_state = {n["@id"]: n for n in negotiations}
            self.transfer_state = {t["@id"]: t for t in transfers}

    def _finalized_without_transfer(self) -> list[str]:
        with self.lock:
            return [
                self.neg_state[i]["contractAgreementId"] for i in self.negotiation_ids
                if self.neg_state.get(i, {}).get("state") == "FINALIZED"
                and self.neg_state[i]["contractAgreementId"] not in self.transfer_of
            ]  # fmt: skip

    def _started_not_fetched(self) -> list[str]:
        with self.lock:
            return [
                t
                for t in self.transfer_of.values()
                if self.transfer_state.get(t, {}).get("state") == "STARTED" and t not in self.fetched
            ]

    def _transfer(self, client: NodeClient, agreement_id: str, stop: float) -> None:
        transfer_id = retrying(lambda: client.transfer(self.provider.dsp, agreement_id), stop)
        with self.lock:
            self.transfer_of[agreement_id] = transfer_id

    def _fetch(self, client: NodeClient, transfer_id: str, stop: float) -> None:
        def fetch() -> Any:
            response = client.fetch(client.edr(transfer_id))
            if response.status_code >= 500:
                raise ManagementError(response.status_code, response.text)
            return response.json() if response.status_code == 200 else {"status": response.status_code}

        data = retrying(fetch, stop)
        agreement = next(a for a, t in self.transfer_of.items() if t == transfer_id)
        negotiation = next(i for i, n in self.neg_state.items() if n.get("contractAgreementId") == agreement)
        expected = self.contents[self.negotiation_asset[negotiation]]
        with self.lock:
            self.fetched.add(transfer_id)
            if data == expected:
                self.outcome.fetched_right += 1
            else:
                self.outcome.fetched_wrong.append(f"{transfer_id}: {json.dumps(data)[:120]}")

    def _all_done(self) -> bool:
        if len(self.negotiation_ids) < self.config.n or self.in_flight():
            return False
        with self.lock:
            wanted = [i for i in self.negotiation_ids if self.neg_state[i]["state"] == "FINALIZED"]
            started = [t for t in self.transfer_of.values() if self.transfer_state[t]["state"] == "STARTED"]
            rounds_left = len(self.outcome.rounds) < self.config.rounds
        settled = len(wanted) == len(self.transfer_of) and set(started) <= self.fetched
        if settled:
            self.idle.set()
        return settled and not rounds_left

    # ---- crashes -------------------------------------------------------------------------------------

    def _kill_rounds(self, stop: float) -> None:
        """Kill at seeded progress points without waiting for the previous round to converge (a crash does not
        wait either); only once the restarted nodes made progress again, so each round hits fresh traffic."""
        steps = 3 * self.config.n
        points = sorted(self.random.randint(steps // 30, steps * 4 // 5) for _ in range(self.config.rounds))
        for point in points:
            while self.progress() < point and not (self.done.is_set() or self.idle.is_set()):
                time.sleep(0.05)
            if self.done.is_set():
                return
            time.sleep(self.random.uniform(0, 0.3))  # off the polling rhythm: a random point in a message
            victims = self.random.choice([("provider",), ("consumer",), ("provider", "consumer")])
            flying = self.in_flight()
            kill = KillRound(self.progress(), victims, len(flying),
                             round(self.random.uniform(0.05, self.config.max_down_seconds), 2))  # fmt: skip
            for name in victims:
                self.nodes[name].kill()
            self.say(f"round {len(self.outcome.rounds) + 1}: SIGKILL {'+'.join(victims)} at step "
                     f"{kill.at_progress}/{steps}, {kill.in_flight} in flight")  # fmt: skip
            time.sleep(kill.down_seconds)
            began = time.monotonic()
            self._restart(victims)
            restarted = time.monotonic()
            kill.restart_seconds = round(restarted - began, 2)
            with self.lock:
                self._last_restart = restarted
                self.outcome.rounds.append(kill)
                self._converging.append((kill, flying, restarted))
            self._poll_until_ok(set(victims))
            resumed_from = self.progress()
            while self.progress() <= resumed_from and not (self.done.is_set() or self.idle.is_set()):
                time.sleep(0.05)

    def _restart(self, victims: tuple[str, ...]) -> None:
        """Both victims start at once (a node's start is mostly imports: CPU the other can share)."""
        with ThreadPoolExecutor(len(victims)) as pool:
            for started in [pool.submit(self.nodes[name].start, 240.0) for name in victims]:
                started.result()  # a node that does not come back ends the run with its error
        for name in victims:
            with self.lock:
                self.epoch[name] += 1
                self.outcome.restarts[name] += 1

    def _note_convergence(self) -> None:
        """Rounds whose in-flight processes are all terminal now: restart → now is their convergence time."""
        flying_now = self.in_flight()
        now = time.monotonic()
        with self.lock:
            for kill, flying, restarted in list(self._converging):
                if not flying & flying_now:
                    kill.converge_seconds = round(now - restarted, 2)
                    self._converging.remove((kill, flying, restarted))

    # ---- the witness -------------------------------------------------------------------------------------

    def _witness(self) -> Witness:
        space = self.root / "space"
        init_space(space, name="crash-space", public_url=f"http://127.0.0.1:{free_port()}", api_key=None,
                   clock=system_clock, dev=True)  # fmt: skip
        files = SpaceFiles(space)
        with files.locked():
            files.write_directory(
                {n.did: Participant(did=n.did, name=name) for name, n in self.nodes.items()}
            )
        # The nodes refuse its cosignatures (they know no such space); it verifies their logs all the same.
        return http_witness(files, httpx.Client(timeout=10.0), clock=system_clock, ids=urn_uuid)

    def _watch(self, stop: float) -> None:
        while not self.done.wait(1.0):
            self._poll()

    def _poll(self) -> dict[str, MemberStatus]:
        names = {n.did: name for name, n in self.nodes.items()}
        with self.lock:
            epochs = dict(self.epoch)
        before = {r.did: r.checkpoint for r in self.witness.state().members.values()}
        records = self.witness.poll_once()
        view = self.outcome.witness
        with self.lock:
            view.polls += 1
            for record in records:
                name = names[record.did]
                if record.status is MemberStatus.OK and record.checkpoint is not None:
                    view.ok[name] += 1
                    view.notes.setdefault(name, []).append(record.checkpoint.note)
                    previous = before.get(record.did)
                    # the reference was verified before the latest restart, the new checkpoint after it
                    if previous is not None and self._seen_epoch.get(name, -1) < epochs.get(name, 0):
                        view.across_restart[name] += 1
                    self._seen_epoch[name] = epochs.get(name, 0)
                elif record.status is MemberStatus.UNREACHABLE:
                    view.unreachable[name] += 1
            view.alarms = self.witness.alarms()
        return {names[r.did]: r.status for r in records}

    def _poll_until_ok(self, names: set[str], attempts: int = 10) -> None:
        """A witness round right after a restart; a node busy with its backlog may time out: try again."""
        for _ in range(attempts):
            statuses = self._poll()
            if all(statuses[name] is not MemberStatus.UNREACHABLE for name in names):
                return
            time.sleep(0.5)

    # ---- verdicts ------------------------------------------------------------------------------------

    def _collect(self) -> None:
        out = self.outcome
        stop = time.monotonic() + 60
        for name, node in self.nodes.items():
            with node.client() as client:
                negotiations = retrying(lambda c=client: list_all(c, "contractnegotiations"), stop)  # type: ignore[misc]
                agreements = retrying(lambda c=client: list_all(c, "contractagreements"), stop)  # type: ignore[misc]
                transfers = retrying(lambda c=client: list_all(c, "transferprocesses"), stop)  # type: ignore[misc]
            out.negotiations[name] = Counter(n["state"] for n in negotiations)
            out.not_terminal[name] = [
                n["@id"] for n in negotiations if n["state"] not in NEGOTIATION_TERMINAL
            ]
            out.not_terminal[name] += [t["@id"] for t in transfers if t["state"] not in TRANSFER_TERMINAL]
            out.agreements[name] = [
                n["contractAgreementId"] for n in negotiations if n["state"] == "FINALIZED"
            ]
            out.listed_agreements[name] = [a["@id"] for a in agreements]
            if name == "consumer":
                out.transfers = Counter(t["state"] for t in transfers)
                out.orphans = len({n["@id"] for n in negotiations} - set(self.negotiation_ids))
                by_id = {t["@id"]: t for t in transfers}
                out.transfer_orphans = len(set(by_id) - set(self.transfer_of.values()))
                ours = [by_id.get(t, {}).get("state") for t in self.transfer_of.values()]
                out.fetch_expected = ours.count("STARTED")
                out.agreements_without_transfer = [
                    a for a in out.agreements[name]
                    if by_id.get(self.transfer_of.get(a, ""), {}).get("state") not in TRANSFER_TERMINAL
                ]  # fmt: skip

    def _verify(self, url: str | None, node: NodeProcess, vkey: str) -> dict[str, Any]:
        store = Store(url) if url else Store.for_data_dir(node.data_dir)
        try:
            notes = self.outcome.witness.notes.get(node.name, [])
            report = verify_log(store, [NoteVerifier.from_vkey(vkey)], checkpoints=notes)
            with store.read() as tx:  # what the log holds, by kind: redeliveries and lost batches show here
                rows = tx.session.execute(text("SELECT kind, count(*) FROM log_entries GROUP BY kind"))
                kinds = {str(kind): int(count) for kind, count in rows}
        finally:
            store.dispose()
        return {"ok": report.ok, "entries": report.entries, "checkpoints": report.checkpoints,
                "covered": report.covered, "witnessed": len(set(notes)), "kinds": kinds,
                "findings": [f"{f.kind}@{f.index}: {f.detail}" for f in report.findings]}  # fmt: skip


def crash_run(config: CrashConfig, root: Path, say: Callable[[str], None] = print) -> Outcome:
    return CrashRun(config, root, say).run()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="concurrent negotiations (default 1000)")
    parser.add_argument("--rounds", type=int, default=6, help="kill rounds (default 6)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one, printed)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--postgres", action="store_true", help=f"two fresh databases on {DEFAULT_POSTGRES}")
    parser.add_argument("--database-url", help="PostgreSQL server URL (implies --postgres)")
    parser.add_argument("--keep", action="store_true", help="keep the nodes' data directories")
    parser.add_argument(
        "--deadline", type=float, default=900.0, help="seconds for the whole run (raise it under load)"
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    server = args.database_url or (DEFAULT_POSTGRES if args.postgres else None)
    config = CrashConfig(n=args.n, rounds=args.rounds, seed=seed, concurrency=args.concurrency,
                         server_url=server, deadline_seconds=args.deadline)  # fmt: skip
    root = Path(tempfile.mkdtemp(prefix="battrace-crash-"))
    try:
        outcome = crash_run(config, root)
    finally:
        if args.keep:
            print(f"data directories kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    summary = outcome.summary()
    print(json.dumps(summary, indent=2))
    return 0 if not summary["problems"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
