"""Who an app's offer admits, and the offer itself (one rule for the due-diligence and recycling apps).

Apps designate a recipient by DID and admit it by its Catena-X Business Partner Number in the access policy,
so the BPN must be the recipient's own: the one its verified claims on this node state, or one the operator
gives (a partner this node has not met yet). A given BPN that contradicts the claims is refused rather than
opening the offer to another company.

``offer_records`` builds a ``Stored`` asset whose access and usage policies admit only that BPN (the Catena-X
BPNL constraint), so no one else even sees it in the catalog; the caller saves them with ``save_offer`` in its
own transaction together with its own records and log entry: all of it or nothing. Offering again under the
same id replaces the offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from battrace.client import EDC_CONTEXT
from battrace.connector.node import Node
from battrace.connector.records import Asset, AssetContent, ContractDefinition, PolicyDefinition
from battrace.errors import InvalidInput
from battrace.management import parse_asset, parse_contract_definition, parse_policy_definition
from battrace.policy.parse import parse_policy
from battrace.store.tx import Tx

_EDC_ID = "https://w3id.org/edc/v0.0.1/ns/id"
_ODRL_PROFILE = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"
_CX_POLICY = "https://w3id.org/catenax/2025/9/policy/context.jsonld"


def recipient_bpn(node: Node, recipient: str, given: str | None = None) -> str:
    if not recipient.startswith("did:") or len(recipient) > 2048:
        raise InvalidInput(f"a partner is named by its DID, not {recipient[:80]!r}", reason="recipient")
    known = node.ctx.claims_for_did(recipient).get("bpn")
    known = known if isinstance(known, str) and known else None
    if given is not None and known is not None and given != known:
        raise InvalidInput(f"{recipient} has BPN {known}, not {given}", reason="bpn")
    bpn = given or known
    if bpn is None:
        raise InvalidInput(
            f"no BPN is known for {recipient}: give 'bpn' or configure the peer's claims", reason="bpn"
        )
    return bpn


@dataclass(frozen=True)
class Offer:
    asset: Asset
    content: AssetContent
    access: PolicyDefinition
    usage: PolicyDefinition
    definition: ContractDefinition


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
