"""Due-diligence declarations in the shape of the RMI reporting templates (pcf-ouranos.md §6.3).

One ``Declaration`` is what a supplier sends its customer for one company or product scope: the Declaration
tab (company information, questions 1-8 per mineral, company questions A-H), the Smelter List, the Mine List
(EMRT 2.x) and the Product List. Minerals are the four of Annex X(1) of Reg. (EU) 2023/1542 (cobalt, lithium,
nickel, natural graphite: EMRT 2.x) and the 3TG (tin, tantalum, tungsten, gold: CMRT 6.x). Field names are
ours (snake_case); the template's labels live in workbook.py. The question wording is approximate (our notes
mark it so): the RMI xlsx is not in our references.

Not in the templates, but asked by Art. 48-52: ``Programme`` (grievance mechanism, risk-management plan,
third-party verification, public report) and ``evidence`` (documents by hash, evidence.py).

Pure module: no I/O. Models are frozen pydantic models, so ``Declaration.model_json_schema()`` is the JSON
schema of what travels over the data space.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from battrace.apps.duediligence.cahra import is_country
from battrace.apps.duediligence.evidence import EvidenceRef
from battrace.errors import InvalidInput

Mineral = Literal["cobalt", "lithium", "nickel", "natural graphite", "tin", "tantalum", "tungsten", "gold"]
MINERALS: tuple[Mineral, ...] = get_args(Mineral)
# Annex X(1): the raw materials the battery due-diligence obligations cover.
ANNEX_X_MINERALS: tuple[Mineral, ...] = ("cobalt", "lithium", "nickel", "natural graphite")

Answer = Literal["Yes", "No", "Unknown"]
# Question 6's picklist ("What percentage of relevant suppliers have provided a response ..."), with the
# EMRT's "Did not survey": no supplier was asked, which is not "None" (asked, and nobody answered).
ResponseShare = Literal[
    "100%",
    "Greater than 90%",
    "Greater than 75%",
    "Greater than 50%",
    "50% or less",
    "None",
    "Did not survey",
]
NOT_SURVEYED: ResponseShare = "Did not survey"
RESPONSE_SHARES: tuple[ResponseShare, ...] = get_args(ResponseShare)
Scope = Literal["A. Company", "B. Product (or List of Products)", "C. User defined"]
Template = Literal["CMRT", "EMRT"]


def _country(code: str) -> str:
    if not is_country(code):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


Country = Annotated[str, AfterValidator(_country)]
# RMI smelter identification: "CID" and six digits.
SmelterId = Annotated[str, StringConstraints(pattern=r"^CID[0-9]{6}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True)]
Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Mine names and countries travel in one spreadsheet cell separated by ";".
MineName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[^;]*$")]


class _Shape(BaseModel):
    # Unknown fields are refused: a misspelt "smelterID" silently dropped would lose a smelter.
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)


class Company(_Shape):
    """Declaration tab, company information (the template's required fields have no default)."""

    name: Required
    declaration_scope: Scope
    scope_description: Text = ""
    unique_id: Text = ""
    unique_id_authority: Text = ""
    address: Text = ""
    contact_name: Required
    contact_email: Required
    contact_phone: Text = ""
    authorizer_name: Required
    authorizer_title: Text = ""
    authorizer_email: Text = ""
    authorizer_phone: Text = ""
    effective_date: date


class MineralAnswers(_Shape):
    """Questions 1-8 for one mineral."""

    mineral: Mineral
    intentionally_added: Answer  # 1. intentionally added or used in the product or its production?
    remains_in_product: Answer  # 2. does it remain in the product?
    covered_countries: Answer  # 3. does any smelter source it from the covered countries?
    cahra: Answer  # 4. ... from conflict-affected and high-risk areas?
    all_recycled: Answer  # 5. does 100 % come from recycled or scrap sources?
    suppliers_responded: ResponseShare  # 6. share of relevant suppliers that responded
    all_smelters_identified: Answer  # 7. all smelters/refiners identified?
    all_smelter_info_reported: Answer  # 8. all smelter information received reported here?

    @property
    def in_scope(self) -> bool:
        return self.intentionally_added != "No"


class CompanyAnswers(_Shape):
    """Company-level questions A-H."""

    policy: Answer  # A. a responsible minerals sourcing policy in place?
    policy_public: Answer  # B. is it publicly available (link below)?
    policy_url: Text = ""
    requires_validated_smelters: Answer  # C. suppliers required to source from RMAP-validated smelters?
    dd_measures: Answer  # D. due-diligence measures implemented?
    supplier_survey: Answer  # E. relevant suppliers surveyed?
    reviews_supplier_info: Answer  # F. supplier information reviewed against expectations?
    corrective_action: Answer  # G. review process includes corrective-action management?
    sec_filer: Answer = "No"  # H. subject to the SEC conflict-minerals rule?


class Programme(_Shape):
    """What Art. 48-52 ask beyond the templates."""

    grievance_mechanism: Answer = "Unknown"  # Art. 49(1)(d)
    risk_management_plan: Answer = "Unknown"  # Art. 50(1)(b)
    third_party_verification: Text = ""  # reference of the notified body's verification, Art. 48(2), 51
    report_url: Text = ""  # the public due-diligence report, Art. 52(3)


class Smelter(_Shape):
    """One Smelter List row."""

    mineral: Mineral
    name: Required
    country: Country
    smelter_id: SmelterId | None = None
    id_source: Text = ""
    street: Text = ""
    city: Text = ""
    state: Text = ""
    contact_name: Text = ""
    contact_email: Text = ""
    next_steps: Text = ""
    mine_names: tuple[MineName, ...] = ()
    mine_countries: tuple[Country, ...] = ()
    all_recycled: Answer = "Unknown"  # "100% of the smelter's feedstock from recycled or scrap sources?"
    comments: Text = ""

    @property
    def key(self) -> str:
        """Identity across declarations: the RMI id, else mineral + name + country."""
        return self.smelter_id or f"{self.mineral}|{self.name.casefold()}|{self.country}"


class Mine(_Shape):
    """One Mine List row (EMRT 2.x)."""

    mineral: Mineral
    name: MineName
    country: Country
    mine_id: Text = ""
    smelter_id: SmelterId | None = None  # the smelter/refiner the mine supplies
    state: Text = ""
    comments: Text = ""

    @property
    def key(self) -> str:
        return f"{self.mineral}|{self.mine_id or self.name.casefold()}|{self.country}"


class Product(_Shape):
    """One Product List row."""

    number: Required  # Manufacturer's Product Number
    name: Text = ""
    requester_number: Text = ""
    requester_name: Text = ""
    comments: Text = ""


class Declaration(_Shape):
    template: Template
    template_version: Required
    company: Company
    minerals: tuple[MineralAnswers, ...] = Field(min_length=1)
    company_answers: CompanyAnswers
    programme: Programme = Programme()
    smelters: tuple[Smelter, ...] = ()
    mines: tuple[Mine, ...] = ()
    products: tuple[Product, ...] = ()
    evidence: tuple[EvidenceRef, ...] = ()

    @field_validator("minerals")
    @classmethod
    def _template_order(cls, minerals: tuple[MineralAnswers, ...]) -> tuple[MineralAnswers, ...]:
        # One order (the workbook's columns), so equal declarations compare equal after any round trip.
        return tuple(sorted(minerals, key=lambda answers: MINERALS.index(answers.mineral)))

    @model_validator(mode="after")
    def _consistent(self) -> Declaration:
        declared = [answers.mineral for answers in self.minerals]
        if len(set(declared)) != len(declared):
            raise ValueError(f"a mineral is answered twice: {declared}")
        rows: tuple[Smelter | Mine, ...] = (*self.smelters, *self.mines)
        for row in rows:
            if row.mineral not in declared:
                raise ValueError(
                    f"{row.name!r} lists {row.mineral}, which the declaration does not answer for"
                )
        if self.company.declaration_scope.startswith("B.") and not self.products:
            raise ValueError("a product-scope declaration (B) needs a Product List")
        return self

    def answers(self, mineral: Mineral) -> MineralAnswers | None:
        return next((a for a in self.minerals if a.mineral == mineral), None)

    def smelters_for(self, mineral: Mineral) -> tuple[Smelter, ...]:
        return tuple(s for s in self.smelters if s.mineral == mineral)


def validation_message(exc: ValidationError) -> str:
    """Pydantic's errors as one line per field, located by path: ``smelters.2.country: ...``."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "declaration"
        lines.append(f"{where}: {error['msg']}")
    return "; ".join(lines)


def parse_declaration(document: object) -> Declaration:
    """A declaration from its JSON shape (as received over the data space); InvalidInput names the fields."""
    try:
        return Declaration.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(f"invalid due-diligence declaration: {validation_message(exc)}") from None
