"""The registry's HTTP surface: AAS Part 2 v3 paths under /api/v3, errors in the registry's `Result` shape.

Only translation happens here. Errors are answered as the OpenAPI's `Result`
(`{"messages": [{"messageType": "Error", "text": ...}]}`) rather than the node's problem documents, because
AAS clients (the Tractus-X DTR lookup cases among them) read `$.messages[0].text`. Query parameters and bodies
are parsed here, not by FastAPI, so that no malformed input can reach a client in another error shape.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from battrace.errors import BattraceError, InvalidInput
from battrace.http.common import blocking, read_body
from battrace.registry.model import (
    RegistryCaller,
    decode_asset_id_param,
    decode_id,
    dump,
    encode_id,
    parse_asset_links,
)
from battrace.registry.service import Registry

PREFIX = "/api/v3"
BODY_LIMIT = 4 * 1024 * 1024
# IDTA-01002 v3.1 §13 profile identifiers this registry implements (full registry, read-only discovery).
PROFILES = [
    "https://admin-shell.io/aas/API/3/0/AssetAdministrationShellRegistryServiceSpecification/SSP-001",
    "https://admin-shell.io/aas/API/3/1/DiscoveryServiceSpecification/SSP-002",
]
Handler = Callable[[Request], Awaitable[Response]]


def result_response(status: int, text: str) -> JSONResponse:
    """The OpenAPI `Result` schema with one Error message."""
    return JSONResponse({"messages": [{"messageType": "Error", "text": text}]}, status_code=status)


SHELL_ID = "aasIdentifier"
SUBMODEL_ID = "submodelIdentifier"


def _declared(*names: str) -> dict[str, Any]:
    """The OpenAPI declaration of path parameters the handlers read by hand (``_path_id``), so the published
    document names them (an undeclared template parameter makes the document invalid for its clients):
    identifiers base64url-encoded, as AAS Part 2 (IDTA-01002) requires in paths."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": "the identifier, base64url-encoded (UTF-8, no padding)",
                "schema": {"type": "string"},
            }
            for name in names
        ]
    }


