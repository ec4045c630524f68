from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.apps.pcf import Stage, rollup
from battrace.errors import InvalidInput

from ._builders import PERIOD, dqr, footprint, own, received

amounts = st.decimals(min_value=0, max_value=1000, places=3)
totals = st.decimals(min_value=0, max_value=10000, places=4)
ratings = st.decimals(min_value=1, max_value=5, places=2)


def test_total_is_own_plus_amount_times_supplier_total() -> None:
    # own 10 + 2 x 3.5 + 0.25 x 40 = 10 + 7 + 10 = 27
    result = footprint(own(raw="4", production="6"), received("3.5", "2", name="a"), received("40", "0.25"))
    assert (result.own, result.purchased, result.total) == (Decimal(10), Decimal(17), Decimal(27))


def test_dqr_is_the_ouranos_emission_weighted_average() -> None:
    # own 10 kg rated (1, 1, 1); supplier 2 x 15 = 30 kg rated (3, 2, 5)
    # TeR = (10 x 1 + 30 x 3) / 40 = 2.5; GeR = (10 + 60) / 40 = 1.75; TiR = (10 + 150) / 40 = 4
    result = footprint(
        own(raw="10"), received("15", "2", quality=dqr("3", "2", "5")), own_dqr=dqr("1", "1", "1")
    )
    assert result.dqr == dqr("2.5", "1.75", "4")
    assert result.dqr is not None and result.dqr.average == Decimal("2.75")  # (2.5 + 1.75 + 4) / 3
    assert result.dqr_coverage == 100


def test_pact_dqi_leaves_out_contributions_of_five_percent_or_less() -> None:
    # own 96 rated 1; supplier 4 (4 % of 100) rated 5: Ouranos weighs both, PACT only the own part
    result = footprint(own(raw="96"), received("4", quality=dqr("5", "5", "5")), own_dqr=dqr("1", "1", "1"))
    assert result.dqr == dqr("1.16", "1.16", "1.16")  # (96 + 4 x 5) / 100
    assert result.pact_dqi == dqr("1", "1", "1")
    assert result.pact_dqi_coverage == 96


def test_a_supplier_without_disclosed_dqr_is_left_out_of_the_rating_and_lowers_coverage() -> None:
    result = footprint(own(raw="30"), received("70"), own_dqr=dqr("2", "2", "2"))
    assert result.dqr == dqr("2", "2", "2")
    assert result.dqr_coverage == 30


def test_no_rating_at_all_gives_no_dqr() -> None:
    result = footprint(own(raw="30"), received("70"))
    assert result.dqr is None and result.pact_dqi is None and result.dqr_coverage == 0


def test_a_result_without_ratings_reads_back_as_a_node_keeps_it() -> None:
    # nodes store results without their None fields; reading one back must not need them (it was a 500)
    result = footprint(own(raw="30"), received("70"))
    kept = result.model_dump(mode="json", exclude_none=True)
    assert "dqr" not in kept
    assert type(result).model_validate(kept) == result


def test_primary_data_share_counts_the_suppliers_declared_primary_part() -> None:
    # own 20 of which 5 primary; supplier 80 with 50 % primary -> (5 + 40) / 100 = 45 %
    result = footprint(own(raw="20", primary="5"), received("80", pds="50"))
    assert result.primary_data_share == 45
    # an undisclosed share counts as no primary data: 5 / 100
    assert footprint(own(raw="20", primary="5"), received("80")).primary_data_share == 5


def test_stage_split_adds_the_suppliers_stages_times_the_amount() -> None:
    split = {Stage.RAW_MATERIAL: Decimal(6), Stage.PRODUCTION: Decimal(4)}
    result = footprint(own(production="1"), received("10", "3", stages=split))
    assert result.stages is not None
    assert (result.stages[Stage.RAW_MATERIAL], result.stages[Stage.PRODUCTION]) == (Decimal(18), Decimal(13))


