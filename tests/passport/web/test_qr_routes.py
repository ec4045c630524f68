"""QR code images of a passport: content types, caching, what they encode."""

from __future__ import annotations

import struct
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from .conftest import BASE, FakeClock, make_app
from .sample import EV_ID, MemoryReader

_SVG = "{http://www.w3.org/2000/svg}"


def test_svg_qr_code_is_an_svg_image_with_a_path(client: TestClient) -> None:
    response = client.get(f"/passport/{EV_ID}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{_SVG}svg"
    assert root.find(f".//{_SVG}path") is not None


def test_svg_qr_code_encodes_the_viewer_url_by_default(client: TestClient) -> None:
    root = ElementTree.fromstring(client.get(f"/passport/{EV_ID}/qr.svg").content)
    title = root.find(f"{_SVG}title")
    assert title is not None and title.text == f"{BASE}/passport/{EV_ID}"


def test_qr_code_encodes_the_configured_target(reader: MemoryReader, clock: FakeClock) -> None:
    app = make_app(reader, clock, qr_target=lambda pid: f"https://id.example/01/04006381333931/21/{pid[-4:]}")
    with TestClient(app) as client:
        root = ElementTree.fromstring(client.get(f"/passport/{EV_ID}/qr.svg").content)
    title = root.find(f"{_SVG}title")
    assert title is not None and title.text == "https://id.example/01/04006381333931/21/0001"


def test_png_qr_code_is_a_png_of_a_scannable_size(client: TestClient) -> None:
    response = client.get(f"/passport/{EV_ID}/qr.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", response.content[16:24])
    # At least version 1 (21 modules) + 2 x 4 quiet-zone modules at 8 pixels each; square.
    assert width == height >= (21 + 8) * 8


def test_qr_codes_are_cacheable(client: TestClient) -> None:
    for kind in ("svg", "png"):
        cache = client.get(f"/passport/{EV_ID}/qr.{kind}").headers["cache-control"]
        assert "public" in cache and "max-age=" in cache


def test_qr_code_of_an_unknown_passport_is_a_404(client: TestClient) -> None:
    for kind in ("svg", "png"):
        response = client.get(f"/passport/urn:uuid:nope/qr.{kind}")
        assert response.status_code == 404
