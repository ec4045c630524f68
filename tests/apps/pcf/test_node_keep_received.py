"""`PcfService.keep_received`: a disclosure that reached the node outside a DSP pull (a Catena-X exchange
answer) kept as ``received/<key>``, a BOM input like a pulled one, without a signed delivery statement."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from battrace.apps.pcf import Disclosure, Granularity, Stage
from battrace.apps.pcf.disclosure import canonical_json
from battrace.apps.pcf.node import APP, PcfService
from battrace.client import NodeClient
from battrace.connector.config import NodeSettings
from battrace.connector.node import Node
from battrace.errors import InvalidInput
from battrace.provenance import sha256_hex
from battrace.store.documents import get_document

from ._builders import PERIOD

CELL_ID = "urn:battrace:example:cell:nmc811-60ah"
PROVIDER = "did:web:cell.example"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    built = Node(NodeSettings(name="oem", port=8798, data_dir=tmp_path, api_key="k", dev=True))
    yield built
    built.http.close()
    built.store.dispose()


@pytest.fixture
def service(node: Node) -> PcfService:
    def unused() -> NodeClient:
        raise AssertionError("keeping a disclosure calls no connector")

    return PcfService(node, management=unused)


def _cell(total: str) -> Disclosure:
    return Disclosure(
        granularity=Granularity.TOTAL,
        product_id=CELL_ID,
        declared_unit="piece",
        total=Decimal(total),
        reference_period_start=PERIOD[0],
        reference_period_end=PERIOD[1],
    )


def _keep(service: PcfService, key: str, disclosure: Disclosure, payload: bytes, sha256: str) -> None:
    service.keep_received(
        key,
        disclosure=disclosure,
        sha256=sha256,
        payload=payload,
        provider=PROVIDER,
        source="catenax:7f0e9a52-3c1d-4d0e-9a53-8f4a1e2b6c7d",
        agreement_id="agr-1",
    )


def test_a_kept_answer_is_an_input_a_bom_line_can_name(node: Node, service: PcfService) -> None:
    payload = canonical_json(_cell("4.0"))
    _keep(service, "cx-cell", _cell("4.0"), payload, sha256_hex(payload))
    service.put_product(
        "pack",
        {
            "productId": "urn:battrace:example:pack",
            "declaredUnit": "piece",
            "referencePeriod": [p.isoformat() for p in PERIOD],
            "inputs": [{"received": "cx-cell", "amount": "3", "unit": "piece", "stage": "distribution"}],
        },
    )
    footprint = service.compute("pack")
    # no own activities: 3 cells x 4.0 = 12.0 kg CO2e per pack, booked where the BOM line says
    assert footprint.total == Decimal("12.0") and footprint.purchased == Decimal("12.0")
    assert footprint.stages is not None and footprint.stages[Stage.DISTRIBUTION] == Decimal("12.0")
    assert sha256_hex(payload) in footprint.inputs
    with node.store.transaction() as tx:
        kept = get_document(tx, APP, "received", "cx-cell")
    assert kept is not None and kept.body["statement"] is None
    assert kept.body["source"].startswith("catenax:") and kept.body["provider"] == PROVIDER


def test_a_digest_that_is_not_the_payloads_is_refused_and_nothing_is_kept(
    node: Node, service: PcfService
) -> None:
    payload = canonical_json(_cell("4.0"))
    with pytest.raises(InvalidInput):
        _keep(service, "cx-cell", _cell("4.0"), payload, sha256_hex(b"other bytes"))
    with node.store.transaction() as tx:
        assert get_document(tx, APP, "received", "cx-cell") is None
