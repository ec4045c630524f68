"""`battrace demo`: three companies of a battery supply chain on loopback, over real HTTP.

A cell maker publishes the carbon footprint of a cell model under a Catena-X usage policy; a vehicle OEM
finds it in the catalog, negotiates a contract, starts a pull transfer and fetches the data. Each node is a
separate process with its own keys (did:web) and its own SQLite database. The carmaker then issues battery
passports, and a certified recycler reads them through the data space (``battrace.demo_passport``).
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

from battrace.client import first_offer
from battrace.demo_passport import passport_stage
from battrace.devnet import NodeProcess
from battrace.operator.client import SpaceClient
from battrace.operator.devnet import OperatorProcess
from battrace.provenance import DirectoryProvenanceStore

T = TypeVar("T")

CELL_FOOTPRINT: dict[str, Any] = {
    "productId": "urn:battrace:cell-model:NMC811-LFP-60Ah",
    "declaredUnit": "kilogram",
    "pcfExcludingBiogenic": 58.4,
    "unit": "kg CO2e per kWh",
    "referencePeriod": {"start": "2026-01-01T00:00:00Z", "end": "2026-12-31T23:59:59Z"},
    "stageShares": {"rawMaterials": 0.61, "mainProduction": 0.33, "distribution": 0.04, "endOfLife": 0.02},
}
CELL_MAKER_BPN = "BPNL000000000CEL"
OEM_BPN = "BPNL000000000OEM"
RECYCLER_BPN = "BPNL000000000REC"
PCF_PROPERTIES = {"http://purl.org/dc/terms/type": {"@id": "https://w3id.org/catenax/taxonomy#PcfExchange"}}
# Access: members of a recognised data space, and only this carmaker (Catena-X operands over credentials).
MEMBERS_WITH_BPN = [{"action": "access", "constraint": [{"and": [
    {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
    {"leftOperand": "BusinessPartnerNumber", "operator": "isAnyOf", "rightOperand": [OEM_BPN]},
]}]}]  # fmt: skip
PCF_USAGE = [{"action": "use", "constraint": [{"and": [
    {"leftOperand": "UsagePurpose", "operator": "isAnyOf", "rightOperand": ["cx.pcf.base:1"]},
]}]}]  # fmt: skip


def run_demo(
    console: Console, *, base_port: int = 8101, work_dir: Path | None = None, keep_running: bool = False
) -> int:
    own_dir = work_dir is None
    root = work_dir or Path(tempfile.mkdtemp(prefix="battrace-demo-"))
    jp_space = OperatorProcess("jp-space", base_port + 100, root)
    eu_space = OperatorProcess("eu-space", base_port + 101, root)
    # The demo shows changes at once; in production trust lists and verified claims are reused for up to 60 s.
    fast = {"trust_refresh_seconds": 0}
    cell_maker = NodeProcess("jp-cell-maker", base_port, root, extra={"spaces": [jp_space.base_url], **fast})
    oem = NodeProcess("eu-vehicle-oem", base_port + 1, root, extra={"spaces": [eu_space.base_url], **fast})
    recycler = NodeProcess("eu-recycler", base_port + 2, root, extra={"spaces": [eu_space.base_url], **fast})
    companies = (cell_maker, oem, recycler)
    for folder in (*(c.data_dir for c in companies), jp_space.space_dir, eu_space.space_dir):
        shutil.rmtree(folder, ignore_errors=True)  # the demo always starts from nothing
    processes: list[NodeProcess | OperatorProcess] = []
    timings: dict[str, float] = {}
    try:
        with _progress(console) as progress:
            step = _Stepper(progress, timings)

            def start_all() -> None:
                for process in (jp_space, eu_space, *companies):
                    processes.append(process.start())

            step("start the Japanese and European data spaces and three company nodes", start_all)
            spaces = Spaces(jp_space, eu_space)
            step(
                "certification bodies certify the cell maker (JP), the carmaker and the recycler (EU)",
                lambda: spaces.certify_members(cell_maker, oem, recycler),
            )
            step("the Japanese space recognises European memberships", spaces.recognise_eu_in_jp)
            result = _exchange(step, cell_maker, oem)
            result["passport"] = passport_stage(step, oem, recycler)
            result["after_withdrawal"] = step(
                "recognition withdrawn: the carmaker is refused at the next exchange",
                lambda: spaces.withdraw_and_check(cell_maker, oem),
            )
        _summary(console, companies, timings, result)
        if keep_running:
            console.print("Nodes keep running; press Ctrl+C to stop.")
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
        for process in reversed(processes):
            process.stop()
        if own_dir and not keep_running:
            shutil.rmtree(root, ignore_errors=True)


class Spaces:
    """The two data spaces' operators, driven through their management APIs (what `battrace space` does)."""

    def __init__(self, jp: OperatorProcess, eu: OperatorProcess) -> None:
        self.jp, self.eu = jp, eu
        self._http = httpx.Client(timeout=15)
        self._recognition: str | None = None

    def client(self, operator: OperatorProcess) -> SpaceClient:
        return SpaceClient(operator.base_url, self._http, api_key=operator.api_key)

    def certify_members(self, cell_maker: NodeProcess, oem: NodeProcess, recycler: NodeProcess) -> None:
        for operator, node, name, bpn, role in (
            (self.jp, cell_maker, "Cell Maker KK", CELL_MAKER_BPN, "CELL_MAKER"),
            (self.eu, oem, "Vehicle OEM AG", OEM_BPN, "VEHICLE_OEM"),
            (self.eu, recycler, "Recycling GmbH", RECYCLER_BPN, "RECYCLER"),
        ):
            request = {
                "participant": node.did,
                "name": name,
                "bpn": bpn,
                "roles": [role],
                "types": ["Membership", "Role", "ConnectorCertification"],
                "securityProfile": "TRUST",
                "certificationLevel": "COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW",
            }
            for credential in self.client(operator).certify(request):
                response = self._http.post(
                    node.base_url + "/management/v3/credentials",
                    json={"credential": credential},
                    headers={"X-Api-Key": node.api_key},
                )
                response.raise_for_status()

    def recognise_eu_in_jp(self) -> None:
        recognition = self.client(self.jp).recognize(
            {
                "foreignOperatorDid": self.eu.did,
                "credentialTypes": ["MembershipCredential"],
                "foreignTrustListUrl": self.eu.base_url + "/space/trust-list",
                "validDays": 365,
            }
        )
        self._recognition = str(recognition["id"])

    def withdraw_and_check(self, cell_maker: NodeProcess, oem: NodeProcess) -> bool:
        assert self._recognition is not None
        self.client(self.jp).withdraw(self._recognition, "demo: recognition withdrawn")
        with oem.client() as client:
            catalog = client.catalog(cell_maker.dsp, cell_maker.did)
        if catalog.get("dataset"):
            raise RuntimeError("the carmaker still sees the members-only dataset after the withdrawal")
        return True


