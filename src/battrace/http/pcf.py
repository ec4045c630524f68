"""Carbon footprint application over HTTP (issue 6): management routes and the node's PACT v3 host.

* ``/management/v3/pcf/...`` (X-Api-Key): the node's operator puts products (activity data and BOM lines),
  pulls a supplier's disclosure through the data space, computes, offers a disclosure to one recipient (BPN),
  registers a passport model carrying the Art. 7 values, offers a footprint on PACT, registers PACT clients.
* ``/auth/token``, ``/.well-known/openid-configuration``, ``/3/footprints[/{id}]``, ``/3/events``: the PACT
  v3 host at the app root, as PACT requires. Its clients are registered through management
  (``POST /management/v3/pcf/pact-clients``); each client's secret is HMAC-SHA256(node API key, client id),
  returned once at registration. A footprint offered with ``clients`` is seen only by those clients (to the
  others it does not exist); one offered without is seen by every client.
* RequestCreatedEvents are answered only for clients registered with a ``callback`` (their PACT host: https,
  plain http only on loopback); the reply is kept in the ``pact-outbox`` documents until delivered or given
  up after 72 h, and the deliveries still pending when the node starts are resumed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from battrace.apps.pcf.model import Granularity
from battrace.apps.pcf.node import (
    Lifetime,
    NodeClients,
    NodeFootprints,
    NodeOutbox,
    NodeRecipients,
    PactCallback,
    PactOffer,
    PcfService,
    parse_wire,
)
from battrace.apps.pcf.pact import CallbackDispatcher, pact_router
from battrace.apps.pcf.pact.outbox import State
from battrace.client import NodeClient
from battrace.connector.node import Node
from battrace.errors import InvalidInput
from battrace.http.common import blocking, read_json_object, require_api_key


def pcf_router(node: Node) -> APIRouter:
    service = PcfService(node, management=lambda: NodeClient(node.settings.base_url, node.api_key))
    router = APIRouter()
    router.include_router(_management(node, service))
    clock = node.ctx.clock
    # a RequestCreatedEvent from a client without a registered callback is answered 400 (nowhere to reply)
    callbacks = CallbackDispatcher(NodeRecipients(service), clock=clock, outbox=NodeOutbox(service))
    node.on_start.append(callbacks.resume)  # replies accepted before a restart and not yet delivered
    node.on_stop.append(callbacks.stop)
    router.include_router(
        pact_router(
            NodeFootprints(service),
            credentials=NodeClients(service, clock=clock, secret=node.session_secret),
            clock=clock,
            callbacks=callbacks,
        ),
        tags=["PACT v3"],
    )
    return router


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} must be a non-empty string", reason=name)
    return value


def _granularity(body: dict[str, Any]) -> Granularity:
    name = body.get("granularity", Granularity.TOTAL.value)
    try:
        return Granularity(name)
    except ValueError:
        allowed = ", ".join(g.value for g in Granularity)
        raise InvalidInput(f"granularity must be one of {allowed}", reason="granularity") from None


def _management(node: Node, service: PcfService) -> APIRouter:
    router = APIRouter(
        prefix="/management/v3/pcf",
        tags=["carbon footprint (management)"],
        dependencies=[Depends(require_api_key(node.api_key))],
    )
    limit = node.settings.max_body_bytes
    _product_routes(router, service, limit)
    _passport_and_pact_routes(router, service, limit)
    return router


def _product_routes(router: APIRouter, service: PcfService, limit: int) -> None:
    """Products, the supplier disclosures received for them, the computed footprint and its disclosures."""

    @router.put("/products/{key}")
    async def put_product(key: str, request: Request) -> dict[str, Any]:
        spec = await blocking(service.put_product, key, await read_json_object(request, limit))
        return spec.model_dump(mode="json", by_alias=True, exclude_none=True)

    @router.get("/products/{key}")
    async def get_product(key: str) -> dict[str, Any]:
        spec = await blocking(service.product, key)
        return spec.model_dump(mode="json", by_alias=True, exclude_none=True)

    @router.post("/received", status_code=201)
    async def receive(request: Request) -> dict[str, Any]:
        """Pull a supplier's disclosure: ``{id, providerDsp, providerDid, assetId}``."""
        body = await read_json_object(request, limit)
        return await blocking(
            service.receive,
            _text(body, "id"),
            provider_dsp=_text(body, "providerDsp"),
            provider_did=_text(body, "providerDid"),
            asset_id=_text(body, "assetId"),
        )

    @router.get("/received/{key}")
    async def get_received(key: str) -> dict[str, Any]:
        disclosure, sha256 = await blocking(service.received, key)
        return {
            "id": key,
            "sha256": sha256,
            "disclosure": disclosure.model_dump(mode="json", exclude_none=True),
        }

    @router.post("/products/{key}/compute")
    async def compute(key: str) -> dict[str, Any]:
        await blocking(service.compute, key)
        return await get_footprint(key)

    @router.get("/products/{key}/footprint")
    async def get_footprint(key: str) -> dict[str, Any]:
        footprint, statement = await blocking(service.footprint, key)
        return {"footprint": footprint.model_dump(mode="json", exclude_none=True), "statement": statement}

    @router.post("/products/{key}/disclosures", status_code=201)
    async def publish(key: str, request: Request) -> dict[str, Any]:
        """Offer the footprint to one recipient: ``{recipientBpn, granularity}``."""
        body = await read_json_object(request, limit)
        return await blocking(
            service.publish, key, recipient_bpn=_text(body, "recipientBpn"), granularity=_granularity(body)
        )


