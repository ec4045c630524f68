"""State of health for a whole fleet: 100 000 batteries x 5 years of monthly readings. Figures, not a test.

    /work/venv/bin/python bench/soh_fleet.py                       # the goal's size
    /work/venv/bin/python bench/soh_fleet.py --batteries 10000 --months 120 --passport

"SOH computation" is battrace.apps.soh.assess.assess on readings already in memory: the Annex VII parameters,
the capacity and resistance fits (least squares per battery), remaining useful life with its 90 % interval,
the fault/abuse warnings and the residual value, for every battery. Making the synthetic fleet and reading
an export are timed apart (an export of this size is 6 million rows, about 1.3 GB of CSV: its parsing is
I/O-bound and not what the goal asks). --passport also turns every battery's result into passport
Measurements (keys, units, checks.check_value). Goal (issue 7 item 3): <= 30 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

from battrace.apps.soh import fleet
from battrace.apps.soh.assess import assess
from battrace.apps.soh.passport import measurements
from battrace.apps.soh.warnings import any_of_kind

GOAL_SECONDS = 30.0


def _timed(label: str, seconds: float, batteries: int) -> None:
    print(f"  {label:<38} {seconds:8.2f} s   {batteries / seconds:12,.0f} batteries/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batteries", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--passport", action="store_true", help="also build every battery's Measurements")
    args = parser.parse_args()
    blas = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if os.environ.get(k)}
    print(f"fleet: {args.batteries:,} batteries x {args.months} monthly readings; numpy {np.__version__}; "
          f"{os.cpu_count()} cores; BLAS env {blas or 'default'}")  # fmt: skip

    start = time.perf_counter()
    readings, truth = fleet.generate(args.batteries, args.months, args.seed)
    _timed("generate synthetic fleet (not counted)", time.perf_counter() - start, args.batteries)

    start = time.perf_counter()
    result = assess(readings)
    computed = time.perf_counter() - start
    _timed("assess: SOH, fits, RUL, warnings, value", computed, args.batteries)
    total = computed

    if args.passport:
        start = time.perf_counter()
        count = sum(len(measurements(result, b, "bench")[0]) for b in range(args.batteries))
        spent = time.perf_counter() - start
        _timed(f"passport measurements ({count:,})", spent, args.batteries)
        total += spent

    fitted = result.capacity_fit.ok.mean()
    finite = np.isfinite(result.life.years)
    faults = any_of_kind(result.flags, "fault").mean()
    print(f"  fitted {fitted:.1%}; median RUL {np.median(result.life.years[finite]):.1f} years; "
          f"fault warnings {faults:.2%} (true faults {(~truth.sound).mean():.2%})")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory {peak:,.0f} MiB")
    print(f"SOH computation: {total:.2f} s against the {GOAL_SECONDS:.0f} s goal: "
          f"{total / GOAL_SECONDS:.2f} of the budget ({GOAL_SECONDS / total:.1f}x headroom)")  # fmt: skip


if __name__ == "__main__":
    main()
