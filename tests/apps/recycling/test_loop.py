"""The closed loop: a recycled battery's cobalt traced into a new cell model's recycled-content claim."""

from __future__ import annotations

import dataclasses

import pytest

from battrace.apps.recycling import example
from battrace.apps.recycling.events import Element, Stage
from battrace.apps.recycling.loop import Claim, post_consumer_inputs, trace
from battrace.apps.recycling.recycled_content import Origin
from battrace.errors import InvalidInput, NotFound


def _cobalt_claim(**changes: object) -> Claim:
    return dataclasses.replace(example.example_claims()[0], **changes)  # type: ignore[arg-type]


def test_the_cobalt_of_the_recycled_lot_is_traced_hop_by_hop_into_the_new_model() -> None:
    traced = trace(example.example_records(), _cobalt_claim())
    assert traced.subject == example.EV_LOT
    assert [(h.in_kg, h.out_kg) for h in traced.hops] == pytest.approx(
        [pytest.approx(pair) for pair in example.EXPECTED.cobalt_hops_kg]
    )
    assert [h.step for h in traced.hops] == [
        Stage.PLACED_ON_MARKET,
        Stage.SHREDDED,
        Stage.REFINED,
        Stage.SOLD,
        "claimed",
    ]
    assert [h.party for h in traced.hops] == [
        example.CARMAKER,
        example.RECYCLER,
        example.REFINER,
        example.REFINER,
        example.CATHODE_MAKER,
    ]


def test_a_claim_above_the_sale_is_refused_naming_the_hop() -> None:
    with pytest.raises(InvalidInput) as caught:
        trace(example.example_records(), _cobalt_claim(mass_kg=18.5))
    assert "hop claimed by did:web:cathode.example passes on 18.5 kg cobalt but received 18 kg" in (
        caught.value.detail
    )
    assert caught.value.extra["reason"] == "mass_balance"


def test_two_claims_on_one_sale_may_not_together_exceed_it() -> None:
    first = _cobalt_claim(mass_kg=10.0)
    second = _cobalt_claim(model="LFP-OTHER", mass_kg=9.0)  # 10 + 9 = 19 > 18 kg sold
    records = example.example_records()
    assert trace(records, first).hops[-1].out_kg == 10.0  # alone it balances
    with pytest.raises(InvalidInput, match="passes on 19 kg cobalt but received 18 kg"):
        trace(records, first, all_claims=[first, second])


def test_a_claim_by_someone_other_than_the_buyer_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"the sale went to did:web:cathode\.example, not did:web:other"):
        trace(example.example_records(), _cobalt_claim(material_maker="did:web:other.example"))


def test_a_claim_of_another_element_than_sold_is_refused() -> None:
    with pytest.raises(InvalidInput, match="the sale is of cobalt, the claim of nickel"):
        trace(example.example_records(), _cobalt_claim(element=Element.NICKEL))


def test_a_claim_on_an_unrecorded_sale_is_not_found() -> None:
    with pytest.raises(NotFound, match="no recorded sale S-0"):
        trace(example.example_records(), _cobalt_claim(sale_id="S-0"))


def test_a_negative_claim_is_refused() -> None:
    with pytest.raises(InvalidInput, match="cannot be negative"):
        trace(example.example_records(), _cobalt_claim(mass_kg=-1.0))


def test_traced_claims_become_post_consumer_inputs_of_their_own_model_only() -> None:
    records = example.example_records()
    claims = (*example.example_claims(), _cobalt_claim(model="OTHER", mass_kg=0.0))
    inputs = post_consumer_inputs(records, claims, example.NEW_MODEL)
    assert [(i.element, i.origin, i.mass_kg) for i in inputs] == [
        (Element.COBALT, Origin.POST_CONSUMER, 18.0),
        (Element.NICKEL, Origin.POST_CONSUMER, 50.0),
    ]
    assert inputs[0].source == f"sale S-2029-017 of {example.EV_LOT}"
