"""Contracts of agreements, for their two parties: `GET /contracts/{agreementId}` (JSON), `.html`, `.md`, and
`POST /contracts/{agreementId}/signatures` (the consumer's countersignature). Authenticated like DSP
(self-issued token); anyone but the two parties gets 404, so the existence of a contract is not disclosed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from battrace.connector.contracts import contract_view
from battrace.connector.node import Node
from battrace.errors import NotFound
from battrace.http.common import blocking, read_json_object
from battrace.identity import VerifiedCaller

_TEXT = {".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8"}


def contracts_router(node: Node) -> APIRouter:
    router = APIRouter(prefix="/contracts", tags=["contracts"])

    @router.get("/{name}")
    async def get_contract(name: str, request: Request) -> Response:
        """`{agreementId}` as JSON; `{agreementId}.html` / `.md` as the page or the text of record."""
        caller: VerifiedCaller = await blocking(node.verifier.verify, request.headers.get("authorization"))
        for suffix, media_type in _TEXT.items():
            if name.endswith(suffix):
                try:
                    found = await blocking(node.contracts.for_party, name.removesuffix(suffix), caller.did)
                except NotFound:
                    break  # an agreement id that happens to end like this is served as JSON below
                contract = found[0]
                return Response(
                    contract.html if suffix == ".html" else contract.markdown, media_type=media_type
                )
        contract, agreement = await blocking(node.contracts.for_party, name, caller.did)
        return JSONResponse(contract_view(contract, agreement))

    @router.post("/{agreement_id}/signatures")
    async def receive_signature(agreement_id: str, request: Request) -> JSONResponse:
        caller: VerifiedCaller = await blocking(node.verifier.verify, request.headers.get("authorization"))
        body = await read_json_object(request, node.settings.max_body_bytes)
        return JSONResponse(await blocking(node.contracts.receive_signature, agreement_id, caller.did, body))

    return router
