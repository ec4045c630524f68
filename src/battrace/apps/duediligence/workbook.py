"""Declarations to and from spreadsheets in the RMI reporting templates' layout (openpyxl).

**The RMI layout** (default, ``export_workbook(d)``; ``import_workbook`` reads it from any tool): the
Conflict Minerals Reporting Template **CMRT 6.x** (3TG) and the Extended Minerals Reporting Template **EMRT
2.x** (cobalt, graphite, lithium, nickel; copper and mica are read past: outside Annex X and the model; EMRT
1.x files read too). The xlsx files themselves are not in our references and were not copied; the layout
facts come from public descriptions of the templates:

* tab names and order: Revision, Instructions, Definitions, Declaration, Smelter List, (EMRT 2.x: Mine List,)
  Checker, Product List, Smelter Look-up (cirscn/cm-reporting, docs/05-cross-template.md §2 and
  docs/archive/diffs/docs-excel-evidence.md, rules CMRT-SHEETS-LATEST / EMRT-SHEETS-LATEST);
* Declaration tab: company information in rows 8-22 (CMRT) / 7-26 (EMRT 2.1), label in B, answer in D
  (the templates' own instruction texts quoted in docs-excel-evidence.md, INSTRUCTIONS-ENGLISH-ONLY; CMRT
  completion guide rev. 5.0, "Company Information Questions (rows 8 - 22)", "Due Diligence Questions (rows
  24 - 65)"); questions 1-8 (CMRT) / 1-7 (EMRT 2.x) answered per metal, company questions A-H / A-G, with
  the picklist wordings (Yes / No / Unknown, "100%" ... "None", EMRT "Did not survey", "Yes, in conformance
  with IPC1755 (e.g., CMRT)", "Yes, with the SEC" ...) (cm-reporting docs/archive/prd/field-dictionary.md
  §5-6, docs/archive/diffs/cmrt.md §2-3);
* Smelter List: headers in row 4, entries from row 5 (C5 carries the look-up list), columns A
  "Smelter Identification Number Input Column", B Metal, C Smelter Look-up, D Smelter Name, E country, F
  Smelter Identification, G Source of Smelter Identification Number, H-J street/city/state, K-L contact, M
  proposed next steps, N-O mine names and countries, P 100 % recycled feedstock, Q Comments (cmrt.md §4,
  docs-excel-evidence.md CMRT-SMELTER-LOOKUP); "Smelter not listed" / "Smelter not yet identified" look-ups;
* Mine List (EMRT 2.x): entries from row 5, B the smelter sourcing from the mine, F the mine's country
  (EMRT-MINE-DROPDOWN-2.1, MINE-BANG-CF); the other Mine List columns are our reading of the field list;
* Product List: headers in row 5 (D5 "Requester Product Number" in EMRT 2.1, "Comments" before), entries
  from row 6 (EMRT-PRODUCT-REQUESTER).

Exact rows of questions 1-8 and A-H move between versions (EMRT 2.x writes one row per declared mineral), so
the importer finds them by their number in column B ("1)" ... "8)", "A." ... "H.") and each metal's row by
its name in columns A-C, answer in D, comment (B: the policy URL) in the first filled cell right of D; list
columns are found by their header text, so versions that add or move a column read the same. Countries are
written as English short names (read back from a name or an ISO 3166-1 alpha-2 code).

What the model holds and the template does not (Art. 48-52 programme, evidence, the CMRT-only question 3 on
covered countries and question H in an EMRT) goes to two extra tabs, "battrace" and "Evidence", which RMI
tools ignore and which make export -> import lossless. Deliberate readings of real files: a metal whose
questions 1 or 2 are "No" gets "Unknown" (and "None" responded) where the template asked nothing; EMRT "Did
not survey" is its own answer (nobody asked), not "None" (asked, nobody answered), and is written back as it
is, in a CMRT too (its question 6 picklist ends at "None"); a "Smelter not yet identified" row names no
smelter and is read past; H
"Yes, with the EU" is not an SEC filing.

**battrace's own layout** (``layout="battrace"``, recognised on import by its title): one column per mineral
for questions 1-8 on the Declaration tab, ISO codes, the extension rows 44-47 and an "Evidence" tab; kept for
files written by earlier versions.

Import is all or nothing: a workbook is read completely into a ``Declaration`` or refused with InvalidInput
naming the sheet, row and field; no partial declaration is ever returned or kept.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeVar

import openpyxl  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError

from battrace.apps.duediligence.cahra import country_code, country_names
from battrace.apps.duediligence.evidence import EvidenceRef
from battrace.apps.duediligence.model import (
    MINERALS,
    NOT_SURVEYED,
    Company,
    CompanyAnswers,
    Declaration,
    Mine,
    Mineral,
    MineralAnswers,
    Product,
    Programme,
    Smelter,
    Template,
    validation_message,
)
from battrace.errors import InvalidInput, PayloadTooLarge

DECLARATION = "Declaration"
MAX_ROWS = 20_000  # per sheet; a larger sheet is refused rather than read into memory
MAX_BYTES = 20_000_000  # a declaration workbook is tens of kB; refuse before unzipping anything larger
LABEL_COLUMN, VALUE_COLUMN = 2, 4  # B holds the label, D the answer, as on the template's Declaration tab
LIST_HEADER_ROW = 4  # rows 1-3: title and instructions; data from row 5

_TITLES = {
    "EMRT": "Extended Minerals Reporting Template (EMRT)",
    "CMRT": "Conflict Minerals Reporting Template (CMRT)",
}

# (row, label, field): the single-value rows of the Declaration tab, label in B, value in D.
_TEMPLATE_ROWS = ((2, "Template", "template"), (3, "Template Version", "template_version"))
_COMPANY_ROWS = (
    (6, "Company Name (*)", "name"),
    (7, "Declaration Scope or Class (*)", "declaration_scope"),
    (8, "Description of Scope", "scope_description"),
    (9, "Company Unique ID", "unique_id"),
    (10, "Company Unique ID Authority", "unique_id_authority"),
    (11, "Address", "address"),
    (12, "Contact Name (*)", "contact_name"),
    (13, "Email – Contact (*)", "contact_email"),
    (14, "Phone – Contact", "contact_phone"),
    (15, "Authorized Company Representative Name (*)", "authorizer_name"),
    (16, "Title – Representative", "authorizer_title"),
    (17, "Email – Representative", "authorizer_email"),
    (18, "Phone – Representative", "authorizer_phone"),
    (19, "Effective Date (*)", "effective_date"),
)
QUESTION_HEADER_ROW = 22
_QUESTION_ROWS = (
    (23, "1) Is the mineral intentionally added or used in the product(s) or its production? (*)",
     "intentionally_added"),
    (24, "2) Does the mineral remain in the product(s)? (*)", "remains_in_product"),
    (25, "3) Do any smelters or refiners in your supply chain source from the covered countries? (*)",
     "covered_countries"),
    (26, "4) Do any smelters or refiners source from conflict-affected and high-risk areas (CAHRAs)? (*)",
     "cahra"),
    (27, "5) Does 100 percent of the mineral originate from recycled or scrap sources? (*)", "all_recycled"),
    (28, "6) What percentage of relevant suppliers have provided a response to your supply chain survey? (*)",
     "suppliers_responded"),
    (29, "7) Have you identified all of the smelters or refiners supplying your supply chain? (*)",
     "all_smelters_identified"),
    (30, "8) Has all applicable smelter or refiner information received been reported in this declaration?"
     " (*)",
     "all_smelter_info_reported"),
)  # fmt: skip
_COMPANY_QUESTION_ROWS = (
    (33, "A. Have you implemented a responsible minerals sourcing policy? (*)", "policy"),
    (34, "B. Is this policy publicly available on your website? (*)", "policy_public"),
    (35, "B. Link to the policy", "policy_url"),
    (36, "C. Do you require your direct suppliers to source from validated smelters or refiners? (*)",
     "requires_validated_smelters"),
    (37, "D. Have you implemented due diligence measures for responsible sourcing? (*)", "dd_measures"),
    (38, "E. Does your company conduct a survey of your relevant suppliers? (*)", "supplier_survey"),
    (39, "F. Do you review due diligence information received from your suppliers against your "
     "company's expectations? (*)", "reviews_supplier_info"),
    (40, "G. Does your review process include corrective action management? (*)", "corrective_action"),
    (41, "H. Is your company subject to an annual SEC conflict minerals disclosure filing?", "sec_filer"),
)  # fmt: skip
_PROGRAMME_ROWS = (
    (44, "battrace extension: grievance mechanism in place (Art. 49(1)(d))", "grievance_mechanism"),
    (45, "battrace extension: risk management plan adopted (Art. 50(1)(b))", "risk_management_plan"),
    (
        46,
        "battrace extension: third-party verification reference (Art. 48(2), 51)",
        "third_party_verification",
    ),
    (47, "battrace extension: public due diligence report (Art. 52(3))", "report_url"),
)
_HEADINGS = {
    5: "Company Information",
    21: "Questions 1-8, one column per mineral (leave a column empty for a mineral not declared)",
    32: "Company Level Questions",
    43: "Due diligence programme (Reg. (EU) 2023/1542 Art. 48-52; not in the RMI template)",
}

M = TypeVar("M", bound=BaseModel)
Cell = Any  # what openpyxl hands back: str, int, float, datetime, None
Parse = Callable[[Cell], object]


def _text(value: Cell) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a product number typed as a number
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    text = str(value).strip()
    return text or None


def _answer(value: Cell) -> str | None:
    text = _text(value)
    if text and text.casefold() == NOT_SURVEYED.casefold():
        return NOT_SURVEYED
    return text.capitalize() if text and text.casefold() in ("yes", "no", "unknown") else text


def _mineral(value: Cell) -> str | None:
    text = _text(value)
    return text.casefold() if text else None


def _country(value: Cell) -> str | None:
    text = _text(value)
    return country_code(text) if text else None


def _split(value: Cell) -> list[str] | None:
    text = _text(value)
    return [part.strip() for part in text.split(";") if part.strip()] if text else None


def _countries(value: Cell) -> list[str] | None:
    parts = _split(value)
    return [country_code(part) for part in parts] if parts else None


def _date(value: Cell) -> object:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else _text(value)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    parse: Parse = _text
    write: Callable[[object], Cell] = lambda v: v


def _join(values: object) -> Cell:
    return "; ".join(str(v) for v in values) if isinstance(values, tuple | list) and values else None


def _title_case(value: object) -> Cell:
    return str(value).title()


@dataclass(frozen=True)
class ListSheet:
    name: str
    model: type[BaseModel]
    columns: tuple[Column, ...]


SMELTER_LIST = ListSheet("Smelter List", Smelter, (
    Column("Metal (*)", "mineral", _mineral, _title_case),
    Column("Smelter Name (*)", "name"),
    Column("Smelter Country (*)", "country", _country),
    Column("Smelter Identification", "smelter_id"),
    Column("Source of Smelter Identification Number", "id_source"),
    Column("Smelter Street", "street"),
    Column("Smelter City", "city"),
    Column("Smelter Facility Location: State / Province (if applicable)", "state"),
    Column("Smelter Contact Name", "contact_name"),
    Column("Smelter Contact Email", "contact_email"),
    Column("Proposed next steps, if applicable", "next_steps"),
    Column("Name of Mine(s) or if recycled or scrap sourced, enter \"recycled\" or \"scrap\"", "mine_names",
           _split, _join),
    Column("Location (Country) of Mine(s) or if recycled or scrap sourced, enter \"recycled\" or \"scrap\"",
           "mine_countries", _countries, _join),
    Column("Does 100% of the smelter's feedstock originate from recycled or scrap sources?", "all_recycled",
           _answer),
    Column("Comments", "comments"),
))  # fmt: skip
MINE_LIST = ListSheet("Mine List", Mine, (
    Column("Metal (*)", "mineral", _mineral, _title_case),
    Column("Mine Name (*)", "name"),
    Column("Mine Country (*)", "country", _country),
    Column("Mine Identification", "mine_id"),
    Column("Smelter Identification of the smelter or refiner supplied", "smelter_id"),
    Column("Mine Location: State / Province (if applicable)", "state"),
    Column("Comments", "comments"),
))  # fmt: skip
PRODUCT_LIST = ListSheet("Product List", Product, (
    Column("Manufacturer's Product Number (*)", "number"),
    Column("Manufacturer's Product Name", "name"),
    Column("Requester's Product Number", "requester_number"),
    Column("Requester's Product Name", "requester_name"),
    Column("Comments", "comments"),
))  # fmt: skip
EVIDENCE_LIST = ListSheet("Evidence", EvidenceRef, (
    Column("SHA-256 (*)", "sha256", lambda v: (_text(v) or "").lower() or None),
    Column("Kind (*)", "kind"),
    Column("Title (*)", "title"),
    Column("Access (*)", "access", _text, lambda v: getattr(v, "value", v)),
    Column("Media Type", "media_type"),
    Column("Link", "uri"),
    Column("Issued", "issued", _date),
))  # fmt: skip
LIST_SHEETS = (SMELTER_LIST, MINE_LIST, PRODUCT_LIST, EVIDENCE_LIST)


# ---------------------------------------------------------------------------------------------------- export


def _put(sheet: Any, row: int, column: int, value: Cell) -> None:
    if value in ("", None, ()):
        return
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula: declarations come from other companies


def _write_rows(sheet: Any, rows: Sequence[tuple[int, str, str]], values: Mapping[str, object]) -> None:
    for row, label, field in rows:
        _put(sheet, row, LABEL_COLUMN, label)
        _put(sheet, row, VALUE_COLUMN, values.get(field))


def _write_declaration(sheet: Any, declaration: Declaration) -> None:
    _put(sheet, 1, LABEL_COLUMN, f"{_TITLES[declaration.template]} — layout reproduced by battrace")
    for row, heading in _HEADINGS.items():
        _put(sheet, row, LABEL_COLUMN, heading)
    _write_rows(sheet, _TEMPLATE_ROWS, declaration.model_dump())
    _write_rows(sheet, _COMPANY_ROWS, declaration.company.model_dump())
    _write_rows(sheet, _COMPANY_QUESTION_ROWS, declaration.company_answers.model_dump())
    _write_rows(sheet, _PROGRAMME_ROWS, declaration.programme.model_dump())
    _put(sheet, QUESTION_HEADER_ROW, LABEL_COLUMN, "Question")
    for offset, mineral in enumerate(MINERALS):
        _put(sheet, QUESTION_HEADER_ROW, VALUE_COLUMN + offset, mineral.title())
    for offset, mineral in enumerate(MINERALS):
        answers = declaration.answers(mineral)
        values = answers.model_dump() if answers else {}
        for row, label, field in _QUESTION_ROWS:
            _put(sheet, row, LABEL_COLUMN, label)
            _put(sheet, row, VALUE_COLUMN + offset, values.get(field))


def _write_list(sheet: Any, spec: ListSheet, items: Sequence[BaseModel]) -> None:
    _put(sheet, 1, 1, spec.name)
    _put(
        sheet,
        2,
        1,
        "Fields marked (*) are required. One row per entry; entries in one cell separated by ';'.",
    )
    for column, col in enumerate(spec.columns, start=1):
        _put(sheet, LIST_HEADER_ROW, column, col.header)
        sheet.column_dimensions[get_column_letter(column)].width = min(max(len(col.header), 12), 40)
    for row, item in enumerate(items, start=LIST_HEADER_ROW + 1):
        values = item.model_dump()
        for column, col in enumerate(spec.columns, start=1):
            value = values.get(col.field)
            _put(sheet, row, column, col.write(value) if value not in (None, "", ()) else None)


def _export_battrace(declaration: Declaration) -> bytes:
    """The declaration as an .xlsx in battrace's own layout (one column per mineral)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = DECLARATION
    sheet.column_dimensions["B"].width = 80
    _write_declaration(sheet, declaration)
    items: dict[str, Sequence[BaseModel]] = {
        SMELTER_LIST.name: declaration.smelters,
        MINE_LIST.name: declaration.mines,
        PRODUCT_LIST.name: declaration.products,
        EVIDENCE_LIST.name: declaration.evidence,
    }
    for spec in LIST_SHEETS:
        _write_list(book.create_sheet(spec.name), spec, items[spec.name])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------- import