def _passport_and_pact_routes(router: APIRouter, service: PcfService, limit: int) -> None:
    """A footprint into the passport (values, or a model registered with them) and onto the PACT host."""

    @router.post("/products/{key}/passport-values")
    async def passport_values(key: str, request: Request) -> dict[str, Any]:
        """The Art. 7 passport values of one battery of this product (lifetime energy as in ``Lifetime``)."""
        lifetime = parse_wire(Lifetime, await read_json_object(request, limit), "lifetime")
        metric = await blocking(service.metric, key, lifetime)
        return {"values": metric.passport_values()}

    @router.post("/products/{key}/passport-model", status_code=201)
    async def passport_model(key: str, request: Request) -> JSONResponse:
        """Register a passport model with the computed values: ``{modelId, category, values, lifetime}``."""
        body = await read_json_object(request, limit)
        values, lifetime = body.get("values", {}), body.get("lifetime")
        if not isinstance(values, dict) or not isinstance(lifetime, dict):
            raise InvalidInput("values and lifetime must be JSON objects", reason="values")
        model_id = await blocking(
            service.register_passport_model,
            key,
            parse_wire(Lifetime, lifetime, "lifetime"),
            model_id=_text(body, "modelId"),
            category=_text(body, "category"),
            values=values,
        )
        return JSONResponse({"modelId": model_id}, status_code=201)

    @router.post("/products/{key}/pact", status_code=201)
    async def offer_on_pact(key: str, request: Request) -> dict[str, Any]:
        offer = parse_wire(PactOffer, await read_json_object(request, limit), "PACT offer")
        return (await blocking(service.offer_on_pact, key, offer)).to_json()

    @router.post("/pact-clients", status_code=201)
    async def register_client(request: Request) -> dict[str, str]:
        """``{clientId, callback?: {baseUrl, username, password, authBaseUrl?, source?}}``: the callback is
        the client's own PACT host, where replies to its RequestCreatedEvents go (the allow-list)."""
        body = await read_json_object(request, limit)
        client_id = _text(body, "clientId")
        raw = body.get("callback")
        if raw is not None and not isinstance(raw, dict):
            raise InvalidInput("callback must be a JSON object", reason="callback")
        callback = None if raw is None else parse_wire(PactCallback, raw, "PACT callback")
        return {
            "clientId": client_id,
            "clientSecret": await blocking(service.register_pact_client, client_id, callback),
        }

    @router.get("/pact-outbox")
    async def pact_outbox(state: str | None = None) -> dict[str, Any]:
        """Replies to RequestCreatedEvents: pending, delivered or abandoned (``?state=``)."""
        try:
            wanted = None if state is None else State(state)
        except ValueError:
            allowed = ", ".join(s.value for s in State)
            raise InvalidInput(f"state must be one of {allowed}", reason="state") from None
        deliveries = await blocking(service.pact_deliveries, state=wanted)
        return {
            "deliveries": [
                {k: v for k, v in d.to_json().items() if k != "event"}
                | {
                    "type": d.event.get("type"),
                    "requestEventId": d.event.get("data", {}).get("requestEventId"),
                }
                for d in deliveries
            ]
        }
