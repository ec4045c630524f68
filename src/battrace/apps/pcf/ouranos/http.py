"""HTTP surface of the Ouranos data-transaction API, as the published OpenAPI lays it out: query-string
routed (``/api/v1/authInfo?dataTarget=…``, ``/api/v1/datatransport?dataTarget=…``) plus ``/auth/*``.

This module only translates: query strings and bodies in, service calls, OpenAPI shapes out. Every error is
the OpenAPI's ``{code, message, detail}`` with ``code = "[auth|dataspace] <Status>"`` and only the statuses
the OpenAPI documents (400/401/403/404); every response carries an ``X-Track`` id. Each service call runs in a
worker thread inside one ``unit_of_work`` of the store: a call's writes are atomic. Parameters are read by
hand rather than declared to FastAPI so that no undocumented 422 can escape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError

from battrace.apps.pcf.ouranos.auth import Authenticator
from battrace.apps.pcf.ouranos.model import (
    CfpModel,
    ChangePasswordModel,
    LoginInputModel,
    LoginOutputModel,
    OperatorModel,
    PartsModel,
    PartsStructureModel,
    PlantModel,
    RefreshInputModel,
    RefreshOutputModel,
    StatusModel,
    TradeRequestModel,
)
from battrace.apps.pcf.ouranos.service import MAX_IDS, OuranosService
from battrace.clock import iso
from battrace.errors import BattraceError, Forbidden, InvalidInput, Unauthenticated
from battrace.http.common import blocking

T = TypeVar("T")
B = TypeVar("B", bound=BaseModel)
UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
MAX_LIMIT = 100  # "limitの指定は最大100件" (#8, #10, #11, #12)
MAX_OPERATOR_IDS = 100  # #17
_CODES = {400: "BadRequest", 401: "Unauthorized", 403: "AccessDenied", 404: "NotFound"}
_CFP_LIST = TypeAdapter(list[CfpModel])

Handler = Callable[[Request], Awaitable[Response]]


def ouranos_router(service: OuranosService, *, auth: Authenticator) -> APIRouter:
    router = APIRouter(route_class=_route_class(service))
    routes: list[tuple[str, Handler, tuple[str, ...]]] = [
        ("/auth/login", _login(service, auth), ("POST",)),
        ("/auth/refresh", _refresh(service, auth), ("POST",)),
        ("/auth/change", _change(service, auth), ("POST",)),
        ("/api/v1/authInfo", _auth_info(service, auth), ("GET", "PUT")),
        ("/api/v1/datatransport", _datatransport(service, auth), ("GET", "PUT", "DELETE")),
    ]
    # one route per method, each with its own operation id (a generated client must not see duplicates)
    for path, handler, methods in routes:
        name = path.strip("/").replace("/", "_")
        for method in methods:
            router.add_api_route(
                path, handler, methods=[method], operation_id=f"ouranos_{name}_{method.lower()}"
            )
    return router


def _route_class(service: OuranosService) -> type[APIRoute]:
    class OuranosRoute(APIRoute):
        """Maps domain errors to the OpenAPI's error body in one place; adds ``X-Track``."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            original = super().get_route_handler()

            async def handler(request: Request) -> Response:
                try:
                    response = await original(request)
                except BattraceError as error:
                    response = _error(request, service, error)
                response.headers["X-Track"] = service.new_id()
                return response

            return handler

    return OuranosRoute


def _error(request: Request, service: OuranosService, error: BattraceError) -> JSONResponse:
    status = error.status if error.status in _CODES else 400  # the OpenAPI documents no 409/413/422
    path = request.url.path  # the router may be mounted under a prefix (the node mounts it at /ouranos)
    auth_side = "/auth/" in path or path.endswith("/api/v1/authInfo") or status in (401, 403)
    source = "auth" if auth_side else "dataspace"
    caller = getattr(request.state, "operator_id", "")
    target = request.query_params.get("dataTarget", "")
    detail = (
        f"id: {caller}, timeStamp: {iso(service.clock())}, dataTarget: {target}, method: {request.method}"
    )
    body = {"code": f"[{source}] {_CODES[status]}", "message": error.detail, "detail": detail}
    return JSONResponse(body, status_code=status)


