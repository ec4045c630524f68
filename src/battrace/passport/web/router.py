"""The battery passport web viewer: the page a QR code on a battery leads to (Art. 77(3), Art. 13(6)).

Routes (all HTML except the QR images):

* ``GET /passport/{id}``: the passport as the caller may see it (public unless a login session says more).
* ``GET /passport/{id}/qr.svg`` and ``/qr.png``: the QR code encoding ``qr_target(id)`` (default: the page).
* ``GET /01/{gtin}/21/{serial}`` (GS1 Digital Link 1.2) and ``GET /id/{identifier}`` (IEC 61406-1 style
  identification link, ISO/IEC 15459 identifier): 303 See Other to the passport page.
* ``GET``/``POST /passport/login``, ``POST /passport/logout``: a caller pastes the bearer token its own node
  issued; ``authenticate`` verifies it once and a signed 15-minute cookie carries the result.

The reader hands over documents already split for the caller; this module only picks the audiences (from
the session) and renders. Errors become HTML pages with the right status, never a 500 for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from battrace.clock import system_clock
from battrace.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from battrace.passport.attributes import Audience
from battrace.passport.identifiers import Gtin, Sgtin, UniqueIdentifier
from battrace.passport.qr import qr_png, qr_svg
from battrace.passport.records import PassportDocument, PassportReader
from battrace.passport.web import i18n, session
from battrace.passport.web.i18n import Lang
from battrace.passport.web.page import build_page, passport_href

Authenticate = Callable[[str], tuple[str, frozenset[Audience]]]
Resolve = Callable[[Sgtin | UniqueIdentifier], str | None]

_PUBLIC = frozenset({Audience.PUBLIC})
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_MAX_FORM = 16 * 1024  # a pasted token and a path; anything larger is not a login form
# Where ``next`` may send the browser after login: the viewer and the resolver, on this origin only.
_NEXT_PREFIXES = ("/passport/", "/01/", "/id/")
# GS1 Digital Link 1.2 §4.4: key qualifiers of a GTIN follow it in this order (CPV 22, lot 10, serial 21).
_GTIN_QUALIFIERS = ("22", "10", "21")
_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_STYLESHEET = files("battrace.passport.web").joinpath("static", "viewer.css").read_bytes()


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("battrace.passport.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=i18n.text, passport_href=passport_href)
    return env


def _lang(request: Request) -> Lang:
    return i18n.choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))


def safe_next(raw: str | None) -> str | None:
    """``raw`` when it is a path on this origin under the viewer or the resolver, else None.

    Refuses anything a browser could resolve to another origin (scheme, ``//host``, backslashes, which
    browsers read as slashes, control characters) and dot segments that could climb out of the prefixes.
    """
    if not raw or len(raw) > 2048 or not raw.isascii() or any(c in raw for c in "\\\t\r\n"):
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw) or raw.startswith("//"):
        return None
    parts = urlsplit(raw)
    segments = unquote(parts.path).split("/")
    if parts.scheme or parts.netloc or "." in segments or ".." in segments:
        return None
    return raw if parts.path.startswith(_NEXT_PREFIXES) else None


def _same_origin(request: Request, base_host: str) -> bool:
    """CSRF check for the login forms: an Origin (or else Referer) header, when present, names this host."""
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value is None:
            continue
        if value == "null":
            return False
        try:
            host = urlsplit(value).netloc
        except ValueError:
            return False
        return host in {request.headers.get("host", ""), base_host}
    return True


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (WHATWG URL §5.1), first value of each field."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > _MAX_FORM):
        raise InvalidInput("login form too large", reason="form_size")
    body = await request.body()
    if len(body) > _MAX_FORM:
        raise InvalidInput("login form too large", reason="form_size")
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=10, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("login form is not url-encoded UTF-8", reason="form_encoding") from exc
    return {name: values[0] for name, values in fields.items() if values}


def parse_digital_link(raw_path: str) -> Sgtin:
    """The SGTIN of a GS1 Digital Link URI path ``/01/{gtin}[/22/{cpv}][/10/{lot}]/21/{serial}``.

    Only the path counts: query-string data attributes and the CPV and lot qualifiers are ignored, as GS1
    Digital Link 1.2 lets a resolver ignore what it does not use. InvalidInput for anything malformed.
    """
    start = raw_path.find("/01/")
    segments = raw_path[start + 4 :].split("/") if start >= 0 else []
    if len(segments) < 3 or len(segments) % 2 == 0:
        raise InvalidInput("a GS1 Digital Link path is /01/{gtin}/21/{serial}", reason="digital_link")
    gtin, pairs = segments[0], list(zip(segments[1::2], segments[2::2], strict=True))
    qualifiers = [ai for ai, _ in pairs]
    if (
        any(ai not in _GTIN_QUALIFIERS for ai in qualifiers)
        or qualifiers != sorted(set(qualifiers), key=_GTIN_QUALIFIERS.index)
        or qualifiers[-1] != "21"
    ):
        raise InvalidInput(
            "GS1 Digital Link key qualifiers of a GTIN are 22, 10, 21 in that order, ending with the serial",
            reason="digital_link",
        )
    try:
        serial = unquote(pairs[-1][1], errors="strict")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the serial is not percent-encoded UTF-8", reason="digital_link") from exc
    # The resolver always gets the 14-digit form (GS1 Digital Link 1.2 §4.8 canonical URI), whichever
    # length the link carried, so one battery has one key.
    return Sgtin(Gtin(Gtin(unquote(gtin)).gtin14), serial)


def read_unique_identifier(text: str) -> UniqueIdentifier:
    """``text`` (IAC, company and serial concatenated, as ``str(UniqueIdentifier)`` writes it into the
    identification link) as a UniqueIdentifier; InvalidInput when no reading fits ISO/IEC 15459.

    Where the company part ends depends on the issuing agency's rules, which the link does not carry, so
    this is one valid reading (two-letter agency codes first, the most common; GS1's one-digit codes next)
    and resolvers compare identifiers on ``str()``, as ``PassportService.resolve`` does.
    """
    for iac_length in (2, 1, 3):
        for cut in range(iac_length + 1, len(text)):
            try:
                return UniqueIdentifier(text[:iac_length], text[iac_length:cut], text[cut:])
            except InvalidInput:
                continue
    raise InvalidInput(f"{text!r} is not an ISO/IEC 15459 unique identifier", reason="iso15459_format")


class _Viewer:
    """The route handlers, closed over the node's reader, authenticator, resolver and keys."""

    def __init__(
        self,
        reader: PassportReader,
        authenticate: Authenticate,
        resolve: Resolve,
        secret: bytes,
        base: str,
        qr_target: Callable[[str], str] | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.reader, self.authenticate, self.resolve = reader, authenticate, resolve
        self.secret, self.base, self.clock = session.check_secret(secret), base, clock
        self.qr_target = qr_target or (lambda pid: f"{base}/passport/{quote(pid, safe=':@')}")
        self.secure = urlsplit(base).scheme == "https"
        self.host = urlsplit(base).netloc
        self.env = _templates()

    # -- rendering ------------------------------------------------------------------------------------

    def html(self, template: str, code: int, lang: Lang, **context: Any) -> HTMLResponse:
        body = self.env.get_template(template).render(lang=lang, **context)
        response = HTMLResponse(body, status_code=code)
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Vary"] = "Cookie, Accept-Language"
        response.headers["Cache-Control"] = "no-store"
        return response

    def error(self, status: int, lang: Lang, detail: str) -> HTMLResponse:
        title = i18n.text(f"error.{status}", lang)
        return self.html("error.html", status, lang, status=status, title=title, detail=detail)

    def current(self, request: Request) -> session.Session | None:
        return session.decode(self.secret, request.cookies.get(session.COOKIE_NAME), self.clock())

    def document(
        self, passport_id: str, audiences: frozenset[Audience], lang: Lang
    ) -> PassportDocument | HTMLResponse:
        try:
            return self.reader.document(passport_id, audiences)
        except NotFound:
            return self.error(404, lang, passport_id)
        except InvalidInput as exc:
            return self.error(400, lang, exc.detail)

    # -- viewer ---------------------------------------------------------------------------------------

    def passport(self, request: Request, passport_id: str) -> Response:
        lang, current = _lang(request), self.current(request)
        found = self.document(passport_id, current.audiences if current else _PUBLIC, lang)
        if isinstance(found, Response):
            return found
        here = passport_href(passport_id, lang).split("?")[0]
        return self.html(
            "passport.html",
            200,
            lang,
            page=build_page(found, lang),
            session=current,
            # Back to this page in this language after login.
            login_href=f"/passport/login?lang={lang}&next={quote(f'{here}?lang={lang}', safe='')}",
            other_lang="ja" if lang == "en" else "en",
            here=here,
        )

    def qr(self, request: Request, passport_id: str, kind: str) -> Response:
        lang = _lang(request)
        found = self.document(passport_id, _PUBLIC, lang)
        if isinstance(found, Response):
            return found
        try:
            url = self.qr_target(passport_id)
            content = qr_svg(url).encode("utf-8") if kind == "svg" else qr_png(url)
        except InvalidInput as exc:
            return self.error(400, lang, exc.detail)
        media = "image/svg+xml" if kind == "svg" else "image/png"
        # The code depends only on the passport id and the configured target: cacheable for a day.
        headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
        return Response(content, media_type=media, headers=headers)

    # -- resolver -------------------------------------------------------------------------------------

    def redirect_to(self, request: Request, passport_id: str) -> Response:
        target = f"/passport/{quote(passport_id, safe=':@')}"
        lang = request.query_params.get("lang")
        if lang in i18n.LANGUAGES:
            target += f"?lang={lang}"
        return RedirectResponse(target, status_code=303)

    def digital_link(self, request: Request) -> Response:
        lang = _lang(request)
        raw = request.scope.get("raw_path") or request.url.path.encode("ascii", "replace")
        try:
            battery = parse_digital_link(raw.decode("ascii", "replace"))
            passport_id = self.resolve(battery)
        except InvalidInput as exc:
            return self.error(400, lang, exc.detail)
        if passport_id is None:
            return self.error(404, lang, battery.digital_link(self.base))
        return self.redirect_to(request, passport_id)

    def identification_link(self, request: Request, identifier: str) -> Response:
        lang = _lang(request)
        try:
            passport_id = self.resolve(read_unique_identifier(identifier))
        except InvalidInput as exc:
            return self.error(400, lang, exc.detail)
        if passport_id is None:
            return self.error(404, lang, identifier)
        return self.redirect_to(request, passport_id)

    # -- login ----------------------------------------------------------------------------------------

    def login_form(self, request: Request) -> HTMLResponse:
        target = safe_next(request.query_params.get("next")) or ""
        return self.html(
            "login.html", 200, _lang(request), next=target, session=self.current(request), failed=False
        )

    async def login(self, request: Request) -> Response:
        lang = _lang(request)
        if not _same_origin(request, self.host):
            return self.error(403, lang, "cross-origin login refused")
        try:
            form = await _form(request)
        except InvalidInput as exc:
            return self.error(400, lang, exc.detail)
        target = safe_next(form.get("next"))
        try:
            did, audiences = self.authenticate(form.get("token", "").strip())
        except (Unauthenticated, Forbidden, InvalidInput):
            # RFC 9110 §15.5.2 asks a 401 to carry WWW-Authenticate; a form login has no scheme to name, so
            # the status says "not accepted" to scripts and the form says it to people.
            return self.html("login.html", 401, lang, next=target or "", session=None, failed=True)
        granted = session.issue(did, audiences, self.clock())
        response = RedirectResponse(target or f"/passport/login?lang={lang}", status_code=303)
        response.set_cookie(
            session.COOKIE_NAME,
            session.encode(self.secret, granted),
            max_age=int(session.SESSION_TTL.total_seconds()),
            path="/passport",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
        return response

    async def logout(self, request: Request) -> Response:
        lang = _lang(request)
        if not _same_origin(request, self.host):
            return self.error(403, lang, "cross-origin logout refused")
        try:
            target = safe_next((await _form(request)).get("next"))
        except InvalidInput:
            target = None
        response = RedirectResponse(target or f"/passport/login?lang={lang}", status_code=303)
        response.delete_cookie(
            session.COOKIE_NAME, path="/passport", secure=self.secure, httponly=True, samesite="lax"
        )
        return response


def _check_base(public_base_url: str) -> str:
    """Like the QR resolver base (battrace.passport.qr): https, or plain http on loopback for development,
    since the QR code printed on a battery encodes it; no query or fragment, paths are appended to it."""
    try:
        parts = urlsplit(public_base_url)
        host = parts.hostname
    except ValueError as exc:
        raise InvalidInput(
            f"public base URL {public_base_url!r} is not a URL", reason="viewer_base_url"
        ) from exc
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)
    if not host or not secure or parts.query or parts.fragment or not public_base_url.isascii():
        raise InvalidInput(
            f"public base URL must be https (plain http only on loopback) with a host and no query, "
            f"got {public_base_url!r}",
            reason="viewer_base_url",
        )
    return public_base_url.rstrip("/")


def viewer_router(
    reader: PassportReader,
    *,
    authenticate: Authenticate,
    resolve: Resolve,
    session_secret: bytes,
    public_base_url: str,
    qr_target: Callable[[str], str] | None = None,
    clock: Callable[[], datetime] = system_clock,
) -> APIRouter:
    """The viewer, QR and resolver routes over ``reader`` (see the module docstring)."""
    viewer = _Viewer(
        reader, authenticate, resolve, session_secret, _check_base(public_base_url), qr_target, clock
    )
    router = APIRouter(include_in_schema=False)

    @router.get("/passport/static/viewer.css")
    def stylesheet() -> Response:
        return Response(_STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    # Declared before /passport/{passport_id} so that "login" is never read as a passport id.
    @router.get("/passport/login")
    def login_form(request: Request) -> Response:
        return viewer.login_form(request)

    @router.post("/passport/login")
    async def login(request: Request) -> Response:
        return await viewer.login(request)

    @router.post("/passport/logout")
    async def logout(request: Request) -> Response:
        return await viewer.logout(request)

    @router.get("/passport/{passport_id}/qr.svg")
    def qr_svg_image(request: Request, passport_id: str) -> Response:
        return viewer.qr(request, passport_id, "svg")

    @router.get("/passport/{passport_id}/qr.png")
    def qr_png_image(request: Request, passport_id: str) -> Response:
        return viewer.qr(request, passport_id, "png")

    @router.get("/passport/{passport_id}")
    def passport(request: Request, passport_id: str) -> Response:
        return viewer.passport(request, passport_id)

    @router.get("/01/{rest:path}")
    def digital_link(request: Request, rest: str) -> Response:
        return viewer.digital_link(request)

    @router.get("/id/{identifier:path}")
    def identification_link(request: Request, identifier: str) -> Response:
        return viewer.identification_link(request, identifier)

    return router


__all__ = ["parse_digital_link", "read_unique_identifier", "safe_next", "viewer_router"]
