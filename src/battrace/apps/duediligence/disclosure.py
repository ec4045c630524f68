"""What a supplier's declaration looks like to each recipient it designates (Art. 52(2): information to
downstream purchasers; pcf-ouranos.md §6.4: disclosure ACL per recipient, Ouranos ``…Acl`` style).

The supplier designates recipients by their data-space identity (a DID) and, per recipient, a view:

* ``full``: the whole declaration (smelter, mine and product lists), with the evidence references a
  designated recipient may read (public and recipients-only documents; never authority-only or private ones);
* ``summary``: company, scope, per-mineral answers and counts, and only the public evidence.

Anyone not designated gets Forbidden: there is no default view. The payloads are JSON objects; ``receive``
parses one back on the recipient's side.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from battrace.apps.duediligence.evidence import EvidenceRef, visible
from battrace.apps.duediligence.model import (
    Answer,
    Declaration,
    Mineral,
    Scope,
    Template,
    validation_message,
)
from battrace.errors import Forbidden, InvalidInput

View = Literal["full", "summary"]


class _Shape(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class Designation(_Shape):
    recipient: str = Field(min_length=1)
    view: View


class DisclosurePolicy(_Shape):
    supplier: str = Field(min_length=1)
    designations: tuple[Designation, ...] = ()

    @model_validator(mode="after")
    def _one_view_each(self) -> DisclosurePolicy:
        recipients = [d.recipient for d in self.designations]
        if len(set(recipients)) != len(recipients):
            raise ValueError("a recipient is designated twice")
        return self

    def view_for(self, recipient: str) -> View:
        for designation in self.designations:
            if designation.recipient == recipient:
                return designation.view
        raise Forbidden(f"{self.supplier} has not designated {recipient} as a recipient of its declaration")


class MineralSummary(_Shape):
    mineral: Mineral
    intentionally_added: Answer
    covered_countries: Answer
    cahra: Answer
    all_recycled: Answer
    smelters: int
    identified_smelters: int  # with an RMI id


class Summary(_Shape):
    template: Template
    template_version: str
    company: str
    declaration_scope: Scope
    effective_date: str
    minerals: tuple[MineralSummary, ...]
    report_url: str = ""
    evidence: tuple[EvidenceRef, ...] = ()


def summarise(declaration: Declaration) -> Summary:
    minerals = tuple(
        MineralSummary(
            mineral=a.mineral,
            intentionally_added=a.intentionally_added,
            covered_countries=a.covered_countries,
            cahra=a.cahra,
            all_recycled=a.all_recycled,
            smelters=len(declaration.smelters_for(a.mineral)),
            identified_smelters=sum(1 for s in declaration.smelters_for(a.mineral) if s.smelter_id),
        )
        for a in declaration.minerals
    )
    return Summary(
        template=declaration.template,
        template_version=declaration.template_version,
        company=declaration.company.name,
        declaration_scope=declaration.company.declaration_scope,
        effective_date=declaration.company.effective_date.isoformat(),
        minerals=minerals,
        report_url=declaration.programme.report_url,
        evidence=visible(declaration.evidence, "public"),
    )


def disclose(declaration: Declaration, policy: DisclosurePolicy, recipient: str) -> dict[str, Any]:
    """The JSON payload ``recipient`` gets; Forbidden unless the supplier designated it."""
    view = policy.view_for(recipient)
    if view == "summary":
        return {
            "view": "summary",
            "supplier": policy.supplier,
            "summary": summarise(declaration).model_dump(mode="json"),
        }
    shown = declaration.model_copy(update={"evidence": visible(declaration.evidence, "recipient")})
    return {"view": "full", "supplier": policy.supplier, "declaration": shown.model_dump(mode="json")}


def receive(payload: object) -> Declaration | Summary:
    """A disclosed payload back into a model on the recipient's side; InvalidInput names the bad field."""
    if not isinstance(payload, dict) or payload.get("view") not in ("full", "summary"):
        raise InvalidInput("a disclosure payload is an object with view 'full' or 'summary'")
    full = payload["view"] == "full"
    model: type[Declaration] | type[Summary] = Declaration if full else Summary
    try:
        return model.model_validate(payload.get("declaration" if full else "summary"))
    except ValidationError as exc:
        raise InvalidInput(f"invalid disclosure payload: {validation_message(exc)}") from None
