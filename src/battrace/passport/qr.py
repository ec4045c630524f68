"""QR codes giving access to a battery passport (Regulation (EU) 2023/1542 Art. 13(6), Annex VI Part A).

The code encodes a resolvable URL: a GS1 Digital Link for an SGTIN, or an IEC 61406-style identification
link (``{base}/id/{identifier}``) for an ISO/IEC 15459 unique identifier. Symbols are always full QR codes
(never Micro QR, which common phone readers do not decode) with error correction level M or better: labels
on batteries get scratched and soiled, and level M restores about 15 % of the codewords (ISO/IEC 18004
§7.5.1). The quiet zone is the 4 modules ISO/IEC 18004 §6.3.8 requires. Pure module: no I/O.
"""

from __future__ import annotations

import io
from urllib.parse import quote, urlsplit

import segno

from battrace.errors import InvalidInput
from battrace.passport.identifiers import Sgtin, UniqueIdentifier

__all__ = ["QR_ERROR_LEVEL", "QR_QUIET_ZONE", "passport_url", "qr_png", "qr_svg"]

QR_ERROR_LEVEL = "m"
QR_QUIET_ZONE = 4
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _check_resolver_base(base: str) -> str:
    """The base must be https, or plain http on a loopback host for development; no query, fragment or
    credentials, since the identifier path is appended to it."""
    try:
        parts = urlsplit(base)
        host = parts.hostname
    except ValueError as exc:
        raise InvalidInput(f"resolver base {base!r} is not a URL: {exc}", reason="qr_resolver") from exc
    if not base.isascii() or not host or parts.query or parts.fragment or parts.username is not None:
        raise InvalidInput(
            f"resolver base must be an ASCII URL with a host and no query, fragment or credentials, "
            f"got {base!r}",
            reason="qr_resolver",
        )
    if parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK_HOSTS):
        return base.rstrip("/")
    raise InvalidInput(
        f"resolver base must use https (plain http only on loopback), got {base!r}", reason="qr_resolver"
    )


def passport_url(resolver_base: str, battery: Sgtin | UniqueIdentifier) -> str:
    """The URL a battery's QR code encodes: ``{base}/01/{gtin14}/21/{serial}`` (GS1 Digital Link) for an
    SGTIN, ``{base}/id/{identifier}`` (IEC 61406-style, percent-encoded) for an ISO/IEC 15459 identifier."""
    base = _check_resolver_base(resolver_base)
    if isinstance(battery, Sgtin):
        return battery.digital_link(base)
    if isinstance(battery, UniqueIdentifier):
        return f"{base}/id/{quote(str(battery), safe='')}"
    raise InvalidInput(f"cannot build a passport URL for {type(battery).__name__}", reason="qr_battery")


def _symbol(url: str) -> segno.QRCode:
    if not isinstance(url, str) or not url.isascii():
        raise InvalidInput(f"QR URL must be ASCII (percent-encoded), got {url!r}", reason="qr_url")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InvalidInput(f"QR URL {url!r} is not a URL: {exc}", reason="qr_url") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"QR URL must be an http(s) URL with a host, got {url!r}", reason="qr_url")
    try:
        # boost_error may raise the level above M when that fits in the same version; never below M.
        return segno.make_qr(url, error=QR_ERROR_LEVEL)
    except segno.DataOverflowError as exc:
        raise InvalidInput(
            f"QR URL of {len(url)} characters does not fit a version-40 QR code at error level M",
            reason="qr_too_long",
        ) from exc


def qr_svg(url: str) -> str:
    """An SVG QR code for ``url``, titled with the URL so screen readers announce what it links to."""
    buf = io.BytesIO()
    _symbol(url).save(
        buf,
        kind="svg",
        border=QR_QUIET_ZONE,
        xmldecl=False,
        title=url,
        desc="QR code giving access to the battery passport",
        encoding="utf-8",
    )
    return buf.getvalue().decode("utf-8")


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """A PNG QR code for ``url``, each module ``scale`` pixels square."""
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= 100:
        raise InvalidInput(f"QR scale must be an integer from 1 to 100, got {scale!r}", reason="qr_scale")
    buf = io.BytesIO()
    _symbol(url).save(buf, kind="png", scale=scale, border=QR_QUIET_ZONE)
    return buf.getvalue()
