"""What every surface shares: bounded JSON bodies, problem documents, and running blocking work off the loop.

Error shape: RFC 9457 problem details (`application/problem+json`) everywhere; on DSP routes the body is also
the DSP error message of that protocol (CatalogError, ContractNegotiationError, TransferError, DSP 2025-1
§2–4), so a DSP peer and a human both read it.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from battrace.errors import BattraceError, InvalidInput, PayloadTooLarge, Unauthenticated
from battrace.jsonld import DSP_CONTEXT

log = logging.getLogger("battrace.http")
refused = logging.getLogger("battrace.refused")
T = TypeVar("T")
MAX_DEPTH = 64
PROBLEM = "application/problem+json"


class UnsupportedMediaType(BattraceError):
    status = 415
    title = "Unsupported media type"


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type not in ("application/json", "application/ld+json", ""):
        raise UnsupportedMediaType(f"expected application/json, got {content_type!r}")
    raw = await read_body(request, limit)
    return parse_json_object(raw)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise InvalidInput(f"body is not valid JSON: {str(error)[:200]}") from error
    if not isinstance(value, dict):
        raise InvalidInput("body must be a JSON object")
    _check_depth(value)
    return value


def _check_depth(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidInput(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await run_in_threadpool(fn, *args, **kwargs)


def problem_response(
    error: BattraceError, *, dsp_type: str | None = None, pids: Mapping[str, str] | None = None
) -> JSONResponse:
    body = error.problem()
    if dsp_type is not None:
        body = {**dsp_error_body(error, dsp_type, pids or {}), **body}
    headers = getattr(error, "headers", None)  # e.g. WWW-Authenticate of a 401 (RFC 9110 §11.6.1)
    return JSONResponse(
        body, status_code=error.status, media_type=PROBLEM if dsp_type is None else None, headers=headers
    )


def dsp_error_body(error: BattraceError, dsp_type: str, pids: Mapping[str, str]) -> dict[str, Any]:
    reason = error.extra.get("reason") or [error.detail]
    body: dict[str, Any] = {
        "@context": [DSP_CONTEXT],
        "@type": dsp_type,
        "code": str(error.extra.get("code") or type(error).__name__),
        "reason": list(reason),
    }
    if dsp_type != "CatalogError":
        body["providerPid"] = str(error.extra.get("providerPid") or pids.get("providerPid") or "")
        body["consumerPid"] = str(error.extra.get("consumerPid") or pids.get("consumerPid") or "")
    return body


def install_error_handlers(app: Any) -> None:
    async def on_battrace(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, BattraceError)
        return problem_response(error, dsp_type=_dsp_type(request.url.path))

    async def on_validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        details = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in error.errors()[:5]
        )
        return problem_response(
            InvalidInput(details or "invalid request"), dsp_type=_dsp_type(request.url.path)
        )

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        # The router's own refusals (404 no such route, 405 method not allowed): on DSP routes they too are
        # the protocol's error message, so a DSP peer reads every error of the surface the same way.
        assert isinstance(error, StarletteHTTPException)
        detail = str(error.detail)
        body: dict[str, Any] = {"type": "about:blank", "title": detail, "status": error.status_code}
        body["detail"] = detail
        dsp_type = _dsp_type(request.url.path)
        if dsp_type is not None:
            body = {**dsp_error_body(BattraceError(detail, code=detail), dsp_type, {}), **body}
        return JSONResponse(
            body,
            status_code=error.status_code,
            media_type=PROBLEM if dsp_type is None else None,
            headers=error.headers,
        )

    async def on_disconnect(request: Request, error: Exception) -> Response:
        # A client that went away (or was cut off by the slow-client deadline) mid-body: nobody reads an
        # answer, and it is no server error; logged as a refusal, not as a traceback.
        refused.warning("client disconnected during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = {
            "type": "about:blank",
            "title": "Internal error",
            "status": 500,
            "detail": "the node could not process this request; nothing was changed",
        }
        return JSONResponse(body, status_code=500, media_type=PROBLEM)

    app.add_exception_handler(BattraceError, on_battrace)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(ClientDisconnect, on_disconnect)
    app.add_exception_handler(Exception, on_unexpected)


def _dsp_type(path: str) -> str | None:
    if "/api/dsp/" not in path:
        return None
    if "/catalog" in path:
        return "CatalogError"
    if "/negotiations" in path:
        return "ContractNegotiationError"
    if "/transfers" in path:
        return "TransferError"
    return None


def check_api_key(given: str | None, expected: str, detail: str = "missing or wrong X-Api-Key") -> None:
    """The management key, compared in constant time (a timing side channel must not reveal its prefix)."""
    if not secrets.compare_digest((given or "").encode(), expected.encode()):
        raise Unauthenticated(detail)


def require_api_key(api_key: str) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency refusing requests without the node's ``X-Api-Key``."""

    async def check(request: Request) -> None:
        check_api_key(request.headers.get("x-api-key"), api_key)

    return check
