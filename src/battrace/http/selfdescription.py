"""Gaia-X shaped self-descriptions over HTTP (battrace.trust.selfdescription).

Public: ``/.well-known/gaia-x/participant.json`` and ``/.well-known/gaia-x/service-offering.json`` (signed
once per process with the node key, which does not change while it runs) and
``/api/self-descriptions/assets/{asset_id}`` (signed per request: asset properties change). Management
(``X-Api-Key``): ``/management/v3/peers/self-description`` fetches and verifies a peer's self-descriptions.

The node's own registration numbers and ISO 3166-2 region come from the claims its settings keep about its
own DID (``peers[<own did>]``: ``corporateNumber``, ``bpn``, ``gln``, ``countrySubdivisionCode``), because
NodeSettings has no field of its own for them yet.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from battrace.connector.node import Node
from battrace.connector.urls import check_peer_url
from battrace.errors import NotFound
from battrace.http.common import blocking, require_api_key
from battrace.trust.identifiers import CompanyIdentifier, parse_identifier
from battrace.trust.selfdescription import (
    ASSET_PATH,
    PARTICIPANT_PATH,
    SERVICE_OFFERING_PATH,
    Participant,
    Signer,
    check_provider,
    data_resource_credential,
    participant_credential,
    service_offering_credential,
    sign_self_description,
)

LD_JSON = "application/ld+json"
# claim key in settings.peers[own did] -> identifier scheme (battrace.trust.identifiers)
_IDENTIFIER_CLAIMS = {"corporateNumber": "CorporateNumber", "bpn": "BPN", "gln": "GLN"}


def participant_of(node: Node) -> Participant:
    """The node's company as its settings describe it (invalid identifiers fail here, at start-up)."""
    own: Mapping[str, Any] = node.settings.peers.get(node.did, {})
    identifiers: list[CompanyIdentifier] = [
        parse_identifier(scheme, str(own[claim]))
        for claim, scheme in _IDENTIFIER_CLAIMS.items()
        if own.get(claim) is not None
    ]
    region = own.get("countrySubdivisionCode")
    return Participant(
        did=node.did,
        base_url=node.settings.base_url,
        name=node.settings.name,
        identifiers=tuple(identifiers),
        country_subdivision_code=str(region) if region is not None else None,
    )


def self_description_router(node: Node, api_key: str) -> APIRouter:
    participant = participant_of(node)
    signer = Signer(node.keys.private_key, f"{node.did}#{node.keys.key_id}")
    router = APIRouter(tags=["Gaia-X self-descriptions"])
    cached = _Once()

    def signed(credential: dict[str, Any]) -> dict[str, Any]:
        return sign_self_description(credential, signer, node.ctx.clock())

    @router.get(PARTICIPANT_PATH)
    def participant_json() -> JSONResponse:
        def build() -> dict[str, Any]:
            return signed(participant_credential(participant, node.ctx.clock()))

        return JSONResponse(cached.get("participant", build), media_type=LD_JSON)

    @router.get(SERVICE_OFFERING_PATH)
    def service_offering_json() -> JSONResponse:
        def build() -> dict[str, Any]:
            return signed(service_offering_credential(participant, node.ctx.me.dsp_base, node.ctx.clock()))

        return JSONResponse(cached.get("offering", build), media_type=LD_JSON)

    @router.get(ASSET_PATH + "{asset_id}")
    def asset_json(asset_id: str) -> JSONResponse:
        with node.store.read() as tx:
            asset = tx.get_asset(asset_id)
        if asset is None:
            raise NotFound(f"no asset {asset_id!r}")
        credential = data_resource_credential(participant, asset.id, asset.properties, node.ctx.clock())
        return JSONResponse(signed(credential), media_type=LD_JSON)

    _peer_route(router, node, api_key)
    return router


def _peer_route(router: APIRouter, node: Node, api_key: str) -> None:
    api_key_required = require_api_key(api_key)

    @router.get("/management/v3/peers/self-description", dependencies=[Depends(api_key_required)])
    async def peer_self_description(
        did: str = Query(min_length=1, max_length=2048), address: str = Query(min_length=1, max_length=2048)
    ) -> dict[str, Any]:
        """The peer's verified participant and service-offering self-descriptions, or a 422 problem whose
        ``reason`` says why not (unreachable, bad_signature, wrong_key, not_assertion_method, ...)."""
        # the address is caller-chosen: the same SSRF guard as every other peer call
        check_peer_url(address, dev=node.settings.dev, allowed_hosts=node.settings.allowed_peer_hosts)
        checked = await blocking(check_provider, address, did, node.http, node.resolver.resolve)
        return checked.summary()


class _Once:
    """Per-key memo of signed documents; two first requests racing just sign twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[str, Any]] = {}

    def get(self, key: str, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            value = self._values.get(key)
        if value is None:
            value = build()
            with self._lock:
                value = self._values.setdefault(key, value)
        return value