def test_a_total_without_stages_goes_to_the_stage_the_buyer_names() -> None:
    result = footprint(own(production="1"), received("10", "2", stage=Stage.RAW_MATERIAL))
    assert result.stages is not None and result.stages[Stage.RAW_MATERIAL] == 20


def test_a_total_without_stages_and_without_a_named_stage_gives_no_split_rather_than_a_wrong_one() -> None:
    result = footprint(own(production="1"), received("10", "2"))
    assert result.stages is None
    assert result.total == 21


def test_the_result_records_the_digest_of_every_input_it_used() -> None:
    own_part = own(raw="1", tag="activities")
    a, b = received("1", name="a"), received("2", name="b")
    assert footprint(own_part, a, b).inputs == (own_part.sha256, a.sha256, b.sha256)


def test_an_amount_in_another_unit_than_the_suppliers_declared_unit_is_refused() -> None:
    with pytest.raises(InvalidInput, match="amount given per 'piece'"):
        received("1", unit="piece")


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(InvalidInput, match="non-negative"):
        received("1", "-2")


def test_a_reference_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput, match="before its end"):
        rollup(
            product_id="urn:x",
            declared_unit="piece",
            own=own(raw="1"),
            reference_period=(PERIOD[1], PERIOD[0]),
        )
    with pytest.raises(InvalidInput, match="time zone"):
        rollup(
            product_id="urn:x",
            declared_unit="piece",
            own=own(raw="1"),
            reference_period=(datetime(2025, 1, 1), datetime(2026, 1, 1, tzinfo=UTC)),
        )


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(own_total=totals, supplier_total=totals, amount=amounts, factor=st.integers(min_value=0, max_value=50))
def test_rollup_is_linear_in_the_amount(
    own_total: Decimal, supplier_total: Decimal, amount: Decimal, factor: int
) -> None:
    base = footprint(own(raw=str(own_total)), received(str(supplier_total), str(amount)))
    scaled = footprint(own(raw=str(own_total)), received(str(supplier_total), str(amount * factor)))
    assert scaled.purchased == base.purchased * factor
    assert scaled.total - scaled.own == (base.total - base.own) * factor


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(a=totals, b=totals, q1=amounts, q2=amounts)
def test_rolling_up_two_inputs_equals_adding_their_separate_contributions(
    a: Decimal, b: Decimal, q1: Decimal, q2: Decimal
) -> None:
    both = footprint(own(), received(str(a), str(q1), name="a"), received(str(b), str(q2), name="b"))
    first = footprint(own(), received(str(a), str(q1), name="a"))
    second = footprint(own(), received(str(b), str(q2), name="b"))
    assert both.total == first.total + second.total


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(
    parts=st.lists(st.tuples(totals, amounts, ratings, ratings, ratings), min_size=1, max_size=6),
    own_total=totals,
    own_rating=st.tuples(ratings, ratings, ratings),
)
def test_a_weighted_dqr_stays_between_the_lowest_and_highest_rating_used(
    parts: list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal]],
    own_total: Decimal,
    own_rating: tuple[Decimal, Decimal, Decimal],
) -> None:
    inputs = [
        received(str(t), str(q), quality=dqr(str(te), str(ge), str(ti)), name=f"s{i}")
        for i, (t, q, te, ge, ti) in enumerate(parts)
    ]
    result = footprint(own(raw=str(own_total)), *inputs, own_dqr=dqr(*(str(r) for r in own_rating)))
    for index, name in enumerate(("TeR", "GeR", "TiR")):
        used = [own_rating[index]] + [part[2 + index] for part in parts]
        for rating in (result.dqr, result.pact_dqi):
            if rating is not None:
                assert (
                    min(used) - Decimal("0.00001") <= getattr(rating, name) <= max(used) + Decimal("0.00001")
                )
    assert 0 <= result.dqr_coverage <= 100 and 0 <= result.pact_dqi_coverage <= result.dqr_coverage
