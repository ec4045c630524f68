"""An app with only the viewer router, over the sample in-memory reader, and a clock the tests move."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from battrace.passport.web import viewer_router

from .sample import MemoryReader, authenticate, resolver, sample_reader

BASE = "http://127.0.0.1:8101"
SECRET = b"k" * 32


@dataclass
class FakeClock:
    now: datetime = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def reader() -> MemoryReader:
    return sample_reader()


def make_app(reader: MemoryReader, clock: FakeClock, base: str = BASE, **options: object) -> FastAPI:
    app = FastAPI()
    app.include_router(
        viewer_router(
            reader,
            authenticate=authenticate,
            resolve=resolver(reader),
            session_secret=SECRET,
            public_base_url=base,
            clock=clock,
            **options,  # type: ignore[arg-type]
        )
    )
    return app


@pytest.fixture
def client(reader: MemoryReader, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(make_app(reader, clock), follow_redirects=False) as test_client:
        yield test_client
