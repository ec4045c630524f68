"""The passport service of one node: issue, update and read battery passports, at production volume.

* A *model* holds the values shared by every battery of a model (most Annex XIII attributes); an *item*
  (one battery, one passport) holds its own. Both are validated together (``checks.validate_passport``) and
  signed per access level (``signing``) when issued.
* Every write is one database transaction with its transparency-log entries (hashes, never values), so the
  log records exactly the writes that happened.
* Only the responsible economic operator, or a party it mandated, writes (Art. 77(4)); a closed passport
  (recycled, Art. 77(8)) and a superseded one (repurposed / remanufactured, Art. 77(7)) are read-only.
* Reads are split for the caller's audiences at the source (``views``) before anything leaves.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from battrace.clock import Clock, system_clock
from battrace.errors import Forbidden, InvalidInput, NotFound
from battrace.identity.keys import NodeKeys
from battrace.ledger.log import TransparencyLog
from battrace.passport.attributes import (
    ATTRIBUTES,
    Audience,
    BatteryCategory,
    attribute,
    may_see,
)
from battrace.passport.checks import (
    Problem,
    check_value,
    cross_problems,
    missing_mandatory,
    validate_passport,
    value_problems,
)
from battrace.passport.identifiers import Sgtin, UniqueIdentifier
from battrace.passport.lifecycle import (
    NEW_PASSPORT_EVENTS,
    DynamicValue,
    PassportEvent,
    PassportState,
    StatusEvent,
    check_event_time,
    check_measurement,
    check_writable,
    step,
)
from battrace.passport.records import PassportDocument
from battrace.passport.signing import (
    MODEL_GRANULARITIES,
    digest_of_levels,
    level_digests,
    sign_passport,
)
from battrace.passport.views import view_for_audiences
from battrace.store import Store
from battrace.store import passports as db
from battrace.store.tx import Tx

STATUS_KEY = "battery_status"
EVERYONE = frozenset(Audience)
MAX_BATCH = 10_000
_MODEL_CACHE = 1024  # battery models held in memory per process (a maker has tens to hundreds)
# Art. 77(7): the status a second-life passport starts in, by the event that created it.
_SECOND_LIFE = {
    PassportEvent.REPURPOSE: PassportState.REPURPOSED,
    PassportEvent.REMANUFACTURE: PassportState.REMANUFACTURED,
}
OnIssued = Callable[[Tx, Sequence[db.PassportRecord], db.PassportModelRecord], None]


@dataclass(frozen=True)
class NewModel:
    model_id: str
    category: BatteryCategory
    values: Mapping[str, object]


@dataclass(frozen=True)
class NewPassport:
    model_id: str
    values: Mapping[str, object]
    passport_id: str | None = None
    mandated: tuple[str, ...] = ()
    predecessor: str | None = None  # the original passport of a repurposed / remanufactured battery
    origin_event: PassportEvent | None = None  # repurpose | remanufacture, with predecessor


@dataclass(frozen=True)
class Measurement:
    key: str
    value: float | int | str
    unit: str | None
    measured_at: datetime
    source: str

    def as_value(self) -> DynamicValue:
        """The series point (refuses a time without zone and a missing source)."""
        return DynamicValue(self.value, self.unit, self.measured_at, self.source)


@dataclass(frozen=True)
class Issued:
    passport_ids: tuple[str, ...]
    log_indices: range = field(default_factory=lambda: range(0))


class ValidationFailed(InvalidInput):
    """The passport breaks rules of the Regulation; ``problems`` names each (attribute, rule, message)."""

    def __init__(self, subject: str, problems: Sequence[Problem]) -> None:
        shown = "; ".join(p.message for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(
            f"{subject}: {shown}{more}",
            reason="invalid_passport",
            problems=[{"attribute": p.key, "rule": p.rule, "message": p.message} for p in problems],
        )


def battery_spellings(identifier: Sgtin | UniqueIdentifier | str) -> list[str]:
    """The stored spellings a battery identifier may have: an SGTIN as GS1 element string
    ``(01)<gtin14>(21)<serial>`` or as GS1 Digital Link path; anything else as written."""
    if isinstance(identifier, Sgtin):
        gtin, serial = identifier.gtin.gtin14, identifier.serial
        return [f"(01){gtin}(21){serial}", f"01/{gtin}/21/{serial}"]
    return [str(identifier)]


class PassportService:
    def __init__(
        self,
        store: Store,
        keys: NodeKeys,
        *,
        did: str,
        log: TransparencyLog | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._store = store
        self._keys = keys
        self._did = did
        self._log = log
        self._clock = clock
        self.on_issued: OnIssued | None = None  # e.g. the twin registry, in the same transaction
        self._model_digests: dict[tuple[str, str], Mapping[str, str]] = {}
        self._models: dict[str, db.PassportModelRecord] = {}

    # -- writes --------------------------------------------------------------------------------------------

    def register_model(self, model: NewModel, *, writer: str | None = None) -> db.PassportModelRecord:
        """Store a battery model's shared values (checked per value; completeness is judged per item)."""
        _check_id(model.model_id, "model id")
        self._require_self(writer)
        values = dict(model.values)
        _check_granularity(values, model=True)
        problems = [
            p for p in validate_passport(values, model.category, today=self._today()) if _own(p, values)
        ]
        if problems:
            raise ValidationFailed(f"model {model.model_id}", problems)
        now = self._clock()
        levels = level_digests(values)
        record = db.PassportModelRecord(
            id=model.model_id,
            category=model.category.value,
            responsible_operator=self._did,
            values=values,
            values_sha256=digest_of_levels(levels),
            signature=sign_passport(
                self._keys,
                issuer=self._did,
                passport_id=model.model_id,
                model_id=model.model_id,
                issued_at=int(now.timestamp()),
                levels=levels,
            ),
            created_at=now,
        )
        with self._store.transaction() as tx:
            db.insert_model(tx, record)
            self._append(tx, [("passport.model", {"model": record.id, "sha256": record.values_sha256})])
        return record

    def issue(self, items: Sequence[NewPassport], *, writer: str | None = None) -> Issued:
        """Issue passports (placing batteries on the market), all or none: one bad item refuses the batch."""
        self._require_self(writer)
        if not items:
            raise InvalidInput("nothing to issue", reason="empty")
        if len(items) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} passports per request", reason="too_many")
        now = self._clock()
        with self._store.transaction() as tx:
            models: dict[str, db.PassportModelRecord] = {}
            records = [self._prepare(tx, item, models, now) for item in items]
            by_model: dict[str, list[db.PassportRecord]] = {}
            for record in records:
                by_model.setdefault(record.model_id, []).append(record)
            self._link_predecessors(tx, records, now)
            db.insert_passports(tx, records)
            db.insert_events(tx, [_issue_event(r) for r in records])
            indices = self._append(
                tx,
                [
                    (
                        "passport.issue",
                        {"passport": r.id, "model": r.model_id, "battery": r.battery_identifier,
                         "sha256": r.values_sha256},
                    )
                    for r in records
                ],
            )  # fmt: skip
            if self.on_issued is not None:
                for model_id, group in by_model.items():
                    self.on_issued(tx, group, models[model_id])
        return Issued(tuple(r.id for r in records), indices)

    def _prepare(
        self,
        tx: Tx,
        item: NewPassport,
        models: dict[str, db.PassportModelRecord],
        now: datetime,
    ) -> db.PassportRecord:
        model = models.get(item.model_id) or db.get_model(tx, item.model_id)
        if model is None:
            raise NotFound(f"passport model {item.model_id!r} is not registered", reason="unknown_model")
        models[item.model_id] = model
        passport_id = item.passport_id or f"urn:uuid:{uuid.uuid4()}"
        _check_id(passport_id, "passport id")
        values = dict(item.values)
        _check_granularity(values, model=False)
        battery = values.get("battery_identifier")
        if not isinstance(battery, str) or not battery:
            raise InvalidInput("battery_identifier is required for every passport", reason="missing_battery")
        values.setdefault("battery_passport_identifier", passport_id)
        if values["battery_passport_identifier"] != passport_id:
            raise InvalidInput(
                "battery_passport_identifier must equal the passport id", reason="passport_identifier"
            )
        state = self._initial_state(item)
        category = BatteryCategory(model.category)
        # The model's values were checked when it was registered; per battery only its own values, what the
        # two lack together, and the rules spanning both (dates, capacities) are judged again.
        problems = value_problems(values, category)
        merged = {**model.values, **values, STATUS_KEY: state.value}
        problems.extend(p for p in missing_mandatory(merged, category) if not attribute(p.key).dynamic)
        problems.extend(cross_problems(merged, problems, self._today()))
        if problems:
            raise ValidationFailed(f"passport {passport_id}", problems)
        levels = level_digests(values)
        return db.PassportRecord(
            id=passport_id,
            model_id=model.id,
            battery_identifier=battery,
            responsible_operator=self._did,
            mandated=tuple(dict.fromkeys(item.mandated)),
            state=state.value,
            values=values,
            values_sha256=digest_of_levels(levels),
            signature=sign_passport(
                self._keys,
                issuer=self._did,
                passport_id=passport_id,
                model_id=model.id,
                issued_at=int(now.timestamp()),
                levels=levels,
                model_levels=self._model_levels(model),
            ),
            predecessor=item.predecessor,
            successor=None,
            issued_at=now,
            updated_at=now,
        )

    def _cached_model(self, tx: Tx, model_id: str) -> db.PassportModelRecord:
        """Models are never changed once registered (a new model gets a new id), so readers keep them: a
        model's ~90 values are decoded once per process, not on every passport read."""
        model = self._models.get(model_id)
        if model is None:
            model = db.get_model(tx, model_id)
            assert model is not None  # foreign key
            if len(self._models) >= _MODEL_CACHE:
                self._models.pop(next(iter(self._models)))
            self._models[model_id] = model
        return model

    def _model_levels(self, model: db.PassportModelRecord) -> Mapping[str, str]:
        # A model's digests are the same for every battery of it: computed once per model and process.
        key = (model.id, model.values_sha256)
        levels = self._model_digests.get(key)
        if levels is None:
            levels = self._model_digests[key] = level_digests(model.values)
        return levels

    @staticmethod
    def _initial_state(item: NewPassport) -> PassportState:
        if item.predecessor is None:
            if item.origin_event is not None:
                raise InvalidInput("origin_event needs a predecessor passport", reason="no_predecessor")
            return step(None, PassportEvent.PLACE_ON_MARKET)
        if item.origin_event not in _SECOND_LIFE:
            raise InvalidInput(
                "a passport with a predecessor comes from repurposing or remanufacturing (Art. 77(7)); "
                "name the origin_event",
                reason="origin_event",
            )
        return _SECOND_LIFE[item.origin_event]

    def _link_predecessors(self, tx: Tx, records: Sequence[db.PassportRecord], now: datetime) -> None:
        """A second-life passport whose original lives on this node supersedes it in the same transaction;
        an original held elsewhere is linked by id only (its holder records the event on its side)."""
        for record in records:
            if record.predecessor is None:
                continue
            original = db.get_passport(tx, record.predecessor, for_update=True)
            if original is None:
                continue
            event = _origin_event(record.state)
            self._check_writable(original, self._did)
            after = step(PassportState(original.state), event)
            db.set_state(tx, original.id, state=after.value, updated_at=now, successor=record.id)
            db.insert_events(
                tx, [db.EventRecord(original.id, event.value, original.state, after.value, now, self._did)]
            )
            self._append(
                tx,
                [
                    (
                        "passport.status",
                        {"passport": original.id, "event": event.value, "successor": record.id},
                    )
                ],
            )

    def record(self, passport_id: str, measurements: Sequence[Measurement], *, writer: str) -> int:
        """Append dynamic values (Annex XIII point 4) as time series; returns how many were stored."""
        if not measurements:
            raise InvalidInput("no measurements given", reason="empty")
        if len(measurements) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} measurements per request", reason="too_many")
        for m in measurements:
            _check_measurement(m)
        now = self._clock()
        with self._store.transaction() as tx:
            passport = self._writable(tx, passport_id, writer)
            last = db.latest_measured_at(tx, passport_id, {m.key for m in measurements})
            for m in sorted(measurements, key=lambda m: m.measured_at):
                check_measurement(m.key, m.as_value(), last.get(m.key))
                last[m.key] = m.measured_at
            db.insert_measurements(
                tx,
                [
                    db.MeasurementRecord(
                        passport.id, m.key, m.value, m.unit, m.measured_at, m.source, writer, now
                    )
                    for m in measurements
                ],
            )
            self._append(
                tx,
                [
                    (
                        "passport.measure",
                        {"passport": passport.id, "writer": writer, "count": len(measurements),
                         "keys": sorted({m.key for m in measurements})},
                    )
                ],
            )  # fmt: skip
        return len(measurements)

    def change_status(
        self,
        passport_id: str,
        event: PassportEvent,
        *,
        writer: str,
        at: datetime | None = None,
        successor_id: str | None = None,
    ) -> PassportState:
        """Re-use, waste, recycling; repurposing / remanufacturing elsewhere name the new passport's id."""
        when = at or self._clock()
        check_event_time(when, None)  # a time without zone is refused before anything is read
        if event is PassportEvent.PLACE_ON_MARKET:
            raise InvalidInput("placing on the market is issuance", reason="use_issue")
        needs_new = event in NEW_PASSPORT_EVENTS
        if needs_new != (successor_id is not None):
            raise InvalidInput(
                f"{event.value} "
                + ("issues a new passport: name its id" if needs_new else "keeps this passport")
                + " (Art. 77(7))",
                reason="successor_required" if needs_new else "no_successor",
            )
        if successor_id == passport_id:
            raise InvalidInput("the new passport needs its own identifier", reason="successor_required")
        with self._store.transaction() as tx:
            passport = self._writable(tx, passport_id, writer)
            history = db.events(tx, passport_id)
            check_event_time(when, history[-1].at if history else None)
            after = step(PassportState(passport.state), event)
            db.set_state(tx, passport_id, state=after.value, updated_at=self._clock(), successor=successor_id)
            db.insert_events(
                tx, [db.EventRecord(passport_id, event.value, passport.state, after.value, when, writer)]
            )
            entry: dict[str, Any] = {"passport": passport_id, "event": event.value, "writer": writer}
            if successor_id is not None:
                entry["successor"] = successor_id
            self._append(tx, [("passport.status", entry)])
        return after

    # -- reads ---------------------------------------------------------------------------------------------

    def document(self, passport_id: str, audiences: frozenset[Audience]) -> PassportDocument:
        """The passport as a caller in ``audiences`` may see it (see records.PassportDocument)."""
        with self._store.read() as tx:
            passport = db.get_passport(tx, passport_id)
            if passport is None:
                raise NotFound(f"no passport {passport_id!r}", reason="unknown_passport")
            model = self._cached_model(tx, passport.model_id)
            visible_keys = _visible_dynamic_keys(audiences)
            # the public sees no item use data (Annex XIII point 4): no query for it either
            series = _series(db.measurements(tx, passport_id, keys=visible_keys)) if visible_keys else {}
            sees_status = any(may_see(a, attribute(STATUS_KEY).access) for a in audiences)
            timeline = _timeline(db.events(tx, passport_id)) if sees_status else ()
        values: dict[str, object] = {**model.values, **passport.values}
        values[STATUS_KEY] = _published_status(passport, timeline)
        for key, points in series.items():
            latest = points[-1]
            # the flat form of a dynamic quantity, as the mappings read it: value, unit, when measured
            values[key] = (
                latest.value
                if latest.unit is None
                else {
                    "value": latest.value,
                    "unit": latest.unit,
                    "measured_at": latest.measured_at.isoformat(),
                }
            )
        return PassportDocument(
            passport_id=passport.id,
            model_id=passport.model_id,
            category=BatteryCategory(model.category),
            responsible_operator=passport.responsible_operator,
            issued_at=passport.issued_at,
            audiences=audiences,
            view=view_for_audiences(values, audiences),
            series=series,
            timeline=timeline,
            state=PassportState(passport.state) if sees_status else None,
            predecessor=passport.predecessor,
            successor=passport.successor,
            signature=passport.signature,
        )

    def resolve(self, identifier: Sgtin | UniqueIdentifier | str) -> str | None:
        """The passport id of a battery, from the identifier its QR code carries."""
        with self._store.read() as tx:
            return db.find_by_battery(tx, battery_spellings(identifier))

    def passport_ids(
        self, *, after: str | None = None, limit: int = 100, model_id: str | None = None
    ) -> list[str]:
        with self._store.read() as tx:
            return db.list_passports(tx, after=after, limit=limit, model_id=model_id)

    def battery_of(self, passport_id: str) -> str | None:
        """The battery identifier a passport was issued for (what its QR code resolves from)."""
        with self._store.read() as tx:
            passport = db.get_passport(tx, passport_id)
        return None if passport is None else passport.battery_identifier

    def model(self, model_id: str) -> db.PassportModelRecord:
        with self._store.read() as tx:
            model = db.get_model(tx, model_id)
        if model is None:
            raise NotFound(f"no passport model {model_id!r}", reason="unknown_model")
        return model

    def models(self) -> list[db.PassportModelRecord]:
        with self._store.read() as tx:
            return db.list_models(tx)

    # -- helpers -------------------------------------------------------------------------------------------

    def _today(self) -> date:
        return self._clock().astimezone(UTC).date()

    def _require_self(self, writer: str | None) -> None:
        # Issuing is the responsible operator's act: this node's own, through its management API.
        if writer is not None and writer != self._did:
            raise Forbidden(
                f"{writer!r} may not issue passports on {self._did}'s node (Art. 77(4))", reason="not_issuer"
            )

    def _writable(self, tx: Tx, passport_id: str, writer: str) -> db.PassportRecord:
        passport = db.get_passport(tx, passport_id, for_update=True)
        if passport is None:
            raise NotFound(f"no passport {passport_id!r}", reason="unknown_passport")
        self._check_writable(passport, writer)
        return passport

    @staticmethod
    def _check_writable(passport: db.PassportRecord, writer: str) -> None:
        check_writable(
            passport.id,
            writer=writer,
            responsible=passport.responsible_operator,
            mandated=passport.mandated,
            state=PassportState(passport.state),
            successor=passport.successor,
        )

    def _append(self, tx: Tx, items: Iterable[tuple[str, Mapping[str, Any]]]) -> range:
        if self._log is None:
            return range(0)
        return self._log.append_all(tx, items)


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > 256 or not value.isprintable() or " " in value:
        raise InvalidInput(
            f"{what} must be 1-256 printable characters without spaces, got {value!r}", reason="id"
        )


