"""The operator node's HTTP surface. It only translates: every route reads or changes the space through
``SpaceOperator`` (which re-reads the files each time, so ``battrace space`` commands run beside the server
take effect at the next request). Errors are RFC 9457 problem documents, never a bare 500 for bad input.

Public: the two DID documents (did:web §3.2 paths), the signed trust list, the directory, the revocation
status list credential, the recognitions, the witness's view of its members' logs and its alarms, /health.
Management (``X-Api-Key``): certify, revoke, recognise, withdraw, run a witness round now.
Console (battrace.console.operator): read-only HTML pages at /console behind a login with the same key.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from battrace.console.operator import operator_console_router
from battrace.errors import InvalidInput, NotFound, Unauthenticated
from battrace.http.common import (
    blocking,
    install_error_handlers,
    parse_json_object,
    read_body,
    read_json_object,
)
from battrace.operator.metering import MeteringDesk
from battrace.operator.records import CertifyRequest, RecognizeRequest
from battrace.operator.service import SpaceOperator
from battrace.operator.witness import Witness

MAX_BODY = 256 * 1024  # a foreign trust list JWS may come inline
DID_JSON = "application/did+json"
JWT = "application/jwt"


def create_app(operator: SpaceOperator, witness: Witness | None = None) -> FastAPI:
    """``witness``: the space's witness of its members' logs (None: the witness routes answer 404)."""
    app = FastAPI(title=f"battrace operator {operator.config.name}", docs_url=None, redoc_url=None)
    install_error_handlers(app)
    api_key = [Depends(_api_key_check(operator))]
    app.include_router(_public_routes(operator))
    app.include_router(_management_routes(operator), dependencies=api_key)
    app.include_router(_witness_routes(witness, api_key))
    app.include_router(_metering_routes(operator, api_key))
    app.include_router(operator_console_router(operator, witness))
    return app


def _metering_routes(operator: SpaceOperator, api_key: list[Any]) -> APIRouter:
    """Members hand in their signed monthly usage reports; the operator totals them per member (fees)."""
    router = APIRouter(prefix="/space/metering", tags=["metering"])
    desk = MeteringDesk(operator.files, operator.resolve, lambda: {p["did"] for p in operator.directory()})

    @router.post("", status_code=201)
    async def submit(request: Request) -> dict[str, Any]:
        body = await read_json_object(request, MAX_BODY)
        return await blocking(desk.submit, body.get("report"))

    @router.get("/{period}", dependencies=api_key)
    async def totals(period: str) -> dict[str, Any]:
        return {"period": period, "members": await blocking(desk.totals, period)}

    return router


def _public_routes(operator: SpaceOperator) -> APIRouter:
    router = APIRouter()

    @router.get("/health")
    async def health() -> dict[str, Any]:
        config = await blocking(lambda: operator.config)
        return {"status": "ok", "space": config.name, "operator": config.operator_did}

    @router.get("/.well-known/did.json")
    async def operator_did() -> Response:
        return JSONResponse(await blocking(operator.operator_document), media_type=DID_JSON)

    # did:web §3.2: did:web:host%3Aport:certification resolves to https://host:port/certification/did.json
    @router.get("/certification/did.json")
    async def certification_did() -> Response:
        return JSONResponse(await blocking(operator.certification_document), media_type=DID_JSON)

    @router.get("/space/trust-list")
    async def trust_list() -> Response:
        return Response(await blocking(operator.trust_list), media_type=JWT)

    @router.get("/space/directory")
    async def directory() -> list[dict[str, Any]]:
        return await blocking(operator.directory)

    @router.get("/space/status/revocation")
    async def revocation_list() -> Response:
        # no-store: a cached copy would hide a revocation; verifiers cache on their own terms (StatusCache)
        token = await blocking(operator.status_list_credential)
        return Response(token, media_type=JWT, headers={"Cache-Control": "no-store"})

    @router.get("/space/recognitions")
    async def recognitions() -> list[dict[str, Any]]:
        return await blocking(operator.recognitions)

    return router


def _management_routes(operator: SpaceOperator) -> APIRouter:
    router = APIRouter()

    @router.post("/space/certify")
    async def certify(request: Request) -> dict[str, Any]:
        parsed = CertifyRequest.parse(await read_json_object(request, MAX_BODY))
        issued = await blocking(operator.certify, parsed)
        return {
            "credentials": [i.token for i in issued],
            "issued": [
                {
                    "id": i.record.id,
                    "type": i.record.credential_type,
                    "statusListIndex": i.record.status_list_index,
                    "validUntil": i.record.valid_until.isoformat(),
                }
                for i in issued
            ],
        }

    @router.post("/space/revoke")
    async def revoke(request: Request) -> dict[str, Any]:
        body = await read_json_object(request, MAX_BODY)
        jti = body.get("credentialId")
        if not isinstance(jti, str) or not jti:
            raise InvalidInput("credentialId (the credential's jti) is required")
        record = await blocking(operator.revoke, jti)
        return {"credentialId": record.id, "revoked": True, "statusListIndex": record.status_list_index}

    @router.post("/space/recognitions", status_code=201)
    async def recognize(request: Request) -> dict[str, Any]:
        parsed = RecognizeRequest.parse(await read_json_object(request, MAX_BODY))
        return (await blocking(operator.recognize, parsed)).public()

    @router.post("/space/recognitions/{recognition_id:path}/withdraw")
    async def withdraw(recognition_id: str, request: Request) -> dict[str, Any]:
        raw = await read_body(request, MAX_BODY)
        body = parse_json_object(raw) if raw.strip() else {}  # the body (a reason) is optional
        reason = body.get("reason", "")
        if not isinstance(reason, str):
            raise InvalidInput("reason must be a string")
        return (await blocking(operator.withdraw, recognition_id, reason)).public()

    return router


def _witness_routes(witness: Witness | None, api_key: list[Any]) -> APIRouter:
    """Reading is public (checkpoints reveal only hashes, and alarms are meant to be seen); a round on
    demand needs the X-Api-Key (it makes the operator call every member)."""
    router = APIRouter(prefix="/space/witness")

    def running() -> Witness:
        if witness is None:
            raise NotFound("this operator runs no witness")
        return witness

    @router.get("")
    async def members() -> list[dict[str, Any]]:
        return await blocking(running().members)

    @router.get("/alarms")
    async def alarms() -> list[dict[str, Any]]:
        return await blocking(running().alarms)

    @router.post("/poll", dependencies=api_key)
    async def poll() -> dict[str, Any]:
        records = await blocking(running().poll_once)
        return {"members": [r.model_dump(mode="json", by_alias=True) for r in records]}

    return router


def _api_key_check(operator: SpaceOperator) -> Any:
    async def check(request: Request) -> None:
        given = request.headers.get("x-api-key", "")
        expected = await blocking(operator.files.api_key)
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise Unauthenticated("the management routes need the space's X-Api-Key")

    return check
