"""PACT v3 conformance cases (pact-conformance-service docs/v3-test-cases-expected-results.md), one test each.

They run against a real uvicorn server over HTTPS. The requests are the ones the conformance service sends
(src/test-cases/v3-test-cases.ts): filter values taken from the *first* listed footprint and sent un-encoded,
the RequestCreatedEvent's `source` naming the requester, whose `/3/events` then receives the callback (#13,
#14.B). The requester here is a second small server that, like the conformance service, issues its own token
and records what reaches it.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import ssl
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from battrace.apps.pcf.pact import (
    CallbackDispatcher,
    ClientCredentials,
    InMemoryFootprintRepository,
    Recipient,
    pact_router,
    parse_footprint,
)
from battrace.apps.pcf.pact.events import Event

from .conftest import FOOTPRINTS, Server, TestClock, https_client, schema_errors

CLIENT_ID, CLIENT_SECRET = "recipient-1", "recipient-1-secret"
# The credentials the host holds at the requester (the conformance service's are fixed likewise).
CALLBACK_ID, CALLBACK_SECRET = "test_client_id", "test_client_secret"
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
CREATED = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"
PUBLISHED = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"
EVENT_HEADERS = {"Content-Type": "application/cloudevents+json; charset=UTF-8"}


@dataclass
class Requester:
    """The data recipient's side: a token endpoint and an event endpoint that records what it receives."""

    tokens: set[str] = field(default_factory=set)
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/auth/token")
        async def token(request: Request) -> Response:
            expected = base64.b64encode(f"{CALLBACK_ID}:{CALLBACK_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            issued = secrets.token_hex(8)
            self.tokens.add(issued)
            return JSONResponse({"access_token": issued, "token_type": "Bearer", "expires_in": 3600})

        @app.post("/3/events")
        async def receive(request: Request) -> Response:
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            if bearer not in self.tokens:
                return JSONResponse({"code": "BadRequest", "message": "Invalid token"}, status_code=401)
            self.received.append(
                {"path": request.url.path, "headers": dict(request.headers), "body": await request.json()}
            )
            return Response(status_code=200)

        return app

    def answer_to(self, request_id: str) -> dict[str, Any]:
        answers = [r for r in self.received if r["body"].get("data", {}).get("requestEventId") == request_id]
        assert len(answers) == 1, f"expected exactly one answer to {request_id}, got {len(answers)}"
        return answers[0]


@dataclass
class Setup:
    host: Server
    requester: Requester
    requester_url: str
    dispatcher: CallbackDispatcher
    inbox: list[tuple[Event, str]]
    clock: TestClock

    @property
    def base(self) -> str:
        return self.host.url


@pytest.fixture(scope="module")
def setup(tls_files: tuple[Path, Path], trust: ssl.SSLContext) -> Iterator[Setup]:
    clock = TestClock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC))
    requester = Requester()
    with Server(requester.app(), tls_files) as requester_server:
        recipients = [
            Recipient(
                source=requester_server.url,
                base_url=requester_server.url,
                username=CALLBACK_ID,
                password=CALLBACK_SECRET,
                client_id=CLIENT_ID,
            )
        ]
        dispatcher = CallbackDispatcher(recipients, clock=clock, http=lambda: https_client(trust))
        inbox: list[tuple[Event, str]] = []
        app = FastAPI()
        app.include_router(
            pact_router(
                InMemoryFootprintRepository([parse_footprint(pf) for pf in FOOTPRINTS]),
                credentials=ClientCredentials({CLIENT_ID: CLIENT_SECRET}, clock=clock),
                clock=clock,
                callbacks=dispatcher,
                inbox=lambda event, caller: inbox.append((event, caller)),
            )
        )
        with Server(app, tls_files) as host:
            yield Setup(host, requester, requester_server.url, dispatcher, inbox, clock)
        dispatcher.stop()


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


