from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from battrace.apps.duediligence.model import Declaration, parse_declaration
from battrace.errors import InvalidInput

from .example import cellco


def _json(declaration: Declaration) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(declaration.model_dump_json())
    return document


def test_a_declaration_survives_json_as_sent_over_the_data_space() -> None:
    assert parse_declaration(_json(cellco())) == cellco()


def test_the_json_schema_accepts_a_declaration_and_rejects_an_unknown_answer() -> None:
    schema = Declaration.model_json_schema()
    document = _json(cellco())
    jsonschema.validate(document, schema)
    document["minerals"][0]["cahra"] = "Perhaps"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_unknown_fields_are_refused_rather_than_dropped() -> None:
    document = _json(cellco())
    document["smelters"][0]["smelterID"] = "CID900003"
    with pytest.raises(InvalidInput, match=r"smelters\.0\.smelterID: Extra inputs are not permitted"):
        parse_declaration(document)


def test_a_mineral_answered_twice_is_refused() -> None:
    document = _json(cellco())
    document["minerals"].append(document["minerals"][0])
    with pytest.raises(InvalidInput, match="a mineral is answered twice"):
        parse_declaration(document)


def test_a_smelter_for_an_undeclared_mineral_is_refused() -> None:
    document = _json(cellco())
    document["smelters"][0]["mineral"] = "gold"
    with pytest.raises(InvalidInput, match="lists gold, which the declaration does not answer for"):
        parse_declaration(document)


def test_a_product_scope_declaration_needs_a_product_list() -> None:
    document = _json(cellco())
    document["company"]["declaration_scope"] = "B. Product (or List of Products)"
    document["products"] = []
    with pytest.raises(InvalidInput, match=r"product-scope declaration \(B\) needs a Product List"):
        parse_declaration(document)


def test_countries_must_be_iso_3166_alpha_2() -> None:
    document = _json(cellco())
    document["smelters"][0]["country"] = "Finland"
    with pytest.raises(InvalidInput, match=r"smelters\.0\.country: .*'Finland' is not an ISO 3166-1"):
        parse_declaration(document)


def test_a_mine_name_may_not_contain_the_cell_separator() -> None:
    document = _json(cellco())
    document["smelters"][0]["mine_names"] = ["North; South"]
    with pytest.raises(InvalidInput, match=r"smelters\.0\.mine_names\.0"):
        parse_declaration(document)


def test_did_not_survey_is_its_own_answer_to_question_6_not_none() -> None:
    # EMRT question 6 picklist: "None" (suppliers asked, none answered) and "Did not survey" (none asked).
    declared = _json(cellco())
    declared["minerals"][0]["suppliers_responded"] = "Did not survey"
    parsed = parse_declaration(declared)
    assert parsed.minerals[0].suppliers_responded == "Did not survey"
    schema = Declaration.model_json_schema()
    jsonschema.validate(declared, schema)
