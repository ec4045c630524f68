"""The recycling app's use of the connector: offer a JSON document to one partner, pull one from a partner.

* ``offer_records`` builds a ``Stored`` asset whose access and usage policies admit only the recipient's
  Business Partner Number (the Catena-X BPNL constraint, as in the due-diligence app's offers), so no one
  else even sees it in the catalog. The caller saves them with ``save_offer`` in its own transaction,
  together with its publication record and log entry: all of it or nothing. Offering again under the same id
  replaces the offer.
* ``pull`` runs the ordinary DSP consumer flow (catalog, negotiation, transfer, EDR pull) through this node's
  own management API (battrace.client.NodeClient) and returns the payload only after the provider's signed
  delivery statement checked out. A dataset not offered to us or a refused contract is 403; a connector that
  does not complete the exchange is 502.

Not here: what the documents say (exchange) and what is kept of them (node).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from battrace.client import EDC_CONTEXT, ManagementError, NodeClient, first_offer
from battrace.connector.context import DSP_PATH
from battrace.connector.node import Node
from battrace.connector.records import Asset, AssetContent, ContractDefinition, PolicyDefinition
from battrace.errors import BadGateway, BattraceError, Forbidden, InvalidInput
from battrace.identity import did_web_document_url
from battrace.management import parse_asset, parse_contract_definition, parse_policy_definition
from battrace.policy.parse import parse_policy
from battrace.store.tx import Tx

_EDC_ID = "https://w3id.org/edc/v0.0.1/ns/id"
_ODRL_PROFILE = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"
_CX_POLICY = "https://w3id.org/catenax/2025/9/policy/context.jsonld"


class PartnerUnavailable(BadGateway):
    """The partner's connector did not complete the exchange (502: the fault is upstream, not the input)."""


@dataclass(frozen=True)
class Offer:
    asset: Asset
    content: AssetContent
    access: PolicyDefinition
    usage: PolicyDefinition
    definition: ContractDefinition


@dataclass(frozen=True)
class Pulled:
    payload: Any
    sha256: str  # of the bytes as delivered and signed by the provider
    agreement_id: str


def bpn_policy(policy_id: str, action: str, bpn: str) -> dict[str, Any]:
    """A Management API policy definition admitting one Business Partner Number (Catena-X BPNL constraint)."""
    constraint = {"leftOperand": "BusinessPartnerNumber", "operator": "isAnyOf", "rightOperand": [bpn]}
    return {
        "@context": [_ODRL_PROFILE, _CX_POLICY, EDC_CONTEXT],
        "@type": "PolicyDefinition",
        "@id": policy_id,
        "policy": {"@type": "Set", "permission": [{"action": action, "constraint": [constraint]}]},
    }


def offer_records(asset_id: str, name: str, bpn: str, data: bytes, digest: str, now: datetime) -> Offer:
    parsed = parse_asset(
        {
            "@context": EDC_CONTEXT,
            "@id": asset_id,
            "properties": {"name": name},
            "dataAddress": {"type": "Stored", "contentType": "application/json"},
        }
    )
    asset = Asset(asset_id, dict(parsed.properties), dict(parsed.data_address), now)
    content = AssetContent(asset_id, "application/json", data, digest)
    policies = []
    for kind, action in (("access", "access"), ("usage", "use")):
        parsed_policy = parse_policy_definition(bpn_policy(f"{asset_id}-{kind}", action, bpn))
        parse_policy(parsed_policy.policy)  # the engine must understand it before it is stored
        policies.append(PolicyDefinition(str(parsed_policy.id), parsed_policy.policy, now))
    selector = {"operandLeft": _EDC_ID, "operator": "=", "operandRight": asset_id}
    parsed_definition = parse_contract_definition(
        {"@context": EDC_CONTEXT, "@id": f"{asset_id}-offer", "accessPolicyId": policies[0].id,
         "contractPolicyId": policies[1].id, "assetsSelector": [selector]}
    )  # fmt: skip
    definition = ContractDefinition(
        str(parsed_definition.id),
        parsed_definition.access_policy_id,
        parsed_definition.contract_policy_id,
        tuple(
            {"operandLeft": c.operand_left, "operator": c.operator, "operandRight": c.operand_right}
            for c in parsed_definition.assets_selector
        ),
        now,
    )
    return Offer(asset, content, policies[0], policies[1], definition)


def save_offer(tx: Tx, offer: Offer) -> None:
    """Replace any earlier offer under the same ids, inside the caller's transaction."""
    tx.delete_contract_definition(offer.definition.id)
    tx.delete_policy_definition(offer.access.id)
    tx.delete_policy_definition(offer.usage.id)
    tx.delete_asset(offer.asset.id)
    tx.add_asset(offer.asset, offer.content)
    tx.add_policy_definition(offer.access)
    tx.add_policy_definition(offer.usage)
    tx.add_contract_definition(offer.definition)


def dsp_address(did: str, *, dev: bool) -> str:
    """The DSP endpoint of a battrace node known by its did:web (its DID document sits at the node's root)."""
    try:
        url = did_web_document_url(did, allow_http=dev)
    except (ValueError, BattraceError):
        raise InvalidInput(
            f"{did!r} is not a did:web; give the partner's 'dsp' address", reason="dsp"
        ) from None
    return url.removesuffix("/.well-known/did.json") + DSP_PATH


def pull(node: Node, provider: str, asset_id: str, dsp: str | None = None) -> Pulled:
    """``asset_id`` from ``provider`` through DSP, its delivery statement verified, parsed as JSON."""
    address = dsp or dsp_address(provider, dev=node.settings.dev)
    try:
        with NodeClient(node.settings.base_url, node.api_key, timeout=30.0) as me:
            agreement_id, response = _negotiate_and_fetch(me, provider, address, asset_id)
            try:
                statement = me.verify_delivery(response, provider)
                payload = json.loads(response.content)
            except (BattraceError, ValueError) as error:
                raise InvalidInput(f"the delivery from {provider} did not verify: {error}") from None
    except (ManagementError, TimeoutError, httpx.HTTPError) as error:
        raise PartnerUnavailable(f"the exchange with {provider} failed: {error}") from None
    return Pulled(payload, statement.sha256, agreement_id)


def _negotiate_and_fetch(
    me: NodeClient, provider: str, address: str, asset_id: str
) -> tuple[str, httpx.Response]:
    try:
        offer, contexts = first_offer(me.catalog(address, provider), asset_id)
    except LookupError:
        raise Forbidden(
            f"{provider} offers no dataset {asset_id!r} to this node", reason="not_offered"
        ) from None
    negotiation = me.wait_negotiation(me.negotiate(address, provider, asset_id, offer, contexts))
    if negotiation.get("state") != "FINALIZED":
        raise Forbidden(f"{provider} did not agree to the contract: {negotiation.get('errorDetail')}")
    agreement_id = str(negotiation["contractAgreementId"])
    transfer = me.wait_transfer(me.transfer(address, agreement_id))
    if transfer.get("state") != "STARTED":
        raise PartnerUnavailable(f"{provider} did not start the transfer: {transfer.get('errorDetail')}")
    response = me.fetch(me.edr(str(transfer["@id"])))
    if response.status_code != 200:
        raise PartnerUnavailable(f"{provider}'s data plane answered HTTP {response.status_code}")
    return agreement_id, response
