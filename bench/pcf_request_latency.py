"""Per-request latency of a footprint request across four real nodes (issue 6 item 8). Figures, not a test.

    /work/venv/bin/python bench/pcf_request_latency.py            # N=20 per scenario (about 2 minutes)
    /work/venv/bin/python bench/pcf_request_latency.py --n 100

refiner → cathode maker → cell maker → pack maker (OEM), each its own `battrace serve` process with its own
SQLite database (`battrace.devnet.NodeProcess`), the products and granted granularities of the shipped
example chain (src/battrace/apps/pcf/data/example_chain.json), as in tests/integration/test_pcf_chain.py.
After the tier-by-tier roll-up, three scenarios, each timed through the management API as a company's own
systems would drive it:

* ``pull`` — the OEM pulls the cell maker's disclosure (``POST /management/v3/pcf/received``): catalog,
  negotiation to FINALIZED, transfer to STARTED, EDR, data-plane GET, delivery-signature check, store.
  Every request negotiates anew (PcfService keeps no agreement between pulls).
* ``chain`` — a fresh footprint at the OEM: each buyer in turn pulls its supplier's disclosure and computes
  (cathode ← refiner, cell ← cathode, pack ← cell): three pulls and three roll-ups, one after another.
* ``catenax`` — the PCF Exchange KIT round trip OEM ↔ cell maker: the OEM's request (its node sends
  ``GET /productIds/{id}?requestId=`` on the cell maker's exchange asset → 202), the cell maker's operator
  answers (its node ``PUT``s the io.catenax.pcf 9.0.0 payload on the OEM's exchange asset), the OEM reads the
  answered request. The first round trip negotiates both ways (reported apart as cold); later ones reuse the
  EDRs each node keeps, which is what the KIT's EDR cache is for.

For each: the first (cold) request apart, then p50 / p99 / max over the N that follow, and per phase where
there are phases. The 1-minute load average before and after is printed: other work on the machine skews
every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from battrace.apps.pcf.example import Chain, example_chain, granted, product_body
from battrace.devnet import NodeProcess

TIERS = ("refiner", "cathode", "cell", "pack")
BUYER = {"refiner": "cathode", "cathode": "cell", "cell": "pack"}
PCF = "/management/v3/pcf"
EXCHANGE = "/management/v3/pcf-exchange"


def bpn(name: str) -> str:
    return f"BPNL{name.upper():0>12}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _member(name: str) -> dict[str, Any]:
    agreements = {"DataExchangeGovernance": "1.0"}
    return {"bpn": bpn(name), "membership": "active", "frameworkAgreements": agreements}


class Net:
    def __init__(self, nodes: dict[str, NodeProcess], chain: Chain) -> None:
        self.nodes = nodes
        self.chain = chain
        self.clients = {name: node.client() for name, node in nodes.items()}
        self.offers: dict[str, dict[str, Any]] = {}

    def call(self, name: str, method: str, path: str, body: Any = None) -> Any:
        return self.clients[name].call(method, path, body, expect=(200, 201))

    def pull(self, buyer: str, supplier: str, received: str) -> None:
        node = self.nodes[supplier]
        body = {"providerDsp": node.dsp, "providerDid": node.did, "assetId": self.offers[supplier]["assetId"]}
        self.call(buyer, "POST", f"{PCF}/received", {"id": received, **body})

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def _start(root: Path) -> tuple[dict[str, NodeProcess], dict[str, float]]:
    nodes = {name: NodeProcess(name, free_port(), root) for name in TIERS}
    for supplier, buyer in BUYER.items():
        nodes[supplier].peers[nodes[buyer].did] = _member(buyer)
        nodes[buyer].peers[nodes[supplier].did] = _member(supplier)

    def timed(node: NodeProcess) -> float:
        began = time.perf_counter()
        node.start(timeout=180)
        return time.perf_counter() - began

    with ThreadPoolExecutor(len(nodes)) as pool:
        seconds = dict(zip(nodes, pool.map(timed, nodes.values()), strict=True))
    return nodes, seconds


def _roll_up(net: Net) -> None:
    """Tier by tier: product, the supplier's disclosure, compute, offer to the buyer (DSP and Catena-X)."""
    for name in TIERS:
        net.call(name, "PUT", f"{PCF}/products/{name}", product_body(net.chain, name))
        for supplier, buyer in BUYER.items():
            if buyer == name:
                net.pull(name, supplier, supplier)
        net.call(name, "POST", f"{PCF}/products/{name}/compute")
        net.call(name, "PUT", f"{EXCHANGE}/asset", {"bpn": bpn(name)})
        if name in BUYER:
            body = {"recipientBpn": bpn(BUYER[name]), "granularity": granted(net.chain, name).value}
            net.offers[name] = net.call(name, "POST", f"{PCF}/products/{name}/disclosures", body)
            header = {"productName": f"{name} product", "massPerDeclaredUnit": "1", "granularity": "total"}
            net.call(name, "PUT", f"{EXCHANGE}/products/{name}", header)