Grid = dict[int, tuple[Cell, ...]]  # row number -> cell values from column A


# What openpyxl raises for a file that is not a workbook: not a zip, a zip without the xlsx parts, a part
# whose deflate stream is corrupt (zlib.error, EOFError), or parts that are not well-formed XML (ElementTree's
# ParseError is a SyntaxError). Read-only workbooks read their sheets lazily, so reading rows raises them too.
NOT_A_WORKBOOK = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    ValueError,
    OSError,
    SyntaxError,
    EOFError,
    zlib.error,
)


def _grid(sheet: Any, name: str) -> Grid:
    grid: Grid = {}
    try:
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS:
                raise InvalidInput(f"sheet {name!r} has more than {MAX_ROWS} rows")
            if any(value is not None for value in row):
                grid[number] = tuple(row)
    except NOT_A_WORKBOOK as exc:
        raise InvalidInput(f"sheet {name!r} is not readable: {exc}") from None
    return grid


def _cell(grid: Grid, row: int, column: int) -> Cell:
    values = grid.get(row, ())
    return values[column - 1] if column <= len(values) else None


def _where(sheet: str, row: int, column: int, label: str) -> str:
    return f"sheet {sheet!r} row {row}, column {get_column_letter(column)} ({label!r})"


def _expect_label(grid: Grid, sheet: str, row: int, column: int, label: str) -> None:
    found = _text(_cell(grid, row, column))
    if found != label:
        raise InvalidInput(
            f"{_where(sheet, row, column, label)}: expected the label {label!r}, found {found!r}; "
            "not the layout battrace reads (see battrace.apps.duediligence.workbook)"
        )


