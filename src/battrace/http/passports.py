"""Battery passports over HTTP.

* ``/management/v3/passport-models``, ``/management/v3/passports`` (X-Api-Key): the node's own operator issues
  models and passports, records dynamic data and status changes, and reads everything.
* ``/passports/{id}`` (participant API): anyone reads the public view; a participant presenting its
  self-issued token (as on DSP) gets the view its verified role credentials allow (Art. 77(2)), and a
  party the operator mandated writes measurements and status events (Art. 77(4)).
The same documents also travel over the data space: a ``BattracePassport`` asset (see ``passport_backend``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from battrace.connector.node import Node
from battrace.connector.records import Agreement, Asset
from battrace.dataplane import Backend, DataRequest, DataResponse
from battrace.dataplane.consumer import edr_proof
from battrace.errors import InvalidInput, NotFound, Unauthenticated
from battrace.http.common import blocking, read_json_object, require_api_key
from battrace.passport.attributes import Audience, BatteryCategory
from battrace.passport.lifecycle import PassportEvent
from battrace.passport.records import PassportDocument
from battrace.passport.service import EVERYONE, Measurement, NewModel, NewPassport
from battrace.passport.views import audiences_from_claims

PASSPORT_ADDRESS_TYPE = "BattracePassport"
PUBLIC_ONLY = frozenset({Audience.PUBLIC})
_PASSPORT_FIELDS = {"modelId", "values", "passportId", "mandated", "predecessor", "originEvent"}


# -- JSON shapes -------------------------------------------------------------------------------------------


def document_json(document: PassportDocument) -> dict[str, Any]:
    """The wire form of a split passport: what the caller may see, and which levels were withheld."""
    body: dict[str, Any] = {
        "passportId": document.passport_id,
        "category": document.category.value,
        "responsibleOperator": document.responsible_operator,
        "issuedAt": _iso(document.issued_at),
        "audiences": sorted(a.value for a in document.audiences),
        "values": document.view.values,
        "withheld": list(document.view.withheld),
        "series": {
            key: [
                {"value": p.value, "unit": p.unit, "measuredAt": _iso(p.measured_at), "source": p.source}
                for p in points
            ]
            for key, points in document.series.items()
        },
        "timeline": [
            {
                "event": e.event.value,
                "before": e.before.value if e.before else None,
                "after": e.after.value,
                "at": _iso(e.at),
                "actor": e.actor,
            }
            for e in document.timeline
        ],
        "predecessor": document.predecessor,
        "successor": document.successor,
        "signature": document.signature,
    }
    if document.state is not None:
        body["state"] = document.state.value
    return body


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _text(body: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} must be a non-empty string", reason=name)
    return value


def _object(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if not isinstance(value, dict):
        raise InvalidInput(f"{name} must be a JSON object", reason=name)
    return value


def _time(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be an RFC 3339 date-time string", reason=name)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not an RFC 3339 date-time", reason=name) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} needs a timezone offset (RFC 3339)", reason=name)
    return parsed


def parse_model(body: Mapping[str, Any]) -> NewModel:
    category = _text(body, "category")
    try:
        parsed = BatteryCategory(category)
    except ValueError:
        allowed = ", ".join(c.value for c in BatteryCategory)
        raise InvalidInput(f"category must be one of {allowed}", reason="category") from None
    return NewModel(str(_text(body, "modelId")), parsed, _object(body, "values"))


def parse_passport(body: Mapping[str, Any]) -> NewPassport:
    unknown = set(body) - _PASSPORT_FIELDS
    if unknown:
        raise InvalidInput(f"unknown fields {sorted(unknown)}", reason="unknown_field")
    mandated = body.get("mandated", [])
    if not isinstance(mandated, list) or not all(isinstance(d, str) and d for d in mandated):
        raise InvalidInput("mandated must be an array of DIDs", reason="mandated")
    origin = _text(body, "originEvent", required=False)
    try:
        event = PassportEvent(origin) if origin is not None else None
    except ValueError:
        raise InvalidInput("originEvent must be repurpose or remanufacture", reason="originEvent") from None
    return NewPassport(
        model_id=str(_text(body, "modelId")),
        values=_object(body, "values"),
        passport_id=_text(body, "passportId", required=False),
        mandated=tuple(mandated),
        predecessor=_text(body, "predecessor", required=False),
        origin_event=event,
    )


def parse_measurements(body: Mapping[str, Any]) -> list[Measurement]:
    items = body.get("measurements")
    if not isinstance(items, list) or not items:
        raise InvalidInput("measurements must be a non-empty array", reason="measurements")
    parsed = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput(f"measurements[{n}] must be an object", reason="measurements")
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidInput(f"measurements[{n}].value must be a number or text", reason="value")
        unit = item.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise InvalidInput(f"measurements[{n}].unit must be text", reason="unit")
        parsed.append(
            Measurement(
                key=str(_text(item, "key")),
                value=value,
                unit=unit,
                measured_at=_time(item.get("measuredAt"), f"measurements[{n}].measuredAt"),
                source=str(_text(item, "source")),
            )
        )
    return parsed


def _status_args(body: Mapping[str, Any]) -> tuple[PassportEvent, datetime | None, str | None]:
    name = str(_text(body, "event"))
    try:
        event = PassportEvent(name)
    except ValueError:
        allowed = ", ".join(e.value for e in PassportEvent if e is not PassportEvent.PLACE_ON_MARKET)
        raise InvalidInput(f"event must be one of {allowed}", reason="event") from None
    at = _time(body["at"], "at") if body.get("at") is not None else None
    return event, at, _text(body, "successorId", required=False)


# -- routers -----------------------------------------------------------------------------------------------


def passport_management_router(node: Node) -> APIRouter:
    router = APIRouter(
        prefix="/management/v3",
        tags=["passports (management)"],
        dependencies=[Depends(require_api_key(node.api_key))],
    )
    _model_routes(router, node)
    _issue_routes(router, node)
    _update_routes(router, node)
    return router


def _model_routes(router: APIRouter, node: Node) -> None:
    service, limit = node.passports, node.settings.max_body_bytes

    @router.post("/identity/tokens", status_code=201)
    async def token_for(request: Request) -> dict[str, str]:
        """battrace extension: a short-lived self-issued token of this node for another node
        (``audience``), to read or write passports there or to log in to its passport viewer."""
        audience = str(_text(await read_json_object(request, limit), "audience"))
        return {"authorization": await blocking(node.peers.authorization, audience)}

    @router.post("/edrs/{transfer_id}/dpop", status_code=201)
    async def edr_dpop(transfer_id: str, request: Request) -> dict[str, str]:
        """battrace extension: the `Authorization` and `DPoP` (RFC 9449) headers for one data-plane request
        (`htm`, `htu`) on the EDR of consumer transfer ``transfer_id``, the proof signed with this node's key
        (battrace.dataplane.consumer)."""
        body = await read_json_object(request, limit)
        htm, htu = str(_text(body, "htm")), str(_text(body, "htu"))
        transfer = await blocking(node.transfers.get, transfer_id)
        return edr_proof(transfer, node.keys, htm=htm, htu=htu, now=node.ctx.clock(), jti=node.ctx.new_id())

    @router.post("/passport-models", status_code=201)
    async def register_model(request: Request) -> JSONResponse:
        model = parse_model(await read_json_object(request, limit))
        record = await blocking(service.register_model, model)
        return JSONResponse({"modelId": record.id, "signature": record.signature}, status_code=201)

    @router.get("/passport-models")
    async def list_models() -> list[dict[str, Any]]:
        models = await blocking(service.models)
        return [{"modelId": m.id, "category": m.category, "values": m.values} for m in models]


def _issue_routes(router: APIRouter, node: Node) -> None:
    service, limit = node.passports, node.settings.max_body_bytes

    @router.post("/passports", status_code=201)
    async def issue(request: Request) -> JSONResponse:
        """One passport, or ``{"passports": [...]}`` for a batch (all or none)."""
        body = await read_json_object(request, limit)
        batch = body.get("passports")
        if batch is not None:
            if not isinstance(batch, list) or not all(isinstance(i, dict) for i in batch):
                raise InvalidInput("passports must be an array of objects", reason="passports")
            items = [parse_passport(item) for item in batch]
        else:
            items = [parse_passport(body)]
        issued = await blocking(service.issue, items)
        ids = list(issued.passport_ids)
        base = node.settings.base_url
        return JSONResponse(
            {"passportIds": ids, "viewerUrls": [f"{base}/passport/{i}" for i in ids]}, status_code=201
        )

    @router.get("/passports")
    async def list_passports(
        after: str | None = None,
        limit_: int = Query(100, alias="limit", ge=1, le=1000),
        modelId: str | None = None,
    ) -> dict[str, Any]:
        ids = await blocking(service.passport_ids, after=after, limit=limit_, model_id=modelId)
        return {"passportIds": ids, "next": ids[-1] if len(ids) == limit_ else None}

    @router.get("/passports/{passport_id}")
    async def read_full(passport_id: str) -> dict[str, Any]:
        return document_json(await blocking(service.document, passport_id, EVERYONE))


def _update_routes(router: APIRouter, node: Node) -> None:
    service, limit = node.passports, node.settings.max_body_bytes

    @router.post("/passports/{passport_id}/measurements", status_code=201)
    async def record(passport_id: str, request: Request) -> dict[str, int]:
        items = parse_measurements(await read_json_object(request, limit))
        return {"recorded": await blocking(service.record, passport_id, items, writer=node.did)}

    @router.post("/passports/{passport_id}/status")
    async def change_status(passport_id: str, request: Request) -> dict[str, str]:
        event, at, successor = _status_args(await read_json_object(request, limit))
        state = await blocking(
            service.change_status, passport_id, event, writer=node.did, at=at, successor_id=successor
        )
        return {"passportId": passport_id, "state": state.value}


def passport_api_router(node: Node) -> APIRouter:
    """Participant API: public without a token; with one, the caller's verified roles decide the view."""
    router = APIRouter(prefix="/passports", tags=["passports"])
    service, limit = node.passports, node.settings.max_body_bytes

    def audiences(authorization: str | None) -> frozenset[Audience]:
        if authorization is None:
            return PUBLIC_ONLY
        caller = node.verifier.verify(authorization)
        return audiences_from_claims(node.ctx.claims.claims_for(caller))

    def writer(authorization: str | None) -> str:
        if authorization is None:
            raise Unauthenticated("writing to a passport needs the writer's self-issued token")
        return node.verifier.verify(authorization).did

    @router.post("/{passport_id}/measurements", status_code=201)
    async def record(passport_id: str, request: Request) -> dict[str, int]:
        who = await blocking(writer, request.headers.get("authorization"))
        items = parse_measurements(await read_json_object(request, limit))
        return {"recorded": await blocking(service.record, passport_id, items, writer=who)}

    @router.post("/{passport_id}/status")
    async def change_status(passport_id: str, request: Request) -> dict[str, str]:
        who = await blocking(writer, request.headers.get("authorization"))
        event, at, successor = _status_args(await read_json_object(request, limit))
        state = await blocking(
            service.change_status, passport_id, event, writer=who, at=at, successor_id=successor
        )
        return {"passportId": passport_id, "state": state.value}

    @router.get("/{passport_id}")
    async def read(passport_id: str, request: Request) -> dict[str, Any]:
        caller = await blocking(audiences, request.headers.get("authorization"))
        return document_json(await blocking(service.document, passport_id, caller))

    return router


