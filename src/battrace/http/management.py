"""Management API in the shapes of the EDC Management API v3 (`X-Api-Key`, JSON-LD, `@vocab` = EDC's
namespace), so Tractus-X tooling and walkthroughs work unchanged. battrace extensions (marked) cover
what EDC leaves to its state machine: a provider agreeing or countering, a consumer accepting or countering.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from battrace import management as shapes
from battrace.connector.contracts import contract_view
from battrace.connector.node import Node
from battrace.connector.processes import join
from battrace.connector.records import (
    Agreement,
    Asset,
    AssetContent,
    ContractDefinition,
    Negotiation,
    PolicyDefinition,
    Transfer,
)
from battrace.connector.urls import check_peer_url
from battrace.dataplane import address_kind, stored_kind
from battrace.dsp.messages import read_edr
from battrace.dsp.states import TransferEvent
from battrace.dsp.validation import normalise_singletons
from battrace.errors import InvalidInput, NotFound
from battrace.http.common import blocking, parse_json_object, read_body, read_json_object, require_api_key
from battrace.policy import parse_policy

JSON = dict[str, Any]
PROTOCOL = "dataspace-protocol-http:2025-1"


def management_router(node: Node) -> APIRouter:
    api_key = require_api_key(node.api_key)
    router = APIRouter(
        prefix="/management/v3", tags=["Management API (EDC v3 shapes)"], dependencies=[Depends(api_key)]
    )
    limit = node.settings.max_body_bytes
    _asset_routes(router, node, limit)
    _definition_routes(router, node, limit)
    _negotiation_routes(router, node, limit)
    _transfer_routes(router, node, limit)
    return router


def _now(node: Node) -> datetime:
    return node.ctx.clock()


async def _query(request: Request, limit: int) -> shapes.QuerySpec:
    raw = await read_body(request, limit)
    if not raw.strip():
        return shapes.parse_query_spec(None)
    return shapes.parse_query_spec(parse_json_object(raw))


def _page(
    items: Sequence[Any], query: shapes.QuerySpec, properties: Callable[[Any], dict[str, Any]]
) -> list[Any]:
    return list(shapes.select(items, query, properties))


# ---------------------------------------------------------------------------------------------- assets


def _asset_routes(router: APIRouter, node: Node, limit: int) -> None:
    @router.post("/assets")
    async def create_asset(request: Request) -> JSONResponse:
        parsed = await blocking(
            shapes.parse_asset, await read_json_object(request, node.settings.max_upload_bytes)
        )
        asset, content = _asset_from(node, parsed)

        def save() -> None:
            with node.store.transaction() as tx:
                tx.add_asset(asset, content)

        await blocking(save)
        return JSONResponse(shapes.render_id_response(asset.id, asset.created_at), status_code=200)

    @router.put("/assets/{asset_id}/content")
    async def upload_content(asset_id: str, request: Request) -> Response:
        """battrace extension: the bytes of a `Stored` asset (a JSON document or any file)."""
        data = await read_body(request, node.settings.max_upload_bytes)
        content_type = request.headers.get("content-type", "application/octet-stream")
        await blocking(_replace_content, node, asset_id, content_type, data)
        return Response(status_code=204)

    @router.get("/assets/{asset_id}")
    async def get_asset(asset_id: str) -> JSONResponse:
        asset = await blocking(_get, node, "asset", asset_id)
        return JSONResponse(_render_asset(asset))

    @router.post("/assets/request")
    async def query_assets(request: Request) -> JSONResponse:
        query = await _query(request, limit)
        assets = await blocking(_all, node, "assets")
        page = _page(assets, query, lambda a: {"https://w3id.org/edc/v0.0.1/ns/id": a.id, **a.properties})
        return JSONResponse([_render_asset(a) for a in page])

    @router.delete("/assets/{asset_id}", status_code=204)
    async def delete_asset(asset_id: str) -> Response:
        await blocking(_delete, node, "asset", asset_id)
        return Response(status_code=204)


def _asset_from(node: Node, parsed: Any) -> tuple[Asset, AssetContent | None]:
    now = _now(node)
    asset_id = parsed.id or node.ctx.new_id()
    address = dict(parsed.data_address) or {"type": "Stored"}
    content = None
    inline = address.pop("value", None) if str(address.get("type", "")).endswith("Inline") else None
    if inline is not None:
        data = inline.encode() if isinstance(inline, str) else _json_bytes(inline)
        content_type = str(address.get("contentType", "application/json"))
        content = AssetContent(asset_id, content_type, data, hashlib.sha256(data).hexdigest())
    elif stored_kind(address) or address_kind(address) in node.dataplane.backends:
        pass  # served by the node itself (stored content, or a node backend such as battery passports)
    elif not isinstance(address.get("baseUrl"), str):
        raise InvalidInput("an HttpData dataAddress needs a baseUrl")
    return Asset(asset_id, dict(parsed.properties), address, now), content


def _json_bytes(value: Any) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _replace_content(node: Node, asset_id: str, content_type: str, data: bytes) -> None:
    with node.store.transaction() as tx:
        asset = tx.get_asset(asset_id)
        if asset is None:
            raise NotFound(f"asset {asset_id!r} not found")
        if not stored_kind(asset.data_address):
            raise InvalidInput("content can only be uploaded to an asset whose dataAddress type is Stored")
        content = AssetContent(asset_id, content_type, data, hashlib.sha256(data).hexdigest())
        # Replace = delete + add, in one transaction: a reader sees the old or the new bytes, never none.
        tx.delete_asset(asset_id)
        tx.add_asset(asset, content)


def _render_asset(asset: Asset) -> JSON:
    return shapes.render_asset(asset.id, dict(asset.properties), dict(asset.data_address), asset.created_at)


# ------------------------------------------------------------------------------ policy & contract definitions


def _definition_routes(router: APIRouter, node: Node, limit: int) -> None:
    @router.post("/policydefinitions")
    async def create_policy(request: Request) -> JSONResponse:
        parsed = await blocking(shapes.parse_policy_definition, await read_json_object(request, limit))
        parse_policy(parsed.policy)  # the engine must understand it before it is stored
        record = PolicyDefinition(parsed.id or node.ctx.new_id(), parsed.policy, _now(node))

        def save() -> None:
            with node.store.transaction() as tx:
                tx.add_policy_definition(record)

        await blocking(save)
        return JSONResponse(shapes.render_id_response(record.id, record.created_at))

    @router.get("/policydefinitions/{policy_id}")
    async def get_policy(policy_id: str) -> JSONResponse:
        p = await blocking(_get, node, "policy_definition", policy_id)
        return JSONResponse(shapes.render_policy_definition(p.id, dict(p.policy), p.created_at))

    @router.post("/policydefinitions/request")
    async def query_policies(request: Request) -> JSONResponse:
        query = await _query(request, limit)
        items = _page(await blocking(_all, node, "policy_definitions"), query, lambda p: {"id": p.id})
        return JSONResponse(
            [shapes.render_policy_definition(p.id, dict(p.policy), p.created_at) for p in items]
        )

    @router.delete("/policydefinitions/{policy_id}", status_code=204)
    async def delete_policy(policy_id: str) -> Response:
        await blocking(_delete, node, "policy_definition", policy_id)
        return Response(status_code=204)

    @router.post("/contractdefinitions")
    async def create_contract_definition(request: Request) -> JSONResponse:
        parsed = await blocking(shapes.parse_contract_definition, await read_json_object(request, limit))
        record = ContractDefinition(
            parsed.id or node.ctx.new_id(),
            parsed.access_policy_id,
            parsed.contract_policy_id,
            tuple(
                {"operandLeft": c.operand_left, "operator": c.operator, "operandRight": c.operand_right}
                for c in parsed.assets_selector
            ),
            _now(node),
            contract_template=parsed.contract_template,
            contract_parameters=parsed.contract_parameters,
        )
        await blocking(_save_contract_definition, node, record)
        return JSONResponse(shapes.render_id_response(record.id, record.created_at))

    @router.get("/contractdefinitions/{definition_id}")
    async def get_contract_definition(definition_id: str) -> JSONResponse:
        d = await blocking(_get, node, "contract_definition", definition_id)
        return JSONResponse(_render_definition(d))

    @router.post("/contractdefinitions/request")
    async def query_contract_definitions(request: Request) -> JSONResponse:
        query = await _query(request, limit)
        items = _page(await blocking(_all, node, "contract_definitions"), query, lambda d: {"id": d.id})
        return JSONResponse([_render_definition(d) for d in items])

    @router.delete("/contractdefinitions/{definition_id}", status_code=204)
    async def delete_contract_definition(definition_id: str) -> Response:
        await blocking(_delete, node, "contract_definition", definition_id)
        return Response(status_code=204)


def _save_contract_definition(node: Node, record: ContractDefinition) -> None:
    with node.store.transaction() as tx:
        for policy_id in (record.access_policy_id, record.contract_policy_id):
            if tx.get_policy_definition(policy_id) is None:
                raise InvalidInput(f"policy definition {policy_id!r} does not exist")
        tx.add_contract_definition(record)


def _render_definition(d: ContractDefinition) -> JSON:
    selector = [
        shapes.Criterion(c["operandLeft"], c["operator"], c.get("operandRight")) for c in d.assets_selector
    ]
    return shapes.render_contract_definition(
        d.id,
        d.access_policy_id,
        d.contract_policy_id,
        selector,
        d.created_at,
        d.contract_template,
        d.contract_parameters,
    )


# ---------------------------------------------------------------------------------------------- negotiations


def _negotiation_routes(router: APIRouter, node: Node, limit: int) -> None:
    service = node.negotiations

    @router.post("/catalog/request")
    async def catalog_request(request: Request) -> JSONResponse:
        parsed = await blocking(shapes.parse_catalog_request, await read_json_object(request, limit))
        return JSONResponse(await blocking(_fetch_catalog, node, parsed))

    @router.post("/contractnegotiations")
    async def start_negotiation(request: Request) -> JSONResponse:
        parsed = await blocking(shapes.parse_contract_request, await read_json_object(request, limit))
        provider = parsed.counter_party_id or parsed.offer.get("assigner")
        if not isinstance(provider, str):
            raise InvalidInput("counterPartyId (the provider's DID) or policy.assigner is required")
        n = await blocking(
            service.request, parsed.counter_party_address, provider, parsed.offer, parsed.offer_context
        )
        return JSONResponse(shapes.render_id_response(n.id, n.created_at))

    @router.get("/contractnegotiations/{negotiation_id}")
    async def get_negotiation(negotiation_id: str) -> JSONResponse:
        return JSONResponse(_render_negotiation(await blocking(service.get, negotiation_id)))

    @router.get("/contractnegotiations/{negotiation_id}/state")
    async def get_negotiation_state(negotiation_id: str) -> JSONResponse:
        n = await blocking(service.get, negotiation_id)
        return JSONResponse(shapes.render_negotiation_state(n.state))

    @router.post("/contractnegotiations/request")
    async def query_negotiations(request: Request) -> JSONResponse:
        query = await _query(request, limit)
        items = _page(
            await blocking(_all, node, "negotiations"),
            query,
            lambda n: {"id": n.id, "state": n.state, "type": n.role},
        )
        return JSONResponse([_render_negotiation(n) for n in items])

    @router.post("/contractnegotiations/{negotiation_id}/terminate")
    async def terminate_negotiation(negotiation_id: str, request: Request) -> Response:
        raw = await read_body(request, limit)
        reason = shapes.parse_terminate(parse_json_object(raw)).reason if raw.strip() else None
        await blocking(service.terminate, negotiation_id, reason)
        return Response(status_code=204)

    @router.post("/contractnegotiations/{negotiation_id}/agree")
    async def agree(negotiation_id: str) -> JSONResponse:
        """battrace extension: provider agrees to the consumer's pending request."""
        return JSONResponse(_render_negotiation(await blocking(service.agree, negotiation_id)))

    @router.post("/contractnegotiations/{negotiation_id}/finalize")
    async def finalize(negotiation_id: str) -> JSONResponse:
        """battrace extension: provider confirms a verified agreement (when auto_approve is off)."""
        return JSONResponse(_render_negotiation(await blocking(service.finalize, negotiation_id)))

    @router.post("/contractnegotiations/{negotiation_id}/accept")
    async def accept(negotiation_id: str) -> JSONResponse:
        """battrace extension: consumer accepts the provider's pending offer."""
        return JSONResponse(_render_negotiation(await blocking(service.accept, negotiation_id)))

    @router.post("/contractnegotiations/{negotiation_id}/offer")
    async def counter_offer(negotiation_id: str, request: Request) -> JSONResponse:
        """battrace extension: provider counter-offer; body = a ContractRequest-shaped `policy`."""
        parsed = await blocking(shapes.parse_contract_request, await read_json_object(request, limit))
        n = await blocking(service.counter_offer, negotiation_id, parsed.offer, parsed.offer_context)
        return JSONResponse(_render_negotiation(n))

    @router.post("/contractnegotiations/{negotiation_id}/request")
    async def counter_request(negotiation_id: str, request: Request) -> JSONResponse:
        """battrace extension: consumer counter-request; body = a ContractRequest-shaped `policy`."""
        parsed = await blocking(shapes.parse_contract_request, await read_json_object(request, limit))
        n = await blocking(service.counter_request, negotiation_id, parsed.offer, parsed.offer_context)
        return JSONResponse(_render_negotiation(n))

    @router.get("/trust/decisions/{participant_did:path}")
    async def trust_decision(participant_did: str) -> JSONResponse:
        """battrace extension: the last credential verification of a participant, with its reasons."""
        explained = node.credential_claims.explain(participant_did) if node.credential_claims else None
        denials = node.ctx.denials.of(participant_did)
        if explained is None and not denials:
            raise NotFound(f"nothing has been decided about {participant_did!r} yet")
        return JSONResponse({**(explained or {"participant": participant_did}), "policyDenials": denials})

    @router.get("/contractagreements/{agreement_id}")
    async def get_agreement(agreement_id: str) -> JSONResponse:
        return JSONResponse(_render_agreement(await blocking(_get, node, "agreement", agreement_id)))

    @router.get("/contracts/{agreement_id}")
    async def get_contract(agreement_id: str) -> JSONResponse:
        """battrace extension: the contract rendered for an agreement, with both parties' signatures."""
        contract, agreement = await blocking(node.contracts.for_party, agreement_id, None)
        return JSONResponse(contract_view(contract, agreement))

    @router.post("/contractagreements/request")
    async def query_agreements(request: Request) -> JSONResponse:
        query = await _query(request, limit)
        items = _page(
            await blocking(_all, node, "agreements"), query, lambda a: {"id": a.id, "assetId": a.asset_id}
        )
        return JSONResponse([_render_agreement(a) for a in items])


