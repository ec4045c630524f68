"""HTTP surfaces of the node's credentials: the wallet's management routes and the DCP Credential Service.

Only translation: bodies in, ``Wallet`` / ``CredentialService`` calls, JSON out. Errors are BattraceErrors,
turned into problem documents by the app's handlers (``battrace.http.common.install_error_handlers``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from battrace.errors import InvalidInput, NotFound
from battrace.http.common import blocking, read_json_object, require_api_key
from battrace.trust.wallet import CREDENTIAL_SERVICE_PATH, QUERY_PATH, CredentialService, Wallet

MAX_BODY_BYTES = 256 * 1024


def wallet_router(wallet: Wallet, api_key: str) -> APIRouter:
    """``/management/v3/credentials``: list and add the node's own credentials (``X-Api-Key``)."""

    api_key_required = require_api_key(api_key)
    router = APIRouter(
        prefix="/management/v3",
        tags=["Management API: credentials"],
        dependencies=[Depends(api_key_required)],
    )

    @router.get("/credentials")
    async def list_credentials() -> JSONResponse:
        entries = await blocking(wallet.all)
        return JSONResponse([e.summary() for e in entries])

    @router.post("/credentials")
    async def add_credential(request: Request) -> JSONResponse:
        body = await read_json_object(request, MAX_BODY_BYTES)
        token: Any = body.get("credential")
        if not isinstance(token, str):
            raise InvalidInput('expected {"credential": "<VC-JWT>"}')
        entry = await blocking(wallet.add, token)
        return JSONResponse(entry.summary(), status_code=201)

    @router.delete("/credentials/{key}", status_code=204)
    async def remove_credential(key: str) -> None:
        if not await blocking(wallet.remove, key):
            raise NotFound(f"no credential {key}")

    return router


def credential_service_router(service: CredentialService) -> APIRouter:
    """``POST /api/credentials/presentations/query`` (DCP 1.0 presentation protocol §5.4)."""
    router = APIRouter(tags=["DCP Credential Service"])

    @router.post(CREDENTIAL_SERVICE_PATH + QUERY_PATH)
    async def query(request: Request) -> JSONResponse:
        body = await read_json_object(request, MAX_BODY_BYTES)
        answer = await blocking(service.answer, request.headers.get("authorization"), body)
        return JSONResponse(answer)

    return router
