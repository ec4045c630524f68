"""Persistent records of a connector: what goes into and comes out of `battrace.store`.

Pure values (frozen dataclasses, no I/O, no SQLAlchemy). Change them with `dataclasses.replace`.
Timestamps are timezone-aware UTC when they come out of the store, whatever the backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CONSUMER = "CONSUMER"
PROVIDER = "PROVIDER"


@dataclass(frozen=True)
class Asset:
    id: str
    properties: Mapping[str, Any]
    data_address: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class AssetContent:
    asset_id: str
    content_type: str
    data: bytes
    sha256: str


@dataclass(frozen=True)
class PolicyDefinition:
    id: str
    # The compacted JSON-LD policy as received, including its "@context".
    policy: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class ContractDefinition:
    id: str
    access_policy_id: str
    contract_policy_id: str
    assets_selector: tuple[Mapping[str, Any], ...]
    created_at: datetime
    # A contract template (battrace.contracts) rendered into a signed contract at every agreement.
    contract_template: str | None = None
    contract_parameters: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Negotiation:
    id: str
    role: str  # CONSUMER | PROVIDER
    state: str  # DSP 2025-1 negotiation state name, e.g. "REQUESTED"
    consumer_pid: str
    provider_pid: str | None
    counterparty_did: str
    counterparty_address: str
    offer: Mapping[str, Any] | None
    asset_id: str | None
    agreement_id: str | None
    error_detail: str | None
    created_at: datetime
    updated_at: datetime
    # Optimistic lock: the store only updates a row whose version still equals this one.
    version: int = 0


@dataclass(frozen=True)
class Agreement:
    id: str
    negotiation_id: str
    asset_id: str
    provider_did: str
    consumer_did: str
    body: Mapping[str, Any]
    signed_at: datetime


@dataclass(frozen=True)
class Contract:
    """The rendered contract of an agreement and the parties' signatures (compact JWS over its hash)."""

    agreement_id: str
    template_id: str
    version: str
    markdown: str  # the text of record: its SHA-256 is in the agreement policy
    html: str
    sha256: str  # lower-case hex
    provider_signature: str | None
    consumer_signature: str | None
    created_at: datetime


@dataclass(frozen=True)
class Transfer:
    id: str
    role: str  # CONSUMER | PROVIDER
    state: str  # DSP 2025-1 transfer state name, e.g. "STARTED"
    consumer_pid: str
    provider_pid: str | None
    agreement_id: str
    format: str
    counterparty_did: str
    counterparty_address: str
    data_address: Mapping[str, Any] | None
    error_detail: str | None
    created_at: datetime
    updated_at: datetime
    version: int = 0


@dataclass(frozen=True)
class EdrToken:
    # Only the SHA-256 hash of the token is stored, never the token itself.
    token_hash: str
    transfer_id: str
    agreement_id: str
    asset_id: str
    consumer_did: str
    expires_at: datetime
    revoked: bool = False
    # RFC 7638 thumbprint of the consumer's DID key the token is bound to (RFC 9449 §6 `cnf.jkt`): a request
    # must carry a DPoP proof signed by that key. None: minted unbound (the consumer's key was not known).
    jkt: str | None = None


@dataclass(frozen=True)
class OutboxMessage:
    id: int | None  # assigned by the store on enqueue
    process_kind: str  # "negotiation" | "transfer" | ...
    process_id: str
    message_type: str
    url: str
    body: Mapping[str, Any]
    audience_did: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    # The sender's state before this message: the state the counterparty has acknowledged while the message
    # is pending (DSP 2025-1 §3.1: a state is entered when the counter-party ACKs). None for a first message.
    from_state: str | None = None


@dataclass(frozen=True)
class InboxRecord:
    key: str
    status: int
    response: Mapping[str, Any] | None
    created_at: datetime
