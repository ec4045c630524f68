"""EDC Management API v3 (Tractus-X flavour): parse JSON-LD request bodies, render EDC-shaped responses.

Pure translation, no I/O: the HTTP routes call these functions. See ``parse`` for the accepted bodies,
``query`` for QuerySpec/criterion semantics and ``render`` for the response shapes and the state-name choice.
"""

from battrace.management.parse import (
    parse_asset,
    parse_catalog_request,
    parse_contract_definition,
    parse_contract_request,
    parse_policy_definition,
    parse_terminate,
    parse_transfer_request,
)
from battrace.management.query import matches, parse_edr_request, parse_query_spec, select
from battrace.management.render import (
    RESPONSE_CONTEXT,
    render_agreement,
    render_asset,
    render_contract_definition,
    render_edr_data_address,
    render_edr_entry,
    render_id_response,
    render_negotiation,
    render_negotiation_state,
    render_policy_definition,
    render_transfer,
    render_transfer_state,
)
from battrace.management.shapes import (
    AssetInput,
    CallbackAddress,
    CatalogRequestInput,
    ContractDefinitionInput,
    ContractRequestInput,
    Criterion,
    PolicyDefinitionInput,
    QuerySpec,
    TerminateInput,
    TransferRequestInput,
)

__all__ = [
    "RESPONSE_CONTEXT",
    "AssetInput",
    "CallbackAddress",
    "CatalogRequestInput",
    "ContractDefinitionInput",
    "ContractRequestInput",
    "Criterion",
    "PolicyDefinitionInput",
    "QuerySpec",
    "TerminateInput",
    "TransferRequestInput",
    "matches",
    "parse_asset",
    "parse_catalog_request",
    "parse_contract_definition",
    "parse_contract_request",
    "parse_edr_request",
    "parse_policy_definition",
    "parse_query_spec",
    "parse_terminate",
    "parse_transfer_request",
    "render_agreement",
    "render_asset",
    "render_contract_definition",
    "render_edr_data_address",
    "render_edr_entry",
    "render_id_response",
    "render_negotiation",
    "render_negotiation_state",
    "render_policy_definition",
    "render_transfer",
    "render_transfer_state",
    "select",
]
