"""Bearer tokens of a node served by several workers (`battrace serve --workers 2`, PostgreSQL): a PACT v3
access token (RFC 6749 §4.4) and an Ouranos access token, each obtained once, are accepted by every worker,
whichever accepts the connection. Each request comes on a new connection (a fresh client), so uvicorn's
workers share them out; which worker served is read from /proc (`WorkersNode.serving_pids`) while the
connection is open, and the test goes on until both have served, at least ACCEPTED times in all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from battrace.apps.pcf.example import example_chain, product_body
from battrace.apps.pcf.pact.auth import basic_header

from .conftest import free_port
from .test_workers import WorkersNode

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
WORKERS = 2
ACCEPTED = 20
MOST = 200  # requests before concluding that the kernel never hands a connection to the second worker
API_KEY = "battrace-dev-key"
PCF = "/management/v3/pcf"
ACCOUNT = {"accountId": "jp@example.com", "password": "jp-Secret-9"}


@pytest.fixture()
def database(fresh_postgres_url: str) -> str:
    return fresh_postgres_url  # tests/conftest.py: fails instead of skipping under CI=true


@pytest.fixture()
def node(tmp_path: Path, database: str) -> Iterator[WorkersNode]:
    served = WorkersNode(
        "refiner", free_port(), tmp_path, api_key=API_KEY, database_url=database, workers=WORKERS
    )
    try:
        served.start(timeout=240)  # each worker imports the whole app; the machine may be shared
        assert len(served.worker_pids()) == WORKERS
        yield served
    finally:
        served.stop()


def _accepted_by_every_worker(node: WorkersNode, request: Callable[[httpx.Client], httpx.Response]) -> None:
    """`request` on a fresh connection each time: every answer is 200, and both workers gave some."""
    served: set[int] = set()
    count = 0
    while count < ACCEPTED or (len(served) < WORKERS and count < MOST):
        with httpx.Client(base_url=node.base_url, timeout=30.0) as client:
            response = request(client)
            assert response.status_code == 200, (count, served, response.text)
            served |= node.serving_pids()  # the connection is still open: its worker holds it
        count += 1
    assert served == node.worker_pids(), f"only worker(s) {served} served {count} requests"


def test_a_pact_token_obtained_once_is_accepted_by_every_worker(node: WorkersNode) -> None:
    with node.client() as management:
        management.call("PUT", f"{PCF}/products/refiner", product_body(example_chain(), "refiner"))
        management.call("POST", f"{PCF}/products/refiner/compute", expect=(200,))
        secret = management.call("POST", f"{PCF}/pact-clients", {"clientId": "buyer"}, expect=(201,))
        offer = {"productName": "lithium hydroxide", "massPerDeclaredUnit": "1", "clients": ["buyer"]}
        management.call("POST", f"{PCF}/products/refiner/pact", offer, expect=(201,))
    issued = httpx.post(
        node.base_url + "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic_header("buyer", secret["clientSecret"])},
    )
    assert issued.status_code == 200, issued.text
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}

    def footprints(client: httpx.Client) -> httpx.Response:
        response = client.get("/3/footprints", headers=bearer)
        assert response.status_code == 200, response.text
        assert len(response.json()["data"]) == 1, response.text
        return response

    _accepted_by_every_worker(node, footprints)


def test_an_ouranos_token_obtained_once_is_accepted_by_every_worker(node: WorkersNode) -> None:
    operator = {
        "operatorName": "JP電池株式会社",
        "operatorAddress": "東京都千代田区2-2",
        "openOperatorId": "4000000000004",
        "account": ACCOUNT,
    }
    with node.client() as management:
        key = management.call("POST", "/management/v3/ouranos/operators", operator, expect=(201,))["apiKey"]
    login = {"operatorAccountId": ACCOUNT["accountId"], "accountPassword": ACCOUNT["password"]}
    tokens = httpx.post(node.base_url + "/ouranos/auth/login", json=login, headers={"apiKey": key})
    assert tokens.status_code == 201, tokens.text
    headers = {"apiKey": key, "Authorization": f"Bearer {tokens.json()['accessToken']}"}

    def me(client: httpx.Client) -> httpx.Response:
        response = client.get("/ouranos/api/v1/authInfo?dataTarget=operator", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["openOperatorId"] == "4000000000004", response.text
        return response

    _accepted_by_every_worker(node, me)
