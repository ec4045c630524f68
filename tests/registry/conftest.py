"""Registry fixtures: a Registry on each backend (via the shared `store` fixture) and an app built on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import delete

from battrace.registry import Registry, RegistryCaller, registry_router
from battrace.store import Store
from battrace.store._orm_registry import RegistryShellRow

FIXTURES = Path(__file__).parent.parent / "fixtures" / "registry"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OWNER_TENANT = "TENANT_ONE"  # the tenant of the DTR lookup cases: the registry's owner


def header_caller(request: Request) -> RegistryCaller:
    """Test wiring: X-Tenant TENANT_ONE is the owner; anyone else is a partner known by its Edc-Bpn header."""
    if request.headers.get("x-tenant") == OWNER_TENANT:
        return RegistryCaller(owner=True)
    return RegistryCaller(owner=False, bpn=request.headers.get("edc-bpn"))


@pytest.fixture
def registry(store: Store) -> Registry:
    # The shared PostgreSQL database is truncated only for the connector tables; start from no shells.
    with store.transaction() as tx:
        tx.session.execute(delete(RegistryShellRow))
    return Registry(store, clock=lambda: NOW)


@pytest.fixture
def client(registry: Registry) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(registry_router(registry, header_caller))
    with TestClient(app) as test_client:
        yield test_client


OWNER_HEADERS = {"X-Tenant": OWNER_TENANT}


def partner(bpn: str | None) -> dict[str, str]:
    return {} if bpn is None else {"Edc-Bpn": bpn}
