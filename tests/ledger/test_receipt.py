"""tlog-proof@v1 receipts: format, strict parsing, offline verification with only the log's verifier key."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.ledger.merkle import MemoryTree, inclusion_proof, leaf_hash
from battrace.ledger.note import Checkpoint, CosignatureSigner, InvalidNote, NoteSigner, NoteVerifier, cosign
from battrace.ledger.receipt import InvalidReceipt, Receipt, format_receipt, parse_receipt, verify_receipt

ORIGIN = "provider.example/battrace-log"
LOG = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32))
WITNESS = CosignatureSigner("operator.example/witness", Ed25519PrivateKey.from_private_bytes(bytes([2]) * 32))
ENTRIES = [b'{"kind":"negotiation.agreed","n":%d}' % i for i in range(21)]


def _tree() -> MemoryTree:
    t = MemoryTree()
    for e in ENTRIES:
        t.append(e)
    return t


TREE = _tree()
SIGNED = cosign(LOG.sign(Checkpoint(ORIGIN, TREE.size, TREE.root()).text()), WITNESS, 1_750_000_000)


def _receipt(index: int, extra: bytes | None = None) -> str:
    return format_receipt(index, inclusion_proof(index, TREE.size, TREE), SIGNED, extra)


def test_a_receipt_has_the_tlog_proof_layout() -> None:
    text = _receipt(5, extra=b"agreement urn:uuid:1")
    lines = text.split("\n")
    proof = inclusion_proof(5, TREE.size, TREE)
    assert lines[:3] == [
        "c2sp.org/tlog-proof@v1",
        f"extra {base64.b64encode(b'agreement urn:uuid:1').decode()}",
        "index 5",
    ]
    assert lines[3 : 3 + len(proof)] == [base64.b64encode(h).decode() for h in proof]
    assert text.endswith("\n\n" + SIGNED)


@settings(max_examples=25)
@given(st.integers(0, len(ENTRIES) - 1), st.one_of(st.none(), st.binary(max_size=40)))
def test_every_receipt_verifies_offline_with_the_log_key_and_round_trips(
    index: int, extra: bytes | None
) -> None:
    text = _receipt(index, extra)
    assert parse_receipt(text) == Receipt(
        index, tuple(inclusion_proof(index, TREE.size, TREE)), SIGNED, extra
    )
    verifier = NoteVerifier.from_vkey(LOG.vkey)  # all a counterparty keeps
    checkpoint = verify_receipt(text, leaf_hash(ENTRIES[index]), [verifier])
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, TREE.size, TREE.root())


def test_a_receipt_for_the_first_leaf_of_a_one_entry_log_has_no_proof_lines() -> None:
    t = MemoryTree()
    t.append(b"only")
    text = format_receipt(0, [], LOG.sign(Checkpoint(ORIGIN, 1, t.root()).text()))
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 0\n\n")
    assert verify_receipt(text, leaf_hash(b"only"), [LOG.verifier()]).size == 1


def test_a_receipt_does_not_vouch_for_another_entry_or_another_index() -> None:
    with pytest.raises(InvalidReceipt):
        verify_receipt(_receipt(4), leaf_hash(ENTRIES[5]), [LOG.verifier()])
    moved = _receipt(4).replace("index 4\n", "index 5\n")
    with pytest.raises(InvalidReceipt):
        verify_receipt(moved, leaf_hash(ENTRIES[4]), [LOG.verifier()])


def test_changing_any_character_of_a_receipt_signed_by_the_log_alone_is_detected() -> None:
    log_only = SIGNED[: SIGNED.index("— operator.example")]
    text = format_receipt(9, inclusion_proof(9, TREE.size, TREE), log_only)
    leaf = leaf_hash(ENTRIES[9])
    assert verify_receipt(text, leaf, [LOG.verifier()]).size == TREE.size
    for i, c in enumerate(text):
        tampered = text[:i] + chr(ord(c) ^ 0x01) + text[i + 1 :]
        with pytest.raises(InvalidInput):
            verify_receipt(tampered, leaf, [LOG.verifier()])


def test_a_tampered_cosignature_fails_when_the_witness_is_trusted_and_is_ignored_when_not() -> None:
    text = _receipt(9)
    sig_start = text.index("— operator.example/witness ") + len("— operator.example/witness ")
    flipped = "A" if text[sig_start + 20] != "A" else "B"
    tampered = text[: sig_start + 20] + flipped + text[sig_start + 21 :]
    leaf = leaf_hash(ENTRIES[9])
    with pytest.raises(InvalidNote, match="does not verify"):
        verify_receipt(tampered, leaf, [LOG.verifier(), WITNESS.verifier()])
    # signed-note: signatures from keys the verifier does not know are ignored
    assert verify_receipt(tampered, leaf, [LOG.verifier()]).size == TREE.size


def test_the_checkpoint_must_be_signed_by_a_trusted_key() -> None:
    stranger = NoteSigner("stranger.example", Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32))
    with pytest.raises(InvalidNote):
        verify_receipt(_receipt(3), leaf_hash(ENTRIES[3]), [stranger.verifier()])


@pytest.mark.parametrize(
    "text",
    [
        "c2sp.org/tlog-proof@v2\nindex 0\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex -1\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex\n\nnote\n",
        "c2sp.org/tlog-proof@v1\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex 0\nnot base64\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n\n",
        "c2sp.org/tlog-proof@v1\nindex 0\nextra AAAA\n\nnote\n",
    ],
)
def test_malformed_receipts_are_refused(text: str) -> None:
    with pytest.raises(InvalidReceipt):
        parse_receipt(text)


def test_format_refuses_what_could_never_parse() -> None:
    with pytest.raises(InvalidInput):
        format_receipt(-1, [], SIGNED)
    with pytest.raises(InvalidInput):
        format_receipt(0, [b"short"], SIGNED)
    with pytest.raises(InvalidInput):
        format_receipt(0, [], "not a signed note\n")
