"""Computed due-diligence results for one (single or rolled-up) declaration (pcf-ouranos.md §6.4).

* response rate: suppliers that sent a declaration / suppliers asked (from the roll-up);
* smelter coverage: smelter rows carrying an RMI id / all smelter rows;
* recycled share: smelter rows whose feedstock is 100 % recycled or scrap / all smelter rows;
* conformant share: identified smelters on the user's imported conformant list / identified smelters
  (the RMAP lists are not ours to redistribute, so the user imports them: ``parse_conformant_csv``);
* CAHRA exposure per mineral: the declared answer to question 4, and mine and smelter countries on the
  configured CAHRA list (cahra.py);
* risk per Annex X(2) category of Reg. (EU) 2023/1542, a battrace heuristic (``risk_scores``);
* the OECD five-step checklist (OECD Due Diligence Guidance, Annex I).

Pure module: no I/O.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from battrace.apps.duediligence.cahra import CountryList
from battrace.apps.duediligence.model import (
    ANNEX_X_MINERALS,
    NOT_SURVEYED,
    Answer,
    Declaration,
    Mineral,
    Smelter,
)
from battrace.errors import InvalidInput

_CID = re.compile(r"^CID[0-9]{6}$")
_ID_HEADERS = ("smelter id", "smelter identification", "smelter identification number", "rmi id")
_STATUS_HEADERS = ("audit status", "status", "rmap status", "assessment status")


@dataclass(frozen=True)
class ConformantList:
    """RMI smelter ids with a conformant audit status, as imported by the user, with where it came from."""

    source: str
    ids: frozenset[str]


def _column(header: list[str], names: Sequence[str]) -> int | None:
    folded = [h.strip().casefold() for h in header]
    return next((folded.index(n) for n in names if n in folded), None)


def parse_conformant_csv(text: str, source: str) -> ConformantList:
    """A conformant list from CSV: a smelter-id column ("Smelter ID", "Smelter Identification", ...) and an
    optional status column; with a status column only rows reading "Conformant" count."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvalidInput("conformant list: empty file")
    id_col, status_col = _column(rows[0], _ID_HEADERS), _column(rows[0], _STATUS_HEADERS)
    if id_col is None:
        raise InvalidInput(f"conformant list line 1: no smelter id column (one of {list(_ID_HEADERS)})")
    ids = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cid = row[id_col].strip() if id_col < len(row) else ""
        if not _CID.match(cid):
            raise InvalidInput(
                f"conformant list line {line}, smelter id: {cid!r} is not an RMI id (CID######)"
            )
        status = (
            row[status_col].strip().casefold() if status_col is not None and status_col < len(row) else ""
        )
        if status_col is None or status == "conformant":
            ids.add(cid)
    return ConformantList(source, frozenset(ids))


def response_rate(requested: Collection[str], responded: Collection[str]) -> float | None:
    """Share of asked suppliers that responded; None when nobody was asked."""
    if not requested:
        return None
    return len(set(responded) & set(requested)) / len(set(requested))


def smelter_coverage(smelters: Collection[Smelter]) -> float | None:
    """Share of smelter rows identified by an RMI id; None for an empty list."""
    if not smelters:
        return None
    return sum(1 for s in smelters if s.smelter_id) / len(smelters)


def recycled_share(smelters: Collection[Smelter]) -> float | None:
    """Share of smelter rows whose feedstock is 100 % recycled or scrap; None for an empty list."""
    if not smelters:
        return None
    return sum(1 for s in smelters if s.all_recycled == "Yes") / len(smelters)


def conformant_share(smelters: Iterable[Smelter], conformant: ConformantList) -> float | None:
    """Share of the distinct identified smelters on the conformant list; None when none is identified."""
    ids = {s.smelter_id for s in smelters if s.smelter_id}
    if not ids:
        return None
    return len(ids & conformant.ids) / len(ids)


@dataclass(frozen=True)
class Exposure:
    """CAHRA exposure of one mineral: what was declared and which listed countries the lists reveal."""

    mineral: Mineral
    declared: Answer  # question 4
    mine_countries: frozenset[str]  # mine countries (Mine List and smelter rows) on the CAHRA list
    smelter_countries: frozenset[str]  # smelter countries on the list: a red flag, OECD step 2

    @property
    def exposed(self) -> bool:
        return self.declared == "Yes" or bool(self.mine_countries or self.smelter_countries)

    @property
    def answer(self) -> Answer:
        """Exposed -> "Yes"; else the declared answer ("No" or "Unknown")."""
        return "Yes" if self.exposed else self.declared


