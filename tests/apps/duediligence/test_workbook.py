from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

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
    """battrace's own layout (one column per mineral); the RMI layout is tested further down."""
    return export_workbook(_declaration(), layout="battrace")


def _mutate(content: bytes, sheet: str, cell: str, value: object) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(content))
    book[sheet][cell] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_round_trip_workbook_model_workbook_model_changes_nothing(workbook: bytes) -> None:
    first = import_workbook(workbook)
    assert first == _declaration()
    assert import_workbook(export_workbook(first, layout="battrace")) == first


def test_minerals_declared_in_any_order_round_trip_equal() -> None:
    # The workbook has one column per mineral in a fixed order; the model keeps that order too.
    shuffled = declaration("Shuffled", [answers("nickel"), answers("cobalt", cahra="Yes")], ["S3", "S1"])
    assert [a.mineral for a in shuffled.minerals] == ["cobalt", "nickel"]
    assert import_workbook(export_workbook(shuffled, layout="battrace")) == shuffled
    assert import_workbook(export_workbook(shuffled)) == shuffled


def test_the_own_layout_has_one_tab_per_list_and_the_template_labels(workbook: bytes) -> None:
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


# ------------------------------------------------------------------------------------------- the RMI layout
# The fixtures are built here cell by cell as the RMI templates lay them out (see the module docstring of
# battrace.apps.duediligence.workbook for the sources), independently of battrace's exporter.

_CMRT_COMPANY = (
    ("Company Name (*):", "Tin Parts Ltd."),
    ("Declaration Scope or Class (*):", "B. Product (or List of Products)"),
    ("Description of Scope:", None),
    ("Company Unique ID:", "BPNL000000000077"),
    ("Company Unique ID Authority:", "Catena-X"),
    ("Address:", "1 Solder Street, Penang"),
    ("Contact Name (*):", "Mei Tan"),
    ("Email – Contact (*):", "mei@tinparts.example"),
    ("Phone – Contact (*):", "+60 4 000 0000"),
    ("Authorizer (*):", "Raj Kumar"),
    ("Title – Authorizer:", "Compliance Director"),
    ("Email – Authorizer (*):", "raj@tinparts.example"),
    ("Phone – Authorizer:", None),
    ("Effective Date (*):", datetime(2026, 4, 30)),
)
# Questions 1-8 answered for tantalum, tin, gold, tungsten (in the template's metal order).
_CMRT_ANSWERS = (
    ("1) Is any 3TG intentionally added or used in the product(s) or in the production process? (*)",
     ("No", "Yes", "Yes", "No")),
    ("2) Does any 3TG remain in the product(s)? (*)", ("No", "Yes", "Yes", "No")),
    ("3) Do any of the smelters in your supply chain source the 3TG from the covered countries? (*)",
     (None, "Yes", "No", None)),
    ("4) Do any of the smelters in your supply chain source the 3TG from CAHRAs? (*)",
     (None, "Yes", "No", None)),
    ("5) Does 100 percent of the 3TG originate from recycled or scrap sources? (*)",
     (None, "No", "No", None)),
    ("6) What percentage of relevant suppliers have provided a response to your supply chain survey? (*)",
     (None, "Greater than 90%", "100%", None)),
    ("7) Have you identified all of the smelters supplying the 3TG to your supply chain? (*)",
     (None, "No", "Yes", None)),
    ("8) Has all applicable smelter information received by your company been reported in this "
     "declaration? (*)",
     (None, "Yes", "Yes", None)),
)  # fmt: skip
_CMRT_COMPANY_QUESTIONS = (
    ("A. Have you established a responsible minerals sourcing policy? (*)", "Yes", None),
    ("B. Is your responsible minerals sourcing policy publicly available on your website? (*)", "Yes",
     "https://tinparts.example/policy"),
    ("C. Do you require your direct suppliers to source the 3TG from validated smelters? (*)", "Yes", None),
    ("D. Have you implemented due diligence measures for responsible sourcing? (*)", "Yes", None),
    ("E. Does your company conduct a Conflict Minerals survey of your relevant supplier(s)? (*)",
     "Yes, in conformance with IPC1755 (e.g., CMRT)", None),
    ("F. Do you review due diligence information received from your suppliers? (*)", "Yes", None),
    ("G. Does your review process include corrective action management? (*)", "No", "planned for 2027"),
    ("H. Is your company required to file an annual conflict minerals disclosure? (*)",
     "Yes, with the SEC and the EU", None),
)  # fmt: skip
_SMELTER_HEADERS = (
    "Smelter Identification Number Input Column", "Metal (*)", "Smelter Look-up (*)", "Smelter Name (1)",
    "Smelter Facility Location: Country (*)", "Smelter Identification",
    "Source of Smelter Identification Number",
    "Smelter Facility Location: Street", "Smelter Facility Location: City",
    "Smelter Facility Location: State / Province (If applicable)", "Smelter Contact Name",
    "Smelter Contact Email",
    "Proposed next steps, if applicable",
    'Name of Mine(s) or if recycled or scrap sourced, enter "recycled" or "scrap"',
    'Location (Country) of Mine(s) or if recycled or scrap sourced, enter "recycled" or "scrap"',
    "Does 100% of the smelter's feedstock originate from recycled or scrap sources?", "Comments",
)  # fmt: skip
_CMRT_SMELTERS = (
    # A id input, B metal, C look-up, D name, E country, F id, G source, ... N mines, O mine countries, P, Q
    ("CID001070", "Tin", "Tin Smelter One", "Tin Smelter One", "Indonesia", "CID001070", "RMI",
     None, None, None, None, None, None, "Bangka; Belitung", "Indonesia; Indonesia", "No", None),
    (None, "Tin", "Smelter not listed", "Penang Tin Works", "Malaysia", None, None,
     None, "Butterworth", None, None, None, "ask for an RMI id", None, None, "Unknown", None),
    (None, "Tin", "Smelter not yet identified", None, "Unknown", None, None,
     None, None, None, None, None, None, None, None, None, None),
    ("CID002515", "Gold", "Gold Refinery Two", "Gold Refinery Two", "Switzerland", "CID002515", "RMI",
     None, None, None, None, None, None, "recycled", None, "Yes", "recycled jewellery"),
)  # fmt: skip