@pytest.fixture(scope="module")
def token(setup: Setup, trust: ssl.SSLContext) -> str:
    with https_client(trust) as client:
        response = client.post(
            f"{setup.base}/auth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(CLIENT_ID, CLIENT_SECRET),
        )
    value: str = response.json()["access_token"]
    return value


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def first(setup: Setup, token: str, trust: ssl.SSLContext) -> dict[str, Any]:
    """The first listed footprint: the conformance service takes every filter value from it."""
    with https_client(trust) as client:
        data: list[dict[str, Any]] = client.get(
            f"{setup.base}/3/footprints", headers={"Authorization": f"Bearer {token}"}
        ).json()["data"]
    return data[0]


def list_with(setup: Setup, http: httpx.Client, auth: dict[str, str], query: str) -> httpx.Response:
    """GET /3/footprints with the query string sent as the conformance service writes it (not encoded)."""
    return http.get(httpx.URL(f"{setup.base}/3/footprints?{query}"), headers=auth)


def no_data_over_plain_http(http: httpx.Client, method: str, url: str, **kwargs: Any) -> None:
    """#9–#11, #17: a plain-HTTP call must fail, or at least carry no token and no data."""
    plain = url.replace("https://", "http://")
    try:
        response = http.request(method, plain, **kwargs)
    except httpx.TransportError:
        return
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    assert "data" not in body and "access_token" not in body


def assert_error(
    response: httpx.Response, statuses: tuple[int, ...], code: str, openapi: dict[str, Any]
) -> None:
    assert response.status_code in statuses
    assert response.json()["code"] == code
    assert schema_errors(openapi, "Error", response.json()) == []


# -- authentication ---------------------------------------------------------------------------------


