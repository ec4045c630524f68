"""Collection rates (Art. 59-61, Annex XI), recycling efficiency (Annex XII Part B) and material recovery
(Annex XII Part C), each against its target for the year, the targets kept as data.

Calculation rules for recycling efficiency and recovery follow the Commission Delegated Regulation
C(2025)1674 under Art. 71(4) (in force 24 July 2025), which builds on Reg. (EU) 493/2012: input = mass of
waste batteries entering the recycling process, output = fractions that leave it as recycled materials.
Our records carry one calculation point per step (dismantling, shredding, refining); the act's finer
calculation points and its optional exclusion of carbon, phosphorus and sulphur are not modelled.
Pure module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from battrace.apps.recycling.events import (
    Category,
    Chemistry,
    Collected,
    Delivered,
    Dismantled,
    Element,
    History,
    PlacedOnMarket,
    Records,
    Refined,
    Shredded,
    Stage,
)
from battrace.apps.recycling.massbalance import element_input_kg
from battrace.errors import InvalidInput

Targets = tuple[tuple[int, float], ...]  # (year by whose 31 December it applies, minimum %), oldest first

# Art. 59(4) portable, Art. 60(4) LMT (collection-rate targets; research notes mark the figures "verify").
COLLECTION_TARGETS: Mapping[Category, Targets] = MappingProxyType(
    {
        Category.PORTABLE: ((2023, 45.0), (2027, 63.0), (2030, 73.0)),
        Category.LMT: ((2028, 51.0), (2031, 61.0)),
    }
)
# Annex XI averages the sales of the collection year and the two years before it, as Directive 2006/66/EC
# Annex I did. Our notes do not quote Annex XI verbatim (verify): if it reads "the three preceding years",
# this becomes (-3, -2, -1) and nothing else changes.
SALES_WINDOW = (-2, -1, 0)
NO_COLLECTION_TARGET = (
    "no collection-rate target for this category: producers take back all waste batteries free of charge "
    "(Art. 61); the rate is computed for information"
)

# Annex XII Part B: recycling efficiency, % by average weight.
RECYCLING_EFFICIENCY_TARGETS: Mapping[Chemistry, Targets] = MappingProxyType(
    {
        Chemistry.LEAD_ACID: ((2025, 75.0), (2030, 80.0)),
        Chemistry.LITHIUM_BASED: ((2025, 65.0), (2030, 70.0)),
        Chemistry.NICKEL_CADMIUM: ((2025, 80.0),),
        Chemistry.OTHER: ((2025, 50.0),),
    }
)

# Annex XII Part C: recovery of materials, %.
RECOVERY_TARGETS: Mapping[Element, Targets] = MappingProxyType(
    {
        Element.COBALT: ((2027, 90.0), (2031, 95.0)),
        Element.COPPER: ((2027, 90.0), (2031, 95.0)),
        Element.LEAD: ((2027, 90.0), (2031, 95.0)),
        Element.NICKEL: ((2027, 90.0), (2031, 95.0)),
        Element.LITHIUM: ((2027, 50.0), (2031, 80.0)),
    }
)


@dataclass(frozen=True)
class Rate:
    """A computed rate in %, with the target that applies in its year (None: no target yet or at all)."""

    percent: float
    target: float | None
    note: str = ""

    @property
    def meets(self) -> bool | None:
        return None if self.target is None else self.percent >= self.target


def target_for(targets: Targets, year: int) -> float | None:
    """The target in force for ``year``: the latest one due by 31 December of ``year`` or earlier."""
    due = [percent for by, percent in targets if by <= year]
    return due[-1] if due else None


def capped_percent(out_kg: float, in_kg: float) -> float:
    """100 x out / in, capped at 100: an output above its input passed the mass balance only within the
    weighing tolerance (massbalance), which creates no material."""
    return min(100.0, 100.0 * out_kg / in_kg) if in_kg > 0 else 0.0


# --- collection ---------------------------------------------------------------------------------------


def collection_rate(
    sales_kg: Mapping[int, float], collected_kg: float, year: int, category: Category
) -> Rate:
    """Annex XI: rate_Y = 100 x C_Y / ((S_Y + S_Y-1 + S_Y-2) / 3), with C_Y the mass of waste batteries
    collected in year Y and S the mass made available on the market in each year (SALES_WINDOW). Not capped:
    collection may exceed the average sales (batteries sold before the window)."""
    years = tuple(year + offset for offset in SALES_WINDOW)
    missing = [y for y in years if y not in sales_kg]
    if missing:
        raise InvalidInput(
            f"collection rate {year}: sales for {', '.join(map(str, missing))} are missing "
            f"(Annex XI averages {years[0]}-{years[-1]})",
            reason="sales_missing",
        )
    average = sum(sales_kg[y] for y in years) / len(years)
    if average <= 0:
        raise InvalidInput(f"collection rate {year}: no sales in {years[0]}-{years[-1]}", reason="no_sales")
    targets = COLLECTION_TARGETS.get(category)
    rate = 100.0 * collected_kg / average
    if targets is None:
        return Rate(rate, None, NO_COLLECTION_TARGET)
    return Rate(rate, target_for(targets, year))


def _placed_by(history: History, producer: str, category: Category) -> PlacedOnMarket | None:
    placed = history.detail(PlacedOnMarket)
    if placed is None or placed.category is not category:
        return None
    return placed if history.performer(Stage.PLACED_ON_MARKET) == producer else None


def producer_collection_rate(
    records: Records,
    producer: str,
    category: Category,
    year: int,
    *,
    earlier_sales_kg: Mapping[int, float] | None = None,
) -> Rate:
    """The collection rate of ``producer`` for ``category`` in ``year`` from the records: sales are its
    placings on the market per year (``earlier_sales_kg`` supplies years the records do not cover), the
    collected mass that of its batteries collected in ``year``."""
    sales: dict[int, float] = dict(earlier_sales_kg or {})
    collected = 0.0
    for history in records.histories.values():
        placed = _placed_by(history, producer, category)
        placed_at = history.when(Stage.PLACED_ON_MARKET)
        if placed is None or placed_at is None:
            continue
        sales[placed_at.year] = sales.get(placed_at.year, 0.0) + placed.mass_kg
        collected_at, got = history.when(Stage.COLLECTED), history.detail(Collected)
        if collected_at is not None and got is not None and collected_at.year == year:
            collected += got.mass_kg
    first = min(sales, default=year)
    for y in range(first, year + 1):  # a year after the first recorded one with no placing sold nothing
        sales.setdefault(y, 0.0)
    return collection_rate(sales, collected, year, category)


# --- recycling ----------------------------------------------------------------------------------------


def treated(records: Records, facility: str, year: int) -> tuple[History, ...]:
    """Subjects delivered to ``facility`` in ``year`` whose recycling is complete (refined)."""
    return tuple(
        h
        for h in records.histories.values()
        if h.performer(Stage.DELIVERED) == facility
        and (at := h.when(Stage.DELIVERED)) is not None
        and at.year == year
        and h.detail(Refined) is not None
    )


def output_kg(history: History) -> float:
    """Recycled output of one subject: fractions recycled at dismantling, shredding and refining plus the
    recovered element masses."""
    refined = history.detail(Refined)
    steps: list[Dismantled | Shredded | Refined | None] = [
        history.detail(Dismantled),
        history.detail(Shredded),
        refined,
    ]
    total = sum(sum(s.fractions_kg.values()) for s in steps if s is not None)
    return total + (sum(refined.recovered_kg.values()) if refined else 0.0)


def recycling_efficiency(histories: Iterable[History], chemistry: Chemistry, year: int) -> Rate:
    """Annex XII Part B: RE = 100 x sum(recycled output mass) / sum(input mass of waste batteries), over the
    subjects of ``chemistry``; input = mass delivered to the treatment facility."""
    in_kg = out_kg = 0.0
    for history in histories:
        placed, delivered = history.detail(PlacedOnMarket), history.detail(Delivered)
        if placed is None or delivered is None or placed.chemistry is not chemistry:
            continue
        in_kg += delivered.mass_kg
        out_kg += output_kg(history)
    if in_kg <= 0:
        raise InvalidInput(
            f"recycling efficiency {year}: no {chemistry} batteries treated", reason="no_input"
        )
    return Rate(capped_percent(out_kg, in_kg), target_for(RECYCLING_EFFICIENCY_TARGETS[chemistry], year))


def recovery_rates(histories: Iterable[History], year: int) -> dict[Element, Rate]:
    """Annex XII Part C: recovery of element e = 100 x sum(recovered e) / sum(e in the waste batteries that
    entered recycling), for each element present in the input (massbalance.element_input_kg)."""
    entered: dict[Element, float] = {}
    recovered: dict[Element, float] = {}
    for history in histories:
        refined = history.detail(Refined)
        for element, kg in element_input_kg(history).items():
            entered[element] = entered.get(element, 0.0) + kg
            got = refined.recovered_kg.get(element, 0.0) if refined else 0.0
            recovered[element] = recovered.get(element, 0.0) + got
    return {
        e: Rate(capped_percent(recovered[e], kg), target_for(RECOVERY_TARGETS[e], year))
        for e, kg in sorted(entered.items())
        if kg > 0
    }