def _build(model: type[M], data: dict[str, object], locate: Callable[[str], str]) -> M:
    """Validate one model; the first error is reported at the sheet/row/column its field came from."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        found = error.get("input")
        got = "" if isinstance(found, dict) else f" (found {found!r})"
        raise InvalidInput(f"{locate(field)}: {error['msg']}{got}") from None


def _parse(parse: Parse, value: Cell, where: str) -> object:
    try:
        return parse(value)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc.detail}") from None


def _read_rows(
    grid: Grid, rows: Sequence[tuple[int, str, str]], parse: Mapping[str, Parse]
) -> dict[str, object]:
    data: dict[str, object] = {}
    for row, label, field in rows:
        _expect_label(grid, DECLARATION, row, LABEL_COLUMN, label)
        where = _where(DECLARATION, row, VALUE_COLUMN, label)
        value = _parse(parse.get(field, _text), _cell(grid, row, VALUE_COLUMN), where)
        if value is not None:
            data[field] = value
    return data


def _locator(sheet: str, rows: Sequence[tuple[int, str, str]], column: int) -> Callable[[str], str]:
    by_field = {field: (row, label) for row, label, field in rows}

    def locate(field: str) -> str:
        row, label = by_field.get(field, (rows[0][0], rows[0][1]))
        return _where(sheet, row, column, label)

    return locate


def _read_minerals(grid: Grid) -> list[MineralAnswers]:
    _expect_label(grid, DECLARATION, QUESTION_HEADER_ROW, LABEL_COLUMN, "Question")
    minerals = []
    for offset, mineral in enumerate(MINERALS):
        column = VALUE_COLUMN + offset
        _expect_label(grid, DECLARATION, QUESTION_HEADER_ROW, column, mineral.title())
        data = _read_question_column(grid, column)
        if data:
            located = _locator(DECLARATION, _QUESTION_ROWS, column)
            minerals.append(_build(MineralAnswers, {"mineral": mineral, **data}, located))
    return minerals


def _read_question_column(grid: Grid, column: int) -> dict[str, object]:
    data: dict[str, object] = {}
    for row, label, field in _QUESTION_ROWS:
        _expect_label(grid, DECLARATION, row, LABEL_COLUMN, label)
        value = _answer(_cell(grid, row, column))
        if value is not None:
            data[field] = value
    return data


def _read_declaration_sheet(grid: Grid) -> dict[str, object]:
    answer: Mapping[str, Parse] = {
        field: _answer for _, _, field in (*_COMPANY_QUESTION_ROWS, *_PROGRAMME_ROWS)
    }
    company = _read_rows(grid, _COMPANY_ROWS, {"effective_date": _date})
    questions = _read_rows(grid, _COMPANY_QUESTION_ROWS, {**answer, "policy_url": _text})
    programme = _read_rows(
        grid, _PROGRAMME_ROWS, {**answer, "third_party_verification": _text, "report_url": _text}
    )
    return {
        **_read_rows(grid, _TEMPLATE_ROWS, {}),
        "company": _build(Company, company, _locator(DECLARATION, _COMPANY_ROWS, VALUE_COLUMN)),
        "company_answers": _build(
            CompanyAnswers, questions, _locator(DECLARATION, _COMPANY_QUESTION_ROWS, VALUE_COLUMN)
        ),
        "programme": _build(Programme, programme, _locator(DECLARATION, _PROGRAMME_ROWS, VALUE_COLUMN)),
        "minerals": _read_minerals(grid),
    }


def _row_locator(spec: ListSheet, row: int) -> Callable[[str], str]:
    columns = {col.field: (column, col.header) for column, col in enumerate(spec.columns, start=1)}

    def locate(field: str) -> str:
        column, header = columns.get(field, (1, spec.columns[0].header))
        return _where(spec.name, row, column, header)

    return locate


def _list_rows(grid: Grid, spec: ListSheet) -> Iterator[tuple[int, BaseModel]]:
    for column, col in enumerate(spec.columns, start=1):
        _expect_label(grid, spec.name, LIST_HEADER_ROW, column, col.header)
    for row in sorted(r for r in grid if r > LIST_HEADER_ROW):
        data: dict[str, object] = {}
        for column, col in enumerate(spec.columns, start=1):
            value = _parse(col.parse, _cell(grid, row, column), _where(spec.name, row, column, col.header))
            if value is not None:
                data[col.field] = value
        yield row, _build(spec.model, data, _row_locator(spec, row))


def _check_minerals(spec: ListSheet, rows: Sequence[tuple[int, BaseModel]], declared: set[str]) -> None:
    # Model-level rule (Declaration._consistent) checked here too, so the message can name the row.
    for row, item in rows:
        mineral = getattr(item, "mineral", None)
        if mineral is not None and mineral not in declared:
            raise InvalidInput(
                f"{_where(spec.name, row, 1, spec.columns[0].header)}: {mineral} is not answered on the "
                f"Declaration tab (questions 1-8)"
            )


def _open(content: bytes) -> Any:
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(f"workbook of {len(content):,} bytes; at most {MAX_BYTES:,} are read")
    try:
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except NOT_A_WORKBOOK as exc:
        raise InvalidInput(f"not an .xlsx workbook: {exc}") from None


def _import_battrace(book: Any, declaration_grid: Grid) -> Declaration:
    """A declaration from an .xlsx in battrace's own layout."""
    missing = [name for name in (DECLARATION, *(s.name for s in LIST_SHEETS)) if name not in book.sheetnames]
    if missing:
        raise InvalidInput(f"workbook lacks the sheet(s) {missing}; found {book.sheetnames}")
    data = _read_declaration_sheet(declaration_grid)
    declared = {answers.mineral for answers in data["minerals"]}  # type: ignore[attr-defined]
    for spec, field in zip(LIST_SHEETS, ("smelters", "mines", "products", "evidence"), strict=True):
        rows = list(_list_rows(_grid(book[spec.name], spec.name), spec))
        _check_minerals(spec, rows, declared)
        data[field] = [item for _, item in rows]
    try:
        return Declaration.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"sheet {DECLARATION!r}: {validation_message(exc)}") from None


