"""Battery passport life cycle (Regulation (EU) 2023/1542 Art. 77) and dynamic data (Annex XIII point 4).

Pure and I/O-free: no clock reads, every time is a parameter. Status values are the Annex XIII 4(c)
literals plus a terminal ``closed`` (Art. 77(8): the passport ceases to exist after recycling; the record is
kept read-only as an archive). Repurposing and remanufacturing issue a *new* passport linked to the original
(Art. 77(7)); re-use keeps the same passport. Writes are reserved to the responsible economic operator or a
party it mandated in writing (Art. 77(4)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from battrace.errors import Conflict, Forbidden, InvalidInput
from battrace.passport.attributes import attribute

_STATUS_KEY = "battery_status"


class PassportState(StrEnum):
    ORIGINAL = "original"
    REPURPOSED = "repurposed"
    REUSED = "re-used"
    REMANUFACTURED = "remanufactured"
    WASTE = "waste"
    CLOSED = "closed"  # recycled: Art. 77(8); not an Annex XIII 4(c) status, never published as one


class PassportEvent(StrEnum):
    PLACE_ON_MARKET = "place_on_market"
    REUSE = "reuse"
    REPURPOSE = "repurpose"
    REMANUFACTURE = "remanufacture"
    DECLARE_WASTE = "declare_waste"
    RECYCLE = "recycle"


_S, _E = PassportState, PassportEvent
_IN_USE = (_S.ORIGINAL, _S.REUSED, _S.REPURPOSED, _S.REMANUFACTURED)

# (state, event) -> state. ``None`` is "no passport yet". A waste battery may still be prepared for
# repurposing or remanufactured (Art. 77(7) names "preparation for repurposing", an operation on waste), which
# issues a new linked passport; it is never simply re-used, and otherwise it leaves only by recycling.
TRANSITIONS: Mapping[tuple[PassportState | None, PassportEvent], PassportState] = MappingProxyType(
    {
        (None, _E.PLACE_ON_MARKET): _S.ORIGINAL,
        **{(s, _E.REUSE): _S.REUSED for s in _IN_USE},
        **{(s, _E.REPURPOSE): _S.REPURPOSED for s in _IN_USE},
        **{(s, _E.REMANUFACTURE): _S.REMANUFACTURED for s in _IN_USE},
        **{(s, _E.DECLARE_WASTE): _S.WASTE for s in _IN_USE},
        (_S.WASTE, _E.REPURPOSE): _S.REPURPOSED,
        (_S.WASTE, _E.REMANUFACTURE): _S.REMANUFACTURED,
        (_S.WASTE, _E.RECYCLE): _S.CLOSED,
    }
)

# Art. 77(7): these events end the current passport's active life and require a new passport linked to it.
NEW_PASSPORT_EVENTS = frozenset({_E.REPURPOSE, _E.REMANUFACTURE})


def step(state: PassportState | None, event: PassportEvent) -> PassportState:
    """The next state, or Conflict naming the state, the event and what is allowed instead."""
    nxt = TRANSITIONS.get((state, event))
    if nxt is not None:
        return nxt
    shown = state.value if state is not None else "not issued"
    if state is _S.CLOSED:
        rule = "the passport ceased to exist after recycling (Art. 77(8)); it accepts no further event"
    else:
        allowed = sorted(e.value for (s, e) in TRANSITIONS if s is state)
        rule = f"allowed from {shown}: {', '.join(allowed) or 'nothing'}"
    raise Conflict(
        f"event {event.value} is not allowed in passport state {shown}: {rule}",
        reason="invalid_transition",
        state=shown,
        event=event.value,
    )


@dataclass(frozen=True)
class DynamicValue:
    """One measurement of a dynamic attribute (shape ``{value, unit, measured_at, source}``)."""

    value: float | int | str
    unit: str | None
    measured_at: datetime
    source: str

    def __post_init__(self) -> None:
        _require_aware(self.measured_at, "measured_at")
        if not self.source:
            raise InvalidInput("a dynamic value must name its source", reason="missing_source")


@dataclass(frozen=True)
class StatusEvent:
    """One entry of the status timeline."""

    event: PassportEvent
    before: PassportState | None
    after: PassportState
    at: datetime
    actor: str


@dataclass(frozen=True)
class Outcome:
    """What a status change means for the caller; ``new_passport_required`` with its link for Art. 77(7)."""

    passport_id: str
    before: PassportState | None
    after: PassportState
    new_passport_required: bool
    linked_to: str | None  # the passport the new one must link to (this one) when required
    successor_id: str | None


def _require_aware(when: datetime, what: str) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidInput(f"{what} must be a timezone-aware datetime", reason="naive_datetime")


def check_writable(
    passport_id: str,
    *,
    writer: str,
    responsible: str,
    mandated: Iterable[str],
    state: PassportState | None,
    successor: str | None,
) -> None:
    """Art. 77(4): only the responsible economic operator or a party it mandated writes; a closed (Art. 77(8))
    or superseded (Art. 77(7)) passport takes no write at all."""
    if writer != responsible and writer not in mandated:
        raise Forbidden(
            f"{writer!r} is neither the responsible economic operator of {passport_id} nor mandated "
            "by it (Art. 77(4))",
            reason="not_mandated",
        )
    if state is _S.CLOSED:
        raise Conflict(
            f"passport {passport_id} is closed: it ceased to exist after recycling (Art. 77(8)); "
            "the archive is read-only",
            reason="closed",
            state=_S.CLOSED.value,
        )
    if successor is not None:
        raise Conflict(
            f"passport {passport_id} is superseded by {successor} (Art. 77(7)); write there",
            reason="superseded",
        )


def check_measurement(key: str, value: DynamicValue, latest: datetime | None) -> None:
    """A measurement of ``key`` may join its time series: a dynamic attribute other than the status, in the
    catalogue's unit, not older than the ``latest`` value already there."""
    entry = attribute(key)
    if not entry.dynamic:
        raise InvalidInput(
            f"{key} is static data; only dynamic attributes take a time series", reason="static"
        )
    if key == _STATUS_KEY:
        raise InvalidInput(f"{key} changes only through status events", reason="status_via_events")
    if entry.unit is not None and value.unit != entry.unit:
        raise InvalidInput(f"{key} is measured in {entry.unit}, not {value.unit}", reason="unit_mismatch")
    if latest is not None and value.measured_at < latest:
        raise InvalidInput(
            f"{key} already has a value measured at {latest.isoformat()}; an older value "
            "would make the current value ambiguous",
            reason="out_of_order",
        )


