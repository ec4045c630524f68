"""Logging in to a console: the management API key in a form, a signed cookie, CSRF tokens on both forms."""

from __future__ import annotations

from fastapi.testclient import TestClient

from battrace.connector.node import Node
from battrace.console.session import cookie_name

from .conftest import COMPANY_KEY, OPERATOR_KEY, csrf_of, log_in


def test_a_page_without_a_session_sends_the_browser_to_the_login_form(company: TestClient) -> None:
    response = company.get("/console/assets", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


def test_the_right_key_opens_a_strict_httponly_session_scoped_to_the_console(company: TestClient) -> None:
    form = company.get("/console/login")
    response = company.post(
        "/console/login", data={"api_key": COMPANY_KEY, "csrf": csrf_of(form.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert COMPANY_KEY not in cookie and COMPANY_KEY not in response.headers["location"]
    assert company.get("/console").status_code == 200


def test_a_wrong_key_is_refused_with_401_and_no_cookie(company: TestClient) -> None:
    form = company.get("/console/login")
    response = company.post("/console/login", data={"api_key": "guess", "csrf": csrf_of(form.text)})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert 'role="alert"' in response.text and 'aria-invalid="true"' in response.text
    assert company.get("/console", follow_redirects=False).status_code == 303


def test_a_login_without_the_forms_csrf_token_is_refused(company: TestClient) -> None:
    response = company.post("/console/login", data={"api_key": COMPANY_KEY})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_a_login_posted_from_another_site_is_refused(company: TestClient) -> None:
    token = csrf_of(company.get("/console/login").text)
    response = company.post(
        "/console/login",
        data={"api_key": COMPANY_KEY, "csrf": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_a_forged_session_cookie_is_ignored(company: TestClient, node: Node) -> None:
    company.cookies.set(cookie_name(node.did), "99999999999.abc.def", path="/console")
    assert company.get("/console", follow_redirects=False).status_code == 303


def test_logout_needs_the_sessions_csrf_token_and_then_ends_the_session(company: TestClient) -> None:
    log_in(company, COMPANY_KEY)
    page = company.get("/console")
    assert company.post("/console/logout", data={"csrf": "nope"}).status_code == 403
    assert company.get("/console", follow_redirects=False).status_code == 200
    done = company.post("/console/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    company.cookies.clear()  # TestClient keeps path-scoped cookies loosely; the browser test checks deletion
    assert company.get("/console", follow_redirects=False).status_code == 303


def test_the_company_key_does_not_open_the_operator_console(operator: TestClient) -> None:
    token = csrf_of(operator.get("/console/login").text)
    response = operator.post("/console/login", data={"api_key": COMPANY_KEY, "csrf": token})
    assert response.status_code == 401
    log_in(operator, OPERATOR_KEY)
    assert operator.get("/console").status_code == 200


def test_pages_carry_a_strict_csp_and_are_never_cached(company: TestClient) -> None:
    log_in(company, COMPANY_KEY)
    response = company.get("/console")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "script-src" not in response.headers["content-security-policy"]  # no script at all
    assert response.headers["cache-control"] == "no-store"


def test_japanese_labels_are_served_on_request(company: TestClient) -> None:
    log_in(company, COMPANY_KEY)
    page = company.get("/console?lang=ja").text
    assert '<html lang="ja">' in page and "企業コンソール" in page
