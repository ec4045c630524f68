"""C2SP signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint) and witness
cosignatures (c2sp.org/tlog-cosignature, timestamped Ed25519).

A signed note is ``text`` (ending in a newline), a blank line, then one or more lines
``— <key name> <base64(4-byte key ID || signature)>``. Pure: no I/O; the caller supplies keys and the time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from battrace.errors import InvalidInput

ALG_ED25519 = 0x01  # signed-note §Signature types
ALG_COSIGNATURE_V1 = 0x04  # tlog-cosignature: timestamped Ed25519
MAX_SIGNATURES = 100  # signed-note: verifiers SHOULD cap the count and MUST accept at least 16
MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1
_SIG_PREFIX = "— "  # em dash U+2014, space
_DECIMAL = re.compile(r"(0|[1-9][0-9]*)\Z")


class InvalidNote(InvalidInput):
    """A note is malformed, carries a bad signature from a known key, or no known key signed it."""


class Verifier(Protocol):
    """A known key: signatures whose (name, key ID) match it MUST verify (signed-note §Signatures)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def verify(self, text: bytes, sig: bytes) -> bool: ...


# -- encoding helpers ---------------------------------------------------------------------------------------


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: str) -> bytes:
    """Standard base64 (RFC 4648 §4) in its canonical form only.

    Canonical: re-encoding gives the input back, so no two spellings decode to the same bytes and changing
    any character of a signature or hash is detected.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise InvalidInput(f"not standard base64: {text[:40]!r}") from exc
    if b64encode(raw) != text:
        raise InvalidInput(f"not canonical base64: {text[:40]!r}")
    return raw


def parse_decimal(text: str, what: str) -> int:
    """ASCII decimal with no leading zeroes (tlog-checkpoint, tlog-proof)."""
    if not _DECIMAL.match(text) or len(text) > 20:
        raise InvalidInput(f"{what} is not a decimal without leading zeroes: {text[:40]!r}")
    value = int(text)
    if value >= 2**64:
        raise InvalidInput(f"{what} does not fit in 64 bits")
    return value


def valid_key_name(name: str) -> bool:
    # signed-note §Format: non-empty, no Unicode spaces, no plus
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _check_note_chars(text: str) -> None:
    # signed-note §Format: valid UTF-8, no ASCII control characters except newline
    if any(c < " " and c != "\n" for c in text):
        raise InvalidNote("control character in note")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidNote("note is not valid UTF-8") from exc


def _key_id(name: str, alg: int, public: bytes) -> bytes:
    # signed-note §Signatures: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _vkey(name: str, key_id: bytes, alg: int, public: bytes) -> str:
    return f"{name}+{key_id.hex()}+{b64encode(bytes([alg]) + public)}"


def _parse_vkey(vkey: str, alg: int) -> tuple[str, Ed25519PublicKey]:
    """``<name>+<hex key ID>+<base64(type || public key)>`` (signed-note §Verifier keys)."""
    name, _, rest = vkey.partition("+")
    hex_id, _, b64 = rest.partition("+")
    if not valid_key_name(name) or not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise InvalidInput(f"malformed verifier key {vkey[:60]!r}")
    key = b64decode_strict(b64)
    if len(key) != 33 or key[0] != alg:
        raise InvalidInput(f"verifier key is not type 0x{alg:02x} with a 32-byte Ed25519 key")
    if _key_id(name, alg, key[1:]) != bytes.fromhex(hex_id):
        raise InvalidInput("verifier key ID does not match its name and key")
    return name, Ed25519PublicKey.from_public_bytes(key[1:])


# -- splitting and assembling notes -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_id: bytes
    sig: bytes  # the signature proper, without the 4-byte key ID


def _parse_sig_line(line: str) -> SignatureLine:
    if not line.startswith(_SIG_PREFIX):
        raise InvalidNote("signature line does not start with an em dash and a space")
    name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
    if not sep or not valid_key_name(name) or " " in b64:
        raise InvalidNote("malformed signature line")
    try:
        raw = b64decode_strict(b64)
    except InvalidInput as exc:
        raise InvalidNote(f"signature of {name} is not canonical base64") from exc
    if len(raw) < 5:
        raise InvalidNote(f"signature of {name} is too short")
    return SignatureLine(name, raw[:4], raw[4:])


def split_note(note: str | bytes) -> tuple[str, list[SignatureLine]]:
    """Text and signature lines of a signed note, checked for form only (no signature is verified)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidNote("note is not valid UTF-8") from exc
    _check_note_chars(note)
    split = note.rfind("\n\n")  # the LAST blank line separates text from signatures; text may hold blanks
    if split < 0:
        raise InvalidNote("no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise InvalidNote("a note ends with at least one newline-terminated signature line")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidNote(f"more than {MAX_SIGNATURES} signatures")
    return text, [_parse_sig_line(line) for line in lines]


def _sig_line(name: str, key_id: bytes, sig: bytes) -> str:
    return f"{_SIG_PREFIX}{name} {b64encode(key_id + sig)}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise InvalidNote("note text must end with a newline")
    _check_note_chars(text)


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[str]]:
    """Verify a signed note; return its text and the names of the known keys whose signatures verified.

    signed-note §Signatures: signatures from unknown keys (name AND key ID must match) are ignored; a known
    key's signature that fails rejects the whole note; a note with no verified known signature is rejected.
    """
    text, sigs = split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    message = text.encode("utf-8")
    verified: list[str] = []
    for line in sigs:
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            continue
        if not verifier.verify(message, line.sig):
            raise InvalidNote(f"signature of known key {line.name} does not verify")
        if line.name not in verified:
            verified.append(line.name)
    if not verified:
        raise InvalidNote("no signature from a known key")
    return text, verified


