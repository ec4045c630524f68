"""Parsers for EDC Management API v3 request bodies (as sent by Tractus-X clients).

Each parser JSON-LD-expands the body with the offline loader and reads expanded IRIs; every failure is an
:class:`InvalidInput` naming the field. ``@type`` is optional, but when present it must be the expected
EDC type, so a body posted to the wrong route is rejected instead of half-read.
"""

from __future__ import annotations

from typing import Any, cast

from battrace.errors import InvalidInput
from battrace.jsonld import ODRL_NS
from battrace.management import _ld
from battrace.management._ld import Node, edc
from battrace.management.contract_templates import contract_template_of
from battrace.management.policies import parse_offer, parse_policy
from battrace.management.query import criteria_from_nodes, query_spec_from_node
from battrace.management.shapes import (
    AssetInput,
    CallbackAddress,
    CatalogRequestInput,
    ContractDefinitionInput,
    ContractRequestInput,
    PolicyDefinitionInput,
    TerminateInput,
    TransferRequestInput,
    TransferType,
)

TRANSFER_TYPES: tuple[TransferType, ...] = ("HttpData-PULL", "HttpData-PUSH")
_ID = edc("id")


def parse_asset(body: Any) -> AssetInput:
    """``POST``/``PUT /v3/assets``. ``properties`` gets the EDC ``id`` property, as EDC's asset has."""
    node = _ld.expand_body(body, "asset")
    # The ODRL profile context (sent by some clients with every body) maps "Asset" to odrl:Asset.
    _ld.check_type(node, {edc("Asset"), ODRL_NS + "Asset"}, "asset")
    properties = _plain_child(node, "properties")
    private_properties = _plain_child(node, "privateProperties")
    data_address_node = _ld.child(node, edc("dataAddress"), "dataAddress", required=True)
    data_address = _ld.edc_short_node(cast(Node, data_address_node))
    if not isinstance(data_address.get("type"), str) or not data_address["type"]:
        raise InvalidInput('dataAddress.type is required (a string such as "HttpData")')
    asset_id = _asset_id(node.get("@id"), properties.get(_ID))
    if asset_id is not None:
        properties[_ID] = asset_id
    return AssetInput(asset_id, properties, private_properties, data_address)


def _plain_child(node: Node, name: str) -> dict[str, Any]:
    child = _ld.child(node, edc(name), name)
    return {} if child is None else {k: v for k, v in _ld.plain_node(child).items() if not k.startswith("@")}


def _asset_id(node_id: Any, property_id: Any) -> str | None:
    if property_id is not None and not isinstance(property_id, str):
        raise InvalidInput("properties.id: expected a string")
    if node_id is not None and property_id is not None and node_id != property_id:
        raise InvalidInput(f"asset @id {node_id!r} and properties.id {property_id!r} differ")
    return cast(str | None, node_id if node_id is not None else property_id)


def parse_policy_definition(body: Any) -> PolicyDefinitionInput:
    """``POST``/``PUT /v3/policydefinitions``."""
    node = _ld.expand_body(body, "policyDefinition")
    _ld.check_type(node, {edc("PolicyDefinition")}, "policyDefinition")
    policy = _ld.child(node, edc("policy"), "policy", required=True)
    return PolicyDefinitionInput(id=node.get("@id"), policy=parse_policy(cast(Node, policy), "policy"))


def parse_contract_definition(body: Any) -> ContractDefinitionInput:
    """``POST``/``PUT /v3/contractdefinitions``; no ``assetsSelector`` selects every asset.

    battrace extension: ``contractTemplate`` (a template id of battrace.contracts) and ``contractParameters``
    (its parameters), checked here by a trial rendering so a bad parameter is refused at creation, not at
    the first agreement.
    """
    node = _ld.expand_body(body, "contractDefinition")
    _ld.check_type(node, {edc("ContractDefinition")}, "contractDefinition")
    template, parameters = contract_template_of(node)
    return ContractDefinitionInput(
        id=node.get("@id"),
        access_policy_id=_ld.required_string(node, edc("accessPolicyId"), "accessPolicyId"),
        contract_policy_id=_ld.required_string(node, edc("contractPolicyId"), "contractPolicyId"),
        assets_selector=criteria_from_nodes(
            _ld.children(node, edc("assetsSelector"), "assetsSelector"), "assetsSelector"
        ),
        contract_template=template,
        contract_parameters=parameters,
    )


