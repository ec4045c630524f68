"""`POST /log/receipts`: a counterparty hands us the receipt of an agreement entry in its log; we answer with
our cosignature of its checkpoint (battrace.ledger.exchange). Authenticated like DSP (self-issued token)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from battrace.connector.node import Node
from battrace.errors import NotFound
from battrace.http.common import blocking, read_json_object
from battrace.identity import VerifiedCaller
from battrace.store import ledger as ledger_db


def receipts_router(node: Node) -> APIRouter:
    router = APIRouter(prefix="/log", tags=["transparency log"])

    @router.post("/receipts")
    async def receive_receipt(request: Request) -> JSONResponse:
        caller: VerifiedCaller = await blocking(node.verifier.verify, request.headers.get("authorization"))
        body = await read_json_object(request, node.settings.max_body_bytes)

        def accept() -> dict[str, str]:
            peer = node.peer_log(caller.did)
            with node.store.transaction() as tx:
                return dict(node.receipts.accept(tx, caller.did, body, peer))

        return JSONResponse(await blocking(accept))

    @router.get("/checkpoints/{size}", response_class=PlainTextResponse)
    async def stored_checkpoint(size: int) -> PlainTextResponse:
        """A checkpoint this log signed earlier, with the cosignatures collected since (peers, witness)."""

        def read() -> str:
            with node.store.read() as tx:
                stored = ledger_db.get_checkpoint(tx, size)
            if stored is None:
                raise NotFound(f"no checkpoint of size {size}")
            return stored.note

        return PlainTextResponse(await blocking(read), media_type="text/plain; charset=utf-8")

    return router
