"""Due-diligence roll-up over a synthetic supply chain of 1 000 suppliers. Figures, not a test.

    /work/venv/bin/python bench/dd_rollup.py               # 1 000 suppliers, 20 repeats (a few seconds)
    /work/venv/bin/python bench/dd_rollup.py --suppliers 10000 --repeat 5

The chain: one root (cell maker) above four tiers growing by ``--fanout``; every supplier serves one random
customer in the tier below, and every customer buys from one more random supplier besides, so many suppliers
serve several customers (a DAG, as real chains are) and all of them are upstream of the root. Every company
declares 1-4 of the Annex X minerals with 3-12 smelters from a pool of 600 (RMI-like ids), 1 in 5 smelters
without an id; 5 % answer question 4 "Yes", 10 % "Unknown", 5 % of the suppliers never respond. A fixed seed
makes two runs measure the same chain.

Measured, each ``--repeat`` times (p50 and max of wall time; the first run is included, nothing is cached
between runs): ``roll_up`` (walk + union of smelter sets + weakest-answer propagation + the rolled
declaration), ``results`` on the rolled declaration (coverage, conformant share, CAHRA exposure, Annex X risk,
OECD steps), and once: the rolled declaration to .xlsx and back, and to JSON.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from battrace.apps.duediligence.cahra import default_cahra_list
from battrace.apps.duediligence.metrics import ConformantList, results
from battrace.apps.duediligence.model import ANNEX_X_MINERALS, Declaration
from battrace.apps.duediligence.rollup import Node, RollUp, roll_up
from battrace.apps.duediligence.workbook import export_workbook, import_workbook

COUNTRIES = ("CD", "CN", "AU", "CL", "ID", "PH", "FI", "CA", "BR", "TZ", "MZ", "AR", "ZM", "MG")
TIERS = 4
POOL = 600


def _smelter_pool(rng: random.Random) -> list[dict[str, Any]]:
    pool = []
    for n in range(POOL):
        mineral = ANNEX_X_MINERALS[n % len(ANNEX_X_MINERALS)]
        smelter: dict[str, Any] = {
            "mineral": mineral,
            "name": f"{mineral.title()} refinery {n}",
            "country": rng.choice(COUNTRIES),
            "mine_countries": [rng.choice(COUNTRIES)],
        }
        if rng.random() > 0.2:
            smelter["smelter_id"] = f"CID{n:06d}"
        pool.append(smelter)
    return pool


def _answers(mineral: str, rng: random.Random) -> dict[str, str]:
    draw = rng.random()
    cahra = "Yes" if draw < 0.05 else "Unknown" if draw < 0.15 else "No"
    return {
        "mineral": mineral,
        "intentionally_added": "Yes",
        "remains_in_product": "Yes",
        "covered_countries": "Yes" if cahra == "Yes" else "No",
        "cahra": cahra,
        "all_recycled": "No",
        "suppliers_responded": "Greater than 90%",
        "all_smelters_identified": rng.choice(("Yes", "No")),
        "all_smelter_info_reported": "Yes",
    }


def _declaration(
    name: str, minerals: Sequence[str], pool: list[dict[str, Any]], rng: random.Random
) -> Declaration:
    candidates = [s for s in pool if s["mineral"] in minerals]
    yes = rng.choice(("Yes", "No"))
    return Declaration.model_validate(
        {
            "template": "EMRT",
            "template_version": "2.1",
            "company": {
                "name": name,
                "declaration_scope": "A. Company",
                "contact_name": "Contact",
                "contact_email": "dd@example.com",
                "authorizer_name": "Director",
                "effective_date": date(2026, 3, 31),
            },
            "minerals": [_answers(m, rng) for m in minerals],
            "company_answers": {
                "policy": "Yes",
                "policy_public": yes,
                "requires_validated_smelters": "Yes",
                "dd_measures": "Yes",
                "supplier_survey": "Yes",
                "reviews_supplier_info": yes,
                "corrective_action": "Yes",
            },
            "smelters": rng.sample(candidates, min(len(candidates), rng.randint(3, 12))),
        }
    )


def _relations(
    customers: list[str], upstream: list[str], shared: int, rng: random.Random
) -> dict[str, set[str]]:
    """Each upstream company supplies one random customer (so every supplier is reachable), and every
    customer buys from ``shared`` more random upstream companies (suppliers with several customers)."""
    edges: dict[str, set[str]] = {c: set() for c in customers}
    for supplier in upstream:
        edges[rng.choice(customers)].add(supplier)
    for customer in customers:
        edges[customer].update(rng.sample(upstream, min(shared, len(upstream))))
    return edges


def build_chain(suppliers: int, fanout: int, seed: int) -> dict[str, Node]:
    """Root + ``suppliers`` companies in TIERS tiers, tier sizes growing by ``fanout``."""
    rng = random.Random(seed)
    pool = _smelter_pool(rng)
    weights = [fanout**t for t in range(1, TIERS + 1)]
    sizes = [max(1, round(suppliers * w / sum(weights))) for w in weights]
    sizes[-1] += suppliers - sum(sizes)
    tiers: list[list[str]] = [["root"]] + [[f"t{t + 1}-{i}" for i in range(n)] for t, n in enumerate(sizes)]
    nodes = {}
    for t, companies in enumerate(tiers):
        upstream = tiers[t + 1] if t + 1 < len(tiers) else []
        edges = _relations(companies, upstream, 1, rng) if upstream else {}
        for company in companies:
            silent = company != "root" and rng.random() < 0.05
            count = 4 if company == "root" else rng.randint(1, 4)
            minerals = rng.sample(ANNEX_X_MINERALS, count)
            declaration = None if silent else _declaration(company, minerals, pool, rng)
            nodes[company] = Node(company, declaration, tuple(sorted(edges.get(company, ()))))
    return nodes


def _time(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    runs, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        runs.append(time.perf_counter() - start)
    return runs, value


def _row(name: str, runs: list[float], note: str = "") -> None:
    p50, worst = statistics.median(runs) * 1000, max(runs) * 1000
    print(f"  {name:<28} p50 {p50:>9.2f} ms   max {worst:>9.2f} ms   {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=1000)
    parser.add_argument("--fanout", type=int, default=4, help="direct suppliers per company")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    nodes = build_chain(args.suppliers, args.fanout, args.seed)
    relations = sum(len(n.suppliers) for n in nodes.values())
    declared_rows = sum(len(n.declaration.smelters) for n in nodes.values() if n.declaration)
    print(
        f"chain: {len(nodes) - 1:,} suppliers, {relations:,} supply relations, "
        f"{declared_rows:,} smelter rows declared (built in {time.perf_counter() - start:.1f} s); "
        f"load {os.getloadavg()[0]:.2f}"
    )

    runs, rolled = _time(lambda: roll_up("root", nodes), args.repeat)
    assert isinstance(rolled, RollUp)
    decl = rolled.declaration
    _row(
        "roll_up",
        runs,
        f"{len(decl.smelters)} smelters in the union, "
        f"{len(rolled.responded)}/{len(rolled.requested)} responded",
    )
    conformant = ConformantList("bench", frozenset(f"CID{n:06d}" for n in range(0, POOL, 2)))
    cahra = default_cahra_list()
    runs, _ = _time(lambda: results(decl, cahra, conformant, rolled.requested, rolled.responded), args.repeat)
    _row("results (all metrics)", runs)
    runs, content = _time(lambda: export_workbook(decl), 1)
    assert isinstance(content, bytes)
    _row("export_workbook (once)", runs, f"{len(content) / 1000:.0f} kB")
    runs, back = _time(lambda: import_workbook(content), 1)
    _row("import_workbook (once)", runs, "round trip equal" if back == decl else "ROUND TRIP DIFFERS")
    runs, text = _time(decl.model_dump_json, 1)
    _row("declaration to JSON (once)", runs, f"{len(str(text)) / 1000:.0f} kB")
    print(f"  load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
