"""Figures → rich tables for people, a JSON document for machines. Benchmarks report; never assert."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _measure import Run, Summary, summarise
from rich.console import Console
from rich.table import Table

# The goals from the issue, on this 2-core machine.
GOAL_EXCHANGE_P50_MS = 50.0
GOAL_FETCH_P50_MS = 5.0
GOAL_NEGOTIATIONS_PER_S = 200.0
# Anchors: Eclipse EDC's end-to-end pull test (~7 s, state machines polling every 1 s) and the Catena-X
# target of 1 s per data call.
EDC_E2E_PULL_MS = 7000.0
CATENA_X_DATA_CALL_MS = 1000.0


@dataclass(frozen=True)
class Scenario:
    """One measured phase, reduced: latency percentiles, throughput and CPU per operation."""

    name: str
    clients: int
    latency: Summary
    per_second: float
    wall_seconds: float
    errors: int
    first_error: str | None
    cpu_ms_per_op: dict[str, float]
    phases_p50_ms: dict[str, float]
    polls_per_op: float


def reduce(name: str, clients: int, run: Run) -> Scenario:
    done = max(len(run.latencies), 1)
    return Scenario(
        name=name, clients=clients, latency=summarise(run.latencies), per_second=run.per_second(),
        wall_seconds=run.wall_seconds, errors=len(run.errors),
        first_error=run.errors[0] if run.errors else None,
        cpu_ms_per_op={who: 1000 * seconds / done for who, seconds in run.cpu_seconds.items()},
        phases_p50_ms={phase: summarise(values).p50_ms for phase, values in run.phases.items()},
        polls_per_op=run.polls / done,
    )


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def goals(scenarios: dict[str, Scenario]) -> list[dict[str, Any]]:
    """Rows of measured vs goal; `ratio` is measured/goal (latency: ≤ 1 meets; throughput: ≥ 1 meets)."""
    exchange = scenarios["exchange_sequential"].latency.p50_ms
    fetch = scenarios["fetch_sequential"].latency.p50_ms
    negotiations = scenarios["negotiation_concurrent"].per_second
    rows = [
        ("full exchange p50 (ms)", exchange, GOAL_EXCHANGE_P50_MS, True),
        ("data fetch p50 (ms)", fetch, GOAL_FETCH_P50_MS, True),
        ("negotiations/s", negotiations, GOAL_NEGOTIATIONS_PER_S, False),
        ("full exchange p50 vs EDC e2e pull test (ms)", exchange, EDC_E2E_PULL_MS, True),
        ("data fetch p50 vs Catena-X 1 s per call (ms)", fetch, CATENA_X_DATA_CALL_MS, True),
    ]
    return [{"metric": metric, "measured": measured, "goal": goal, "ratio": measured / goal,
             "meets": measured <= goal if lower_is_better else measured >= goal}
            for metric, measured, goal, lower_is_better in rows]


def print_report(console: Console, result: dict[str, Any], scenarios: dict[str, Scenario]) -> None:
    load = f"{result['load_average_before'][0]:.2f} → {result['load_average_after'][0]:.2f}"
    console.print(f"[bold]battrace exchange benchmark[/bold] — {result['backend']}, N={result['n']}, "
                  f"C={result['concurrency']}, poll {result['poll_ms']} ms, "
                  f"{result['machine']['cpus']} CPUs, load {load}")
    console.print(_goal_table(result["goals"]))
    console.print(_latency_table(scenarios))
    console.print(_phase_table(scenarios["exchange_sequential"], result["cold_exchange_ms"]))
    console.print(_node_table(result["nodes"]))


def _goal_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Goals and anchors (ratio = measured / goal)")
    for column in ("metric", "measured", "goal", "ratio", ""):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for row in rows:
        verdict = "[green]meets[/green]" if row["meets"] else "[red]misses[/red]"
        table.add_row(row["metric"], _ms(row["measured"]), _ms(row["goal"]), f"{row['ratio']:.2f}", verdict)
    return table


def _latency_table(scenarios: dict[str, Scenario]) -> Table:
    table = Table(title="Latency (ms), throughput, CPU per operation (ms)")
    for column in ("scenario", "C", "n", "p50", "p95", "p99", "max", "ops/s", "err", "polls/op",
                   "CPU prov.", "CPU cons.", "CPU bench"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for s in scenarios.values():
        cpu = s.cpu_ms_per_op
        table.add_row(s.name, str(s.clients), str(s.latency.count), _ms(s.latency.p50_ms),
                      _ms(s.latency.p95_ms), _ms(s.latency.p99_ms), _ms(s.latency.max_ms),
                      f"{s.per_second:.1f}", str(s.errors), f"{s.polls_per_op:.1f}",
                      _ms(cpu.get("provider", math.nan)), _ms(cpu.get("consumer", math.nan)),
                      _ms(cpu.get("bench", math.nan)))
    return table


def _phase_table(exchange: Scenario, cold_ms: float) -> Table:
    table = Table(title="Where a sequential full exchange spends its time "
                        f"(p50 ms; cold first run {cold_ms:.0f} ms)")
    table.add_column("phase")
    table.add_column("p50 ms", justify="right")
    for phase, ms in exchange.phases_p50_ms.items():
        table.add_row(phase, _ms(ms))
    return table


def _node_table(nodes: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="Nodes")
    for column in ("node", "start (ms)", "RSS at rest (MiB)", "RSS after run (MiB)"):
        table.add_column(column, justify="left" if column == "node" else "right")
    for role, node in nodes.items():
        table.add_row(f"{role} ({node['name']})", f"{node['start_ms']:.0f}",
                      f"{node['rss_rest_kib'] / 1024:.1f}", f"{node['rss_after_kib'] / 1024:.1f}")
    return table


def write_json(directory: Path, stamp: str, result: dict[str, Any], scenarios: dict[str, Scenario]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stamp}.json"
    document = {**result, "scenarios": {key: asdict(value) for key, value in scenarios.items()}}
    # NaN is not JSON; a scenario without samples is written as null.
    path.write_text(json.dumps(_no_nan(document), indent=2) + "\n", "utf-8")
    return path


def _no_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value
