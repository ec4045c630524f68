"""Property-based check of the API against the published Ouranos OpenAPI (tests/fixtures/ouranos/openapi.yaml;
one undeclared path parameter is declared, see ``_published_schema``): for every documented operation,
generated requests get no 5xx, only documented status codes and content types, and bodies and headers that
validate against the OpenAPI.

The server holds a finished two-company trade, so list and CFP reads answer with real data; requests carry
buyer A's valid credentials (the generated ones would only ever reach the 401/403 checks, which test_http
covers). Bounded: a few examples per operation, no example database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from battrace.apps.pcf.ouranos.http import ouranos_router

from .conftest import API_KEY, PASSWORD, make_world
from .test_service import trade_flow

OPENAPI = Path(__file__).parents[3] / "fixtures" / "ouranos" / "openapi.yaml"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _login(app: FastAPI) -> dict[str, str]:
    tokens = (
        TestClient(app)
        .post(
            "/auth/login",
            json={"operatorAccountId": "1000000000001@example.com", "accountPassword": PASSWORD},
            headers={"apiKey": API_KEY},
        )
        .json()
    )
    return {"apiKey": API_KEY, "Authorization": f"Bearer {tokens['accessToken']}"}


def _seeded_app() -> tuple[FastAPI, dict[str, str]]:
    world = make_world()
    trade_flow(world)
    app = FastAPI()
    app.include_router(ouranos_router(world.service, auth=world.auth))
    return app, _login(app)


def _published_schema() -> dict[str, Any]:
    """The file as published, plus one declaration it lacks: five path keys template ``{uuid}`` into their
    query part without declaring it, which schemathesis (rightly) refuses. It is declared here as the UUID
    the surrounding parameter (traceIds, traceId, operatorIds, tradeId) is."""
    raw: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    for path, operations in raw["paths"].items():
        if "{uuid}" in path:
            for operation in operations.values():
                operation["parameters"].append(
                    {
                        "name": "uuid",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                )
    return raw


APP, HEADERS = _seeded_app()
schema = schemathesis.openapi.from_dict(_published_schema())
schema.app = APP


@schema.parametrize()
@settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_response_conforms_to_the_published_openapi(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=HEADERS, checks=CHECKS)


def test_reads_of_the_finished_trade_conform_to_the_published_openapi() -> None:
    """Generated ids rarely hit a stored part: read the seeded trade's own ids once, with the same checks."""
    world = make_world()
    ids = trade_flow(world)
    app = FastAPI()
    app.include_router(ouranos_router(world.service, auth=world.auth))
    headers = _login(app)
    reads = {
        "/api/v1/datatransport?dataTarget=cfp&traceIds={uuid}": {"traceIds": f"{ids['cell']},{ids['child']}"},
        "/api/v1/datatransport?dataTarget=partsStructure&traceId={uuid}": {"traceId": ids["cell"]},
        "/api/v1/datatransport?dataTarget=status": {"statusTarget": "REQUEST"},
        "/api/v1/datatransport?dataTarget=tradeRequest": {},
    }
    for path, query in reads.items():
        operation = schema[path]["GET"]
        case = operation.Case(
            query={"dataTarget": path.split("dataTarget=")[1].split("&")[0], **query},
            path_parameters={"uuid": next(iter(query.values()), "")} if "{uuid}" in path else {},
        )
        response = case.call_and_validate(headers=headers, checks=CHECKS, app=app)
        assert response.status_code == 200
        assert response.json(), path  # real rows, not an empty list