def viewer_login(node: Node) -> Callable[[str], tuple[str, frozenset[Audience]]]:
    """The viewer's login check: a participant's self-issued token for this node (as on DSP; `Bearer` or
    bare), verified once (its jti cannot be replayed), turned into the reader groups its roles grant."""

    def authenticate(token: str) -> tuple[str, frozenset[Audience]]:
        caller = node.verifier.verify(token if token.lower().startswith("bearer ") else f"Bearer {token}")
        return caller.did, audiences_from_claims(node.ctx.claims.claims_for(caller))

    return authenticate


def passport_backend(node: Node) -> Backend:
    """Data-plane backend for ``BattracePassport`` assets: the path names the passport; the consumer's view is
    decided by the roles its verified credentials carry, exactly as on the participant API. An asset may be
    bound to one model (``modelId`` in its data address); passports of other models are then not found."""

    def serve(asset: Asset, agreement: Agreement, consumer_did: str, request: DataRequest) -> DataResponse:
        passport_id = request.path.strip("/")
        if request.method != "GET":
            raise InvalidInput("passports are read with GET over the data plane", reason="method")
        if not passport_id:
            raise InvalidInput("name the passport: /api/public/<passport id>", reason="passport")
        audiences = audiences_from_claims(node.ctx.claims_for_did(consumer_did))
        document = node.passports.document(passport_id, audiences)
        bound = asset.data_address.get("modelId")
        if bound is not None and document.model_id != bound:
            raise NotFound(f"no passport {passport_id!r} under this asset", reason="unknown_passport")
        content = json.dumps(document_json(document), separators=(",", ":")).encode()
        return DataResponse(200, "application/json", content, agreement.id)

    return serve
