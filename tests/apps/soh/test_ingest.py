"""Strict import of BMS/OBD exports: whole or nothing, every refusal naming its row and field."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.apps.soh import fleet
from battrace.apps.soh.ingest import parse_csv, parse_json
from battrace.apps.soh.series import Nameplate
from battrace.errors import InvalidInput

EV = fleet.EV
HEADER = "battery_id,measured_at,capacity [Ah],capacity_throughput [Ah],soh [%],deep_discharges [count]"
GOOD_ROWS = [
    "EV-1,2026-01-31T00:00:00Z,178.2,0,99.0,0",
    "EV-1,2026-02-28T00:00:00Z,177.9,900,98.8,0",
    "EV-1,2026-03-31T00:00:00+02:00,177.5,1850,98.6,1",
]


def _csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _refusal(text: str, plate: Nameplate = EV) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_csv(text, plate)
    return caught.value


def test_a_well_formed_export_is_read_in_time_order_with_gaps_as_nan() -> None:
    readings = parse_csv(_csv(GOOD_ROWS[2], GOOD_ROWS[0], GOOD_ROWS[1]), EV)
    assert readings.battery_ids == ("EV-1",)
    np.testing.assert_allclose(readings.columns["capacity"][0], [178.2, 177.9, 177.5])
    assert np.isnan(readings.column("resistance")).all()


def test_generated_fleet_survives_the_csv_round_trip_exactly() -> None:
    readings, _ = fleet.generate(12, months=24, seed=5)
    plates = dict(zip(readings.battery_ids, readings.nameplates, strict=True))
    again = parse_csv(fleet.as_csv(readings), plates)
    assert again.battery_ids == readings.battery_ids
    np.testing.assert_allclose(again.days, readings.days, atol=1e-5)  # the CSV keeps whole seconds
    for name, column in readings.columns.items():
        np.testing.assert_allclose(again.column(name), column, rtol=1e-5, equal_nan=True, err_msg=name)


def test_generated_fleet_survives_the_json_round_trip_with_its_nameplates() -> None:
    readings, _ = fleet.generate(6, months=18, seed=6)
    again = parse_json(fleet.as_json(readings))
    assert again.nameplates == readings.nameplates
    np.testing.assert_allclose(again.column("resistance"), readings.column("resistance"), equal_nan=True)


def test_a_state_of_health_over_100_percent_is_refused_naming_row_and_field() -> None:
    error = _refusal(_csv(GOOD_ROWS[0], "EV-1,2026-02-28T00:00:00Z,177.9,900,100.4,0"))
    assert error.extra["row"] == "row 3"
    assert error.extra["field"] == "soh"
    assert "row 3" in error.detail and "soh" in error.detail and "nothing was imported" in error.detail


def test_a_negative_quantity_is_refused() -> None:
    error = _refusal(_csv(GOOD_ROWS[0], "EV-1,2026-02-28T00:00:00Z,-5,900,98.8,0"))
    assert (error.extra["row"], error.extra["field"]) == ("row 3", "capacity")
    assert "negative" in error.detail


def test_capacity_in_mah_labelled_ah_is_caught_as_a_state_of_health_over_100_percent() -> None:
    error = _refusal(_csv("EV-1,2026-01-31T00:00:00Z,178200,0,99.0,0"))
    assert error.extra["field"] == "capacity"
    assert "mAh" in error.detail


def test_a_unit_other_than_the_catalogues_is_refused_not_converted() -> None:
    header = HEADER.replace("capacity [Ah]", "capacity [mAh]")
    error = _refusal(_csv("EV-1,2026-01-31T00:00:00Z,178200,0,99.0,0", header=header))
    assert (error.extra["row"], error.extra["field"]) == ("row 1", "capacity")
    assert "not 'mAh'" in error.detail


def test_a_cumulative_counter_running_backwards_is_refused() -> None:
    error = _refusal(_csv(GOOD_ROWS[0], GOOD_ROWS[1], "EV-1,2026-03-31T00:00:00Z,177.5,800,98.6,1"))
    assert (error.extra["row"], error.extra["field"]) == ("row 4", "capacity_throughput")
    assert "cannot decrease" in error.detail


def test_a_time_without_a_zone_is_refused() -> None:
    error = _refusal(_csv("EV-1,2026-01-31T00:00:00,178.2,0,99.0,0"))
    assert (error.extra["row"], error.extra["field"]) == ("row 2", "measured_at")


def test_two_readings_at_the_same_time_are_refused() -> None:
    error = _refusal(_csv(GOOD_ROWS[0], GOOD_ROWS[0]))
    assert error.extra["field"] == "measured_at"


def test_malformed_rows_are_refused() -> None:
    assert _refusal(_csv(GOOD_ROWS[0], "EV-1,2026-02-28T00:00:00Z,177.9")).extra["row"] == "row 3"
    assert _refusal(_csv("EV-1,2026-01-31T00:00:00Z,abc,0,99.0,0")).extra["field"] == "capacity"
    assert _refusal(_csv("EV-1,2026-01-31T00:00:00Z,nan,0,99.0,0")).extra["field"] == "capacity"
    assert _refusal("").extra["field"] == "header"
    assert _refusal(_csv()).extra["row"] == "row 2"


def test_a_missing_required_column_or_an_unknown_one_is_refused() -> None:
    no_throughput = "battery_id,measured_at,capacity [Ah]"
    assert _refusal(_csv("EV-1,2026-01-31T00:00:00Z,178", header=no_throughput)).extra["field"] == (
        "capacity_throughput"
    )
    unknown = HEADER + ",colour [rgb]"
    assert _refusal(_csv(GOOD_ROWS[0] + ",red", header=unknown)).extra["field"] == "colour"


def test_one_bad_row_among_thousands_refuses_the_whole_file_and_lists_every_problem() -> None:
    readings, _ = fleet.generate(50, months=60, seed=8)
    lines = fleet.as_csv(readings).splitlines()
    lines[1500] = lines[1500].replace(lines[1500].split(",")[2], "-1", 1)  # a negative capacity
    lines[2500] = lines[2500].replace(",", ",x", 3)  # garbage in a later row too
    plates = dict(zip(readings.battery_ids, readings.nameplates, strict=True))
    with pytest.raises(InvalidInput) as caught:
        parse_csv("\n".join(lines), plates)
    rows = {p["row"] for p in caught.value.extra["problems"]}
    assert {"row 1501", "row 2501"} <= rows


def test_a_battery_without_a_nameplate_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_csv(_csv(GOOD_ROWS[0]), {"OTHER": EV})
    assert caught.value.extra["field"] == "battery_id"


def test_json_with_a_bare_number_or_a_wrong_unit_is_refused_naming_the_reading() -> None:
    document = {
        "format": "battrace-soh-readings/1",
        "batteries": [
            {
                "battery_id": "EV-1",
                "readings": [
                    {
                        "measured_at": "2026-01-31T00:00:00Z",
                        "capacity": {"value": 178.0, "unit": "Ah"},
                        "capacity_throughput": {"value": 0, "unit": "Ah"},
                    },
                    {
                        "measured_at": "2026-02-28T00:00:00Z",
                        "capacity": {"value": 177.0, "unit": "Ah"},
                        "capacity_throughput": {"value": 900, "unit": "kAh"},
                    },
                ],
            }
        ],
    }
    with pytest.raises(InvalidInput) as caught:
        parse_json(json.dumps(document), EV)
    assert caught.value.extra["row"] == "batteries[0].readings[1]"
    assert caught.value.extra["field"] == "capacity_throughput"
    document["batteries"][0]["readings"][1]["capacity_throughput"] = 900  # type: ignore[index]
    with pytest.raises(InvalidInput, match="value"):
        parse_json(json.dumps(document), EV)


def test_text_that_is_not_json_is_refused_with_its_position() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_json('{"format": ', EV)
    assert caught.value.extra["row"] == "line 1"


def test_a_byte_order_mark_from_a_spreadsheet_does_not_hide_the_first_column() -> None:
    readings = parse_csv("\ufeff" + _csv(*GOOD_ROWS), EV)
    assert readings.battery_ids == ("EV-1",)


def test_json_without_any_reading_is_refused() -> None:
    empty = {"format": "battrace-soh-readings/1", "batteries": [{"battery_id": "EV-1", "readings": []}]}
    with pytest.raises(InvalidInput, match="no readings"):
        parse_json(json.dumps(empty), EV)


def test_the_message_counts_every_problem_even_beyond_those_listed() -> None:
    rows = [f"EV-1,2026-01-{day:02d}T00:00:00Z,-1,0,99.0,0" for day in range(1, 29)] * 3
    with pytest.raises(InvalidInput) as caught:
        parse_csv(_csv(*rows), EV)
    assert len(caught.value.extra["problems"]) == 50
    assert "(and 83 more problems)" in caught.value.detail  # 84 negative capacities, none else: a
    # rejected reading is not kept, so the repeated times are never compared (nor past the 50 listed)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(HEADER + GOOD_ROWS[0] + '\n",;-eE\ufeff\x00'))))
def test_any_text_is_either_read_or_refused_as_invalid_input_never_a_crash(text: str) -> None:
    try:
        parse_csv(HEADER + "\n" + text, EV)
    except InvalidInput as error:
        assert error.extra["row"] and error.extra["field"]
    try:
        parse_json(text, EV)
    except InvalidInput as error:
        assert error.extra["row"] and error.extra["field"]


_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
_FIELD = st.sampled_from(["capacity", "capacity_throughput", "soh", "measured_at", "resistance", "x"])
_READING = st.dictionaries(
    _FIELD, _JSON | st.fixed_dictionaries({"value": _JSON, "unit": st.sampled_from(["Ah", "%", "Ω", "mAh"])})
)


@settings(max_examples=150, deadline=None)
@given(
    battery=st.fixed_dictionaries(
        {"battery_id": _JSON, "readings": st.lists(_READING, max_size=4)}, optional={"nameplate": _JSON}
    )
)
def test_any_json_structure_is_either_read_or_refused_never_a_crash(battery: dict[str, object]) -> None:
    document = {"format": "battrace-soh-readings/1", "batteries": [battery]}
    try:
        parse_json(json.dumps(document), EV)
    except InvalidInput as error:
        assert error.extra["row"] and error.extra["field"]
