"""The HTTP side shared by both consoles: login and logout, the stylesheet, the page routes and the headers.

A console is a handful of read-only GET pages behind one login: the management API key typed into a form
(POST body, never a URL), turned into a signed session cookie (``battrace.console.session``): HttpOnly,
SameSite=Strict, path /console, Secure when the public URL is https (a TLS proxy in front included). Both
forms carry a CSRF token and a cross-origin Origin/Referer is refused as well. Pages are rendered
server-side under a strict CSP (no script at all). This module does not know what a page shows: the
builders hand it ``Page`` values.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from battrace.console import i18n, session
from battrace.console.i18n import Lang
from battrace.console.page import NavItem, Page
from battrace.errors import BattraceError
from battrace.http.common import blocking

PageBuilder = Callable[[Request, Lang], Page]

PREFIX = "/console"
_MAX_FORM = 8 * 1024  # an API key and a CSRF token
_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_STYLESHEET = files("battrace.console").joinpath("static", "console.css").read_bytes()


@dataclass(frozen=True)
class ConsoleSite:
    """One console: whose it is, how to read the current API key, and its pages (path below /console)."""

    kind: str  # "company" | "operator": the heading over the pages
    owner: str  # the node's or the space's name
    owner_did: str  # the node's or the operator's DID: names the session cookie
    api_key: Callable[[], str]
    secret: bytes
    pages: tuple[tuple[str, str, PageBuilder], ...]  # (path, nav label key, builder)
    clock: Callable[[], datetime]
    secure: bool  # served over https (its public URL): the cookie is then Secure (RFC 6265 §4.1.2.5)


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("battrace.console", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=i18n.text)
    return env


_ENV = _templates()


def lang_of(request: Request) -> Lang:
    return i18n.choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))


def _html(template: str, status: int, lang: Lang, **context: Any) -> HTMLResponse:
    body = _ENV.get_template(template).render(lang=lang, **context)
    response = HTMLResponse(body, status_code=status)
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"  # pages show company data: never in a shared cache
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


def _same_origin(request: Request) -> bool:
    """Origin (else Referer), when the browser sends one, must name this host (OWASP CSRF: verify origin)."""
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value is None:
            continue
        try:
            return value != "null" and urlsplit(value).netloc == request.headers.get("host", "")
        except ValueError:
            return False
    return True


async def _form(request: Request) -> dict[str, str] | None:
    """A small application/x-www-form-urlencoded body (first value of each field), or None."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > _MAX_FORM):
        return None
    body = await request.body()
    if len(body) > _MAX_FORM:
        return None
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in fields.items() if values}


class _Console:
    def __init__(self, site: ConsoleSite) -> None:
        self.site = site
        self.secret = session.check_secret(site.secret)
        self.cookie = session.cookie_name(site.owner_did)

    def signed_in(self, request: Request) -> bool:
        cookie = request.cookies.get(self.cookie)
        return session.valid(self.secret, cookie, self.site.api_key(), self.site.clock())

    def nav(self, current: str, lang: Lang) -> tuple[NavItem, ...]:
        return tuple(
            NavItem(f"{PREFIX}{path}?lang={lang}", i18n.text(label, lang), path == current)
            for path, label, _ in self.site.pages
        )

    def error(self, status: int, lang: Lang, detail: str) -> HTMLResponse:
        return _html("error.html", status, lang, site=self.site, code=status, detail=detail)

    def login_page(self, request: Request, status: int = 200, failed: bool = False) -> HTMLResponse:
        lang = lang_of(request)
        csrf = session.login_csrf(self.secret, self.site.clock())
        return _html("login.html", status, lang, site=self.site, csrf=csrf, failed=failed)

    def show(self, request: Request, path: str, build: PageBuilder) -> Response:
        lang = lang_of(request)
        if not self.signed_in(request):
            return RedirectResponse(f"{PREFIX}/login?lang={lang}", status_code=303)
        try:
            page = build(request, lang)
        except BattraceError as exc:
            return self.error(exc.status, lang, exc.detail)
        cookie = request.cookies.get(self.cookie, "")
        return _html(
            "page.html",
            200,
            lang,
            site=self.site,
            page=page,
            nav=self.nav(path, lang),
            csrf=session.session_csrf(self.secret, cookie),
            here=f"{PREFIX}{path}",
            other_lang="ja" if lang == "en" else "en",
        )

    async def login(self, request: Request) -> Response:
        lang = lang_of(request)
        form = await _form(request)
        now = self.site.clock()
        if (
            form is None
            or not _same_origin(request)
            or not session.login_csrf_valid(self.secret, form.get("csrf"), now)
        ):
            return self.error(403, lang, i18n.text("error.csrf", lang))
        given, expected = form.get("api_key", "").strip(), await blocking(self.site.api_key)
        if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
            # RFC 9110 §15.5.2 wants WWW-Authenticate on a 401; a form login has no scheme to name, so
            # the status tells scripts and the page tells people.
            return self.login_page(request, 401, failed=True)
        response = RedirectResponse(f"{PREFIX}?lang={lang}", status_code=303)
        response.set_cookie(
            self.cookie,
            session.issue(self.secret, expected, now),
            max_age=int(session.SESSION_TTL.total_seconds()),
            path=PREFIX,
            secure=self.site.secure,
            httponly=True,
            samesite="strict",
        )
        return response

    async def logout(self, request: Request) -> Response:
        lang = lang_of(request)
        form = await _form(request)
        cookie = request.cookies.get(self.cookie)
        if (
            form is None
            or not _same_origin(request)
            or not session.session_csrf_valid(self.secret, cookie, form.get("csrf"))
        ):
            return self.error(403, lang, i18n.text("error.csrf", lang))
        response = RedirectResponse(f"{PREFIX}/login?lang={lang}", status_code=303)
        response.delete_cookie(
            self.cookie,
            path=PREFIX,
            secure=self.site.secure,
            httponly=True,
            samesite="strict",
        )
        return response


def console_router(site: ConsoleSite) -> APIRouter:
    """GET pages, GET/POST /console/login, POST /console/logout and the stylesheet."""
    console = _Console(site)
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("/static/console.css")
    def stylesheet() -> Response:
        return Response(_STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/login")
    def login_form(request: Request) -> Response:
        return console.login_page(request)

    @router.post("/login")
    async def login(request: Request) -> Response:
        return await console.login(request)

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        return await console.logout(request)

    for path, _, build in site.pages:
        _add_page(router, console, path, build)
    return router


def _add_page(router: APIRouter, console: _Console, path: str, build: PageBuilder) -> None:
    def show(request: Request) -> Response:
        return console.show(request, path, build)

    router.add_api_route(path, show, methods=["GET"], name=f"console{path.replace('/', '_') or '_home'}")