def cahra_exposure(declaration: Declaration, cahra: CountryList) -> dict[Mineral, Exposure]:
    exposure = {}
    for answers in declaration.minerals:
        mineral = answers.mineral
        smelters = declaration.smelters_for(mineral)
        mine_countries = {m.country for m in declaration.mines if m.mineral == mineral}
        mine_countries.update(c for s in smelters for c in s.mine_countries)
        exposure[mineral] = Exposure(
            mineral,
            answers.cahra,
            cahra.hits(mine_countries),
            cahra.hits(s.country for s in smelters),
        )
    return exposure


# Annex X(2) of Reg. (EU) 2023/1542 as our notes list it (battery-passport.md §2.9, pcf-ouranos.md §6.2):
# (key, group). The social and humanitarian categories are the ones conflict sourcing bears on most.
ANNEX_X_CATEGORIES: tuple[tuple[str, Literal["environment", "social"]], ...] = (
    ("air", "environment"),
    ("water", "environment"),
    ("soil", "environment"),
    ("biodiversity", "environment"),
    ("hazardous_substances", "environment"),
    ("noise_and_vibration", "environment"),
    ("plant_safety", "environment"),
    ("energy_use", "environment"),
    ("waste_and_residues", "environment"),
    ("human_rights", "social"),
    ("occupational_health_and_safety", "social"),
    ("labour_rights", "social"),  # incl. child labour and forced labour
    ("community_life", "social"),  # incl. indigenous peoples
    ("international_humanitarian_law", "social"),
)
# Weights of the heuristic: CAHRA exposure by group, unknown origin, share of unaudited smelters.
CAHRA_WEIGHT = {"environment": 0.25, "social": 0.5}
UNKNOWN_WEIGHT = 0.25
UNAUDITED_WEIGHT = 0.25

Level = Literal["low", "medium", "high"]


@dataclass(frozen=True)
class Risk:
    category: str
    score: float  # 0..1
    drivers: tuple[Mineral, ...]  # the minerals with the highest score in this category

    @property
    def level(self) -> Level:
        return "low" if self.score < 0.25 else "medium" if self.score < 0.5 else "high"


def _mineral_indicators(
    declaration: Declaration, exposure: Exposure, conformant: ConformantList
) -> tuple[float, float, float]:
    """(cahra, unknown origin, unaudited) for one mineral, each 0..1."""
    answers = declaration.answers(exposure.mineral)
    assert answers is not None
    unknown = (
        answers.cahra == "Unknown"
        or answers.all_smelters_identified != "Yes"
        or answers.suppliers_responded == NOT_SURVEYED  # nobody asked: the origin is not known
    )
    share = conformant_share(declaration.smelters_for(exposure.mineral), conformant)
    return float(exposure.exposed), float(unknown), 1.0 - (share or 0.0)


def risk_scores(declaration: Declaration, cahra: CountryList, conformant: ConformantList) -> dict[str, Risk]:
    """Risk per Annex X(2) category, over the Annex X(1) minerals in scope (question 1 not "No").

    A battrace heuristic, not a regulatory scale: per mineral and category,
    ``min(1, CAHRA_WEIGHT[group] * exposed + UNKNOWN_WEIGHT * unknown + UNAUDITED_WEIGHT * unaudited)`` where
    ``exposed`` is CAHRA exposure, ``unknown`` is 1 when question 4 is "Unknown", question 7 is not "Yes" or
    question 6 is "Did not survey" (a survey answered by nobody, "None", leaves it to questions 4 and 7),
    and ``unaudited`` is 1 - conformant share (1 when no smelter is identified). A category's score is the
    highest of its minerals'. Minerals 100 % recycled (question 5 "Yes") and not exposed score 0.
    """
    exposure = cahra_exposure(declaration, cahra)
    per_mineral: dict[Mineral, tuple[float, float, float]] = {}
    for answers in declaration.minerals:
        if answers.mineral not in ANNEX_X_MINERALS or not answers.in_scope:
            continue
        e = exposure[answers.mineral]
        recycled_only = answers.all_recycled == "Yes" and not e.exposed
        per_mineral[answers.mineral] = (
            (0.0, 0.0, 0.0) if recycled_only else _mineral_indicators(declaration, e, conformant)
        )
    risks = {}
    for category, group in ANNEX_X_CATEGORIES:
        scores = {
            m: min(1.0, CAHRA_WEIGHT[group] * c + UNKNOWN_WEIGHT * u + UNAUDITED_WEIGHT * a)
            for m, (c, u, a) in per_mineral.items()
        }
        top = max(scores.values(), default=0.0)
        drivers = tuple(m for m, s in scores.items() if s == top and top > 0)
        risks[category] = Risk(category, top, drivers)
    return risks


