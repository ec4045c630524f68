"""Mass balance: never more out of a step than went into it, and the gate every recorded row passes.

``record_rows`` parses a batch of rows, runs each through the state machine (events.step) and the mass
balance of its step, and returns new Records only when every row passed: a bad row is refused with a message
naming the row and the field, and nothing of the batch is recorded.

Tolerance. Masses are weighed by different parties on different scales (collector, treatment facility,
refiner), so an output may read slightly above its input without any material being created. An output is
accepted up to ``input x (1 + RELATIVE_TOLERANCE) + ABSOLUTE_TOLERANCE_KG``: 0.5 % covers two industrial
scales of accuracy class III each off by the largest permissible error at typical loads (about 0.1-0.2 %,
OIML R 76) plus moisture in black mass, and 1 g covers rounding of small portable lots. Beyond that the row is
refused. Rates computed from balanced masses are capped at 100 % (see rates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from battrace.apps.recycling.events import (
    Collected,
    Delivered,
    Detail,
    Dismantled,
    Element,
    Event,
    History,
    PlacedOnMarket,
    Records,
    Refined,
    Shredded,
    Sold,
    Stage,
    parse_row,
    step,
)
from battrace.errors import Conflict, InvalidInput

_T = TypeVar("_T")

RELATIVE_TOLERANCE = 0.005
ABSOLUTE_TOLERANCE_KG = 0.001


class _Refused(Exception):
    """One refused field of a row; record_rows adds the row number and the subject."""

    def __init__(self, field: str, message: str, reason: str = "mass_balance") -> None:
        super().__init__(message)
        self.field, self.message, self.reason = field, message, reason


def within(out_kg: float, in_kg: float) -> bool:
    """True when ``out_kg`` does not exceed ``in_kg`` beyond the stated tolerance."""
    return out_kg <= in_kg * (1 + RELATIVE_TOLERANCE) + ABSOLUTE_TOLERANCE_KG


def require(field: str, out_kg: float, in_kg: float, what: str) -> None:
    if not within(out_kg, in_kg):
        raise _Refused(
            field,
            f"{out_kg:g} kg {what} is more than the {in_kg:g} kg that went in "
            f"(tolerance {RELATIVE_TOLERANCE:.1%} + {ABSOLUTE_TOLERANCE_KG * 1000:g} g)",
        )


def element_input_kg(history: History) -> dict[Element, float]:
    """Element mass in the waste batteries entering recycling (the Annex XII Part C denominator): the
    content declared at placing on the market, scaled by delivered / placed mass when part of the lot was
    lost before delivery (the lot is assumed homogeneous). Empty before delivery."""
    placed, delivered = history.detail(PlacedOnMarket), history.detail(Delivered)
    if placed is None or delivered is None:
        return {}
    scale = delivered.mass_kg / placed.mass_kg if placed.mass_kg > 0 else 0.0
    return {element: kg * min(scale, 1.0) for element, kg in placed.content_kg.items()}


def black_mass_element_kg(shredded: Shredded) -> dict[Element, float]:
    return {e: shredded.black_mass_kg * share / 100 for e, share in shredded.composition_percent.items()}


def _placed(detail: PlacedOnMarket) -> None:
    require("content_kg", sum(detail.content_kg.values()), detail.mass_kg, "of elements in the batteries")


def _dismantled(history: History, detail: Dismantled) -> None:
    delivered = _previous(history, Delivered)
    require("input_kg", detail.input_kg, delivered.mass_kg, "dismantled")
    out = detail.to_shredding_kg + sum(detail.fractions_kg.values())
    require("to_shredding_kg", out, detail.input_kg, "to shredding and recycled fractions")


def _shredded(history: History, detail: Shredded) -> None:
    require("input_kg", detail.input_kg, _previous(history, Dismantled).to_shredding_kg, "shredded")
    out = detail.black_mass_kg + sum(detail.fractions_kg.values())
    require("black_mass_kg", out, detail.input_kg, "of black mass and fractions")
    entered = element_input_kg(history)
    for element, kg in black_mass_element_kg(detail).items():
        require(
            f"composition_percent.{element}", kg, entered.get(element, 0.0), f"of {element} in black mass"
        )


def _refined(history: History, detail: Refined) -> None:
    shredded = _previous(history, Shredded)
    require("input_kg", detail.input_kg, shredded.black_mass_kg, "of black mass refined")
    out = sum(detail.recovered_kg.values()) + sum(detail.fractions_kg.values())
    require("recovered_kg", out, detail.input_kg, "recovered")
    in_black_mass = black_mass_element_kg(shredded)
    entered = element_input_kg(history)
    for element, kg in detail.recovered_kg.items():
        # An element the assay did not report is bounded by what the batteries contained.
        bound = in_black_mass.get(element, entered.get(element, 0.0))
        require(f"recovered_kg.{element}", kg, bound, f"of {element} recovered")


def _sold(history: History, detail: Sold) -> None:
    refined = _previous(history, Refined)
    sold = sum(s.mass_kg for s in history.sales() if s.element is detail.element) + detail.mass_kg
    recovered = refined.recovered_kg.get(detail.element, 0.0)
    require("mass_kg", sold, recovered, f"of {detail.element} sold in all")


def _previous(history: History, kind: type[_T]) -> _T:
    found = history.detail(kind)
    if found is None:  # the state machine ran first, so this is a programming error
        raise AssertionError(f"{history.subject}: no {kind.__name__} before this step")
    return found


def check_event(history: History, detail: Detail) -> None:
    """The balance of one step against the subject's history so far."""
    match detail:
        case PlacedOnMarket():
            _placed(detail)
        case Collected(mass_kg=kg):
            require("mass_kg", kg, _previous(history, PlacedOnMarket).mass_kg, "collected")
        case Delivered(mass_kg=kg):
            require("mass_kg", kg, _previous(history, Collected).mass_kg, "delivered")
        case Dismantled():
            _dismantled(history, detail)
        case Shredded():
            _shredded(history, detail)
        case Refined():
            _refined(history, detail)
        case Sold():
            _sold(history, detail)


