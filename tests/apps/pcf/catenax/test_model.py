"""The io.catenax.pcf 9.0.0 aspect: the official example imports, round-trips, and numbers stay exact."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from battrace.apps.pcf.catenax.model import parse_pcf
from battrace.errors import InvalidInput

from .conftest import CATENAX, errors, load


def test_the_official_example_validates_against_the_official_schema() -> None:
    # guards the fixture pair itself: a test that validates our output is only as good as the schema
    assert errors("Pcf-schema.json", load("Pcf.json")) == []


def test_the_official_example_imports_and_round_trips_to_the_same_json() -> None:
    raw = load("Pcf.json")
    assert parse_pcf(raw).to_json() == raw


def test_the_round_tripped_example_still_validates() -> None:
    assert errors("Pcf-schema.json", parse_pcf(load("Pcf.json")).to_json()) == []


def test_numbers_read_from_raw_json_are_exact_decimals() -> None:
    pcf = parse_pcf((CATENAX / "Pcf.json").read_bytes())
    shares = pcf.pcfAssessmentAndMethodology[0].verificationAndCertificationShares
    assert shares is not None
    assert shares[0].programCertificationShare == Decimal("69.14590545404381")
    production = pcf.productLifeCycleStagesAndEmissions[0].productionStage[0]
    assert production.pcfExcludingBiogenicUptake == Decimal("2.9")


def test_a_fifteen_digit_decimal_survives_the_json_number_it_is_written_as() -> None:
    raw = load("Pcf.json")
    raw["productLifeCycleStagesAndEmissions"][0]["productionStage"][0]["fossilGhgEmissions"] = 0
    pcf = parse_pcf(raw)
    stage = pcf.productLifeCycleStagesAndEmissions[0].productionStage[0]
    exact = Decimal("12345.6789012345")  # 15 significant digits
    changed = stage.model_copy(update={"fossilGhgEmissions": exact})
    lifecycle = pcf.productLifeCycleStagesAndEmissions[0].model_copy(update={"productionStage": (changed,)})
    text = json.dumps(pcf.model_copy(update={"productLifeCycleStagesAndEmissions": (lifecycle,)}).to_json())
    again = parse_pcf(text.encode())
    assert again.productLifeCycleStagesAndEmissions[0].productionStage[0].fossilGhgEmissions == exact


def test_a_decimal_string_where_the_aspect_wants_a_number_is_refused() -> None:
    raw = load("Pcf.json")
    raw["productLifeCycleStagesAndEmissions"][0]["productionStage"][0]["pcfExcludingBiogenicUptake"] = "2.9"
    with pytest.raises(InvalidInput, match="pcfExcludingBiogenicUptake"):
        parse_pcf(raw)


def test_a_negative_production_pcf_is_refused_as_the_schema_refuses_it() -> None:
    raw = load("Pcf.json")
    raw["productLifeCycleStagesAndEmissions"][0]["productionStage"][0]["pcfExcludingBiogenicUptake"] = -1
    assert errors("Pcf-schema.json", raw) != []
    with pytest.raises(InvalidInput):
        parse_pcf(raw)


def test_an_unknown_unit_is_refused() -> None:
    raw = load("Pcf.json")
    raw["companyAndProductInformation"][0]["productInformation"][0]["declaredUnitOfMeasurement"] = "gallon"
    with pytest.raises(InvalidInput, match="declaredUnitOfMeasurement"):
        parse_pcf(raw)


@pytest.mark.parametrize("payload", [b"[]", b"{not json", b'{"scopeOfPcfForm": []}'])
def test_what_is_not_a_pcf_is_invalid_input_not_a_traceback(payload: bytes) -> None:
    with pytest.raises(InvalidInput):
        parse_pcf(payload)
