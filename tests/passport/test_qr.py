"""QR codes giving access to the battery passport (Art. 13(6), Annex VI Part A): URL shapes, refusals and the
rendered symbols. No QR decoder is installed, so the symbol checks compare the drawn modules with segno's own
matrix for the same URL (determinism) and the PNG is unpacked by hand from its IDAT chunks."""

from __future__ import annotations

import struct
import zlib
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.passport import passport_url, qr_png, qr_svg
from battrace.passport.identifiers import Gtin, Sgtin, UniqueIdentifier

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_NS = "{http://www.w3.org/2000/svg}"
_BASE = "https://passports.example.com"
_GTIN = Gtin("4006381333931")
# GS1 General Specifications figure 7.11-1: the AI encodable character set 82.
_SET_82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
# ISO/IEC 18004 table 7: version 40-M holds 2331 bytes in byte mode.
_V40_M_BYTES = 2331


def _png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], len(_PNG_SIGNATURE)
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + data) == crc, f"bad CRC on {kind!r}"
        chunks.append((kind, data))
        pos += 12 + length
    return chunks


def _png_pixels(png: bytes) -> list[list[int]]:
    """Rows of 0/1 pixels (1 = white) of a 1-bit greyscale, non-interlaced PNG using filter types None (0),
    Sub (1) or Up (2) (PNG spec §9.2; segno uses None and Up)."""
    chunks = _png_chunks(png)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) == (1, 0, 0)
    raw = zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT"))
    stride = (width + 7) // 8
    rows, prior = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        assert kind in (0, 1, 2), f"filter type {kind} is not unpacked here"
        for i in range(stride):
            if kind == 1 and i:
                line[i] = (line[i] + line[i - 1]) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + prior[i]) & 0xFF
        rows.append([(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        prior = bytes(line)
    return rows


def test_sgtin_url_is_the_gs1_digital_link_on_the_resolver() -> None:
    battery = Sgtin(_GTIN, "BAT-0001")
    assert passport_url(_BASE, battery) == f"{_BASE}/01/04006381333931/21/BAT-0001"
    assert passport_url(_BASE + "/", battery) == battery.digital_link(_BASE)


def test_unique_identifier_url_is_an_iec_61406_style_id_link() -> None:
    ui = UniqueIdentifier("LA", "ACME.EU", "B-0001")
    assert passport_url(_BASE + "/dpp/", ui) == f"{_BASE}/dpp/id/LAACME.EUB-0001"


@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "http://localhost", "http://[::1]:8080/r"])
def test_plain_http_is_allowed_on_loopback_for_development(base: str) -> None:
    assert passport_url(base, Sgtin(_GTIN, "1")).startswith(base.rstrip("/") + "/01/")


@pytest.mark.parametrize(
    "base",
    [
        "http://passports.example.com",
        "http://127.0.0.2.example.com",
        "ftp://passports.example.com",
        "passports.example.com",
        "https://",
        "https://passports.example.com/?x=1",
        "https://passports.example.com/#frag",
        "https://user:pw@passports.example.com",
        "https://pässe.example.com",
    ],
)
def test_resolver_base_that_is_not_https_or_loopback_http_is_refused(base: str) -> None:
    with pytest.raises(InvalidInput, match="resolver base"):
        passport_url(base, Sgtin(_GTIN, "1"))


@given(serial=st.text(alphabet=_SET_82, min_size=1, max_size=20))
def test_any_gs1_serial_round_trips_through_the_url(serial: str) -> None:
    url = passport_url(_BASE, Sgtin(_GTIN, serial))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == (
        "https",
        "passports.example.com",
        "",
        "",
    )
    segments = parts.path.split("/")
    assert segments[:4] == ["", "01", "04006381333931", "21"]
    assert len(segments) == 5
    assert unquote(segments[4]) == serial
    assert qr_png(url, scale=1).startswith(_PNG_SIGNATURE)


def test_png_is_a_real_png_of_the_expected_module_size() -> None:
    url = passport_url(_BASE, Sgtin(_GTIN, "BAT-0001"))
    png = qr_png(url, scale=5)
    assert png.startswith(_PNG_SIGNATURE)
    chunks = _png_chunks(png)
    assert chunks[0][0] == b"IHDR"
    assert chunks[-1][0] == b"IEND"
    width, height = struct.unpack(">II", chunks[0][1][:8])
    expected = segno.make_qr(url, error="m").symbol_size(scale=5, border=4)
    assert (width, height) == expected


def test_png_draws_the_segno_matrix_with_a_four_module_quiet_zone() -> None:
    url = passport_url(_BASE, UniqueIdentifier("LA", "ACME", "B-42"))
    scale = 3
    pixels = _png_pixels(qr_png(url, scale=scale))
    matrix = segno.make_qr(url, error="m").matrix
    size = len(matrix) + 2 * 4
    assert len(pixels) == size * scale
    for y in range(size):
        for x in range(size):
            inside = 4 <= x < size - 4 and 4 <= y < size - 4
            dark = bool(matrix[y - 4][x - 4]) if inside else False
            block = {pixels[y * scale + dy][x * scale + dx] for dy in range(scale) for dx in range(scale)}
            assert block == {0 if dark else 1}, f"module ({x}, {y})"


def test_default_scale_is_eight_pixels_per_module() -> None:
    url = f"{_BASE}/01/04006381333931/21/X"
    width, _ = struct.unpack(">II", _png_chunks(qr_png(url))[0][1][:8])
    assert width == segno.make_qr(url, error="m").symbol_size(scale=8, border=4)[0]


@pytest.mark.parametrize("scale", [0, -1, 101, True])
def test_unusable_png_scale_is_refused(scale: int) -> None:
    with pytest.raises(InvalidInput, match="scale"):
        qr_png(f"{_BASE}/x", scale=scale)


def test_svg_carries_the_url_as_title() -> None:
    url = passport_url(_BASE, Sgtin(_GTIN, "A&B<C>"))
    root = ElementTree.fromstring(qr_svg(url))
    assert root.tag == f"{_SVG_NS}svg"
    assert root.findtext(f"{_SVG_NS}title") == url
    assert root.findtext(f"{_SVG_NS}desc")
    side = segno.make_qr(url, error="m").symbol_size(scale=1, border=4)
    assert (int(root.attrib["width"]), int(root.attrib["height"])) == side


def test_symbol_is_full_qr_at_level_m_or_better_in_the_smallest_version() -> None:
    for url in (f"{_BASE}/01/04006381333931/21/1", f"{_BASE}/id/" + "A" * 50, f"{_BASE}/" + "x" * 300):
        symbol = segno.make_qr(url, error="m")
        assert not symbol.is_micro
        assert symbol.error in {"M", "Q", "H"}
        assert isinstance(symbol.version, int)
        for smaller in range(1, symbol.version):
            with pytest.raises(segno.DataOverflowError):
                segno.make_qr(url, error="m", version=smaller)
        # What qr_svg draws is exactly this symbol: one <path> whose extent matches the version.
        root = ElementTree.fromstring(qr_svg(url))
        assert int(root.attrib["width"]) == 17 + 4 * symbol.version + 8


def test_url_filling_version_40_is_accepted_and_one_byte_more_is_refused() -> None:
    prefix = f"{_BASE}/"
    full = prefix + "x" * (_V40_M_BYTES - len(prefix))
    assert segno.make_qr(full, error="m").version == 40
    assert qr_png(full, scale=1).startswith(_PNG_SIGNATURE)
    with pytest.raises(InvalidInput, match="version-40"):
        qr_svg(full + "x")
    with pytest.raises(InvalidInput, match="version-40"):
        qr_png(full + "x")


@pytest.mark.parametrize(
    "url", ["ftp://passports.example.com/x", "javascript:alert(1)", "passports.example.com/x", "https:///x"]
)
def test_ftp_and_other_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput, match="http"):
        qr_svg(url)
    with pytest.raises(InvalidInput, match="http"):
        qr_png(url)


def test_non_ascii_url_is_refused_so_it_must_be_percent_encoded_first() -> None:
    with pytest.raises(InvalidInput, match="ASCII"):
        qr_png("https://passports.example.com/pässe")