def test_testcase_1_obtain_auth_token_with_valid_credentials(setup: Setup, http: httpx.Client) -> None:
    response = http.post(
        f"{setup.base}/auth/token",
        content="grant_type=client_credentials",
        headers={**basic(CLIENT_ID, CLIENT_SECRET), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"] and body["token_type"].lower() == "bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert response.headers["cache-control"] == "no-store"


def test_testcase_2_obtain_auth_token_with_invalid_credentials(setup: Setup, http: httpx.Client) -> None:
    for headers in (
        basic(CLIENT_ID, "wrong"),
        basic("nobody", CLIENT_SECRET),
        {"Authorization": "Basic %%%"},
        {},
    ):
        response = http.post(
            f"{setup.base}/auth/token", data={"grant_type": "client_credentials"}, headers=headers
        )
        assert response.status_code in (400, 401)
        assert response.json()["error"] == "invalid_client"
        assert "access_token" not in response.json()


def test_a_token_request_with_another_grant_type_is_refused(setup: Setup, http: httpx.Client) -> None:
    response = http.post(
        f"{setup.base}/auth/token", data={"grant_type": "password"}, headers=basic(CLIENT_ID, CLIENT_SECRET)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_testcase_9_authentication_over_plain_http_gives_no_token(setup: Setup, http: httpx.Client) -> None:
    no_data_over_plain_http(
        http,
        "POST",
        f"{setup.base}/auth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(CLIENT_ID, CLIENT_SECRET),
    )


def test_testcase_18_openid_connect_discovery_names_a_working_token_endpoint(
    setup: Setup, http: httpx.Client
) -> None:
    discovery = http.get(f"{setup.base}/.well-known/openid-configuration")
    assert discovery.status_code == 200
    endpoint = discovery.json()["token_endpoint"]
    assert endpoint.startswith(setup.base)
    response = http.post(
        endpoint, data={"grant_type": "client_credentials"}, headers=basic(CLIENT_ID, CLIENT_SECRET)
    )
    assert response.status_code == 200 and response.json()["access_token"]


def test_testcase_19_openid_connect_token_endpoint_refuses_wrong_credentials(
    setup: Setup, http: httpx.Client
) -> None:
    endpoint = http.get(f"{setup.base}/.well-known/openid-configuration").json()["token_endpoint"]
    response = http.post(
        endpoint, data={"grant_type": "client_credentials"}, headers=basic(CLIENT_ID, "nope")
    )
    assert response.status_code in (400, 401)


# -- GetFootprint / ListFootprints --------------------------------------------------------------------


def test_testcase_3_get_footprint(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any], openapi: dict[str, Any]
) -> None:
    response = http.get(f"{setup.base}/3/footprints/{first['id']}", headers=auth)
    assert response.status_code == 200
    assert response.json()["data"]["id"] == first["id"]
    assert schema_errors(openapi, "ProductFootprint", response.json()["data"]) == []


def test_testcase_4_list_footprints_returns_all_of_them(
    setup: Setup, http: httpx.Client, auth: dict[str, str], openapi: dict[str, Any]
) -> None:
    response = http.get(f"{setup.base}/3/footprints", headers=auth)
    assert response.status_code in (200, 202)
    data = response.json()["data"]
    assert sorted(pf["id"] for pf in data) == sorted(pf["id"] for pf in FOOTPRINTS)
    for pf in data:
        assert schema_errors(openapi, "ProductFootprint", pf) == []
        assert DATE_TIME.match(pf["created"]) and DATE_TIME.match(pf["pcf"]["referencePeriodEnd"])


def test_testcase_5_pagination_links_lead_through_every_footprint_once(
    setup: Setup, http: httpx.Client, auth: dict[str, str]
) -> None:
    seen: list[str] = []
    response = http.get(f"{setup.base}/3/footprints", params={"limit": 1}, headers=auth)
    while True:
        assert response.status_code == 200
        assert len(response.json()["data"]) <= 1  # MUST NOT return more than `limit`
        seen += [pf["id"] for pf in response.json()["data"]]
        link = response.headers.get("link")
        if link is None:
            break
        target = re.fullmatch(r'<([^>]+)>; rel="next"', link)
        assert target, link
        assert target.group(1).startswith(f"{setup.base}/3/footprints?")  # absolute, same host
        again = http.get(target.group(1), headers=auth)  # a link may be called more than once
        response = http.get(target.group(1), headers=auth)
        assert again.json() == response.json()
    assert sorted(seen) == sorted(pf["id"] for pf in FOOTPRINTS)


def test_pagination_keeps_the_filters(setup: Setup, http: httpx.Client, auth: dict[str, str]) -> None:
    response = http.get(f"{setup.base}/3/footprints", params={"limit": 1, "status": "Active"}, headers=auth)
    ids = [pf["id"] for pf in response.json()["data"]]
    while "link" in response.headers:
        response = http.get(response.headers["link"][1:].split(">")[0], headers=auth)
        ids += [pf["id"] for pf in response.json()["data"]]
    assert sorted(ids) == sorted(pf["id"] for pf in FOOTPRINTS if pf["status"] == "Active")


@pytest.mark.parametrize("limit", ["0", "-1", "ten", "1.5"])
def test_a_bad_limit_is_a_bad_request(
    setup: Setup, http: httpx.Client, auth: dict[str, str], limit: str, openapi: dict[str, Any]
) -> None:
    assert_error(
        http.get(f"{setup.base}/3/footprints", params={"limit": limit}, headers=auth),
        (400,),
        "BadRequest",
        openapi,
    )


def test_testcase_6_list_footprints_with_an_invalid_token(
    setup: Setup, http: httpx.Client, openapi: dict[str, Any]
) -> None:
    response = http.get(
        f"{setup.base}/3/footprints", headers={"Authorization": "Bearer very-invalid-access-token-x"}
    )
    assert_error(response, (400, 401), "BadRequest", openapi)


def test_testcase_7_get_footprint_with_an_invalid_token(
    setup: Setup, http: httpx.Client, first: dict[str, Any], openapi: dict[str, Any]
) -> None:
    response = http.get(
        f"{setup.base}/3/footprints/{first['id']}", headers={"Authorization": "Bearer invalid"}
    )
    assert_error(response, (400, 401), "BadRequest", openapi)
    assert "data" not in response.json()


def test_an_expired_token_is_refused_with_token_expired(
    setup: Setup, http: httpx.Client, openapi: dict[str, Any]
) -> None:
    issued = http.post(
        f"{setup.base}/auth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(CLIENT_ID, CLIENT_SECRET),
    ).json()
    setup.clock.advance(seconds=issued["expires_in"] + 1)
    try:
        response = http.get(
            f"{setup.base}/3/footprints", headers={"Authorization": f"Bearer {issued['access_token']}"}
        )
    finally:
        setup.clock.advance(seconds=-(issued["expires_in"] + 1))
    assert_error(response, (401,), "TokenExpired", openapi)


@pytest.mark.parametrize("pf_id", ["random-string-as-id-Zk3", "00000000-0000-0000-0000-000000000000"])
def test_testcase_8_get_footprint_with_a_non_existent_id(
    setup: Setup, http: httpx.Client, auth: dict[str, str], pf_id: str, openapi: dict[str, Any]
) -> None:
    assert_error(
        http.get(f"{setup.base}/3/footprints/{pf_id}", headers=auth), (400, 404), "NotFound", openapi
    )


def test_testcase_10_list_footprints_over_plain_http_gives_no_data(
    setup: Setup, http: httpx.Client, auth: dict[str, str]
) -> None:
    no_data_over_plain_http(http, "GET", f"{setup.base}/3/footprints", headers=auth)


def test_testcase_11_get_footprint_over_plain_http_gives_no_data(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any]
) -> None:
    no_data_over_plain_http(http, "GET", f"{setup.base}/3/footprints/{first['id']}", headers=auth)


def test_a_deprecated_footprint_is_still_returned_by_get(
    setup: Setup, http: httpx.Client, auth: dict[str, str]
) -> None:
    deprecated = next(pf for pf in FOOTPRINTS if pf["status"] == "Deprecated")
    response = http.get(f"{setup.base}/3/footprints/{deprecated['id']}", headers=auth)
    assert response.status_code == 200 and response.json()["data"]["status"] == "Deprecated"


# -- events ---------------------------------------------------------------------------------------


def request_created(setup: Setup, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": setup.requester_url,
        "time": "2026-03-01T12:00:00.000Z",
        "type": CREATED,
        "data": data,
    }


def published(setup: Setup, pf_ids: list[str]) -> dict[str, Any]:
    return {
        "type": PUBLISHED,
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": setup.requester_url,
        "time": "2026-03-01T12:00:00Z",
        "data": {"pfIds": pf_ids},
    }


def post_event(
    setup: Setup, http: httpx.Client, auth: dict[str, str], event: dict[str, Any]
) -> httpx.Response:
    return http.post(f"{setup.base}/3/events", json=event, headers={**EVENT_HEADERS, **auth})


def assert_callback_envelope(
    answer: dict[str, Any], kind: str, request_id: str, setup: Setup
) -> dict[str, Any]:
    """What the conformance service's listener checks: path, headers, type, envelope, requestEventId."""
    assert answer["path"] == "/3/events"
    assert answer["headers"]["content-type"].startswith("application/cloudevents+json")
    assert answer["headers"]["authorization"].removeprefix("Bearer ") in setup.requester.tokens
    body: dict[str, Any] = answer["body"]
    assert body["type"] == f"org.wbcsd.pact.ProductFootprint.{kind}.3"
    assert body["specversion"] == "1.0" and body["id"] and body["source"]
    assert DATE_TIME.match(body["time"])
    assert body["data"]["requestEventId"] == request_id
    return body


def test_testcase_12_and_13_a_request_is_accepted_and_fulfilled_by_a_callback(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any], openapi: dict[str, Any]
) -> None:
    event_id = f"run-{uuid.uuid4()}-12"
    response = post_event(
        setup, http, auth, request_created(setup, event_id, {"productId": first["productIds"]})
    )
    assert response.status_code == 200  # TESTCASE#12
    assert response.content == b""
    assert setup.dispatcher.wait_idle(timeout=20)
    body = assert_callback_envelope(
        setup.requester.answer_to(event_id), "RequestFulfilledEvent", event_id, setup
    )
    assert schema_errors(openapi, "RequestFulfilledEvent", body) == []  # TESTCASE#13
    returned = {pid for pf in body["data"]["pfs"] for pid in pf["productIds"]}
    assert returned & set(first["productIds"])
    assert all(set(pf["productIds"]) & set(first["productIds"]) for pf in body["data"]["pfs"])


