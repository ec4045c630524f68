"""Builders of outbound DSP 2025-1 messages, in compacted form (plain JSON dicts).

Every message carries ``@context`` as an array containing the DSP 2025-1 context
(``common/context-schema.json``: array + ``contains``). Extra contexts (e.g. the Catena-X policy context)
come *before* the DSP context: the DSP context is ``@protected`` and a later context that redefines
``odrl`` fails JSON-LD expansion (research/dataspace-protocol.md §6).

Builders take values, never read a clock or mint ids: process ids and agreement timestamps come from
the caller. Optional fields are omitted rather than sent as null (the schemas type them as strings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from battrace.dsp.states import NegotiationState, TransferState
from battrace.errors import InvalidInput
from battrace.jsonld import DSP_CONTEXT, EDC_NS, TX_AUTH_NS

Message = dict[str, Any]

HTTP_ENDPOINT_TYPE = "https://w3id.org/idsa/v4.1/HTTP"
EDR_AUTHORIZATION = f"{EDC_NS}authorization"
EDR_AUTH_TYPE = f"{EDC_NS}authType"
EDR_EXPIRES_IN = f"{TX_AUTH_NS}expiresIn"
EDR_REFRESH_TOKEN = f"{TX_AUTH_NS}refreshToken"
EDR_REFRESH_ENDPOINT = f"{TX_AUTH_NS}refreshEndpoint"


def dsp_context(contexts: Sequence[str] = ()) -> list[str]:
    """``[*contexts, DSP_CONTEXT]``: extra contexts first, the protected DSP context last, no duplicates."""
    extra = [c for c in dict.fromkeys(contexts) if c != DSP_CONTEXT]
    return [*extra, DSP_CONTEXT]


def _message(kind: str, contexts: Sequence[str] = (), **fields: Any) -> Message:
    body: Message = {"@context": dsp_context(contexts), "@type": kind}
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


def _pids(provider_pid: str, consumer_pid: str) -> dict[str, str]:
    return {"providerPid": provider_pid, "consumerPid": consumer_pid}


def _code_reason(code: str | None, reason: Sequence[str]) -> dict[str, Any]:
    # `reason` has minItems 1 when present, so an empty reason is omitted.
    out: dict[str, Any] = {} if code is None else {"code": code}
    if reason:
        out["reason"] = list(reason)
    return out


def _exactly_one(kind: str, first: tuple[str, str | None], second: tuple[str, str | None]) -> None:
    # The request/offer schemas use oneOf: the initial message has a callbackAddress, a later one the
    # counter-party's pid, never both.
    if (first[1] is None) == (second[1] is None):
        raise ValueError(f"{kind} needs exactly one of {first[0]} (initial) and {second[0]} (subsequent)")


# --- contract negotiation -------------------------------------------------------------------------


def contract_request(
    consumer_pid: str,
    offer: Mapping[str, Any],
    *,
    callback_address: str | None = None,
    provider_pid: str | None = None,
    contexts: Sequence[str] = (),
) -> Message:
    """ContractRequestMessage: initial (``callback_address``) or counter-request (``provider_pid``)."""
    _exactly_one(
        "ContractRequestMessage", ("callbackAddress", callback_address), ("providerPid", provider_pid)
    )
    return _message(
        "ContractRequestMessage", contexts, consumerPid=consumer_pid, providerPid=provider_pid,
        offer=dict(offer), callbackAddress=callback_address,
    )


def contract_offer(
    provider_pid: str,
    offer: Mapping[str, Any],
    *,
    callback_address: str | None = None,
    consumer_pid: str | None = None,
    contexts: Sequence[str] = (),
) -> Message:
    """ContractOfferMessage: provider-initiated (``callback_address``) or counter-offer (``consumer_pid``)."""
    _exactly_one(
        "ContractOfferMessage", ("callbackAddress", callback_address), ("consumerPid", consumer_pid)
    )
    return _message(
        "ContractOfferMessage", contexts, providerPid=provider_pid, consumerPid=consumer_pid,
        offer=dict(offer), callbackAddress=callback_address,
    )


def contract_agreement(
    provider_pid: str, consumer_pid: str, agreement: Mapping[str, Any], contexts: Sequence[str] = ()
) -> Message:
    return _message("ContractAgreementMessage", contexts, **_pids(provider_pid, consumer_pid),
                    agreement=dict(agreement))


def agreement_verification(provider_pid: str, consumer_pid: str) -> Message:
    return _message("ContractAgreementVerificationMessage", **_pids(provider_pid, consumer_pid))


def negotiation_event(
    provider_pid: str, consumer_pid: str, event_type: Literal["ACCEPTED", "FINALIZED"]
) -> Message:
    if event_type not in ("ACCEPTED", "FINALIZED"):
        raise ValueError(f"eventType must be ACCEPTED or FINALIZED, not {event_type!r}")
    return _message("ContractNegotiationEventMessage", **_pids(provider_pid, consumer_pid),
                    eventType=event_type)


def negotiation_termination(
    provider_pid: str, consumer_pid: str, code: str | None = None, reason: Sequence[str] = ()
) -> Message:
    return _message("ContractNegotiationTerminationMessage", **_pids(provider_pid, consumer_pid),
                    **_code_reason(code, reason))


def negotiation_ack(provider_pid: str, consumer_pid: str, state: NegotiationState) -> Message:
    """ContractNegotiation: the ACK body of every negotiation POST and the GET response."""
    return _message("ContractNegotiation", **_pids(provider_pid, consumer_pid),
                    state=NegotiationState(state).value)


def negotiation_error(provider_pid: str, consumer_pid: str, code: str, reason: Sequence[str]) -> Message:
    return _message("ContractNegotiationError", **_pids(provider_pid, consumer_pid),
                    **_code_reason(code, reason))


# --- transfer process -----------------------------------------------------------------------------


def transfer_request(
    consumer_pid: str,
    agreement_id: str,
    format: str,
    callback_address: str,
    data_address: Mapping[str, Any] | None = None,
) -> Message:
    """TransferRequestMessage; ``data_address`` only for push formats (the destination)."""
    return _message(
        "TransferRequestMessage", consumerPid=consumer_pid, agreementId=agreement_id, format=format,
        callbackAddress=callback_address, dataAddress=None if data_address is None else dict(data_address),
    )


def transfer_start(
    provider_pid: str, consumer_pid: str, data_address: Mapping[str, Any] | None = None
) -> Message:
    """TransferStartMessage; ``data_address`` (the EDR) MUST be present for pull transfers."""
    return _message("TransferStartMessage", **_pids(provider_pid, consumer_pid),
                    dataAddress=None if data_address is None else dict(data_address))


def transfer_suspension(
    provider_pid: str, consumer_pid: str, code: str | None = None, reason: Sequence[str] = ()
) -> Message:
    return _message("TransferSuspensionMessage", **_pids(provider_pid, consumer_pid),
                    **_code_reason(code, reason))


def transfer_completion(
    provider_pid: str, consumer_pid: str, code: str | None = None, reason: Sequence[str] = ()
) -> Message:
    # The completion schema defines no code/reason; it does not forbid them either, so they pass through.
    return _message("TransferCompletionMessage", **_pids(provider_pid, consumer_pid),
                    **_code_reason(code, reason))


def transfer_termination(
    provider_pid: str, consumer_pid: str, code: str | None = None, reason: Sequence[str] = ()
) -> Message:
    return _message("TransferTerminationMessage", **_pids(provider_pid, consumer_pid),
                    **_code_reason(code, reason))


def transfer_ack(provider_pid: str, consumer_pid: str, state: TransferState) -> Message:
    """TransferProcess: the ACK body of every transfer POST and the GET response."""
    return _message("TransferProcess", **_pids(provider_pid, consumer_pid),
                    state=TransferState(state).value)


def transfer_error(provider_pid: str, consumer_pid: str, code: str, reason: Sequence[str]) -> Message:
    return _message("TransferError", **_pids(provider_pid, consumer_pid), **_code_reason(code, reason))


# --- catalog and metadata -------------------------------------------------------------------------


def catalog_error(code: str, reason: Sequence[str]) -> Message:
    return _message("CatalogError", **_code_reason(code, reason))


def version_response(base_path: str) -> Message:
    """Body of ``GET /.well-known/dspace-version`` (unversioned, unauthenticated, no @context)."""
    return {"protocolVersions": [
        {"version": "2025-1", "path": base_path, "binding": "HTTPS", "identifierType": "did:web"},
    ]}


# --- endpoint data reference (Catena-X HttpData-PULL) ---------------------------------------------


def _property(name: str, value: str) -> dict[str, str]:
    return {"@type": "EndpointProperty", "name": name, "value": value}


def data_address_edr(
    endpoint: str,
    token: str,
    expires_in: int,
    *,
    refresh_endpoint: str | None = None,
    refresh_token: str | None = None,
) -> Message:
    """DataAddress of a pull transfer (CX-0018 §2.2.1): endpoint + bearer token + TTL in seconds.

    Property names are the full IRIs of the Catena-X profile; ``expiresIn`` is a string because the
    EndpointProperty schema types every value as a string.
    """
    props = [
        _property(EDR_AUTHORIZATION, token),
        _property(EDR_AUTH_TYPE, "bearer"),
        _property(EDR_EXPIRES_IN, str(int(expires_in))),
    ]
    if refresh_token is not None:
        props.append(_property(EDR_REFRESH_TOKEN, refresh_token))
    if refresh_endpoint is not None:
        props.append(_property(EDR_REFRESH_ENDPOINT, refresh_endpoint))
    return {"@type": "DataAddress", "endpointType": HTTP_ENDPOINT_TYPE, "endpoint": endpoint,
            "endpointProperties": props}


# A peer may send full IRIs, prefixed names or the bare names of the DSP spec examples.
_EDR_NAMES = {
    "authorization": (EDR_AUTHORIZATION, "edc:authorization", "authorization"),
    "expiresIn": (EDR_EXPIRES_IN, "tx-auth:expiresIn", "expiresIn"),
}


def _property_value(properties: Sequence[Mapping[str, Any]], key: str) -> str:
    for prop in properties:
        if prop.get("name") in _EDR_NAMES[key] and isinstance(prop.get("value"), str):
            return str(prop["value"])
    raise InvalidInput(f"data address has no {key} endpoint property")


def read_edr(data_address: Mapping[str, Any]) -> tuple[str, str, int]:
    """``(endpoint, token, expires_in)`` of an HttpData-PULL data address; InvalidInput if incomplete."""
    endpoint = data_address.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise InvalidInput("data address has no endpoint")
    raw_properties = data_address.get("endpointProperties", [])
    properties = [raw_properties] if isinstance(raw_properties, Mapping) else list(raw_properties)
    token = _property_value(properties, "authorization")
    expires = _property_value(properties, "expiresIn")
    try:
        expires_in = int(expires)
    except ValueError:
        raise InvalidInput(f"expiresIn must be a number of seconds, got {expires!r}") from None
    return endpoint, token, expires_in
