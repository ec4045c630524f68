"""What the EDC Management API v3 bodies mean to battrace: frozen values, no JSON-LD left in them.

Keys of ``properties``/``private_properties`` are expanded IRIs (``https://w3id.org/edc/v0.0.1/ns/name``);
``data_address``/``data_destination`` keys in the EDC namespace are short (``type``, ``baseUrl`` …), as EDC's
data-plane code reads them. Values are plain JSON (a single JSON-LD value is unwrapped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SortOrder = Literal["ASC", "DESC"]
TransferType = Literal["HttpData-PULL", "HttpData-PUSH"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Criterion:
    """EDC ``Criterion``: ``operand_left`` is an expanded IRI when it is a term (``id`` → EDC ``id``)."""

    operand_left: str
    operator: str
    operand_right: Any


@dataclass(frozen=True)
class QuerySpec:
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    sort_field: str | None = None
    sort_order: SortOrder = "ASC"
    filter_expression: tuple[Criterion, ...] = ()


@dataclass(frozen=True)
class CallbackAddress:
    uri: str
    events: tuple[str, ...] = ()
    transactional: bool = False
    auth_key: str | None = None
    auth_code_id: str | None = None


@dataclass(frozen=True)
class AssetInput:
    id: str | None
    properties: dict[str, Any]
    private_properties: dict[str, Any]
    data_address: dict[str, Any]


@dataclass(frozen=True)
class PolicyDefinitionInput:
    """``policy`` is DSP 2025-1 compact ODRL with its own ``@context`` array, ready for the policy engine."""

    id: str | None
    policy: dict[str, Any]


@dataclass(frozen=True)
class ContractDefinitionInput:
    id: str | None
    access_policy_id: str
    contract_policy_id: str
    assets_selector: tuple[Criterion, ...] = ()
    # battrace extension: a contract template (battrace.contracts) and its parameters, already validated.
    contract_template: str | None = None
    contract_parameters: dict[str, Any] | None = None


@dataclass(frozen=True)
class CatalogRequestInput:
    counter_party_address: str
    counter_party_id: str | None
    protocol: str
    query_spec: QuerySpec | None = None


@dataclass(frozen=True)
class ContractRequestInput:
    """``offer``: a DSP 2025-1 ``Offer``, no ``@context``; ``offer_context`` goes *before* the DSP context.

    ``{"@context": [*offer_context, DSP_CONTEXT], "@type": "ContractRequestMessage", "offer": offer, ...}``.
    """

    counter_party_address: str
    counter_party_id: str | None
    protocol: str
    offer: dict[str, Any]
    offer_context: list[Any]
    callback_addresses: tuple[CallbackAddress, ...] = ()


@dataclass(frozen=True)
class TransferRequestInput:
    counter_party_address: str
    counter_party_id: str | None
    contract_id: str
    asset_id: str | None
    transfer_type: TransferType
    data_destination: dict[str, Any] | None
    protocol: str
    callback_addresses: tuple[CallbackAddress, ...] = field(default=())


@dataclass(frozen=True)
class TerminateInput:
    reason: str | None = None
