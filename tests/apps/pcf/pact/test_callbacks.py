"""The callback dispatcher: retries with back-off, gives up after 72 h or on a refusal."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from battrace.apps.pcf.pact.callbacks import CallbackDispatcher, Recipient

from .conftest import Server, TestClock, https_client

EVENT = {"type": "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3", "id": "answer-1"}


@dataclass
class Flaky:
    """A recipient that answers the next statuses in turn (200 once they run out)."""

    statuses: list[int] = field(default_factory=list)
    calls: int = 0
    on_call: list[TestClock] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/auth/token")
        async def token() -> JSONResponse:
            return JSONResponse({"access_token": "t", "token_type": "Bearer"})

        @app.post("/3/events")
        async def events(request: Request) -> Response:
            self.calls += 1
            for clock in self.on_call:
                clock.advance(hours=80)
            return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

        return app


@pytest.fixture
def flaky(tls_files: tuple[Path, Path]) -> Iterator[tuple[Flaky, str]]:
    recipient = Flaky()
    with Server(recipient.app(), tls_files) as server:
        yield recipient, server.url


def dispatcher_for(url: str, trust: ssl.SSLContext, clock: TestClock) -> tuple[CallbackDispatcher, Recipient]:
    recipient = Recipient(source=url, base_url=url, username="u", password="p", client_id="buyer")
    dispatcher = CallbackDispatcher(
        [recipient], clock=clock, http=lambda: https_client(trust), base_delay=0.01, max_delay=0.05
    )
    return dispatcher, recipient


def test_an_unreachable_recipient_is_retried_until_it_accepts(
    flaky: tuple[Flaky, str], trust: ssl.SSLContext
) -> None:
    server, url = flaky
    server.statuses = [503, 500, 503]
    dispatcher, recipient = dispatcher_for(url, trust, TestClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    dispatcher.submit(recipient, dict(EVENT))
    assert dispatcher.wait_idle(timeout=20)
    dispatcher.stop()
    assert server.calls == 4
    assert list(dispatcher.delivered) == [EVENT] and not dispatcher.abandoned


def test_delivery_is_abandoned_after_72_hours(flaky: tuple[Flaky, str], trust: ssl.SSLContext) -> None:
    server, url = flaky
    clock = TestClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    server.statuses, server.on_call = [503] * 5, [clock]  # each attempt "takes" 80 hours
    dispatcher, recipient = dispatcher_for(url, trust, clock)
    dispatcher.submit(recipient, dict(EVENT))
    assert dispatcher.wait_idle(timeout=20)
    dispatcher.stop()
    assert server.calls == 1 and list(dispatcher.abandoned) == [EVENT]


def test_a_refused_event_is_not_sent_again(flaky: tuple[Flaky, str], trust: ssl.SSLContext) -> None:
    server, url = flaky
    server.statuses = [400]
    dispatcher, recipient = dispatcher_for(url, trust, TestClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    dispatcher.submit(recipient, dict(EVENT))
    assert dispatcher.wait_idle(timeout=20)
    dispatcher.stop()
    assert server.calls == 1 and list(dispatcher.abandoned) == [EVENT]


def test_only_the_registered_client_may_name_a_source(trust: ssl.SSLContext) -> None:
    dispatcher, recipient = dispatcher_for("https://buyer.example", trust, TestClock(dt.datetime.now(dt.UTC)))
    assert dispatcher.recipient_for("https://buyer.example/", "buyer") == recipient
    assert dispatcher.recipient_for("https://buyer.example", "someone-else") is None
    assert dispatcher.recipient_for("https://attacker.example", "buyer") is None
