"""A contract template plus parameters and parties → the contract as Markdown and as a standalone HTML page.

The Markdown is the contract of record: its SHA-256 is what both parties sign and what the agreement policy
binds. Rendering is deterministic (no clock, no locale, no dict-order dependence), so either party can render
the same contract again from the agreement and compare hashes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from jinja2 import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from battrace.contracts import _jinja
from battrace.contracts._frames import HTML_FRAME, MARKDOWN_FRAME
from battrace.contracts.library import Clause, ContractTemplate, get_template
from battrace.contracts.parameters import TemplateLibraryError, validate_parameters
from battrace.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_DID = re.compile(r"^did:[a-z0-9]+:[^\s]+$")
_BPNL = re.compile(r"^BPNL[0-9A-Z]{12}$")  # Catena-X legal-entity business partner number
_MAX_TEXT = 500
_MARKDOWN_FRAME = _jinja.MARKDOWN.from_string(MARKDOWN_FRAME)
_HTML_FRAME = _jinja.HTML.from_string(HTML_FRAME)


@dataclass(frozen=True)
class Party:
    name: str
    did: str
    bpn: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        _text("party name", self.name)
        if self.address is not None:
            _text("party address", self.address)
        if not isinstance(self.did, str) or len(self.did) > _MAX_TEXT or not _DID.match(self.did):
            raise InvalidInput(f"party DID {self.did!r} is not a DID")
        if self.bpn is not None and not (isinstance(self.bpn, str) and _BPNL.match(self.bpn)):
            raise InvalidInput(f"party BPN {self.bpn!r} is not BPNL followed by 12 digits or capitals")


@dataclass(frozen=True)
class Parties:
    provider: Party  # offers the data (or supplies the goods); named after the template's roles
    consumer: Party

    def __post_init__(self) -> None:
        if self.provider.did == self.consumer.did:
            raise InvalidInput("a contract needs two different parties (same DID on both sides)")


@dataclass(frozen=True)
class RenderedContract:
    template_id: str
    version: str
    agreement_id: str
    effective: date
    parties: Parties
    parameters: Mapping[str, Any]  # canonical values of every parameter, defaults included, read-only
    markdown: str
    html: str
    sha256: str  # hex SHA-256 of the UTF-8 Markdown

    @property
    def contract_hash(self) -> str:
        """``sha256:<hex>``, the form used in signatures and in the agreement policy."""
        return f"sha256:{self.sha256}"


def render_contract(
    template_id: str,
    parameters: Mapping[str, Any],
    *,
    parties: Parties,
    agreement_id: str,
    effective: date,
) -> RenderedContract:
    """Validate ``parameters`` (InvalidInput names the parameter) and render the contract both ways."""
    template = get_template(template_id)
    values = validate_parameters(template.parameters, parameters)
    _check_agreement(agreement_id, effective)
    if not isinstance(parties, Parties):
        raise InvalidInput("parties must be a Parties value")
    context: dict[str, Any] = {
        **values,
        "provider": template.roles.provider,
        "consumer": template.roles.consumer,
        "agreement_id": agreement_id,
        "effective": effective,
    }
    frame = _frame_context(template, parties, agreement_id, effective)
    markdown = _MARKDOWN_FRAME.render(**frame, clauses=_clauses(template, context, html=False)) + "\n"
    sha256 = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
    html = _HTML_FRAME.render(**frame, clauses=_clauses(template, context, html=True), sha256=sha256) + "\n"
    return RenderedContract(
        template_id=template.id,
        version=template.version,
        agreement_id=agreement_id,
        effective=effective,
        parties=parties,
        parameters=MappingProxyType(values),
        markdown=markdown,
        html=html,
        sha256=sha256,
    )


def _check_agreement(agreement_id: str, effective: date) -> None:
    if (
        not isinstance(agreement_id, str)
        or not agreement_id
        or len(agreement_id) > 256
        or any(c.isspace() for c in agreement_id)
        or _CONTROL.search(agreement_id)
    ):
        raise InvalidInput(f"agreement id {agreement_id!r} must be 1-256 characters without spaces")
    if isinstance(effective, datetime) or not isinstance(effective, date):
        raise InvalidInput("the effective date must be a date (without time)")


def _text(what: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT or _CONTROL.search(value):
        raise InvalidInput(f"{what} must be 1-{_MAX_TEXT} characters on one line, got {value!r}")


def _frame_context(
    template: ContractTemplate, parties: Parties, agreement_id: str, effective: date
) -> dict[str, Any]:
    return {
        "title": template.title,
        "template_id": template.id,
        "version": template.version,
        "agreement_id": agreement_id,
        "effective": effective,
        "parties": [
            _party(parties.provider, template.roles.provider),
            _party(parties.consumer, template.roles.consumer),
        ],
    }


def _party(party: Party, role: str) -> dict[str, Any]:
    return {"name": party.name, "did": party.did, "bpn": party.bpn, "address": party.address, "role": role}


def _clauses(template: ContractTemplate, context: Mapping[str, Any], *, html: bool) -> list[dict[str, Any]]:
    env = _jinja.HTML if html else _jinja.MARKDOWN
    return [
        {
            "id": clause.id,
            "number": number,
            "title": clause.title,
            "body": _body(env, clause, context, number, html),
        }
        for number, clause in enumerate(template.clauses, start=1)
    ]


def _body(
    env: ImmutableSandboxedEnvironment, clause: Clause, context: Mapping[str, Any], number: int, html: bool
) -> Markup:
    """The clause as numbered sub-clauses (``3.1``, ``3.2``), each a paragraph with an optional list."""
    text = _compiled(env, clause.source).render(**context)
    parts = []
    for index, (paragraph, items) in enumerate(blocks(text, clause.id), start=1):
        label = f"{number}.{index}"
        if html:
            # the rendered text is already HTML-safe: values were autoescaped, clause prose is plain
            bullets = "".join(f"<li>{item}</li>" for item in items)
            parts.append(f'<p><span class="number">{label}</span> {paragraph}</p>')
            parts.extend([f"<ul>{bullets}</ul>"] if items else [])
        else:
            parts.append(f"{label} {paragraph}")
            parts.extend(["\n".join(f"- {item}" for item in items)] if items else [])
    return Markup(("\n" if html else "\n\n").join(parts))


@lru_cache(maxsize=256)
def _compiled(env: ImmutableSandboxedEnvironment, source: str) -> Template:
    # compiling is most of the cost of a render; the sources are a fixed library
    return env.from_string(source)


def blocks(text: str, clause_id: str) -> list[tuple[str, list[str]]]:
    """Rendered clause text → [(paragraph, list items)]: blank lines separate sub-clauses, a line starting
    with "- " starts a list item, any other line continues the paragraph or the current item."""
    result = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        if not chunk.strip():
            continue
        intro: list[str] = []
        items: list[str] = []
        for line in (raw.strip() for raw in chunk.split("\n")):
            if not line:
                continue
            if line.startswith("- "):
                items.append(line[2:].strip())
            elif items:
                items[-1] += " " + line
            else:
                intro.append(line)
        if not intro:
            raise TemplateLibraryError(f"clause {clause_id}: a sub-clause starts with a list item")
        result.append((" ".join(intro), items))
    return result
