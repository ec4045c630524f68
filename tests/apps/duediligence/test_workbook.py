from __future__ import annotations

import io
import zipfile
from datetime import date

import openpyxl  # type: ignore[import-untyped]
import pytest

from battrace.apps.duediligence.evidence import Access, EvidenceRef, sha256_hex
from battrace.apps.duediligence.model import Declaration
from battrace.apps.duediligence.rollup import roll_up
from battrace.apps.duediligence.workbook import export_workbook, import_workbook, import_workbooks
from battrace.errors import InvalidInput, PayloadTooLarge

from .example import CELLCO, answers, chain, declaration


def _declaration() -> Declaration:
    """The example's rolled-up declaration (every list filled) with evidence and a formula-looking comment."""
    rolled = roll_up(CELLCO, chain()).declaration
    evidence = (
        EvidenceRef(
            sha256=sha256_hex(b"policy"),
            kind="policy",
            title="Responsible sourcing policy",
            access=Access.PUBLIC,
            uri="https://cellco.example/policy.pdf",
            issued=date(2026, 1, 15),
        ),
        EvidenceRef(
            sha256=sha256_hex(b"audit"), kind="audit_report", title="Audit 2025", access=Access.AUTHORITY
        ),
    )
    smelters = list(rolled.smelters)
    smelters[0] = smelters[0].model_copy(update={"comments": '=HYPERLINK("http://evil.example")'})
    return rolled.model_copy(update={"evidence": evidence, "smelters": tuple(smelters)})


@pytest.fixture(scope="module")
def workbook() -> bytes:
    return export_workbook(_declaration())


def _mutate(content: bytes, sheet: str, cell: str, value: object) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(content))
    book[sheet][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_round_trip_workbook_model_workbook_model_changes_nothing(workbook: bytes) -> None:
    first = import_workbook(workbook)
    assert first == _declaration()
    assert import_workbook(export_workbook(first)) == first


def test_minerals_declared_in_any_order_round_trip_equal() -> None:
    # The workbook has one column per mineral in a fixed order; the model keeps that order too.
    shuffled = declaration("Shuffled", [answers("nickel"), answers("cobalt", cahra="Yes")], ["S3", "S1"])
    assert [a.mineral for a in shuffled.minerals] == ["cobalt", "nickel"]
    assert import_workbook(export_workbook(shuffled)) == shuffled


def test_export_follows_the_template_tabs_and_labels(workbook: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    assert book.sheetnames == ["Declaration", "Smelter List", "Mine List", "Product List", "Evidence"]
    assert book["Declaration"]["B6"].value == "Company Name (*)"
    assert book["Declaration"]["D6"].value == "CellCo"
    assert book["Smelter List"]["C4"].value == "Smelter Country (*)"
    assert book["Smelter List"]["A5"].value in {"Cobalt", "Lithium", "Nickel", "Natural Graphite"}


def test_text_that_looks_like_a_formula_is_written_as_text(workbook: bytes) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(workbook))["Smelter List"]
    comment = sheet.cell(row=5, column=15)
    assert comment.data_type == "s"
    assert comment.value.startswith("=HYPERLINK")


def test_a_country_may_be_given_by_its_english_name(workbook: bytes) -> None:
    changed = _mutate(workbook, "Smelter List", "C5", "Congo (Dem. Rep.)")
    assert import_workbook(changed).smelters[0].country == "CD"


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "message"),
    [
        ("Smelter List", "C6", "Atlantis", "sheet 'Smelter List' row 6, column C ('Smelter Country (*)')"),
        ("Smelter List", "D7", "CID12", "sheet 'Smelter List' row 7, column D ('Smelter Identification')"),
        (
            "Smelter List",
            "B8",
            None,
            "sheet 'Smelter List' row 8, column B ('Smelter Name (*)'): Field required",
        ),
        (
            "Smelter List",
            "A9",
            "Tin",
            "sheet 'Smelter List' row 9, column A ('Metal (*)'): tin is not answered",
        ),
        ("Declaration", "F26", "Maybe", "sheet 'Declaration' row 26, column F ('4) Do any smelters"),
        (
            "Declaration",
            "D6",
            None,
            "sheet 'Declaration' row 6, column D ('Company Name (*)'): Field required",
        ),
        ("Declaration", "D19", "last spring", "sheet 'Declaration' row 19, column D ('Effective Date (*)')"),
        (
            "Declaration",
            "B13",
            "E-mail",
            "sheet 'Declaration' row 13, column B ('Email – Contact (*)'): expected",
        ),
        ("Mine List", "C5", "XX", "sheet 'Mine List' row 5, column C ('Mine Country (*)')"),
        (
            "Product List",
            "A5",
            None,
            "sheet 'Product List' row 5, column A (\"Manufacturer's Product Number (*)\")",
        ),
        ("Evidence", "A5", "not-a-hash", "sheet 'Evidence' row 5, column A ('SHA-256 (*)')"),
        ("Evidence", "D6", "everyone", "sheet 'Evidence' row 6, column D ('Access (*)')"),
    ],
)
def test_a_malformed_cell_is_refused_naming_sheet_row_and_field(
    workbook: bytes, sheet: str, cell: str, value: object, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        import_workbook(_mutate(workbook, sheet, cell, value))
    assert message in caught.value.detail


def test_a_workbook_without_a_template_tab_is_refused(workbook: bytes) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    del book["Mine List"]
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(InvalidInput, match=r"lacks the sheet\(s\) \['Mine List'\]"):
        import_workbook(out.getvalue())


def _zip(**members: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name.replace("__", "/"), text)
    return out.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        b"Company Name,CellCo\n",
        _zip(readme="not a workbook"),
        _zip(**{"[Content_Types].xml": "<Types", "xl__workbook.xml": "<workbook"}),
    ],
    ids=["csv", "zip-without-workbook", "broken-xml"],
)
def test_a_file_that_is_not_a_workbook_is_refused(content: bytes) -> None:
    with pytest.raises(InvalidInput, match=r"not an \.xlsx workbook"):
        import_workbook(content)


def test_an_oversized_file_is_refused_before_it_is_unzipped(
    monkeypatch: pytest.MonkeyPatch, workbook: bytes
) -> None:
    monkeypatch.setattr("battrace.apps.duediligence.workbook.MAX_BYTES", len(workbook) - 1)
    with pytest.raises(PayloadTooLarge):
        import_workbook(workbook)


def test_a_batch_with_one_bad_workbook_imports_nothing(workbook: bytes) -> None:
    bad = _mutate(workbook, "Smelter List", "C6", "Atlantis")
    kept: dict[str, Declaration] = {}
    with pytest.raises(InvalidInput, match=r"workbook of did:web:b\.example: sheet 'Smelter List' row 6"):
        kept.update(import_workbooks({"did:web:a.example": workbook, "did:web:b.example": bad}))
    assert kept == {}
    assert set(import_workbooks({"did:web:a.example": workbook})) == {"did:web:a.example"}