def test_testcase_14_a_and_b_a_request_for_an_unknown_product_is_rejected_by_a_callback(
    setup: Setup, http: httpx.Client, auth: dict[str, str], openapi: dict[str, Any]
) -> None:
    event_id = f"run-{uuid.uuid4()}-14.A"
    response = post_event(
        setup, http, auth, request_created(setup, event_id, {"productId": ["urn:pact:null"]})
    )
    assert response.status_code == 200  # TESTCASE#14.A
    assert setup.dispatcher.wait_idle(timeout=20)
    body = assert_callback_envelope(
        setup.requester.answer_to(event_id), "RequestRejectedEvent", event_id, setup
    )
    assert schema_errors(openapi, "RequestRejectedEvent", body) == []  # TESTCASE#14.B
    assert body["data"]["error"]["code"] and body["data"]["error"]["message"]


def test_a_repeated_request_event_is_answered_once(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any]
) -> None:
    event = request_created(setup, f"run-{uuid.uuid4()}-dup", {"productId": first["productIds"][:1]})
    assert post_event(setup, http, auth, event).status_code == 200
    assert post_event(setup, http, auth, event).status_code == 200
    assert setup.dispatcher.wait_idle(timeout=20)
    setup.requester.answer_to(event["id"])  # asserts exactly one


