"""The recycling app's use of the connector: offer a JSON document to one partner, pull one from a partner.

* Offers to one partner: ``battrace.apps.partners.offer_records`` and ``save_offer`` (shared with the
  due-diligence app).
* ``pull`` runs the ordinary DSP consumer flow (catalog, negotiation, transfer, EDR pull) through this node's
  own management API (battrace.client.NodeClient) and returns the payload only after the provider's signed
  delivery statement checked out. A dataset not offered to us or a refused contract is 403; a connector that
  does not complete the exchange is 502.

Not here: what the documents say (exchange) and what is kept of them (node).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from battrace.client import ManagementError, NodeClient, first_offer
from battrace.connector.context import DSP_PATH
from battrace.connector.node import Node
from battrace.errors import BadGateway, BattraceError, Forbidden, InvalidInput
from battrace.identity import did_web_document_url


class PartnerUnavailable(BadGateway):
    """The partner's connector did not complete the exchange (502: the fault is upstream, not the input)."""


@dataclass(frozen=True)
class Pulled:
    payload: Any
    sha256: str  # of the bytes as delivered and signed by the provider
    agreement_id: str


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
