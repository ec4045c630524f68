"""A PACT v3 host over HTTP: /auth/token, /3/footprints, /3/footprints/{id}, /3/events (openapi_v3_0.yaml).

Only translation happens here; the footprints come from a `FootprintRepository` (scoped to the calling
client where it is a `ClientScopedRepository`: a footprint not offered to a client is answered exactly like a
missing one), tokens from `ClientCredentials`, and replies to RequestCreatedEvents are recorded in the
`CallbackDispatcher`'s outbox before the 200 and sent after it. Errors are answered in the PACT `Error`
shape (`{"code", "message"}`), the token endpoint's in the RFC 6749 §5.2 shape (`{"error",
"error_description"}`). Query parameters and bodies are parsed here rather
than by FastAPI so that no malformed input reaches a client in another error shape.

HTTPS (PACT: "host systems MUST only serve over HTTPS") is the server's job: run uvicorn with a certificate.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from battrace.apps.pcf.pact import events
from battrace.apps.pcf.pact.auth import ClientCredentials, InvalidToken, OAuthError
from battrace.apps.pcf.pact.callbacks import CallbackDispatcher, Recipient
from battrace.apps.pcf.pact.model import ProductFootprint
from battrace.apps.pcf.pact.outbox import Delivery
from battrace.apps.pcf.pact.repository import FootprintFilter, FootprintRepository, visible_to
from battrace.clock import Clock, IdFactory
from battrace.errors import BattraceError, InvalidInput, NotFound
from battrace.http.common import blocking, parse_json_object, read_body

log = logging.getLogger("battrace.pact")
Handler = Callable[[Request], Awaitable[Response]]
Inbox = Callable[[events.Event, str], None]
EVENT_BODY_LIMIT = 8 * 1024 * 1024
TOKEN_BODY_LIMIT = 4 * 1024
MAX_FULFILLED = 1000
SEEN_LIMIT = 100_000
_LIST_PARAMS = {"productid", "companyid", "geography", "classification", "status"}
_DATE_PARAMS = {"validon": "validOn", "validafter": "validAfter", "validbefore": "validBefore"}
# PACT v3 Error.code per HTTP status (openapi_v3_0.yaml `Error`); auth errors: see `_pact_error`.
_CODES = {400: "BadRequest", 403: "AccessDenied", 404: "NotFound", 501: "NotImplemented"}


def pact_error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers or None)


def _pact_error(error: BattraceError) -> JSONResponse:
    if isinstance(error, InvalidToken):
        # 401 as the v3 OpenAPI says; code BadRequest for an unknown token is what the conformance cases
        # #6/#7/#16 recommend, TokenExpired tells the client that a new token will do.
        code = "TokenExpired" if error.expired else "BadRequest"
        return pact_error(401, code, error.detail, **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return pact_error(error.status, _CODES.get(error.status, "BadRequest"), error.detail)


def _answers(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except BattraceError as error:
            return _pact_error(error)
        except Exception:
            log.exception("PACT %s %s failed", request.method, request.url.path)
            return pact_error(500, "InternalError", "the host could not process this request")

    return wrapped


def pact_router(
    repository: FootprintRepository,
    *,
    credentials: ClientCredentials,
    clock: Clock,
    callbacks: CallbackDispatcher,
    inbox: Inbox | None = None,
    new_id: IdFactory = lambda: str(uuid.uuid4()),
    page_size: int = 100,
) -> APIRouter:
    """The PACT v3 endpoints. `inbox` receives the Fulfilled, Rejected and Published events sent here."""
    router = APIRouter()
    _auth_routes(router, credentials)
    _footprint_routes(router, repository, credentials, page_size)
    answers = _RequestAnswers(repository, callbacks, clock, new_id)
    _event_routes(router, credentials, answers, inbox or (lambda event, caller: None))
    return router


# -- authentication -----------------------------------------------------------------------------------


def _auth_routes(router: APIRouter, credentials: ClientCredentials) -> None:
    @router.post("/auth/token")
    async def token(request: Request) -> Response:
        try:
            form = await _form(request)
            issued = credentials.issue(request.headers.get("authorization"), form.get("grant_type"))
        except OAuthError as error:
            headers = {"WWW-Authenticate": 'Basic realm="pact"'} if error.status_code == 401 else None
            failure = {"error": error.error, "error_description": error.detail}
            return JSONResponse(failure, status_code=error.status_code, headers=headers)
        body: dict[str, str | int] = {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": int(credentials.lifetime.total_seconds()),
        }
        # RFC 6749 §5.1: token responses must not be cached.
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @router.get("/.well-known/openid-configuration")
    async def discovery(request: Request) -> JSONResponse:
        # PACT §Authenticate: recipients look here first for `token_endpoint`, else use /auth/token.
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "issuer": base,
                "token_endpoint": f"{base}/auth/token",
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    try:
        raw = (await read_body(request, TOKEN_BODY_LIMIT)).decode("utf-8")
    except (BattraceError, UnicodeDecodeError):
        raise OAuthError("invalid_request", "the form body is too large or not UTF-8") from None
    return dict(parse_qsl(raw))


# -- footprints -------------------------------------------------------------------------------------


def _footprint_routes(
    router: APIRouter, repository: FootprintRepository, credentials: ClientCredentials, page_size: int
) -> None:
    @router.get("/3/footprints")
    @_answers
    async def list_footprints(request: Request) -> Response:
        caller = credentials.authenticate(request.headers.get("authorization"))
        criteria, limit, offset = _list_query(request)
        size = min(limit or page_size, page_size)
        page, more = await blocking(visible_to(repository, caller).find, criteria, offset=offset, limit=size)
        headers = {"Link": f'<{_page_link(request, size, offset + len(page))}>; rel="next"'} if more else None
        return JSONResponse({"data": [pf.to_json() for pf in page]}, headers=headers)

    # the id is read raw (a malformed one is a PACT BadRequest, not FastAPI's 422); declared for the OpenAPI
    _pf_id = {"name": "pf_id", "in": "path", "required": True, "schema": {"type": "string"}}

    @router.get("/3/footprints/{pf_id}", openapi_extra={"parameters": [_pf_id]})
    @_answers
    async def get_footprint(request: Request) -> Response:
        caller = credentials.authenticate(request.headers.get("authorization"))
        raw = str(request.path_params["pf_id"])
        pf = await blocking(_lookup, visible_to(repository, caller), raw)
        return JSONResponse({"data": pf.to_json()})


def _lookup(repository: FootprintRepository, raw: str) -> ProductFootprint:
    try:
        pf = repository.get(uuid.UUID(raw))
    except ValueError:
        pf = None  # a malformed id names no footprint: 404 NotFound, as conformance case #8 expects
    if pf is None:
        raise NotFound(f"Footprint with ID '{raw[:100]}' does not exist")
    return pf


def _list_query(request: Request) -> tuple[FootprintFilter, int | None, int]:
    """ListFootprints parameters. Names match case-insensitively (spec example `productId=x&productid=y`)."""
    lists: dict[str, list[str]] = {name: [] for name in _LIST_PARAMS}
    dates: dict[str, datetime] = {}
    limit: int | None = None
    offset = 0
    for name, value in request.query_params.multi_items():
        key = name.casefold()
        if key in lists:
            lists[key].append(value)
        elif key in _DATE_PARAMS:
            if _DATE_PARAMS[key] in dates:
                raise InvalidInput(f"{_DATE_PARAMS[key]} may be given once")
            dates[_DATE_PARAMS[key]] = _query_datetime(_DATE_PARAMS[key], value)
        elif key == "limit":
            limit = _query_int("limit", value, minimum=1)
        elif key == "offset":
            offset = _query_int("offset", value, minimum=0)
        elif key == "$filter":
            raise InvalidInput("$filter (OData) is not supported by PACT v3.0; use the v3 query parameters")
        # Anything else is ignored; vendor parameters are prefixed `x-<identifier>-` by the spec.
    criteria = FootprintFilter(
        productId=tuple(lists["productid"]),
        companyId=tuple(lists["companyid"]),
        geography=tuple(lists["geography"]),
        classification=tuple(lists["classification"]),
        status=tuple(lists["status"]),
        validOn=dates.get("validOn"),
        validAfter=dates.get("validAfter"),
        validBefore=dates.get("validBefore"),
    )
    return criteria, limit, offset


def _query_int(name: str, value: str, *, minimum: int) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < minimum:
        raise InvalidInput(f"{name} must be an integer ≥ {minimum}, got {value[:30]!r}")
    return int(value)


def _query_datetime(name: str, value: str) -> datetime:
    # An un-encoded `+01:00` arrives as a space: put the plus back before parsing.
    text = value.strip().replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be an RFC 3339 date-time, got {value[:40]!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _page_link(request: Request, limit: int, offset: int) -> str:
    """The absolute next-page URL on the host the client called (v3 §Pagination: same `host`, absolute)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k.casefold() not in ("limit", "offset")]
    query = urlencode([*kept, ("limit", str(limit)), ("offset", str(offset))])
    return str(request.url.replace(query=query))


