"""Dataspace Protocol 2025-1, HTTPS binding (DSP 2025-1 §2.1, §3.3, §4.3). This module only translates:
authenticate the caller, validate and parse the message against the official schemas, call the service.

Provider-side paths hang off `<base>`; consumer-side paths off `<base>/callback` (our callbackAddress), plus
`<base>/negotiations/offers` for an offer that starts a negotiation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from battrace.connector.context import CALLBACK_SEGMENT, DSP_PATH
from battrace.connector.node import Node
from battrace.connector.records import CONSUMER, PROVIDER
from battrace.dsp.parse import (
    AgreementVerification,
    ContractAgreement,
    ContractOffer,
    ContractRequest,
    NegotiationEventMsg,
    NegotiationTermination,
    TransferCompletion,
    TransferRequest,
    TransferStart,
    TransferSuspension,
    TransferTermination,
    parse_message,
)
from battrace.dsp.states import TransferEvent
from battrace.dsp.validation import normalise_singletons
from battrace.errors import BattraceError, InvalidInput
from battrace.http.common import blocking, problem_response, read_json_object
from battrace.identity import VerifiedCaller

JSON = dict[str, Any]
Call = Callable[[VerifiedCaller, Any, JSON], Any]
Runner = Callable[[Request, type[Any], Call, str, "dict[str, str] | None"], Awaitable[JSONResponse]]
_TRANSFER_EVENTS: dict[str, tuple[TransferEvent, type[Any]]] = {
    "start": (TransferEvent.START, TransferStart),
    "completion": (TransferEvent.COMPLETE, TransferCompletion),
    "termination": (TransferEvent.TERMINATE, TransferTermination),
    "suspension": (TransferEvent.SUSPEND, TransferSuspension),
}


def dsp_router(node: Node) -> APIRouter:
    router = APIRouter(prefix=DSP_PATH, tags=["Dataspace Protocol 2025-1"])
    limit = node.settings.max_body_bytes

    async def caller_of(request: Request) -> VerifiedCaller:
        caller = await blocking(node.verifier.verify, request.headers.get("authorization"))
        if node.ctx.connect_policy is not None:  # claims cost a DCP round trip: only when a policy needs them
            await blocking(lambda: node.ctx.admit(node.ctx.evaluation(caller, "connect")))
        return caller

    async def message(request: Request, expected: type[Any]) -> tuple[Any, JSON]:
        raw = await read_json_object(request, limit)
        parsed = parse_message(normalise_singletons(raw))
        if not isinstance(parsed, expected):
            raise InvalidInput(f"expected a {expected.__name__} message on this path")
        return parsed, raw

    async def run(
        request: Request,
        expected: type[Any],
        call: Callable[[VerifiedCaller, Any, JSON], Any],
        dsp_type: str,
        pids: dict[str, str] | None = None,
    ) -> JSONResponse:
        try:
            caller = await caller_of(request)
            parsed, raw = await message(request, expected)
            pids = {**(pids or {}), **_pids_of(raw)}
            status, ack = await blocking(call, caller, parsed, raw)
        except BattraceError as error:
            return problem_response(error, dsp_type=dsp_type, pids=pids)
        return JSONResponse(ack, status_code=status)

    # ---- catalog (§2.1)
    @router.post("/catalog/request")
    async def catalog_request(request: Request) -> JSONResponse:
        caller = await caller_of(request)
        raw = await read_json_object(request, limit)
        parse_message(raw, "CatalogRequestMessage")
        if raw.get("filter"):
            raise InvalidInput("catalog filters are not supported by this node (DSP 2025-1 §2.1: 400)")
        return JSONResponse(await blocking(node.catalog.catalog, caller))

    @router.get("/catalog/datasets/{dataset_id:path}")
    async def dataset(dataset_id: str, request: Request) -> JSONResponse:
        caller = await caller_of(request)
        return JSONResponse(await blocking(node.catalog.dataset, caller, dataset_id))

    # ---- negotiation, provider side (§3.3)
    negotiations = node.negotiations
    ctype = "ContractNegotiationError"

    @router.get("/negotiations/{pid}")
    async def negotiation_get(pid: str, request: Request) -> JSONResponse:
        caller = await caller_of(request)
        role = await blocking(_role_of_negotiation, node, pid)
        return JSONResponse(await blocking(negotiations.protocol_view, role, caller, pid))

    @router.post("/negotiations/request")
    async def negotiation_request(request: Request) -> JSONResponse:
        path = request.url.path
        return await run(
            request, ContractRequest, lambda c, m, r: negotiations.receive_request(c, m, path, r), ctype
        )

    @router.post("/negotiations/offers")
    async def negotiation_initial_offer(request: Request) -> JSONResponse:
        path = request.url.path
        return await run(
            request, ContractOffer, lambda c, m, r: negotiations.receive_offer(c, m, path, r), ctype
        )

    @router.post("/negotiations/{pid}/request")
    async def negotiation_counter_request(pid: str, request: Request) -> JSONResponse:
        path = request.url.path

        def call(c: VerifiedCaller, m: ContractRequest, r: JSON) -> Any:
            if m.provider_pid != pid:
                raise InvalidInput("providerPid in the body differs from the path")
            return negotiations.receive_request(c, m, path, r)

        return await run(request, ContractRequest, call, ctype, {"providerPid": pid})

    @router.post("/negotiations/{pid}/events")
    async def negotiation_events(pid: str, request: Request) -> JSONResponse:
        role = await blocking(_role_of_negotiation, node, pid)
        path = request.url.path
        return await run(
            request,
            NegotiationEventMsg,
            lambda c, m, r: negotiations.receive_event(role, c, pid, m, path, r),
            ctype,
            _pid(role, pid),
        )

    @router.post("/negotiations/{pid}/agreement/verification")
    async def negotiation_verification(pid: str, request: Request) -> JSONResponse:
        path = request.url.path
        return await run(
            request,
            AgreementVerification,
            lambda c, m, r: negotiations.receive_verification(c, pid, m, path, r),
            ctype,
            {"providerPid": pid},
        )

    @router.post("/negotiations/{pid}/termination")
    async def negotiation_termination(pid: str, request: Request) -> JSONResponse:
        role = await blocking(_role_of_negotiation, node, pid)
        path = request.url.path
        return await run(
            request,
            NegotiationTermination,
            lambda c, m, r: negotiations.receive_termination(role, c, pid, m, path, r),
            ctype,
            _pid(role, pid),
        )

    # ---- negotiation, consumer side: callback-relative (§3.3), also reachable at <base> for offers we did
    # not start (a provider-initiated negotiation addresses the consumer's base).
    for prefix in (CALLBACK_SEGMENT, ""):
        _consumer_negotiation_routes(router, node, prefix, run)

    # ---- transfer, provider side (§4.3)
    transfers = node.transfers
    ttype = "TransferError"

    @router.get("/transfers/{pid}")
    async def transfer_get(pid: str, request: Request) -> JSONResponse:
        caller = await caller_of(request)
        return JSONResponse(await blocking(transfers.protocol_view, caller, pid))

    @router.post("/transfers/request")
    async def transfer_request(request: Request) -> JSONResponse:
        path = request.url.path
        return await run(
            request, TransferRequest, lambda c, m, r: transfers.receive_request(c, m, path, r), ttype
        )

    for role, prefix in ((PROVIDER, ""), (CONSUMER, CALLBACK_SEGMENT)):
        for suffix, (event, kind) in _TRANSFER_EVENTS.items():
            _transfer_route(router, node, role, prefix, suffix, event, kind, run)
    return router


def _consumer_negotiation_routes(router: APIRouter, node: Node, prefix: str, run: Runner) -> None:
    negotiations = node.negotiations
    ctype = "ContractNegotiationError"

    if prefix:

        @router.get(prefix + "/negotiations/{pid}")
        async def consumer_get(pid: str, request: Request) -> JSONResponse:
            caller = await blocking(node.verifier.verify, request.headers.get("authorization"))
            return JSONResponse(await blocking(negotiations.protocol_view, CONSUMER, caller, pid))

        for suffix, handler_name in (("events", "receive_event"), ("termination", "receive_termination")):
            _consumer_role_route(router, node, prefix, suffix, handler_name, run)

    @router.post(prefix + "/negotiations/{pid}/offers")
    async def consumer_offers(pid: str, request: Request) -> JSONResponse:
        path = request.url.path

        def call(c: VerifiedCaller, m: ContractOffer, r: JSON) -> Any:
            if m.consumer_pid != pid:
                raise InvalidInput("consumerPid in the body differs from the path")
            return negotiations.receive_offer(c, m, path, r)

        return await run(request, ContractOffer, call, ctype, {"consumerPid": pid})

    @router.post(prefix + "/negotiations/{pid}/agreement")
    async def consumer_agreement(pid: str, request: Request) -> JSONResponse:
        path = request.url.path
        return await run(
            request,
            ContractAgreement,
            lambda c, m, r: negotiations.receive_agreement(c, pid, m, path, r),
            ctype,
            {"consumerPid": pid},
        )


def _consumer_role_route(
    router: APIRouter, node: Node, prefix: str, suffix: str, handler_name: str, run: Runner
) -> None:
    kind = NegotiationEventMsg if suffix == "events" else NegotiationTermination

    @router.post(prefix + "/negotiations/{pid}/" + suffix, name=f"consumer_{suffix}")
    async def route(pid: str, request: Request) -> JSONResponse:
        path = request.url.path
        handler = getattr(node.negotiations, handler_name)
        return await run(
            request,
            kind,
            lambda c, m, r: handler(CONSUMER, c, pid, m, path, r),
            "ContractNegotiationError",
            {"consumerPid": pid},
        )


def _transfer_route(
    router: APIRouter,
    node: Node,
    role: str,
    prefix: str,
    suffix: str,
    event: TransferEvent,
    kind: type[Any],
    run: Runner,
) -> None:
    @router.post(prefix + "/transfers/{pid}/" + suffix, name=f"{role.lower()}_transfer_{suffix}")
    async def route(pid: str, request: Request) -> JSONResponse:
        path = request.url.path
        return await run(
            request,
            kind,
            lambda c, m, r: node.transfers.receive(role, c, pid, event, m, path, r),
            "TransferError",
            _pid(role, pid),
        )


def _role_of_negotiation(node: Node, pid: str) -> str:
    """`<base>/negotiations/:pid/{events,termination}` serve both roles; the (unique) pid says which."""
    with node.store.read() as tx:
        if tx.find_negotiation(PROVIDER, provider_pid=pid) is not None:
            return PROVIDER
        if tx.find_negotiation(CONSUMER, consumer_pid=pid) is not None:
            return CONSUMER
    return PROVIDER


def _pid(role: str, pid: str) -> dict[str, str]:
    return {"providerPid": pid} if role == PROVIDER else {"consumerPid": pid}


def _pids_of(raw: JSON) -> dict[str, str]:
    return {k: raw[k] for k in ("providerPid", "consumerPid") if isinstance(raw.get(k), str)}
