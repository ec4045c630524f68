"""Revocation and suspension through a W3C Bitstring Status List (VC Bitstring Status List v1.0).

* ``StatusList``: the bitstring (immutable; ``set_status`` returns a new list). Bit 0 is the most significant
  bit of the first byte (§4.2 "the leftmost bit"); encoded as multibase base64url (``u`` prefix, no padding)
  of the GZIP-compressed bitstring (§4.2 encodedList); at least 16 KB = 131 072 entries for herd privacy
  (§6.1).
* ``StatusEntry``: the ``credentialStatus`` of a credential (``BitstringStatusListEntry``, §2.1).
* ``BitstringStatusListCredential``: the subject of the status list credential (§2.2), issued as a VC-JWT.
* ``StatusCache``: remembers fetched lists at most ``max_age`` (default 60 s) on an injected clock, so a
  revocation is honoured at the next exchange after at most that delay.

Pure module: fetching is a callable handed in.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, cast

from battrace.clock import Clock
from battrace.errors import InvalidInput

MIN_ENTRIES = 131_072  # §6.1: a list SHOULD have at least 16 KB of entries
MIN_BYTES = MIN_ENTRIES // 8
# a hostile list must not expand into gigabytes: 16 MiB is 128 Mi entries, far beyond any issuer's needs
MAX_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_AGE = timedelta(seconds=60)

StatusPurpose = Literal["revocation", "suspension"]
PURPOSES: tuple[StatusPurpose, ...] = ("revocation", "suspension")
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_TYPE = "BitstringStatusList"
# VC 1.1 era (W3C CCG StatusList2021): same bit layout, base64 without multibase prefix; accepted on input
LEGACY_ENTRY_TYPE = "StatusList2021Entry"
LEGACY_LIST_TYPE = "StatusList2021"


def _purpose(value: Any) -> StatusPurpose:
    if value not in PURPOSES:
        raise InvalidInput(f"statusPurpose must be one of {PURPOSES}, got {value!r}")
    return cast(StatusPurpose, value)


@dataclass(frozen=True)
class StatusList:
    purpose: StatusPurpose
    bits: bytes

    def __post_init__(self) -> None:
        _purpose(self.purpose)
        if len(self.bits) < MIN_BYTES:
            raise InvalidInput(
                f"a status list has at least {MIN_ENTRIES} entries (16 KB), got {len(self.bits) * 8}"
            )

    @classmethod
    def empty(cls, purpose: StatusPurpose = "revocation", entries: int = MIN_ENTRIES) -> StatusList:
        if entries < MIN_ENTRIES or entries % 8:
            raise InvalidInput(f"entries must be a multiple of 8 and at least {MIN_ENTRIES}, got {entries}")
        return cls(purpose, bytes(entries // 8))

    @property
    def size(self) -> int:
        return len(self.bits) * 8

    def get(self, index: int) -> bool:
        self._check_index(index)
        return bool(self.bits[index // 8] & (0x80 >> (index % 8)))

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.size:
            raise InvalidInput(f"status list index {index!r} outside 0..{self.size - 1}")

    def encode(self) -> str:
        # mtime=0: the same bits always give the same string, so republishing an unchanged list is a no-op
        return "u" + base64.urlsafe_b64encode(gzip.compress(self.bits, mtime=0)).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str, purpose: StatusPurpose) -> StatusList:
        """Accepts the multibase form (``u`` + base64url, §4.2) and the StatusList2021 plain base64 form."""
        if not isinstance(encoded, str) or not encoded:
            raise InvalidInput("encodedList must be a non-empty string")
        try:
            if encoded.startswith("u"):
                raw = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
            else:
                raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInput(f"encodedList is not base64: {error}") from error
        return cls(purpose, _gunzip(raw))


def _gunzip(raw: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip container only
    try:
        bits = inflater.decompress(raw, MAX_BYTES + 1)
    except zlib.error as error:
        raise InvalidInput(f"encodedList is not GZIP data: {error}") from error
    if len(bits) > MAX_BYTES or inflater.unconsumed_tail:
        raise InvalidInput(f"status list larger than {MAX_BYTES} bytes")
    if not inflater.eof:
        raise InvalidInput("encodedList is truncated GZIP data")
    return bits


def set_status(status_list: StatusList, index: int, value: bool = True) -> StatusList:
    """A copy of ``status_list`` with bit ``index`` set (revoked / suspended) or cleared (reinstated)."""
    status_list._check_index(index)
    bits = bytearray(status_list.bits)
    mask = 0x80 >> (index % 8)
    bits[index // 8] = bits[index // 8] | mask if value else bits[index // 8] & ~mask
    return StatusList(status_list.purpose, bytes(bits))


def is_revoked(status_list: StatusList, entry: StatusEntry) -> bool:
    """Whether the entry's bit is set. A list of another purpose cannot answer for this entry."""
    if status_list.purpose != entry.purpose:
        raise InvalidInput(f"entry has purpose {entry.purpose}, the list {status_list.purpose}")
    return status_list.get(entry.index)


