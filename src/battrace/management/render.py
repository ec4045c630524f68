"""Renderers: battrace values → compact JSON-LD shaped as the EDC Management API v3 returns them.

Choices a reader may question:
* **States are the DSP 2025-1 names** (negotiation: REQUESTED, OFFERED, ACCEPTED, AGREED, VERIFIED,
  FINALIZED, TERMINATED; transfer: REQUESTED, STARTED, SUSPENDED, COMPLETED, TERMINATED), not EDC's
  internal ones (REQUESTING, AGREEING, STARTUP_REQUESTED …). battrace has no "-ING" states to expose, and a
  client polling for ``FINALIZED``/``STARTED`` — what Tractus-X walkthroughs do — works unchanged.
* ``createdAt`` is epoch milliseconds; ``contractSigningDate`` is epoch **seconds**, as in EDC.
* Policies keep their own ``@context`` array inside the ``policy`` object (a nested context is valid
  JSON-LD), so they stay in DSP 2025-1 form and the body re-parses to the same policy.
* ``None`` fields are left out, as EDC's serialiser does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from battrace.jsonld import (
    CX_POLICY_CONTEXT,
    DSP_CONTEXT,
    DSP_ODRL_PROFILE,
    DSPACE_NS,
    EDC_NS,
    ODRL_NS,
    TX_AUTH_NS,
)
from battrace.management._ld import compact_key
from battrace.management.shapes import CallbackAddress, Criterion

Role = Literal["CONSUMER", "PROVIDER"]

RESPONSE_CONTEXT: dict[str, str] = {"@vocab": EDC_NS, "edc": EDC_NS, "odrl": ODRL_NS, "dspace": DSPACE_NS}
HTTP_ENDPOINT_TYPE = "https://w3id.org/idsa/v4.1/HTTP"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_millis(ts: datetime) -> int:
    """Aware datetimes as they are; a naive one is taken as UTC (battrace clocks are UTC)."""
    aware = ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(milliseconds=1)


def _document(type_: str, id_: str | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"@context": dict(RESPONSE_CONTEXT), "@type": type_}
    if id_ is not None:
        body["@id"] = id_
    body.update((key, value) for key, value in fields.items() if value is not None)
    return body


def _compact_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    return {compact_key(key): value for key, value in values.items()}


def render_asset(
    id: str,
    properties: Mapping[str, Any],
    data_address: Mapping[str, Any],
    created_at: datetime,
    private_properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return _document("Asset", id, {
        "properties": _compact_keys({**properties, EDC_NS + "id": id}),
        "privateProperties": _compact_keys(private_properties) if private_properties else None,
        "dataAddress": {"@type": "DataAddress", **_compact_keys(data_address)},
        "createdAt": epoch_millis(created_at),
    })


def policy_with_context(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The policy with an ``@context`` that defines its ODRL terms outside a DSP message.

    A policy kept from a DSP message may carry only ``[..., DSP_CONTEXT]``; there the ODRL terms came from
    the message's type-scoped context, so the ODRL profile is inserted in front of the DSP context.
    """
    context = policy.get("@context", [CX_POLICY_CONTEXT, DSP_ODRL_PROFILE, DSP_CONTEXT])
    contexts = list(context) if isinstance(context, list) else [context]
    if DSP_ODRL_PROFILE not in contexts:
        at = contexts.index(DSP_CONTEXT) if DSP_CONTEXT in contexts else len(contexts)
        contexts.insert(at, DSP_ODRL_PROFILE)
    return {"@context": contexts, **{k: v for k, v in policy.items() if k != "@context"}}


def render_policy_definition(id: str, policy: Mapping[str, Any], created_at: datetime) -> dict[str, Any]:
    return _document("PolicyDefinition", id, {
        "policy": policy_with_context(policy),
        "createdAt": epoch_millis(created_at),
    })


def render_criterion(criterion: Criterion) -> dict[str, Any]:
    return {
        "@type": "Criterion",
        "operandLeft": criterion.operand_left,
        "operator": criterion.operator,
        "operandRight": criterion.operand_right,
    }


def render_contract_definition(
    id: str,
    access_policy_id: str,
    contract_policy_id: str,
    assets_selector: Sequence[Criterion],
    created_at: datetime,
    contract_template: str | None = None,
    contract_parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "accessPolicyId": access_policy_id,
        "contractPolicyId": contract_policy_id,
        "assetsSelector": [render_criterion(criterion) for criterion in assets_selector],
        "createdAt": epoch_millis(created_at),
    }
    if contract_template is not None:  # battrace extension (battrace.management.contract_templates)
        body["contractTemplate"] = contract_template
        # the shape the POST takes, so a definition read back can be posted again
        body["contractParameters"] = dict(contract_parameters or {})
    return _document("ContractDefinition", id, body)


