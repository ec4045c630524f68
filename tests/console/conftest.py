"""A company node and an operator in-process behind TestClient, for the console's HTTP behaviour.

Exchanges between real processes (and the real browser) are in tests/browser/test_console.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from battrace.connector.config import NodeSettings
from battrace.connector.node import Node
from battrace.operator import SpaceOperator, init_space
from battrace.operator.http import create_app as create_operator_app
from battrace.operator.witness import Witness

COMPANY_KEY = "company-console-key"
OPERATOR_KEY = "operator-console-key"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def offline(*args: Any) -> Any:
    raise AssertionError("the console tests must not reach the network")


@pytest.fixture
def node(tmp_path: Path) -> Node:
    settings = NodeSettings(name="acme", port=8790, data_dir=tmp_path / "acme", api_key=COMPANY_KEY, dev=True)
    return Node(settings)


@pytest.fixture
def company(node: Node) -> Iterator[TestClient]:
    """The node's app with its lifecycle (dispatcher started and stopped around the test)."""
    from battrace.http.app import create_app

    with TestClient(create_app(node), base_url="http://127.0.0.1:8790") as client:
        yield client


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def space(tmp_path: Path, clock: FixedClock) -> SpaceOperator:
    root = tmp_path / "space"
    init_space(root, name="eu-space", public_url="http://127.0.0.1:8791", api_key=OPERATOR_KEY, clock=clock)
    numbers = iter(range(1, 1000))
    return SpaceOperator(
        root,
        clock=clock,
        ids=lambda: f"urn:uuid:00000000-0000-4000-8000-{next(numbers):012d}",
        resolve=offline,
        download=offline,
    )


class NoMembers:
    """The witness's view of members is never fetched here: the tests write its state file directly."""

    log_of = checkpoint = consistency = deliver = staticmethod(offline)


@pytest.fixture
def witness(space: SpaceOperator, clock: FixedClock) -> Witness:
    return Witness(space.files, NoMembers(), clock=clock, ids=lambda: "urn:uuid:alarm-1")


@pytest.fixture
def operator(space: SpaceOperator, witness: Witness) -> TestClient:
    return TestClient(create_operator_app(space, witness), base_url="http://127.0.0.1:8791")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "the form carries a CSRF token"
    return found[1]


def log_in(client: TestClient, key: str) -> None:
    form = client.get("/console/login")
    response = client.post(
        "/console/login", data={"api_key": key, "csrf": csrf_of(form.text)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
