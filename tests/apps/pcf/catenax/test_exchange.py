"""The node-side PCF exchange's pure parts: finding the KIT's exchange asset in a DSP catalog, and keeping
the flow's exchanges as documents. Between real nodes: tests/integration/test_catenax_pcf_exchange.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from battrace.apps.pcf.catenax import to_catenax
from battrace.apps.pcf.catenax.exchange import (
    DCT_TYPE,
    PCF_EXCHANGE_TYPE,
    _exchange_json,
    _exchange_of,
    _product_ids,
    exchange_dataset,
)
from battrace.apps.pcf.catenax.flow import Event, Ledger, Message, Role, State, apply
from battrace.apps.pcf.model import Disclosure
from battrace.errors import Forbidden

from .conftest import envelope

OEM = "BPNL000000000OEM"
CELL = "BPNL00000000CELL"


def _dataset(asset_id: str, kind: Any) -> dict[str, Any]:
    return {"@id": asset_id, "@type": "Dataset", DCT_TYPE: kind, "hasPolicy": []}


def test_the_exchange_asset_is_found_by_its_dct_type_not_its_id() -> None:
    catalog = {
        "dataset": [
            _dataset("pcf-exchange-lookalike", {"@id": "https://w3id.org/catenax/taxonomy#Submodel"}),
            _dataset("endpoint-7", {"@id": PCF_EXCHANGE_TYPE}),
        ]
    }
    assert exchange_dataset(catalog) == "endpoint-7"


def test_a_single_dataset_and_the_compact_type_are_read_too() -> None:
    assert exchange_dataset({"dataset": {"@id": "x", "dct:type": {"@id": "cx-taxo:PcfExchange"}}}) == "x"


def test_a_catalog_without_the_exchange_asset_is_a_refusal() -> None:
    with pytest.raises(Forbidden):
        exchange_dataset({"dataset": [_dataset("passports", {"@id": "cx-taxo:Submodel"})]})
    with pytest.raises(Forbidden):
        exchange_dataset({})


def test_an_exchange_survives_its_document_form() -> None:
    request_id = uuid.uuid4()
    ledger = apply(
        Ledger.EMPTY, Message(Event.REQUEST, Role.CONSUMER, OEM, "urn:x", request_id, "2026 sourcing")
    ).ledger
    answered = apply(
        ledger,
        Message(Event.RESPONSE, Role.PROVIDER, CELL, "urn:x", request_id, None, "ab" * 32),
        consumer_bpn=OEM,
    ).exchange
    assert answered.state is State.ANSWERED
    assert _exchange_of(_exchange_json(answered)) == answered


def test_the_product_ids_of_a_pcf_are_those_it_names(cell: Disclosure) -> None:
    pcf = to_catenax(cell, envelope())
    # the disclosure's own id, then the envelope's part id (conftest: part_id_urn("cells.example.jp", ...))
    assert _product_ids(pcf) == {cell.product_id, "urn:pact:cells.example.jp:product-id:C60-811"}