def import_workbooks(contents: Mapping[str, bytes]) -> dict[str, Declaration]:
    """Several suppliers' workbooks at once, all or nothing: one bad file refuses the whole batch."""
    declarations: dict[str, Declaration] = {}
    for supplier, content in contents.items():
        try:
            declarations[supplier] = import_workbook(content)
        except InvalidInput as exc:
            raise InvalidInput(f"workbook of {supplier}: {exc.detail}") from None
    return declarations


# ================================================================================== the RMI templates' layout

Layout = Literal["rmi", "battrace"]
_OWN_TITLE_SUFFIX = "layout reproduced by battrace"
RMI_HEADER_ROW = 4  # Smelter List and Mine List: headers in row 4, entries from row 5 (C5: first look-up)
PRODUCT_HEADER_ROW = 5  # Product List: headers in row 5 (D5), entries from row 6
COMPANY_FIRST_ROW = 8  # CMRT: company information in rows 8-22, label in B, answer in D
QUESTIONS_FIRST_ROW = 24  # CMRT completion guide: due-diligence questions from row 24
ANSWER_COLUMN, COMMENT_COLUMN, MINERAL_COLUMN = 4, 5, 3  # D answer, E comment, C the mineral of a row
EXTENSION = "battrace"  # Art. 48-52 data and answers one template lacks; RMI tools ignore the sheet
_EVIDENCE = "Evidence"

# Template metal names <-> ours. Copper and mica (EMRT 2.x) are outside Annex X and the model: read past.
_METALS: Mapping[Template, tuple[tuple[str, Mineral], ...]] = {
    "CMRT": (("Tantalum", "tantalum"), ("Tin", "tin"), ("Gold", "gold"), ("Tungsten", "tungsten")),
    "EMRT": (
        ("Cobalt", "cobalt"),
        ("Graphite", "natural graphite"),
        ("Lithium", "lithium"),
        ("Nickel", "nickel"),
    ),
}
_NOT_MODELLED = frozenset({"copper", "mica"})
_NOT_DECLARED = frozenset({"not declaring", "not applicable for this declaration"})
_TEMPLATE_SHEETS: Mapping[Template, tuple[str, ...]] = {
    "CMRT": ("Revision", "Instructions", "Definitions", "Declaration", "Smelter List", "Checker",
             "Product List", "Smelter Look-up"),
    "EMRT": ("Revision", "Instructions", "Definitions", "Declaration", "Smelter List", "Mine List", "Checker",
             "Product List", "Smelter Look-up"),
}  # fmt: skip

# Company information, template label -> field; rows from COMPANY_FIRST_ROW in this order.
_RMI_COMPANY = (
    ("Company Name (*):", "name"),
    ("Declaration Scope or Class (*):", "declaration_scope"),
    ("Description of Scope:", "scope_description"),
    ("Company Unique ID:", "unique_id"),
    ("Company Unique ID Authority:", "unique_id_authority"),
    ("Address:", "address"),
    ("Contact Name (*):", "contact_name"),
    ("Email – Contact (*):", "contact_email"),
    ("Phone – Contact (*):", "contact_phone"),
    ("Authorizer (*):", "authorizer_name"),
    ("Title – Authorizer:", "authorizer_title"),
    ("Email – Authorizer (*):", "authorizer_email"),
    ("Phone – Authorizer:", "authorizer_phone"),
    ("Effective Date (*):", "effective_date"),
)
# Other wordings of the same labels across versions (CMRT 5/6, EMRT 1.x/2.x), normalised (see _norm).
_COMPANY_ALIASES = {
    "authorized company representative name": "authorizer_name",
    "authorizer name": "authorizer_name",
    "representative title": "authorizer_title",
    "authorizer title": "authorizer_title",
    "title - representative": "authorizer_title",
    "email - representative": "authorizer_email",
    "authorizer email": "authorizer_email",
    "phone - representative": "authorizer_phone",
    "authorizer phone": "authorizer_phone",
    "contact email": "contact_email",
    "contact phone": "contact_phone",
    "date of completion": "effective_date",
    "authorization date": "effective_date",
    "company legal name": "name",
}
# Questions per template, in the template's numbering: (number, wording, field).
_RMI_QUESTIONS: Mapping[Template, tuple[tuple[str, str, str], ...]] = {
    "CMRT": (
        ("1", "Is any 3TG intentionally added or used in the product(s) or in the production process? (*)",
         "intentionally_added"),
        ("2", "Does any 3TG remain in the product(s)? (*)", "remains_in_product"),
        ("3", "Do any of the smelters in your supply chain source the 3TG from the covered countries? (*)",
         "covered_countries"),
        ("4", "Do any of the smelters in your supply chain source the 3TG from CAHRAs? (*)", "cahra"),
        ("5", "Does 100 percent of the 3TG (necessary to the functionality or production of your products) "
              "originate from recycled or scrap sources? (*)", "all_recycled"),
        ("6", "What percentage of relevant suppliers have provided a response to your supply chain survey?"
              " (*)", "suppliers_responded"),
        ("7", "Have you identified all of the smelters supplying the 3TG to your supply chain? (*)",
         "all_smelters_identified"),
        ("8", "Has all applicable smelter information received by your company been reported in this "
              "declaration? (*)", "all_smelter_info_reported"),
    ),
    "EMRT": (
        ("1", "Is any of the specified minerals intentionally added or used in the product(s) or in the "
              "production process? (*)", "intentionally_added"),
        ("2", "Does any of the specified minerals remain in the product(s)? (*)", "remains_in_product"),
        ("3", "Do any of the smelters or processors in your supply chain source the specified minerals from "
              "CAHRAs? (*)", "cahra"),
        ("4", "Does 100 percent of the specified minerals originate from recycled or scrap sources? (*)",
         "all_recycled"),
        ("5", "What percentage of relevant suppliers have provided a response to your supply chain survey?"
              " (*)", "suppliers_responded"),
        ("6", "Have you identified all of the smelters or processors supplying the specified minerals to "
              "your supply chain? (*)", "all_smelters_identified"),
        ("7", "Has all applicable smelter or processor information received by your company been reported in "
              "this declaration? (*)", "all_smelter_info_reported"),
    ),
}  # fmt: skip
_RMI_COMPANY_QUESTIONS: Mapping[Template, tuple[tuple[str, str, str], ...]] = {
    "CMRT": (
        ("A", "Have you established a responsible minerals sourcing policy? (*)", "policy"),
        ("B", "Is your responsible minerals sourcing policy publicly available on your website? (Note – If "
              "yes, the user shall specify the URL in the comment field.) (*)", "policy_public"),
        ("C", "Do you require your direct suppliers to source the 3TG from smelters whose due diligence "
              "practices have been validated by an independent third party audit program? (*)",
         "requires_validated_smelters"),
        ("D", "Have you implemented due diligence measures for responsible sourcing? (*)", "dd_measures"),
        ("E", "Does your company conduct a Conflict Minerals survey of your relevant supplier(s)? (*)",
         "supplier_survey"),
        ("F", "Do you review due diligence information received from your suppliers against your company's "
              "expectations? (*)", "reviews_supplier_info"),
        ("G", "Does your review process include corrective action management? (*)", "corrective_action"),
        ("H", "Is your company required to file an annual conflict minerals disclosure? (*)", "sec_filer"),
    ),
    "EMRT": (
        ("A", "Have you established a responsible minerals sourcing policy for the specified minerals? (*)",
         "policy"),
        ("B", "Is your responsible minerals sourcing policy publicly available on your website? (Note – If "
              "yes, the user shall specify the URL in the comment field.) (*)", "policy_public"),
        ("C", "Do you require your direct suppliers to source the specified minerals from smelters or "
              "processors whose due diligence practices have been validated by an independent third party "
              "audit program? (*)", "requires_validated_smelters"),
        ("D", "Have you implemented due diligence measures for responsible sourcing? (*)", "dd_measures"),
        ("E", "Does your company conduct a survey of your relevant supplier(s) for the specified minerals?"
              " (*)", "supplier_survey"),
        ("F", "Do you review due diligence information received from your suppliers against your company's "
              "expectations? (*)", "reviews_supplier_info"),
        ("G", "Does your review process include corrective action management? (*)", "corrective_action"),
    ),
}  # fmt: skip
# How the picklists write "Yes" where the model keeps Yes/No/Unknown (EMRT C, E and CMRT E, H).
_YES_WORDING: Mapping[tuple[Template, str], str] = {
    ("CMRT", "supplier_survey"): "Yes, in conformance with IPC1755 (e.g., CMRT)",
    ("EMRT", "supplier_survey"): "Yes, in conformance with IPC1755 (e.g. EMRT)",
    ("CMRT", "sec_filer"): "Yes, with the SEC",
}


