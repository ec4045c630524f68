"""Crash safety at scale (issue 9 item 2): many concurrent negotiations and pull transfers while the provider
and the consumer are SIGKILLed at seeded random moments and restarted, on SQLite and on PostgreSQL.

The run itself is bench/crash_many.py (the full 1 000-negotiation version is a benchmark); here a bounded run:
``BATTRACE_CRASH_N`` negotiations (default 60), ``BATTRACE_CRASH_ROUNDS`` kill rounds (default 3), seed
``BATTRACE_CRASH_SEED`` (default: fresh, printed, so a failure can be replayed). Whatever the moment of the
kills, every process ends in a terminal state, each agreement exists once on both sides, each transfer brings
its own asset's data, the witness never sees a fork or a rollback across the restarts, and both logs verify.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from .conftest import DEFAULT_POSTGRES_URL

pytestmark = pytest.mark.integration

N = int(os.environ.get("BATTRACE_CRASH_N", "60"))
ROUNDS = int(os.environ.get("BATTRACE_CRASH_ROUNDS", "3"))
BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash_many.py"


def load_crash_many() -> ModuleType:
    spec = importlib.util.spec_from_file_location("battrace_bench_crash_many", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    url = os.environ.get("BATTRACE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    admin = create_engine(make_url(url), connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL required under CI=true: {error.orig}")
        pytest.skip(f"PostgreSQL unavailable: {error.orig}")
    finally:
        admin.dispose()
    yield url


@pytest.mark.timeout(max(600, 3 * N))  # generous: busy CI machines start nodes slowly; no timing asserted
def test_every_process_survives_repeated_sigkills_without_losing_or_duplicating_an_agreement(
    server_url: str | None, tmp_path: Path
) -> None:
    crash_many = load_crash_many()
    seed = int(os.environ.get("BATTRACE_CRASH_SEED", secrets.randbelow(2**31)))
    print(f"replay with BATTRACE_CRASH_SEED={seed} BATTRACE_CRASH_N={N} BATTRACE_CRASH_ROUNDS={ROUNDS}")
    config = crash_many.CrashConfig(
        n=N, rounds=ROUNDS, seed=seed, server_url=server_url, deadline_seconds=max(480.0, 2.5 * N)
    )
    outcome = crash_many.crash_run(config, tmp_path)
    summary = outcome.summary()
    print(summary)

    # The kills really happened, while processes were in flight, and each victim came back.
    assert len(outcome.rounds) == ROUNDS
    assert sum(outcome.restarts.values()) >= ROUNDS
    assert any(r.in_flight > 0 for r in outcome.rounds)
    # Every process the consumer started (and every one the provider saw) is terminal.
    assert outcome.not_terminal == {"provider": [], "consumer": []}
    assert sum(outcome.negotiations["consumer"].values()) == N + outcome.orphans
    # One agreement per FINALIZED negotiation, the same set on both sides, none listed without a negotiation.
    consumer, provider = outcome.agreements["consumer"], outcome.agreements["provider"]
    assert len(consumer) == len(set(consumer)) and len(provider) == len(set(provider))
    assert set(consumer) == set(provider)
    assert sorted(outcome.listed_agreements["consumer"]) == sorted(consumer)
    assert sorted(outcome.listed_agreements["provider"]) == sorted(provider)
    assert outcome.negotiations["consumer"]["FINALIZED"] == outcome.negotiations["provider"]["FINALIZED"]
    # Each agreement's transfer reached its end and fetched exactly its own asset's content.
    assert outcome.agreements_without_transfer == []
    assert outcome.fetched_wrong == []
    assert outcome.fetched_right == outcome.fetch_expected > 0
    # The witness followed each node across each of its restarts without a fork or a rollback …
    assert outcome.witness.alarms == []
    for name, restarts in outcome.restarts.items():
        assert outcome.witness.across_restart[name] >= restarts, name
    # … and each log recomputes to every checkpoint it signed and every one the witness saw.
    for name in ("provider", "consumer"):
        verdict = outcome.log_verdicts[name]
        assert verdict["ok"], (name, verdict["findings"])
        assert verdict["witnessed"] > 0
    assert outcome.problems() == []
