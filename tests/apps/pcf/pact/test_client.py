"""PactClient against a real battrace PACT host over HTTPS: token, pagination, get, events, token renewal."""

from __future__ import annotations

import datetime as dt
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from battrace.apps.pcf.pact import (
    CallbackDispatcher,
    ClientCredentials,
    InMemoryFootprintRepository,
    PactClient,
    PactClientError,
    pact_router,
    parse_footprint,
)
from battrace.apps.pcf.pact.client import next_link
from battrace.apps.pcf.pact.events import Event, published

from .conftest import CELL, FOOTPRINTS, Server, TestClock, https_client


class Host:
    def __init__(self, server: Server, clock: TestClock, inbox: list[tuple[Event, str]]) -> None:
        self.server, self.clock, self.inbox = server, clock, inbox


@pytest.fixture(scope="module")
def host(tls_files: tuple[Path, Path]) -> Iterator[Host]:
    clock = TestClock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    inbox: list[tuple[Event, str]] = []
    app = FastAPI()
    app.include_router(
        pact_router(
            InMemoryFootprintRepository([parse_footprint(pf) for pf in FOOTPRINTS]),
            credentials=ClientCredentials({"buyer": "buyer-secret"}, clock=clock),
            clock=clock,
            callbacks=CallbackDispatcher([], clock=clock),
            inbox=lambda event, caller: inbox.append((event, caller)),
            page_size=2,
        )
    )
    with Server(app, tls_files) as server:
        yield Host(server, clock, inbox)


@pytest.fixture
def client(host: Host, trust: ssl.SSLContext) -> Iterator[PactClient]:
    with PactClient(host.server.url, "buyer", "buyer-secret", http=https_client(trust)) as pact:
        yield pact


def test_the_client_follows_pagination_to_every_footprint(client: PactClient) -> None:
    listed = list(client.list_footprints(limit=1))
    assert [str(pf.id) for pf in listed] == [pf["id"] for pf in FOOTPRINTS]


def test_the_host_pages_even_without_a_limit(client: PactClient) -> None:
    page, link = client.list_page()
    assert len(page) == 2 and link is not None


def test_the_client_sends_repeated_filter_values(client: PactClient) -> None:
    listed = list(client.list_footprints(geography=["DE", "JP-13"], status="Active"))
    assert {pf.pcf.geographies()[0] for pf in listed} == {"DE", "JP-13"}


def test_the_client_gets_one_footprint(client: PactClient) -> None:
    assert client.get_footprint(CELL["id"]).to_json() == CELL


def test_an_unknown_footprint_is_a_client_error_with_the_pact_code(client: PactClient) -> None:
    with pytest.raises(PactClientError) as raised:
        client.get_footprint(uuid.uuid4())
    assert raised.value.http_status == 404 and raised.value.code == "NotFound"


def test_the_client_renews_an_expired_token_once(client: PactClient, host: Host) -> None:
    client.get_footprint(CELL["id"])
    host.clock.advance(hours=2)
    try:
        assert client.get_footprint(CELL["id"]).id == uuid.UUID(CELL["id"])
    finally:
        host.clock.advance(hours=-2)


def test_wrong_credentials_are_a_client_error(host: Host, trust: ssl.SSLContext) -> None:
    with (
        PactClient(host.server.url, "buyer", "wrong", http=https_client(trust)) as pact,
        pytest.raises(PactClientError, match="token request failed"),
    ):
        pact.fetch_token()


def test_the_client_posts_events(client: PactClient, host: Host) -> None:
    pf_id = uuid.uuid4()
    client.send_event(
        published([pf_id], event_id="e-1", source="//buyer.example/3/events", time=host.clock())
    )
    event, caller = host.inbox[-1]
    assert caller == "buyer" and event.data.pfIds == (pf_id,)  # type: ignore[union-attr]


def test_a_pagination_link_to_another_origin_is_refused(client: PactClient) -> None:
    with pytest.raises(PactClientError, match="another origin"):
        client.list_page("https://elsewhere.example/3/footprints?offset=2")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://a.example/3/footprints?offset=2>; rel="next"', "https://a.example/3/footprints?offset=2"),
        ('<https://a/1>; rel="prev", <https://a/3>; rel="next"', "https://a/3"),
        ("<https://a/3>; rel=next", "https://a/3"),
        ('<https://a/1>; rel="first"', None),
        (None, None),
    ],
)
def test_next_link_reads_rfc_8288_headers(header: str | None, expected: str | None) -> None:
    assert next_link(header) == expected
