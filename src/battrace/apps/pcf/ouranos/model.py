"""Wire shapes of the Ouranos data-transaction API ("データ連携基盤 API" 3.0.0, notes §4.2), named exactly as
``components.schemas`` of the published OpenAPI (tests/fixtures/ouranos/openapi.yaml).

Constraints are the OpenAPI's own (lengths, enums, 0..99999.99999); the rules the OpenAPI states only in
prose (all four cfpTypes in one PUT, 5 decimals, ...) live in ``service``. Numbers are JSON numbers on the
wire, as the OpenAPI says (``format: double``); the service turns them into ``Decimal`` before any arithmetic.
Pure module: no I/O.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Uuid = Annotated[str, Field(max_length=36, pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")]
Amount = Annotated[float, Field(ge=0, le=99999.99999, allow_inf_nan=False)]
Text50 = Annotated[str, Field(max_length=50)]

AmountRequiredUnit = Literal[
    "liter", "kilogram", "cubic-meter", "kilowatt-hour", "megajoule", "ton-kilometer", "square-meter", "unit"
]
GhgDeclaredUnit = Literal[
    "kgCO2e/liter",
    "kgCO2e/kilogram",
    "kgCO2e/cubic-meter",
    "kgCO2e/kilowatt-hour",
    "kgCO2e/megajoule",
    "kgCO2e/ton-kilometer",
    "kgCO2e/square-meter",
    "kgCO2e/unit",
]
# the four a company registers (PUT) and the read-only aggregates and supplier answers (GET only)
OwnCfpType = Literal["preProduction", "mainProduction", "preComponent", "mainComponent"]
CfpType = Literal[
    "preProduction",
    "mainProduction",
    "preComponent",
    "mainComponent",
    "preProductionTotal",
    "mainProductionTotal",
    "preComponentTotal",
    "mainComponentTotal",
    "preProductionResponse",
    "mainProductionResponse",
]
DqrType = Literal[
    "preProcessing",
    "mainProcessing",
    "preProcessingTotal",
    "mainProcessingTotal",
    "preProcessingResponse",
    "mainProcessingResponse",
]
CfpResponseStatus = Literal["NOT_COMPLETED", "COMPLETED", "REJECT", "CANCEL"]
TradeTreeStatus = Literal["TERMINATED", "UNTERMINATED"]
AclItemGroup = Literal["TOTALCFP", "TOTALDQR"]  # traceability-management API cfpAcl (notes §4.2)


class _Wire(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")


class OperatorAttribute(_Wire):
    globalOperatorId: Annotated[str, Field(max_length=256)] | None = None


class OperatorModel(_Wire):
    operatorId: Uuid
    operatorName: Annotated[str, Field(min_length=1, max_length=256)]
    operatorAddress: Annotated[str, Field(min_length=1, max_length=256)]
    openOperatorId: Annotated[str, Field(min_length=1, max_length=20)]
    operatorAttribute: OperatorAttribute


class PlantAttribute(_Wire):
    globalPlantId: Annotated[str, Field(max_length=256)] | None = None


class PlantModel(_Wire):
    plantId: Uuid | None
    operatorId: Uuid
    plantName: Annotated[str, Field(min_length=1, max_length=256)]
    plantAddress: Annotated[str, Field(min_length=1, max_length=256)]
    # "openPlantIdは末尾6桁が数字" (#3)
    openPlantId: Annotated[str, Field(min_length=6, max_length=26, pattern=r"[0-9]{6}$")]
    plantAttribute: PlantAttribute


class PartsModel(_Wire):
    traceId: Uuid | None
    operatorId: Uuid
    plantId: Uuid
    partsName: Annotated[str, Field(min_length=1, max_length=50)]
    supportPartsName: Text50 | None
    terminatedFlag: bool
    amountRequired: Amount | None
    amountRequiredUnit: AmountRequiredUnit | None
    partsLabelName: Text50 | None = None
    partsAddInfo1: Text50 | None = None
    partsAddInfo2: Text50 | None = None
    partsAddInfo3: Text50 | None = None


class PartsStructureModel(_Wire):
    parentPartsModel: PartsModel
    childrenPartsModel: Annotated[list[PartsModel], Field(max_length=50)]


class TradeModel(_Wire):
    tradeId: Uuid | None
    downstreamOperatorId: Uuid
    downstreamTraceId: Uuid
    upstreamOperatorId: Uuid
    upstreamTraceId: Uuid | None


class RequestStatus(_Wire):
    cfpResponseStatus: CfpResponseStatus | None = None
    tradeTreeStatus: TradeTreeStatus | None = None
    completedCount: float | None = None
    completedCountModifiedAt: datetime | None = None
    tradesCount: float | None = None
    tradesCountModifiedAt: datetime | None = None


class StatusModel(_Wire):
    statusId: Uuid | None
    tradeId: Uuid | None
    requestStatus: RequestStatus
    message: Annotated[str, Field(max_length=1000)] | None
    replyMessage: Annotated[str, Field(max_length=1000)] | None
    requestType: Literal["CFP"]
    responseDueDate: date | None


class TradeRequestModel(_Wire):
    tradeModel: TradeModel
    statusModel: StatusModel


class TradeResponseModel(_Wire):
    statusModel: StatusModel
    tradeModel: TradeModel
    partsModel: PartsModel


class DqrValue(_Wire):
    TeR: Amount | None
    GeR: Amount | None
    TiR: Amount | None


class CfpModel(_Wire):
    cfpId: Uuid | None
    traceId: Uuid
    ghgEmission: Amount | None
    ghgDeclaredUnit: GhgDeclaredUnit
    cfpType: CfpType
    dqrType: DqrType
    dqrValue: DqrValue


class CfpCertificationFileInfo(_Wire):
    operatorId: Uuid | None = None
    fileId: Uuid | None = None
    fileName: str | None = None


class CfpCertificationModel(_Wire):
    cfpCertificationId: Uuid
    traceId: Uuid
    cfpCertificationDescription: Annotated[str, Field(max_length=100)] | None
    cfpCertificationFileInfo: Annotated[list[CfpCertificationFileInfo], Field(max_length=100)] | None


class LoginInputModel(_Wire):
    operatorAccountId: Annotated[str, Field(min_length=1)]
    accountPassword: str


class LoginOutputModel(_Wire):
    accessToken: str
    refreshToken: str


class RefreshInputModel(_Wire):
    refreshToken: str


class RefreshOutputModel(_Wire):
    accessToken: str


class ChangePasswordModel(_Wire):
    newPassword: Annotated[str, Field(min_length=8, max_length=20, pattern=r"^[a-zA-Z0-9!@#$%^&*()]+$")]


class ErrorBody(_Wire):
    """common.HTTP4xx/5xxError: ``code`` is ``"[auth|dataspace|traceability] <Status>"``."""

    code: str
    message: str
    detail: str
