from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from battrace.identity import (
    DidResolver,
    MemoryReplayGuard,
    NodeKeys,
    TokenVerifier,
    did_document,
    did_web,
    did_web_document_url,
    issue_token,
)

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CALLER = did_web("consumer.example")
CALLEE = did_web("provider.example")


@dataclass
class FakeClock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class CountingFetcher:
    documents: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> Mapping[str, Any]:
        self.calls.append(url)
        return self.documents[url]

    def publish(self, did: str, keys: NodeKeys) -> None:
        self.documents[did_web_document_url(did)] = did_document(did, keys)


@dataclass
class World:
    clock: FakeClock
    fetcher: CountingFetcher
    resolver: DidResolver
    guard: MemoryReplayGuard
    verifier: TokenVerifier
    caller_keys: NodeKeys
    token: Callable[..., str]


@pytest.fixture(scope="session")
def caller_keys() -> NodeKeys:
    return NodeKeys.generate()


@pytest.fixture
def world(caller_keys: NodeKeys) -> World:
    clock = FakeClock()
    fetcher = CountingFetcher()
    fetcher.publish(CALLER, caller_keys)
    resolver = DidResolver(fetcher, clock=clock)
    guard = MemoryReplayGuard(clock=clock)
    verifier = TokenVerifier(audience_did=CALLEE, resolver=resolver, replay_guard=guard, clock=clock)
    counter = iter(range(1_000_000))

    def token(**overrides: Any) -> str:
        args: dict[str, Any] = {
            "keys": caller_keys,
            "issuer_did": CALLER,
            "audience_did": CALLEE,
            "now": clock.now,
            "jti": f"urn:uuid:test-{next(counter)}",
        }
        args.update(overrides)
        return issue_token(**args)

    return World(clock, fetcher, resolver, guard, verifier, caller_keys, token)
