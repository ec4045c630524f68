"""What the recycling app sends between companies through the data space, and the checks on receipt.

Two payloads, each a JSON object offered as a DSP asset to one partner (its BPN alone) and delivered with
the provider's signed delivery statement (RFC 9530 digest + ``Battrace-Signature``):

* ``events``: life-cycle rows the provider itself performed (its ``performed_by``), e.g. a producer's
  placings on the market for the recycler, or a recycler's collection and treatment reported back to the
  producer. A receiver keeps only rows performed by the provider: nobody vouches for someone else's step.
* ``sale statement``: a recycler's statement that it sold ``mass_kg`` of a recovered element to the buyer,
  with the whole history of the lot it came from (placing on the market to the sales), so the buyer can check
  the chain of mass balances itself (loop.trace) before it claims the material as recycled content (Art. 8).
  Its SHA-256 (of the bytes as delivered and signed) is the evidence the buyer keeps with its claim.

Pure module: building, canonical bytes and checks; no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from battrace.apps.recycling.events import Event, Records, Sold
from battrace.apps.recycling.massbalance import record_rows
from battrace.errors import InvalidInput

EVENTS_TYPE = "battrace.recycling.events/1"
STATEMENT_TYPE = "battrace.recycling.sale-statement/1"


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def row_key(row: Mapping[str, object]) -> str:
    """A row's identity for de-duplication: the digest of its canonical form."""
    return sha256(canonical(dict(row)))


def events_payload(provider: str, recipient: str, rows: Sequence[Mapping[str, object]]) -> dict[str, Any]:
    return {
        "type": EVENTS_TYPE,
        "provider": provider,
        "recipient": recipient,
        "rows": [dict(r) for r in rows],
    }


def _object(payload: object, kind: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping) or payload.get("type") != kind:
        raise InvalidInput(f"the delivery is not a {kind} document", reason="payload")
    return payload


def _rows(payload: Mapping[str, Any]) -> list[Mapping[str, object]]:
    rows = payload.get("rows")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InvalidInput("the delivery's rows must be an array of event objects", reason="rows")
    return rows


def received_rows(payload: object, provider: str, me: str) -> list[Mapping[str, object]]:
    """The rows of an ``events`` delivery from ``provider`` to ``me``, each performed by the provider."""
    body = _object(payload, EVENTS_TYPE)
    if body.get("provider") != provider or body.get("recipient") != me:
        raise InvalidInput(
            f"the delivery names {body.get('provider')!r} -> {body.get('recipient')!r}, "
            f"not {provider} -> {me}",
            reason="parties",
        )
    rows = _rows(body)
    for number, row in enumerate(rows, start=1):
        if row.get("performed_by") != provider:
            raise InvalidInput(
                f"row {number}, field performed_by: {provider} may only report its own events, "
                f"not {row.get('performed_by')!r}",
                row=number,
                field="performed_by",
                reason="not_performer",
            )
    return rows


def statement_payload(
    seller: str, sold: Sold, subject: str, rows: Sequence[Mapping[str, object]]
) -> dict[str, Any]:
    return {
        "type": STATEMENT_TYPE,
        "seller": seller,
        "buyer": sold.buyer,
        "saleId": sold.sale_id,
        "element": sold.element.value,
        "massKg": sold.mass_kg,
        "subject": subject,
        "rows": [dict(r) for r in rows],
    }


@dataclass(frozen=True)
class Statement:
    """A received sale statement: the lot's records (mass balance checked) and the sale in them."""

    seller: str
    sale: Sold
    subject: str
    records: Records


def read_statement(payload: object, seller: str, me: str) -> Statement:
    """Check a sale statement from ``seller`` to ``me``: its rows pass the state machine and mass balance
    (massbalance.record_rows), the sale is in them, sold by ``seller`` to ``me``, as the statement says."""
    body = _object(payload, STATEMENT_TYPE)
    sale_id = body.get("saleId")
    if body.get("seller") != seller or body.get("buyer") != me:
        raise InvalidInput(
            f"the statement names seller {body.get('seller')!r} and buyer {body.get('buyer')!r}, "
            f"not {seller} and {me}",
            reason="parties",
        )
    records = record_rows(Records(), _rows(body))  # InvalidInput names the row whose balance breaks
    found = records.sale(str(sale_id))
    if found is None:
        raise InvalidInput(f"the statement's rows hold no sale {sale_id!r}", reason="sale")
    history, sold = found
    said = (body.get("element"), body.get("massKg"), body.get("subject"))
    if said != (sold.element.value, sold.mass_kg, history.subject) or sold.buyer != me:
        raise InvalidInput(
            f"the statement says {said} but its rows record sale {sold.sale_id} of {sold.mass_kg:g} kg "
            f"{sold.element} from {history.subject} to {sold.buyer}",
            reason="sale",
        )
    if _seller(history.events, sold) != seller:
        raise InvalidInput(f"sale {sold.sale_id} was not made by {seller}", reason="seller")
    return Statement(seller, sold, history.subject, records)


def _seller(events: Sequence[Event], sold: Sold) -> str | None:
    return next((e.performed_by for e in events if e.detail == sold), None)