def _exchange(step: _Stepper, cell_maker: NodeProcess, oem: NodeProcess) -> dict[str, Any]:
    provider, consumer = cell_maker.client(), oem.client()

    def publish() -> None:
        provider.create_asset("cell-pcf-NMC811", CELL_FOOTPRINT, properties=PCF_PROPERTIES)
        provider.create_policy("members-only", MEMBERS_WITH_BPN)
        provider.create_policy("pcf-usage", PCF_USAGE)
        provider.create_contract_definition("pcf-offer", "members-only", "pcf-usage", ["cell-pcf-NMC811"])

    step("cell maker publishes its cell carbon footprint", publish)
    catalog = step(
        "OEM requests the cell maker's catalog", lambda: consumer.catalog(cell_maker.dsp, cell_maker.did)
    )
    offer, contexts = first_offer(catalog, "cell-pcf-NMC811")

    def negotiate() -> dict[str, Any]:
        negotiation_id = consumer.negotiate(
            cell_maker.dsp, cell_maker.did, "cell-pcf-NMC811", offer, contexts
        )
        done = consumer.wait_negotiation(negotiation_id)
        if done["state"] != "FINALIZED":
            raise RuntimeError(f"negotiation ended {done['state']}: {done.get('errorDetail')}")
        return done

    negotiation = step("contract negotiation (DSP 2025-1)", negotiate)

    def transfer() -> dict[str, Any]:
        transfer_id = consumer.transfer(cell_maker.dsp, negotiation["contractAgreementId"])
        started = consumer.wait_transfer(transfer_id)
        if started["state"] != "STARTED":
            raise RuntimeError(f"transfer ended {started['state']}: {started.get('errorDetail')}")
        return started

    started = step("pull transfer with an endpoint data reference", transfer)

    def fetch() -> tuple[dict[str, Any], str]:
        response = consumer.fetch(consumer.edr(started["@id"]))
        response.raise_for_status()
        provenance = consumer.verify_delivery(
            response, cell_maker.did, keep_in=DirectoryProvenanceStore(oem.data_dir / "provenance")
        )
        data: dict[str, Any] = response.json()
        return data, provenance.sha256

    data, digest = step("OEM fetches the data and verifies the cell maker's signature", fetch)
    if data != CELL_FOOTPRINT:
        raise RuntimeError("fetched data differs from what the cell maker published")
    checkpoints = step(
        "both nodes sign a checkpoint of their transaction log",
        lambda: (_checkpoint(cell_maker), _checkpoint(oem)),
    )
    return {
        "catalog_datasets": len(catalog.get("dataset", [])),
        "agreement": negotiation["contractAgreementId"],
        "transfer": started["@id"],
        "data": data,
        "sha256": digest,
        "checkpoints": checkpoints,
    }


