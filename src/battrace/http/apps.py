"""Due diligence, recycling and state-of-health applications over HTTP (issue 7), management API (X-Api-Key):

* ``/management/v3/duediligence/...``: import a declaration (JSON or the xlsx workbook), publish it to one
  designated recipient, ask suppliers and fetch their declarations through the data space, roll up and get
  the passport values;
* ``/management/v3/soh/...``: upload a BMS/OBD export, assess it and write the measurements to the
  passports on the OEM's node as a mandated party;
* ``/management/v3/recycling/...``: record event rows (closing the passports of treated batteries), exchange
  events with partners through the data space, compute a facility's Annex XII rates and a producer's
  collection rate, offer and receive sale statements, and claim recycled content for a new passport model.

The routes only translate: parsing and every rule live in the apps' node services.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, get_args

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from battrace.apps.duediligence.disclosure import View
from battrace.apps.duediligence.metrics import Results
from battrace.apps.duediligence.model import Declaration
from battrace.apps.duediligence.node import (
    Computed,
    DueDiligenceService,
    cahra_from,
    conformant_from,
)
from battrace.apps.recycling.node import RecyclingService
from battrace.connector.node import Node
from battrace.errors import InvalidInput
from battrace.http.common import blocking, parse_json_object, read_body, read_json_object, require_api_key

if TYPE_CHECKING:
    from battrace.apps.soh.node import StateOfHealthService


def apps_router(node: Node) -> APIRouter:
    api_key = require_api_key(node.api_key)
    router = APIRouter(prefix="/management/v3", dependencies=[Depends(api_key)])
    router.include_router(_duediligence(node), tags=["due diligence"])
    router.include_router(_soh(node), tags=["state of health"])
    router.include_router(_recycling(node), tags=["recycling"])
    return router


def _field(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} must be a non-empty string", reason=name)
    return value


def results_json(results: Results) -> dict[str, Any]:
    return {
        "responseRate": results.response_rate,
        "coverage": results.coverage,
        "conformant": results.conformant,
        "recycled": results.recycled,
        "cahraExposure": {
            m: {
                "answer": e.answer,
                "mineCountries": sorted(e.mine_countries),
                "smelterCountries": sorted(e.smelter_countries),
            }
            for m, e in results.exposure.items()
        },
        "risks": {
            k: {"score": r.score, "level": r.level, "drivers": list(r.drivers)}
            for k, r in results.risks.items()
        },
        "oecdSteps": [{"step": s.step, "status": s.status} for s in results.steps],
    }


def computed_json(computed: Computed) -> dict[str, Any]:
    rolled = computed.chain.rollup.declaration
    return {
        "requested": computed.chain.requested,
        "responded": computed.chain.responded,
        "missing": sorted(computed.chain.rollup.missing),
        "smelters": [s.model_dump(mode="json") for s in rolled.smelters],
        "minerals": [a.model_dump(mode="json") for a in rolled.minerals],
        "results": results_json(computed.results),
        "passportValues": computed.values,
    }


def _duediligence(node: Node) -> APIRouter:
    router = APIRouter(prefix="/duediligence")
    service = DueDiligenceService(node)
    limit = node.settings.max_body_bytes

    @router.put("/declarations/{declaration_id}")
    async def import_declaration(declaration_id: str, request: Request) -> dict[str, Any]:
        """The company's own declaration: JSON (``Declaration``) or the workbook (xlsx media type)."""
        content = await read_body(request, node.settings.max_upload_bytes)
        kind = request.headers.get("content-type", "application/json")
        declaration = await blocking(service.import_declaration, declaration_id, content, kind)
        return {"declarationId": declaration_id, "company": declaration.company.name,
                "minerals": [a.mineral for a in declaration.minerals]}  # fmt: skip

    @router.get("/declarations/{declaration_id}")
    async def read_declaration(declaration_id: str) -> dict[str, Any]:
        return (await blocking(service.declaration, declaration_id)).model_dump(mode="json")

    @router.post("/declarations/{declaration_id}/publications", status_code=201)
    async def publish(declaration_id: str, request: Request) -> dict[str, Any]:
        """Offer the declaration (``rolledUp``: with its suppliers') to one recipient, in its view."""
        body = await read_json_object(request, limit)
        recipient = str(_field(body, "recipient"))
        view = body.get("view", "full")
        if view not in get_args(View):
            raise InvalidInput(f"view must be one of {list(get_args(View))}", reason="view")
        rolled = body.get("rolledUp", False)
        if not isinstance(rolled, bool):
            raise InvalidInput("rolledUp must be true or false", reason="rolledUp")
        bpn = _field(body, "bpn", required=False)
        asset_id = await blocking(service.publish, declaration_id, recipient, view, bpn=bpn, rolled=rolled)
        return {"assetId": asset_id, "recipient": recipient, "view": view}

    @router.post("/suppliers", status_code=201)
    async def ask(request: Request) -> dict[str, Any]:
        """Record a supplier as asked; with ``assetId`` also fetch its declaration through the data space."""
        body = await read_json_object(request, limit)
        supplier = str(_field(body, "supplier"))
        asset_id = _field(body, "assetId", required=False)
        if asset_id is None:
            await blocking(service.ask, supplier)
            return {"supplier": supplier, "received": None}
        received = await blocking(service.fetch, supplier, asset_id, _field(body, "dsp", required=False))
        view = "full" if isinstance(received, Declaration) else "summary"
        return {"supplier": supplier, "view": view, "received": received.model_dump(mode="json")}

    @router.get("/suppliers")
    async def suppliers() -> list[dict[str, Any]]:
        return await blocking(service.suppliers)

    @router.post("/declarations/{declaration_id}/rollup")
    async def roll_up(declaration_id: str, request: Request) -> dict[str, Any]:
        """Roll up over the suppliers' declarations; results and the passport's due-diligence values.
        Optional ``conformantCsv`` (the user's conformant smelter list) and ``cahraList``."""
        raw = await read_body(request, limit)
        body = parse_json_object(raw) if raw.strip() else {}
        computed = await blocking(
            service.compute, declaration_id, conformant=conformant_from(body), cahra=cahra_from(body)
        )
        return computed_json(computed)

    return router