StepStatus = Literal["met", "partial", "not met"]
OECD_STEPS = (
    "1. Establish strong company management systems",
    "2. Identify and assess risks in the supply chain",
    "3. Design and implement a strategy to respond to identified risks",
    "4. Carry out independent third-party audit of smelter/refiner due diligence",
    "5. Report annually on supply chain due diligence",
)


@dataclass(frozen=True)
class Step:
    step: str
    status: StepStatus
    checks: tuple[tuple[str, bool], ...]  # what was looked at, and whether it holds


def _status(checks: Sequence[tuple[str, bool]]) -> StepStatus:
    held = sum(ok for _, ok in checks)
    return "met" if held == len(checks) else "partial" if held else "not met"


def oecd_checklist(declaration: Declaration, conformant: ConformantList) -> tuple[Step, ...]:
    """The five OECD steps, each judged on the declaration's answers (met: all checks hold; partial: some)."""
    q, p = declaration.company_answers, declaration.programme
    in_scope = [a for a in declaration.minerals if a.in_scope]
    share = conformant_share(declaration.smelters, conformant)
    checks: tuple[tuple[tuple[str, bool], ...], ...] = (
        (
            ("A. sourcing policy", q.policy == "Yes"),
            ("C. suppliers required to use validated smelters", q.requires_validated_smelters == "Yes"),
            # E. asked company-wide; a mineral whose question 6 says "Did not survey" was not surveyed.
            (
                "E. suppliers surveyed",
                q.supplier_survey == "Yes" and all(a.suppliers_responded != NOT_SURVEYED for a in in_scope),
            ),
            ("grievance mechanism (Art. 49(1)(d))", p.grievance_mechanism == "Yes"),
        ),
        (
            ("F. supplier information reviewed", q.reviews_supplier_info == "Yes"),
            (
                "7. all smelters identified",
                bool(in_scope) and all(a.all_smelters_identified == "Yes" for a in in_scope),
            ),
            ("smelter list given", bool(declaration.smelters)),
        ),
        (
            ("G. corrective action management", q.corrective_action == "Yes"),
            ("risk management plan (Art. 50(1)(b))", p.risk_management_plan == "Yes"),
        ),
        (
            ("all identified smelters conformant", share == 1.0),
            ("third-party verification (Art. 48(2), 51)", bool(p.third_party_verification)),
        ),
        (
            ("B. policy public", q.policy_public == "Yes"),
            ("public due diligence report (Art. 52(3))", bool(p.report_url)),
        ),
    )
    return tuple(Step(name, _status(c), c) for name, c in zip(OECD_STEPS, checks, strict=True))


@dataclass(frozen=True)
class Results:
    """Every computed result for one declaration (single or rolled up), per mineral where it applies."""

    response_rate: float | None
    coverage: dict[Mineral, float | None]
    conformant: dict[Mineral, float | None]
    recycled: dict[Mineral, float | None]
    exposure: dict[Mineral, Exposure]
    risks: dict[str, Risk]
    steps: tuple[Step, ...]


def results(
    declaration: Declaration,
    cahra: CountryList,
    conformant: ConformantList,
    requested: Collection[str] = (),
    responded: Collection[str] = (),
) -> Results:
    minerals = [a.mineral for a in declaration.minerals]
    return Results(
        response_rate=response_rate(requested, responded),
        coverage={m: smelter_coverage(declaration.smelters_for(m)) for m in minerals},
        conformant={m: conformant_share(declaration.smelters_for(m), conformant) for m in minerals},
        recycled={m: recycled_share(declaration.smelters_for(m)) for m in minerals},
        exposure=cahra_exposure(declaration, cahra),
        risks=risk_scores(declaration, cahra, conformant),
        steps=oecd_checklist(declaration, conformant),
    )
