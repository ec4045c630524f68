"""Typed views of inbound messages: built only from schema-valid bodies, frozen, field names mapped."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from battrace.dsp import parse as p
from battrace.dsp.states import NegotiationState, TransferState
from battrace.errors import InvalidInput

from ._fixtures import FIXTURES, load, vector_index

EXPECTED_MODEL = {
    "catalog-error.json": p.CatalogError,
    "catalog-request-message.json": p.CatalogRequest,
    "catalog.json": p.Catalog,
    "nested-catalog.json": p.Catalog,
    "dataset-request-message.json": p.DatasetRequest,
    "dataset.json": p.Dataset,
    "protocol-version.json": p.VersionResponse,
    "contract-agreement-message-full.json": p.ContractAgreement,
    "contract-agreement-message.json": p.ContractAgreement,
    "contract-agreement-verification-message.json": p.AgreementVerification,
    "contract-negotiation-error.json": p.NegotiationError,
    "contract-negotiation-event-message.json": p.NegotiationEventMsg,
    "contract-negotiation-termination-message.json": p.NegotiationTermination,
    "contract-negotiation.json": p.NegotiationAck,
    "contract-offer-message.json": p.ContractOffer,
    "contract-offer-message_initial.json": p.ContractOffer,
    "contract-request-message.json": p.ContractRequest,
    "contract-request-message_initial.json": p.ContractRequest,
    "transfer-completion-message.json": p.TransferCompletion,
    "transfer-error.json": p.TransferError,
    "transfer-process.json": p.TransferAck,
    "transfer-request-message.json": p.TransferRequest,
    "transfer-start-message.json": p.TransferStart,
    "transfer-suspension-message.json": p.TransferSuspension,
    "transfer-termination-message.json": p.TransferTermination,
}
EXAMPLE_FILES = [e["file"] for e in vector_index()["examples"] if "did-service" not in e["file"]]


def _example(name: str) -> dict[str, Any]:
    path = next(f for f in EXAMPLE_FILES if f.endswith("/" + name))
    loaded: dict[str, Any] = copy.deepcopy(load(FIXTURES / path))
    return loaded


def test_every_official_message_example_has_an_expected_model() -> None:
    assert sorted(f.rsplit("/", 1)[-1] for f in EXAMPLE_FILES) == sorted(EXPECTED_MODEL)


@pytest.mark.parametrize("name", sorted(EXPECTED_MODEL))
def test_official_example_parses_into_its_model(name: str) -> None:
    assert type(p.parse_message(_example(name))) is EXPECTED_MODEL[name]


def test_initial_contract_request_fields_are_mapped() -> None:
    msg = p.parse_message(_example("contract-request-message_initial.json"))
    assert isinstance(msg, p.ContractRequest)
    assert msg.consumer_pid == "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833"
    assert msg.provider_pid is None
    assert msg.callback_address == "https://example.com/callback"
    assert msg.offer["target"] == "urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88"
    assert msg.context == ["https://w3id.org/dspace/2025/1/context.jsonld"]


def test_transfer_request_fields_are_mapped() -> None:
    msg = p.parse_message(_example("transfer-request-message.json"))
    assert isinstance(msg, p.TransferRequest)
    assert (msg.agreement_id, msg.format) == (
        "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
        "example:HTTP_PUSH",
    )
    assert (
        msg.data_address is not None and msg.data_address["endpointType"] == "https://w3id.org/idsa/v4.1/HTTP"
    )


def test_acks_carry_the_state_enums() -> None:
    negotiation = p.parse_message(_example("contract-negotiation.json"))
    transfer = p.parse_message(_example("transfer-process.json"))
    assert isinstance(negotiation, p.NegotiationAck) and isinstance(negotiation.state, NegotiationState)
    assert isinstance(transfer, p.TransferAck) and isinstance(transfer.state, TransferState)


def test_event_message_carries_its_event_type() -> None:
    msg = p.parse_message(_example("contract-negotiation-event-message.json"))
    assert isinstance(msg, p.NegotiationEventMsg) and msg.event_type in ("ACCEPTED", "FINALIZED")


def test_parsed_message_is_frozen() -> None:
    msg = p.parse_message(_example("contract-agreement-verification-message.json"))
    assert isinstance(msg, p.AgreementVerification)
    with pytest.raises(ValidationError):
        msg.provider_pid = "other"


def test_schema_invalid_message_is_never_parsed() -> None:
    body = _example("contract-request-message.json")
    del body["offer"]
    with pytest.raises(InvalidInput, match="offer"):
        p.parse_message(body)


def test_parse_refuses_an_unexpected_type() -> None:
    with pytest.raises(InvalidInput, match="expected a TransferStartMessage"):
        p.parse_message(_example("transfer-completion-message.json"), expected_type="TransferStartMessage")


def test_every_validated_type_has_a_parser() -> None:
    from battrace.dsp.validation import SCHEMA_BY_TYPE

    assert set(SCHEMA_BY_TYPE) == set(p.MODEL_BY_TYPE)