def check_event_time(at: datetime, latest: datetime | None) -> None:
    """A status event is timezone-aware and not earlier than the ``latest`` one."""
    _require_aware(at, "at")
    if latest is not None and at < latest:
        raise InvalidInput(
            f"status event at {at.isoformat()} is earlier than the last one ({latest.isoformat()})",
            reason="out_of_order",
        )


class PassportHistory:
    """One passport's status timeline and dynamic-data time series. Construct through :meth:`issue`."""

    def __init__(
        self,
        passport_id: str,
        responsible_operator: str,
        mandated: Iterable[str],
        predecessor: str | None,
    ) -> None:
        if not passport_id or not responsible_operator:
            raise InvalidInput(
                "passport id and responsible operator are required", reason="missing_identifier"
            )
        self.passport_id = passport_id
        self.responsible_operator = responsible_operator
        self.mandated: frozenset[str] = frozenset(mandated)
        self.predecessor = predecessor
        self.successor: str | None = None
        self._state: PassportState | None = None
        self._events: list[StatusEvent] = []
        self._series: dict[str, list[DynamicValue]] = {}

    @classmethod
    def issue(
        cls,
        passport_id: str,
        responsible_operator: str,
        *,
        at: datetime,
        mandated: Iterable[str] = (),
        predecessor: Outcome | None = None,
    ) -> PassportHistory:
        """A passport placed on the market; with ``predecessor`` a second-life passport linked to it.

        A second-life passport starts in the status its origin event produced (repurposed / remanufactured).
        """
        if predecessor is not None and (
            not predecessor.new_passport_required or predecessor.successor_id != passport_id
        ):
            raise InvalidInput(
                f"outcome of {predecessor.passport_id} does not call for passport {passport_id}",
                reason="not_a_successor",
            )
        history = cls(
            passport_id,
            responsible_operator,
            mandated,
            predecessor.passport_id if predecessor is not None else None,
        )
        if predecessor is None:
            history._record(_E.PLACE_ON_MARKET, at, responsible_operator)
        else:  # placed on the market again, already in its second-life status
            _require_aware(at, "at")
            history._events.append(
                StatusEvent(_E.PLACE_ON_MARKET, None, predecessor.after, at, responsible_operator)
            )
            history._state = predecessor.after
        return history

    @property
    def state(self) -> PassportState | None:
        return self._state

    @property
    def events(self) -> tuple[StatusEvent, ...]:
        return tuple(self._events)

    def may_write(self, writer: str) -> bool:
        return writer == self.responsible_operator or writer in self.mandated

    def apply(
        self, event: PassportEvent, *, at: datetime, actor: str, successor_id: str | None = None
    ) -> Outcome:
        """Change status; repurpose/remanufacture need the new passport's id and mark this one superseded."""
        self._check_writable(actor)
        before = self._state
        needs_new = event in NEW_PASSPORT_EVENTS
        if needs_new and not successor_id:
            raise InvalidInput(
                f"{event.value} issues a new passport linked to {self.passport_id} (Art. 77(7)); name its id",
                reason="successor_required",
            )
        if not needs_new and successor_id is not None:
            raise InvalidInput(
                f"{event.value} keeps the same passport; no successor id", reason="no_successor"
            )
        if successor_id == self.passport_id:
            raise InvalidInput("the new passport needs its own identifier", reason="successor_required")
        after = self._record(event, at, actor)
        if needs_new:
            self.successor = successor_id
        return Outcome(
            self.passport_id,
            before,
            after,
            needs_new,
            self.passport_id if needs_new else None,
            successor_id,
        )

    def append(self, key: str, value: DynamicValue, *, writer: str) -> None:
        """Append one measurement to a dynamic attribute's time series, in non-decreasing time order."""
        self._check_writable(writer)
        series = self._series.setdefault(key, [])
        check_measurement(key, value, series[-1].measured_at if series else None)
        series.append(value)

    def current(self, key: str) -> DynamicValue | None:
        """The latest value of ``key`` (readable also after closing), or None when nothing was recorded."""
        attribute(key)
        series = self._series.get(key)
        return series[-1] if series else None

    def series(self, key: str) -> tuple[DynamicValue, ...]:
        attribute(key)
        return tuple(self._series.get(key, ()))

    def _check_writable(self, writer: str) -> None:
        check_writable(
            self.passport_id,
            writer=writer,
            responsible=self.responsible_operator,
            mandated=self.mandated,
            state=self._state,
            successor=self.successor,
        )

    def _record(self, event: PassportEvent, at: datetime, actor: str) -> PassportState:
        check_event_time(at, self._events[-1].at if self._events else None)
        before = self._state
        after = step(before, event)
        self._events.append(StatusEvent(event, before, after, at, actor))
        self._state = after
        return after
