"""The bounded CI version of `bench/load.py` (issue 9 item 4): a few seconds of load at low concurrency on
real node processes, asserting correctness only — every request answered 200 with the body it should carry.

No timing is asserted: the figures belong in docs/performance.md, measured on a quiet machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"
TARGETS = {"dataplane", "lookup", "passport-json", "passport-html"}
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

pytestmark = pytest.mark.integration


def _run_load(tmp_path: Path, *extra: str) -> list[dict[str, Any]]:
    out = tmp_path / "load.json"
    # 4 targets x 1 s at 2 clients (+ a 0.25 s warm-up each): 5 s of requests after set-up.
    command = [sys.executable, str(BENCH), "--seconds", "1", "--concurrency", "2", "--passports", "30"]
    finished = subprocess.run(
        [*command, "--json", str(out), *extra], capture_output=True, text=True, timeout=240, check=False
    )
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-3000:]
    results: list[dict[str, Any]] = json.loads(out.read_text("utf-8"))
    return results


def _assert_all_answered_right(results: list[dict[str, Any]], backend: str) -> None:
    # one run per target at 2 clients, each with requests, none wrong, every status 200.
    assert {(r["target"], r["concurrency"]) for r in results} == {(t, 2) for t in TARGETS}
    for run in results:
        assert run["backend"] == backend
        assert run["requests"] > 0, run
        assert run["errors"] == 0, run["error_kinds"]
        assert run["statuses"] == {"200": run["requests"]}, run


def test_every_load_request_on_sqlite_is_answered_200_with_the_right_body(tmp_path: Path) -> None:
    _assert_all_answered_right(_run_load(tmp_path), "sqlite")


@pytest.mark.postgres
def test_every_load_request_on_postgresql_is_answered_200_with_the_right_body(tmp_path: Path) -> None:
    server = os.environ.get("BATTRACE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    scheme, rest = server.split("://", 1)
    try:
        psycopg.connect(scheme.split("+", 1)[0] + "://" + rest, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL required under CI=true: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    results = _run_load(tmp_path, "--backend", "postgres", "--database-url", server)
    _assert_all_answered_right(results, "postgresql")


def test_several_workers_on_sqlite_are_refused_with_the_reason(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--backend", "sqlite", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert "on PostgreSQL only" in finished.stderr
