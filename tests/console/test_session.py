"""Console sessions and CSRF tokens (pure): expiry, key rotation, forgery, and no reuse across purposes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from battrace.console import session
from battrace.passport.attributes import Audience
from battrace.passport.web import session as viewer_session

SECRET = b"k" * 32
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_session_lasts_one_hour() -> None:
    cookie = session.issue(SECRET, "key-1", NOW)
    assert session.valid(SECRET, cookie, "key-1", NOW + timedelta(minutes=59))
    assert not session.valid(SECRET, cookie, "key-1", NOW + timedelta(hours=1))


def test_rotating_the_api_key_ends_every_session() -> None:
    cookie = session.issue(SECRET, "key-1", NOW)
    assert not session.valid(SECRET, cookie, "key-2", NOW)


def test_a_changed_expiry_breaks_the_signature() -> None:
    expiry, fingerprint, mac = session.issue(SECRET, "key-1", NOW).split(".")
    forged = f"{int(expiry) + 86_400}.{fingerprint}.{mac}"
    assert not session.valid(SECRET, forged, "key-1", NOW)


def test_the_cookie_never_contains_the_key() -> None:
    assert "key-1" not in session.issue(SECRET, "key-1", NOW)


def test_a_passport_viewer_cookie_signed_with_the_same_secret_is_no_console_session() -> None:
    granted = viewer_session.issue("did:web:x", frozenset({Audience.PUBLIC}), NOW)
    assert not session.valid(SECRET, viewer_session.encode(SECRET, granted), "key-1", NOW)


def test_a_login_form_token_expires_and_cannot_serve_as_a_logout_token() -> None:
    token = session.login_csrf(SECRET, NOW)
    assert session.login_csrf_valid(SECRET, token, NOW + timedelta(hours=1))
    assert not session.login_csrf_valid(SECRET, token, NOW + timedelta(hours=3))
    cookie = session.issue(SECRET, "key-1", NOW)
    assert not session.session_csrf_valid(SECRET, cookie, token)
    assert session.session_csrf_valid(SECRET, cookie, session.session_csrf(SECRET, cookie))


def test_two_consoles_on_one_host_use_different_cookie_names() -> None:
    # RFC 6265 §8.5: cookies do not isolate ports, so two nodes on 127.0.0.1 would share one name otherwise
    assert session.cookie_name("did:web:127.0.0.1%3A8001") != session.cookie_name("did:web:127.0.0.1%3A8002")
