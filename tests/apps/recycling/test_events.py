"""The life-cycle state machine and the reading of one row."""

from __future__ import annotations

import itertools

import pytest

from battrace.apps.recycling.events import (
    TRANSITIONS,
    Element,
    PlacedOnMarket,
    Sold,
    Stage,
    parse_row,
    step,
)
from battrace.errors import Conflict, InvalidInput

# The chain of the issue, written out independently of the table under test.
CHAIN = [
    None,
    Stage.PLACED_ON_MARKET,
    Stage.COLLECTED,
    Stage.DELIVERED,
    Stage.DISMANTLED,
    Stage.SHREDDED,
    Stage.REFINED,
    Stage.SOLD,
]
ALLOWED = {(a, b) for a, b in itertools.pairwise(CHAIN)} | {(Stage.SOLD, Stage.SOLD)}


@pytest.mark.parametrize("state", CHAIN)
@pytest.mark.parametrize("nxt", list(Stage))
def test_each_stage_follows_only_the_one_before_it_and_sales_may_repeat(
    state: Stage | None, nxt: Stage
) -> None:
    if (state, nxt) in ALLOWED:
        assert step(state, nxt) is nxt
    else:
        with pytest.raises(Conflict):
            step(state, nxt)


def test_transition_table_has_an_entry_for_every_state() -> None:
    assert set(TRANSITIONS) == set(CHAIN)


def test_refused_transition_names_the_state_and_what_may_come_next() -> None:
    with pytest.raises(Conflict) as caught:
        step(Stage.COLLECTED, Stage.SHREDDED)
    assert "shredded cannot follow collected" in caught.value.detail
    assert "allowed next: delivered" in caught.value.detail
    assert caught.value.extra["reason"] == "invalid_transition"


def test_nothing_can_be_collected_before_it_was_placed_on_the_market() -> None:
    with pytest.raises(Conflict, match="nothing recorded"):
        step(None, Stage.COLLECTED)


def _row(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "subject": "lot-1",
        "stage": "placed_on_market",
        "performed_by": "did:web:maker.example",
        "at": "2027-01-02T03:04:05+00:00",
        "model": "M1",
        "category": "ev",
        "chemistry": "lithium_based",
        "mass_kg": 400,
        "content_kg": {"cobalt": 8.5},
    }
    return {**base, **fields}


def test_a_placing_row_reads_into_its_typed_event() -> None:
    event = parse_row(1, _row())
    assert event.stage is Stage.PLACED_ON_MARKET
    assert isinstance(event.detail, PlacedOnMarket)
    assert event.detail.content_kg == {Element.COBALT: 8.5}
    assert event.at.year == 2027


def test_a_sale_row_names_its_buyer_and_element() -> None:
    row = {"subject": "lot-1", "stage": "sold", "performed_by": "did:web:refiner.example",
           "at": "2030-01-01T00:00:00Z", "sale_id": "S1", "buyer": "did:web:cam.example",
           "element": "nickel", "mass_kg": 3}  # fmt: skip
    detail = parse_row(4, row).detail
    assert detail == Sold("S1", "did:web:cam.example", Element.NICKEL, 3.0)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"mass_kg": -1}, "mass_kg", "cannot be negative"),
        ({"mass_kg": True}, "mass_kg", "expected a number"),
        ({"mass_kg": float("nan")}, "mass_kg", "expected a number"),
        ({"content_kg": {"cobalt": -0.1}}, "content_kg.cobalt", "cannot be negative"),
        ({"content_kg": {"unobtainium": 1}}, "content_kg.unobtainium", "not an element"),
        ({"content_kg": [1, 2]}, "content_kg", "mapping"),
        ({"performed_by": "Maker GmbH"}, "performed_by", "DID"),
        ({"at": "2027-01-02T03:04:05"}, "at", "UTC offset"),
        ({"at": "yesterday"}, "at", "ISO 8601"),
        ({"stage": "incinerated"}, "stage", "must be one of"),
        ({"category": "button"}, "category", "must be one of"),
        ({"subject": " "}, "subject", "non-empty"),
        ({"model": None}, "model", "non-empty"),
    ],
)
def test_bad_value_is_refused_naming_the_row_and_the_field(
    fields: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_row(7, _row(**fields))
    assert caught.value.detail.startswith(f"row 7, field {field}: ")
    assert words in caught.value.detail
    assert caught.value.extra == {"row": 7, "field": field}


def test_black_mass_composition_over_100_percent_is_refused() -> None:
    row = {"subject": "lot-1", "stage": "shredded", "performed_by": "did:web:r.example",
           "at": "2030-01-01T00:00:00+00:00", "input_kg": 10, "black_mass_kg": 5,
           "composition_percent": {"cobalt": 60, "nickel": 45}}  # fmt: skip
    with pytest.raises(InvalidInput, match=r"row 2, field composition_percent: the shares add up to 105"):
        parse_row(2, row)


def test_a_single_share_above_100_percent_names_its_element() -> None:
    row = {"subject": "lot-1", "stage": "shredded", "performed_by": "did:web:r.example",
           "at": "2030-01-01T00:00:00+00:00", "input_kg": 10, "black_mass_kg": 5,
           "composition_percent": {"lithium": 101}}  # fmt: skip
    with pytest.raises(InvalidInput, match=r"field composition_percent\.lithium: a mass share lies in 0-100"):
        parse_row(2, row)
