"""`battrace demo`: a battery's whole life across a Japanese and a European data space, in one command.

Two operators with their certification bodies recognise each other; seven companies (refiner, cathode material
maker, cell maker in Japan; carmaker, fleet operator, reuse operator, recycler in Europe) run their own nodes.
The scenario: certification, due diligence up the chain, the carbon-footprint roll-up, passports with QR
codes, a year of usage, repurposing with a linked second-life passport, collection and recycling, signed
checkpoints, and finally a withdrawn recognition refusing the next exchange. Every call is real HTTP between
real processes, as a company's own systems would make it.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from battrace.demo import life, supply
from battrace.demo.network import JP, Network

T = TypeVar("T")
PASSPORTS = 50
PASSPORTS_FAST = 10


def run_demo(
    console: Console,
    *,
    base_port: int = 8101,
    work_dir: Path | None = None,
    keep_running: bool = False,
    seed: int = 2,
    fast: bool = False,
) -> int:
    own_dir = work_dir is None
    root = work_dir or Path(tempfile.mkdtemp(prefix="battrace-demo-"))
    net = Network(root, base_port)
    timings: dict[str, float] = {}
    try:
        with _progress(console) as progress:
            result = _scenario(_Stepper(progress, timings), net, seed=seed, fast=fast)
        _summary(console, net, timings, result)
        if keep_running:
            console.print("The network keeps running; press Ctrl+C to stop.")
            while True:
                time.sleep(3600)
        return 0
    except KeyboardInterrupt:
        return 0
    except Exception as error:
        console.print(f"[red]demo failed:[/red] {error}")
        console.print(f"node logs: {root}")
        return 1
    finally:
        net.stop()
        if own_dir and not keep_running:
            shutil.rmtree(root, ignore_errors=True)


def _scenario(step: _Stepper, net: Network, *, seed: int, fast: bool) -> dict[str, Any]:
    step("start two data spaces and seven company nodes", net.start)
    step("certification bodies certify their members (membership, role, connector, DEG)", net.certify_all)
    step("the Japanese and European spaces recognise each other's certifications", net.recognise_each_other)
    result: dict[str, Any] = {"dd": supply.due_diligence(step, net)}
    result["footprints"], result["carbon"] = supply.carbon_footprint(step, net)
    count = PASSPORTS_FAST if fast else PASSPORTS
    ids = life.issue_passports(
        step, net, count=count, carbon=result["carbon"], due_diligence=result["dd"]["passportValues"]
    )
    result["passports"] = ids
    result["views"] = life.read_levels(step, net, ids[0])
    result["usage"] = life.usage_year(step, net, ids, seed=seed)
    result["second_life"] = life.repurpose(step, net, ids[0])
    result["recycling"] = life.end_of_life(step, net, result["second_life"])
    result["loop"] = life.closed_loop(step, net)
    result["checkpoints"] = step(
        "every node signs a checkpoint of its transaction log",
        lambda: {key: _checkpoint(node.base_url) for key, node in net.nodes.items()},
    )
    result["refused"] = step(
        "Japan withdraws its recognition: the carmaker is refused at the next exchange",
        lambda: _withdrawal_refuses(net),
    )
    return result


def _withdrawal_refuses(net: Network) -> bool:
    net.withdraw(JP, "demo: recognition withdrawn")
    cell, oem = net["cell"], net["oem"]
    with oem.client() as client:
        catalog = client.catalog(cell.dsp, cell.did)
    if catalog.get("dataset"):
        raise RuntimeError("the carmaker still sees the cell maker's offer after the withdrawal")
    return True


def _checkpoint(base_url: str) -> str:
    lines = httpx.get(base_url + "/log/checkpoint", timeout=10).text.splitlines()
    return f"{lines[0]} size {lines[1]} root {lines[2][:16]}…"


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    )


class _Stepper:
    """Runs one step of the demo under a progress bar and records how long it took."""

    def __init__(self, progress: Progress, timings: dict[str, float]) -> None:
        self._progress = progress
        self._timings = timings

    def __call__(self, description: str, action: Callable[[], T]) -> T:
        task = self._progress.add_task(description, total=1)
        started = time.perf_counter()
        result = action()
        self._timings[description] = time.perf_counter() - started
        self._progress.update(task, completed=1)
        return result


def _summary(console: Console, net: Network, timings: dict[str, float], result: dict[str, Any]) -> None:
    nodes = Table(title="The network")
    for column in ("company", "space", "role", "node", "console"):
        nodes.add_column(column)
    for operator in net.operators.values():
        console_url = operator.base_url + "/console"
        nodes.add_row(operator.name, operator.name[:2].upper(), "operator", operator.base_url, console_url)
    for key, node in net.nodes.items():
        company = net.companies[key]
        nodes.add_row(
            company.legal_name, company.space.upper(), company.role, node.base_url, node.base_url + "/console"
        )
    console.print(nodes)
    steps = Table(title="Steps")
    steps.add_column("step")
    steps.add_column("ms", justify="right")
    for description, seconds in timings.items():
        steps.add_row(description, f"{seconds * 1000:.0f}")
    console.print(steps)
    console.print(_figures(net, result))
    oem = net["oem"]
    first = result["passports"][0]
    console.print(
        f"Passport viewer: [link={oem.base_url}/passport/{first}]{oem.base_url}/passport/{first}[/link]"
    )
    console.print(f"QR code (SVG):   {oem.base_url}/passport/{first}/qr.svg")
    console.print(f"Second life:     {net['reuse'].base_url}/passport/{result['second_life']}")
    for key, line in result["checkpoints"].items():
        console.print(f"Signed checkpoint ({key}): {line}")
    if result["refused"]:
        console.print(
            "After Japan withdrew its recognition of European credentials, the carmaker's next catalog "
            "request to the cell maker showed nothing: refused, as the trust lists say."
        )


def _figures(net: Network, result: dict[str, Any]) -> Table:
    table = Table(title="What the data space computed (nobody saw another company's recipe)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("where it lives")
    for key in ("refiner", "cathode", "cell", "oem"):
        footprint = result["footprints"][key]
        where = net.companies[key].node_name + ("" if key == "oem" else " (disclosed to its buyer only)")
        table.add_row(
            f"carbon footprint, {net.companies[key].legal_name}",
            f"{float(footprint['total']):.4g} kg CO2e / {footprint['declared_unit']}",
            where,
        )
    values = result["carbon"]["values"]
    table.add_row(
        "pack: kg CO2e per kWh of lifetime energy (Art. 7)",
        f"{values['carbon_footprint_per_functional_unit']}",
        "passport, public",
    )
    shares = ", ".join(
        f"{name} {values[f'carbon_footprint_{name}_share']} %"
        for name in ("raw_material", "production", "distribution", "end_of_life")
    )
    table.add_row("pack: life-cycle stage shares", shares, "passport, public")
    dd = result["dd"]["results"]
    table.add_row("due diligence: supplier response rate", f"{dd['responseRate'] * 100:.0f} %", "carmaker")
    table.add_row(
        "due diligence: CAHRA exposure",
        ", ".join(f"{m} {e['answer']}" for m, e in dd["cahraExposure"].items()),
        "passport summary, public",
    )
    table.add_row("battery passports issued", str(len(result["passports"])), net.companies["oem"].node_name)
    public, shared = result["views"]["public"], result["views"]["recycler"]
    table.add_row(
        "attributes seen: public / certified recycler",
        f"{len(public['values'])} / {len(shared['values'])}",
        "Art. 77(2) access levels",
    )
    table.add_row(
        "state-of-health assessments written by the fleet operator",
        str(len(result["usage"].get("batteries", []))),
        "passport, legitimate interest",
    )
    verdicts = {True: "meets", False: "misses", None: "no target"}
    for element, rate in sorted(result["recycling"]["facility"]["recovery"].items()):
        verdict = verdicts[rate.get("meets")]
        table.add_row(f"material recovery, {element}", f"{rate['percent']} % ({verdict})", "recycler")
    collection = result["recycling"]["collection"]
    table.add_row(
        "collection rate 2027, portable (Annex XI)",
        f"{collection['percent']} % ({verdicts[collection.get('meets')]})",
        "carmaker, from the recycler's report",
    )
    loop = result["loop"]["values"]
    table.add_row(
        "new cell: recycled cobalt, pre- / post-consumer (Art. 8)",
        f"{loop['pre_consumer_recycled_cobalt_share']} % / {loop['post_consumer_recycled_cobalt_share']} %",
        "new cell's passport, public",
    )
    return table
