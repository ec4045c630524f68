"""The node's HTTP application: well-known documents, DSP, management, data plane (OpenAPI: /openapi.json)."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from battrace import __version__
from battrace.connector.config import NodeSettings
from battrace.connector.context import DSP_PATH
from battrace.connector.node import Node
from battrace.console import company_console_router
from battrace.dataplane import DataRequest
from battrace.dsp.messages import version_response
from battrace.errors import InvalidInput
from battrace.http.apps import apps_router
from battrace.http.common import blocking, check_api_key, install_error_handlers, read_body
from battrace.http.contracts import contracts_router
from battrace.http.dsp import dsp_router
from battrace.http.log_exchange import receipts_router
from battrace.http.management import management_router
from battrace.http.ouranos import ouranos_node_router
from battrace.http.passports import (
    PASSPORT_ADDRESS_TYPE,
    passport_api_router,
    passport_backend,
    passport_management_router,
    viewer_login,
)
from battrace.http.pcf import pcf_router
from battrace.http.pcf_exchange import pcf_exchange_router
from battrace.http.selfdescription import self_description_router
from battrace.ledger.http import log_router
from battrace.passport.identifiers import sgtin_from_element_string
from battrace.passport.qr import passport_url
from battrace.passport.web import viewer_router
from battrace.registry import OWNER, RegistryCaller, registry_router
from battrace.store import DbReplayGuard
from battrace.trust.http import credential_service_router, wallet_router

log = logging.getLogger("battrace.http")
# `battrace serve --workers N` hands each worker process the resolved settings in this variable (JSON).
SETTINGS_ENV = "BATTRACE_SERVE_SETTINGS"


def settings_to_environment(settings: NodeSettings, log_level: str) -> str:
    """The value of `SETTINGS_ENV` for these settings (data_dir absolute: a worker may not share the cwd)."""
    resolved = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    return json.dumps({"settings": resolved.model_dump(mode="json"), "logLevel": log_level})


def settings_from_environment() -> tuple[NodeSettings, str]:
    """The settings and log level `battrace serve` handed over in `SETTINGS_ENV`."""
    payload = json.loads(os.environ[SETTINGS_ENV])
    return NodeSettings.model_validate(payload["settings"]), str(payload["logLevel"])


def app_from_environment() -> FastAPI:
    """The app factory each uvicorn worker imports (`battrace.http.app:app_from_environment`, factory=True).

    The parent (`battrace serve`) has created the keys, the API key file and the viewer secret and migrated
    the database before any worker starts, so each worker only opens them
    (docs/decisions/2026-11-24-workers.md).
    """
    settings, log_level = settings_from_environment()
    # A spawned worker starts with a fresh interpreter: the parent's logging configuration is not inherited.
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    node = Node(settings)
    # A DPoP proof's jti must be refused by every worker once seen by one (RFC 9449 §11.1): in the database.
    node.dataplane.dpop_replay = DbReplayGuard(node.store, clock=node.ctx.clock)
    return create_app(node)


def create_app(node: Node, *, manage_lifecycle: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            node.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                node.stop()

    app = FastAPI(title=f"battrace node {node.settings.name}", version=__version__, lifespan=lifespan)
    install_error_handlers(app)

    @app.get("/.well-known/did.json", tags=["identity"])
    def did_json() -> JSONResponse:
        return JSONResponse(node.did_document(), media_type="application/did+json")

    @app.get("/.well-known/dspace-version", tags=["Dataspace Protocol 2025-1"])
    def dspace_version() -> JSONResponse:
        # DSP 2025-1 §1.1 (version metadata): unversioned and unauthenticated.
        return JSONResponse(version_response(DSP_PATH))

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, str]:
        return {"status": "ok", "did": node.did, "name": node.settings.name}

    async def data(request: Request, subpath: str = "") -> Response:
        """Data plane (Tractus-X EDR pull): `Authorization: <token>` from the endpoint data reference."""
        body = await read_body(request, node.settings.max_upload_bytes) if request.method != "GET" else b""
        data_request = DataRequest(
            token=request.headers.get("authorization"),
            path=subpath,
            query=request.url.query,
            method=request.method,
            body=body,
            content_type=request.headers.get("content-type"),
            dpop=tuple(request.headers.getlist("dpop")),
        )
        result = await blocking(node.dataplane.serve, data_request)
        return Response(
            result.content,
            status_code=result.status,
            media_type=result.content_type,
            headers=dict(result.headers),
        )

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/public", "/api/public/{subpath:path}"):
            suffix = "_sub" if "subpath" in path else ""
            app.add_api_route(
                path,
                data,
                methods=[method],
                tags=["data plane"],
                operation_id=f"data_{method.lower()}{suffix}",
            )

    app.include_router(dsp_router(node))
    app.include_router(receipts_router(node))
    app.include_router(credential_service_router(node.credential_service))
    app.include_router(wallet_router(node.wallet, node.api_key))
    app.include_router(contracts_router(node))

    async def entries_need_api_key(request: Request) -> None:
        # Checkpoints and proofs reveal only hashes and are public; entries say who traded with whom, so
        # reading them is for the node's operator and auditors (management API key).
        if request.url.path.endswith("/log/entries"):
            check_api_key(
                request.headers.get("x-api-key"), node.api_key, "log entries need the management X-Api-Key"
            )

    app.include_router(log_router(node.log), dependencies=[Depends(entries_need_api_key)])
    app.include_router(management_router(node))
    _include_passports(app, node)
    app.include_router(pcf_router(node))
    app.include_router(pcf_exchange_router(node))
    app.include_router(ouranos_node_router(node))
    app.include_router(company_console_router(node))
    app.include_router(apps_router(node))
    app.include_router(self_description_router(node, node.api_key))
    return app


def _include_passports(app: FastAPI, node: Node) -> None:
    """Battery passports: management and participant APIs, the data-plane backend, viewer and registry."""
    app.include_router(passport_management_router(node))
    app.include_router(passport_api_router(node))
    node.dataplane.backends[PASSPORT_ADDRESS_TYPE] = passport_backend(node)
    _include_viewer(app, node)
    _include_registry(app, node)


def _include_viewer(app: FastAPI, node: Node) -> None:
    """The passport viewer, its QR codes and the GS1 Digital Link resolver. QR codes must encode an https
    URL (plain http only on loopback); a node published at another http address serves no viewer."""
    try:
        router = viewer_router(
            node.passports,
            authenticate=viewer_login(node),
            resolve=node.passports.resolve,
            session_secret=node.session_secret,
            public_base_url=node.settings.base_url,
            qr_target=lambda passport_id: _qr_target(node, passport_id),
        )
    except InvalidInput as refusal:
        log.warning("passport viewer disabled: %s", refusal.detail)
        return
    app.include_router(router)


def _qr_target(node: Node, passport_id: str) -> str:
    """What a battery's QR code encodes (Art. 13(6)): its GS1 Digital Link when the battery carries an SGTIN,
    resolved here to the passport at the reader's level; otherwise the passport page itself."""
    battery = node.passports.battery_of(passport_id)
    sgtin = sgtin_from_element_string(battery) if battery is not None else None
    if sgtin is not None:
        return passport_url(node.settings.base_url, sgtin)
    return f"{node.settings.base_url}/passport/{quote(passport_id, safe=':@')}"


def _include_registry(app: FastAPI, node: Node) -> None:
    """The digital twin registry (AAS Part 2, /api/v3): the operator (X-Api-Key) reads and writes everything;
    a participant presenting its self-issued token reads what its BPN may see (Tractus-X externalSubjectId);
    anyone else only the public specific asset ids."""

    async def identify(request: Request) -> None:
        request.state.registry_caller = await blocking(_registry_caller, node, request)

    def caller(request: Request) -> RegistryCaller:
        found: RegistryCaller = request.state.registry_caller
        return found

    app.include_router(
        registry_router(node.registry, caller),
        dependencies=[Depends(identify)],
        tags=["digital twin registry"],
    )


def _registry_caller(node: Node, request: Request) -> RegistryCaller:
    key = request.headers.get("x-api-key")
    if key is not None:
        check_api_key(key, node.api_key, "wrong X-Api-Key")
        return OWNER
    authorization = request.headers.get("authorization")
    if authorization is None:
        return RegistryCaller(owner=False)
    verified = node.verifier.verify(authorization)
    bpn = node.ctx.claims.claims_for(verified).get("bpn")
    return RegistryCaller(owner=False, bpn=bpn if isinstance(bpn, str) else None, did=verified.did)
