"""A supply chain given as data, rolled up tier by tier, and the shipped four-tier example (issue 6 item 8).

refiner (lithium hydroxide, per kg) → cathode maker (NMC cathode active material, per kg) → cell maker (per
cell) → pack maker/OEM (per pack). Each supplier discloses to its customer at the granularity written on
the edge, and the customer rolls up from that disclosure only, as it would through the data space.
``load_chain`` reads a file; ``run_chain`` is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from battrace.apps.pcf.activity import Activity, ElectricityModel, own_emissions
from battrace.apps.pcf.disclosure import canonical_json, disclose
from battrace.apps.pcf.factors import FactorSet, example_factors
from battrace.apps.pcf.model import DQR, DeclaredUnit, Footprint, Granularity, Number, Stage
from battrace.apps.pcf.rollup import SupplierInput, rollup
from battrace.errors import InvalidInput
from battrace.provenance import sha256_hex

EXAMPLE_CHAIN = "example_chain.json"


class Edge(BaseModel):
    """``amount`` of node ``supplier``'s declared unit goes into one declared unit of the customer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    supplier: str
    amount: Number = Field(ge=0)
    disclosed_as: Granularity = Granularity.TOTAL
    stage: Stage | None = None  # where to book a total disclosed without its stage split


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    product_id: str = Field(min_length=1)
    declared_unit: DeclaredUnit
    own_dqr: DQR | None = None
    activities: tuple[Activity, ...] = ()
    inputs: tuple[Edge, ...] = ()


class Battery(BaseModel):
    """The draft-DA route to the lifetime energy of the example's pack (battery_metric)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node: str
    usable_energy_kwh: Number
    vehicle_category: str
    service_years: Number


class Chain(BaseModel):
    """Nodes listed suppliers first (every edge points to an earlier node)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference_period: tuple[AwareDatetime, AwareDatetime]
    electricity_model: ElectricityModel = ElectricityModel.DRAFT_DELEGATED_ACT
    nodes: tuple[Node, ...]
    battery: Battery | None = None


def parse_chain(payload: bytes | str) -> Chain:
    try:
        return Chain.model_validate_json(payload)
    except ValidationError as error:
        raise InvalidInput(f"not a supply chain description: {error.errors(include_url=False)}") from None


def load_chain(path: Path | str) -> Chain:
    try:
        payload = Path(path).read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read chain file {path}: {error}") from error
    return parse_chain(payload)


def example_chain() -> Chain:
    return parse_chain(resources.files("battrace.apps.pcf").joinpath("data", EXAMPLE_CHAIN).read_bytes())


def run_chain(chain: Chain, factors: FactorSet) -> dict[str, Footprint]:
    """Every node's footprint, computed from its own activities and its suppliers' disclosures only."""
    results: dict[str, Footprint] = {}
    for node in chain.nodes:
        if node.id in results:
            raise InvalidInput(f"node {node.id!r} appears twice in the chain")
        results[node.id] = rollup(
            product_id=node.product_id,
            declared_unit=node.declared_unit,
            own=own_emissions(node.activities, factors, electricity=chain.electricity_model),
            inputs=[_received(edge, results, node.id) for edge in node.inputs],
            own_dqr=node.own_dqr,
            reference_period=chain.reference_period,
        )
    return results


def _received(edge: Edge, results: Mapping[str, Footprint], customer: str) -> SupplierInput:
    supplier = results.get(edge.supplier)
    if supplier is None:
        raise InvalidInput(f"{customer}: supplier {edge.supplier!r} must be listed before its customer")
    disclosure = disclose(supplier, edge.disclosed_as)
    return SupplierInput(
        amount=edge.amount,
        unit=supplier.declared_unit,
        disclosure=disclosure,
        sha256=sha256_hex(canonical_json(disclosure)),
        stage=edge.stage,
    )


def run_example() -> tuple[Chain, dict[str, Footprint]]:
    chain = example_chain()
    return chain, run_chain(chain, example_factors())


def product_body(chain: Chain, node_id: str) -> dict[str, Any]:
    """One tier's product as its operator puts it on its node (``PUT /management/v3/pcf/products/{key}``):
    its own activities and BOM lines naming each supplier's received disclosure by the supplier's node id."""
    node = next((n for n in chain.nodes if n.id == node_id), None)
    if node is None:
        raise InvalidInput(f"no node {node_id!r} in the chain")
    units = {n.id: n.declared_unit for n in chain.nodes}
    return {
        "productId": node.product_id,
        "declaredUnit": node.declared_unit,
        "referencePeriod": [t.isoformat() for t in chain.reference_period],
        "electricityModel": chain.electricity_model.value,
        "ownDqr": node.own_dqr.model_dump(mode="json") if node.own_dqr else None,
        "activities": [a.model_dump(mode="json") for a in node.activities],
        "inputs": [
            {
                "received": edge.supplier,
                "amount": str(edge.amount),
                "unit": units[edge.supplier],
                **({"stage": edge.stage.value} if edge.stage else {}),
            }
            for edge in node.inputs
        ],
    }


def granted(chain: Chain, supplier: str) -> Granularity:
    """The granularity ``supplier`` discloses to its customer in the chain."""
    for node in chain.nodes:
        for edge in node.inputs:
            if edge.supplier == supplier:
                return edge.disclosed_as
    raise InvalidInput(f"{supplier!r} supplies nobody in the chain")