def _check_order(history: History, event: Event) -> None:
    """The state machine, time order and, for a sale, that the seller holds the refined material."""
    try:
        step(history.stage, event.stage)
    except Conflict as exc:
        raise _Refused("stage", exc.detail, "invalid_transition") from None
    if history.events and event.at < history.events[-1].at:
        last = history.events[-1]
        raise _Refused(
            "at",
            f"{event.stage} at {event.at.isoformat()} is before its {last.stage} at {last.at.isoformat()}",
            "time_order",
        )
    refiner = history.performer(Stage.REFINED)
    if isinstance(event.detail, Sold) and event.performed_by != refiner:
        message = f"sold by {event.performed_by}, but the material was refined by {refiner}"
        raise _Refused("performed_by", message, "not_holder")


def _record(records: Records, number: int, event: Event) -> Records:
    history = records.history(event.subject)
    try:
        _check_order(history, event)
        check_event(history, event.detail)
    except _Refused as exc:
        raise InvalidInput(
            f"row {number}, field {exc.field}: subject {event.subject}: {exc.message}",
            row=number,
            field=exc.field,
            reason=exc.reason,
        ) from None
    return records.with_event(event)


def record_rows(records: Records, rows: Sequence[Mapping[str, object]]) -> Records:
    """All of ``rows`` (numbered from 1) recorded on top of ``records``, or InvalidInput and nothing."""
    seen_sales = {s.sale_id for h in records.histories.values() for s in h.sales()}
    for number, row in enumerate(rows, start=1):
        event = parse_row(number, row)
        if isinstance(event.detail, Sold):
            if event.detail.sale_id in seen_sales:
                raise InvalidInput(
                    f"row {number}, field sale_id: sale {event.detail.sale_id} is already recorded",
                    row=number,
                    field="sale_id",
                )
            seen_sales.add(event.detail.sale_id)
        records = _record(records, number, event)
    return records
