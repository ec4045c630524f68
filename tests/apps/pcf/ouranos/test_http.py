"""The Ouranos API over HTTP, called the way the OpenAPI lays it out (query-string routed)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from battrace.apps.pcf.ouranos.http import ouranos_router

from .conftest import API_KEY, PASSWORD, A, B, C, World, cfp_rows

DT = "/api/v1/datatransport"


def app_for(world: World) -> FastAPI:
    app = FastAPI()
    app.include_router(ouranos_router(world.service, auth=world.auth))
    return app


@pytest.fixture
def client(world: World) -> TestClient:
    return TestClient(app_for(world))


def login(client: TestClient, number: str) -> dict[str, str]:
    response = client.post(
        "/auth/login",
        json={"operatorAccountId": f"{number}@example.com", "accountPassword": PASSWORD},
        headers={"apiKey": API_KEY},
    )
    assert response.status_code == 201
    return {"apiKey": API_KEY, "Authorization": f"Bearer {response.json()['accessToken']}"}


def part_body(operator_id: str, plant_id: str, name: str, **extra: Any) -> dict[str, Any]:
    body = {
        "traceId": None,
        "operatorId": operator_id,
        "plantId": plant_id,
        "partsName": name,
        "supportPartsName": None,
        "terminatedFlag": False,
        "amountRequired": None,
        "amountRequiredUnit": None,
    }
    return body | extra


def test_two_companies_trade_a_cfp_over_http(client: TestClient, world: World) -> None:
    a, b = login(client, "1000000000001"), login(client, "2000000000002")
    structure = client.put(
        f"{DT}?dataTarget=partsStructure",
        headers=a,
        json={
            "parentPartsModel": part_body(A, world.plant(A), "CELL-01"),
            "childrenPartsModel": [
                part_body(A, world.plant(A), "CATHODE-IN", amountRequired=3, amountRequiredUnit="kilogram")
            ],
        },
    )
    assert structure.status_code == 201, structure.text
    cell = structure.json()["parentPartsModel"]["traceId"]
    child = structure.json()["childrenPartsModel"][0]["traceId"]
    rows = [
        r.model_dump(mode="json")
        for r in cfp_rows(cell, pre=(1, 0), main=(0.5, 0), pre_dqr=(1, 1, 1), main_dqr=(2, 2, 2))
    ]
    assert client.put(f"{DT}?dataTarget=cfp", headers=a, json=rows).status_code == 201

    request = client.put(
        f"{DT}?dataTarget=tradeRequest",
        headers=a,
        json={
            "tradeModel": {
                "tradeId": None,
                "downstreamOperatorId": A,
                "downstreamTraceId": child,
                "upstreamOperatorId": B,
                "upstreamTraceId": None,
            },
            "statusModel": {
                "statusId": None,
                "tradeId": None,
                "requestStatus": {},
                "message": "ご回答をお願いします",
                "replyMessage": None,
                "requestType": "CFP",
                "responseDueDate": "2026-06-30",
            },
        },
    )
    assert request.status_code == 201, request.text
    trade_id = request.json()["tradeModel"]["tradeId"]

    inbox = client.get(f"{DT}?dataTarget=tradeResponse", headers=b).json()
    assert [t["tradeModel"]["tradeId"] for t in inbox] == [trade_id]
    assert inbox[0]["partsModel"]["amountRequired"] is None  # the buyer's quantity is not disclosed

    material = client.put(
        f"{DT}?dataTarget=parts",
        headers=b,
        json=part_body(B, world.plant(B), "CATHODE-MAT", terminatedFlag=True),
    ).json()["traceId"]
    linked = client.put(f"{DT}?dataTarget=tradeResponse&tradeId={trade_id}&traceId={material}", headers=b)
    assert linked.status_code == 201 and linked.json()["upstreamTraceId"] == material
    rows = [
        r.model_dump(mode="json")
        for r in cfp_rows(material, pre=(2, 0), main=(1, 0), pre_dqr=(2, 2, 2), main_dqr=(4, 4, 4))
    ]
    assert client.put(f"{DT}?dataTarget=cfp", headers=b, json=rows).status_code == 201
    world.service.grant(B, material, A, ["TOTALCFP", "TOTALDQR"])

    got = client.get(f"{DT}?dataTarget=cfp&traceIds={cell},{child}", headers=a)
    assert got.status_code == 200
    values = {(r["traceId"], r["cfpType"]): r["ghgEmission"] for r in got.json()}
    assert values[(cell, "preComponentTotal")] == 6  # 3 kg x 2.0
    assert values[(child, "preProductionResponse")] == 2
    assert "x-track" in got.headers


def test_every_call_needs_the_platform_api_key(client: TestClient) -> None:
    response = client.get(
        "/api/v1/authInfo?dataTarget=operator", headers={"apiKey": "guessed", "Authorization": "Bearer x"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "[auth] AccessDenied"
    assert response.json()["message"] == "Invalid key"


def test_a_data_call_without_an_access_token_is_unauthorized(client: TestClient) -> None:
    response = client.get(f"{DT}?dataTarget=parts", headers={"apiKey": API_KEY})
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "detail"}


def test_wrong_password_is_unauthorized(client: TestClient) -> None:
    response = client.post(
        "/auth/login",
        json={"operatorAccountId": "1000000000001@example.com", "accountPassword": "nope"},
        headers={"apiKey": API_KEY},
    )
    assert response.status_code == 401


def test_unknown_refresh_token_is_a_bad_request_as_refresh_documents_no_401(client: TestClient) -> None:
    response = client.post("/auth/refresh", json={"refreshToken": "forged"}, headers={"apiKey": API_KEY})
    assert response.status_code == 400


def test_refreshed_token_works(client: TestClient) -> None:
    tokens = client.post(
        "/auth/login",
        json={"operatorAccountId": "1000000000001@example.com", "accountPassword": PASSWORD},
        headers={"apiKey": API_KEY},
    ).json()
    fresh = client.post(
        "/auth/refresh", json={"refreshToken": tokens["refreshToken"]}, headers={"apiKey": API_KEY}
    )
    assert fresh.status_code == 201
    me = client.get(
        "/api/v1/authInfo?dataTarget=operator",
        headers={"apiKey": API_KEY, "Authorization": f"Bearer {fresh.json()['accessToken']}"},
    )
    assert me.json()["operatorId"] == A


def test_unknown_data_target_is_a_bad_request_in_the_openapi_error_shape(client: TestClient) -> None:
    response = client.get(f"{DT}?dataTarget=hoge", headers=login(client, "1000000000001"))
    assert response.status_code == 400
    assert response.json()["code"] == "[dataspace] BadRequest"
    assert "method: GET" in response.json()["detail"]


def test_repeating_data_target_with_the_same_value_is_accepted(client: TestClient) -> None:
    response = client.get(f"{DT}?dataTarget=parts&dataTarget=parts", headers=login(client, "1000000000001"))
    assert response.status_code == 200


def test_a_repeated_parameter_takes_its_first_value_as_the_reference_server_does(client: TestClient) -> None:
    response = client.get(f"{DT}?dataTarget=parts&dataTarget=cfp", headers=login(client, "1000000000001"))
    assert response.status_code == 200
    assert response.json() == []  # a parts list (A has none yet), not a CFP error for missing traceIds


def test_invalid_body_is_a_bad_request_not_a_422(client: TestClient) -> None:
    response = client.put(
        f"{DT}?dataTarget=parts", headers=login(client, "1000000000001"), json={"partsName": 1}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Validation failed")


def test_naming_another_operator_in_a_body_is_forbidden(client: TestClient, world: World) -> None:
    response = client.put(
        f"{DT}?dataTarget=parts",
        headers=login(client, "1000000000001"),
        json=part_body(C, world.plant(C), "X"),
    )
    assert response.status_code == 403


def test_parts_are_paged_with_a_link_header(client: TestClient, world: World) -> None:
    a = login(client, "1000000000001")
    for name in ("P-1", "P-2", "P-3"):
        client.put(f"{DT}?dataTarget=parts", headers=a, json=part_body(A, world.plant(A), name))
    first = client.get(f"{DT}?dataTarget=parts&limit=2", headers=a)
    assert [p["partsName"] for p in first.json()] == ["P-1", "P-2"]
    next_url = first.headers["link"].strip("<>")
    second = client.get(next_url, headers=a)
    assert [p["partsName"] for p in second.json()] == ["P-3"]
    assert "link" not in second.headers


def test_limit_above_100_is_refused(client: TestClient) -> None:
    response = client.get(f"{DT}?dataTarget=parts&limit=101", headers=login(client, "1000000000001"))
    assert response.status_code == 400


def test_deleting_a_part_answers_204(client: TestClient, world: World) -> None:
    a = login(client, "1000000000001")
    trace = client.put(f"{DT}?dataTarget=parts", headers=a, json=part_body(A, world.plant(A), "GONE")).json()[
        "traceId"
    ]
    assert client.delete(f"{DT}?dataTarget=parts&traceId={trace}", headers=a).status_code == 204
    assert client.get(f"{DT}?dataTarget=parts&traceId={trace}", headers=a).json() == []
