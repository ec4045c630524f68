"""Life-cycle events of a battery or a lot of batteries, from placing on the market to recovered material
sold, each recorded by the party that performed it (a DID).

The stages follow the waste chain of Regulation (EU) 2023/1542: placing on the market (Art. 3(1)(17)),
collection (Art. 59-61), delivery to a permitted treatment facility (Art. 70), treatment and recycling
(Art. 71, Annex XII Part A: dismantling, shredding to black mass, refining), and the recovered material sold
on to a material maker, where it becomes recycled content (Art. 8). A pure state machine: an explicit
transition table, one lookup, one precise error; no I/O, no clock (every time is a parameter).

``parse_row`` turns one flat row (JSON or CSV) into an Event, naming the row and field of any bad value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from battrace.errors import Conflict, InvalidInput

_T = TypeVar("_T")
_E = TypeVar("_E", bound=StrEnum)


class Stage(StrEnum):
    PLACED_ON_MARKET = "placed_on_market"
    COLLECTED = "collected"
    DELIVERED = "delivered"  # to a permitted treatment facility, Art. 70
    DISMANTLED = "dismantled"
    SHREDDED = "shredded"  # to black mass
    REFINED = "refined"  # into recovered materials, by element
    SOLD = "sold"  # recovered material to a material maker


class Element(StrEnum):
    """The materials of Annex XII Part C (recovery) and Art. 8 (recycled content; not copper)."""

    COBALT = "cobalt"
    COPPER = "copper"
    LEAD = "lead"
    LITHIUM = "lithium"
    NICKEL = "nickel"


class Category(StrEnum):
    """Battery categories of Art. 2(1); collection targets differ by category (Art. 59-61)."""

    PORTABLE = "portable"
    LMT = "lmt"
    SLI = "sli"
    EV = "ev"
    INDUSTRIAL = "industrial"


class Chemistry(StrEnum):
    """The four classes of Annex XII Part B, each with its own recycling-efficiency target."""

    LEAD_ACID = "lead_acid"
    LITHIUM_BASED = "lithium_based"
    NICKEL_CADMIUM = "nickel_cadmium"
    OTHER = "other"


_S = Stage

# state -> the stages that may come next. ``None`` is "nothing recorded yet". Each recovered element may be
# sold in several tranches to several makers, hence sold -> sold; every other step happens once.
TRANSITIONS: Mapping[Stage | None, frozenset[Stage]] = MappingProxyType(
    {
        None: frozenset({_S.PLACED_ON_MARKET}),
        _S.PLACED_ON_MARKET: frozenset({_S.COLLECTED}),
        _S.COLLECTED: frozenset({_S.DELIVERED}),
        _S.DELIVERED: frozenset({_S.DISMANTLED}),
        _S.DISMANTLED: frozenset({_S.SHREDDED}),
        _S.SHREDDED: frozenset({_S.REFINED}),
        _S.REFINED: frozenset({_S.SOLD}),
        _S.SOLD: frozenset({_S.SOLD}),
    }
)


def step(state: Stage | None, nxt: Stage) -> Stage:
    """The next state, or Conflict naming the state, the refused stage and what is allowed instead."""
    allowed = TRANSITIONS[state]
    if nxt in allowed:
        return nxt
    shown = state.value if state is not None else "nothing recorded"
    raise Conflict(
        f"{nxt.value} cannot follow {shown}; allowed next: {', '.join(sorted(allowed))}",
        reason="invalid_transition",
        state=shown,
        stage=nxt.value,
    )


@dataclass(frozen=True)
class PlacedOnMarket:
    """The producer (the event's performer) makes the battery or lot available for the first time.
    ``content_kg``: mass of each element in it, from the passport's material composition (Annex XIII 1(b));
    an element not listed is absent (0 kg), so the mass balance refuses any later recovery of it."""

    model: str
    category: Category
    chemistry: Chemistry
    mass_kg: float
    content_kg: Mapping[Element, float]


@dataclass(frozen=True)
class Collected:
    mass_kg: float


@dataclass(frozen=True)
class Delivered:
    """Received by the treatment facility (the performer); ``mass_kg`` is the recycling input (Annex XII)."""

    mass_kg: float


@dataclass(frozen=True)
class Dismantled:
    """``fractions_kg``: outputs recycled as they are (casing steel, aluminium, copper cables)."""

    input_kg: float
    to_shredding_kg: float
    fractions_kg: Mapping[str, float]


@dataclass(frozen=True)
class Shredded:
    """Black mass with its composition (mass % per element); other fractions (foils, plastics) recycled."""

    input_kg: float
    black_mass_kg: float
    composition_percent: Mapping[Element, float]
    fractions_kg: Mapping[str, float]


@dataclass(frozen=True)
class Refined:
    """``recovered_kg``: element mass in the recovered materials (Annex XII Part C counts the element)."""

    input_kg: float
    recovered_kg: Mapping[Element, float]
    fractions_kg: Mapping[str, float]


@dataclass(frozen=True)
class Sold:
    """Recovered element mass sold by the refiner (the performer) to a material maker (``buyer``)."""

    sale_id: str
    buyer: str
    element: Element
    mass_kg: float


Detail = PlacedOnMarket | Collected | Delivered | Dismantled | Shredded | Refined | Sold

STAGE_OF: Mapping[type, Stage] = MappingProxyType(
    {
        PlacedOnMarket: _S.PLACED_ON_MARKET,
        Collected: _S.COLLECTED,
        Delivered: _S.DELIVERED,
        Dismantled: _S.DISMANTLED,
        Shredded: _S.SHREDDED,
        Refined: _S.REFINED,
        Sold: _S.SOLD,
    }
)


@dataclass(frozen=True)
class Event:
    """One life-cycle event of ``subject`` (a battery or lot identifier) performed by ``performed_by``."""

    subject: str
    performed_by: str
    at: datetime
    detail: Detail

    @property
    def stage(self) -> Stage:
        return STAGE_OF[type(self.detail)]


@dataclass(frozen=True)
class History:
    """The events of one subject, oldest first; ``stage`` is where it stands."""

    subject: str
    events: tuple[Event, ...] = field(default=())

    @property
    def stage(self) -> Stage | None:
        return self.events[-1].stage if self.events else None

    def detail(self, kind: type[_T]) -> _T | None:
        """The (first) detail of ``kind``, or None when the subject has not reached that stage."""
        return next((e.detail for e in self.events if isinstance(e.detail, kind)), None)

    def performer(self, stage: Stage) -> str | None:
        return next((e.performed_by for e in self.events if e.stage is stage), None)

    def when(self, stage: Stage) -> datetime | None:
        return next((e.at for e in self.events if e.stage is stage), None)

    def sales(self) -> tuple[Sold, ...]:
        return tuple(e.detail for e in self.events if isinstance(e.detail, Sold))


# --- rows ---------------------------------------------------------------------------------------------

# W3C DID Core §3.1: did:<method-name>:<method-specific-id>, method names in lower-case letters and digits.
_DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-]$")


class _Row:
    """Reads the fields of one row; every error names the row (1-based) and the field."""

    def __init__(self, number: int, row: Mapping[str, object]) -> None:
        self.number, self.row = number, row

    def fail(self, name: str, message: str) -> InvalidInput:
        return InvalidInput(f"row {self.number}, field {name}: {message}", row=self.number, field=name)

    def text(self, name: str) -> str:
        value = self.row.get(name)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"expected a non-empty text, got {value!r}")
        return value

    def did(self, name: str) -> str:
        value = self.text(name)
        if not _DID.match(value):
            raise self.fail(name, f"expected a DID (did:method:id), got {value!r}")
        return value

    def time(self, name: str) -> datetime:
        raw = self.text(name)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise self.fail(name, f"expected an ISO 8601 date-time, got {raw!r}") from None
        if value.tzinfo is None:
            raise self.fail(name, f"the time needs a UTC offset, got {raw!r}")
        return value

    def choice(self, name: str, kind: type[_E]) -> _E:
        value = self.row.get(name)
        for member in kind:
            if member.value == value:
                return member
        raise self.fail(name, f"must be one of {[k.value for k in kind]}, got {value!r}")

    def mass(self, name: str, value: object = None, *, label: str | None = None) -> float:
        """A finite, non-negative mass in kg (``label`` names a key inside a mapping field)."""
        value = self.row.get(name) if value is None and label is None else value
        where = f"{name}.{label}" if label else name
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(where, f"expected a number, got {value!r}")
        if value < 0:
            raise self.fail(where, f"a mass cannot be negative, got {value}")
        return float(value)

    def masses(self, name: str, *, required: bool = True) -> dict[str, float]:
        value = self.row.get(name)
        if value is None and not required:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(name, f"expected a mapping of name to kg, got {value!r}")
        return {str(k): self.mass(name, v, label=str(k)) for k, v in value.items()}

    def by_element(self, name: str) -> dict[Element, float]:
        masses = self.masses(name)
        unknown = sorted(set(masses) - {e.value for e in Element})
        if unknown:
            raise self.fail(f"{name}.{unknown[0]}", f"not an element of {[e.value for e in Element]}")
        return {Element(k): v for k, v in masses.items()}

    def percentages(self, name: str) -> dict[Element, float]:
        shares = self.by_element(name)
        for element, share in shares.items():
            if share > 100:
                raise self.fail(f"{name}.{element}", f"a mass share lies in 0-100 %, got {share}")
        if sum(shares.values()) > 100 + 1e-9:
            raise self.fail(name, f"the shares add up to {sum(shares.values())} %, more than 100 %")
        return shares


def _detail(r: _Row, stage: Stage) -> Detail:
    match stage:
        case Stage.PLACED_ON_MARKET:
            return PlacedOnMarket(
                r.text("model"),
                r.choice("category", Category),
                r.choice("chemistry", Chemistry),
                r.mass("mass_kg"),
                MappingProxyType(r.by_element("content_kg")),
            )
        case Stage.COLLECTED:
            return Collected(r.mass("mass_kg"))
        case Stage.DELIVERED:
            return Delivered(r.mass("mass_kg"))
        case Stage.DISMANTLED:
            fractions = MappingProxyType(r.masses("fractions_kg", required=False))
            return Dismantled(r.mass("input_kg"), r.mass("to_shredding_kg"), fractions)
        case Stage.SHREDDED:
            return Shredded(
                r.mass("input_kg"),
                r.mass("black_mass_kg"),
                MappingProxyType(r.percentages("composition_percent")),
                MappingProxyType(r.masses("fractions_kg", required=False)),
            )
        case Stage.REFINED:
            return Refined(
                r.mass("input_kg"),
                MappingProxyType(r.by_element("recovered_kg")),
                MappingProxyType(r.masses("fractions_kg", required=False)),
            )
        case Stage.SOLD:
            return Sold(r.text("sale_id"), r.did("buyer"), r.choice("element", Element), r.mass("mass_kg"))


def parse_row(number: int, row: Mapping[str, object]) -> Event:
    """One row -> Event; InvalidInput naming ``row {number}, field {name}`` on the first bad value."""
    r = _Row(number, row)
    stage = r.choice("stage", Stage)
    return Event(r.text("subject"), r.did("performed_by"), r.time("at"), _detail(r, stage))


@dataclass(frozen=True)
class Records:
    """Every subject's history. Immutable: recording rows returns new Records (see massbalance)."""

    histories: Mapping[str, History] = field(default_factory=lambda: MappingProxyType({}))

    def history(self, subject: str) -> History:
        return self.histories.get(subject) or History(subject)

    def with_event(self, event: Event) -> Records:
        history = self.history(event.subject)
        updated = History(event.subject, (*history.events, event))
        return Records(MappingProxyType({**self.histories, event.subject: updated}))

    def sale(self, sale_id: str) -> tuple[History, Sold] | None:
        for history in self.histories.values():
            for sold in history.sales():
                if sold.sale_id == sale_id:
                    return history, sold
        return None
