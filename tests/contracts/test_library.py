"""The shipped library: what it offers, and the checks that keep a broken clause from ever shipping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from battrace.contracts import list_templates, template_parameters
from battrace.contracts._jinja import source_problems
from battrace.contracts.library import build_template, get_template, load_clauses
from battrace.contracts.parameters import TemplateLibraryError
from battrace.errors import NotFound

from .conftest import TEMPLATE_IDS

# BASC digital scheme working report 2022, §5.1 ⑦ "Contract template for data exchange": examples of
# contract items, verbatim. battery-supply-v1 must have a clause for every one of them.
BASC_CONTRACT_ITEMS = (
    "Purchase Orders",
    "Delivery Times and Delay",
    "Packaging, Transport",
    "Transfer of Risk",
    "Notice of Defects",
    "Invoicing and Payment",
    "Customs, Conformity, Origin and Export Control and Supply Chain Security",
    "Quality",
    "Warranty",
    "Liability and Damage Compensation",
    "Labelling of Goods; Advertising",
    "Tooling",
    "Spare Parts",
    "Intellectual Property Rights and Copyrights",
    "Electronic Data Interchange",
    "Information Security",
    "Confidentiality",
    "Insurance",
    "Environment",
    "Social Responsibility",
    "General Provisions",
    "Governing Law; Place of Venue and Jurisdiction",
)
DATA_SPACE_CLAUSES = ("Data Usage Scope and Purpose", "Data Retention and Deletion", "Onward Sharing")


def _titles(template_id: str) -> list[str]:
    return [clause.title for clause in get_template(template_id).clauses]


def test_the_shipped_templates_are_listed_with_version_clauses_and_parameters() -> None:
    infos = {info.id: info for info in list_templates()}
    assert tuple(infos) == TEMPLATE_IDS
    for info in infos.values():
        assert info.version == "1.0.0"
        assert info.title and info.description
        assert info.clauses and info.parameters
        assert info.roles.provider != info.roles.consumer


@pytest.mark.parametrize("item", BASC_CONTRACT_ITEMS)
def test_battery_supply_has_a_clause_for_every_basc_contract_item(item: str) -> None:
    assert item in _titles("battery-supply-v1")


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("title", DATA_SPACE_CLAUSES)
def test_both_templates_carry_the_data_space_clauses(template_id: str, title: str) -> None:
    assert title in _titles(template_id)


def test_governing_law_comes_last_and_general_provisions_just_before_it() -> None:
    for template_id in TEMPLATE_IDS:
        assert _titles(template_id)[-2:] == [
            "General Provisions",
            "Governing Law; Place of Venue and Jurisdiction",
        ]


def test_every_shipped_clause_is_used_by_a_template() -> None:
    from battrace.contracts.library import _library

    used = {clause.id for template in _library().values() for clause in template.clauses}
    shipped = {name.rsplit(".", 1)[0] for name in _clause_files()}
    assert used == shipped


def _clause_files() -> list[str]:
    from importlib import resources

    folder = resources.files("battrace.contracts").joinpath("templates", "clauses")
    return [entry.name for entry in folder.iterdir()]


def test_a_parameter_shared_by_clauses_appears_once_in_the_merged_schema() -> None:
    # currency is declared by invoicing, liability and insurance
    names = [spec.name for spec in get_template("battery-supply-v1").parameters]
    assert names.count("currency") == 1
    assert len(names) == len(set(names))


def test_template_defaults_override_clause_defaults() -> None:
    schema = template_parameters("battery-data-exchange-v1")
    assert schema["properties"]["tisax_level"]["default"] == "none"
    assert template_parameters("battery-supply-v1")["properties"]["tisax_level"]["default"] == "AL2"


def test_the_parameter_schema_lists_required_parameters_and_refuses_others() -> None:
    schema = template_parameters("battery-data-exchange-v1")
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "framework_agreement",
        "data_categories",
        "purposes",
        "liability_cap_amount",
        "governing_law",
        "venue",
    }
    assert schema["properties"]["data_categories"]["type"] == "array"
    assert schema["properties"]["data_categories"]["minItems"] == 1
    assert all(prop["description"] for prop in schema["properties"].values())


def test_an_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFound, match="no-such-template"):
        template_parameters("no-such-template")


# --- the library checks, driven with small hand-made libraries -------------------------------------------


def _sidecar(clause_id: str, *parameters: dict[str, Any]) -> str:
    return json.dumps({"id": clause_id, "title": "A Clause", "parameters": list(parameters)})


_TEMPLATE = {"id": "t", "title": "T", "version": "1", "roles": {"provider": "P", "consumer": "C"}}
_DAYS = {"name": "days", "type": "integer", "required": False, "default": 5, "description": "Days"}


def test_a_clause_using_an_undeclared_variable_is_refused() -> None:
    source = "The {{ provider }} waits {{ days }} days, then {{ weeks }} weeks."
    files = {"a.md": source, "a.json": _sidecar("a", _DAYS)}
    with pytest.raises(TemplateLibraryError, match="undeclared variables \\['weeks'\\]"):
        load_clauses(files)


def test_a_declared_but_unused_parameter_is_refused() -> None:
    with pytest.raises(TemplateLibraryError, match="unused parameters \\['days'\\]"):
        load_clauses({"a.md": "The {{ provider }} waits.", "a.json": _sidecar("a", _DAYS)})


def test_a_clause_without_its_sidecar_is_refused() -> None:
    with pytest.raises(TemplateLibraryError, match=r"needs both a\.md and a\.json"):
        load_clauses({"a.md": "Text."})


def test_a_parameter_that_is_required_and_has_a_default_is_refused() -> None:
    broken = {**_DAYS, "required": True}
    with pytest.raises(TemplateLibraryError, match="required or have a default"):
        load_clauses({"a.md": "Wait {{ days }} days.", "a.json": _sidecar("a", broken)})


def test_an_invalid_default_is_refused() -> None:
    broken = {**_DAYS, "default": "five"}
    with pytest.raises(TemplateLibraryError, match="default of days is invalid"):
        load_clauses({"a.md": "Wait {{ days }} days.", "a.json": _sidecar("a", broken)})


def test_a_parameter_named_like_the_rendering_context_is_refused() -> None:
    clash = {"name": "provider", "type": "string", "description": "Clash"}
    with pytest.raises(TemplateLibraryError, match="clash"):
        load_clauses({"a.md": "The {{ provider }}.", "a.json": _sidecar("a", clash)})


def test_a_shared_parameter_declared_differently_is_refused() -> None:
    other = {**_DAYS, "default": 6}
    clauses = load_clauses({
        "a.md": "Wait {{ days }} days.", "a.json": _sidecar("a", _DAYS),
        "b.md": "Wait {{ days }} days.", "b.json": _sidecar("b", other),
    })
    raw = {**_TEMPLATE, "clauses": ["a", "b"]}
    with pytest.raises(TemplateLibraryError, match="days is declared differently in b"):
        build_template(raw, clauses, "t.json")


def test_a_contract_template_naming_an_unknown_clause_is_refused() -> None:
    clauses = load_clauses({"a.md": "Wait {{ days }} days.", "a.json": _sidecar("a", _DAYS)})
    raw = {**_TEMPLATE, "clauses": ["a", "z"]}
    with pytest.raises(TemplateLibraryError, match="'z'"):
        build_template(raw, clauses, "t.json")


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("The <b>Supplier</b> delivers.", "'<'"),
        ("The Supplier delivers *fast*.", "'*'"),
        ("Costs & expenses.", "'&'"),
        ("See [the annex](http://x).", "'['"),
        ("# A heading", "'#'"),
        ("{{ provider }} delivers.", "a line starts with a value"),
        ("The buyer pays.\n{{ provider }} delivers.", "a line starts with a value"),
    ],
)
def test_clause_prose_may_not_carry_markup_or_start_a_line_with_a_value(source: str, problem: str) -> None:
    problems = source_problems(source)
    assert any(problem in p for p in problems), problems


def test_plain_prose_with_values_inside_lines_and_list_items_is_accepted() -> None:
    source = "The {{ provider }} delivers:\n{% for x in items %}\n- {{ x }}\n{% endfor %}\n\nSee 2023/1542."
    assert source_problems(source) == []
