"""The long fuzzing profile: schemathesis against every published OpenAPI surface, hundreds of cases each.

    /work/venv/bin/python bench/fuzz_long.py                         # 300 examples per operation and mode
    /work/venv/bin/python bench/fuzz_long.py --examples 1000 --surface dsp --surface registry
    /work/venv/bin/python bench/fuzz_long.py --seed 7                # another reproducible run

The same harness, node and checks as the CI profile in tests/fuzz (tests/fuzz/harness.py: one in-process
node, each surface authenticated as its callers are; no 5xx, declared schemas hold, every 4xx in the
surface's error shape), but each operation gets ``--examples`` positive cases (valid by its schema) *and*
as many negative ones (schemathesis' mutations that violate it), and a failing case does not stop the run:
every distinct failure is counted and its first request printed. Prints per surface the operations, cases
and failures, and exits 1 if anything failed.

What it does not do: stateful (link-following) runs, since the node's FastAPI-generated OpenAPI declares no
links, and nothing here reaches a network (the harness's node is never started).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz.harness import (  # the harness lives with the tests it serves
    NODE_SURFACES,
    OPERATOR_SURFACE,
    Surface,
    call_and_check,
    node_schema,
    operator_schema,
)


@dataclass
class Tally:
    operations: int = 0
    cases: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # "<operation> <first line>" -> curl command


def fuzz_operation(operation: Any, surface: Surface, examples: int, run_seed: int, tally: Tally) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        # One seed per (run, operation, mode): reproducible, yet each operation explores its own examples.
        @seed(zlib.crc32(f"{run_seed} {label} {mode.value}".encode()))
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            tally.cases += 1
            try:
                call_and_check(case, surface)
            except Exception as failure:  # every failure is counted, none stops the run
                first = (str(failure).strip().splitlines() or [type(failure).__name__])[0][:200]
                tally.failures.setdefault(f"{label}: {first}", case.as_curl_command())

        # Unsatisfiable: nothing to violate (an operation without parameters or body has no negative cases).
        with contextlib.suppress(Unsatisfiable):
            run()


def fuzz_surface(schema: Any, surface: Surface, examples: int, seed: int) -> Tally:
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        tally.operations += 1
        fuzz_operation(operation, surface, examples, seed, tally)
    return tally


def surfaces(names: Iterable[str]) -> list[tuple[Surface, Any]]:
    wanted = set(names)
    chosen = [(s, node_schema(s.name)) for s in NODE_SURFACES if not wanted or s.name in wanted]
    if not wanted or OPERATOR_SURFACE.name in wanted:
        chosen.append((OPERATOR_SURFACE, operator_schema()))
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=300, help="cases per operation and generation mode")
    parser.add_argument("--surface", action="append", default=[], help="only these surfaces (repeatable)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    total = Tally()
    print(f"{'surface':<12} {'operations':>10} {'cases':>8} {'failures':>8} {'seconds':>8}")
    for surface, schema in surfaces(args.surface):
        started = time.monotonic()
        tally = fuzz_surface(schema, surface, args.examples, args.seed)
        elapsed = time.monotonic() - started
        counts = f"{tally.operations:>10} {tally.cases:>8} {len(tally.failures):>8}"
        print(f"{surface.name:<12} {counts} {elapsed:>8.0f}", flush=True)
        total.operations += tally.operations
        total.cases += tally.cases
        total.failures.update(tally.failures)
    print(f"{'total':<12} {total.operations:>10} {total.cases:>8} {len(total.failures):>8}")
    for failure, curl in total.failures.items():
        print(f"\nFAIL {failure}\n  {curl}")
    return 1 if total.failures else 0


if __name__ == "__main__":
    sys.exit(main())
