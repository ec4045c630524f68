"""Contract definitions naming a contract template (battrace extension): the parameters come out as the
template declares them, whatever JSON-LD did to them, and a bad template or parameter is refused by name."""

from __future__ import annotations

from typing import Any

import pytest

from battrace.contracts import load_example
from battrace.errors import InvalidInput
from battrace.jsonld import EDC_NS
from battrace.management import parse_contract_definition

from ._fixtures import contract_definition_short

TEMPLATE = "battery-data-exchange-v1"


def _body(**extra: Any) -> dict[str, Any]:
    return {**contract_definition_short(), **extra}


def _parameters(**changes: Any) -> dict[str, Any]:
    return {**load_example(TEMPLATE).parameters, **changes}


def test_template_and_parameters_are_read_as_given() -> None:
    parsed = parse_contract_definition(_body(contractTemplate=TEMPLATE, contractParameters=_parameters()))
    assert parsed.contract_template == TEMPLATE
    assert parsed.contract_parameters == _parameters()


def test_a_one_item_array_parameter_stays_an_array() -> None:
    # JSON-LD expands ["x"] and "x" alike; the template says purposes is an array.
    parsed = parse_contract_definition(
        _body(contractTemplate=TEMPLATE, contractParameters=_parameters(purposes=["only this"]))
    )
    assert parsed.contract_parameters is not None
    assert parsed.contract_parameters["purposes"] == ["only this"]


def test_fully_expanded_iris_are_accepted() -> None:
    body = _body(**{EDC_NS + "contractTemplate": TEMPLATE, EDC_NS + "contractParameters": _parameters()})
    assert parse_contract_definition(body).contract_template == TEMPLATE


def test_a_definition_without_template_has_none() -> None:
    parsed = parse_contract_definition(contract_definition_short())
    assert parsed.contract_template is None and parsed.contract_parameters is None


@pytest.mark.parametrize(
    ("extra", "fragments", "parameter"),
    [
        ({"contractTemplate": "no-such-template"}, ("contractTemplate", "no-such-template"), None),
        ({"contractTemplate": 7}, ("contractTemplate", "string"), None),
        ({"contractParameters": {"venue": "x"}}, ("contractTemplate",), None),
        (
            {"contractTemplate": TEMPLATE},
            ("contractParameters", "framework_agreement"),
            "framework_agreement",
        ),
        (
            {"contractTemplate": TEMPLATE, "contractParameters": _parameters(liability_cap_amount="much")},
            ("contractParameters", "liability_cap_amount"),
            "liability_cap_amount",
        ),
        (
            {"contractTemplate": TEMPLATE, "contractParameters": _parameters(colour="red")},
            ("unknown parameter", "colour"),
            "colour",
        ),
        (
            {"contractTemplate": TEMPLATE, "contractParameters": _parameters(venue="line\nbreak")},
            ("venue",),
            "venue",
        ),
    ],
)
def test_a_bad_template_or_parameter_is_refused_by_name(
    extra: dict[str, Any], fragments: tuple[str, ...], parameter: str | None
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_contract_definition(_body(**extra))
    assert type(caught.value) is InvalidInput  # a 400, never the NotFound of an unknown template
    for fragment in fragments:
        assert fragment in caught.value.detail
    assert caught.value.extra.get("parameter") == parameter
