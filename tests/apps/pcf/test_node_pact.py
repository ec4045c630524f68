"""The node's PACT host: per-client visibility of offered footprints, allow-listed callbacks, the outbox.

In process: a node (its own database) behind the real HTTP app, driven through management and PACT clients
over FastAPI's test transport. The delivery of replies over the network is tested against real processes in
tests/integration/test_pact_callbacks.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from battrace.apps.pcf.example import example_chain, product_body
from battrace.apps.pcf.pact import PactClient, PactClientError
from battrace.apps.pcf.pact.events import REQUEST_REJECTED, request_created
from battrace.connector.config import NodeSettings
from battrace.connector.node import Node
from battrace.http.app import create_app

PCF = "/management/v3/pcf"
API_KEY = "node-key"
OFFER = {"granularity": "total", "productName": "refined lithium", "massPerDeclaredUnit": "1"}


class Host:
    def __init__(self, http: TestClient) -> None:
        self.http = http

    def manage(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.http.request(method, PCF + path, json=body, headers={"X-Api-Key": API_KEY})
        assert response.status_code == expect, response.text
        return response.json()

    @contextmanager
    def client(self, client_id: str, secret: str) -> Iterator[PactClient]:
        # not closed on exit: it borrows the test client, which the fixture closes
        yield PactClient("http://testserver", client_id, secret, http=self.http)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    node = Node(NodeSettings(name="refiner", port=8798, data_dir=tmp_path, api_key=API_KEY, dev=True))
    with TestClient(create_app(node, manage_lifecycle=False)) as http:
        host = Host(http)
        host.manage("PUT", "/products/refiner", product_body(example_chain(), "refiner"))
        host.manage("POST", "/products/refiner/compute")
        yield host


def register(host: Host, client_id: str, callback: dict[str, Any] | None = None, expect: int = 201) -> Any:
    body: dict[str, Any] = {"clientId": client_id}
    if callback is not None:
        body["callback"] = callback
    return host.manage("POST", "/pact-clients", body, expect=expect)


def test_a_footprint_offered_to_one_client_does_not_exist_for_another(host: Host) -> None:
    buyer, other = register(host, "buyer")["clientSecret"], register(host, "other")["clientSecret"]
    pf_id = host.manage("POST", "/products/refiner/pact", OFFER | {"clients": ["buyer"]}, expect=201)["id"]
    with host.client("buyer", buyer) as seen:
        assert [str(pf.id) for pf in seen.list_footprints()] == [pf_id]
        assert str(seen.get_footprint(pf_id).id) == pf_id
    with host.client("other", other) as hidden:
        assert list(hidden.list_footprints()) == []
        with pytest.raises(PactClientError) as refused:
            hidden.get_footprint(pf_id)
        with pytest.raises(PactClientError) as missing:
            hidden.get_footprint(str(uuid.uuid4()))
    # the same answer as for an id that names nothing (status and code; the message only repeats the id)
    assert (refused.value.http_status, refused.value.code) == (missing.value.http_status, missing.value.code)
    assert refused.value.http_status == 404 and refused.value.code == "NotFound"


def test_a_footprint_offered_without_clients_is_seen_by_every_client(host: Host) -> None:
    secret = register(host, "anyone")["clientSecret"]
    pf_id = host.manage("POST", "/products/refiner/pact", OFFER, expect=201)["id"]
    with host.client("anyone", secret) as client:
        assert [str(pf.id) for pf in client.list_footprints()] == [pf_id]


def test_offering_the_same_footprint_again_adds_its_clients(host: Host) -> None:
    secret = register(host, "late")["clientSecret"]
    register(host, "first")
    first = host.manage("POST", "/products/refiner/pact", OFFER | {"clients": ["first"]}, expect=201)["id"]
    again = host.manage("POST", "/products/refiner/pact", OFFER | {"clients": ["late"]}, expect=201)["id"]
    assert again == first
    with host.client("late", secret) as client:
        assert str(client.get_footprint(first).id) == first


@pytest.mark.parametrize(
    "url",
    [
        "http://buyer.example/pact",
        "ftp://127.0.0.1/x",
        "https://user:pw@buyer.example",
        "https://b.example?x=1",
    ],
)
def test_a_callback_must_be_https_or_plain_http_on_loopback(host: Host, url: str) -> None:
    callback = {"baseUrl": url, "username": "u", "password": "p"}
    problem = register(host, "buyer", callback, expect=400)
    assert problem["status"] == 400


def test_a_callback_on_https_or_loopback_http_is_registered(host: Host) -> None:
    for client_id, url in (("remote", "https://buyer.example/pact"), ("local", "http://127.0.0.1:9/pact")):
        register(host, client_id, {"baseUrl": url, "username": "u", "password": "p"})


def test_a_request_from_a_client_without_a_callback_is_refused(host: Host) -> None:
    secret = register(host, "buyer")["clientSecret"]
    event = request_created(
        {"productId": ["urn:x"]}, event_id="r-1", source="https://buyer.example", time=datetime.now(UTC)
    )
    with host.client("buyer", secret) as client, pytest.raises(PactClientError) as refused:
        client.send_event(event)
    assert refused.value.http_status == 400


def test_a_request_is_recorded_in_the_outbox_before_it_is_answered(host: Host) -> None:
    # the callback points at a closed loopback port: the reply stays pending, with its deadline and attempts
    callback = {"baseUrl": "http://127.0.0.1:9", "username": "u", "password": "p"}
    secret = register(host, "buyer", callback)["clientSecret"]
    event = request_created(
        {"productId": ["urn:nothing-like-this"]},
        event_id="r-2",
        source="http://127.0.0.1:9",
        time=datetime.now(UTC),
    )
    with host.client("buyer", secret) as client:
        client.send_event(event)
    (delivery,) = host.manage("GET", "/pact-outbox")["deliveries"]
    assert delivery["recipient"] == "buyer" and delivery["type"] == REQUEST_REJECTED
    assert delivery["state"] in ("pending", "abandoned")
    created, deadline = (datetime.fromisoformat(delivery[k]) for k in ("created", "deadline"))
    assert (deadline - created).total_seconds() == 72 * 3600


def test_a_request_for_a_footprint_offered_only_to_others_is_rejected_like_a_missing_one(host: Host) -> None:
    register(host, "other")
    host.manage("POST", "/products/refiner/pact", OFFER | {"clients": ["other"]}, expect=201)
    callback = {"baseUrl": "http://127.0.0.1:9", "username": "u", "password": "p"}
    secret = register(host, "buyer", callback)["clientSecret"]
    product = product_body(example_chain(), "refiner")["productId"]
    event = request_created(
        {"productId": [product]}, event_id="r-3", source="http://127.0.0.1:9", time=datetime.now(UTC)
    )
    with host.client("buyer", secret) as client:
        client.send_event(event)
    (delivery,) = host.manage("GET", "/pact-outbox")["deliveries"]
    assert delivery["type"] == REQUEST_REJECTED and delivery["requestEventId"] == "r-3"


def test_the_outbox_listing_refuses_an_unknown_state(host: Host) -> None:
    assert host.manage("GET", "/pact-outbox?state=lost", expect=400)["status"] == 400
