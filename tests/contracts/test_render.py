"""Rendering: every template with its example, deterministic bytes, escaping, and Markdown ≡ HTML."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from battrace.contracts import Parties, RenderedContract, load_example, render_contract
from battrace.contracts.library import get_template
from battrace.errors import InvalidInput, NotFound

from .conftest import (
    AGREEMENT,
    CONSUMER,
    EFFECTIVE,
    PARTIES,
    PROVIDER,
    TEMPLATE_IDS,
    render_example,
    render_with,
)

# SHA-256 of the Markdown rendered from examples/battery-supply-v1.json. It changes whenever the text of any
# clause in battery-supply-v1, the document frame, or the example changes. If the change is intended, render
# the example again (python -c "from tests.contracts.conftest import render_example as r;
# print(r('battery-supply-v1').sha256)" from the repository root), paste the new hash here, and — because
# already signed contracts keep the old text — bump the template's version or publish a -v2 template
# whenever clause wording changes for a template that has been used in production.
SUPPLY_EXAMPLE_SHA256 = "e32d1331fad96ec596456a775fb2760bd3e8c2a700a6aa9d9e9fde816d196f39"


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_every_template_renders_its_shipped_example(template_id: str) -> None:
    rendered = render_example(template_id)
    template = get_template(template_id)
    assert rendered.template_id == template_id
    assert rendered.version == template.version
    assert rendered.markdown.startswith(f"# {template.title}\n")
    assert rendered.markdown.endswith(".\n") and not rendered.markdown.endswith("\n\n")
    for number, clause in enumerate(template.clauses, start=1):
        assert f"\n## {number}. {clause.title}\n\n{number}.1 " in rendered.markdown
        assert f'<section id="clause-{clause.id}">\n<h2>{number}. {clause.title}</h2>' in rendered.html


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_the_html_is_a_complete_well_formed_standalone_document(template_id: str) -> None:
    html = render_example(template_id).html
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")
    assert html.endswith("</body>\n</html>\n")
    checker = _TagBalance()
    checker.feed(html)
    checker.close()
    assert checker.stack == [] and checker.errors == []
    assert "<link" not in html and "<script" not in html  # nothing fetched from elsewhere


def test_the_hash_is_the_sha256_of_the_utf8_markdown_and_is_shown_in_the_html(
    supply: RenderedContract,
) -> None:
    assert supply.sha256 == hashlib.sha256(supply.markdown.encode("utf-8")).hexdigest()
    assert supply.contract_hash == f"sha256:{supply.sha256}"
    assert f'<meta name="battrace-contract-sha256" content="{supply.sha256}">' in supply.html
    assert f"<code>{supply.sha256}</code>" in supply.html


def test_the_supply_example_hash_is_unchanged(supply: RenderedContract) -> None:
    assert supply.sha256 == SUPPLY_EXAMPLE_SHA256, "the contract text changed: see SUPPLY_EXAMPLE_SHA256"


def test_rendering_twice_gives_the_same_bytes() -> None:
    for template_id in TEMPLATE_IDS:
        first, second = render_example(template_id), render_example(template_id)
        assert first.markdown == second.markdown and first.html == second.html


def test_parameter_order_does_not_change_the_contract() -> None:
    example = load_example("battery-supply-v1")
    reordered = dict(reversed(list(example.parameters.items())))
    rendered = render_contract(
        example.template_id, reordered, parties=example.parties,
        agreement_id=example.agreement_id, effective=example.effective,
    )
    assert rendered.sha256 == render_example("battery-supply-v1").sha256


def test_another_process_with_another_hash_seed_renders_the_same_bytes(supply: RenderedContract) -> None:
    code = (
        "from tests.contracts.conftest import render_example as r; "
        "c = r('battery-supply-v1'); print(c.sha256); import hashlib; "
        "print(hashlib.sha256(c.html.encode()).hexdigest())"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "LC_ALL": "C"}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        assert out == [supply.sha256, hashlib.sha256(supply.html.encode()).hexdigest()]


@pytest.mark.parametrize(
    "change",
    [
        {"venue": "Hamburg, Germany"},
        {"payment_days": 30},
        {"early_payment_discount_percent": 0},
        {"purposes": ["quality management"]},
    ],
)
def test_any_parameter_change_changes_the_hash(change: dict[str, Any]) -> None:
    assert render_with("battery-supply-v1", **change).sha256 != render_with("battery-supply-v1").sha256


def test_agreement_id_effective_date_and_parties_are_part_of_the_hashed_text() -> None:
    base = render_with("battery-data-exchange-v1")
    parameters = load_example("battery-data-exchange-v1").parameters
    variants: list[dict[str, Any]] = [
        {"agreement_id": "urn:uuid:00000000-0000-4000-8000-000000000002"},
        {"effective": date(2025, 3, 2)},
        {"parties": Parties(PROVIDER, replace(CONSUMER, name="Other Motors AG"))},
        {"parties": Parties(CONSUMER, PROVIDER)},
    ]
    for variant in variants:
        arguments = {"parties": PARTIES, "agreement_id": AGREEMENT, "effective": EFFECTIVE, **variant}
        changed = render_contract("battery-data-exchange-v1", parameters, **arguments)
        assert changed.sha256 != base.sha256, variant


def test_the_canonical_parameters_are_kept_read_only(data_exchange: RenderedContract) -> None:
    assert data_exchange.parameters["tisax_level"] == "none"
    with pytest.raises(TypeError):
        data_exchange.parameters["tisax_level"] = "AL3"  # type: ignore[index]


def test_conditional_paragraphs_follow_their_parameters() -> None:
    with_list = render_with("battery-data-exchange-v1", permitted_recipients=["repair partners"])
    without = render_with("battery-data-exchange-v1")
    assert "- repair partners" in with_list.markdown
    assert "following recipients" not in without.markdown
    assert "TISAX" not in without.markdown
    assert "assessment level AL3" in render_with("battery-data-exchange-v1", tisax_level="AL3").markdown
    assert "CISG" not in render_with("battery-data-exchange-v1", exclude_cisg=False).markdown


def test_numbers_and_dates_are_written_out_independently_of_the_locale(supply: RenderedContract) -> None:
    assert "- Effective date: 1 March 2025\n" in supply.markdown
    assert "to 5,000,000 EUR per calendar year" in supply.markdown
    assert "discount of 2 per cent" in supply.markdown


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_every_branch_of_every_clause_renders(template_id: str) -> None:
    """Flip each boolean and try each enum value, so that no {% else %} branch ships unrendered."""
    variants: list[dict[str, Any]] = []
    for spec in get_template(template_id).parameters:
        if spec.type == "boolean":
            variants.append({spec.name: not spec.default if not spec.required else True})
        variants.extend({spec.name: value} for value in spec.enum or ())
    assert variants
    texts = {render_with(template_id, **variant).markdown for variant in variants}
    assert len(texts) > 1


def test_a_sub_clause_may_not_start_with_a_list_item() -> None:
    from battrace.contracts.parameters import TemplateLibraryError
    from battrace.contracts.render import blocks

    assert blocks("Intro:\n- a\n  continued\n- b\n\n\n\nNext.", "x") == [
        ("Intro:", ["a continued", "b"]),
        ("Next.", []),
    ]
    with pytest.raises(TemplateLibraryError, match="clause x"):
        blocks("- a\n- b", "x")


# --- escaping --------------------------------------------------------------------------------------------

INJECTED = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_a_parameter_is_escaped_in_the_html_and_the_markdown() -> None:
    rendered = render_with("battery-supply-v1", venue=INJECTED, purposes=[INJECTED])
    assert "<script" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in rendered.html
    assert "\\<script\\>" in rendered.markdown and "<script>" not in rendered.markdown


def test_markup_in_a_party_name_or_address_is_escaped() -> None:
    parties = Parties(replace(PROVIDER, name=INJECTED, address="<b>1 Road</b>"), CONSUMER)
    rendered = render_contract(
        "battery-data-exchange-v1", load_example("battery-data-exchange-v1").parameters,
        parties=parties, agreement_id=AGREEMENT, effective=EFFECTIVE,
    )
    assert "<script" not in rendered.html and "<b>" not in rendered.html
    assert "&lt;b&gt;1 Road&lt;/b&gt;" in rendered.html


def test_template_syntax_in_a_parameter_is_text_not_code() -> None:
    rendered = render_with("battery-supply-v1", venue="{{ 7 * 7 }} {% raw %}")
    assert "{{ 7 \\* 7 }} {% raw %}" in rendered.markdown
    assert "49" not in rendered.markdown.split("## Signatures")[0].split("## 26.")[1]


def test_markdown_syntax_in_a_parameter_stays_literal_text() -> None:
    items = ["# heading", "1. first", "---", "*bold* [x](y)"]
    rendered = render_with("battery-supply-v1", data_categories=items)
    html = MarkdownIt("commonmark").render(rendered.markdown)
    assert "<h1>heading" not in html and "<hr" not in html and "<strong>" not in html and "<a " not in html
    assert "<li># heading</li>" in html and "<li>1. first</li>" in html and "<li>---</li>" in html


# Any text a party may type: the Markdown, read by a CommonMark renderer, shows the same words as our HTML.
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda text: text.strip() != "")


@settings(max_examples=150, deadline=None)
@given(venue=_TEXT, name=_TEXT, items=st.lists(_TEXT, min_size=1, max_size=3, unique_by=str.strip))
def test_the_markdown_and_the_html_say_the_same_whatever_the_parameters(
    venue: str, name: str, items: list[str]
) -> None:
    try:
        parties = Parties(replace(PROVIDER, name=name), CONSUMER)
        rendered = render_contract(
            "battery-data-exchange-v1",
            {**load_example("battery-data-exchange-v1").parameters, "venue": venue, "data_categories": items},
            parties=parties, agreement_id=AGREEMENT, effective=EFFECTIVE,
        )
    except InvalidInput:
        return  # e.g. two items equal once stripped
    body = rendered.markdown.split("\n## Parties\n", 1)[1]
    from_markdown = _text(MarkdownIt("commonmark").render("## Parties\n" + body))
    assert from_markdown == _text(rendered.html, skip=("head", "header", "footer"))


# --- refusals --------------------------------------------------------------------------------------------


def test_an_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFound):
        render_contract("battery-supply-v9", {}, parties=PARTIES, agreement_id=AGREEMENT, effective=EFFECTIVE)


@pytest.mark.parametrize("agreement_id", ["", "has space", "line\nbreak", "x" * 257])
def test_a_malformed_agreement_id_is_refused(agreement_id: str) -> None:
    with pytest.raises(InvalidInput, match="agreement id"):
        render_with_agreement(agreement_id, EFFECTIVE)


def test_an_effective_datetime_is_refused() -> None:
    with pytest.raises(InvalidInput, match="effective date"):
        render_with_agreement(AGREEMENT, datetime(2025, 3, 1, 12, 0))


def render_with_agreement(agreement_id: str, effective: date) -> None:
    parameters = load_example("battery-data-exchange-v1").parameters
    render_contract("battery-data-exchange-v1", parameters, parties=PARTIES, agreement_id=agreement_id,
                    effective=effective)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "party name"),
        ({"name": "Two\nLines Ltd."}, "party name"),
        ({"address": "x" * 501}, "party address"),
        ({"did": "https://cells.example.com"}, "is not a DID"),
        ({"did": "did:web:a b"}, "is not a DID"),
        ({"bpn": "BPNS000000000001"}, "is not BPNL"),
    ],
)
def test_a_malformed_party_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        replace(PROVIDER, **fields)


def test_a_contract_needs_two_different_parties() -> None:
    with pytest.raises(InvalidInput, match="two different parties"):
        Parties(PROVIDER, replace(CONSUMER, did=PROVIDER.did))


# --- helpers ---------------------------------------------------------------------------------------------

_VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})


class _TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


class _Text(HTMLParser):
    def __init__(self, skip: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.skip, self.depth, self.parts = skip, 0, []  # type: tuple[str, ...], int, list[str]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.depth += tag in self.skip
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag in self.skip
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def _text(html: str, skip: tuple[str, ...] = ()) -> str:
    parser = _Text(skip)
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())
