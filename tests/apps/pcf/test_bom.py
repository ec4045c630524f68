"""The one-pass BOM roll-up gives what the tier-by-tier roll-up gives when every level sees everything."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.apps.pcf import Granularity, Stage, example_factors, own_emissions
from battrace.apps.pcf.bom import Part, rollup_bom
from battrace.apps.pcf.example import Chain, example_chain, run_chain
from battrace.errors import InvalidInput

from ._builders import PERIOD, dqr, footprint, own, received


def _as_one_bom() -> tuple[Chain, list[Part]]:
    chain = example_chain()
    factors = example_factors()
    index = {node.id: position for position, node in enumerate(chain.nodes)}
    parts = [
        Part(
            own=own_emissions(node.activities, factors),
            own_dqr=node.own_dqr,
            children=tuple((index[edge.supplier], edge.amount) for edge in node.inputs),
        )
        for node in chain.nodes
    ]
    return chain, parts


def test_the_example_as_one_bom_gives_the_hand_checked_pack_total_and_stages() -> None:
    _, parts = _as_one_bom()
    result = rollup_bom(parts, product_id="urn:test:pack", declared_unit="piece", reference_period=PERIOD)
    # same figures as test_example: 2132.7195 kg CO2e, all of it the company's own activities here
    assert result.total == Decimal("2132.7195")
    assert result.stages == {
        Stage.RAW_MATERIAL: Decimal("1619.482"),
        Stage.PRODUCTION: Decimal("323.2375"),
        Stage.DISTRIBUTION: Decimal("40"),
        Stage.END_OF_LIFE: Decimal("150"),
    }
    assert (result.own, result.purchased) == (Decimal("2132.7195"), Decimal(0))


def test_one_bom_and_the_tier_by_tier_roll_up_agree_on_quality_and_primary_share() -> None:
    chain, parts = _as_one_bom()
    full = chain.model_copy(
        update={
            "nodes": tuple(
                node.model_copy(
                    update={
                        "inputs": tuple(
                            e.model_copy(update={"disclosed_as": Granularity.STAGES}) for e in node.inputs
                        )
                    }
                )
                for node in chain.nodes
            )
        }
    )
    tiered = run_chain(full, example_factors())["pack"]
    one = rollup_bom(parts, product_id="urn:test:pack", declared_unit="piece", reference_period=PERIOD)
    assert one.total == tiered.total
    assert one.dqr is not None and tiered.dqr is not None
    for name in ("TeR", "GeR", "TiR"):  # equal up to the 5-decimal rounding at each tier
        assert getattr(one.dqr, name) == pytest.approx(getattr(tiered.dqr, name), abs=Decimal("0.0001"))
    assert one.primary_data_share == pytest.approx(tiered.primary_data_share, abs=Decimal("0.0001"))


def test_pact_dqi_sizes_each_contribution_at_the_product() -> None:
    # product: own 50 (rated 1) + 10 x sub-part; sub-part: own 4.6 (rated 5) + bought 0.04 x 10 (rated 3)
    # at the product: 50, 46 (4.6 x 10) and 4 (0.4 x 10) of 100 -> the 4 % purchased input is left out
    sub = Part(
        own=own(raw="4.6", tag="sub"),
        own_dqr=dqr("5", "5", "5"),
        purchased=(received("10", "0.04", quality=dqr("3", "3", "3"), stage=Stage.RAW_MATERIAL),),
    )
    top = Part(own=own(production="50", tag="top"), own_dqr=dqr("1", "1", "1"), children=((0, Decimal(10)),))
    result = rollup_bom([sub, top], product_id="urn:test:p", declared_unit="piece", reference_period=PERIOD)
    assert result.total == 100
    # PACT: (50 x 1 + 46 x 5) / 96 = 280 / 96 = 2.91667; Ouranos adds 4 x 3: (280 + 12) / 100 = 2.92
    assert result.pact_dqi == dqr("2.91667", "2.91667", "2.91667")
    assert result.dqr == dqr("2.92", "2.92", "2.92")
    assert (result.own, result.purchased) == (Decimal(96), Decimal(4))


def test_the_result_names_the_bom_digest_then_each_received_input_once() -> None:
    bought = received("1", stage=Stage.RAW_MATERIAL, name="cells")
    parts = [
        Part(own=own(raw="1"), purchased=(bought,)),
        Part(own=own(raw="1"), purchased=(bought,)),
        Part(own=own(), children=((0, Decimal(1)), (1, Decimal(1)))),
    ]
    inputs = rollup_bom(parts, product_id="urn:x", declared_unit="piece", reference_period=PERIOD).inputs
    assert inputs[1:] == (bought.sha256,)
    changed = [parts[0], parts[1], Part(own=own(), children=((0, Decimal(2)), (1, Decimal(1))))]
    assert (
        rollup_bom(changed, product_id="urn:x", declared_unit="piece", reference_period=PERIOD).inputs[0]
        != inputs[0]
    )


def test_a_purchased_total_without_a_stage_leaves_the_product_without_a_split() -> None:
    parts = [
        Part(own=own(raw="1"), purchased=(received("5"),)),
        Part(own=own(production="1"), children=((0, Decimal(1)),)),
    ]
    result = rollup_bom(parts, product_id="urn:x", declared_unit="piece", reference_period=PERIOD)
    assert result.stages is None and result.total == 7


def test_a_child_listed_after_its_parent_is_refused() -> None:
    with pytest.raises(InvalidInput, match="earlier part"):
        rollup_bom(
            [Part(own=own(), children=((1, Decimal(1)),)), Part(own=own())],
            product_id="urn:x",
            declared_unit="piece",
            reference_period=PERIOD,
        )
    with pytest.raises(InvalidInput, match="at least one part"):
        rollup_bom([], product_id="urn:x", declared_unit="piece", reference_period=PERIOD)


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(
    totals=st.lists(st.decimals(min_value=0, max_value=1000, places=2), min_size=1, max_size=5),
    amount=st.decimals(min_value=0, max_value=100, places=2),
)
def test_a_two_level_bom_equals_rolling_up_the_sub_part_first(totals: list[Decimal], amount: Decimal) -> None:
    inputs = tuple(
        received(str(t), "1", quality=dqr("2", "3", "4"), stage=Stage.RAW_MATERIAL, name=f"s{i}")
        for i, t in enumerate(totals)
    )
    sub = Part(own=own(raw="1.5"), own_dqr=dqr("1", "1", "1"), purchased=inputs)
    top = Part(own=own(production="2"), children=((0, amount),))
    one = rollup_bom([sub, top], product_id="urn:x", declared_unit="piece", reference_period=PERIOD)
    sub_result = footprint(own(raw="1.5"), *inputs, own_dqr=dqr("1", "1", "1"))
    assert one.total == Decimal(2) + amount * sub_result.total