def test_a_request_naming_an_unregistered_source_is_refused_at_once(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any], openapi: dict[str, Any]
) -> None:
    event = request_created(setup, "run-elsewhere", {"productId": first["productIds"]})
    event["source"] = "https://attacker.example/collect"
    assert_error(post_event(setup, http, auth, event), (400,), "BadRequest", openapi)


def test_a_request_without_any_criterion_is_refused_at_once(
    setup: Setup, http: httpx.Client, auth: dict[str, str], openapi: dict[str, Any]
) -> None:
    event = request_created(setup, "run-empty", {"comment": "anything"})
    assert_error(post_event(setup, http, auth, event), (400,), "BadRequest", openapi)


def test_testcase_15_a_published_event_is_accepted(
    setup: Setup, http: httpx.Client, auth: dict[str, str]
) -> None:
    unknown = "3a6c14a7-4deb-498a-b5ea-16ce2535b576"
    response = post_event(setup, http, auth, published(setup, [unknown]))
    assert response.status_code == 200
    assert response.content == b""
    received = [event for event, caller in setup.inbox if caller == CLIENT_ID]
    assert [str(i) for i in received[-1].data.pfIds] == [unknown]  # type: ignore[union-attr]


def test_testcase_16_events_with_an_invalid_token(
    setup: Setup, http: httpx.Client, openapi: dict[str, Any]
) -> None:
    response = post_event(
        setup, http, {"Authorization": "Bearer very-invalid"}, published(setup, [str(uuid.uuid4())])
    )
    assert_error(response, (400, 401), "BadRequest", openapi)


def test_testcase_17_events_over_plain_http_are_not_accepted(
    setup: Setup, http: httpx.Client, auth: dict[str, str]
) -> None:
    event = published(setup, [str(uuid.uuid4())])
    no_data_over_plain_http(
        http, "POST", f"{setup.base}/3/events", json=event, headers={**EVENT_HEADERS, **auth}
    )


def test_testcase_40_a_published_event_with_urns_for_pf_ids_is_a_bad_request(
    setup: Setup, http: httpx.Client, auth: dict[str, str], openapi: dict[str, Any]
) -> None:
    response = post_event(setup, http, auth, published(setup, ["urn:gtin:4712345060507"]))
    assert_error(response, (400,), "BadRequest", openapi)


def test_testcase_40_as_documented_an_odata_filter_is_a_bad_request(
    setup: Setup, http: httpx.Client, auth: dict[str, str], openapi: dict[str, Any]
) -> None:
    # The expected-results document describes #40 as a v2 `$filter` request answered with 400.
    response = list_with(setup, http, auth, "$filter=created ge '2023-01-15T10:15:30Z'")
    assert_error(response, (400,), "BadRequest", openapi)


