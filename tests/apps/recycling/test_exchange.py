"""What the recycling app accepts from a partner: only the partner's own events, and sale statements whose
lot history balances at every step and holds the sale as stated."""

from __future__ import annotations

from typing import Any

import pytest

from battrace.apps.recycling.events import Element, Records
from battrace.apps.recycling.example import CARMAKER, CATHODE_MAKER, EV_LOT, REFINER, example_rows
from battrace.apps.recycling.exchange import (
    canonical,
    events_payload,
    read_statement,
    received_rows,
    row_key,
    statement_payload,
)
from battrace.apps.recycling.massbalance import record_rows
from battrace.errors import InvalidInput


def _lot_rows() -> list[dict[str, object]]:
    return [r for r in example_rows() if r["subject"] == EV_LOT]


def _statement(sale_id: str = "S-2029-017") -> dict[str, Any]:
    rows = _lot_rows()
    found = record_rows(Records(), rows).sale(sale_id)
    assert found is not None
    return statement_payload(REFINER, found[1], EV_LOT, rows)


def test_a_producer_reports_its_own_placings() -> None:
    placed = [r for r in example_rows() if r["performed_by"] == CARMAKER]
    payload = events_payload(CARMAKER, REFINER, placed)
    assert received_rows(payload, CARMAKER, REFINER) == placed


def test_a_provider_reporting_someone_elses_event_is_refused() -> None:
    payload = events_payload(CARMAKER, REFINER, _lot_rows()[:2])  # row 2: collected by the collector
    with pytest.raises(InvalidInput, match="row 2, field performed_by"):
        received_rows(payload, CARMAKER, REFINER)


def test_events_addressed_to_another_recipient_are_refused() -> None:
    payload = events_payload(CARMAKER, CATHODE_MAKER, _lot_rows()[:1])
    with pytest.raises(InvalidInput, match=r"not did:web:carmaker\.example -> did:web:refiner\.example"):
        received_rows(payload, CARMAKER, REFINER)


def test_a_sale_statement_gives_the_buyer_the_lot_records_and_the_sale() -> None:
    statement = read_statement(_statement(), REFINER, CATHODE_MAKER)
    assert (statement.sale.element, statement.sale.mass_kg, statement.subject) == (
        Element.COBALT,
        18.0,
        EV_LOT,
    )
    assert statement.records.history(EV_LOT).stage == "sold"


def test_a_statement_whose_refining_recovers_more_cobalt_than_the_black_mass_held_is_refused() -> None:
    payload = _statement()
    refined = next(r for r in payload["rows"] if r["stage"] == "refined")
    # black mass 300 kg x 6.4 % = 19.2 kg cobalt; 19.4 kg > 19.2 x 1.005 + 0.001 = 19.297 kg
    refined["recovered_kg"] = {**refined["recovered_kg"], "cobalt": 19.4}
    with pytest.raises(InvalidInput, match=r"field recovered_kg\.cobalt"):
        read_statement(payload, REFINER, CATHODE_MAKER)


def test_a_statement_that_overstates_the_sale_is_refused() -> None:
    payload = {**_statement(), "massKg": 20.0}
    with pytest.raises(InvalidInput, match="rows record sale S-2029-017 of 18 kg cobalt"):
        read_statement(payload, REFINER, CATHODE_MAKER)


def test_a_statement_for_another_buyer_is_refused() -> None:
    with pytest.raises(InvalidInput, match="buyer"):
        read_statement(_statement(), REFINER, "did:web:someone.example")


def test_a_row_keeps_its_identity_whatever_the_key_order() -> None:
    row = _lot_rows()[0]
    assert row_key(dict(reversed(list(row.items())))) == row_key(row)
    assert canonical({"b": 1, "a": 2}) == b'{"a":2,"b":1}'