def _norm(label: Cell) -> str:
    """A label compared across versions: case, "(*)", "(1)", colons, dash kinds and spacing ignored."""
    text = (_text(label) or "").casefold().replace("(*)", "").replace("(1)", "")
    for dash in ("–", "—", "‐"):
        text = text.replace(dash, "-")
    return " ".join(text.replace(":", " ").split())


_COMPANY_BY_LABEL = {**{_norm(label): field for label, field in _RMI_COMPANY}, **_COMPANY_ALIASES}


def _rmi_answer(value: Cell, field: str) -> str | None:
    """A picklist answer as the model keeps it. Long "Yes, ..." wordings are a Yes, except "Yes, with the EU"
    for question H, which is about the SEC rule; EMRT's "Did not survey" in any case."""
    text = _text(value)
    if text is None:
        return None
    folded = text.casefold()
    if field == "sec_filer" and folded.startswith("yes"):
        return "Yes" if "sec" in folded else "No"
    if field == "cahra" and folded.endswith(" only"):
        return "Yes"  # EMRT 1.x: "DRC only", "India and/or Madagascar only" are CAHRA sourcing
    if field == "suppliers_responded":
        if folded == NOT_SURVEYED.casefold():
            return NOT_SURVEYED
        if isinstance(value, int | float) and value == 1:
            return "100%"  # EMRT 1.x stores 100 % as the number 1
        return text
    if folded.startswith("yes"):
        return "Yes"
    return _answer(value)


def _rmi_write_answer(template: Template, field: str, value: object) -> Cell:
    if value == "Yes":
        return _YES_WORDING.get((template, field), "Yes")
    return value


# -- RMI list sheets: columns by header, so an extra column or a version's reordering does not mislead.


@dataclass(frozen=True)
class RmiColumn:
    header: str
    field: str  # model field, or "" for a template column battrace does not keep
    parse: Parse = _text
    write: Callable[[object], Cell] = lambda v: v
    aliases: tuple[str, ...] = ()
    # Header words that identify the column when its exact wording is not ours (the Mine List headers are
    # our reading of the field list, so a real EMRT's may be worded differently).
    words: tuple[str, ...] = ()


def _country_name(code: object) -> Cell:
    """The English short name the template's country picklist shows, not the code (read back either way)."""
    return country_names().get(str(code), code)


def _country_list(codes: object) -> Cell:
    return _join([_country_name(c) for c in codes]) if isinstance(codes, tuple | list) else None


def _smelter_id(value: Cell) -> str | None:
    text = _text(value)
    return text.upper() if text else None


_SMELTER_COLUMNS = (
    RmiColumn("Smelter Identification Number Input Column", "id_input", _smelter_id),
    RmiColumn("Metal (*)", "mineral", _text, lambda v: v),
    RmiColumn("Smelter Look-up (*)", "lookup"),
    RmiColumn("Smelter Name (1)", "name", aliases=("smelter name",)),
    RmiColumn("Smelter Facility Location: Country (*)", "country", _country, _country_name,
              aliases=("smelter country",)),
    RmiColumn("Smelter Identification", "smelter_id", _smelter_id),
    RmiColumn("Source of Smelter Identification Number", "id_source"),
    RmiColumn("Smelter Facility Location: Street", "street", aliases=("smelter street",)),
    RmiColumn("Smelter Facility Location: City", "city", aliases=("smelter city",)),
    RmiColumn("Smelter Facility Location: State / Province (If applicable)", "state"),
    RmiColumn("Smelter Contact Name", "contact_name"),
    RmiColumn("Smelter Contact Email", "contact_email"),
    RmiColumn("Proposed next steps, if applicable", "next_steps", aliases=("proposed next steps",)),
    RmiColumn("Name of Mine(s) or if recycled or scrap sourced, enter \"recycled\" or \"scrap\"",
              "mine_names", _split, _join),
    RmiColumn("Location (Country) of Mine(s) or if recycled or scrap sourced, enter \"recycled\" or "
              "\"scrap\"", "mine_countries", _countries, _country_list),
    RmiColumn("Does 100% of the smelter's feedstock originate from recycled or scrap sources?",
              "all_recycled", _answer),
    RmiColumn("Comments", "comments"),
)  # fmt: skip
_MINE_COLUMNS = (
    RmiColumn("Metal (*)", "mineral", words=("metal",)),
    RmiColumn("Name of smelter or processor sourcing from this mine (*)", "smelter", words=("smelter",)),
    RmiColumn("Mine Name", "name", words=("mine", "name", "-smelter")),
    RmiColumn("Mine Identification", "mine_id", words=("mine identification", "-source")),
    RmiColumn("Source of Mine Identification Number", "", words=("source",)),
    RmiColumn("Location (Country) of Mine (*)", "country", _country, _country_name, words=("country",)),
    RmiColumn("Mine Location: State / Province (If applicable)", "state", words=("state",)),
    RmiColumn("Comments", "comments", words=("comment",)),
)
_PRODUCT_COLUMNS: Mapping[Template, tuple[RmiColumn, ...]] = {
    "EMRT": (
        RmiColumn("Responding Company's Product Number (*)", "number",
                  aliases=("manufacturer's product number", "manufacturer product number")),
        RmiColumn("Responding Company's Product Name", "name",
                  aliases=("manufacturer's product name", "manufacturer product name")),
        RmiColumn("Requester Product Number", "requester_number"),
        RmiColumn("Requester Product Name", "requester_name"),
        RmiColumn("Comments", "comments"),
    ),
}  # fmt: skip
# CMRT 6.5 has no requester columns: battrace writes them after Comments, marked as its own.
_PRODUCT_COLUMNS = {
    **_PRODUCT_COLUMNS,
    "CMRT": (
        _PRODUCT_COLUMNS["EMRT"][0],
        _PRODUCT_COLUMNS["EMRT"][1],
        _PRODUCT_COLUMNS["EMRT"][4],
        RmiColumn("Requester Product Number (battrace)", "requester_number"),
        RmiColumn("Requester Product Name (battrace)", "requester_name"),
    ),
}
_SPECIAL_LOOKUPS = ("smelter not listed", "smelter not yet identified")


# -- export ------------------------------------------------------------------------------------------------


def _template_title(template: Template) -> str:
    return _TITLES[template]


def _metal_name(template: Template, mineral: str) -> str:
    return next(name for name, ours in _METALS[template] if ours == mineral)


