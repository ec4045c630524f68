"""The session cookie codec: signed, expiring, refusing anything it did not write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.passport.attributes import Audience
from battrace.passport.web import session

KEY = bytes(range(32))
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def test_a_session_round_trips_and_always_includes_the_public_audience() -> None:
    granted = session.issue("did:web:r.example", frozenset({Audience.LEGITIMATE_INTEREST}), NOW)
    read = session.decode(KEY, session.encode(KEY, granted), NOW)
    assert read is not None
    assert read.did == "did:web:r.example"
    assert read.audiences == {Audience.PUBLIC, Audience.LEGITIMATE_INTEREST}
    assert read.expires == NOW + timedelta(minutes=15)


def test_a_session_expires_after_fifteen_minutes() -> None:
    cookie = session.encode(KEY, session.issue("did:web:r.example", frozenset(), NOW))
    assert session.decode(KEY, cookie, NOW + timedelta(minutes=15) - timedelta(seconds=1)) is not None
    assert session.decode(KEY, cookie, NOW + timedelta(minutes=15)) is None


def test_a_cookie_signed_with_another_key_is_refused() -> None:
    cookie = session.encode(b"z" * 32, session.issue("did:web:r.example", frozenset(), NOW))
    assert session.decode(KEY, cookie, NOW) is None


@given(st.text(max_size=200))
def test_arbitrary_cookie_text_never_yields_a_session_or_raises(text: str) -> None:
    assert session.decode(KEY, text, NOW) is None


def test_every_single_character_change_is_refused() -> None:
    cookie = session.encode(KEY, session.issue("did:web:r.example", frozenset({Audience.AUTHORITY}), NOW))
    for index, char in enumerate(cookie):
        changed = cookie[:index] + ("A" if char != "A" else "B") + cookie[index + 1 :]
        assert session.decode(KEY, changed, NOW) is None, index


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(InvalidInput):
        session.check_secret(b"short")
