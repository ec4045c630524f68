"""In-process data spaces for the operator tests: each space's app behind its own loopback address, reached
through one httpx client that routes by host and port, so DID resolution, trust lists and status lists all go
over (in-process) HTTP exactly as a relying party fetches them, on a clock the test controls.

(No ``__init__.py`` here: a test package named ``operator`` would shadow the standard library.)"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from battrace.identity import DidResolver
from battrace.operator import (
    SpaceClient,
    SpaceOperator,
    http_download,
    http_resolver,
    init_space,
    trust_predicate,
)
from battrace.operator.http import create_app
from battrace.trust import StatusCache, VerifiedCredential, status_fetcher, verify_credential

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
API_KEY = "test-operator-key"
HOLDER = "did:web:cellmaker.example.jp"
JP_CORPORATE_NUMBER = "1180301018771"  # Toyota Motor Corporation, a published 法人番号 (check digit 1)


def offline(what: str) -> Any:
    raise AssertionError(f"this test must not fetch {what}")


@dataclass
class FakeClock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def counter_ids(prefix: str) -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"urn:uuid:00000000-0000-4000-8000-{prefix}{next(numbers):0{12 - len(prefix)}d}"


class Router(httpx.BaseTransport):
    """Sends each request to the app registered for its host:port; unknown addresses refuse to connect."""

    def __init__(self) -> None:
        self.apps: dict[str, TestClient] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        client = self.apps.get(request.url.netloc.decode("ascii"))
        if client is None:
            raise httpx.ConnectError(f"nothing listens on {request.url.netloc!r}", request=request)
        answer = client.request(
            request.method, str(request.url), headers=request.headers, content=request.read()
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


@dataclass
class World:
    """Spaces on one fake clock and one routed HTTP client."""

    root: Path
    clock: FakeClock = field(default_factory=FakeClock)
    router: Router = field(default_factory=Router)
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(transport=self.router)

    def space(self, name: str, port: int, **kwargs: object) -> Space:
        url = f"http://127.0.0.1:{port}"
        init_space(self.root / name, name=name, public_url=url, api_key=API_KEY, clock=self.clock)
        operator = SpaceOperator(
            self.root / name,
            clock=self.clock,
            ids=counter_ids(str(port)),
            resolve=self.resolver().resolve,
            download=http_download(self.http),
            **kwargs,  # type: ignore[arg-type]
        )
        test_client = TestClient(create_app(operator), base_url=url, raise_server_exceptions=False)
        self.router.apps[f"127.0.0.1:{port}"] = test_client
        return Space(self, operator, SpaceClient(url, self.http, API_KEY), test_client)

    def resolver(self) -> DidResolver:
        # a fresh resolver per use: the tests change nothing in DID documents, but must never see stale ones
        return http_resolver(self.http, clock=self.clock, dev=True)


@dataclass
class Space:
    world: World
    operator: SpaceOperator
    client: SpaceClient
    test_client: TestClient

    @property
    def did(self) -> str:
        return self.operator.config.operator_did

    @property
    def certification_did(self) -> str:
        return self.operator.config.certification_did

    def verify(self, token: str, holder: str = HOLDER) -> VerifiedCredential:
        """What a relying party in THIS space does: everything fetched over HTTP, nothing cached."""
        resolver = self.world.resolver()
        fetch = status_fetcher(
            http_download(self.world.http), issuer_document_for=resolver.resolve, clock=self.world.clock
        )
        return verify_credential(
            token,
            issuer_document_for=resolver.resolve,
            is_trusted=trust_predicate(self.client.trust_view(resolver)),
            status=StatusCache(fetch, clock=self.world.clock, max_age=timedelta(0)),
            holder=holder,
            now=self.world.clock(),
        )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.http.close()
    for client in w.router.apps.values():
        client.close()