def _check_fits(declaration: Declaration) -> None:
    allowed = {ours for _, ours in _METALS[declaration.template]}
    outside = [a.mineral for a in declaration.minerals if a.mineral not in allowed]
    if outside:
        raise InvalidInput(
            f"a {declaration.template} covers {sorted(allowed)}; {outside} belong in the other template "
            "(export them as a separate declaration, or use layout='battrace')"
        )


def _rmi_declaration(sheet: Any, declaration: Declaration) -> dict[str, object]:
    """Write the Declaration tab; returns what the template has no place for (for the extension sheet)."""
    template = declaration.template
    _put(sheet, 2, LABEL_COLUMN, _template_title(template))
    _put(sheet, 3, LABEL_COLUMN, f"Revision {declaration.template_version}")
    _put(sheet, 6, LABEL_COLUMN, "Company Information")
    company = declaration.company.model_dump()
    for row, (label, field) in enumerate(_RMI_COMPANY, start=COMPANY_FIRST_ROW):
        _put(sheet, row, LABEL_COLUMN, label)
        _put(sheet, row, VALUE_COLUMN, company.get(field))
    row = QUESTIONS_FIRST_ROW - 1
    _put(
        sheet,
        row,
        LABEL_COLUMN,
        "Answer the following questions based on the declaration scope indicated above",
    )
    extra: dict[str, object] = {}
    for number, wording, field in _RMI_QUESTIONS[template]:
        row += 1
        _put(sheet, row, LABEL_COLUMN, f"{number}) {wording}")
        for answers in declaration.minerals:
            row += 1
            _put(sheet, row, MINERAL_COLUMN, _metal_name(template, answers.mineral))
            _put(sheet, row, ANSWER_COLUMN, getattr(answers, field))
        row += 1  # a blank row after each question: six rows each for the 3TG, as the CMRT has them
    asked = {field for _, _, field in _RMI_QUESTIONS[template]}
    for answers in declaration.minerals:
        for field, value in answers.model_dump().items():
            if field not in asked and field != "mineral":
                extra[f"{answers.mineral}: {field}"] = value
    row += 1
    _put(sheet, row, LABEL_COLUMN, "Answer the Company Level Questions based on the declaration scope")
    values = declaration.company_answers.model_dump()
    asked = set()
    for letter, wording, field in _RMI_COMPANY_QUESTIONS[template]:
        row += 1
        asked.add(field)
        _put(sheet, row, LABEL_COLUMN, f"{letter}. {wording}")
        _put(sheet, row, ANSWER_COLUMN, _rmi_write_answer(template, field, values[field]))
        if field == "policy_public":
            _put(sheet, row, COMMENT_COLUMN, values["policy_url"])
    for field in ("policy", "sec_filer"):
        if field not in asked:
            extra[f"company: {field}"] = values[field]
    return extra


def _rmi_list(
    sheet: Any,
    columns: Sequence[RmiColumn],
    header_row: int,
    rows: Sequence[Mapping[str, object]],
    first: int,
) -> None:
    _put(sheet, 1, 1, sheet.title)
    for column, spec in enumerate(columns, start=first):
        _put(sheet, header_row, column, spec.header)
        sheet.column_dimensions[get_column_letter(column)].width = min(max(len(spec.header), 12), 40)
    for row, values in enumerate(rows, start=header_row + 1):
        for column, spec in enumerate(columns, start=first):
            value = values.get(spec.field) if spec.field else None
            _put(sheet, row, column, spec.write(value) if value not in (None, "", ()) else None)


def _smelter_rows(declaration: Declaration) -> list[dict[str, object]]:
    rows = []
    for smelter in declaration.smelters:
        values = smelter.model_dump()
        values["mineral"] = _metal_name(declaration.template, smelter.mineral)
        # A smelter without an RMI id is one the look-up does not list (the template's own wording).
        values["lookup"] = smelter.name if smelter.smelter_id else "Smelter not listed"
        rows.append(values)
    return rows


def _mine_rows(declaration: Declaration) -> list[dict[str, object]]:
    rows = []
    for mine in declaration.mines:
        values = mine.model_dump()
        values["mineral"] = _metal_name(declaration.template, mine.mineral)
        named = [
            s
            for s in declaration.smelters_for(mine.mineral)
            if s.smelter_id and s.smelter_id == mine.smelter_id
        ]
        # The template names the smelter (unique within one metal at most); else the RMI id is written.
        values["smelter"] = named[0].name if len(named) == 1 else mine.smelter_id
        rows.append(values)
    return rows


def _extension(sheet: Any, declaration: Declaration, extra: Mapping[str, object]) -> None:
    _put(sheet, 1, LABEL_COLUMN, "battrace: what Reg. (EU) 2023/1542 Art. 48-52 ask beyond the RMI template")
    _write_rows(sheet, _PROGRAMME_ROWS, declaration.programme.model_dump())
    for row, (label, value) in enumerate(sorted(extra.items()), start=50):
        _put(sheet, row, LABEL_COLUMN, label)
        _put(sheet, row, VALUE_COLUMN, value)


def _export_rmi(declaration: Declaration) -> bytes:
    _check_fits(declaration)
    template = declaration.template
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in _TEMPLATE_SHEETS[template]:
        book.create_sheet(name)
    book["Revision"]["A1"] = "Revision"
    book["Revision"]["A2"] = f"Revision {declaration.template_version}"
    for name in ("Instructions", "Definitions", "Checker", "Smelter Look-up"):
        # The template's reading aids and formulas are RMI's; battrace writes the answers only.
        book[name]["A1"] = f"{name}: see the RMI template; not reproduced by battrace"
    book["Declaration"].column_dimensions["B"].width = 80
    extra = _rmi_declaration(book["Declaration"], declaration)
    _rmi_list(book["Smelter List"], _SMELTER_COLUMNS, RMI_HEADER_ROW, _smelter_rows(declaration), 1)
    if template == "EMRT":
        _rmi_list(book["Mine List"], _MINE_COLUMNS, RMI_HEADER_ROW, _mine_rows(declaration), 1)
    products = [p.model_dump() for p in declaration.products]
    _rmi_list(book["Product List"], _PRODUCT_COLUMNS[template], PRODUCT_HEADER_ROW, products, 2)
    _extension(book.create_sheet(EXTENSION), declaration, extra)
    _write_list(book.create_sheet(_EVIDENCE), EVIDENCE_LIST, declaration.evidence)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_workbook(declaration: Declaration, layout: Layout = "rmi") -> bytes:
    """The declaration as an .xlsx: by default in the RMI template's layout (its ``template``, CMRT 6.x or
    EMRT 2.x), or in battrace's own one-sheet-per-list layout (``layout="battrace"``)."""
    return _export_rmi(declaration) if layout == "rmi" else _export_battrace(declaration)


# -- import ------------------------------------------------------------------------------------------------


def _template_of(book: Any, grid: Grid) -> Template:
    title = " ".join(_norm(v) for row in range(1, 7) for v in grid.get(row, ()) if isinstance(v, str))
    if "extended minerals" in title or "Mine List" in book.sheetnames:
        return "EMRT"
    if "conflict minerals" in title:
        return "CMRT"
    # No title: the questions say which template it is ("3TG" in the CMRT, "specified minerals" in EMRT).
    wording = " ".join(_norm(v) for values in grid.values() for v in values if isinstance(v, str))
    if "3tg" in wording:
        return "CMRT"
    if "specified minerals" in wording:
        return "EMRT"
    raise InvalidInput(
        f"sheet {DECLARATION!r} rows 1-6: no template title (Conflict Minerals or Extended Minerals "
        "Reporting Template) found"
    )


_VERSION = re.compile(r"\b(?:revision|version|rev\.?)\s*([0-9]+\.[0-9]+[a-z]?)", re.IGNORECASE)