def _answers(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except BattraceError as error:
            return result_response(error.status, error.detail)

    return wrapped


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 9:
        raise InvalidInput(f"{name} must be an integer, got {raw[:50]!r}")
    return int(raw)


def _created_after(request: Request) -> datetime | None:
    raw = request.query_params.get("createdAfter")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput("createdAfter must be an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SSZ)") from None
    if value.tzinfo is None:
        raise InvalidInput("createdAfter must carry a time zone (Z or an offset)")
    return value


async def _json_body(request: Request) -> Any:
    raw = await read_body(request, BODY_LIMIT)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("the body is not valid JSON") from None


def _path_id(request: Request, name: str) -> str:
    return decode_id(str(request.path_params[name]), name)


def registry_router(registry: Registry, caller: Callable[[Request], RegistryCaller]) -> APIRouter:
    """The AAS Part 2 registry and discovery endpoints. `caller` tells who asks (owner or a partner's BPN)."""
    router = APIRouter(prefix=PREFIX)
    _shell_routes(router, registry, caller)
    _submodel_routes(router, registry, caller)
    _lookup_routes(router, registry, caller)

    @router.get("/description")
    async def description() -> JSONResponse:
        return JSONResponse({"profiles": PROFILES})

    return router


def _shell_routes(router: APIRouter, registry: Registry, caller: Callable[[Request], RegistryCaller]) -> None:
    @router.get("/shell-descriptors")
    @_answers
    async def list_shells(request: Request) -> Response:
        page = await blocking(
            registry.list_shells,
            caller(request),
            limit=_int_param(request, "limit"),
            cursor=request.query_params.get("cursor"),
            asset_kind=request.query_params.get("assetKind"),
            asset_type=_asset_type(request),
            created_after=_created_after(request),
        )
        return JSONResponse(page.to_json([dump(s) for s in page.items]))

    @router.post("/shell-descriptors")
    @_answers
    async def create_shell(request: Request) -> Response:
        shell = await blocking(registry.create_shell, caller(request), await _json_body(request))
        location = f"{PREFIX}/shell-descriptors/{encode_id(shell.id)}"
        return JSONResponse(dump(shell), status_code=201, headers={"Location": location})

    @router.get("/shell-descriptors/{aasIdentifier}", openapi_extra=_declared(SHELL_ID))
    @_answers
    async def get_shell(request: Request) -> Response:
        shell = await blocking(registry.get_shell, caller(request), _path_id(request, "aasIdentifier"))
        return JSONResponse(dump(shell))

    @router.put("/shell-descriptors/{aasIdentifier}", openapi_extra=_declared(SHELL_ID))
    @_answers
    async def put_shell(request: Request) -> Response:
        aas_id = _path_id(request, "aasIdentifier")
        body = await _json_body(request)
        created = await blocking(registry.put_shell, caller(request), aas_id, body)
        if not created:
            return Response(status_code=204)
        location = f"{PREFIX}/shell-descriptors/{encode_id(aas_id)}"
        return JSONResponse(body, status_code=201, headers={"Location": location})

    @router.delete("/shell-descriptors/{aasIdentifier}", openapi_extra=_declared(SHELL_ID))
    @_answers
    async def delete_shell(request: Request) -> Response:
        await blocking(registry.delete_shell, caller(request), _path_id(request, "aasIdentifier"))
        return Response(status_code=204)


def _asset_type(request: Request) -> str | None:
    raw = request.query_params.get("assetType")
    return None if raw is None else decode_id(raw, "assetType")


def _submodel_routes(
    router: APIRouter, registry: Registry, caller: Callable[[Request], RegistryCaller]
) -> None:
    base = "/shell-descriptors/{aasIdentifier}/submodel-descriptors"

    @router.get(base, openapi_extra=_declared(SHELL_ID))
    @_answers
    async def list_submodels(request: Request) -> Response:
        page = await blocking(
            registry.list_submodels,
            caller(request),
            _path_id(request, "aasIdentifier"),
            limit=_int_param(request, "limit"),
            cursor=request.query_params.get("cursor"),
        )
        return JSONResponse(page.to_json([dump(s) for s in page.items]))

    @router.post(base, openapi_extra=_declared(SHELL_ID))
    @_answers
    async def create_submodel(request: Request) -> Response:
        aas_id = _path_id(request, "aasIdentifier")
        submodel = await blocking(
            registry.create_submodel, caller(request), aas_id, await _json_body(request)
        )
        location = (
            f"{PREFIX}/shell-descriptors/{encode_id(aas_id)}/submodel-descriptors/{encode_id(submodel.id)}"
        )
        return JSONResponse(dump(submodel), status_code=201, headers={"Location": location})

    @router.get(base + "/{submodelIdentifier}", openapi_extra=_declared(SHELL_ID, SUBMODEL_ID))
    @_answers
    async def get_submodel(request: Request) -> Response:
        ids = _path_id(request, "aasIdentifier"), _path_id(request, "submodelIdentifier")
        return JSONResponse(dump(await blocking(registry.get_submodel, caller(request), *ids)))

    @router.put(base + "/{submodelIdentifier}", openapi_extra=_declared(SHELL_ID, SUBMODEL_ID))
    @_answers
    async def put_submodel(request: Request) -> Response:
        ids = _path_id(request, "aasIdentifier"), _path_id(request, "submodelIdentifier")
        body = await _json_body(request)
        created = await blocking(registry.put_submodel, caller(request), *ids, body)
        if not created:
            return Response(status_code=204)
        location = f"{PREFIX}/shell-descriptors/{encode_id(ids[0])}/submodel-descriptors/{encode_id(ids[1])}"
        return JSONResponse(body, status_code=201, headers={"Location": location})

    @router.delete(base + "/{submodelIdentifier}", openapi_extra=_declared(SHELL_ID, SUBMODEL_ID))
    @_answers
    async def delete_submodel(request: Request) -> Response:
        ids = _path_id(request, "aasIdentifier"), _path_id(request, "submodelIdentifier")
        await blocking(registry.delete_submodel, caller(request), *ids)
        return Response(status_code=204)


def _lookup_routes(
    router: APIRouter, registry: Registry, caller: Callable[[Request], RegistryCaller]
) -> None:
    @router.get("/lookup/shells")
    @_answers
    async def lookup_by_query(request: Request) -> Response:
        links = [decode_asset_id_param(v) for v in request.query_params.getlist("assetIds")]
        page = await blocking(
            registry.lookup,
            caller(request),
            links,
            limit=_int_param(request, "limit"),
            cursor=request.query_params.get("cursor"),
            created_after=_created_after(request),
        )
        return JSONResponse(page.to_json(page.items))

    @router.post("/lookup/shellsByAssetLink")
    @_answers
    async def lookup_by_body(request: Request) -> Response:
        links = parse_asset_links(await _json_body(request))
        page = await blocking(
            registry.lookup,
            caller(request),
            links,
            limit=_int_param(request, "limit"),
            cursor=request.query_params.get("cursor"),
        )
        return JSONResponse(page.to_json(page.items))

    @router.get("/lookup/shells/{aasIdentifier}", openapi_extra=_declared(SHELL_ID))
    @_answers
    async def asset_links(request: Request) -> Response:
        links = await blocking(registry.asset_links, caller(request), _path_id(request, "aasIdentifier"))
        return JSONResponse([dump(a) for a in links])