def _fetch_catalog(node: Node, parsed: Any) -> JSON:
    address = check_peer_url(
        parsed.counter_party_address, dev=node.settings.dev, allowed_hosts=node.settings.allowed_peer_hosts
    )
    audience = parsed.counter_party_id
    if not audience:
        raise InvalidInput("counterPartyId (the provider's DID) is required for DSP 2025-1")
    body = {"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage"}
    outcome = node.peers.post_json(join(address, "catalog/request"), body, audience)
    if outcome.status != 200 or outcome.body is None:
        raise InvalidInput(f"the provider did not return a catalog: {outcome.detail}", status=outcome.status)
    return normalise_singletons(outcome.body)


def _render_negotiation(n: Negotiation) -> JSON:
    return shapes.render_negotiation(
        n.id,
        n.state,
        n.counterparty_did,
        n.counterparty_address,
        n.agreement_id,
        n.error_detail,
        n.created_at,
        _role(n.role),
        PROTOCOL,
    )


def _render_agreement(a: Agreement) -> JSON:
    return shapes.render_agreement(
        a.id, a.asset_id, a.provider_did, a.consumer_did, a.signed_at, dict(a.body)
    )


# ---------------------------------------------------------------------------------------------- transfers


def _transfer_routes(router: APIRouter, node: Node, limit: int) -> None:
    service = node.transfers

    @router.post("/transferprocesses")
    async def start_transfer(request: Request) -> JSONResponse:
        parsed = await blocking(shapes.parse_transfer_request, await read_json_object(request, limit))
        t = await blocking(
            service.request,
            parsed.counter_party_address,
            parsed.contract_id,
            parsed.transfer_type,
            parsed.data_destination,
        )
        return JSONResponse(shapes.render_id_response(t.id, t.created_at))

    @router.get("/transferprocesses/{transfer_id}")
    async def get_transfer(transfer_id: str) -> JSONResponse:
        return JSONResponse(await blocking(_render_transfer, node, await blocking(service.get, transfer_id)))

    @router.get("/transferprocesses/{transfer_id}/state")
    async def get_transfer_state(transfer_id: str) -> JSONResponse:
        t = await blocking(service.get, transfer_id)
        return JSONResponse(shapes.render_transfer_state(t.state))

    @router.post("/transferprocesses/request")
    async def query_transfers(request: Request) -> JSONResponse:
        query = await _query(request, limit)
        items = _page(
            await blocking(_all, node, "transfers"),
            query,
            lambda t: {"id": t.id, "state": t.state, "contractId": t.agreement_id},
        )
        return JSONResponse([await blocking(_render_transfer, node, t) for t in items])

    for verb, event in (
        ("start", TransferEvent.START),
        ("suspend", TransferEvent.SUSPEND),
        ("resume", TransferEvent.START),
        ("terminate", TransferEvent.TERMINATE),
        ("complete", TransferEvent.COMPLETE),
    ):
        _transfer_action(router, node, limit, verb, event)

    @router.get("/edrs/{transfer_id}/dataaddress")
    async def edr_data_address(transfer_id: str) -> JSONResponse:
        t = await blocking(service.get, transfer_id)
        if t.role != "CONSUMER" or not t.data_address or t.format != "HttpData-PULL":
            raise NotFound(f"no endpoint data reference for transfer {transfer_id!r} (yet)")
        endpoint, token, expires_in = read_edr(t.data_address)
        return JSONResponse(shapes.render_edr_data_address(endpoint, token, expires_in))

    @router.post("/edrs/request")
    async def query_edrs(request: Request) -> JSONResponse:
        raw = await read_body(request, limit)
        query = shapes.parse_edr_request(parse_json_object(raw) if raw.strip() else None)
        transfers = [
            t
            for t in await blocking(_all, node, "transfers")
            if t.role == "CONSUMER" and t.data_address and t.state == "STARTED"
        ]
        items = _page(transfers, query, lambda t: {"transferProcessId": t.id, "agreementId": t.agreement_id})
        entries = []
        for t in items:
            agreement = await blocking(_get, node, "agreement", t.agreement_id)
            entries.append(
                shapes.render_edr_entry(
                    t.id, t.agreement_id, agreement.asset_id, t.counterparty_did, t.created_at
                )
            )
        return JSONResponse(entries)


