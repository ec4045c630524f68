"""`POST /log/receipts`: a counterparty hands us the receipt of an agreement entry in its log; we answer with
our cosignature of its checkpoint (battrace.ledger.exchange). Authenticated like DSP (self-issued token).

`POST /log/cosignatures`: the witness of one of our data spaces hands us its cosignature of one of our
checkpoints. No token: the cosignature authenticates itself, and we accept it only from a witness key that
the operator of a space in `settings.spaces` publishes in its DID document (a `TransparencyWitness` service).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from battrace.connector.node import Node
from battrace.errors import BattraceError, Forbidden, InvalidInput, NotFound
from battrace.http.common import blocking, read_json_object
from battrace.identity import VerifiedCaller
from battrace.ledger.note import Checkpoint, CosignatureVerifier, open_note, split_note
from battrace.operator.client import resolver_did
from battrace.operator.witness import witness_vkeys
from battrace.store import ledger as ledger_db

log = logging.getLogger("battrace.node")


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

    @router.post("/cosignatures")
    async def receive_cosignature(request: Request) -> JSONResponse:
        """Keep a space witness's cosignature of our checkpoint beside our own signature."""
        body = await read_json_object(request, node.settings.max_body_bytes)
        cosigned = body.get("cosigned")
        if not isinstance(cosigned, str):
            raise InvalidInput("a cosignature needs 'cosigned': the cosigned checkpoint note")

        def accept() -> dict[str, Any]:
            size = Checkpoint.parse(split_note(cosigned)[0]).size
            witness = _space_witness(node, cosigned)
            # 404 if we never signed that size, 409 if the witness cosigned another text (split view)
            node.log.add_cosignature(size, cosigned, witness)
            return {"size": size, "witness": witness.name}

        return JSONResponse(await blocking(accept))

    @router.get("/checkpoints/{size}", response_class=PlainTextResponse)
    async def stored_checkpoint(
        size: Annotated[int, Path(ge=0, le=2**63 - 1)],  # a log size is a 64-bit count (RFC 9162 tree_size)
    ) -> PlainTextResponse:
        """A checkpoint this log signed earlier, with the cosignatures collected since (peers, witness)."""

        def read() -> str:
            with node.store.read() as tx:
                stored = ledger_db.get_checkpoint(tx, size)
            if stored is None:
                raise NotFound(f"no checkpoint of size {size}")
            return stored.note

        return PlainTextResponse(await blocking(read), media_type="text/plain; charset=utf-8")

    return router


def _space_witness(node: Node, cosigned: str) -> CosignatureVerifier:
    """The witness key, among those our spaces' operators publish, whose cosignature ``cosigned`` carries.

    A stale cached operator document (the witness key rotated) gets one refresh; the resolver limits
    refreshes, so forged notes cannot make us hammer the operator."""
    for space in node.settings.spaces:
        did = resolver_did(space)
        for fresh in (False, True):
            document = _operator_document(node, did, fresh)
            if document is None:
                break
            for verifier in _verifiers(document):
                try:
                    open_note(cosigned, [verifier])
                except InvalidInput:
                    continue
                return verifier
    raise Forbidden("the note carries no cosignature from a witness of this node's data spaces")


def _operator_document(node: Node, did: str, fresh: bool) -> Mapping[str, Any] | None:
    try:
        return node.resolver.refresh(did) if fresh else node.resolver.resolve(did)
    except BattraceError as error:
        log.warning("cannot resolve the space operator %s to check a witness cosignature: %s", did, error)
        return None


def _verifiers(document: Mapping[str, Any]) -> list[CosignatureVerifier]:
    verifiers: list[CosignatureVerifier] = []
    for vkey in witness_vkeys(document):
        try:
            verifiers.append(CosignatureVerifier.from_vkey(vkey))
        except InvalidInput:
            continue  # a malformed key in the document is ignored, like an unknown signature
    return verifiers