# -- events -----------------------------------------------------------------------------------------


class _RequestAnswers:
    """Turns an accepted RequestCreatedEvent into exactly one Fulfilled or Rejected event."""

    def __init__(
        self, repository: FootprintRepository, callbacks: CallbackDispatcher, clock: Clock, new_id: IdFactory
    ):
        self._repository = repository
        self._callbacks = callbacks
        self._clock = clock
        self._new_id = new_id
        # Recently answered (source, id) pairs; the oldest are forgotten beyond SEEN_LIMIT.
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()

    def accept(self, event: events.RequestCreated, caller: str) -> Recipient | None:
        """Check that the request can be answered (4xx now if not); None if it was already answered."""
        if event.data.to_filter().is_empty():
            raise InvalidInput(
                "a RequestCreatedEvent must name at least one criterion (productId, companyId, …)"
            )
        recipient = self._callbacks.recipient_for(event.source, caller)
        if recipient is None:
            raise InvalidInput(f"no event endpoint is registered for source {event.source[:200]!r}")
        with self._lock:
            # CloudEvents: source + id identify an event; a repeated delivery gets no second answer.
            key = (event.source, event.id)
            if key in self._seen:
                return None
            self._seen[key] = None
            if len(self._seen) > SEEN_LIMIT:
                self._seen.popitem(last=False)
        return recipient

    def reserve(self) -> None:
        self._callbacks.reserve()

    def prepare(
        self, event: events.RequestCreated, recipient: Recipient, own_source: str, caller: str
    ) -> Delivery:
        """The reply, computed from what `caller` may see and written to the outbox before the 200 goes
        out, so that a host that stops right after answering still sends it once it is back."""
        try:
            return self._callbacks.record(recipient, self._reply(event, own_source, caller))
        except Exception:
            self._callbacks.release()
            raise

    def send(self, delivery: Delivery, recipient: Recipient) -> None:
        """Runs after the 200 went out; the reply was `reserve`d with the dispatcher before it."""
        self._callbacks.send(delivery, recipient, reserved=True)

    def _reply(self, event: events.RequestCreated, own_source: str, caller: str) -> dict[str, Any]:
        repository = visible_to(self._repository, caller)
        found, _ = repository.find(event.data.to_filter(), offset=0, limit=MAX_FULFILLED)
        event_id, now = self._new_id(), self._clock()
        if found:
            reply = events.fulfilled(event.id, found, event_id=event_id, source=own_source, time=now)
        else:
            message = "no product footprint matches the request"
            reply = events.rejected(
                event.id, "NotFound", message, event_id=event_id, source=own_source, time=now
            )
        return reply


def _event_routes(
    router: APIRouter, credentials: ClientCredentials, answers: _RequestAnswers, inbox: Inbox
) -> None:
    @router.post("/3/events")
    @_answers
    async def post_event(request: Request) -> Response:
        caller = credentials.authenticate(request.headers.get("authorization"))
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/cloudevents+json", "application/json"):
            raise InvalidInput(f"events are application/cloudevents+json, got {content_type[:60]!r}")
        event = events.parse_event(parse_json_object(await read_body(request, EVENT_BODY_LIMIT)))
        if isinstance(event, events.RequestCreated):
            recipient = answers.accept(event, caller)
            if recipient is None:
                return Response(status_code=200)
            own_source = f"{str(request.base_url).rstrip('/')}/3/events"
            answers.reserve()
            delivery = await blocking(answers.prepare, event, recipient, own_source, caller)
            # The reply is sent after the 200 is on the wire (v3: "200 … and later").
            return Response(status_code=200, background=BackgroundTask(answers.send, delivery, recipient))
        await blocking(inbox, event, caller)
        return Response(status_code=200)
