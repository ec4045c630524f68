"""Resuming PACT replies with several worker processes: only what was left over from before is resumed."""

from __future__ import annotations

import datetime as dt

from battrace.apps.pcf.pact.callbacks import CallbackDispatcher
from battrace.apps.pcf.pact.outbox import Backoff, InMemoryOutbox, State, new_delivery

from .conftest import TestClock

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BACKOFF = Backoff(base_seconds=1.0, max_seconds=60.0)


def test_a_reply_recorded_after_the_dispatcher_started_is_left_to_the_process_that_recorded_it() -> None:
    # Another worker of the node recorded it and has it in its queue: resuming it here would send it twice.
    outbox = InMemoryOutbox()
    dispatcher = CallbackDispatcher([], clock=TestClock(T0), outbox=outbox)
    later = T0 + dt.timedelta(seconds=1)
    outbox.save(new_delivery({"id": "answer-2"}, "buyer", now=later, backoff=BACKOFF))
    assert dispatcher.resume() == 0
    stored = outbox.get("answer-2")
    assert stored is not None and stored.state is State.PENDING  # not given up either: it is not ours
