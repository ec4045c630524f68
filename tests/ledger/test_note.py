"""C2SP signed notes, checkpoints, cosignatures (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.ledger.note import (
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    InvalidNote,
    NoteSigner,
    NoteVerifier,
    add_signatures,
    cosign,
    cosignature_time,
    open_checkpoint,
    open_note,
    split_note,
)

C2SP = Path(__file__).parent.parent / "fixtures" / "merkle" / "c2sp"
EXAMPLE = json.loads((C2SP / "signed-note-example.json").read_text())
ORIGIN = "log.example/battrace"


def _key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


LOG = NoteSigner(ORIGIN, _key(1))
OTHER = NoteSigner("peer.example/battrace", _key(2))
WITNESS = CosignatureSigner("witness.example/w1", _key(3))
CHECKPOINT = Checkpoint(ORIGIN, 42, bytes(range(32)))


# -- the spec's example --------------------------------------------------------------------------------------


def test_the_c2sp_example_note_verifies_with_its_vkey() -> None:
    verifier = NoteVerifier.from_vkey(EXAMPLE["vkey"])
    assert verifier.key_id.hex() == EXAMPLE["key_id_hex"]
    assert verifier.vkey == EXAMPLE["vkey"]
    assert open_note(EXAMPLE["note"], [verifier]) == (EXAMPLE["signed_text"], [EXAMPLE["key_name"]])


@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80])
def test_changing_any_byte_of_the_example_note_is_rejected(mask: int) -> None:
    verifier = NoteVerifier.from_vkey(EXAMPLE["vkey"])
    note = EXAMPLE["note"].encode("utf-8")
    for i in range(len(note)):
        tampered = note[:i] + bytes([note[i] ^ mask]) + note[i + 1 :]
        with pytest.raises(InvalidNote):
            open_note(tampered, [verifier])


def test_the_cosignature_example_parses_into_a_checkpoint_and_a_timestamped_witness_signature() -> None:
    text, sigs = split_note((C2SP / "tlog-cosignature-example.txt").read_text())
    assert Checkpoint.parse(text) == Checkpoint(
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )
    witness = sigs[1]
    assert (witness.name, len(witness.sig)) == ("witness.example.com/w1", 72)
    assert int.from_bytes(witness.sig[:8], "big") == 1679315147  # the spec's "time 1679315147"


# -- signing and the verifier rules --------------------------------------------------------------------------


def test_a_signed_note_opens_with_its_own_verifier_and_keeps_blank_lines_in_the_text() -> None:
    text = "first\n\nthird after a blank line\n"
    note = LOG.sign(text)
    assert open_note(note, [LOG.verifier()]) == (text, [ORIGIN])


def test_a_vkey_round_trips_and_its_key_id_is_over_name_newline_type_and_key() -> None:
    verifier = NoteVerifier.from_vkey(LOG.vkey)
    assert verifier.key_id == LOG.key_id and verifier.name == ORIGIN
    name, key_id, key = LOG.vkey.split("+", 2)
    raw = base64.b64decode(key)
    assert (name, key_id, raw[0], len(raw)) == (ORIGIN, LOG.key_id.hex(), 0x01, 33)
    assert hashlib.sha256(ORIGIN.encode() + b"\n" + raw).digest()[:4] == LOG.key_id


def test_signatures_from_unknown_keys_are_ignored_but_one_known_key_must_verify() -> None:
    note = add_signatures(LOG.sign("hello\n"), OTHER)
    assert open_note(note, [OTHER.verifier()]) == ("hello\n", ["peer.example/battrace"])
    with pytest.raises(InvalidNote, match="no signature from a known key"):
        open_note(note, [NoteSigner("stranger.example", _key(9)).verifier()])


def test_a_key_sharing_only_the_name_with_a_signer_is_unknown_not_failed() -> None:
    impostor = NoteSigner(ORIGIN, _key(7))  # same name, different key and key ID
    note = add_signatures(LOG.sign("hello\n"), impostor)
    assert open_note(note, [LOG.verifier()]) == ("hello\n", [ORIGIN])


def test_a_bad_signature_from_a_known_key_rejects_the_whole_note() -> None:
    forged = LOG.sign("hello\n").replace("hello", "howdy")
    note = add_signatures(forged, OTHER)
    with pytest.raises(InvalidNote, match="does not verify"):
        open_note(note, [LOG.verifier(), OTHER.verifier()])


@pytest.mark.parametrize(
    "note",
    [
        "no blank line\n— a AAAAAAA=\n",
        "text\n\n",
        "text\n\n— log.example/battrace AAAAAAA=",
        "text\n\n-- log.example/battrace AAAAAAA=\n",
        "text\n\n— log.example/battrace\n",
        "text\n\n— log.example/battrace AAAA\n",
        "text\n\n— log.example/battrace AAAAAAA\n",
        "text\n\n— log.example/battrace AAAAAAB=\n",
        "text\n\n— name+plus AAAAAAA=\n",
        "text\n\n— log.example/battrace AAAAAAA= extra\n",
        "text\n\n—  AAAAAAA=\n",
        "tab\there\n\n— log.example/battrace AAAAAAA=\n",
        "cr\r\n\n— log.example/battrace AAAAAAA=\n",
    ],
)
def test_malformed_notes_are_rejected(note: str) -> None:
    with pytest.raises(InvalidNote):
        open_note(note, [LOG.verifier()])


def test_up_to_100_signatures_are_accepted_and_more_are_rejected() -> None:
    strangers = [NoteSigner(f"s{i}.example", _key(10)) for i in range(100)]
    note = add_signatures(LOG.sign("hi\n"), *strangers[:99])
    assert open_note(note, [LOG.verifier()])[1] == [ORIGIN]
    _, lines = note.split("\n\n", 1)
    with pytest.raises(InvalidNote, match="more than 100"):
        open_note(note + lines.split("\n", 1)[0] + "\n", [LOG.verifier()])
    with pytest.raises(InvalidNote, match="more than 100"):
        add_signatures(note, strangers[99], strangers[99])


def test_a_note_text_must_end_with_a_newline_and_hold_no_control_characters() -> None:
    with pytest.raises(InvalidNote):
        LOG.sign("no newline")
    with pytest.raises(InvalidNote):
        LOG.sign("bell\a\n")


@pytest.mark.parametrize(
    "vkey",
    [
        "name+530d903a",
        "name+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+BekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ],
)
def test_malformed_or_inconsistent_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(InvalidInput):
        NoteVerifier.from_vkey(vkey)


# -- cosignatures --------------------------------------------------------------------------------------------


def test_a_witness_cosignature_verifies_and_carries_its_time() -> None:
    note = cosign(LOG.sign(CHECKPOINT.text()), WITNESS, 1_700_000_000)
    assert open_note(note, [LOG.verifier(), WITNESS.verifier()])[1] == [ORIGIN, "witness.example/w1"]
    assert cosignature_time(note, WITNESS.verifier()) == 1_700_000_000
    assert CosignatureVerifier.from_vkey(WITNESS.vkey).key_id == WITNESS.key_id


def test_a_cosignature_signs_the_header_time_and_checkpoint_so_any_change_fails() -> None:
    note = cosign(LOG.sign(CHECKPOINT.text()), WITNESS, 1_700_000_000)
    text, sigs = split_note(note)
    message = text.encode()
    sig = sigs[-1].sig
    verifier = WITNESS.verifier()
    assert verifier.verify(message, sig)
    later = (1_700_000_001).to_bytes(8, "big") + sig[8:]
    assert not verifier.verify(message, later)
    assert not verifier.verify(message.replace(b"42", b"43"), sig)
    assert not verifier.verify(message, sig[:-1])


def test_the_cosignature_key_id_uses_type_0x04_so_a_plain_note_key_ignores_it() -> None:
    same_key_as_note = NoteSigner("witness.example/w1", _key(3))
    assert same_key_as_note.key_id != WITNESS.key_id
    note = cosign(LOG.sign(CHECKPOINT.text()), WITNESS, 5)
    with pytest.raises(InvalidNote, match="no signature from a known key"):
        open_note(note, [same_key_as_note.verifier()])
    with pytest.raises(InvalidInput):
        CosignatureVerifier.from_vkey(same_key_as_note.vkey)


def test_cosignature_time_needs_a_verified_cosignature_from_that_witness() -> None:
    with pytest.raises(InvalidNote):
        cosignature_time(LOG.sign(CHECKPOINT.text()), WITNESS.verifier())


def test_only_checkpoints_are_cosigned_and_times_are_bounded() -> None:
    with pytest.raises(InvalidInput):
        cosign(LOG.sign("not a checkpoint\n"), WITNESS, 5)
    with pytest.raises(InvalidInput):
        cosign(LOG.sign(CHECKPOINT.text()), WITNESS, 2**63)
    with pytest.raises(InvalidInput):
        cosign(LOG.sign(CHECKPOINT.text()), WITNESS, -1)


# -- checkpoints ---------------------------------------------------------------------------------------------


def test_checkpoint_text_is_origin_size_base64_root_and_extensions() -> None:
    cp = Checkpoint(ORIGIN, 7, b"\xff" * 32, ("ext one",))
    assert cp.text() == f"{ORIGIN}\n7\n{base64.b64encode(bytes([255] * 32)).decode()}\next one\n"
    assert Checkpoint.parse(cp.text()) == cp


@given(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FFF), min_size=1, max_size=30),
    st.integers(0, 2**64 - 1),
    st.binary(min_size=32, max_size=32),
    st.lists(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1), max_size=3),
)
def test_any_checkpoint_round_trips_through_its_text(
    origin: str, size: int, root: bytes, ext: list[str]
) -> None:
    cp = Checkpoint(origin, size, root, tuple(ext))
    assert Checkpoint.parse(cp.text()) == cp


ROOT_B64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n007\n{ROOT_B64}\n",
        f"{ORIGIN}\n+7\n{ROOT_B64}\n",
        f"{ORIGIN}\n-1\n{ROOT_B64}\n",
        f"{ORIGIN}\n 7\n{ROOT_B64}\n",
        f"{ORIGIN}\n18446744073709551616\n{ROOT_B64}\n",
        f"{ORIGIN}\n7\n{base64.b64encode(bytes(31)).decode()}\n",
        f"{ORIGIN}\n7\n{ROOT_B64.rstrip('=')}\n",
        f"{ORIGIN}\n7\n{ROOT_B64[:-2]}B=\n",
        f"{ORIGIN}\n7\n{ROOT_B64}",
        f"{ORIGIN}\n7\n",
        f"\n7\n{ROOT_B64}\n",
        f"{ORIGIN}\n7\n{ROOT_B64}\n\n",
        f"{ORIGIN}\n7\n{ROOT_B64}\next\x00\n",
    ],
)
def test_checkpoint_parsing_is_strict(text: str) -> None:
    with pytest.raises(InvalidInput):
        Checkpoint.parse(text)


def test_open_checkpoint_verifies_then_parses() -> None:
    assert open_checkpoint(LOG.sign(CHECKPOINT.text()), [LOG.verifier()]) == CHECKPOINT
    with pytest.raises(InvalidNote):
        open_checkpoint(OTHER.sign(CHECKPOINT.text()), [LOG.verifier()])