# -- Ed25519 note keys (type 0x01) --------------------------------------------------------------------------


class NoteVerifier:
    __slots__ = ("_public", "key_id", "name")

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        if not valid_key_name(name):
            raise InvalidInput(f"invalid key name {name!r}")
        self.name = name
        self._public = public_key
        self.key_id = _key_id(name, ALG_ED25519, _raw_public(public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        return cls(*_parse_vkey(vkey, ALG_ED25519))

    @property
    def vkey(self) -> str:
        return _vkey(self.name, self.key_id, ALG_ED25519, _raw_public(self._public))

    def verify(self, text: bytes, sig: bytes) -> bool:
        if len(sig) != 64:
            return False
        try:
            self._public.verify(sig, text)
        except InvalidSignature:
            return False
        return True


class NoteSigner:
    """Signs note texts with Ed25519; by convention a log's key name is its checkpoint origin."""

    __slots__ = ("_private", "_verifier")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self._verifier = NoteVerifier(name, private_key.public_key())

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> bytes:
        return self._verifier.key_id

    @property
    def vkey(self) -> str:
        return self._verifier.vkey

    def verifier(self) -> NoteVerifier:
        return self._verifier

    def signature_line(self, text: str) -> str:
        _check_text(text)
        return _sig_line(self.name, self.key_id, self._private.sign(text.encode("utf-8")))

    def sign(self, text: str) -> str:
        """The complete signed note: text, blank line, our signature line."""
        return text + "\n" + self.signature_line(text)


def add_signatures(note: str, *signers: NoteSigner) -> str:
    """Append signature lines to an existing signed note (its existing signatures are not checked)."""
    text, sigs = split_note(note)
    if len(sigs) + len(signers) > MAX_SIGNATURES:
        raise InvalidNote(f"more than {MAX_SIGNATURES} signatures")
    return note + "".join(s.signature_line(text) for s in signers)


# -- witness cosignatures (type 0x04) -----------------------------------------------------------------------


def _cosigned_message(timestamp: int, text: bytes) -> bytes:
    # tlog-cosignature §Ed25519 signed message: header line, time line, then the whole checkpoint body
    return b"cosignature/v1\ntime %d\n" % timestamp + text


class CosignatureVerifier:
    __slots__ = ("_public", "key_id", "name")

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        if not valid_key_name(name):
            raise InvalidInput(f"invalid key name {name!r}")
        self.name = name
        self._public = public_key
        self.key_id = _key_id(name, ALG_COSIGNATURE_V1, _raw_public(public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        return cls(*_parse_vkey(vkey, ALG_COSIGNATURE_V1))

    @property
    def vkey(self) -> str:
        return _vkey(self.name, self.key_id, ALG_COSIGNATURE_V1, _raw_public(self._public))

    def verify(self, text: bytes, sig: bytes) -> bool:
        """``sig`` is a timestamped_signature: 8-byte big-endian POSIX time || 64-byte Ed25519 signature."""
        if len(sig) != 72:
            return False
        timestamp = int.from_bytes(sig[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        try:
            self._public.verify(sig[8:], _cosigned_message(timestamp, text))
        except InvalidSignature:
            return False
        return True


class CosignatureSigner:
    __slots__ = ("_private", "_verifier")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self._verifier = CosignatureVerifier(name, private_key.public_key())

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> bytes:
        return self._verifier.key_id

    @property
    def vkey(self) -> str:
        return self._verifier.vkey

    def verifier(self) -> CosignatureVerifier:
        return self._verifier

    def signature_line(self, text: str, now: int) -> str:
        _check_text(text)
        if not 0 <= now <= MAX_TIMESTAMP:
            raise InvalidInput(f"cosignature time {now} out of range")
        sig = self._private.sign(_cosigned_message(now, text.encode("utf-8")))
        return _sig_line(self.name, self.key_id, now.to_bytes(8, "big") + sig)


def cosign(note: str, witness: CosignatureSigner, now: int) -> str:
    """Append ``witness``'s cosignature, made at POSIX time ``now``, to a signed checkpoint.

    Only the form is checked here; verifying the log's signature and consistency with the last checkpoint
    the witness saw is the witness's job before it calls this (tlog-cosignature §semantics).
    """
    text, sigs = split_note(note)
    Checkpoint.parse(text)
    if len(sigs) >= MAX_SIGNATURES:
        raise InvalidNote(f"more than {MAX_SIGNATURES} signatures")
    return note + witness.signature_line(text, now)


def cosignature_time(note: str | bytes, witness: CosignatureVerifier) -> int:
    """The POSIX time in ``witness``'s verified cosignature of ``note``; InvalidNote if it has none."""
    open_note(note, [witness])
    _, sigs = split_note(note)
    times = [
        int.from_bytes(s.sig[:8], "big") for s in sigs if (s.name, s.key_id) == (witness.name, witness.key_id)
    ]
    return max(times)


# -- checkpoints --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """c2sp.org/tlog-checkpoint note text: origin, tree size, base64 root hash, optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise InvalidInput("checkpoint origin must be one non-empty line")
        if not 0 <= self.size < 2**64:
            raise InvalidInput(f"checkpoint size {self.size} out of range")
        if len(self.root) != 32:
            raise InvalidInput("checkpoint root hash must be 32 bytes")
        if any(not ext or "\n" in ext for ext in self.extensions):
            raise InvalidInput("checkpoint extension lines must be non-empty single lines")

    def text(self) -> str:
        lines = [self.origin, str(self.size), b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise InvalidInput("checkpoint text must end with a newline")
        _check_note_chars(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InvalidInput("checkpoint text has fewer than three lines")
        origin, size, root, *extensions = lines
        return cls(origin, parse_decimal(size, "tree size"), b64decode_strict(root), tuple(extensions))


def open_checkpoint(note: str | bytes, verifiers: Iterable[Verifier]) -> Checkpoint:
    """Verify a signed checkpoint with ``verifiers`` (usually just the log's key) and parse it."""
    text, _ = open_note(note, verifiers)
    return Checkpoint.parse(text)