def _checkpoint(node: NodeProcess) -> str:
    text = httpx.get(node.base_url + "/log/checkpoint", timeout=10).text
    lines = text.splitlines()
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


def _summary(
    console: Console,
    companies: tuple[NodeProcess, ...],
    timings: dict[str, float],
    result: dict[str, Any],
) -> None:
    nodes = Table(title="Nodes")
    for column in ("company", "DID", "DSP endpoint"):
        nodes.add_column(column)
    for node in companies:
        nodes.add_row(node.name, node.did, node.dsp)
    console.print(nodes)
    steps = Table(title="Steps")
    steps.add_column("step")
    steps.add_column("ms", justify="right")
    for description, seconds in timings.items():
        steps.add_row(description, f"{seconds * 1000:.1f}")
    console.print(steps)
    for line in result["checkpoints"]:
        console.print(f"Signed checkpoint: {line}")
    console.print(f"Payload sha256 {result['sha256']} verified against the cell maker's signature.")
    console.print(
        f"Agreement [bold]{result['agreement']}[/bold], transfer {result['transfer']}: OEM received "
        f"{result['data']['pcfExcludingBiogenic']} {result['data']['unit']} for "
        f"{result['data']['productId']}."
    )
    passport = result["passport"]
    console.print(
        f"Battery passports: {passport['issued']} issued; a public visitor sees {passport['public_values']} "
        f"attributes, the certified recycler {passport['recycler_values']} and {passport['soh_points']} "
        "state-of-health readings."
    )
    console.print(f"Passport viewer: [link={passport['viewer']}]{passport['viewer']}[/link]")
    console.print(f"QR code (SVG):   {passport['qr']}")
    if result.get("after_withdrawal"):
        console.print(
            "After the Japanese space withdrew its recognition of European memberships, the carmaker's "
            "next catalog request showed nothing: refused, as the trust lists say."
        )