def _cmrt_fixture() -> openpyxl.Workbook:
    """A CMRT 6.5 as a supplier's tool would hand it over, only the cells battrace reads filled."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("Revision", "Instructions", "Definitions", "Declaration", "Smelter List", "Checker",
                 "Product List", "Smelter Look-up"):  # fmt: skip
        book.create_sheet(name)
    book["Revision"]["A2"] = "Revision 6.5 April 25, 2025"
    book["Revision"]["A3"] = "Revision 6.4 April 26, 2024"
    declaration = book["Declaration"]
    declaration["B2"] = "Conflict Minerals Reporting Template (CMRT)"
    for row, (label, value) in enumerate(_CMRT_COMPANY, start=8):
        declaration.cell(row=row, column=2, value=label)
        declaration.cell(row=row, column=4, value=value)
    row = 24
    for question, per_metal in _CMRT_ANSWERS:
        declaration.cell(row=row, column=2, value=question)
        for metal, answer in zip(
            ("Tantalum (*)", "Tin (*)", "Gold (*)", "Tungsten (*)"), per_metal, strict=True
        ):
            row += 1
            declaration.cell(row=row, column=3, value=metal)
            declaration.cell(row=row, column=4, value=answer)
        row += 2  # a blank row between questions: 1-7 in rows 24-65 (six rows each), as in the guide
    row += 2
    for question, answer, comment in _CMRT_COMPANY_QUESTIONS:
        declaration.cell(row=row, column=2, value=question)
        declaration.cell(row=row, column=4, value=answer)
        declaration.cell(row=row, column=7, value=comment)  # the comment column is further right
        row += 1
    smelters = book["Smelter List"]
    for column, header in enumerate(_SMELTER_HEADERS, start=1):
        smelters.cell(row=4, column=column, value=header)
    for row, values in enumerate(_CMRT_SMELTERS, start=5):
        for column, value in enumerate(values, start=1):
            smelters.cell(row=row, column=column, value=value)
    products = book["Product List"]
    for column, header in enumerate(("Responding Company's Product Number (*)",
                                     "Responding Company's Product Name", "Comments"), start=2):  # fmt: skip
        products.cell(row=5, column=column, value=header)
    products["B6"], products["C6"] = "TP-100", "Solder preform"
    products["B7"] = 4711  # a product number typed as a number
    return book


def _save(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def cmrt() -> bytes:
    return _save(_cmrt_fixture())


def test_a_cmrt_workbook_imports_with_every_answer_where_the_template_puts_it(cmrt: bytes) -> None:
    imported = import_workbook(cmrt)
    assert (imported.template, imported.template_version) == ("CMRT", "6.5")  # the newest revision listed
    assert imported.company.name == "Tin Parts Ltd." and imported.company.authorizer_name == "Raj Kumar"
    assert imported.company.declaration_scope == "B. Product (or List of Products)"
    assert imported.company.effective_date == date(2026, 4, 30)
    by_metal = {a.mineral: a for a in imported.minerals}
    assert list(by_metal) == ["tin", "tantalum", "tungsten", "gold"]  # the model's order
    assert (by_metal["tin"].cahra, by_metal["tin"].suppliers_responded) == ("Yes", "Greater than 90%")
    assert by_metal["tin"].all_smelters_identified == "No"
    # Tantalum: questions 1 and 2 "No", so 3-8 were not asked; the model keeps Unknown / None.
    assert (by_metal["tantalum"].cahra, by_metal["tantalum"].suppliers_responded) == ("Unknown", "None")
    answers = imported.company_answers
    assert answers.policy_url == "https://tinparts.example/policy"  # B's comment
    assert (answers.supplier_survey, answers.corrective_action, answers.sec_filer) == ("Yes", "No", "Yes")
    # The placeholder row for a smelter nobody identified yet names no smelter: two tin smelters, one gold.
    assert [(s.mineral, s.name, s.country, s.smelter_id) for s in imported.smelters] == [
        ("tin", "Tin Smelter One", "ID", "CID001070"),
        ("tin", "Penang Tin Works", "MY", None),
        ("gold", "Gold Refinery Two", "CH", "CID002515"),
    ]
    assert imported.smelters[0].mine_names == ("Bangka", "Belitung")
    assert imported.smelters[2].all_recycled == "Yes"
    assert [(p.number, p.name) for p in imported.products] == [("TP-100", "Solder preform"), ("4711", "")]


def test_a_cmrt_round_trips_import_export_import_unchanged(cmrt: bytes) -> None:
    first = import_workbook(cmrt)
    exported = export_workbook(first)
    assert import_workbook(exported) == first
    book = openpyxl.load_workbook(io.BytesIO(exported))
    assert book.sheetnames[:8] == ["Revision", "Instructions", "Definitions", "Declaration", "Smelter List",
                                   "Checker", "Product List", "Smelter Look-up"]  # fmt: skip
    declaration, smelters = book["Declaration"], book["Smelter List"]
    assert (declaration["B8"].value, declaration["D8"].value) == ("Company Name (*):", "Tin Parts Ltd.")
    assert declaration["D21"].value == datetime(2026, 4, 30)  # Effective Date, row 21
    assert declaration["B24"].value.startswith("1) Is any 3TG intentionally added")
    assert [smelters.cell(row=4, column=c).value for c in (2, 3, 4, 5)] == [
        "Metal (*)",
        "Smelter Look-up (*)",
        "Smelter Name (1)",
        "Smelter Facility Location: Country (*)",
    ]
    assert [smelters.cell(row=6, column=c).value for c in (2, 3, 4, 5, 6)] == [
        "Tin",
        "Smelter not listed",
        "Penang Tin Works",
        "Malaysia",
        None,
    ]
    h_row = next(r for r in range(24, 100) if str(declaration.cell(row=r, column=2).value).startswith("H."))
    assert declaration.cell(row=h_row, column=4).value == "Yes, with the SEC"
    assert book["Product List"]["B5"].value == "Responding Company's Product Number (*)"


def test_an_emrt_round_trips_with_the_mine_list_and_what_only_battrace_keeps() -> None:
    declared = _declaration()  # EMRT 2.1: four Annex X minerals, mines, products, programme, evidence
    exported = export_workbook(declared)
    assert import_workbook(exported) == declared
    book = openpyxl.load_workbook(io.BytesIO(exported))
    assert "Mine List" in book.sheetnames and book.sheetnames[-2:] == ["battrace", "Evidence"]
    mine_list = book["Mine List"]
    # B: the smelter sourcing from the mine, by name; F: the mine's country.
    assert (mine_list["A5"].value, mine_list["B5"].value, mine_list["F5"].value) == (
        "Cobalt",
        "Kolwezi Cobalt Refinery",
        "Congo (Dem. Rep.)",
    )


def _not_surveyed() -> Declaration:
    """The example with nickel's question 6 answered "Did not survey"."""
    declared = _declaration()
    minerals = tuple(
        a.model_copy(update={"suppliers_responded": "Did not survey"}) if a.mineral == "nickel" else a
        for a in declared.minerals
    )
    return declared.model_copy(update={"minerals": minerals})


