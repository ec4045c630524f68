"""PACT v3 asynchronous requests between real processes: a buyer's RequestCreatedEvent is answered by a
callback to the buyer's own PACT host, also after the provider node was killed between accepting the request
and delivering the reply.

The provider is a `battrace serve` process (its own database); the buyer's PACT host is a small HTTP server in
the test process on loopback (plain http is allowed there only), with a token endpoint that checks the
credentials the operator registered with the callback, and an event endpoint that can be told to fail.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from battrace.apps.pcf.example import example_chain, product_body
from battrace.apps.pcf.pact import PactClient
from battrace.apps.pcf.pact.events import REQUEST_FULFILLED, request_created
from battrace.devnet import NodeProcess

from .conftest import free_port

PCF = "/management/v3/pcf"
BASIC = "Basic YnV5ZXItYXQtcHJvdmlkZXI6Y2FsbGJhY2stcGFzc3dvcmQ="  # buyer-at-provider:callback-password
PRODUCT = "urn:battrace:example:product:lithium-hydroxide"


@dataclass
class BuyerHost:
    """The buyer's PACT host: what the provider's replies arrive at."""

    failing: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/auth/token")
        async def token(request: Request) -> JSONResponse:
            if request.headers.get("authorization") != BASIC:
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            return JSONResponse({"access_token": "buyer-token", "token_type": "Bearer"})

        @app.post("/3/events")
        async def events(request: Request) -> Response:
            if request.headers.get("authorization") != "Bearer buyer-token":
                return Response(status_code=401)
            with self.lock:
                if self.failing:
                    self.refused += 1
                    return Response(status_code=503)
                self.received.append(await request.json())
            return Response(status_code=200)

        return app

    def reply_to(self, request_id: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for event in self.received:
                    if event.get("data", {}).get("requestEventId") == request_id:
                        return event
            time.sleep(0.1)
        raise AssertionError(f"no reply to {request_id} within {timeout} s")


@pytest.fixture(scope="module")
def buyer() -> Iterator[tuple[BuyerHost, str]]:
    host = BuyerHost()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(host.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield host, url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Provider:
    node: NodeProcess
    secret: str

    def call(self, method: str, path: str, body: Any = None) -> Any:
        with self.node.client() as client:
            return client.call(method, PCF + path, body, expect=(200, 201))

    def wait_for_attempt(self, request_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """The pending reply to ``request_id`` once at least one attempt of it is recorded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for delivery in self.call("GET", "/pact-outbox?state=pending")["deliveries"]:
                if delivery["requestEventId"] == request_id and delivery["attempt"] >= 1:
                    return dict(delivery)
            time.sleep(0.1)
        raise AssertionError(f"no failed attempt of the reply to {request_id} recorded within {timeout} s")

    def request(self, request_id: str, buyer_url: str) -> None:
        event = request_created(
            {"productId": [PRODUCT]}, event_id=request_id, source=buyer_url, time=datetime.now(UTC)
        )
        with PactClient(self.node.base_url, "buyer", self.secret) as client:
            client.send_event(event)


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory, buyer: tuple[BuyerHost, str]) -> Iterator[Provider]:
    root: Path = tmp_path_factory.mktemp("pact-callbacks")
    node = NodeProcess("refiner", free_port(), root).start(timeout=90)
    try:
        with node.client() as client:
            client.call("PUT", f"{PCF}/products/refiner", product_body(example_chain(), "refiner"))
            client.call("POST", f"{PCF}/products/refiner/compute", expect=(200,))
            callback = {"baseUrl": buyer[1], "username": "buyer-at-provider", "password": "callback-password"}
            registered = client.call(
                "POST", f"{PCF}/pact-clients", {"clientId": "buyer", "callback": callback}, expect=(201,)
            )
            offer = {"productName": "lithium hydroxide", "massPerDeclaredUnit": "1", "clients": ["buyer"]}
            client.call("POST", f"{PCF}/products/refiner/pact", offer, expect=(201,))
        yield Provider(node, registered["clientSecret"])
    finally:
        node.stop()


def test_a_request_is_answered_with_the_footprint_offered_to_the_requester(
    provider: Provider, buyer: tuple[BuyerHost, str]
) -> None:
    host, url = buyer
    provider.request("request-1", url)
    reply = host.reply_to("request-1")
    assert reply["type"] == REQUEST_FULFILLED
    (pf,) = reply["data"]["pfs"]
    assert pf["productIds"] == [PRODUCT]
    assert reply["source"] == f"{provider.node.base_url}/3/events"


def test_a_reply_accepted_before_the_provider_was_killed_is_delivered_after_its_restart(
    provider: Provider, buyer: tuple[BuyerHost, str]
) -> None:
    host, url = buyer
    host.failing = True
    provider.request("request-2", url)
    tried = provider.wait_for_attempt("request-2")  # the provider recorded its first, failed attempt
    assert host.refused >= 1
    provider.node.kill()
    host.failing = False
    provider.node.start(timeout=90)
    reply = host.reply_to("request-2")
    assert reply["type"] == REQUEST_FULFILLED
    delivered = provider.call("GET", "/pact-outbox?state=delivered")["deliveries"]
    (record,) = [d for d in delivered if d["eventId"] == reply["id"]]
    # the failed attempt(s) before the kill were counted, not forgotten; the deadline did not move
    assert record["attempt"] > tried["attempt"] and record["deadline"] == tried["deadline"]
    pending = provider.call("GET", "/pact-outbox?state=pending")["deliveries"]
    assert pending == []


def test_the_management_api_refuses_a_callback_outside_loopback_over_plain_http(provider: Provider) -> None:
    body = {
        "clientId": "elsewhere",
        "callback": {"baseUrl": "http://10.0.0.8/pact", "username": "u", "password": "p"},
    }
    response = httpx.post(
        f"{provider.node.base_url}{PCF}/pact-clients",
        json=body,
        headers={"X-Api-Key": provider.node.api_key},
        timeout=10,
    )
    assert response.status_code == 400
