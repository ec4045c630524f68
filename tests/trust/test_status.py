"""Bitstring Status List: encoding, revocation flips, the signed list credential, and the cache's max age."""

from __future__ import annotations

import base64
import gzip
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.trust import (
    IssuerKey,
    PublishedStatusList,
    StatusCache,
    StatusEntry,
    StatusList,
    is_revoked,
    issue_status_list_credential,
    set_status,
    status_fetcher,
    verify_status_list_credential,
)
from battrace.trust.status import MIN_ENTRIES
from battrace.trust.verify import CredentialUnauthenticated

from .vc_support import ISSUER, NOW, Directory

URL = "https://issuer.example/status/1"


def test_empty_list_has_the_16kb_minimum_and_encodes_as_multibase_base64url_gzip() -> None:
    empty = StatusList.empty()
    assert empty.size == MIN_ENTRIES == 131_072
    encoded = empty.encode()
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded and "/" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == bytes(MIN_ENTRIES // 8)


def test_bit_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    bits = set_status(StatusList.empty(), 0).bits
    assert bits[0] == 0x80 and not any(bits[1:])
    assert set_status(StatusList.empty(), 9).bits[1] == 0x40


@given(st.sets(st.integers(0, MIN_ENTRIES - 1), max_size=30), st.sampled_from(["revocation", "suspension"]))
def test_encode_decode_round_trip_keeps_exactly_the_set_bits(indices: set[int], purpose: str) -> None:
    status_list = StatusList.empty(purpose)  # type: ignore[arg-type]
    for index in indices:
        status_list = set_status(status_list, index)
    decoded = StatusList.decode(status_list.encode(), purpose)  # type: ignore[arg-type]
    assert decoded == status_list
    assert {i for i in range(0, MIN_ENTRIES, 997) if decoded.get(i)} == {i for i in indices if i % 997 == 0}


def test_revocation_flips_and_reinstatement_flips_back() -> None:
    entry = StatusEntry(URL, 4242)
    revoked = set_status(StatusList.empty(), 4242)
    assert is_revoked(revoked, entry) and not is_revoked(StatusList.empty(), entry)
    assert not is_revoked(set_status(revoked, 4242, False), entry)
    assert not revoked.get(4241) and not revoked.get(4243)


def test_a_suspension_list_cannot_answer_for_a_revocation_entry() -> None:
    with pytest.raises(InvalidInput, match="purpose"):
        is_revoked(StatusList.empty("suspension"), StatusEntry(URL, 1, "revocation"))


@pytest.mark.parametrize("index", [-1, MIN_ENTRIES, True])
def test_index_outside_the_list_is_refused(index: int) -> None:
    with pytest.raises(InvalidInput):
        set_status(StatusList.empty(), index)


def test_lists_below_16kb_are_refused() -> None:
    small = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024))).decode().rstrip("=")
    with pytest.raises(InvalidInput, match="at least 131072"):
        StatusList.decode(small, "revocation")


def test_a_gzip_bomb_is_refused_before_it_expands() -> None:
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(64 * 1024 * 1024))).decode().rstrip("=")
    with pytest.raises(InvalidInput, match="larger than"):
        StatusList.decode(bomb, "revocation")


def test_status_list2021_plain_base64_is_accepted() -> None:
    legacy = base64.b64encode(gzip.compress(set_status(StatusList.empty(), 5).bits)).decode()
    assert StatusList.decode(legacy, "revocation").get(5)


def test_entry_json_round_trip_uses_a_string_index() -> None:
    entry = StatusEntry(URL, 94567, "suspension")
    as_json = entry.to_json()
    assert as_json["statusListIndex"] == "94567" and as_json["id"] == f"{URL}#94567"
    assert StatusEntry.from_json(as_json) == entry
    with pytest.raises(InvalidInput):
        StatusEntry.from_json({**as_json, "statusListIndex": 5})


@pytest.mark.parametrize("alg", ["EdDSA", "ES256"])
def test_the_status_list_credential_is_signed_and_verified(alg: str) -> None:
    key = IssuerKey.generate(alg)  # type: ignore[arg-type]
    directory = Directory()
    directory.add(ISSUER, key)
    token = issue_status_list_credential(key, ISSUER, URL, set_status(StatusList.empty(), 9), now=NOW)
    published = verify_status_list_credential(token, url=URL, issuer_document_for=directory, now=NOW)
    assert published.issuer == ISSUER and published.status_list.get(9)
    with pytest.raises(CredentialUnauthenticated) as caught:  # served at another URL: swapped list
        verify_status_list_credential(token, url=URL + "x", issuer_document_for=directory, now=NOW)
    assert caught.value.reason == "inconsistent_claims"


def test_status_fetcher_downloads_and_verifies_through_the_cache() -> None:
    key = IssuerKey.generate()
    directory = Directory()
    directory.add(ISSUER, key)
    served = {URL: issue_status_list_credential(key, ISSUER, URL, StatusList.empty(), now=NOW)}
    cache = StatusCache(
        status_fetcher(served.__getitem__, issuer_document_for=directory, clock=lambda: NOW),
        clock=lambda: NOW,
    )
    assert cache.get(URL).issuer == ISSUER


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def test_cache_reuses_a_list_younger_than_max_age_and_refetches_after() -> None:
    clock, fetched = _Clock(), []
    lists = [StatusList.empty(), set_status(StatusList.empty(), 1)]

    def fetch(url: str) -> PublishedStatusList:
        fetched.append(url)
        return PublishedStatusList(url, ISSUER, lists[min(len(fetched) - 1, 1)])

    cache = StatusCache(fetch, clock=clock)
    assert cache.max_age == timedelta(seconds=60)
    assert not cache.get(URL).status_list.get(1)
    clock.now = NOW + timedelta(seconds=59)
    assert not cache.get(URL).status_list.get(1) and len(fetched) == 1  # stale copy, within 60 s
    clock.now = NOW + timedelta(seconds=60)
    assert cache.get(URL).status_list.get(1) and len(fetched) == 2  # the revocation is seen


def test_cache_max_age_is_configurable_and_zero_disables_caching() -> None:
    clock, count = _Clock(), [0]

    def fetch(url: str) -> PublishedStatusList:
        count[0] += 1
        return PublishedStatusList(url, ISSUER, StatusList.empty())

    short = StatusCache(fetch, clock=clock, max_age=timedelta(seconds=5))
    short.get(URL)
    clock.now += timedelta(seconds=5)
    short.get(URL)
    none = StatusCache(fetch, clock=clock, max_age=timedelta(0))
    none.get(URL)
    none.get(URL)
    assert count[0] == 4


def test_a_clock_going_backwards_forces_a_refetch() -> None:
    clock, count = _Clock(), [0]

    def fetch(url: str) -> PublishedStatusList:
        count[0] += 1
        return PublishedStatusList(url, ISSUER, StatusList.empty())

    cache = StatusCache(fetch, clock=clock)
    cache.get(URL)
    clock.now -= timedelta(seconds=1)
    cache.get(URL)
    assert count[0] == 2


def test_a_failing_fetch_propagates_and_serves_no_stale_copy() -> None:
    clock, fail = _Clock(), [False]

    def fetch(url: str) -> PublishedStatusList:
        if fail[0]:
            raise ConnectionError("down")
        return PublishedStatusList(url, ISSUER, StatusList.empty())

    cache = StatusCache(fetch, clock=clock)
    cache.get(URL)
    fail[0], clock.now = True, NOW + timedelta(minutes=2)
    with pytest.raises(ConnectionError):
        cache.get(URL)
