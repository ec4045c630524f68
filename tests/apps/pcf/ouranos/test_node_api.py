"""The Ouranos API as a node serves it: under ``/ouranos`` on the node's app, its rows on the node's database,
operators and accounts onboarded through ``/management/v3/ouranos`` (X-Api-Key), and the published OpenAPI
still holding for every response (schemathesis, bounded: a few examples per operation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from battrace.connector.node import Node
from battrace.http.app import create_app
from battrace.http.common import install_error_handlers
from battrace.http.ouranos import ouranos_api_key, ouranos_node_router

from .conftest import PASSWORD, document_store, make_world, node_at
from .test_schemathesis import CHECKS, _published_schema
from .test_service import trade_flow

NODE_KEY = "node-key"  # conftest.node_at
MANAGE = {"X-Api-Key": NODE_KEY}
KEY = ouranos_api_key(NODE_KEY)
JP_OPERATOR = {
    "operatorName": "JP電池株式会社",
    "operatorAddress": "東京都千代田区2-2",
    "openOperatorId": "4000000000004",
    "plant": {"plantName": "JP電池 工場", "plantAddress": "茨城県1-1", "openPlantId": "P4000000000004"},
    "account": {"accountId": "jp@example.com", "password": "jp-Secret-9"},
}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Node:
    """A node whose Ouranos tables hold A and B's finished trade (seeded through the same database)."""
    found = node_at(Path(tmp_path_factory.mktemp("ouranos-node")) / "node")
    trade_flow(make_world(document_store(found)))
    return found


@pytest.fixture(scope="module")
def node_client(node: Node) -> Iterator[TestClient]:
    """The node's whole app, with one more operator onboarded through management."""
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        client.post("/management/v3/ouranos/operators", json=JP_OPERATOR, headers=MANAGE).raise_for_status()
        yield client


def login(client: TestClient, account: str, password: str) -> dict[str, str]:
    response = client.post(
        "/ouranos/auth/login",
        json={"operatorAccountId": account, "accountPassword": password},
        headers={"apiKey": KEY},
    )
    assert response.status_code == 201, response.text
    return {"apiKey": KEY, "Authorization": f"Bearer {response.json()['accessToken']}"}


def test_management_needs_the_nodes_api_key(node_client: TestClient) -> None:
    response = node_client.post("/management/v3/ouranos/operators", json=JP_OPERATOR)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_operator_reads_the_ouranos_api_key_through_management(node_client: TestClient) -> None:
    assert node_client.get("/management/v3/ouranos/api-key", headers=MANAGE).json() == {"apiKey": KEY}


def test_an_onboarded_operator_logs_in_and_registers_a_part_under_the_prefix(node_client: TestClient) -> None:
    headers = login(node_client, "jp@example.com", "jp-Secret-9")
    me = node_client.get("/ouranos/api/v1/authInfo?dataTarget=operator", headers=headers).json()
    assert me["openOperatorId"] == "4000000000004"
    plant = node_client.get("/ouranos/api/v1/authInfo?dataTarget=plant", headers=headers).json()[0]
    body = {
        "traceId": None,
        "operatorId": me["operatorId"],
        "plantId": plant["plantId"],
        "partsName": "CELL-JP",
        "supportPartsName": None,
        "terminatedFlag": False,
        "amountRequired": None,
        "amountRequiredUnit": None,
    }
    saved = node_client.put("/ouranos/api/v1/datatransport?dataTarget=parts", json=body, headers=headers)
    assert saved.status_code == 201
    listed = node_client.get("/ouranos/api/v1/datatransport?dataTarget=parts", headers=headers).json()
    assert [p["partsName"] for p in listed] == ["CELL-JP"]


def test_an_account_is_not_created_twice(node_client: TestClient) -> None:
    me = login(node_client, "jp@example.com", "jp-Secret-9")
    operator = node_client.get("/ouranos/api/v1/authInfo?dataTarget=operator", headers=me).json()
    body = {
        "accountId": "jp@example.com",
        "password": "another-Secret1",
        "operatorId": operator["operatorId"],
    }
    response = node_client.post("/management/v3/ouranos/accounts", json=body, headers=MANAGE)
    assert response.status_code == 409


def test_an_operator_with_a_taken_open_operator_id_is_refused_as_a_bad_request(
    node_client: TestClient,
) -> None:
    body = {**JP_OPERATOR, "account": None}
    response = node_client.post("/management/v3/ouranos/operators", json=body, headers=MANAGE)
    assert response.status_code == 400


def test_a_wrong_password_under_the_prefix_is_an_auth_side_401(node_client: TestClient) -> None:
    response = node_client.post(
        "/ouranos/auth/login",
        json={"operatorAccountId": "jp@example.com", "accountPassword": "wrong-Secret1"},
        headers={"apiKey": KEY},
    )
    assert response.status_code == 401
    assert response.json()["code"] == "[auth] Unauthorized"


def _mounted_schema() -> dict[str, Any]:
    raw = _published_schema()
    raw["servers"] = [{"url": "/ouranos"}]  # the node's base URL for Ouranos clients
    return raw


schema = schemathesis.openapi.from_dict(_mounted_schema())


@pytest.fixture(scope="module")
def mounted(node: Node) -> FastAPI:
    """Exactly what app.py includes, without the node's lifespan (schemathesis starts the app per call)."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(ouranos_node_router(node))
    return app


@pytest.fixture(scope="module")
def buyer_headers(mounted: FastAPI) -> dict[str, str]:
    return login(TestClient(mounted), "1000000000001@example.com", PASSWORD)


@schema.parametrize()
@settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_node_response_conforms_to_the_published_openapi(
    case: schemathesis.Case[Any], mounted: FastAPI, buyer_headers: dict[str, str]
) -> None:
    headers = dict(buyer_headers)
    if case.path == "/auth/change":  # buyer A must keep its password for the other examples
        headers["Authorization"] = "Bearer not-a-token"
    case.call_and_validate(headers=headers, checks=CHECKS, app=mounted)