@pytest.mark.parametrize("layout", ["rmi", "battrace"])
def test_did_not_survey_round_trips_as_itself_not_as_none(layout: str) -> None:
    declared = _not_surveyed()
    exported = export_workbook(declared, layout=layout)  # type: ignore[arg-type]
    back = import_workbook(exported)
    assert back == declared
    assert {a.mineral: a.suppliers_responded for a in back.minerals}["nickel"] == "Did not survey"


def test_did_not_survey_is_written_in_the_emrt_picklist_wording_on_the_nickel_row() -> None:
    book = openpyxl.load_workbook(io.BytesIO(export_workbook(_not_surveyed())))
    sheet = book["Declaration"]
    q5 = next(
        r for r in range(1, 200) if str(sheet.cell(row=r, column=2).value).startswith("5) What percentage")
    )
    rows = {
        str(sheet.cell(row=r, column=c).value): sheet.cell(row=r, column=4).value
        for r in range(q5 + 1, q5 + 6)
        for c in (1, 2, 3)
        if sheet.cell(row=r, column=c).value
    }
    assert rows["Nickel"] == "Did not survey" and rows["Cobalt"] == "100%"


def test_did_not_survey_is_read_whatever_its_case() -> None:
    book = openpyxl.load_workbook(io.BytesIO(export_workbook(_not_surveyed())))
    sheet = book["Declaration"]
    (cell,) = [c for row in sheet.iter_rows() for c in row if c.value == "Did not survey"]
    cell.value = "DID NOT SURVEY"
    imported = import_workbook(_save(book))
    assert {a.mineral: a.suppliers_responded for a in imported.minerals}["nickel"] == "Did not survey"


