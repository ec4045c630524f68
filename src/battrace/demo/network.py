"""The demo's network: two data spaces (Japan, Europe), each with its operator and certification body, and
seven company nodes, each a real `battrace serve` process on its own loopback port with its own SQLite
database and keys. Companies are certified by their own space (membership with BPN, role, connector
certification, the Data Exchange Governance framework agreement) and the two spaces recognise each other's
credentials, so a European buyer is admitted by a Japanese supplier's policy and the other way round.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from battrace.devnet import NodeProcess
from battrace.operator.client import SpaceClient
from battrace.operator.devnet import OperatorProcess

JP, EU = "jp", "eu"
# what a recognition covers: the credentials a supplier's access and usage policies ask for
RECOGNISED = ["MembershipCredential", "RoleCredential", "DataExchangeGovernanceCredential"]


@dataclass(frozen=True)
class Company:
    key: str  # short name used in the scenario
    node_name: str
    legal_name: str
    space: str
    bpn: str
    role: str


COMPANIES = (
    Company("refiner", "jp-refiner", "Cobalt Refining KK", JP, "BPNL00000000REF1", "MaterialSupplier"),
    Company(
        "cathode", "jp-cathode-maker", "Cathode Materials KK", JP, "BPNL00000000CAT1", "MaterialSupplier"
    ),
    Company("cell", "jp-cell-maker", "Cell Maker KK", JP, "BPNL00000000CEL1", "CellMaker"),
    Company("oem", "eu-vehicle-oem", "Vehicle OEM AG", EU, "BPNL00000000OEM1", "VehicleOem"),
    # a fleet operator maintains its packs: the independent-operator (repairer) level of Art. 77(2)(c)
    Company("fleet", "eu-fleet-operator", "Fleet Leasing GmbH", EU, "BPNL00000000FLT1", "Repairer"),
    Company("reuse", "eu-reuse-operator", "Second Life Storage BV", EU, "BPNL00000000REU1", "ReuseOperator"),
    Company("recycler", "eu-recycler", "Recycling GmbH", EU, "BPNL00000000RCY1", "Recycler"),
)


class Network:
    """Starts, certifies, connects and stops the two spaces and the seven companies."""

    def __init__(self, root: Path, base_port: int) -> None:
        self.root = root
        self.operators = {
            JP: OperatorProcess("jp-space", base_port + 100, root),
            EU: OperatorProcess("eu-space", base_port + 101, root),
        }
        # The demo shows changes at once; in production trust lists and claims are reused for up to 60 s.
        fast = {"trust_refresh_seconds": 0}
        self.companies = {c.key: c for c in COMPANIES}
        self.nodes = {
            c.key: NodeProcess(
                c.node_name,
                base_port + i,
                root,
                extra={"spaces": [self.operators[c.space].base_url], **fast},
            )
            for i, c in enumerate(COMPANIES)
        }
        self._http = httpx.Client(timeout=30)
        self.recognitions: dict[str, str] = {}

    def __getitem__(self, key: str) -> NodeProcess:
        return self.nodes[key]

    def processes(self) -> Iterator[NodeProcess | OperatorProcess]:
        yield from self.operators.values()
        yield from self.nodes.values()

    def start(self) -> None:
        """From nothing: every data directory is wiped first; processes start two at a time."""
        for process in self.processes():
            folder = process.space_dir if isinstance(process, OperatorProcess) else process.data_dir
            shutil.rmtree(folder, ignore_errors=True)
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda p: p.start(timeout=120), list(self.processes())))

    def stop(self) -> None:
        """Every process, started or half-started (a failed start must not leave a server behind)."""
        for process in reversed(list(self.processes())):
            process.stop()
        self._http.close()

    def space(self, space: str) -> SpaceClient:
        operator = self.operators[space]
        return SpaceClient(operator.base_url, self._http, api_key=operator.api_key)

    def certify_all(self) -> int:
        """Each space's certification body certifies its own members; the credentials go to their wallets."""
        issued = 0
        for company in COMPANIES:
            node = self.nodes[company.key]
            request = {
                "participant": node.did,
                "name": company.legal_name,
                "bpn": company.bpn,
                "roles": [company.role],
                "types": ["Membership", "Role", "ConnectorCertification", "DataExchangeGovernance"],
                "securityProfile": "TRUST",
                "certificationLevel": "COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW",
            }
            for credential in self.space(company.space).certify(request):
                self._post(node, "/management/v3/credentials", {"credential": credential})
                issued += 1
        return issued

    def recognise_each_other(self) -> None:
        """Mutual recognition: each space trusts the other's certification body for the shared types."""
        for space, other in ((JP, EU), (EU, JP)):
            foreign = self.operators[other]
            recognition = self.space(space).recognize(
                {
                    "foreignOperatorDid": foreign.did,
                    "credentialTypes": RECOGNISED,
                    "foreignTrustListUrl": foreign.base_url + "/space/trust-list",
                    "validDays": 365,
                }
            )
            self.recognitions[space] = str(recognition["id"])

    def withdraw(self, space: str, reason: str) -> None:
        self.space(space).withdraw(self.recognitions[space], reason)

    def _post(self, node: NodeProcess, path: str, body: Any) -> Any:
        response = self._http.post(node.base_url + path, json=body, headers={"X-Api-Key": node.api_key})
        response.raise_for_status()
        return response.json() if response.content else None