def _own(problem: Problem, values: Mapping[str, object]) -> bool:
    """A model is judged on what it holds: missing item-level values are the items' business."""
    return problem.rule != "missing_mandatory" or problem.key in values


def _check_granularity(values: Mapping[str, object], *, model: bool) -> None:
    for key in values:
        try:
            entry = attribute(key)
        except InvalidInput:
            continue  # validate_passport names unknown keys with the rest
        if entry.dynamic:
            raise InvalidInput(
                f"{key} is dynamic data: record it as a measurement, not at issuance", reason="dynamic"
            )
        if model and entry.granularity not in MODEL_GRANULARITIES:
            raise InvalidInput(f"{key} is given per battery, not per model", reason="granularity")
        if not model and entry.granularity in MODEL_GRANULARITIES:
            raise InvalidInput(
                f"{key} is given per model: set it on the passport model", reason="granularity"
            )


def _check_measurement(m: Measurement) -> None:
    """What a measurement must be before any stored series is read (the order is checked against it later)."""
    check_measurement(m.key, m.as_value(), None)
    check_value(m.key, m.value)


@functools.cache
def _visible_dynamic_keys(audiences: frozenset[Audience]) -> tuple[str, ...]:
    """The dynamic attributes ``audiences`` may see (a handful of audience sets exist: computed once each)."""
    return tuple(
        a.key
        for a in ATTRIBUTES
        if a.dynamic and a.key != STATUS_KEY and any(may_see(aud, a.access) for aud in audiences)
    )