# -- scenarios: each returns its phases in seconds ----------------------------------------------------------


def _pull(net: Net, i: int) -> dict[str, float]:
    began = time.perf_counter()
    net.pull("pack", "cell", f"bench-cell-{i}")
    return {"total": time.perf_counter() - began}


def _chain(net: Net, i: int) -> dict[str, float]:
    del i
    phases, began = {}, time.perf_counter()
    for supplier, buyer in BUYER.items():
        step = time.perf_counter()
        net.pull(buyer, supplier, supplier)  # the BOM line's key: the new pull replaces the old
        net.call(buyer, "POST", f"{PCF}/products/{buyer}/compute")
        phases[f"{supplier}→{buyer}"] = time.perf_counter() - step
    return phases | {"total": time.perf_counter() - began}


def _catenax(net: Net, i: int) -> dict[str, float]:
    del i
    cell = net.nodes["cell"]
    product_id = next(n.product_id for n in net.chain.nodes if n.id == "cell")
    body = {"providerDsp": cell.dsp, "providerDid": cell.did, "productId": product_id}
    began = time.perf_counter()
    request_id = net.call("pack", "POST", f"{EXCHANGE}/requests", body)["requestId"]
    asked = time.perf_counter()
    net.call("cell", "POST", f"{EXCHANGE}/incoming/{request_id}/answer")
    answered = time.perf_counter()
    state = net.call("pack", "GET", f"{EXCHANGE}/requests/{request_id}")["state"]
    if state != "answered":
        raise RuntimeError(f"request {request_id} is {state} after the answer")
    done = time.perf_counter()
    return {
        "GET→202": asked - began,
        "answer PUT": answered - asked,
        "read": done - answered,
        "total": done - began,
    }


SCENARIOS: dict[str, Callable[[Net, int], dict[str, float]]] = {
    "pull": _pull,
    "chain": _chain,
    "catenax": _catenax,
}


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation: every figure is one that was measured)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def _report(name: str, cold: dict[str, float], runs: list[dict[str, float]]) -> None:
    print(f"\n{name}: cold {cold['total'] * 1000:.0f} ms; N={len(runs)}")
    print(f"  {'phase':<18}{'cold':>9}{'p50':>9}{'p99':>9}{'max':>9}  (ms)")
    for phase in cold:
        values = [run[phase] for run in runs]
        row = [cold[phase], percentile(values, 0.5), percentile(values, 0.99), max(values)]
        print(f"  {phase:<18}" + "".join(f"{v * 1000:>9.1f}" for v in row))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20, help="warm requests per scenario (after the cold one)")
    parser.add_argument("--scenario", choices=(*SCENARIOS, "all"), default="all")
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    root = Path(tempfile.mkdtemp(prefix="battrace-bench-pcf-"))
    nodes, start_seconds = _start(root)
    print("node start (process to /health): " + ", ".join(f"{k} {v:.1f} s" for k, v in start_seconds.items()))
    net = Net(nodes, example_chain())
    try:
        began = time.perf_counter()
        _roll_up(net)
        print(f"setup roll-up (3 pulls, 4 computes, offers): {time.perf_counter() - began:.1f} s")
        for name, scenario in SCENARIOS.items():
            if args.scenario not in (name, "all"):
                continue
            cold = scenario(net, 0)
            runs = [scenario(net, i) for i in range(1, args.n + 1)]
            _report(name, cold, runs)
    finally:
        net.close()
        for node in nodes.values():
            node.stop()
        shutil.rmtree(root, ignore_errors=True)
    print(f"\nload after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
