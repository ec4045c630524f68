"""Recording rows: state machine and mass balance at every step, all or nothing."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.apps.recycling import example
from battrace.apps.recycling.events import Chemistry, Element, Records, Refined, Stage
from battrace.apps.recycling.massbalance import (
    ABSOLUTE_TOLERANCE_KG,
    RELATIVE_TOLERANCE,
    element_input_kg,
    record_rows,
)
from battrace.apps.recycling.rates import recovery_rates, recycling_efficiency
from battrace.errors import InvalidInput


def _ev_rows() -> list[dict[str, object]]:
    return copy.deepcopy(example._ev_rows())


def _stage_row(rows: list[dict[str, object]], stage: str) -> dict[str, object]:
    return next(r for r in rows if r["stage"] == stage)


def test_the_example_chain_is_recorded_whole() -> None:
    records = example.example_records()
    history = records.history(example.EV_LOT)
    assert history.stage is Stage.SOLD
    assert len(history.events) == 8
    assert len(records.histories) == 4  # the EV lot and three portable lots


def test_recovered_cobalt_above_the_black_mass_content_is_refused_naming_row_and_field() -> None:
    rows = _ev_rows()
    # black mass 300 kg x 6.4 % = 19.2 kg cobalt; 19.2 x 1.005 + 0.001 = 19.297 is the most accepted
    _stage_row(rows, "refined")["recovered_kg"] = {"cobalt": 19.5}
    with pytest.raises(InvalidInput) as caught:
        record_rows(Records(), rows)
    assert caught.value.detail.startswith("row 6, field recovered_kg.cobalt: ")
    assert "19.5 kg of cobalt recovered is more than the 19.2 kg" in caught.value.detail
    assert caught.value.extra["reason"] == "mass_balance"


def test_black_mass_assay_above_what_the_batteries_contained_is_refused() -> None:
    rows = _ev_rows()
    # 300 kg x 8 % = 24 kg of cobalt, but the delivered lot held 20 kg
    _stage_row(rows, "shredded")["composition_percent"] = {"cobalt": 8.0}
    with pytest.raises(InvalidInput, match=r"row 5, field composition_percent\.cobalt: .*: 24 kg of cobalt"):
        record_rows(Records(), rows)


@pytest.mark.parametrize(
    ("stage", "field", "value", "message"),
    [
        ("collected", "mass_kg", 1200, "row 2, field mass_kg: subject .*: 1200 kg collected"),
        ("delivered", "mass_kg", 1100, "row 3, field mass_kg: .*1100 kg delivered"),
        ("dismantled", "to_shredding_kg", 900, "row 4, field to_shredding_kg: .*1220 kg to shredding"),
        ("shredded", "black_mass_kg", 500, "row 5, field black_mass_kg: .*650 kg of black mass"),
        ("refined", "input_kg", 320, "row 6, field input_kg: .*320 kg of black mass refined"),
    ],
)
def test_a_step_putting_out_more_than_went_in_is_refused(
    stage: str, field: str, value: float, message: str
) -> None:
    rows = _ev_rows()
    _stage_row(rows, stage)[field] = value
    with pytest.raises(InvalidInput, match=message):
        record_rows(Records(), rows)


def test_a_bad_row_records_nothing_of_its_batch() -> None:
    before = example.example_records()
    rows = _ev_rows()
    for row in rows:
        row["subject"] = "urn:battrace:lot:second"
        if row["stage"] == "sold":
            row["sale_id"] = f"{row['sale_id']}-b"
    rows[-1]["mass_kg"] = -5.0
    with pytest.raises(InvalidInput, match="row 8, field mass_kg: a mass cannot be negative"):
        record_rows(before, rows)
    assert "urn:battrace:lot:second" not in before.histories
    assert set(before.histories) == set(example.example_records().histories)
    # the same batch without the bad row goes in whole
    after = record_rows(before, rows[:-1])
    assert after.history("urn:battrace:lot:second").stage is Stage.SOLD


def test_outputs_within_the_stated_tolerance_pass_and_just_beyond_are_refused() -> None:
    assert RELATIVE_TOLERANCE == 0.005 and ABSOLUTE_TOLERANCE_KG == 0.001  # the documented figures
    rows = _ev_rows()[:2]
    rows[1]["mass_kg"] = 1005.0  # 1000 x 1.005 + 0.001 = 1005.001 allowed
    assert record_rows(Records(), rows).history(example.EV_LOT).stage is Stage.COLLECTED
    rows[1]["mass_kg"] = 1005.01
    with pytest.raises(InvalidInput, match=r"tolerance 0\.5% \+ 1 g"):
        record_rows(Records(), rows)


def test_tranches_sold_together_may_not_exceed_the_recovered_element() -> None:
    rows = _ev_rows()
    extra = dict(_stage_row(rows, "sold"), sale_id="S-2029-099", mass_kg=1.0)  # 18.0 + 1.0 > 18.6
    with pytest.raises(InvalidInput, match=r"row 9, field mass_kg: .*19 kg of cobalt sold in all"):
        record_rows(Records(), [*rows, extra])


def test_a_sale_id_is_recorded_once() -> None:
    rows = _ev_rows()
    rows.append(dict(_stage_row(rows, "sold"), mass_kg=0.1))
    with pytest.raises(InvalidInput, match="row 9, field sale_id: sale S-2029-017 is already recorded"):
        record_rows(Records(), rows)


def test_only_the_holder_of_the_refined_material_can_sell_it() -> None:
    rows = _ev_rows()
    _stage_row(rows, "sold")["performed_by"] = example.COLLECTOR
    with pytest.raises(InvalidInput, match=r"row 7, field performed_by: .*refined by did:web:refiner"):
        record_rows(Records(), rows)


def test_a_step_out_of_order_is_refused_on_the_stage_field() -> None:
    rows = _ev_rows()
    del rows[3]  # no dismantling: shredding follows delivery
    with pytest.raises(InvalidInput) as caught:
        record_rows(Records(), rows)
    assert caught.value.detail.startswith("row 4, field stage: subject urn:battrace:lot:ev-2021-0042: ")
    assert "shredded cannot follow delivered" in caught.value.detail


def test_a_step_dated_before_the_one_it_follows_is_refused() -> None:
    rows = _ev_rows()
    rows[1]["at"] = "2020-12-31T23:00:00+00:00"  # collected before it was placed on the market (2021-03-01)
    with pytest.raises(
        InvalidInput, match=r"row 2, field at: .*collected at 2020-12-31T23:00:00\+00:00 is before"
    ):
        record_rows(Records(), rows)


def test_an_element_not_declared_at_placing_cannot_be_recovered() -> None:
    rows = _ev_rows()
    rows[0]["content_kg"] = {"cobalt": 20, "nickel": 60, "lithium": 15}  # no copper declared
    _stage_row(rows, "shredded")["composition_percent"] = {"cobalt": 6.4}
    with pytest.raises(InvalidInput, match=r"row 6, field recovered_kg\.copper: .*34 kg of copper recovered"):
        record_rows(Records(), rows)


def test_element_input_scales_with_the_share_of_the_lot_delivered() -> None:
    rows = _ev_rows()[:3]
    rows[1]["mass_kg"] = rows[2]["mass_kg"] = 250  # a quarter of the 1000 kg lot reached the recycler
    history = record_rows(Records(), rows).history(example.EV_LOT)
    # content 20 / 60 / 15 / 40 kg x 250 / 1000
    assert element_input_kg(history) == {
        Element.COBALT: 5.0,
        Element.NICKEL: 15.0,
        Element.LITHIUM: 3.75,
        Element.COPPER: 10.0,
    }


# --- properties: whatever is accepted balances -----------------------------------------------------------

# Each step passes on a fraction of what it received; up to 1.02 so some rows break the balance.
_share = st.floats(min_value=0, max_value=1.02, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    delivered=st.floats(min_value=0, max_value=1000, allow_nan=False),
    to_shredding=_share,
    black_mass=_share,
    cobalt_percent=st.floats(min_value=0, max_value=10),
    recovered_cobalt=_share,
    graphite=_share,
)
def test_accepted_chains_never_recover_more_than_went_in_and_rates_stay_within_0_and_100(
    delivered: float,
    to_shredding: float,
    black_mass: float,
    cobalt_percent: float,
    recovered_cobalt: float,
    graphite: float,
) -> None:
    rows = _ev_rows()[:6]
    shredding_kg = delivered * to_shredding
    black_mass_kg = shredding_kg * black_mass
    cobalt_kg = black_mass_kg * cobalt_percent / 100 * recovered_cobalt
    rows[1]["mass_kg"] = rows[2]["mass_kg"] = delivered
    rows[3].update(input_kg=delivered, to_shredding_kg=shredding_kg, fractions_kg={})
    rows[4].update(input_kg=shredding_kg, black_mass_kg=black_mass_kg, fractions_kg={},
                   composition_percent={"cobalt": cobalt_percent})  # fmt: skip
    rows[5].update(input_kg=black_mass_kg, recovered_kg={"cobalt": cobalt_kg},
                   fractions_kg={"graphite": black_mass_kg * graphite})  # fmt: skip
    try:
        records = record_rows(Records(), rows)
    except InvalidInput as exc:
        assert exc.detail.startswith("row ") and exc.extra["reason"] == "mass_balance"
        return
    history = records.history(example.EV_LOT)
    refined = history.detail(Refined)
    assert refined is not None
    # each hop may exceed its input by the tolerance at most once: black mass assay, then refining
    entered = element_input_kg(history)[Element.COBALT]
    bound = (entered * (1 + RELATIVE_TOLERANCE) + ABSOLUTE_TOLERANCE_KG) * (1 + RELATIVE_TOLERANCE)
    assert refined.recovered_kg[Element.COBALT] <= bound + ABSOLUTE_TOLERANCE_KG
    for rate in recovery_rates([history], 2029).values():
        assert 0 <= rate.percent <= 100
    if delivered > 0:
        assert 0 <= recycling_efficiency([history], Chemistry.LITHIUM_BASED, 2029).percent <= 100
