"""The reply outbox: the pure delivery schedule, and a dispatcher resuming what another one left pending."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from battrace.apps.pcf.pact.callbacks import CallbackDispatcher, Recipient
from battrace.apps.pcf.pact.outbox import (
    Backoff,
    Delivery,
    InMemoryOutbox,
    Outcome,
    State,
    after_attempt,
    new_delivery,
)

from .conftest import Server, TestClock, https_client

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
EVENT = {"type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3", "id": "answer-1"}
BACKOFF = Backoff(base_seconds=1.0, max_seconds=60.0)


def fresh() -> Delivery:
    return new_delivery(dict(EVENT), "buyer", now=T0, backoff=BACKOFF)


def test_a_new_delivery_is_due_now_and_given_up_72_hours_later() -> None:
    delivery = fresh()
    assert (delivery.due, delivery.deadline, delivery.attempt) == (T0, T0 + dt.timedelta(hours=72), 0)
    assert delivery.state is State.PENDING and delivery.event_id == "answer-1"


def test_a_failed_attempt_waits_twice_as_long_each_time_up_to_the_cap() -> None:
    delivery = fresh()
    waits = []
    for _ in range(8):
        delivery = after_attempt(delivery, Outcome.FAILED, now=T0, backoff=BACKOFF, jitter=1.0)
        waits.append((delivery.due - T0).total_seconds())
    # 1 · 2^n seconds for attempts 0..7, capped at 60: 1, 2, 4, 8, 16, 32, 60, 60
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert delivery.attempt == 8 and delivery.state is State.PENDING


def test_jitter_shortens_the_wait_by_at_most_half() -> None:
    delivery = after_attempt(fresh(), Outcome.FAILED, now=T0, backoff=BACKOFF, jitter=0.1)
    assert delivery.due - T0 == dt.timedelta(seconds=0.5)  # jitter is clamped to [0.5, 1]


def test_the_outcomes_of_an_attempt_follow_the_table() -> None:
    assert (
        after_attempt(fresh(), Outcome.DELIVERED, now=T0, backoff=BACKOFF, jitter=1).state is State.DELIVERED
    )
    assert after_attempt(fresh(), Outcome.REFUSED, now=T0, backoff=BACKOFF, jitter=1).state is State.ABANDONED
    late = T0 + dt.timedelta(hours=72)
    assert (
        after_attempt(fresh(), Outcome.FAILED, now=late, backoff=BACKOFF, jitter=1).state is State.ABANDONED
    )
    done = after_attempt(fresh(), Outcome.DELIVERED, now=T0, backoff=BACKOFF, jitter=1)
    with pytest.raises(ValueError, match="not pending"):
        after_attempt(done, Outcome.FAILED, now=T0, backoff=BACKOFF, jitter=1)


def test_a_delivery_reads_back_from_its_stored_form() -> None:
    delivery = after_attempt(fresh(), Outcome.FAILED, now=T0, backoff=BACKOFF, jitter=0.75)
    assert Delivery.from_json(delivery.to_json()) == delivery


# -- resuming --------------------------------------------------------------------------------------


@pytest.fixture
def recipient_url(tls_files: tuple[Path, Path]) -> Iterator[tuple[list[dict[str, object]], str]]:
    received: list[dict[str, object]] = []
    app = FastAPI()

    @app.post("/auth/token")
    async def token() -> JSONResponse:
        return JSONResponse({"access_token": "t", "token_type": "Bearer"})

    @app.post("/3/events")
    async def events(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=200)

    with Server(app, tls_files) as server:
        yield received, server.url


def test_a_new_dispatcher_resumes_a_pending_delivery_with_its_attempt_count(
    recipient_url: tuple[list[dict[str, object]], str], trust: ssl.SSLContext
) -> None:
    received, url = recipient_url
    outbox = InMemoryOutbox()
    recipient = Recipient(source=url, base_url=url, username="u", password="p", client_id="buyer")
    # what a host that stopped after two failed attempts left behind
    failed_twice = after_attempt(
        after_attempt(fresh(), Outcome.FAILED, now=T0, backoff=BACKOFF, jitter=1),
        Outcome.FAILED,
        now=T0,
        backoff=BACKOFF,
        jitter=1,
    )
    outbox.save(failed_twice)
    dispatcher = CallbackDispatcher(
        [recipient],
        clock=TestClock(T0 + dt.timedelta(seconds=10)),
        http=lambda: https_client(trust),
        outbox=outbox,
    )
    assert dispatcher.resume() == 1
    assert dispatcher.wait_idle(timeout=20)
    dispatcher.stop()
    assert received == [EVENT]
    stored = outbox.get("answer-1")
    assert stored is not None and (stored.state, stored.attempt) == (State.DELIVERED, 3)


def test_a_pending_delivery_whose_recipient_is_gone_is_given_up() -> None:
    outbox = InMemoryOutbox()
    outbox.save(fresh())
    dispatcher = CallbackDispatcher([], clock=TestClock(T0), outbox=outbox)
    assert dispatcher.resume() == 0
    stored = outbox.get("answer-1")
    assert stored is not None and stored.state is State.ABANDONED
    assert list(dispatcher.abandoned) == [EVENT]