def _soh(node: Node) -> APIRouter:
    router = APIRouter(prefix="/soh")
    # the estimators run on numpy (~15 MB and a tenth of a node's start): loaded at the first upload
    service = cache(lambda: _soh_service(node))

    @router.post("/assessments", status_code=201)
    async def upload(request: Request) -> JSONResponse:
        """``{format: csv|json, export, passportNode: DID, passports: {battery id: passport id}}``."""
        body = await read_json_object(request, node.settings.max_upload_bytes)
        return JSONResponse(await blocking(service().upload, body), status_code=201)

    @router.get("/assessments/{assessment_id}")
    async def read(assessment_id: str) -> dict[str, Any]:
        return dict(await blocking(service().assessment, assessment_id))

    return router


def _soh_service(node: Node) -> StateOfHealthService:
    from battrace.apps.soh.node import StateOfHealthService

    return StateOfHealthService(node)


def _recycling(node: Node) -> APIRouter:
    router = APIRouter(prefix="/recycling")
    service = RecyclingService(node)
    limit = node.settings.max_upload_bytes

    @router.post("/events", status_code=201)
    async def record(request: Request) -> dict[str, Any]:
        """``{rows, passportNode?, passports?: {subject: passport id}}``: the passports named are closed
        (waste, then recycled) on the passport node as this node's treatment of their subjects."""
        body = await read_json_object(request, limit)
        passport_node = _field(body, "passportNode", required=False)
        return await blocking(
            service.record, body.get("rows"), passport_node=passport_node, passports=_passports(body)
        )

    @router.get("/rates")
    async def rates(year: int = Query(ge=2000, le=2100), facility: str | None = None) -> dict[str, Any]:
        return await blocking(service.rates, year, facility)

    @router.get("/collection-rate")
    async def collection_rate(
        year: int = Query(ge=2000, le=2100), category: str = "portable"
    ) -> dict[str, Any]:
        """Annex XI, with this node as the producer."""
        return await blocking(service.collection_rate, year, category)

    @router.post("/publications", status_code=201)
    async def publish(request: Request) -> dict[str, Any]:
        """``{recipient: DID, bpn?, subjects?: [...]}``: offer this node's own events to one partner."""
        body = await read_json_object(request, limit)
        subjects = body.get("subjects")
        if subjects is not None and not (
            isinstance(subjects, list) and all(isinstance(s, str) and s for s in subjects)
        ):
            raise InvalidInput("subjects must be an array of subject identifiers", reason="subjects")
        recipient, bpn = str(_field(body, "recipient")), _field(body, "bpn", required=False)
        return await blocking(service.publish_events, recipient, subjects, bpn=bpn)

    @router.post("/imports", status_code=201)
    async def import_events(request: Request) -> dict[str, Any]:
        """``{provider: DID, assetId, dsp?}``: pull a partner's events through the data space."""
        body = await read_json_object(request, limit)
        provider, asset_id = str(_field(body, "provider")), str(_field(body, "assetId"))
        return await blocking(service.import_events, provider, asset_id, _field(body, "dsp", required=False))

    @router.post("/closures", status_code=201)
    async def close(request: Request) -> dict[str, Any]:
        """``{subject, passportNode, passportId}``: close the passport of a subject recorded as treated."""
        body = await read_json_object(request, limit)
        subject, owner = str(_field(body, "subject")), str(_field(body, "passportNode"))
        return await blocking(service.close, subject, owner, str(_field(body, "passportId")))

    @router.post("/sales/{sale_id}/statement", status_code=201)
    async def offer_statement(sale_id: str, request: Request) -> dict[str, Any]:
        """Offer the statement of one of this node's sales to its buyer alone (``{buyerBpn?}``, optional
        body: the buyer's BPN when this node has not met the buyer yet)."""
        body = await read_json_object(request, limit) if await request.body() else {}
        buyer_bpn = _field(body, "buyerBpn", required=False)
        return await blocking(service.offer_statement, sale_id, buyer_bpn=buyer_bpn)

    @router.post("/statements", status_code=201)
    async def receive_statement(request: Request) -> dict[str, Any]:
        """``{seller: DID, assetId, dsp?}``: pull and check a sale statement addressed to this node."""
        body = await read_json_object(request, limit)
        seller, asset_id = str(_field(body, "seller")), str(_field(body, "assetId"))
        return await blocking(
            service.receive_statement, seller, asset_id, _field(body, "dsp", required=False)
        )

    @router.post("/claims", status_code=201)
    async def claim(request: Request) -> dict[str, Any]:
        """A new passport model with the recycled content claimed from received sale statements."""
        body = await read_json_object(request, limit)
        return await blocking(service.claim, body)

    @router.get("/claims/{model_id}")
    async def claimed(model_id: str) -> dict[str, Any]:
        return dict(await blocking(service.claimed, model_id))

    return router


def _passports(body: dict[str, Any]) -> dict[str, str]:
    passports = body.get("passports", {})
    if not isinstance(passports, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in passports.items()
    ):
        raise InvalidInput("passports must map subjects to passport ids", reason="passports")
    return passports