def render_id_response(id: str, created_at: datetime) -> dict[str, Any]:
    return _document("IdResponse", id, {"createdAt": epoch_millis(created_at)})


def render_callback_address(callback: CallbackAddress) -> dict[str, Any]:
    body: dict[str, Any] = {"transactional": callback.transactional, "uri": callback.uri,
                            "events": list(callback.events)}
    if callback.auth_key is not None:
        body["authKey"] = callback.auth_key
    if callback.auth_code_id is not None:
        body["authCodeId"] = callback.auth_code_id
    return body


def render_negotiation(
    id: str,
    state: str,
    counter_party_id: str | None,
    counter_party_address: str,
    contract_agreement_id: str | None,
    error_detail: str | None,
    created_at: datetime,
    type_: Role,
    protocol: str,
    callback_addresses: Sequence[CallbackAddress] = (),
) -> dict[str, Any]:
    return _document("ContractNegotiation", id, {
        "type": type_,
        "protocol": protocol,
        "state": state,
        "counterPartyId": counter_party_id,
        "counterPartyAddress": counter_party_address,
        "contractAgreementId": contract_agreement_id,
        "errorDetail": error_detail,
        "callbackAddresses": [render_callback_address(c) for c in callback_addresses],
        "createdAt": epoch_millis(created_at),
    })


def render_negotiation_state(state: str) -> dict[str, Any]:
    return _document("NegotiationState", None, {"state": state})


def render_agreement(
    id: str,
    asset_id: str,
    provider_id: str,
    consumer_id: str,
    signing_date: datetime,
    policy: Mapping[str, Any],
) -> dict[str, Any]:
    return _document("ContractAgreement", id, {
        "assetId": asset_id,
        "policy": policy_with_context(policy),
        "contractSigningDate": epoch_millis(signing_date) // 1000,
        "consumerId": consumer_id,
        "providerId": provider_id,
    })


def render_transfer(
    id: str,
    state: str,
    asset_id: str | None,
    contract_id: str,
    type_: Role,
    transfer_type: str,
    correlation_id: str | None,
    error_detail: str | None,
    created_at: datetime,
    callback_addresses: Sequence[CallbackAddress] = (),
) -> dict[str, Any]:
    return _document("TransferProcess", id, {
        "state": state,
        "type": type_,
        "assetId": asset_id,
        "contractId": contract_id,
        "transferType": transfer_type,
        "correlationId": correlation_id,
        "errorDetail": error_detail,
        "callbackAddresses": [render_callback_address(c) for c in callback_addresses],
        "createdAt": epoch_millis(created_at),
    })


def render_transfer_state(state: str) -> dict[str, Any]:
    return _document("TransferState", None, {"state": state})


def render_edr_entry(
    transfer_process_id: str,
    agreement_id: str,
    asset_id: str,
    provider_id: str,
    created_at: datetime,
    contract_negotiation_id: str | None = None,
) -> dict[str, Any]:
    return _document("EndpointDataReferenceEntry", transfer_process_id, {
        "transferProcessId": transfer_process_id,
        "agreementId": agreement_id,
        "assetId": asset_id,
        "providerId": provider_id,
        "contractNegotiationId": contract_negotiation_id,
        "createdAt": epoch_millis(created_at),
    })


def render_edr_data_address(
    endpoint: str,
    token: str,
    expires_in: int | str,
    refresh_endpoint: str | None = None,
    refresh_token: str | None = None,
    refresh_audience: str | None = None,
) -> dict[str, Any]:
    """``GET /v3/edrs/{id}/dataaddress``, shaped as tractusx/edc/edr-dataaddress-management-api.json.

    ``expiresIn`` is a string there (seconds), so it is rendered as one.
    """
    body: dict[str, Any] = {
        "@type": "DataAddress",
        "endpointType": HTTP_ENDPOINT_TYPE,
        "type": HTTP_ENDPOINT_TYPE,
        "endpoint": endpoint,
        "authorization": token,
        "tx-auth:expiresIn": str(expires_in),
    }
    optional = {"refreshEndpoint": refresh_endpoint, "refreshToken": refresh_token,
                "refreshAudience": refresh_audience}
    body.update((f"tx-auth:{key}", value) for key, value in optional.items() if value is not None)
    body["@context"] = {"@vocab": EDC_NS, "edc": EDC_NS, "tx-auth": TX_AUTH_NS}
    return body
