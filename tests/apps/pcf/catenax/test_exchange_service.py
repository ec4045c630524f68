"""`PcfExchange.serve`, the data-plane backend, on a node that is not serving: what a received request keeps
and what a refused call leaves behind (nothing). The connector's own checks (EDR, agreement, usage policy)
run before the backend and are tested with the data plane; here the agreement is given."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from battrace.apps.pcf.catenax.exchange import ADDRESS_TYPE, APP, ASSET_ID, PcfExchange
from battrace.apps.pcf.node import PcfService
from battrace.client import NodeClient
from battrace.connector.config import NodeSettings
from battrace.connector.node import Node
from battrace.connector.records import Agreement, Asset
from battrace.dataplane import DataRequest
from battrace.errors import BattraceError, Forbidden, InvalidInput, NotFound
from battrace.store.documents import list_documents, put_document

OEM_DID = "did:web:oem.example"
STRANGER_DID = "did:web:nobody.example"  # no claims: no BPN known
OEM_BPN = "BPNL000000000OEM"
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ASSET = Asset(ASSET_ID, {}, {"type": ADDRESS_TYPE}, NOW)

# fixed ids in parameters: test ids must be the same in every collection (pytest-xdist compares them)
_IDS = [uuid.UUID(int=i + 1) for i in range(5)]


def _agreement(consumer: str) -> Agreement:
    return Agreement("agr-1", "neg-1", ASSET_ID, "did:web:cell.example", consumer, {}, NOW)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = NodeSettings(
        name="cell", port=8799, data_dir=tmp_path, api_key="k", dev=True, peers={OEM_DID: {"bpn": OEM_BPN}}
    )
    built = Node(settings)
    yield built
    built.http.close()
    built.store.dispose()


@pytest.fixture
def exchange(node: Node) -> PcfExchange:
    def unused() -> NodeClient:
        raise AssertionError("no connector call is expected here")

    return PcfExchange(node, management=unused, pcf=PcfService(node, management=unused))


def _get(exchange: PcfExchange, target: str, caller: str = OEM_DID) -> int:
    path, _, query = target.partition("?")
    request = DataRequest(token="t", path=path, query=query, method="GET")
    return exchange.serve(ASSET, _agreement(caller), caller, request).status


def _kept(node: Node, kind: str) -> int:
    with node.store.transaction() as tx:
        return len(list_documents(tx, APP, kind))


def test_a_request_is_accepted_with_202_and_kept_once_however_often_it_is_repeated(
    exchange: PcfExchange, node: Node
) -> None:
    request_id = uuid.uuid4()
    target = f"productIds/urn%3Abattrace%3Acell?requestId={request_id}&message=2026"
    assert _get(exchange, target) == 202
    assert _get(exchange, target) == 202
    [kept] = exchange.incoming()
    assert kept["requestId"] == str(request_id) and kept["consumerBpn"] == OEM_BPN
    assert kept["productId"] == "urn:battrace:cell" and kept["message"] == "2026"
    assert kept["consumerDid"] == OEM_DID and kept["state"] == "requested"


@pytest.mark.parametrize(
    ("target", "caller", "refusal"),
    [
        ("productIds/urn%3Ax", OEM_DID, InvalidInput),  # a request needs a requestId
        ("productIds/urn%3Ax?requestId=not-a-uuid", OEM_DID, InvalidInput),
        (f"productIds/urn%3Ax?requestId={_IDS[0]}&message={'m' * 251}", OEM_DID, InvalidInput),
        (f"footprints/urn%3Ax?requestId={_IDS[1]}", OEM_DID, NotFound),
        (f"productIds/urn%3Ax?requestId={_IDS[2]}", STRANGER_DID, Forbidden),  # no BPN: no Edc-Bpn
    ],
)
def test_a_malformed_or_anonymous_request_is_refused_and_nothing_is_kept(
    exchange: PcfExchange, node: Node, target: str, caller: str, refusal: type[BattraceError]
) -> None:
    with pytest.raises(refusal):
        _get(exchange, target, caller)
    assert _kept(node, "provided") == 0


def test_a_put_for_a_request_this_node_never_sent_is_not_found_and_nothing_is_kept(
    exchange: PcfExchange, node: Node
) -> None:
    request = DataRequest(
        token="t", path="productIds/urn%3Ax", query=f"requestId={uuid.uuid4()}", method="PUT", body=b"{}"
    )
    with pytest.raises(NotFound):
        exchange.serve(ASSET, _agreement(OEM_DID), OEM_DID, request)
    assert _kept(node, "requested") == 0 and _kept(node, "payload") == 0


def test_a_call_other_than_get_or_put_is_refused(exchange: PcfExchange) -> None:
    request = DataRequest(token="t", path="productIds/urn%3Ax", query="", method="DELETE")
    with pytest.raises(InvalidInput):
        exchange.serve(ASSET, _agreement(OEM_DID), OEM_DID, request)


BATTERY = "urn:samm:io.catenax.pcf_for_battery_component_supplier:1.0.0%23PcfForBatteryComponentSupplier"


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        (f"requestId={_IDS[3]}&semanticId={BATTERY}", NotFound),  # an aspect for no request of ours
        (f"semanticId={BATTERY}", Forbidden),  # an "update" of an aspect nobody asked this party for
        (f"requestId={_IDS[4]}&semanticId=urn%3Asamm%3Aio.catenax.pcf%3A9.0.0%23Pcf", InvalidInput),
    ],
)
def test_a_second_aspect_nobody_asked_for_or_of_an_unknown_kind_is_refused_and_nothing_is_kept(
    exchange: PcfExchange, node: Node, query: str, refusal: type[BattraceError]
) -> None:
    with node.store.transaction() as tx:  # this node's exchange asset is offered (its own BPNL is known)
        put_document(tx, APP, "setup", "self", {"bpn": "BPNL00000000CELL", "partners": []}, NOW)
    request = DataRequest(token="t", path="productIds/urn%3Ax", query=query, method="PUT", body=b"{}")
    with pytest.raises(refusal):
        exchange.serve(ASSET, _agreement(OEM_DID), OEM_DID, request)
    assert _kept(node, "payload") == 0 and _kept(node, "requested") == 0
