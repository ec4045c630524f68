"""The Ouranos-compatible data-transaction API mounted on a node (issue 6 items 6 and 7).

* ``/ouranos/auth/...`` and ``/ouranos/api/v1/...``: the published OpenAPI (``apps.pcf.ouranos.http``), so an
  Ouranos client takes ``<node>/ouranos`` as its base URL. Its rows live on the node's database
  (``DocumentStore``, app ``ouranos``); each call is one transaction with its log entries.
* ``/management/v3/ouranos/...`` (X-Api-Key): the node's operator onboards Ouranos operators (its own company
  and, e.g., a European supplier answered through the data space), their plants and accounts, grants a
  buyer TOTALCFP/TOTALDQR of a part (the traceability-management ``cfpAcl``), and runs the bridge:
  ``bridge/export`` (a part's Ouranos CFP → the node's PCF result for a product key, served by DSP, PACT and
  Catena-X) and ``bridge/import`` (a footprint received through the data space → the answer to a buyer's
  open CFP request).

Ouranos ``apiKey``: one per node, HMAC-SHA256(node API key, fixed label) — nothing stored, rotated with the
node's key, read by the operator at ``GET /management/v3/ouranos/api-key`` (the platform issues it, as the
reference platform does). Accounts persist as PBKDF2 hashes; access and refresh tokens are signed with the
node's secret (``Node.session_secret``), so every worker accepts them and a restart keeps clients logged in.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from battrace.apps.pcf.catenax.ids import trace_id_urn
from battrace.apps.pcf.model import Stage
from battrace.apps.pcf.node import PcfService
from battrace.apps.pcf.ouranos.auth import MemoryAuthenticator
from battrace.apps.pcf.ouranos.bridge import export_cfp, import_disclosure
from battrace.apps.pcf.ouranos.documents import DocumentStore
from battrace.apps.pcf.ouranos.http import ouranos_router
from battrace.apps.pcf.ouranos.model import (
    AclItemGroup,
    OperatorAttribute,
    OperatorModel,
    PlantAttribute,
    PlantModel,
    Uuid,
)
from battrace.apps.pcf.ouranos.service import OuranosService
from battrace.apps.pcf.pact.model import describe
from battrace.client import NodeClient
from battrace.connector.node import Node
from battrace.errors import Conflict, InvalidInput, NotFound
from battrace.http.common import blocking, read_json_object, require_api_key

PREFIX = "/ouranos"
_M = TypeVar("_M", bound=BaseModel)
_A = TypeVar("_A")
_R = TypeVar("_R")


def ouranos_api_key(node_api_key: str) -> str:
    mac = hmac.new(node_api_key.encode(), b"battrace ouranos api key", hashlib.sha256)
    return mac.hexdigest()


def ouranos_node_router(node: Node) -> APIRouter:
    clock = node.ctx.clock
    store = DocumentStore(node.store, node.log, clock=clock)
    service = OuranosService(store, clock=clock, new_id=lambda: str(uuid.uuid4()))
    auth = MemoryAuthenticator(
        [ouranos_api_key(node.api_key)], accounts=store.accounts, secret=node.session_secret, clock=clock
    )
    pcf = PcfService(node, management=lambda: NodeClient(node.settings.base_url, node.api_key))
    router = APIRouter()
    router.include_router(
        ouranos_router(service, auth=auth), prefix=PREFIX, tags=["Ouranos data transaction"]
    )
    router.include_router(_management(node, store, service, auth, pcf))
    return router


# -- management bodies ---------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class NewPlant(_Body):
    plantName: str
    plantAddress: str
    openPlantId: str
    globalPlantId: str | None = None


class NewAccount(_Body):
    accountId: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=8, max_length=128)


class NewOperator(_Body):
    operatorName: str
    operatorAddress: str
    openOperatorId: str
    globalOperatorId: str | None = None
    plant: NewPlant | None = None
    account: NewAccount | None = None


class AccountFor(NewAccount):
    operatorId: Uuid


class GrantBody(_Body):
    traceId: Uuid
    operatorId: Uuid  # the buyer's operator
    items: list[AclItemGroup]


class ExportBody(_Body):
    traceId: Uuid
    productKey: str = Field(min_length=1)
    referencePeriod: tuple[AwareDatetime, AwareDatetime]
    productId: str | None = None  # default: urn:pact:<node host>:trace-id:<traceId> (notes §4.4)


class ImportBody(_Body):
    receivedKey: str = Field(min_length=1)
    traceId: Uuid  # the buyer's part the open request is for
    stage: Stage | None = None  # where a total without stage split goes


def _parse(model: type[_M], body: dict[str, Any]) -> _M:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise InvalidInput(
            f"not a valid {model.__name__}: {describe(error)}", reason=model.__name__
        ) from None


# -- management routes ------------------------------------------------------------------------------------


def _management(
    node: Node, store: DocumentStore, service: OuranosService, auth: MemoryAuthenticator, pcf: PcfService
) -> APIRouter:
    router = APIRouter(
        prefix="/management/v3/ouranos",
        tags=["Ouranos (management)"],
        dependencies=[Depends(require_api_key(node.api_key))],
    )
    limit = node.settings.max_body_bytes
    platform = urlsplit(node.settings.base_url).hostname or node.settings.name

    def onboard(new: NewOperator) -> dict[str, Any]:
        operator = OperatorModel(
            operatorId=str(uuid.uuid4()),
            operatorName=new.operatorName,
            operatorAddress=new.operatorAddress,
            openOperatorId=new.openOperatorId,
            operatorAttribute=OperatorAttribute(globalOperatorId=new.globalOperatorId),
        )
        with store.unit_of_work():
            service.register_operator(operator)
            plant = _plant(service, operator.operatorId, new.plant) if new.plant else None
            if new.account is not None:
                _add_account(auth, new.account, operator.operatorId)
        return {
            "operator": operator.model_dump(mode="json"),
            "plant": plant.model_dump(mode="json") if plant else None,
            "apiKey": ouranos_api_key(node.api_key),
        }

    @router.post("/operators", status_code=201)
    async def create_operator(request: Request) -> dict[str, Any]:
        """``{operatorName, operatorAddress, openOperatorId, globalOperatorId?, plant?, account?}``."""
        new = _parse(NewOperator, await read_json_object(request, limit))
        return await blocking(_validated, onboard, new)

    def add_account(body: AccountFor) -> dict[str, Any]:
        with store.unit_of_work():
            if store.operators.get(body.operatorId) is None:
                raise NotFound(f"operatorId {body.operatorId} is not registered", reason="operator")
            _add_account(auth, body, body.operatorId)
        return {"accountId": body.accountId, "operatorId": body.operatorId}

    @router.post("/accounts", status_code=201)
    async def create_account(request: Request) -> dict[str, Any]:
        """``{accountId, password, operatorId}``: one more login for an operator."""
        return await blocking(add_account, _parse(AccountFor, await read_json_object(request, limit)))

    @router.get("/api-key")
    async def api_key() -> dict[str, str]:
        return {"apiKey": ouranos_api_key(node.api_key)}

    def grant(body: GrantBody) -> dict[str, Any]:
        with store.unit_of_work():
            part = store.parts.get(body.traceId)
            if part is None:
                raise NotFound(f"traceId {body.traceId} is not registered", reason="trace_id")
            granted = service.grant(part.operatorId, body.traceId, body.operatorId, body.items)
        return {"traceId": granted.trace_id, "operatorId": granted.recipient, "items": sorted(granted.items)}

    @router.post("/grants", status_code=201)
    async def create_grant(request: Request) -> dict[str, Any]:
        """``{traceId, operatorId, items}``: the part's owner lets that buyer see TOTALCFP / TOTALDQR."""
        return await blocking(grant, _parse(GrantBody, await read_json_object(request, limit)))

    def export(body: ExportBody) -> dict[str, Any]:
        product_id = body.productId or trace_id_urn(platform, uuid.UUID(body.traceId))
        footprint = export_cfp(
            service,
            pcf,
            trace_id=body.traceId,
            product_key=body.productKey,
            product_id=product_id,
            reference_period=body.referencePeriod,
        )
        return {
            "productKey": body.productKey,
            "footprint": footprint.model_dump(mode="json", exclude_none=True),
        }

    @router.post("/bridge/export")
    async def bridge_export(request: Request) -> dict[str, Any]:
        """``{traceId, productKey, referencePeriod, productId?}``: JP → EU."""
        return await blocking(export, _parse(ExportBody, await read_json_object(request, limit)))

    def import_(body: ImportBody) -> dict[str, Any]:
        disclosure, sha256 = pcf.received(body.receivedKey)  # its own node transaction, before the unit
        with store.unit_of_work():
            imported = import_disclosure(
                service, disclosure, trace_id=body.traceId, name=body.receivedKey, stage=body.stage
            )
            event = {"received": body.receivedKey, "sha256": sha256, "traceId": imported.supplier_trace_id}
            store.note("ouranos.imported", event)
        return {
            "tradeId": imported.trade_id,
            "operatorId": imported.supplier_operator_id,
            "traceId": imported.supplier_trace_id,
            "cfpId": imported.cfp.cfp_id,
            "sha256": sha256,
        }

    @router.post("/bridge/import", status_code=201)
    async def bridge_import(request: Request) -> dict[str, Any]:
        """``{receivedKey, traceId, stage?}``: EU → JP."""
        return await blocking(import_, _parse(ImportBody, await read_json_object(request, limit)))

    return router


def _validated(call: Callable[[_A], _R], argument: _A) -> _R:
    """Wire models built from management input: their validation errors are the caller's, a 400."""
    try:
        return call(argument)
    except ValidationError as error:
        raise InvalidInput(f"not a valid Ouranos record: {describe(error)}", reason="ouranos") from None


def _plant(service: OuranosService, operator_id: str, new: NewPlant) -> PlantModel:
    plant = PlantModel(
        plantId=None,
        operatorId=operator_id,
        plantName=new.plantName,
        plantAddress=new.plantAddress,
        openPlantId=new.openPlantId,
        plantAttribute=PlantAttribute(globalPlantId=new.globalPlantId),
    )
    return service.put_plant(operator_id, plant)


def _add_account(auth: MemoryAuthenticator, account: NewAccount, operator_id: str) -> None:
    if auth.has_account(account.accountId):
        raise Conflict(f"account {account.accountId} exists", reason="account")
    auth.add_account(account.accountId, account.password, operator_id)
