from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.provenance import (
    DigestMismatch,
    MalformedDigest,
    check_content_digest,
    content_digest,
    parse_content_digest,
)

# RFC 9530 §2 (Content-Digest example): the body {"hello": "world"}
RFC9530_BODY = b'{"hello": "world"}'
RFC9530_SHA256 = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
RFC9530_SHA512 = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)


def test_content_digest_matches_the_rfc_9530_example() -> None:
    assert content_digest(RFC9530_BODY) == RFC9530_SHA256


def test_a_digest_with_several_algorithms_is_checked_for_each_known_one() -> None:
    header = f"{RFC9530_SHA512}, {RFC9530_SHA256}"
    assert check_content_digest(RFC9530_BODY, header) == hashlib.sha256(RFC9530_BODY).hexdigest()
    wrong512 = "sha-512=:" + base64.b64encode(bytes(64)).decode() + ":"
    with pytest.raises(DigestMismatch, match="sha-512"):
        check_content_digest(RFC9530_BODY, f"{RFC9530_SHA256}, {wrong512}")


def test_unknown_algorithms_are_ignored_but_sha256_is_required() -> None:
    assert check_content_digest(RFC9530_BODY, f"unixsum=:AAAA:, {RFC9530_SHA256}")
    with pytest.raises(MalformedDigest, match="no sha-256"):
        check_content_digest(RFC9530_BODY, RFC9530_SHA512)


def test_a_later_duplicate_key_overrides_the_earlier_one() -> None:
    # RFC 8941 §4.2.2: so a good digest first cannot hide a bad one after it
    wrong = "sha-256=:" + base64.b64encode(bytes(32)).decode() + ":"
    with pytest.raises(DigestMismatch):
        check_content_digest(RFC9530_BODY, f"{RFC9530_SHA256}, {wrong}")


def test_parameters_after_a_member_are_dropped() -> None:
    assert parse_content_digest(RFC9530_SHA256 + ";x=1")["sha-256"] == hashlib.sha256(RFC9530_BODY).digest()


@pytest.mark.parametrize(
    "header",
    [
        "",
        "sha-256",
        "sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",  # not a byte sequence
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:",  # bad padding
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE-:",  # base64url is not RFC 8941 base64
        "SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",  # keys are lowercase
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,",
    ],
)
def test_malformed_content_digest_is_refused(header: str) -> None:
    with pytest.raises(MalformedDigest):
        check_content_digest(RFC9530_BODY, header)


@given(st.binary(max_size=2048))
def test_every_payload_passes_its_own_digest(data: bytes) -> None:
    assert check_content_digest(data, content_digest(data)) == hashlib.sha256(data).hexdigest()
