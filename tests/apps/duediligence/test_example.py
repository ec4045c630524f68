"""The shipped three-tier example (example.py), every expected number worked out by hand below."""

from __future__ import annotations

import pytest

from battrace.apps.duediligence.cahra import default_cahra_list
from battrace.apps.duediligence.metrics import Results, parse_conformant_csv, results
from battrace.apps.duediligence.rollup import RollUp, roll_up

from .example import (
    ANODECO,
    CATHODECO,
    CELLCO,
    COBALT_TRADER,
    CONFORMANT_CSV,
    GRAPHITE_TRADER,
    LITHIUM_CHEM,
    chain,
)


@pytest.fixture(scope="module")
def rolled() -> RollUp:
    return roll_up(CELLCO, chain())


@pytest.fixture(scope="module")
def computed(rolled: RollUp) -> Results:
    conformant = parse_conformant_csv(CONFORMANT_CSV, "user import")
    return results(rolled.declaration, default_cahra_list(), conformant, rolled.requested, rolled.responded)


def test_every_supplier_upstream_is_asked_and_the_silent_one_is_missing(rolled: RollUp) -> None:
    # Upstream of CellCo: CathodeCo, AnodeCo (tier 1), CobaltTrader, LithiumChem, GraphiteTrader (tier 2).
    assert rolled.requested == {CATHODECO, ANODECO, COBALT_TRADER, LITHIUM_CHEM, GRAPHITE_TRADER}
    assert rolled.missing == {GRAPHITE_TRADER}


def test_response_rate_counts_all_tiers(computed: Results) -> None:
    # 4 of the 5 suppliers sent a declaration: 4 / 5 = 0.8.
    assert computed.response_rate == pytest.approx(0.8)


def test_rolled_smelter_list_is_the_union_without_duplicates(rolled: RollUp) -> None:
    # CellCo S3 + CathodeCo S2, S3 + CobaltTrader S1, S2 + LithiumChem S4, S5 + AnodeCo S6:
    # S2 and S3 appear twice and are kept once -> S1..S6, six smelters.
    names = sorted(s.name for s in rolled.declaration.smelters)
    assert names == sorted(
        [
            "Kolwezi Cobalt Refinery",
            "Jinchuan Cobalt",
            "Harjavalta Nickel",
            "Kwinana Lithium",
            "Unnamed lithium converter",
            "Heilongjiang Graphite",
        ]
    )
    # CobaltTrader's Mine List row (Mutoshi, CD) reaches the root too.
    assert [(m.name, m.country) for m in rolled.declaration.mines] == [("Mutoshi", "CD")]


def test_an_upstream_cahra_yes_propagates_to_the_root(rolled: RollUp) -> None:
    # Question 4, weakest answer upstream (Yes > Unknown > No):
    # cobalt: CellCo No, CathodeCo No, CobaltTrader Yes -> Yes (question 3 likewise Yes);
    # nickel: CellCo No, CathodeCo Unknown -> Unknown;
    # lithium: No, No, No -> No; natural graphite: No, No (GraphiteTrader silent, adds nothing) -> No.
    cahra = {a.mineral: a.cahra for a in rolled.declaration.minerals}
    covered = {a.mineral: a.covered_countries for a in rolled.declaration.minerals}
    assert cahra == {"cobalt": "Yes", "lithium": "No", "nickel": "Unknown", "natural graphite": "No"}
    assert covered["cobalt"] == "Yes"


def test_smelter_coverage_per_mineral(computed: Results) -> None:
    # cobalt S1, S2 both with ids: 2/2; lithium S4 with id, S5 without: 1/2; nickel S3: 1/1; graphite S6: 1/1.
    assert computed.coverage == {"cobalt": 1.0, "lithium": 0.5, "nickel": 1.0, "natural graphite": 1.0}


def test_conformant_share_uses_only_the_conformant_rows_of_the_imported_list(computed: Results) -> None:
    # Conformant: CID900002 (S2), CID900003 (S3), CID900004 (S4); CID900001 (S1) is "Active", S6 not listed.
    # cobalt {S1, S2}: 1/2; lithium {S4} (S5 has no id): 1/1; nickel {S3}: 1/1; graphite {S6}: 0/1.
    assert computed.conformant == {"cobalt": 0.5, "lithium": 1.0, "nickel": 1.0, "natural graphite": 0.0}


def test_recycled_share_counts_smelters_with_only_recycled_feedstock(computed: Results) -> None:
    # Only S5 (lithium) declares 100 % recycled feedstock: lithium 1/2, every other mineral 0.
    assert computed.recycled == {"cobalt": 0.0, "lithium": 0.5, "nickel": 0.0, "natural graphite": 0.0}


def test_cahra_exposure_finds_listed_mine_countries_the_answers_missed(computed: Results) -> None:
    # Default list: Dodd-Frank covered countries (CD, AO, BI, CF, CG, RW, SS, TZ, UG, ZM).
    # cobalt: mine countries CD (Mutoshi; S1) and AU (S2), smelter countries CD, CN -> CD both ways.
    # natural graphite: declared No, but S6's mine country TZ is listed -> exposed, answer Yes.
    # nickel: FI only, declared Unknown -> stays Unknown; lithium: AU, CL -> No.
    exposure = computed.exposure
    assert exposure["cobalt"].mine_countries == {"CD"}
    assert exposure["cobalt"].smelter_countries == {"CD"}
    assert exposure["natural graphite"].mine_countries == {"TZ"}
    assert {m: e.answer for m, e in exposure.items()} == {
        "cobalt": "Yes",
        "lithium": "No",
        "nickel": "Unknown",
        "natural graphite": "Yes",
    }


def test_annex_x_risk_scores_follow_the_documented_formula(computed: Results) -> None:
    # Per mineral (exposed, unknown, unaudited):
    # cobalt   (1, 0, 1 - 0.5 = 0.5): social 0.5 + 0 + 0.125 = 0.625, environment 0.25 + 0.125 = 0.375
    # lithium  (0, 1 (question 7 "No"), 0): social 0.25, environment 0.25
    # nickel   (0, 1 (question 4 "Unknown"), 0): 0.25, 0.25
    # graphite (1, 0, 1 - 0 = 1): social 0.5 + 0.25 = 0.75 (high), environment 0.25 + 0.25 = 0.5 (high)
    risks = computed.risks
    assert len(risks) == 14
    assert risks["labour_rights"].score == pytest.approx(0.75)
    assert risks["labour_rights"].drivers == ("natural graphite",)
    assert risks["international_humanitarian_law"].level == "high"
    assert risks["water"].score == pytest.approx(0.5)
    assert risks["water"].level == "high"


def test_oecd_checklist_of_the_root(computed: Results) -> None:
    # 1: A, C, E Yes and grievance mechanism Yes -> met
    # 2: F Yes, question 7 "No" for lithium, smelter list given -> partial
    # 3: G "No", risk management plan Yes -> partial
    # 4: conformant share 3/5 (S2, S3, S4 of the ids S1, S2, S3, S4, S6) != 1, no verification -> not met
    # 5: B Yes and a public report link -> met
    assert [step.status for step in computed.steps] == ["met", "partial", "partial", "not met", "met"]
