"""Who an app's offer admits. Apps designate a recipient by DID and admit it by its Catena-X Business Partner
Number in the access policy, so the BPN must be the recipient's own: the one its verified claims on this node
state, or one the operator gives (a partner this node has not met yet). A given BPN that contradicts the
claims is refused rather than opening the offer to another company."""

from __future__ import annotations

from battrace.connector.node import Node
from battrace.errors import InvalidInput


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