@pytest.mark.parametrize(
    "event",
    [
        {"type": "org.wbcsd.pact.ProductFootprint.Unknown.3", "specversion": "1.0", "id": "x", "source": "s"},
        {
            "type": PUBLISHED,
            "specversion": "1.0",
            "id": "x",
            "source": "s",
            "time": "yesterday",
            "data": {"pfIds": []},
        },
        {"type": PUBLISHED, "specversion": "1.0", "source": "s", "time": "2026-01-01T00:00:00Z", "data": {}},
        [1, 2, 3],
    ],
    ids=["unknown type", "bad time", "no id", "not an object"],
)
def test_an_invalid_event_is_a_bad_request(
    setup: Setup, http: httpx.Client, auth: dict[str, str], event: Any, openapi: dict[str, Any]
) -> None:
    response = http.post(f"{setup.base}/3/events", json=event, headers={**EVENT_HEADERS, **auth})
    assert_error(response, (400,), "BadRequest", openapi)


def test_a_fulfilled_event_from_an_owner_reaches_the_inbox(
    setup: Setup, http: httpx.Client, auth: dict[str, str]
) -> None:
    event = {
        "type": "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3",
        "specversion": "1.0",
        "id": "answer-1",
        "source": "//owner.example/3/events",
        "time": "2026-03-01T12:00:00Z",
        "data": {"requestEventId": "req-1", "pfs": [FOOTPRINTS[1]]},
    }
    assert post_event(setup, http, auth, event).status_code == 200
    last, caller = setup.inbox[-1]
    assert caller == CLIENT_ID and last.data.pfs[0].to_json() == FOOTPRINTS[1]  # type: ignore[union-attr]


# -- filters: positive cases (#20–#29) take their values from the first footprint ---------------------


def filter_values(first: dict[str, Any]) -> dict[str, str]:
    def shift(text: str, days: int) -> str:
        moment = dt.datetime.fromisoformat(text) + dt.timedelta(days=days)
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # JavaScript's toISOString()

    return {
        "productId": first["productIds"][0],
        "companyId": first["companyIds"][0],
        "geography": first["pcf"]["geographyCountry"],
        "classification": first["productClassifications"][0],
        "validOn": first["validityPeriodStart"],
        "validAfter": shift(first["validityPeriodStart"], -1),
        "validBefore": shift(first["validityPeriodEnd"], 1),
        "status": first["status"],
    }


def matches(pf: dict[str, Any], name: str, value: str) -> bool:
    """The conformance service's own check of one returned footprint (`every` over the result)."""
    start = dt.datetime.fromisoformat(pf.get("validityPeriodStart") or pf["pcf"]["referencePeriodEnd"])
    end_text = pf.get("validityPeriodEnd")
    end = dt.datetime.fromisoformat(end_text) if end_text else start.replace(year=start.year + 3)
    moment = dt.datetime.fromisoformat(value) if name.startswith("valid") else None
    checks: dict[str, Callable[[], bool]] = {
        "productId": lambda: value in pf["productIds"],
        "companyId": lambda: value in pf["companyIds"],
        "geography": lambda: (
            value
            in (
                pf["pcf"].get(g)
                for g in ("geographyCountry", "geographyRegionOrSubregion", "geographyCountrySubdivision")
            )
        ),
        "classification": lambda: value in pf.get("productClassifications", []),
        "validOn": lambda: moment is not None and start <= moment <= end,
        "validAfter": lambda: moment is not None and start > moment,
        "validBefore": lambda: moment is not None and end < moment,
        "status": lambda: pf["status"] == value,
    }
    return bool(checks[name]())


@pytest.mark.parametrize(
    ("case", "name"),
    [
        ("20", "productId"),
        ("21", "companyId"),
        ("22", "geography"),
        ("23", "classification"),
        ("24", "validOn"),
        ("25", "validAfter"),
        ("26", "validBefore"),
        ("27", "status"),
    ],
)
def test_testcases_20_to_27_a_filter_returns_only_matching_footprints_and_the_first_one(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any], case: str, name: str
) -> None:
    value = filter_values(first)[name]
    response = list_with(setup, http, auth, f"{name}={value}")
    assert response.status_code == 200, f"TESTCASE#{case}"
    data = response.json()["data"]
    assert all(matches(pf, name, value) for pf in data), f"TESTCASE#{case}"
    assert first["id"] in {pf["id"] for pf in data}, f"TESTCASE#{case}: the footprint the value came from"
    expected = {pf["id"] for pf in FOOTPRINTS if matches(pf, name, value)}
    assert {pf["id"] for pf in data} == expected