def _transfer_action(router: APIRouter, node: Node, limit: int, verb: str, event: TransferEvent) -> None:
    @router.post("/transferprocesses/{transfer_id}/" + verb, name=f"transfer_{verb}")
    async def act(transfer_id: str, request: Request) -> Response:
        raw = await read_body(request, limit)
        reason = shapes.parse_terminate(parse_json_object(raw)).reason if raw.strip() else None
        await blocking(node.transfers.act, transfer_id, event, reason)
        return Response(status_code=204)


def _render_transfer(node: Node, t: Transfer) -> JSON:
    with node.store.read() as tx:
        agreement = tx.get_agreement(t.agreement_id)
    return shapes.render_transfer(
        t.id,
        t.state,
        agreement.asset_id if agreement else None,
        t.agreement_id,
        _role(t.role),
        t.format,
        t.provider_pid if t.role == "CONSUMER" else t.consumer_pid,
        t.error_detail,
        t.created_at,
    )


# ---------------------------------------------------------------------------------------------- store helpers

_GETTERS = {
    "asset": "get_asset",
    "policy_definition": "get_policy_definition",
    "contract_definition": "get_contract_definition",
    "agreement": "get_agreement",
}
_LISTERS = {
    "assets": "list_assets",
    "policy_definitions": "list_policy_definitions",
    "contract_definitions": "list_contract_definitions",
    "negotiations": "list_negotiations",
    "transfers": "list_transfers",
    "agreements": "list_agreements",
}
_DELETERS = {
    "asset": "delete_asset",
    "policy_definition": "delete_policy_definition",
    "contract_definition": "delete_contract_definition",
}


def _get(node: Node, kind: str, item_id: str) -> Any:
    with node.store.read() as tx:
        item = getattr(tx, _GETTERS[kind])(item_id)
    if item is None:
        raise NotFound(f"{kind.replace('_', ' ')} {item_id!r} not found")
    return item


def _all(node: Node, kind: str) -> list[Any]:
    with node.store.read() as tx:
        return list(getattr(tx, _LISTERS[kind])(0, 100_000))


def _delete(node: Node, kind: str, item_id: str) -> None:
    with node.store.transaction() as tx:
        if not getattr(tx, _DELETERS[kind])(item_id):
            raise NotFound(f"{kind.replace('_', ' ')} {item_id!r} not found")


__all__ = ["management_router"]


def _role(role: str) -> Literal["CONSUMER", "PROVIDER"]:
    return "CONSUMER" if role == "CONSUMER" else "PROVIDER"
