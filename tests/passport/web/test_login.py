"""Login with a self-issued bearer token, the signed session cookie, logout, CSRF and redirects."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient

from battrace.passport.attributes import Audience
from battrace.passport.web import session
from battrace.passport.web.router import safe_next

from .conftest import SECRET, FakeClock, make_app
from .sample import EV_ID, RECYCLER_DID, RECYCLER_TOKEN, MemoryReader

_PAGE = f"/passport/{EV_ID}"
_RESTRICTED = "dismantling-manual-ev1.pdf"  # Annex XIII 2(c), legitimate interest only


def _cookie_attributes(header: str) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    return jar


def test_login_form_is_a_form_posting_a_token(client: TestClient) -> None:
    html = client.get(f"/passport/login?next={_PAGE}").text
    assert '<form method="post" action="/passport/login' in html
    assert 'name="token"' in html
    assert f'name="next" value="{_PAGE}"' in html


def test_login_with_a_valid_token_sets_a_signed_http_only_lax_cookie_and_redirects(
    client: TestClient,
) -> None:
    response = client.post("/passport/login", data={"token": RECYCLER_TOKEN, "next": _PAGE})
    assert (response.status_code, response.headers["location"]) == (303, _PAGE)
    morsel = _cookie_attributes(response.headers["set-cookie"])[session.COOKIE_NAME]
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert not morsel["secure"]  # plain http on loopback
    assert int(morsel["max-age"]) == 15 * 60
    assert morsel["path"] == "/passport"
    assert _RESTRICTED in client.get(_PAGE).text


def test_cookie_is_secure_when_the_viewer_is_served_over_https(
    reader: MemoryReader, clock: FakeClock
) -> None:
    app = make_app(reader, clock, base="https://passport.example")
    with TestClient(app, base_url="https://passport.example", follow_redirects=False) as client:
        response = client.post("/passport/login", data={"token": RECYCLER_TOKEN, "next": _PAGE})
    assert _cookie_attributes(response.headers["set-cookie"])[session.COOKIE_NAME]["secure"] is True


def test_wrong_token_shows_the_form_again_with_an_error(client: TestClient) -> None:
    response = client.post("/passport/login", data={"token": "forged", "next": _PAGE})
    assert response.status_code == 401
    assert 'role="alert"' in response.text and "not accepted" in response.text
    assert "forged" not in response.text  # the token is not echoed back
    assert "set-cookie" not in response.headers


def test_cookie_signed_with_another_key_is_ignored(client: TestClient, clock: FakeClock) -> None:
    audiences = frozenset({Audience.LEGITIMATE_INTEREST})
    forged = session.encode(b"x" * 32, session.issue(RECYCLER_DID, audiences, clock()))
    client.cookies.set(session.COOKIE_NAME, forged, path="/passport")
    html = client.get(_PAGE).text
    assert _RESTRICTED not in html and RECYCLER_DID not in html


def test_cookie_with_an_edited_payload_is_ignored(client: TestClient, clock: FakeClock) -> None:
    public = session.encode(SECRET, session.issue("did:web:nobody.example", frozenset(), clock()))
    granted = session.issue("did:web:nobody.example", frozenset({Audience.LEGITIMATE_INTEREST}), clock())
    grander_payload = session.encode(b"x" * 32, granted).split(".")[0]
    client.cookies.set(session.COOKIE_NAME, f"{grander_payload}.{public.split('.')[1]}", path="/passport")
    assert _RESTRICTED not in client.get(_PAGE).text


def test_expired_session_falls_back_to_the_public_view(client: TestClient, clock: FakeClock) -> None:
    client.post("/passport/login", data={"token": RECYCLER_TOKEN, "next": _PAGE})
    clock.advance(timedelta(minutes=14, seconds=59))
    assert _RESTRICTED in client.get(_PAGE).text
    clock.advance(timedelta(seconds=1))
    assert _RESTRICTED not in client.get(_PAGE).text


def test_logout_clears_the_cookie(client: TestClient) -> None:
    client.post("/passport/login", data={"token": RECYCLER_TOKEN, "next": _PAGE})
    response = client.post("/passport/logout", data={"next": _PAGE})
    assert (response.status_code, response.headers["location"]) == (303, _PAGE)
    assert session.COOKIE_NAME not in client.cookies
    assert _RESTRICTED not in client.get(_PAGE).text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/passport/x",
        "//evil.example/passport/x",
        "/\\evil.example/passport/x",
        "\\\\evil.example",
        "/passport/../admin",
        "/passport/%2e%2e/admin",
        "/management/v3/assets",
        "javascript:alert(1)",
        "/passport/x\r\nSet-Cookie: a=b",
        "",
    ],
)
def test_login_never_redirects_off_the_viewer(client: TestClient, target: str) -> None:
    response = client.post("/passport/login", data={"token": RECYCLER_TOKEN, "next": target})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/passport/login")


@pytest.mark.parametrize("target", [_PAGE, f"{_PAGE}?lang=ja", "/01/04006381333931/21/EV-0001", "/id/LAX1"])
def test_relative_viewer_and_resolver_paths_are_accepted_as_next(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "header", [("origin", "https://evil.example"), ("referer", "https://evil.example/x"), ("origin", "null")]
)
def test_cross_origin_login_and_logout_are_refused(client: TestClient, header: tuple[str, str]) -> None:
    for path in ("/passport/login", "/passport/logout"):
        response = client.post(path, data={"token": RECYCLER_TOKEN}, headers=dict([header]))
        assert response.status_code == 403
        assert "set-cookie" not in response.headers


def test_same_origin_login_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/passport/login",
        data={"token": RECYCLER_TOKEN, "next": _PAGE},
        headers={"origin": "http://testserver"},
    )
    assert response.status_code == 303


def test_oversized_login_form_is_refused(client: TestClient) -> None:
    response = client.post("/passport/login", data={"token": "t" * 20_000})
    assert response.status_code == 400