def _version_of(book: Any, grid: Grid) -> str:
    """The template revision: the title rows of the Declaration tab first, else the newest on 'Revision'."""
    for row in range(1, 7):
        for value in grid.get(row, ()):
            match = _VERSION.search(str(value)) if isinstance(value, str) else None
            if match:
                return match.group(1)
    found: list[str] = []
    if "Revision" in book.sheetnames:
        for values in _grid(book["Revision"], "Revision").values():
            found += [m.group(1) for v in values if isinstance(v, str) for m in _VERSION.finditer(v)]
    if not found:
        raise InvalidInput("no template revision found (Declaration title rows or sheet 'Revision')")
    return max(found, key=lambda v: tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.a-z]", v)))


def _mineral_of(template: Template, value: Cell) -> str | None:
    """Our mineral for a metal name in a question row; "" for a metal battrace does not model."""
    name = _norm(value)
    for metal, ours in _METALS[template]:
        if name == metal.casefold():
            return ours
    return "" if name in _NOT_MODELLED else None


def _row_mineral(template: Template, values: Sequence[Cell]) -> str | None:
    for value in values[:MINERAL_COLUMN]:
        found = _mineral_of(template, value)
        if found is not None:
            return found
    return None


def _comment(values: Sequence[Cell]) -> str | None:
    return next((t for v in values[ANSWER_COLUMN:] if (t := _text(v))), None)


def _rmi_company(grid: Grid) -> tuple[dict[str, object], dict[str, tuple[int, str]]]:
    data: dict[str, object] = {}
    where: dict[str, tuple[int, str]] = {}
    for row in sorted(grid):
        values = grid[row]
        label = _norm(_cell(grid, row, LABEL_COLUMN))
        field = _COMPANY_BY_LABEL.get(label)
        if field is None or field in where:
            continue
        where[field] = (row, str(_text(values[LABEL_COLUMN - 1])))
        parse: Parse = _date if field == "effective_date" else _text
        value = _parse(parse, _cell(grid, row, VALUE_COLUMN), _where(DECLARATION, row, VALUE_COLUMN, label))
        if field == "declaration_scope" and isinstance(value, str):
            value = value.split(" [")[0]  # "C. User defined [Specify in 'Description of scope']"
        if value is not None:
            data[field] = value
    return data, where


_QUESTION = re.compile(r"^\s*([1-8])\)\s")
_COMPANY_QUESTION = re.compile(r"^\s*([A-I])\.\s")


QuestionRows = dict[str, tuple[int, str, tuple[Cell, ...]]]  # letter A-H -> (row, label, cells)


def _rmi_questions(
    grid: Grid, template: Template, extra: Mapping[str, object]
) -> tuple[list[MineralAnswers], QuestionRows]:
    """Questions 1-8 (CMRT) or 1-7 (EMRT): found by their number in column B, one row per metal below."""
    fields = {number: field for number, _, field in _RMI_QUESTIONS[template]}
    answers: dict[str, dict[str, object]] = {}
    places: dict[str, dict[str, tuple[int, str]]] = {}
    company: QuestionRows = {}
    skipped: set[str] = set()
    current: str | None = None
    letter: str | None = None
    for row in sorted(grid):
        values = grid[row]
        label = _text(_cell(grid, row, LABEL_COLUMN)) or ""
        if (match := _QUESTION.match(label)) is not None:
            current, letter = fields.get(match.group(1)), None
            continue
        if (match := _COMPANY_QUESTION.match(label)) is not None:
            current, letter = None, match.group(1)
            company[letter] = (row, label, values)
            continue
        if (
            letter is not None
            and _row_mineral(template, values)
            and _cell(grid, row, ANSWER_COLUMN) is not None
        ):
            # EMRT 2.x asks question C per mineral: one row per mineral below the question.
            company.setdefault(f"{letter}/minerals", (row, label, ()))
            company[f"{letter}/{row}"] = (row, label, values)
            continue
        mineral = _row_mineral(template, values) if current else None
        if not mineral or current is None:
            continue
        value = _rmi_answer(_cell(grid, row, ANSWER_COLUMN), current)
        if current == "intentionally_added" and _norm(value) in _NOT_DECLARED:
            skipped.add(mineral)  # EMRT: the mineral is outside this declaration
        places.setdefault(mineral, {})[current] = (row, label or _metal_name(template, mineral))
        if value is not None:
            answers.setdefault(mineral, {})[current] = value
    kept = {mineral: data for mineral, data in answers.items() if mineral not in skipped}
    return _mineral_answers(kept, places, template, extra), company


def _mineral_answers(
    answers: Mapping[str, dict[str, object]],
    places: Mapping[str, dict[str, tuple[int, str]]],
    template: Template,
    extra: Mapping[str, object],
) -> list[MineralAnswers]:
    built = []
    for mineral, data in answers.items():
        for key, value in extra.items():
            owner, _, field = key.partition(": ")
            if owner == mineral and value is not None:
                data.setdefault(field, value)  # an answer this template does not ask, kept by battrace
        # Questions 3 onwards are asked only where questions 1 and 2 are answered Yes (template
        # instructions); a mineral not used keeps "Unknown" and "None" where the template asked nothing.
        if "No" in (data.get("intentionally_added"), data.get("remains_in_product")):
            for _, _, field in _RMI_QUESTIONS[template][2:]:
                data.setdefault(field, "None" if field == "suppliers_responded" else "Unknown")
        data.setdefault("covered_countries", "Unknown")  # EMRT has no covered-countries question

        def locate(field: str, mineral: str = mineral) -> str:
            row, _ = places[mineral].get(field, next(iter(places[mineral].values())))
            return _where(DECLARATION, row, ANSWER_COLUMN, f"{field} ({mineral})")

        built.append(_build(MineralAnswers, {"mineral": mineral, **data}, locate))
    return built


def _per_mineral(company: QuestionRows, letter: str, field: str) -> str:
    """One answer for a question asked per mineral: Yes when every mineral says yes, No when one says no."""
    answers = {
        _rmi_answer(cells[ANSWER_COLUMN - 1], field)
        for key, (_, _, cells) in company.items()
        if key.startswith(f"{letter}/") and cells
    }
    return "Yes" if answers == {"Yes"} else "No" if "No" in answers else "Unknown"


def _rmi_company_answers(
    company: QuestionRows, template: Template, extra: Mapping[str, object]
) -> CompanyAnswers:
    # What the template has no question for (EMRT: H) comes from battrace's extension sheet, if any.
    data: dict[str, object] = {
        key.removeprefix("company: "): v for key, v in extra.items() if key.startswith("company: ") and v
    }
    where: dict[str, str] = {}
    for letter, _, field in _RMI_COMPANY_QUESTIONS[template]:
        if letter not in company:
            continue
        row, label, values = company[letter]
        where[field] = _where(DECLARATION, row, ANSWER_COLUMN, label[:60])
        value = _rmi_answer(values[ANSWER_COLUMN - 1] if len(values) >= ANSWER_COLUMN else None, field)
        if value is None and f"{letter}/minerals" in company:
            value = _per_mineral(company, letter, field)
        if value is not None:
            data[field] = value
        if field == "policy_public" and (url := _comment(values)):
            data["policy_url"] = url
    fallback = f"sheet {DECLARATION!r} company level questions"
    return _build(CompanyAnswers, data, lambda field: where.get(field, fallback))


def _has_words(label: str, words: tuple[str, ...]) -> bool:
    """All of ``words`` in ``label``; a word starting with "-" must not be in it."""
    return all((w[1:] not in label) if w.startswith("-") else (w in label) for w in words)


def _header_map(
    grid: Grid, sheet: str, header_row: int, columns: Sequence[RmiColumn]
) -> dict[int, RmiColumn]:
    by_label: dict[str, RmiColumn] = {}
    for spec in columns:
        by_label[_norm(spec.header)] = spec
        for alias in spec.aliases:
            by_label.setdefault(_norm(alias), spec)
    found: dict[int, RmiColumn] = {}
    for column, value in enumerate(grid.get(header_row, ()), start=1):
        label = _norm(value)
        matched = by_label.get(label) or next(
            (c for c in columns if c.words and _has_words(label, c.words)), None
        )
        if matched is not None and matched not in found.values():
            found[column] = matched
    required = [c.header for c in columns if "(*)" in c.header]
    missing = [h for h in required if h not in {spec.header for spec in found.values()}]
    if missing:
        raise InvalidInput(f"sheet {sheet!r} row {header_row}: no column {missing[0]!r}; not an RMI layout")
    return found


