"""Merkle log core figures (issue 4 item 9): appends/s, proof generation p50/p99 and verifications/s.

Not a test: nothing is asserted. The tree is a ``MemoryTree`` (one flat bytearray of 32-byte hashes per level,
about 64 bytes per leaf in total), grown in steps to each size, so appends are timed over the whole run and
proofs are timed against the tree as it stands at each size (the size of the tree is the proof's second size).

    /work/venv/bin/python bench/ledger_merkle.py                  # 10^5, 10^6, 10^7 leaves (about a minute)
    /work/venv/bin/python bench/ledger_merkle.py --sizes 100000 1000000 --samples 5000
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections.abc import Callable
from functools import partial

from battrace.ledger.merkle import (
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    root_at,
    verify_consistency,
    verify_inclusion,
)

GOALS = "goals (issue 4): >= 100 000 appends/s batched; proofs <= 1 ms p50 at 10^7 entries"


def _grow(tree: MemoryTree, size: int) -> tuple[int, float]:
    """Append fixed-width entries up to ``size``; return how many were appended and the seconds it took."""
    start, t0 = tree.size, time.perf_counter()
    append = tree.append
    for i in range(start, size):
        append(i.to_bytes(8, "big"))  # entry data is hashed as a leaf inside append
    return size - start, time.perf_counter() - t0


def _percentiles(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49] * 1e6, q[98] * 1e6


def _time_each(calls: list[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def _measure(tree: MemoryTree, samples: int, rng: random.Random) -> dict[str, float]:
    n = tree.size
    indexes = [rng.randrange(n) for _ in range(samples)]
    firsts = [rng.randrange(1, n) for _ in range(samples)]
    incl = _time_each([partial(inclusion_proof, i, n, tree) for i in indexes])
    cons = _time_each([partial(consistency_proof, m, n, tree) for m in firsts])
    root = tree.root()
    incl_cases = [(i, tree.subtree(0, i), inclusion_proof(i, n, tree)) for i in indexes]
    t0 = time.perf_counter()
    ok = all(verify_inclusion(i, n, leaf, proof, root) for i, leaf, proof in incl_cases)
    incl_rate = len(incl_cases) / (time.perf_counter() - t0)
    cons_cases = [(m, root_at(m, tree), consistency_proof(m, n, tree)) for m in firsts]
    t0 = time.perf_counter()
    ok = ok and all(verify_consistency(m, n, r1, root, proof) for m, r1, proof in cons_cases)
    cons_rate = len(cons_cases) / (time.perf_counter() - t0)
    if not ok:
        raise SystemExit("a generated proof failed to verify")
    ip50, ip99 = _percentiles(incl)
    cp50, cp99 = _percentiles(cons)
    return {
        "incl_p50": ip50,
        "incl_p99": ip99,
        "cons_p50": cp50,
        "cons_p99": cp99,
        "verify_incl_s": incl_rate,
        "verify_cons_s": cons_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**5, 10**6, 10**7])
    parser.add_argument("--samples", type=int, default=2000, help="proofs timed per size")
    args = parser.parse_args()
    rng = random.Random(4)
    tree = MemoryTree()
    appended, seconds = 0, 0.0
    print(GOALS)
    header = "{:>10} {:>12} {:>10} {:>10} {:>10} {:>10} {:>12} {:>12} {:>8}"
    print(
        header.format(
            "leaves",
            "appends/s",
            "incl p50",
            "incl p99",
            "cons p50",
            "cons p99",
            "verify-i/s",
            "verify-c/s",
            "RSS MiB",
        )
    )
    print(header.format("", "(cumul.)", "µs", "µs", "µs", "µs", "", "", "(peak)"))
    for size in sorted(args.sizes):
        count, secs = _grow(tree, size)
        appended, seconds = appended + count, seconds + secs
        m = _measure(tree, args.samples, rng)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            header.format(
                f"{size:,}",
                f"{appended / seconds:,.0f}",
                f"{m['incl_p50']:.1f}",
                f"{m['incl_p99']:.1f}",
                f"{m['cons_p50']:.1f}",
                f"{m['cons_p99']:.1f}",
                f"{m['verify_incl_s']:,.0f}",
                f"{m['verify_cons_s']:,.0f}",
                f"{rss:,.0f}",
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