def _series(rows: Sequence[db.MeasurementRecord]) -> dict[str, tuple[DynamicValue, ...]]:
    grouped: dict[str, list[DynamicValue]] = {}
    for r in rows:
        grouped.setdefault(r.key, []).append(DynamicValue(r.value, r.unit, r.measured_at, r.source))
    return {key: tuple(points) for key, points in grouped.items()}


def _timeline(rows: Sequence[db.EventRecord]) -> tuple[StatusEvent, ...]:
    return tuple(
        StatusEvent(
            PassportEvent(r.event),
            PassportState(r.before) if r.before is not None else None,
            PassportState(r.after),
            r.at,
            r.actor,
        )
        for r in rows
    )


def _published_status(passport: db.PassportRecord, timeline: Sequence[StatusEvent]) -> str:
    """Annex XIII 4(c) knows five statuses; a recycled battery's passport keeps showing ``waste``."""
    if passport.state != PassportState.CLOSED.value:
        return passport.state
    return PassportState.WASTE.value


def _issue_event(record: db.PassportRecord) -> db.EventRecord:
    return db.EventRecord(
        record.id,
        PassportEvent.PLACE_ON_MARKET.value,
        None,
        record.state,
        record.issued_at,
        record.responsible_operator,
    )


def _origin_event(state: str) -> PassportEvent:
    for event, second_life in _SECOND_LIFE.items():
        if second_life.value == state:
            return event
    raise AssertionError(state)
