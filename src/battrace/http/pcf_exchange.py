"""The Catena-X PCF exchange (request GET -> 202, response/update PUT) between nodes (issue 6 item 5).

* Data plane: `/api/public/productIds/{productId}` on this node's `cx-taxo:PcfExchange` asset, routed to
  `PcfExchange.serve` (data address type `BattracePcfExchange`) after the connector's EDR and usage checks;
  a PUT with `?semanticId=<pcf_for_battery_component_supplier URN>` is the battery aspect of the same answer.
* Management (X-Api-Key), prefix `/management/v3/pcf-exchange`:
  - `PUT /asset` {bpn, partners?}: offer this node's exchange asset and name its own BPNL;
  - provider: `PUT /products/{key}` (a product answered on the exchange, with its Catena-X header, the
    shape of a PACT offer, `consumers` {BPNL: granularity} for those granted another cut, and `battery`
    {siteIdentifier (BPNS), manufacturerPartId?, customerPartId?, …}, required once any grant is `stages`:
    those consumers also get the pcf_for_battery_component_supplier 1.0.0 aspect),
    `GET /incoming`, `POST /incoming/{requestId}/answer`,
    `POST /products/{key}/updates`;
  - consumer: `POST /requests` {providerDsp, providerDid, productId, message?}, `GET /requests`,
    `GET /requests/{requestId}` (state, answers, the latest Pcf and its battery aspect when one came),
    `GET /requests/{requestId}/disclosure` (with the stage split when the battery aspect came),
    `POST /requests/{requestId}/receive` {id} (keep the latest answer as the PCF app's received disclosure
    ``id``, which a BOM line can name; 409 while unanswered).
See battrace.apps.pcf.catenax.exchange for the protocol and what is kept.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from battrace.apps.pcf.catenax.exchange import ADDRESS_TYPE, PcfExchange
from battrace.apps.pcf.node import PcfService
from battrace.client import NodeClient
from battrace.connector.node import Node
from battrace.errors import InvalidInput
from battrace.http.common import blocking, read_json_object, require_api_key


def pcf_exchange_router(node: Node) -> APIRouter:
    def management() -> NodeClient:
        return NodeClient(node.settings.base_url, node.api_key)

    service = PcfExchange(node, management=management, pcf=PcfService(node, management=management))
    node.dataplane.backends[ADDRESS_TYPE] = service.serve
    router = APIRouter(
        prefix="/management/v3/pcf-exchange",
        tags=["Catena-X PCF exchange (management)"],
        dependencies=[Depends(require_api_key(node.api_key))],
    )
    limit = node.settings.max_body_bytes

    @router.put("/asset")
    async def offer_asset(request: Request) -> dict[str, Any]:
        body = await read_json_object(request, limit)
        partners = body.get("partners", [])
        if not isinstance(partners, list):
            raise InvalidInput("partners must be an array of BPNLs", reason="partners")
        return await blocking(service.offer_asset, _text(body, "bpn"), partners)

    _provider_routes(router, service, limit)
    _consumer_routes(router, service, limit)
    return router


def _provider_routes(router: APIRouter, service: PcfExchange, limit: int) -> None:
    @router.put("/products/{key}")
    async def declare(key: str, request: Request) -> dict[str, Any]:
        return await blocking(service.declare_product, key, await read_json_object(request, limit))

    @router.get("/incoming")
    async def incoming() -> list[dict[str, Any]]:
        return await blocking(service.incoming)

    @router.post("/incoming/{request_id}/answer")
    async def answer(request_id: str) -> dict[str, Any]:
        return await blocking(service.answer, _request_id(request_id))

    @router.post("/products/{key}/updates")
    async def update(key: str) -> dict[str, Any]:
        return await blocking(service.update, key)


def _consumer_routes(router: APIRouter, service: PcfExchange, limit: int) -> None:
    @router.post("/requests", status_code=201)
    async def ask(request: Request) -> JSONResponse:
        body = await read_json_object(request, limit)
        message = body.get("message")
        if message is not None and not isinstance(message, str):
            raise InvalidInput("message must be text", reason="message")
        sent = await blocking(
            service.request,
            _text(body, "providerDsp"),
            _text(body, "providerDid"),
            _text(body, "productId"),
            message,
        )
        return JSONResponse(sent, status_code=201)

    @router.get("/requests")
    async def requests() -> list[dict[str, Any]]:
        return await blocking(service.requests)

    @router.get("/requests/{request_id}")
    async def requested(request_id: str) -> dict[str, Any]:
        return await blocking(service.requested, _request_id(request_id))

    @router.post("/requests/{request_id}/receive")
    async def keep(request_id: str, request: Request) -> dict[str, Any]:
        """Keep the latest answer as the PCF app's ``received/<id>``, for a BOM line: ``{id}``."""
        body = await read_json_object(request, limit)
        return await blocking(service.keep, _request_id(request_id), _text(body, "id"))

    @router.get("/requests/{request_id}/disclosure")
    async def disclosure(request_id: str) -> dict[str, Any]:
        found, sha256 = await blocking(service.disclosure, _request_id(request_id))
        return {"disclosure": found.model_dump(mode="json", exclude_none=True), "sha256": sha256}


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} must be a non-empty string", reason=name)
    return value


def _request_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"requestId must be a UUID, got {value[:40]!r}", reason="requestId") from None
