"""Offline-verifiable receipts in the c2sp.org/tlog-proof@v1 format.

```
c2sp.org/tlog-proof@v1
[extra <base64 opaque data>]
index <0-based decimal>
<base64 inclusion-path hash, leaf's sibling first>
...
<blank line>
<signed checkpoint note, verbatim>
```
A counterparty keeps the receipt and later checks, with nothing but our verifier key, that the entry it was
given is in our log (research §9.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from battrace.errors import InvalidInput
from battrace.ledger.merkle import HASH_SIZE, verify_inclusion
from battrace.ledger.note import (
    Checkpoint,
    Verifier,
    b64decode_strict,
    b64encode,
    open_checkpoint,
    parse_decimal,
    split_note,
)

HEADER = "c2sp.org/tlog-proof@v1"


class InvalidReceipt(InvalidInput):
    """A receipt is malformed, or its inclusion proof does not lead to the checkpoint's root."""


@dataclass(frozen=True)
class Receipt:
    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None


def format_receipt(
    index: int, proof: Sequence[bytes], signed_checkpoint: str, extra: bytes | None = None
) -> str:
    if index < 0:
        raise InvalidReceipt(f"negative leaf index {index}")
    if any(len(h) != HASH_SIZE for h in proof):
        raise InvalidReceipt("inclusion proof hashes are 32 bytes")
    split_note(signed_checkpoint)  # refuse to emit a receipt that could never parse
    lines = [HEADER]
    if extra is not None:
        lines.append(f"extra {b64encode(extra)}")
    lines.append(f"index {index}")
    lines.extend(b64encode(h) for h in proof)
    return "".join(line + "\n" for line in lines) + "\n" + signed_checkpoint


def _field(line: str, key: str) -> str:
    if not line.startswith(key + " "):
        raise InvalidReceipt(f"expected a line '{key} ...'")
    return line[len(key) + 1 :]


def parse_receipt(text: str) -> Receipt:
    """Parse the form only; ``verify_receipt`` checks signatures and the proof."""
    head, sep, note = text.partition("\n\n")  # proof lines are never empty, so the first blank line ends them
    if not sep or not note:
        raise InvalidReceipt("no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise InvalidReceipt(f"first line must be {HEADER}")
    pos, extra = 1, None
    try:
        if len(lines) > pos and lines[pos].startswith("extra "):
            extra = b64decode_strict(_field(lines[pos], "extra"))
            pos += 1
        if len(lines) <= pos:
            raise InvalidReceipt("missing index line")
        index = parse_decimal(_field(lines[pos], "index"), "index")
        proof = tuple(b64decode_strict(line) for line in lines[pos + 1 :])
    except InvalidReceipt:
        raise
    except InvalidInput as exc:
        raise InvalidReceipt(exc.detail) from exc
    if any(len(h) != HASH_SIZE for h in proof):
        raise InvalidReceipt("inclusion proof hashes are 32 bytes")
    return Receipt(index, proof, note, extra)


def verify_receipt(text: str, leaf: bytes, verifiers: Iterable[Verifier]) -> Checkpoint:
    """Check that ``leaf`` (the entry's leaf *hash*) is at the receipt's index in the signed checkpoint.

    ``verifiers`` are the keys trusted to sign the checkpoint (the log's key, possibly witnesses); at least
    one must verify and none may fail (signed-note rules, ``InvalidNote``). Returns the verified checkpoint.
    The ``extra`` field is not authenticated (tlog-proof §Format) and is not looked at here.
    """
    receipt = parse_receipt(text)
    checkpoint = open_checkpoint(receipt.checkpoint_note, verifiers)
    if not verify_inclusion(receipt.index, checkpoint.size, leaf, receipt.proof, checkpoint.root):
        raise InvalidReceipt(
            f"entry is not at index {receipt.index} of {checkpoint.origin} at size {checkpoint.size}"
        )
    return checkpoint
