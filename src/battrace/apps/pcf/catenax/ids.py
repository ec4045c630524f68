"""Identifiers across the three worlds (research pcf-ouranos.md §1.6, §3, §4.4).

* Catena-X legal entity: BPNL `BPNL` + 12 characters, written as the PACT company URN `urn:bpn:id:BPNL…`;
  read also in the `urn:BPNL…` form of the io.catenax.pcf 9.0.0 aspect's example.
* Ouranos part: `traceId` (UUID), as the PACT product URN `urn:pact:<platform-domain>:trace-id:<uuid>`.
* Catena-X part: `manufacturerPartId` as a further product URN (`urn:pact:<domain>:product-id:<id>`).
Pure module: no I/O.
"""

from __future__ import annotations

import re
import uuid

from battrace.errors import InvalidInput

_BPNL = re.compile(r"^BPNL[a-zA-Z0-9]{12}$")
_TRACE = re.compile(r"^urn:pact:([^:]+):trace-id:([0-9a-fA-F-]{36})$")


def bpnl_urn(bpnl: str) -> str:
    """A Catena-X legal-entity BPN as a PACT company URN (notes §1.6)."""
    if not _BPNL.match(bpnl):
        raise InvalidInput(f"not a BPNL (BPNL + 12 letters or digits): {bpnl[:40]!r}")
    return f"urn:bpn:id:{bpnl}"


def bpnl_of(company_ids: tuple[str, ...]) -> str | None:
    """The BPNL among company URNs: `urn:bpn:id:BPNL…` (PACT) or `urn:BPNL…` (the 9.0.0 aspect's example)."""
    for urn in company_ids:
        tail = urn.rsplit(":", 1)[-1]
        if urn.lower().startswith("urn:") and _BPNL.match(tail):
            return tail
    return None


def trace_id_urn(platform: str, trace_id: uuid.UUID) -> str:
    """An Ouranos `traceId` as a PACT product URN `urn:pact:<platform-domain>:trace-id:<uuid>` (§4.4)."""
    if not platform or ":" in platform:
        raise InvalidInput(f"a platform domain like 'ouranos.example.jp', not {platform[:40]!r}")
    return f"urn:pact:{platform}:trace-id:{trace_id}"


def trace_id_of(product_id: str) -> tuple[str, uuid.UUID] | None:
    """(platform domain, traceId) of a trace-id URN, or None for any other product URN."""
    match = _TRACE.match(product_id)
    if match is None:
        return None
    try:
        return match.group(1), uuid.UUID(match.group(2))
    except ValueError:
        return None


def part_id_urn(domain: str, part_id: str) -> str:
    """A manufacturer part id as a PACT product URN `urn:pact:<domain>:product-id:<id>` (PACT §6.1)."""
    if not domain or ":" in domain or not part_id:
        raise InvalidInput("a part URN needs the company domain and a non-empty part id")
    return f"urn:pact:{domain}:product-id:{part_id}"