def parse_catalog_request(body: Any) -> CatalogRequestInput:
    """``POST /v3/catalog/request``."""
    node = _ld.expand_body(body, "catalogRequest")
    _ld.check_type(node, {edc("CatalogRequest")}, "catalogRequest")
    query = _ld.child(node, edc("querySpec"), "querySpec")
    return CatalogRequestInput(
        counter_party_address=_ld.required_string(node, edc("counterPartyAddress"), "counterPartyAddress"),
        counter_party_id=_ld.string(node, edc("counterPartyId"), "counterPartyId"),
        protocol=_ld.required_string(node, edc("protocol"), "protocol"),
        query_spec=None if query is None else query_spec_from_node(query, "querySpec"),
    )


def parse_contract_request(body: Any) -> ContractRequestInput:
    """``POST /v3/contractnegotiations`` and ``POST /v3/edrs`` (same ``ContractRequest`` body)."""
    node = _ld.expand_body(body, "contractRequest")
    _ld.check_type(node, {edc("ContractRequest")}, "contractRequest")
    policy = _ld.child(node, edc("policy"), "policy", required=True)
    offer, offer_context = parse_offer(cast(Node, policy), "policy")
    return ContractRequestInput(
        counter_party_address=_ld.required_string(node, edc("counterPartyAddress"), "counterPartyAddress"),
        counter_party_id=_ld.string(node, edc("counterPartyId"), "counterPartyId"),
        protocol=_ld.required_string(node, edc("protocol"), "protocol"),
        offer=offer,
        offer_context=offer_context,
        callback_addresses=_callbacks(node),
    )


def _callbacks(node: Node) -> tuple[CallbackAddress, ...]:
    items = _ld.children(node, edc("callbackAddresses"), "callbackAddresses")
    return tuple(_callback(item, f"callbackAddresses[{index}]") for index, item in enumerate(items))


def _callback(node: Node, field: str) -> CallbackAddress:
    return CallbackAddress(
        uri=_ld.required_string(node, edc("uri"), f"{field}.uri"),
        events=_ld.strings(node, edc("events"), f"{field}.events"),
        transactional=_ld.boolean(node, edc("transactional"), f"{field}.transactional", False),
        auth_key=_ld.string(node, edc("authKey"), f"{field}.authKey"),
        auth_code_id=_ld.string(node, edc("authCodeId"), f"{field}.authCodeId"),
    )


def parse_transfer_request(body: Any) -> TransferRequestInput:
    """``POST /v3/transferprocesses``. A push transfer needs a ``dataDestination``."""
    node = _ld.expand_body(body, "transferRequest")
    _ld.check_type(node, {edc("TransferRequest")}, "transferRequest")
    transfer_type = _ld.required_string(node, edc("transferType"), "transferType")
    if transfer_type not in TRANSFER_TYPES:
        raise InvalidInput(f"transferType must be one of {list(TRANSFER_TYPES)}, got {transfer_type!r}")
    destination = _ld.child(node, edc("dataDestination"), "dataDestination")
    if transfer_type == "HttpData-PUSH" and destination is None:
        raise InvalidInput("dataDestination is required for HttpData-PUSH (where the provider pushes to)")
    return TransferRequestInput(
        counter_party_address=_ld.required_string(node, edc("counterPartyAddress"), "counterPartyAddress"),
        counter_party_id=_ld.string(node, edc("counterPartyId"), "counterPartyId"),
        contract_id=_ld.required_string(node, edc("contractId"), "contractId"),
        asset_id=_ld.string(node, edc("assetId"), "assetId"),
        transfer_type=transfer_type,
        data_destination=None if destination is None else _ld.edc_short_node(destination),
        protocol=_ld.required_string(node, edc("protocol"), "protocol"),
        callback_addresses=_callbacks(node),
    )


def parse_terminate(body: Any) -> TerminateInput:
    """``POST /v3/contractnegotiations/{id}/terminate`` and ``/v3/transferprocesses/{id}/terminate``."""
    node = _ld.expand_body(body, "terminate")
    _ld.check_type(node, {edc("TerminateNegotiation"), edc("TerminateTransfer")}, "terminate")
    return TerminateInput(reason=_ld.string(node, edc("reason"), "reason"))