async def _run(service: OuranosService, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One service call = one unit of work of the store (its writes commit together), off the event loop:
    the store may block on the database and PBKDF2 takes a while."""

    def in_unit() -> T:
        with service.store.unit_of_work():
            return call(*args, **kwargs)

    return await blocking(in_unit)


# -- authentication ------------------------------------------------------------------------------------


def _check_key(request: Request, auth: Authenticator) -> None:
    key = request.headers.get("apiKey")
    if key is None:
        raise Forbidden("You do not have the necessary privileges")
    if not auth.check_api_key(key):
        raise Forbidden("Invalid key")


def _caller(request: Request, auth: Authenticator) -> str:
    """Both schemes on every data call: the platform's API key, then the operator's access token."""
    _check_key(request, auth)
    header = request.headers.get("Authorization")
    if not header:
        raise Unauthenticated("Authentication required")
    scheme, _, token = header.partition(" ")
    operator_id = auth.operator_for(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if operator_id is None:
        raise Unauthenticated("Invalid or expired token")
    request.state.operator_id = operator_id
    return operator_id


def _login(service: OuranosService, auth: Authenticator) -> Handler:
    async def login(request: Request) -> Response:
        _check_key(request, auth)
        body = await _body(request, LoginInputModel)
        access, refresh = await _run(service, auth.login, body.operatorAccountId, body.accountPassword)
        return _json(LoginOutputModel(accessToken=access, refreshToken=refresh), 201)

    return login


def _refresh(service: OuranosService, auth: Authenticator) -> Handler:
    async def refresh(request: Request) -> Response:
        _check_key(request, auth)
        body = await _body(request, RefreshInputModel)
        access = await _run(service, auth.refresh, body.refreshToken)
        if access is None:  # #refresh documents no 401: an unknown token is a bad request
            raise InvalidInput("Invalid or expired refresh token")
        return _json(RefreshOutputModel(accessToken=access), 201)

    return refresh


def _change(service: OuranosService, auth: Authenticator) -> Handler:
    async def change(request: Request) -> Response:
        caller = _caller(request, auth)  # whose password: the logged-in operator's
        body = await _body(request, ChangePasswordModel)
        await _run(service, auth.change_password, caller, body.newPassword)
        return Response(status_code=201)

    return change


# -- /api/v1/authInfo ------------------------------------------------------------------------------------


def _auth_info(service: OuranosService, auth: Authenticator) -> Handler:
    async def auth_info(request: Request) -> Response:
        caller = _caller(request, auth)
        query = _query(request)
        target, method = query.get("dataTarget"), request.method
        if target == "operator" and method == "GET":
            return await _get_operator(service, caller, query)
        if target == "plant" and method == "GET":
            _allow(query, "dataTarget")
            return _json(await _run(service, service.list_plants, caller), 200)
        if target == "operator":
            _allow(query, "dataTarget")
            return _json(
                await _run(service, service.put_operator, caller, await _body(request, OperatorModel)), 201
            )
        if target == "plant":
            _allow(query, "dataTarget")
            return _json(
                await _run(service, service.put_plant, caller, await _body(request, PlantModel)), 201
            )
        raise InvalidInput("Invalid request parameters, dataTarget: Unexpected query parameter")

    return auth_info


async def _get_operator(service: OuranosService, caller: str, query: dict[str, str]) -> Response:
    _allow(query, "dataTarget", "openOperatorId", "operatorIds")
    if "operatorIds" in query and "openOperatorId" in query:
        raise InvalidInput(
            "Invalid request parameters, only one of operatorIds and openOperatorId can be set."
        )
    if "operatorIds" in query:
        ids = _uuids(query, "operatorIds", MAX_OPERATOR_IDS)
        return _json(await _run(service, service.list_operators, caller, ids), 200)
    return _json(await _run(service, service.get_operator, caller, query.get("openOperatorId")), 200)


# -- /api/v1/datatransport ---------------------------------------------------------------------------------


def _datatransport(service: OuranosService, auth: Authenticator) -> Handler:
    async def datatransport(request: Request) -> Response:
        caller = _caller(request, auth)
        query = _query(request)
        route = _ROUTES.get((request.method, query.get("dataTarget", "")))
        if route is None:
            raise InvalidInput("Invalid request parameters, dataTarget: Unexpected query parameter")
        return await route(service, caller, query, request)

    return datatransport


Route = Callable[[OuranosService, str, dict[str, str], Request], Awaitable[Response]]


async def _get_cfp(service: OuranosService, caller: str, query: dict[str, str], request: Request) -> Response:
    _allow(query, "dataTarget", "traceIds")
    return _json(await _run(service, service.get_cfp, caller, _uuids(query, "traceIds", MAX_IDS)), 200)


async def _put_cfp(service: OuranosService, caller: str, query: dict[str, str], request: Request) -> Response:
    _allow(query, "dataTarget")
    models = _validate(_CFP_LIST, await _raw_json(request))
    return _json(await _run(service, service.put_cfp, caller, models), 201)


async def _get_certification(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget", "traceId")
    return _json(await _run(service, service.get_certifications, caller, _uuid(query, "traceId")), 200)


async def _get_parts(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget", "limit", "after", "traceId", "partsName", "plantId", "parentFlag")
    parts = await _run(
        service,
        service.list_parts,
        caller,
        trace_id=_uuid(query, "traceId") if "traceId" in query else None,
        parts_name=query.get("partsName"),
        plant_id=_uuid(query, "plantId") if "plantId" in query else None,
        parent_flag=_bool(query, "parentFlag"),
    )
    return _page(request, query, parts, lambda p: p.traceId or "")


async def _put_parts(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget")
    return _json(await _run(service, service.put_parts, caller, await _body(request, PartsModel)), 201)


async def _delete_parts(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget", "traceId")
    await _run(service, service.delete_parts, caller, _uuid(query, "traceId"))
    return Response(status_code=204)


async def _get_structure(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget", "traceId")
    return _json(await _run(service, service.get_parts_structure, caller, _uuid(query, "traceId")), 200)


async def _put_structure(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget")
    return _json(
        await _run(service, service.put_parts_structure, caller, await _body(request, PartsStructureModel)),
        201,
    )


async def _get_status(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget", "limit", "after", "statusTarget", "statusId", "traceId")
    target = query.get("statusTarget")
    if target not in (None, "REQUEST", "RESPONSE"):
        raise InvalidInput("Invalid request parameters, statusTarget: must be REQUEST or RESPONSE")
    if target == "REQUEST" and "statusId" in query:
        raise InvalidInput("Invalid request parameters, statusId cannot be used with statusTarget=REQUEST")
    found = await _run(
        service,
        service.list_status,
        caller,
        target=target,  # checked just above
        status_id=_uuid(query, "statusId") if "statusId" in query else None,
        trace_id=_uuid(query, "traceId") if "traceId" in query else None,
    )
    return _page(request, query, found, lambda s: s.statusId or "")


async def _put_status(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget")
    await _run(service, service.put_status, caller, await _body(request, StatusModel))
    return Response(status_code=201)


async def _get_trade_requests(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget", "limit", "after", "traceIds")
    if "traceIds" in query:  # "traceIdsが指定されている場合はlimitのパラメータが…有効にはなりません" (#10)
        return _json(
            await _run(service, service.list_trade_requests, caller, _uuids(query, "traceIds", MAX_IDS)), 200
        )
    return _page(
        request, query, await _run(service, service.list_trade_requests, caller), lambda t: t.tradeId or ""
    )


async def _put_trade_request(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget")
    return _json(
        await _run(service, service.put_trade_request, caller, await _body(request, TradeRequestModel)), 201
    )


async def _get_trade_responses(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget", "limit", "after")
    return _page(
        request,
        query,
        await _run(service, service.list_trade_responses, caller),
        lambda t: t.tradeModel.tradeId or "",
    )


async def _put_trade_response(
    service: OuranosService, caller: str, query: dict[str, str], request: Request
) -> Response:
    _allow(query, "dataTarget", "tradeId", "traceId")
    trade = await _run(
        service, service.put_trade_response, caller, _uuid(query, "tradeId"), _uuid(query, "traceId")
    )
    return _json(trade, 201)


_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "cfp"): _get_cfp,
    ("PUT", "cfp"): _put_cfp,
    ("GET", "cfpCertification"): _get_certification,
    ("GET", "parts"): _get_parts,
    ("PUT", "parts"): _put_parts,
    ("DELETE", "parts"): _delete_parts,
    ("GET", "partsStructure"): _get_structure,
    ("PUT", "partsStructure"): _put_structure,
    ("GET", "status"): _get_status,
    ("PUT", "status"): _put_status,
    ("GET", "tradeRequest"): _get_trade_requests,
    ("PUT", "tradeRequest"): _put_trade_request,
    ("GET", "tradeResponse"): _get_trade_responses,
    ("PUT", "tradeResponse"): _put_trade_response,
}


# -- parameters, bodies, responses -----------------------------------------------------------------------


def _query(request: Request) -> dict[str, str]:
    """One value per name, the first one given — as the reference server reads them (Go ``url.Values.Get``
    through echo's ``QueryParam``). A client built from the OpenAPI's path keys
    (``/api/v1/datatransport?dataTarget=cfp&traceIds={uuid}``) sends the literal ones first."""
    query: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        query.setdefault(name, value)
    if "dataTarget" not in query:
        raise InvalidInput("Invalid request parameters, dataTarget: cannot be blank.")
    return query


def _allow(query: dict[str, str], *names: str) -> None:
    for name in query:
        if name not in names:
            raise InvalidInput(f"Invalid request parameters, {name}: Unexpected query parameter")


def _uuid(query: dict[str, str], name: str) -> str:
    value = query.get(name)
    if value is None:
        raise InvalidInput(f"Invalid request parameters, {name}: cannot be blank.")
    if not UUID.match(value):
        raise InvalidInput(f"Invalid request parameters, {name}: must be a valid UUID.")
    return value


def _uuids(query: dict[str, str], name: str, most: int) -> list[str]:
    values = _uuid_list(query.get(name))
    if values is None:
        raise InvalidInput(f"Invalid request parameters, {name}: comma-separated UUIDs expected.")
    if len(values) > most:
        raise InvalidInput(f"Invalid request parameters, {name}: at most {most} values.")
    return values


def _uuid_list(raw: str | None) -> list[str] | None:
    values = (raw or "").split(",")
    return values if raw and all(UUID.match(v) for v in values) else None


def _bool(query: dict[str, str], name: str) -> bool | None:
    raw = query.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise InvalidInput(f"Invalid request parameters, {name}: must be true or false.")
    return raw == "true"


def _page(request: Request, query: dict[str, str], items: Sequence[B], key: Callable[[B], str]) -> Response:
    """``limit`` (≤100) items after the one whose id is ``after``; a ``link`` header names the next page."""
    raw = query.get("limit", str(MAX_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidInput(f"Invalid request parameters, limit: must be between 1 and {MAX_LIMIT}.")
    limit, start = int(raw), 0
    if "after" in query:
        keys = [key(item) for item in items]
        if query["after"] not in keys:
            raise InvalidInput("Invalid request parameters, after: unknown position.")
        start = keys.index(query["after"]) + 1
    page = items[start : start + limit]
    response = _json(list(page), 200)
    if start + limit < len(items):
        target = query["dataTarget"]
        url = f"{request.url.path}?dataTarget={target}&limit={limit}&after={key(page[-1])}"
        response.headers["link"] = f"<{url}>"
    return response


async def _raw_json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"Validation failed, the body is not JSON: {error}") from None


M = TypeVar("M", bound=BaseModel)


async def _body(request: Request, model: type[M]) -> M:
    return _validate(TypeAdapter(model), await _raw_json(request))


def _validate(adapter: TypeAdapter[T], value: Any) -> T:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidInput(f"Validation failed, {where}: {first['msg']}") from None


def _json(value: BaseModel | Sequence[BaseModel], status: int) -> JSONResponse:
    if isinstance(value, BaseModel):
        return JSONResponse(value.model_dump(mode="json"), status_code=status)
    return JSONResponse([item.model_dump(mode="json") for item in value], status_code=status)