def test_testcase_28_status_and_product_id_combine_with_and(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any]
) -> None:
    values = filter_values(first)
    data = list_with(setup, http, auth, f"status={values['status']}&productId={values['productId']}").json()[
        "data"
    ]
    assert data and all(
        pf["status"] == values["status"] and values["productId"] in pf["productIds"] for pf in data
    )
    # AND, not OR: the deprecated calculation of the same product is the only Deprecated match.
    deprecated = list_with(setup, http, auth, f"status=Deprecated&productId={values['productId']}").json()[
        "data"
    ]
    expected = {
        pf["id"]
        for pf in FOOTPRINTS
        if pf["status"] == "Deprecated" and values["productId"] in pf["productIds"]
    }
    assert expected and {pf["id"] for pf in deprecated} == expected


def test_testcase_29_repeated_company_ids_combine_with_or(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any]
) -> None:
    company = filter_values(first)["companyId"]
    response = list_with(setup, http, auth, f"companyId={company}&companyId=k2Hq81Zb&companyId=Pq0aLm3x")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data and all(company in pf["companyIds"] for pf in data)
    both = list_with(
        setup, http, auth, f"companyId={company}&companyId={FOOTPRINTS[1]['companyIds'][0]}"
    ).json()["data"]
    assert {pf["id"] for pf in both} > {pf["id"] for pf in data}


def test_filter_names_and_values_match_case_insensitively(
    setup: Setup, http: httpx.Client, auth: dict[str, str], first: dict[str, Any]
) -> None:
    product = first["productIds"][0]
    upper = list_with(setup, http, auth, f"PRODUCTID={product.upper()}").json()["data"]
    assert first["id"] in {pf["id"] for pf in upper}
    assert (
        list_with(setup, http, auth, "geography=jp-13").json()["data"][0]["pcf"][
            "geographyCountrySubdivision"
        ]
        == "JP-13"
    )


def test_a_region_filter_matches_a_region_footprint(
    setup: Setup, http: httpx.Client, auth: dict[str, str]
) -> None:
    data = list_with(setup, http, auth, "geography=Europe").json()["data"]
    assert [pf["pcf"].get("geographyRegionOrSubregion") for pf in data] == ["Europe"]


def test_an_unparseable_date_filter_is_a_bad_request(
    setup: Setup, http: httpx.Client, auth: dict[str, str], openapi: dict[str, Any]
) -> None:
    assert_error(list_with(setup, http, auth, "validOn=last-tuesday"), (400,), "BadRequest", openapi)


# -- filters: negative cases (#30–#39) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "query"),
    [
        ("30", "productId=urn:bogus:product:Xc81LmQ0aa9dzz31"),
        ("31", "companyId=urn:bogus:company:Xc81LmQ0aa9dzz31"),
        ("32", "geography=XX"),
        ("33", "classification=urn:bogus:classification:Xc81LmQ0aa9dzz31"),
        ("34", "validOn=1900-01-01T00:00:00Z"),
        ("35", "validAfter=2099-12-31T23:59:59Z"),
        ("36", "validBefore=1900-01-01T00:00:00Z"),
        ("37", "status=BogusStatusQ1w2e3r4"),
        ("38", "companyId=urn:bogus:company:Ab12Cd34&productId=urn:bogus:product:Xc81LmQ0aa9dzz31"),
        (
            "39",
            "companyId=urn:bogus:company:a1&companyId=urn:bogus:company:b2&companyId=urn:bogus:company:c3",
        ),
    ],
)
def test_testcases_30_to_39_a_bogus_filter_returns_an_empty_list(
    setup: Setup, http: httpx.Client, auth: dict[str, str], case: str, query: str
) -> None:
    response = list_with(setup, http, auth, query)
    assert response.status_code == 200, f"TESTCASE#{case}"
    assert response.json() == {"data": []}, f"TESTCASE#{case}"
