"""Example records for the store contract tests. Vary them with `dataclasses.replace`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from battrace.connector.records import (
    Agreement,
    Asset,
    AssetContent,
    ContractDefinition,
    EdrToken,
    Negotiation,
    OutboxMessage,
    PolicyDefinition,
    Transfer,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def asset(asset_id: str = "urn:uuid:asset-1", created: float = 0) -> Asset:
    return Asset(
        id=asset_id,
        properties={"name": "Zellchemie Ø 18650", "tags": ["battery", "passport"], "nested": {"k": [1, 2.5]}},
        data_address={"type": "HttpData", "baseUrl": "https://example.org/data"},
        created_at=at(created),
    )


def content(asset_id: str = "urn:uuid:asset-1", data: bytes = bytes(range(256))) -> AssetContent:
    return AssetContent(
        asset_id=asset_id, content_type="application/octet-stream", data=data, sha256="ab" * 32
    )


def policy(policy_id: str = "policy-1", created: float = 0) -> PolicyDefinition:
    return PolicyDefinition(
        id=policy_id,
        policy={
            "@context": ["https://w3id.org/catenax/2025/9/policy/context.jsonld"],
            "@type": "Set",
            "permission": [{"action": "use", "constraint": [{"and": [{"leftOperand": "Membership"}]}]}],
        },
        created_at=at(created),
    )


def contract_definition(definition_id: str = "cd-1", created: float = 0) -> ContractDefinition:
    return ContractDefinition(
        id=definition_id,
        access_policy_id="policy-1",
        contract_policy_id="policy-2",
        assets_selector=({"operandLeft": "id", "operator": "=", "operandRight": "urn:uuid:asset-1"},),
        created_at=at(created),
    )


def negotiation(
    negotiation_id: str = "neg-1",
    *,
    role: str = "PROVIDER",
    consumer_pid: str = "urn:uuid:cpid-1",
    provider_pid: str | None = "urn:uuid:ppid-1",
    state: str = "REQUESTED",
    created: float = 0,
) -> Negotiation:
    return Negotiation(
        id=negotiation_id,
        role=role,
        state=state,
        consumer_pid=consumer_pid,
        provider_pid=provider_pid,
        counterparty_did="did:web:consumer.example",
        counterparty_address="https://consumer.example/dsp",
        offer={"@id": "offer-1", "target": "urn:uuid:asset-1"},
        asset_id="urn:uuid:asset-1",
        agreement_id=None,
        error_detail=None,
        created_at=at(created),
        updated_at=at(created),
    )


def transfer(
    transfer_id: str = "tp-1",
    *,
    role: str = "PROVIDER",
    consumer_pid: str = "urn:uuid:tcpid-1",
    provider_pid: str | None = "urn:uuid:tppid-1",
    state: str = "REQUESTED",
    created: float = 0,
) -> Transfer:
    return Transfer(
        id=transfer_id,
        role=role,
        state=state,
        consumer_pid=consumer_pid,
        provider_pid=provider_pid,
        agreement_id="agreement-1",
        format="HttpData-PULL",
        counterparty_did="did:web:consumer.example",
        counterparty_address="https://consumer.example/dsp",
        data_address=None,
        error_detail=None,
        created_at=at(created),
        updated_at=at(created),
    )


def agreement(agreement_id: str = "agreement-1", signed: float = 0) -> Agreement:
    return Agreement(
        id=agreement_id,
        negotiation_id="neg-1",
        asset_id="urn:uuid:asset-1",
        provider_did="did:web:provider.example",
        consumer_did="did:web:consumer.example",
        body={"@type": "Agreement", "timestamp": "2026-03-01T12:00:00Z"},
        signed_at=at(signed),
    )


def edr(token_hash: str = "hash-1", transfer_id: str = "tp-1") -> EdrToken:
    return EdrToken(
        token_hash=token_hash,
        transfer_id=transfer_id,
        agreement_id="agreement-1",
        asset_id="urn:uuid:asset-1",
        consumer_did="did:web:consumer.example",
        expires_at=at(300),
    )


def message(
    process_id: str = "neg-1", *, due: float = 0, message_type: str = "ContractOfferMessage"
) -> OutboxMessage:
    return OutboxMessage(
        id=None,
        process_kind="negotiation",
        process_id=process_id,
        message_type=message_type,
        url="https://consumer.example/dsp/negotiations/urn:uuid:cpid-1/offers",
        body={"@type": message_type, "providerPid": "urn:uuid:ppid-1"},
        audience_did="did:web:consumer.example",
        attempts=0,
        next_attempt_at=at(due),
        created_at=T0,
    )
