"""Parameter validation: every error names the parameter; the JSON Schema says the same as the validator."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.contracts import load_example, render_contract, template_parameters
from battrace.contracts.parameters import ParameterSpec, canonical_value, validate_parameters
from battrace.errors import InvalidInput

from .conftest import AGREEMENT, EFFECTIVE, PARTIES, TEMPLATE_IDS

DX = "battery-data-exchange-v1"


def _render(parameters: dict[str, Any]) -> None:
    render_contract(DX, parameters, parties=PARTIES, agreement_id=AGREEMENT, effective=EFFECTIVE)


def _example(**changes: Any) -> dict[str, Any]:
    return {**load_example(DX).parameters, **changes}


def _error(parameters: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        _render(parameters)
    return caught.value


def test_a_missing_required_parameter_is_named() -> None:
    parameters = _example()
    del parameters["venue"]
    error = _error(parameters)
    assert error.detail == "missing required parameter 'venue'"
    assert error.extra == {"parameter": "venue"}
    assert error.status == 400


def test_an_unknown_parameter_is_named() -> None:
    error = _error(_example(venu="Munich"))
    assert error.detail == "unknown parameter 'venu'"
    assert error.extra == {"parameter": "venu"}


def test_a_parameter_of_another_template_is_unknown_here() -> None:
    # goods_description belongs to battery-supply-v1 only
    assert _error(_example(goods_description="cells")).extra == {"parameter": "goods_description"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("retention_days", "365", "expected an integer, got str"),
        ("retention_days", 365.5, "expected an integer, got float"),
        ("retention_days", True, "expected an integer, got bool"),
        ("retention_days", 0, "must be at least 1"),
        ("deletion_confirmation", "yes", "expected true or false, got str"),
        ("liability_cap_amount", -1, "must be at least 0"),
        ("currency", "euro", "does not match"),
        ("tisax_level", "AL1", "must be one of ['none', 'AL2', 'AL3']"),
        ("venue", "", "must not be empty"),
        ("venue", "   ", "must not be empty"),
        ("venue", "Munich\n\n- injected item", "line break or control character"),
        ("venue", "x" * 501, "exceeds 500 characters"),
        ("data_categories", "battery passport", "expected an array of strings, got str"),
        ("data_categories", [], "needs at least 1 item(s)"),
        ("data_categories", ["a", "a"], "lists an item twice"),
        ("data_categories", ["a", 7], "expected a string, got int"),
        ("purposes", ["ok", "two\nlines"], "'purposes[1]' contains a line break"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_parameter(name: str, value: Any, message: str) -> None:
    error = _error(_example(**{name: value}))
    assert error.extra == {"parameter": name}
    assert name in error.detail
    assert message in error.detail


def test_unknown_is_reported_before_missing_and_missing_before_wrong() -> None:
    parameters = _example(zzz=1, retention_days="bad")
    del parameters["venue"]
    assert _error(parameters).extra == {"parameter": "zzz"}
    del parameters["zzz"]
    assert _error(parameters).extra == {"parameter": "venue"}


def test_parameters_must_be_an_object() -> None:
    with pytest.raises(InvalidInput, match="JSON object"):
        _render(["venue"])  # type: ignore[arg-type]


_DATE = ParameterSpec(name="start", type="date", description="Start")
_NUMBER = ParameterSpec(name="rate", type="number", description="Rate")


def test_a_date_is_taken_as_iso_text_or_as_a_date_and_kept_as_iso_text() -> None:
    assert canonical_value(_DATE, "2025-03-01") == "2025-03-01"
    assert canonical_value(_DATE, date(2025, 3, 1)) == "2025-03-01"


@pytest.mark.parametrize("value", ["2025-02-30", "20250301", "2025-3-1", "1 March 2025", 20250301])
def test_a_malformed_or_impossible_date_is_refused(value: Any) -> None:
    with pytest.raises(InvalidInput, match="'start'"):
        canonical_value(_DATE, value)


def test_a_datetime_is_not_a_date() -> None:
    with pytest.raises(InvalidInput, match="'start'"):
        canonical_value(_DATE, datetime(2025, 3, 1, 12, 0))


def test_a_whole_number_given_as_float_renders_like_the_integer() -> None:
    assert canonical_value(_NUMBER, 5.0) == 5
    assert isinstance(canonical_value(_NUMBER, 5.0), int)
    assert canonical_value(_NUMBER, 0.5) == 0.5
    days = ParameterSpec(name="days", type="integer", description="Days")
    assert type(canonical_value(days, 30.0)) is int


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.5", None])
def test_a_non_finite_or_non_numeric_number_is_refused(value: Any) -> None:
    with pytest.raises(InvalidInput, match="'rate'"):
        canonical_value(_NUMBER, value)


def test_canonical_parameters_include_every_default_sorted_by_name() -> None:
    from battrace.contracts.library import get_template

    template = get_template(DX)
    values = validate_parameters(template.parameters, load_example(DX).parameters)
    assert list(values) == sorted(spec.name for spec in template.parameters)
    assert values["retention_days"] == 730  # the template's default, not the clause's 365
    assert values["permitted_recipients"] == ()


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_the_example_parameters_satisfy_the_published_json_schema(template_id: str) -> None:
    schema = template_parameters(template_id)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(dict(load_example(template_id).parameters), schema)


# Values the schema and the validator must judge alike (hypothesis draws the value for one parameter).
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**8) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8) | st.sampled_from(["AL2", "none", "EUR", "eur", " ", "a\nb"]),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=4,
)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(
    ["retention_days", "tisax_level", "currency", "venue", "data_categories", "deletion_confirmation",
     "liability_cap_amount", "permitted_recipients"]
), value=_ANY_JSON)
def test_the_validator_and_the_json_schema_agree(name: str, value: Any) -> None:
    schema = template_parameters(DX)
    parameters = _example(**{name: value})
    schema_accepts = jsonschema.Draft202012Validator(schema).is_valid(parameters)
    try:
        from battrace.contracts.library import get_template

        validate_parameters(get_template(DX).parameters, parameters)
        validator_accepts = True
    except InvalidInput:
        validator_accepts = False
    assert schema_accepts == validator_accepts, (name, value)