def _rmi_rows(
    grid: Grid,
    sheet: str,
    header_row: int,
    columns: Sequence[RmiColumn],
    skip: Callable[[Mapping[str, Cell]], bool] = lambda raw: False,
) -> Iterator[tuple[int, dict[str, object], Callable[[str], str]]]:
    """Each entry row as model fields, with a locator naming sheet/row/column; ``skip`` sees the raw cells
    by field first (a row the template marks as a placeholder is not parsed at all)."""
    mapping = _header_map(grid, sheet, header_row, columns)
    for row in sorted(r for r in grid if r > header_row):
        if skip({spec.field: _cell(grid, row, column) for column, spec in mapping.items()}):
            continue
        data: dict[str, object] = {}
        for column, spec in mapping.items():
            if not spec.field:
                continue
            where = _where(sheet, row, column, spec.header)
            value = _parse(spec.parse, _cell(grid, row, column), where)
            if value is not None:
                data[spec.field] = value
        if not data:
            continue

        def locate(field: str, row: int = row) -> str:
            column, spec = next(
                ((c, s) for c, s in mapping.items() if s.field == field), next(iter(mapping.items()))
            )
            return _where(sheet, row, column, spec.header)

        yield row, data, locate


def _placeholder(template: Template) -> Callable[[Mapping[str, Cell]], bool]:
    """A row for a metal battrace does not model, or the template's placeholder for a smelter nobody has
    identified yet (its country reads "Unknown"): nothing to import."""

    def skip(raw: Mapping[str, Cell]) -> bool:
        not_modelled = _mineral_of(template, raw.get("mineral")) == ""
        return not_modelled or _norm(raw.get("lookup")) == "smelter not yet identified"

    return skip


def _rmi_smelters(grid: Grid, template: Template, declared: set[str]) -> list[Smelter]:
    sheet = "Smelter List"
    smelters = []
    for _, data, locate in _rmi_rows(grid, sheet, RMI_HEADER_ROW, _SMELTER_COLUMNS, _placeholder(template)):
        mineral = _mineral_of(template, data.pop("mineral", None))
        lookup = str(data.pop("lookup", "") or "")
        id_input = data.pop("id_input", None)
        if mineral is None:
            raise InvalidInput(f"{locate('mineral')}: not a {template} metal")
        if mineral not in declared:
            raise InvalidInput(f"{locate('mineral')}: {mineral} is not answered on the Declaration tab")
        if "name" not in data and lookup and _norm(lookup) not in _SPECIAL_LOOKUPS:
            data["name"] = lookup
        data.setdefault("smelter_id", id_input)
        smelters.append(_build(Smelter, {"mineral": mineral, **data}, locate))
    return smelters


def _rmi_mines(grid: Grid, template: Template, declared: set[str], smelters: Sequence[Smelter]) -> list[Mine]:
    sheet = "Mine List"
    mines = []
    for _, data, locate in _rmi_rows(grid, sheet, RMI_HEADER_ROW, _MINE_COLUMNS, _placeholder(template)):
        mineral = _mineral_of(template, data.pop("mineral", None))
        if mineral is None or mineral not in declared:
            raise InvalidInput(
                f"{locate('mineral')}: {mineral or 'the metal'} is not answered on the Declaration tab"
            )
        smelter = str(data.pop("smelter", "") or "")
        named = [
            s.smelter_id for s in smelters if s.mineral == mineral and s.name.casefold() == smelter.casefold()
        ]
        if re.fullmatch(r"CID[0-9]{6}", smelter.upper()):
            data["smelter_id"] = smelter.upper()
        elif named and named[0]:
            data["smelter_id"] = named[0]
        mines.append(_build(Mine, {"mineral": mineral, **data}, locate))
    return mines


def _rmi_products(grid: Grid, template: Template) -> list[Product]:
    return [
        _build(Product, data, locate)
        for _, data, locate in _rmi_rows(grid, "Product List", PRODUCT_HEADER_ROW, _PRODUCT_COLUMNS[template])
    ]


def _rmi_extension(book: Any) -> tuple[dict[str, object], dict[str, object]]:
    """Programme values and the answers the template had no place for, from battrace's extension sheet."""
    if EXTENSION not in book.sheetnames:
        return {}, {}
    grid = _grid(book[EXTENSION], EXTENSION)
    answer: Mapping[str, Parse] = {field: _answer for _, _, field in _PROGRAMME_ROWS}
    programme = _read_rows(
        grid, _PROGRAMME_ROWS, {**answer, "third_party_verification": _text, "report_url": _text}
    )
    extra: dict[str, object] = {
        str(_text(values[LABEL_COLUMN - 1])): _text(values[VALUE_COLUMN - 1])
        if len(values) >= VALUE_COLUMN
        else None
        for row, values in grid.items()
        if row >= 50 and len(values) >= LABEL_COLUMN
    }
    return programme, extra


def _import_rmi(book: Any, grid: Grid) -> Declaration:
    template = _template_of(book, grid)
    missing = [name for name in ("Smelter List", "Product List") if name not in book.sheetnames]
    if missing:
        raise InvalidInput(
            f"workbook lacks the sheet(s) {missing} of the {template}; found {book.sheetnames}"
        )
    company, where = _rmi_company(grid)

    def locate_company(field: str) -> str:
        row, label = where.get(field, (COMPANY_FIRST_ROW, field))
        return _where(DECLARATION, row, VALUE_COLUMN, label)

    programme, extra = _rmi_extension(book)
    minerals, company_rows = _rmi_questions(grid, template, extra)
    company_answers = _rmi_company_answers(company_rows, template, extra)
    declared: set[str] = {a.mineral for a in minerals}
    smelters = _rmi_smelters(_grid(book["Smelter List"], "Smelter List"), template, declared)
    mines = (
        _rmi_mines(_grid(book["Mine List"], "Mine List"), template, declared, smelters)
        if "Mine List" in book.sheetnames
        else []
    )
    evidence = (
        [item for _, item in _list_rows(_grid(book[_EVIDENCE], _EVIDENCE), EVIDENCE_LIST)]
        if _EVIDENCE in book.sheetnames
        else []
    )
    data = {
        "template": template,
        "template_version": _version_of(book, grid),
        "company": _build(Company, company, locate_company),
        "minerals": minerals,
        "company_answers": company_answers,
        "programme": _build(Programme, programme, _locator(EXTENSION, _PROGRAMME_ROWS, VALUE_COLUMN)),
        "smelters": smelters,
        "mines": mines,
        "products": _rmi_products(_grid(book["Product List"], "Product List"), template),
        "evidence": evidence,
    }
    try:
        return Declaration.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"sheet {DECLARATION!r}: {validation_message(exc)}") from None


def import_workbook(content: bytes) -> Declaration:
    """A declaration from an .xlsx in the RMI CMRT 6.x / EMRT 1.x-2.x layout or in battrace's own layout
    (told apart by the Declaration tab's title); InvalidInput naming sheet, row and field otherwise."""
    book = _open(content)
    try:
        if DECLARATION not in book.sheetnames:
            raise InvalidInput(f"workbook lacks the sheet(s) {[DECLARATION]}; found {book.sheetnames}")
        grid = _grid(book[DECLARATION], DECLARATION)
        if (_text(_cell(grid, 1, LABEL_COLUMN)) or "").endswith(_OWN_TITLE_SUFFIX):
            return _import_battrace(book, grid)
        return _import_rmi(book, grid)
    finally:
        book.close()
