"""The shipped library: clause templates and the contract templates that select and order them.

Layout (package data under ``templates/``):

* ``clauses/<id>.md``: the clause text, a Jinja2 template of plain prose (see ``_jinja.source_problems``);
* ``clauses/<id>.json``: its sidecar ``{"id", "title", "parameters": [{"name", "type", "required",
  "default", "description", ...}]}``;
* ``contracts/<id>.json``: ``{"id", "title", "version", "description", "roles": {"provider", "consumer"},
  "clauses": [clause ids in order], "defaults": {parameter: value}}``.

The library is read once and checked as a whole (every variable a clause uses is declared and every declared
parameter used; a parameter shared by clauses is declared identically), so a broken template fails at first
use, not in the middle of a negotiation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import meta

from battrace.contracts import _jinja
from battrace.contracts.parameters import ParameterSpec, TemplateLibraryError, json_schema, parse_spec
from battrace.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    parameters: tuple[ParameterSpec, ...]
    source: str  # the Jinja2 template


@dataclass(frozen=True)
class ClauseInfo:
    id: str
    title: str


@dataclass(frozen=True)
class Roles:
    """How the contract names the two parties, e.g. "Supplier" and "Purchaser"."""

    provider: str
    consumer: str


@dataclass(frozen=True)
class ContractTemplate:
    id: str
    title: str
    version: str
    description: str
    roles: Roles
    clauses: tuple[Clause, ...]
    parameters: tuple[ParameterSpec, ...]  # merged over the clauses, in order of first use


@dataclass(frozen=True)
class TemplateInfo:
    id: str
    title: str
    version: str
    description: str
    roles: Roles
    clauses: tuple[ClauseInfo, ...]
    parameters: tuple[ParameterSpec, ...]


def list_templates() -> list[TemplateInfo]:
    """Every shipped contract template, by id."""
    return [_info(template) for _, template in sorted(_library().items())]


def template_parameters(template_id: str) -> dict[str, Any]:
    """JSON Schema of the parameters ``render_contract`` takes for ``template_id``."""
    template = get_template(template_id)
    return json_schema(template.parameters, f"Parameters of {template.id} {template.version}")


def get_template(template_id: str) -> ContractTemplate:
    try:
        return _library()[template_id]
    except (KeyError, TypeError):
        raise NotFound(f"no contract template {template_id!r}", template=str(template_id)) from None


def _info(template: ContractTemplate) -> TemplateInfo:
    return TemplateInfo(
        id=template.id,
        title=template.title,
        version=template.version,
        description=template.description,
        roles=template.roles,
        clauses=tuple(ClauseInfo(c.id, c.title) for c in template.clauses),
        parameters=template.parameters,
    )


@cache
def _library() -> dict[str, ContractTemplate]:
    root = resources.files("battrace.contracts").joinpath("templates")
    files = root.joinpath("clauses").iterdir()
    clauses = load_clauses({entry.name: entry.read_text("utf-8") for entry in files if entry.is_file()})
    templates = {}
    for entry in root.joinpath("contracts").iterdir():
        if entry.name.endswith(".json"):
            template = build_template(json.loads(entry.read_text("utf-8")), clauses, entry.name)
            templates[template.id] = template
    return templates


def load_clauses(files: Mapping[str, str]) -> dict[str, Clause]:
    """Clauses from ``{file name: text}`` of the clauses directory (``<id>.md`` + ``<id>.json`` pairs)."""
    stems = {name.rsplit(".", 1)[0] for name in files}
    clauses = {}
    for stem in sorted(stems):
        if f"{stem}.md" not in files or f"{stem}.json" not in files:
            raise TemplateLibraryError(f"clause {stem} needs both {stem}.md and {stem}.json")
        clauses[stem] = _clause(stem, json.loads(files[f"{stem}.json"]), files[f"{stem}.md"])
    return clauses


def _clause(stem: str, sidecar: Mapping[str, Any], source: str) -> Clause:
    where = f"clause {stem}"
    if sidecar.get("id") != stem:
        raise TemplateLibraryError(f"{where}: sidecar id {sidecar.get('id')!r} differs from the file name")
    title = sidecar.get("title")
    if not isinstance(title, str) or not title or _jinja.source_problems(title):
        raise TemplateLibraryError(f"{where}: missing or invalid title")
    specs = tuple(parse_spec(raw, where) for raw in sidecar.get("parameters", []))
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names) or _jinja.RESERVED_NAMES.intersection(names):
        reserved = sorted(_jinja.RESERVED_NAMES)
        raise TemplateLibraryError(f"{where}: parameter names repeat or clash with {reserved}")
    problems = _jinja.source_problems(source)
    if problems:
        raise TemplateLibraryError(f"{where}: " + "; ".join(problems))
    used = meta.find_undeclared_variables(_jinja.MARKDOWN.parse(source))
    undeclared = used - set(names) - _jinja.RESERVED_NAMES
    if undeclared:
        raise TemplateLibraryError(f"{where}: undeclared variables {sorted(undeclared)}")
    if set(names) - used:
        raise TemplateLibraryError(f"{where}: declared but unused parameters {sorted(set(names) - used)}")
    return Clause(stem, title, specs, source)


def build_template(raw: Mapping[str, Any], clauses: Mapping[str, Clause], where: str) -> ContractTemplate:
    """A contract template from its JSON definition, checked against the clause library."""
    try:
        ids = list(raw["clauses"])
        roles = Roles(str(raw["roles"]["provider"]), str(raw["roles"]["consumer"]))
        template_id, title, version = str(raw["id"]), str(raw["title"]), str(raw["version"])
    except (KeyError, TypeError) as error:
        raise TemplateLibraryError(f"{where}: incomplete contract template ({error})") from error
    missing = [clause_id for clause_id in ids if clause_id not in clauses]
    if missing or not ids or len(set(ids)) != len(ids):
        raise TemplateLibraryError(f"{where}: clause list empty, repeated or unknown {missing}")
    selected = tuple(clauses[clause_id] for clause_id in ids)
    return ContractTemplate(
        id=template_id,
        title=title,
        version=version,
        description=str(raw.get("description", "")),
        roles=roles,
        clauses=selected,
        parameters=_merge(selected, raw.get("defaults", {}), where),
    )


def _merge(clauses: tuple[Clause, ...], defaults: Mapping[str, Any], where: str) -> tuple[ParameterSpec, ...]:
    merged: dict[str, ParameterSpec] = {}
    for clause in clauses:
        for spec in clause.parameters:
            known = merged.setdefault(spec.name, spec)
            if known != spec:
                raise TemplateLibraryError(f"{where}: {spec.name} is declared differently in {clause.id}")
    for name, value in defaults.items():
        if name not in merged:
            raise TemplateLibraryError(f"{where}: default for unknown parameter {name}")
        try:
            merged[name] = merged[name].with_default(value)
        except InvalidInput as error:
            raise TemplateLibraryError(f"{where}: default for {name} is invalid: {error.detail}") from error
    return tuple(merged.values())
