"""The consumer's half of DPoP (RFC 9449): proofs for requests on an EDR this node received.

A proof must be signed by the node's DID key, which never leaves the node. Code running inside the node (apps)
calls `edr_proof` directly; a client outside it (`battrace.client.NodeClient`, a company's own systems) asks
its node through the management API (`POST /management/v3/edrs/{transferId}/dpop`, a battrace extension like
`POST /management/v3/identity/tokens`) and sends the data request itself. A consumer-side proxy would do the
same with the data flowing through the consumer node twice; the extra management call is a loopback round
trip per request.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from battrace.connector.catalog import PULL
from battrace.connector.records import CONSUMER, Transfer
from battrace.dataplane import dpop
from battrace.dsp.messages import read_edr
from battrace.errors import InvalidInput, NotFound
from battrace.identity import NodeKeys


def edr_proof(
    transfer: Transfer, keys: NodeKeys, *, htm: str, htu: str, now: datetime, jti: str
) -> dict[str, str]:
    """The two headers of one data-plane request on `transfer`'s EDR: `Authorization` and `DPoP`."""
    if transfer.role != CONSUMER or not transfer.data_address or transfer.format != PULL:
        raise NotFound(f"no endpoint data reference for transfer {transfer.id!r} (yet)")
    endpoint, token, _ = read_edr(transfer.data_address)
    if not _under(htu, endpoint):
        # The node signs proofs for its EDR's own data plane only, not for any URL a caller names.
        raise InvalidInput("htu must be the EDR's endpoint or a path below it", reason="htu")
    if not htm.isascii() or not htm.isalpha():
        raise InvalidInput("htm must be an HTTP method", reason="htm")
    proof = dpop.proof(keys, htm=htm, htu=htu, token=token, now=now, jti=jti)
    return {"authorization": f"{dpop.SCHEME} {token}", "dpop": proof}


def _under(url: str, endpoint: str) -> bool:
    try:
        wanted, base = urlsplit(url), urlsplit(endpoint)
    except ValueError:  # e.g. an unclosed IPv6 bracket: not a URL at all
        return False
    same_origin = (wanted.scheme, wanted.netloc) == (base.scheme, base.netloc)
    path, root = wanted.path, base.path.rstrip("/")
    return same_origin and (path == root or path.startswith(root + "/"))
