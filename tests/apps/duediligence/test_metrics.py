from __future__ import annotations

import pytest

from battrace.apps.duediligence.cahra import default_cahra_list
from battrace.apps.duediligence.metrics import (
    ConformantList,
    conformant_share,
    oecd_checklist,
    parse_conformant_csv,
    response_rate,
    risk_scores,
    smelter_coverage,
)
from battrace.apps.duediligence.model import Declaration
from battrace.errors import InvalidInput

from .example import answers, declaration


def test_without_a_status_column_every_listed_smelter_counts_as_conformant() -> None:
    listed = parse_conformant_csv("Smelter Identification\nCID000001\n\nCID000002\n", "list")
    assert listed.ids == {"CID000001", "CID000002"}


def test_a_bad_smelter_id_in_the_conformant_list_is_refused_with_its_line() -> None:
    with pytest.raises(InvalidInput, match=r"line 3, smelter id: 'CID1' is not an RMI id"):
        parse_conformant_csv("Smelter ID,Audit Status\nCID000001,Conformant\nCID1,Conformant\n", "list")


def test_a_conformant_list_without_an_id_column_is_refused() -> None:
    with pytest.raises(InvalidInput, match="line 1: no smelter id column"):
        parse_conformant_csv("Name,Status\nX,Conformant\n", "list")


def test_nothing_measured_is_none_not_zero() -> None:
    assert response_rate([], []) is None
    assert smelter_coverage([]) is None
    assert conformant_share([], ConformantList("x", frozenset())) is None


def test_response_rate_ignores_answers_from_companies_not_asked() -> None:
    assert response_rate({"a", "b"}, {"a", "z"}) == 0.5


def test_a_mineral_fully_recycled_and_not_exposed_carries_no_risk() -> None:
    recycled = dict(answers("cobalt"), all_recycled="Yes", all_smelters_identified="No")
    risks = risk_scores(
        declaration("R", [recycled], []), default_cahra_list(), ConformantList("x", frozenset())
    )
    assert all(r.score == 0 and r.level == "low" and r.drivers == () for r in risks.values())


def test_the_3tg_are_outside_the_annex_x_risk_scores() -> None:
    # Tin from a covered country would score 0.75 on social categories were it an Annex X(1) mineral.
    tin = dict(answers("tin", cahra="Yes"))
    risks = risk_scores(declaration("T", [tin], []), default_cahra_list(), ConformantList("x", frozenset()))
    assert max(r.score for r in risks.values()) == 0


def _scores(cobalt: dict[str, object]) -> dict[str, float]:
    risks = risk_scores(
        declaration("D", [cobalt], []), default_cahra_list(), ConformantList("x", frozenset())
    )
    return {category: risk.score for category, risk in risks.items()}


def test_a_mineral_whose_suppliers_were_not_surveyed_has_an_unknown_origin() -> None:
    # No smelter listed, so unaudited = 1; not exposed. Surveyed (100 %) and all identified:
    # 0.25 x 0 + 0.25 x 0 + 0.25 x 1 = 0.25 everywhere. "Did not survey": unknown = 1, 0.25 + 0.25 = 0.5.
    surveyed = _scores(dict(answers("cobalt")))
    not_surveyed = _scores(dict(answers("cobalt"), suppliers_responded="Did not survey"))
    assert set(surveyed.values()) == {0.25}
    assert set(not_surveyed.values()) == {0.5}


def test_none_responded_is_a_survey_nobody_answered_and_leaves_the_origin_to_questions_4_and_7() -> None:
    assert set(_scores(dict(answers("cobalt"), suppliers_responded="None")).values()) == {0.25}


def test_a_company_survey_answer_does_not_hold_for_a_mineral_that_was_not_surveyed() -> None:
    conformant = ConformantList("x", frozenset())
    surveyed = declaration("D", [answers("cobalt"), answers("nickel", cahra="No")], [])
    partly = declaration(
        "D", [answers("cobalt"), dict(answers("nickel"), suppliers_responded="Did not survey")], []
    )
    unanswered = declaration(
        "D", [answers("cobalt"), dict(answers("nickel"), suppliers_responded="None")], []
    )

    def survey_check(d: Declaration) -> bool:
        (step1, *_) = oecd_checklist(d, conformant)
        return dict(step1.checks)["E. suppliers surveyed"]

    assert survey_check(surveyed) and survey_check(unanswered)
    assert not survey_check(partly)