@dataclass(frozen=True)
class StatusEntry:
    list_credential: str  # URL of the status list credential
    index: int
    purpose: StatusPurpose = "revocation"

    def __post_init__(self) -> None:
        _purpose(self.purpose)
        if not isinstance(self.list_credential, str) or not self.list_credential:
            raise InvalidInput("statusListCredential must be a non-empty URL")
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise InvalidInput(f"statusListIndex must be a non-negative integer, got {self.index!r}")

    def to_json(self) -> dict[str, str]:
        return {
            "id": f"{self.list_credential}#{self.index}",
            "type": ENTRY_TYPE,
            "statusPurpose": self.purpose,
            # §2.1: statusListIndex is a string holding an integer
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_credential,
        }

    @classmethod
    def from_json(cls, value: Any) -> StatusEntry:
        if not isinstance(value, Mapping):
            raise InvalidInput("credentialStatus must be an object")
        if value.get("type") not in (ENTRY_TYPE, LEGACY_ENTRY_TYPE):
            raise InvalidInput(f"unsupported credentialStatus type {value.get('type')!r}")
        index = value.get("statusListIndex")
        if not isinstance(index, str) or not index.isascii() or not index.isdigit() or len(index) > 12:
            raise InvalidInput(f"statusListIndex must be a decimal string, got {index!r}")
        url = value.get("statusListCredential")
        return cls(cast(str, url), int(index), _purpose(value.get("statusPurpose")))


@dataclass(frozen=True)
class BitstringStatusListCredential:
    """Subject of a status list credential (§2.2); its ``id`` is ``<list url>#list``."""

    status_list: StatusList
    credential_type: ClassVar[str] = "BitstringStatusListCredential"

    def claims(self) -> dict[str, Any]:
        return {
            "type": LIST_TYPE,
            "statusPurpose": self.status_list.purpose,
            "encodedList": self.status_list.encode(),
        }

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> BitstringStatusListCredential:
        if claims.get("type") not in (LIST_TYPE, LEGACY_LIST_TYPE):
            raise InvalidInput(f"status list subject type must be {LIST_TYPE}, got {claims.get('type')!r}")
        encoded = claims.get("encodedList")
        if not isinstance(encoded, str):
            raise InvalidInput("status list subject has no encodedList")
        return cls(StatusList.decode(encoded, _purpose(claims.get("statusPurpose"))))


@dataclass(frozen=True)
class PublishedStatusList:
    """A status list as fetched and verified: who signed it matters (it must be the credential's issuer)."""

    url: str
    issuer: str
    status_list: StatusList


StatusFetcher = Callable[[str], PublishedStatusList]


@dataclass(frozen=True)
class _Cached:
    value: PublishedStatusList
    fetched_at: datetime


class StatusCache:
    """Fetched status lists, each reused for at most ``max_age``; a failing fetch propagates (fail closed)."""

    def __init__(self, fetch: StatusFetcher, *, clock: Clock, max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        if max_age < timedelta(0):
            raise InvalidInput("max_age must not be negative")
        self._fetch = fetch
        self._clock = clock
        self._max_age = max_age
        self._items: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    @property
    def max_age(self) -> timedelta:
        return self._max_age

    def get(self, url: str) -> PublishedStatusList:
        now = self._clock()
        with self._lock:
            cached = self._items.get(url)
        # a copy is used while strictly younger than max_age (max_age=0 disables caching); a clock that went
        # backwards also forces a refetch: the age is unknown then
        if cached is not None and timedelta(0) <= now - cached.fetched_at < self._max_age:
            return cached.value
        fresh = self._fetch(url)
        if fresh.url != url:
            raise InvalidInput(f"fetcher returned the list {fresh.url} for {url}")
        with self._lock:
            self._items[url] = _Cached(fresh, now)
        return fresh

    def invalidate(self, url: str | None = None) -> None:
        with self._lock:
            if url is None:
                self._items.clear()
            else:
                self._items.pop(url, None)