def _emrt_fixture() -> openpyxl.Workbook:
    """An EMRT 2.1 from another tool: no battrace tab, copper declared too, a mineral not declared."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("Revision", "Instructions", "Definitions", "Declaration", "Smelter List", "Mine List",
                 "Checker", "Product List", "Smelter Look-up"):  # fmt: skip
        book.create_sheet(name)
    sheet = book["Declaration"]
    sheet["B2"], sheet["B3"] = "Extended Minerals Reporting Template (EMRT)", "Revision 2.1"
    for row, (label, value) in enumerate(
        (("Company Name (*):", "Cobalt Trading"), ("Declaration Scope or Class (*):", "A. Company"),
         ("Contact Name (*):", "Ana"), ("Contact Email (*):", "ana@co.example"),
         ("Authorizer Name (*):", "Bo"), ("Authorization Date (*):", datetime(2026, 1, 2))),
        start=7,
    ):  # fmt: skip
        sheet.cell(row=row, column=2, value=label)
        sheet.cell(row=row, column=4, value=value)
    questions = (("Yes", "Yes", "Not declaring"), ("Yes", "Yes", None), ("Yes", "No", None),
                 ("No", "No", None), ("Did not survey", "50% or less", None), ("Yes", "No", None),
                 ("Yes", "Yes", None))  # fmt: skip
    row = 30
    for number, per_metal in enumerate(questions, start=1):
        sheet.cell(row=row, column=2, value=f"{number}) question {number} (*)")
        for metal, answer in zip(("Cobalt", "Copper", "Nickel"), per_metal, strict=True):
            row += 1
            sheet.cell(row=row, column=3, value=metal)
            sheet.cell(row=row, column=4, value=answer)
        row += 1
    company = ("Yes", "No", None, "Yes", "Yes, Using Other Format (Describe)", "Yes", "Yes")
    for letter, answer in zip("ABCDEFG", company, strict=True):
        row += 1
        sheet.cell(row=row, column=2, value=f"{letter}. company question {letter} (*)")
        sheet.cell(row=row, column=4, value=answer)
        if letter == "C":  # EMRT 2.x asks C per mineral, one row each
            for metal, c_answer in (
                ("Cobalt", "Yes"),
                ("Nickel", "Yes, when more processors are validated"),
            ):
                row += 1
                sheet.cell(row=row, column=3, value=metal)
                sheet.cell(row=row, column=4, value=c_answer)
    smelters = book["Smelter List"]
    for column, header in enumerate(_SMELTER_HEADERS, start=1):
        smelters.cell(row=4, column=column, value=header)
    smelters["B5"], smelters["C5"], smelters["D5"], smelters["E5"], smelters["F5"] = (
        "Cobalt",
        "Kolwezi Cobalt Refinery",
        "Kolwezi Cobalt Refinery",
        "Congo (Dem. Rep.)",
        "CID900001",
    )
    smelters["B6"], smelters["C6"], smelters["E6"] = "Copper", "Smelter not listed", "Chile"
    mines = book["Mine List"]
    # Worded unlike battrace's export: the Mine List columns are found by their words.
    headers = ("Metal (*)", "Smelter or Processor Name (*)", "Mine Name (if known)", "Mine Identification",
               "Source of Mine Identification Number", "Mine Country (*)")  # fmt: skip
    for column, header in enumerate(headers, start=1):
        mines.cell(row=4, column=column, value=header)
    mines["A5"], mines["B5"], mines["C5"], mines["F5"] = "Cobalt", "Kolwezi Cobalt Refinery", "Mutoshi", "CD"
    book["Product List"]["B5"] = "Responding Company's Product Number (*)"
    return book


def test_an_emrt_from_another_tool_reads_past_copper_and_a_mineral_not_declared() -> None:
    imported = import_workbook(_save(_emrt_fixture()))
    assert (imported.template, imported.template_version) == ("EMRT", "2.1")
    (cobalt,) = imported.minerals  # copper is not modelled, nickel is "Not declaring"
    assert (cobalt.mineral, cobalt.cahra, cobalt.suppliers_responded) == ("cobalt", "Yes", "Did not survey")
    assert cobalt.covered_countries == "Unknown"  # an EMRT does not ask it
    assert imported.company.effective_date == date(2026, 1, 2)
    assert imported.company_answers.requires_validated_smelters == "Yes"  # C: yes for each mineral
    assert imported.company_answers.sec_filer == "No"  # no question H in an EMRT: the model's default
    assert [s.name for s in imported.smelters] == ["Kolwezi Cobalt Refinery"]
    assert [(m.name, m.smelter_id, m.country) for m in imported.mines] == [("Mutoshi", "CID900001", "CD")]
    assert import_workbook(export_workbook(imported)) == imported


def _changed(book: openpyxl.Workbook, sheet: str, cell: str, value: object) -> bytes:
    book[sheet][cell] = value
    return _save(book)


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "message"),
    [
        (
            "Declaration",
            "D8",
            None,
            "sheet 'Declaration' row 8, column D ('Company Name (*):'): Field required",
        ),
        ("Declaration", "D21", "last spring", "sheet 'Declaration' row 21, column D ('Effective Date (*):')"),
        # Question 4 (row 24 + 3 * 6 = 42), tin is the second metal: row 44.
        ("Declaration", "D44", "Maybe", "sheet 'Declaration' row 44, column D ('cahra (tin)')"),
        (
            "Smelter List",
            "E6",
            "Atlantis",
            "sheet 'Smelter List' row 6, column E ('Smelter Facility Location",
        ),
        ("Smelter List", "F5", "CID12", "sheet 'Smelter List' row 5, column F ('Smelter Identification')"),
        (
            "Smelter List",
            "B5",
            "Cobalt",
            "sheet 'Smelter List' row 5, column B ('Metal (*)'): not a CMRT metal",
        ),
        (
            "Smelter List",
            "D6",
            None,
            "sheet 'Smelter List' row 6, column D ('Smelter Name (1)'): Field required",
        ),
        ("Product List", "B6", None, "sheet 'Product List' row 6, column B (\"Responding Company's Product"),
        ("Smelter List", "B4", "Metal", None),  # a header without (*) is still the Metal column
    ],
)
def test_a_bad_cell_of_a_cmrt_is_refused_naming_sheet_row_and_field(
    sheet: str, cell: str, value: object, message: str | None
) -> None:
    content = _changed(_cmrt_fixture(), sheet, cell, value)
    if message is None:
        assert import_workbook(content).smelters
        return
    with pytest.raises(InvalidInput) as caught:
        import_workbook(content)
    assert message in caught.value.detail


def test_a_workbook_without_a_template_title_or_its_lists_is_refused() -> None:
    book = _cmrt_fixture()
    del book["Smelter List"]
    with pytest.raises(InvalidInput, match=r"lacks the sheet\(s\) \['Smelter List'\] of the CMRT"):
        import_workbook(_save(book))
    book = _cmrt_fixture()
    book["Declaration"]["B2"] = "Quarterly report"
    for row in range(24, 100):
        book["Declaration"].cell(row=row, column=2).value = None  # value=None would leave it as it is
    with pytest.raises(InvalidInput, match=r"sheet 'Declaration' rows 1-6: no template title"):
        import_workbook(_save(book))


def test_minerals_of_the_other_template_are_refused_on_export_not_dropped(cmrt: bytes) -> None:
    mixed = import_workbook(cmrt).model_copy(update={"template": "EMRT"})
    with pytest.raises(
        InvalidInput, match=r"a EMRT covers .*\['tin', 'tantalum', 'tungsten', 'gold'\] belong"
    ):
        export_workbook(mixed)
    assert import_workbook(export_workbook(mixed, layout="battrace")) == mixed
