"""The same exchange and crash recovery with both nodes on the real PostgreSQL server (one database each)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from .conftest import DEFAULT_POSTGRES_URL, Network, make_network

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture()
def pg_network(tmp_path: Path) -> Iterator[Network]:
    server = make_url(os.environ.get("BATTRACE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    names = [f"battrace_it_{role}_{uuid.uuid4().hex[:8]}" for role in ("provider", "consumer")]
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL required under CI=true: {error.orig}")
        pytest.skip(f"PostgreSQL unavailable: {error.orig}")
    urls = [server.set(database=name).render_as_string(hide_password=False) for name in names]
    network = make_network(tmp_path, provider_db=urls[0], consumer_db=urls[1])
    try:
        network.provider.start()
        network.consumer.start()
        yield network
    finally:
        network.consumer.stop()
        network.provider.stop()
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_exchange_between_nodes_on_postgresql(pg_network: Network) -> None:
    asset_id = pg_network.publish({"cell": "PG1"})
    negotiation = pg_network.negotiate(asset_id)
    assert negotiation["state"] == "FINALIZED"
    transfer = pg_network.pull(negotiation["contractAgreementId"])
    with pg_network.consumer.client() as client:
        assert client.fetch(client.edr(transfer["@id"])).json() == {"cell": "PG1"}


def test_postgresql_provider_killed_mid_exchange_recovers(pg_network: Network) -> None:
    asset_id = pg_network.publish({"cell": "PG2"})
    agreement_id = pg_network.negotiate(asset_id)["contractAgreementId"]
    with pg_network.consumer.client() as client:
        transfer_id = client.transfer(pg_network.provider.dsp, agreement_id)
        pg_network.provider.kill()
        pg_network.provider.start()
        assert client.wait_transfer(transfer_id, timeout=60)["state"] == "STARTED"
        assert client.fetch(client.edr(transfer_id)).json() == {"cell": "PG2"}
