"""Roll-up of declarations across supply-chain tiers (pcf-ouranos.md §6.4).

A company's rolled-up declaration is its own declaration with, per mineral:

* the smelter and mine lists: the union of its own and every upstream supplier's (smelters are the same when
  their RMI id is, else when mineral, name and country are; the first one met is kept);
* the answers to question 3 (covered countries) and 4 (CAHRA): the weakest answer met anywhere upstream, with
  "Yes" weaker than "Unknown" weaker than "No". So any upstream "Yes" propagates downstream, and an upstream
  "Unknown" keeps a downstream "No" from standing.

A supplier that was asked but sent no declaration contributes nothing to the lists and answers; it is counted
in the response rate and listed in ``RollUp.missing``, so a reader sees that the roll-up is incomplete.
Suppliers' minerals that the root does not declare are left out: the root's declaration defines the scope.

Pure module: no I/O. Each company is rolled up once (memoised), so the cost is linear in the number of supply
relations times the size of the smelter sets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from battrace.apps.duediligence.model import Answer, Declaration, Mine, Mineral, MineralAnswers, Smelter
from battrace.errors import InvalidInput

# Weakest-answer order for questions 3 and 4: the higher, the weaker.
_WEAKNESS: dict[Answer, int] = {"No": 0, "Unknown": 1, "Yes": 2}


def weakest(answers: Iterable[Answer]) -> Answer:
    """The weakest of the answers ("Yes" > "Unknown" > "No"); "No" for none."""
    return max(answers, key=_WEAKNESS.__getitem__, default="No")


@dataclass(frozen=True)
class Node:
    """One company in the chain: its declaration (None when it did not respond) and its direct suppliers."""

    company: str
    declaration: Declaration | None
    suppliers: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Partial:
    """What a company passes downstream: answers and lists per mineral."""

    covered: Mapping[Mineral, Answer]
    cahra: Mapping[Mineral, Answer]
    smelters: Mapping[str, Smelter]
    mines: Mapping[str, Mine]


@dataclass(frozen=True)
class RollUp:
    root: str
    declaration: Declaration  # the root's declaration with the rolled-up lists and answers
    requested: frozenset[str]  # every supplier upstream of the root
    responded: frozenset[str]  # those of them that sent a declaration

    @property
    def missing(self) -> frozenset[str]:
        return self.requested - self.responded


_EMPTY = _Partial({}, {}, {}, {})


def _own(declaration: Declaration) -> _Partial:
    return _Partial(
        covered={a.mineral: a.covered_countries for a in declaration.minerals},
        cahra={a.mineral: a.cahra for a in declaration.minerals},
        smelters={s.key: s for s in declaration.smelters},
        mines={m.key: m for m in declaration.mines},
    )


def _merge(parts: list[_Partial]) -> _Partial:
    minerals = {m for part in parts for m in (*part.covered, *part.cahra)}
    smelters: dict[str, Smelter] = {}
    mines: dict[str, Mine] = {}
    for part in parts:
        for key, smelter in part.smelters.items():
            smelters.setdefault(key, smelter)
        for key, mine in part.mines.items():
            mines.setdefault(key, mine)
    return _Partial(
        covered={m: weakest(p.covered[m] for p in parts if m in p.covered) for m in minerals},
        cahra={m: weakest(p.cahra[m] for p in parts if m in p.cahra) for m in minerals},
        smelters=smelters,
        mines=mines,
    )


class _Walk:
    """Depth-first over the supplier graph, each company rolled up once; a cycle is refused."""

    def __init__(self, nodes: Mapping[str, Node]) -> None:
        self.nodes = nodes
        self.done: dict[str, _Partial] = {}  # every company reached from the root, rolled up

    def run(self, root: str) -> None:
        # Iterative post-order: supply chains can be deep enough to hit Python's recursion limit.
        stack: list[tuple[str, bool]] = [(root, False)]
        open_: set[str] = set()
        while stack:
            company, expanded = stack.pop()
            if company in self.done:
                continue
            if expanded:
                open_.discard(company)
                self._finish(company)
                continue
            if company in open_:
                raise InvalidInput(f"the supply chain has a cycle through {company!r}")
            open_.add(company)
            stack.append((company, True))
            stack.extend((s, False) for s in self._suppliers(company) if s not in self.done)
            for supplier in self._suppliers(company):
                if supplier in open_:
                    raise InvalidInput(f"the supply chain has a cycle through {supplier!r}")

    def _suppliers(self, company: str) -> tuple[str, ...]:
        node = self.nodes.get(company)
        return node.suppliers if node else ()

    def _finish(self, company: str) -> None:
        suppliers = self._suppliers(company)
        node = self.nodes.get(company)
        own = _own(node.declaration) if node and node.declaration else _EMPTY
        self.done[company] = _merge([own, *(self.done[s] for s in suppliers)])


def _rolled(declaration: Declaration, partial: _Partial) -> Declaration:
    scope = {a.mineral for a in declaration.minerals}
    minerals = tuple(_answers(a, partial) for a in declaration.minerals)
    return declaration.model_copy(
        update={
            "minerals": minerals,
            "smelters": tuple(s for s in partial.smelters.values() if s.mineral in scope),
            "mines": tuple(m for m in partial.mines.values() if m.mineral in scope),
        }
    )


def _answers(answers: MineralAnswers, partial: _Partial) -> MineralAnswers:
    return answers.model_copy(
        update={
            "covered_countries": partial.covered.get(answers.mineral, answers.covered_countries),
            "cahra": partial.cahra.get(answers.mineral, answers.cahra),
        }
    )


def roll_up(root: str, nodes: Mapping[str, Node]) -> RollUp:
    """The root company's declaration rolled up over every tier upstream of it."""
    node = nodes.get(root)
    if node is None or node.declaration is None:
        raise InvalidInput(f"no declaration of the root company {root!r} to roll up")
    walk = _Walk(nodes)
    walk.run(root)
    requested = frozenset(walk.done) - {root}  # the walk reaches exactly the companies upstream of the root
    responded = frozenset(c for c in requested if c in nodes and nodes[c].declaration is not None)
    return RollUp(root, _rolled(node.declaration, walk.done[root]), requested, responded)
