"""Recycled content per battery model (Art. 8), split pre-/post-consumer, against the Art. 8(2)/(3) minimum
shares, and the passport values that carry it (Annex XIII 1(e); DIN DKE SPEC 99100 6.6.2.3-6.6.2.10).

Art. 8(1): the share of cobalt, lithium and nickel in the *active materials*, and of lead *present in the
battery*, recovered from battery manufacturing waste (pre-consumer, Art. 3(51): run-around scrap does not
count) or from post-consumer waste, per battery model, per year and per manufacturing plant.

    share(element, origin) = 100 x recycled mass of element from origin / total mass of element

The Art. 8(2) minimum applies to pre- and post-consumer together. Pure module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from battrace.apps.recycling.events import Element
from battrace.apps.recycling.massbalance import ABSOLUTE_TOLERANCE_KG, RELATIVE_TOLERANCE, within
from battrace.errors import InvalidInput
from battrace.passport.checks import check_value, cross_problems


class Origin(StrEnum):
    PRE_CONSUMER = "pre_consumer"  # battery manufacturing waste, Art. 3(51)
    POST_CONSUMER = "post_consumer"  # waste batteries


# The metals of Art. 8; copper has a recovery target (Annex XII Part C) but no recycled-content one.
CONTENT_ELEMENTS = (Element.COBALT, Element.LEAD, Element.LITHIUM, Element.NICKEL)

# Art. 8(2) from 18 August 2031, Art. 8(3) from 18 August 2036: minimum % of pre- + post-consumer content.
ART8_TARGETS: tuple[tuple[date, Mapping[Element, float]], ...] = (
    (
        date(2031, 8, 18),
        MappingProxyType(
            {Element.COBALT: 16.0, Element.LEAD: 85.0, Element.LITHIUM: 6.0, Element.NICKEL: 6.0}
        ),
    ),
    (
        date(2036, 8, 18),
        MappingProxyType(
            {Element.COBALT: 26.0, Element.LEAD: 85.0, Element.LITHIUM: 12.0, Element.NICKEL: 15.0}
        ),
    ),
)

# DIN DKE SPEC 99100 6.6.2.3-10 give the shares with 8 decimals.
PASSPORT_DECIMALS = 8


@dataclass(frozen=True)
class RecycledInput:
    """Recycled mass of one element that went into the model's production; ``source`` names its evidence
    (a traced sale, see loop, or a supplier's declaration)."""

    element: Element
    origin: Origin
    mass_kg: float
    source: str


@dataclass(frozen=True)
class ModelContent:
    """One model's production in one plant and year: ``total_kg`` per element (active materials for Co, Li,
    Ni; the whole battery for Pb) and the recycled inputs into it."""

    model: str
    plant: str
    year: int
    total_kg: Mapping[Element, float]
    inputs: tuple[RecycledInput, ...]


@dataclass(frozen=True)
class Share:
    element: Element
    pre_percent: float
    post_percent: float
    target: float | None

    @property
    def total_percent(self) -> float:
        return self.pre_percent + self.post_percent

    @property
    def meets(self) -> bool | None:
        return None if self.target is None else self.total_percent >= self.target


def art8_target(element: Element, on: date) -> float | None:
    """The Art. 8 minimum in force on ``on``, or None before 18 August 2031."""
    due = [targets[element] for start, targets in ART8_TARGETS if start <= on]
    return due[-1] if due else None


def _fail(content: ModelContent, message: str, **extra: object) -> InvalidInput:
    return InvalidInput(f"model {content.model} ({content.plant}, {content.year}): {message}", **extra)


def _recycled_kg(content: ModelContent) -> dict[tuple[Element, Origin], float]:
    sums: dict[tuple[Element, Origin], float] = {}
    for n, item in enumerate(content.inputs, start=1):
        if item.element not in CONTENT_ELEMENTS:
            raise _fail(
                content, f"input {n}: Art. 8 covers {[e.value for e in CONTENT_ELEMENTS]}, not {item.element}"
            )
        if not math.isfinite(item.mass_kg) or item.mass_kg < 0:
            raise _fail(content, f"input {n}: a mass cannot be negative, got {item.mass_kg}")
        key = (item.element, item.origin)
        sums[key] = sums.get(key, 0.0) + item.mass_kg
    return sums


def _share(content: ModelContent, element: Element, recycled: float, total: float) -> None:
    if not math.isfinite(total) or total <= 0:
        raise _fail(
            content, f"total {element} mass must be positive, got {total}", field=f"total_kg.{element}"
        )
    if not within(recycled, total):
        raise _fail(
            content,
            f"{recycled:g} kg recycled {element} is more than the {total:g} kg {element} in the production "
            f"(tolerance {RELATIVE_TOLERANCE:.1%} + {ABSOLUTE_TOLERANCE_KG * 1000:g} g)",
            reason="mass_balance",
        )


def shares(content: ModelContent, on: date) -> dict[Element, Share]:
    """Pre- and post-consumer shares per element with recycled inputs or a declared total, and the target on
    ``on``. A recycled total within the tolerance above the element's mass is reported as 100 %."""
    recycled = _recycled_kg(content)
    result: dict[Element, Share] = {}
    for element in CONTENT_ELEMENTS:
        pre = recycled.get((element, Origin.PRE_CONSUMER), 0.0)
        post = recycled.get((element, Origin.POST_CONSUMER), 0.0)
        if element not in content.total_kg:
            if pre or post:
                raise _fail(content, f"recycled {element} declared but no total {element} mass")
            continue
        total = content.total_kg[element]
        _share(content, element, pre + post, total)
        scale = min(1.0, total / (pre + post)) if pre + post > 0 else 1.0  # cap at 100 % within tolerance
        result[element] = Share(
            element,
            100.0 * pre * scale / total,
            100.0 * post * scale / total,
            art8_target(element, on),
        )
    return result


def passport_values(content: ModelContent, on: date) -> dict[str, float]:
    """The Annex XIII 1(e) attributes ``pre_consumer_recycled_<element>_share`` and
    ``post_consumer_recycled_<element>_share``, each checked as the passport checks it."""
    values: dict[str, float] = {}
    for element, share in shares(content, on).items():
        pre = round(share.pre_percent, PASSPORT_DECIMALS)
        # Rounding both halves up could carry their sum past 100 % (33.333333335 + 66.666666665).
        post = min(round(share.post_percent, PASSPORT_DECIMALS), 100.0 - pre)
        values[f"pre_consumer_recycled_{element}_share"] = pre
        values[f"post_consumer_recycled_{element}_share"] = post
    for key, value in values.items():
        check_value(key, value)
    problems = cross_problems(values, [], on)
    if problems:
        raise _fail(content, problems[0].message, reason=problems[0].rule)
    return values
