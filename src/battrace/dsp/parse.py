"""Typed, frozen views of inbound DSP 2025-1 messages.

``parse_message`` validates against the official schema first and only then builds the view, so the
models do not repeat the schema rules; they only give the fields Python names. Policies (``offer``,
``agreement``), data addresses and catalog entries stay plain dicts: the policy package interprets them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from battrace.dsp.states import NegotiationState, TransferState
from battrace.dsp.validation import message_type, validate_message
from battrace.errors import InvalidInput


class _Inbound(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, populate_by_name=True, extra="ignore")

    context: list[str] = Field(default_factory=list, alias="@context")


class _Pids(_Inbound):
    provider_pid: str = Field(alias="providerPid")
    consumer_pid: str = Field(alias="consumerPid")


class _CodeReason(_Pids):
    code: str | None = None
    reason: list[Any] = Field(default_factory=list)


# --- catalog ----------------------------------------------------------------------------------------


class CatalogRequest(_Inbound):
    filter: list[Any] | None = None


class DatasetRequest(_Inbound):
    dataset: str


class Catalog(_Inbound):
    id: str = Field(alias="@id")
    participant_id: str = Field(alias="participantId")
    dataset: list[dict[str, Any]] = Field(default_factory=list)
    service: list[dict[str, Any]] = Field(default_factory=list)
    catalog: list[dict[str, Any]] = Field(default_factory=list)
    distribution: list[dict[str, Any]] = Field(default_factory=list)


class Dataset(_Inbound):
    id: str = Field(alias="@id")
    has_policy: list[dict[str, Any]] = Field(alias="hasPolicy")
    distribution: list[dict[str, Any]]


class CatalogError(_Inbound):
    code: str | None = None
    reason: list[Any] = Field(default_factory=list)


class VersionResponse(_Inbound):
    protocol_versions: list[dict[str, Any]] = Field(alias="protocolVersions")


# --- contract negotiation ---------------------------------------------------------------------------


class ContractRequest(_Inbound):
    consumer_pid: str = Field(alias="consumerPid")
    provider_pid: str | None = Field(default=None, alias="providerPid")
    offer: dict[str, Any]
    callback_address: str | None = Field(default=None, alias="callbackAddress")


class ContractOffer(_Inbound):
    provider_pid: str = Field(alias="providerPid")
    consumer_pid: str | None = Field(default=None, alias="consumerPid")
    offer: dict[str, Any]
    callback_address: str | None = Field(default=None, alias="callbackAddress")


class ContractAgreement(_Pids):
    agreement: dict[str, Any]


class AgreementVerification(_Pids):
    pass


class NegotiationEventMsg(_Pids):
    event_type: Literal["ACCEPTED", "FINALIZED"] = Field(alias="eventType")


class NegotiationTermination(_CodeReason):
    pass


class NegotiationAck(_Pids):
    """ContractNegotiation: the body of an ACK or of a GET on a negotiation."""

    state: NegotiationState


class NegotiationError(_CodeReason):
    pass


# --- transfer process -------------------------------------------------------------------------------


class TransferRequest(_Inbound):
    consumer_pid: str = Field(alias="consumerPid")
    agreement_id: str = Field(alias="agreementId")
    format: str
    callback_address: str = Field(alias="callbackAddress")
    data_address: dict[str, Any] | None = Field(default=None, alias="dataAddress")


class TransferStart(_Pids):
    data_address: dict[str, Any] | None = Field(default=None, alias="dataAddress")


class TransferSuspension(_CodeReason):
    pass


class TransferCompletion(_Pids):
    pass


class TransferTermination(_CodeReason):
    pass


class TransferAck(_Pids):
    """TransferProcess: the body of an ACK or of a GET on a transfer."""

    state: TransferState


class TransferError(_CodeReason):
    pass


DspMessage = (
    CatalogRequest | DatasetRequest | Catalog | Dataset | CatalogError | VersionResponse
    | ContractRequest | ContractOffer | ContractAgreement | AgreementVerification | NegotiationEventMsg
    | NegotiationTermination | NegotiationAck | NegotiationError
    | TransferRequest | TransferStart | TransferSuspension | TransferCompletion | TransferTermination
    | TransferAck | TransferError
)

MODEL_BY_TYPE: Mapping[str, type[DspMessage]] = {
    "CatalogRequestMessage": CatalogRequest,
    "DatasetRequestMessage": DatasetRequest,
    "Catalog": Catalog,
    "Dataset": Dataset,
    "CatalogError": CatalogError,
    "VersionResponse": VersionResponse,
    "ContractRequestMessage": ContractRequest,
    "ContractOfferMessage": ContractOffer,
    "ContractAgreementMessage": ContractAgreement,
    "ContractAgreementVerificationMessage": AgreementVerification,
    "ContractNegotiationEventMessage": NegotiationEventMsg,
    "ContractNegotiationTerminationMessage": NegotiationTermination,
    "ContractNegotiation": NegotiationAck,
    "ContractNegotiationError": NegotiationError,
    "TransferRequestMessage": TransferRequest,
    "TransferStartMessage": TransferStart,
    "TransferSuspensionMessage": TransferSuspension,
    "TransferCompletionMessage": TransferCompletion,
    "TransferTerminationMessage": TransferTermination,
    "TransferProcess": TransferAck,
    "TransferError": TransferError,
}


def parse_message(body: Mapping[str, Any], expected_type: str | None = None) -> DspMessage:
    """Validate ``body`` against its official schema, then return its typed view.

    Raises InvalidInput (400) for a missing/unknown/unexpected ``@type`` or a schema violation.
    """
    validate_message(body, expected_type)
    kind = message_type(body)
    model = MODEL_BY_TYPE.get(kind or "")
    if model is None:  # validate_message knows every type of MODEL_BY_TYPE; kept for a precise error
        raise InvalidInput(f"no parser for DSP message type {kind!r}")
    return model.model_validate(dict(body))
