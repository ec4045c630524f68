"""Declarations to and from spreadsheets in the RMI templates' layout (openpyxl).

Which layout: the tabs of the RMI Extended Minerals Reporting Template **EMRT 2.1** (2025-10-17; cobalt,
lithium, nickel, natural graphite, with the Mine List of 2.0) and, for the 3TG, the Conflict Minerals
Reporting Template **CMRT 6.x**: "Declaration", "Smelter List", "Mine List", "Product List". The RMI xlsx
itself is not in our references, so this layout is *reproduced from our notes* (pcf-ouranos.md §6.3), not
copied: labels follow the template's wording as far as the notes give it, cell positions are ours. A real RMI
file therefore does not import as is. Deviations, on purpose:

* one workbook covers all eight minerals; questions 1-8 are a matrix (one row per question, one column per
  mineral, D..K) instead of one row per question and metal, so every cell has a fixed place;
* countries are written as ISO 3166-1 alpha-2 codes; on import a code or an English short name is accepted;
* a list of mine names or mine countries in one Smelter List cell is separated by ";";
* rows 44-47 of the Declaration tab ("battrace extension") and the "Evidence" tab carry what Art. 48-52 of
  Reg. (EU) 2023/1542 ask beyond the template.

Import is all or nothing: a workbook is read completely into a ``Declaration`` or refused with InvalidInput
naming the sheet, row and field; no partial declaration is ever returned or kept.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import openpyxl  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError

from battrace.apps.duediligence.cahra import country_code
from battrace.apps.duediligence.evidence import EvidenceRef
from battrace.apps.duediligence.model import (
    MINERALS,
    Company,
    CompanyAnswers,
    Declaration,
    Mine,
    MineralAnswers,
    Product,
    Programme,
    Smelter,
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


def export_workbook(declaration: Declaration) -> bytes:
    """The declaration as an .xlsx in the layout described in the module docstring."""
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


def _grid(sheet: Any, name: str) -> Grid:
    grid: Grid = {}
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS:
            raise InvalidInput(f"sheet {name!r} has more than {MAX_ROWS} rows")
        if any(value is not None for value in row):
            grid[number] = tuple(row)
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
    # What openpyxl raises for a file that is not a workbook: not a zip, a zip without the xlsx parts, or
    # parts that are not well-formed XML (ElementTree's ParseError is a SyntaxError).
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, SyntaxError) as exc:
        raise InvalidInput(f"not an .xlsx workbook: {exc}") from None


def import_workbook(content: bytes) -> Declaration:
    """A declaration from an .xlsx in our layout; InvalidInput naming sheet, row and field otherwise."""
    book = _open(content)
    try:
        missing = [
            name for name in (DECLARATION, *(s.name for s in LIST_SHEETS)) if name not in book.sheetnames
        ]
        if missing:
            raise InvalidInput(f"workbook lacks the sheet(s) {missing}; found {book.sheetnames}")
        data = _read_declaration_sheet(_grid(book[DECLARATION], DECLARATION))
        declared = {answers.mineral for answers in data["minerals"]}  # type: ignore[attr-defined]
        for spec, field in zip(LIST_SHEETS, ("smelters", "mines", "products", "evidence"), strict=True):
            rows = list(_list_rows(_grid(book[spec.name], spec.name), spec))
            _check_minerals(spec, rows, declared)
            data[field] = [item for _, item in rows]
    finally:
        book.close()
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
