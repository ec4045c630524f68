from __future__ import annotations

import pytest

from battrace.apps.duediligence.cahra import default_cahra_list
from battrace.apps.duediligence.metrics import (
    ConformantList,
    conformant_share,
    parse_conformant_csv,
    response_rate,
    risk_scores,
    smelter_coverage,
)
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
