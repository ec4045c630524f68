"""The resolver: GS1 Digital Link (AI 01 + 21) and IEC 61406-style identification links -> 303 to the
passport page; unknown -> 404 page, malformed -> 400 page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from battrace.errors import InvalidInput
from battrace.passport.identifiers import Gtin, Sgtin, UniqueIdentifier
from battrace.passport.qr import passport_url
from battrace.passport.web.router import parse_digital_link, read_unique_identifier

from .sample import EV_ID, EV_SGTIN, LMT_ID, LMT_UI

_EV_PAGE = f"/passport/{EV_ID}"


def test_digital_link_from_the_qr_code_redirects_to_the_passport(client: TestClient) -> None:
    path = passport_url("https://id.example", EV_SGTIN).removeprefix("https://id.example")
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == _EV_PAGE


def test_redirect_keeps_the_language(client: TestClient) -> None:
    response = client.get("/01/04006381333931/21/EV-0001?lang=ja")
    assert response.headers["location"] == f"{_EV_PAGE}?lang=ja"


def test_redirect_drops_an_unsupported_language(client: TestClient) -> None:
    assert client.get("/01/04006381333931/21/EV-0001?lang=xx").headers["location"] == _EV_PAGE


@pytest.mark.parametrize(
    "path",
    [
        "/01/4006381333931/21/EV-0001",  # GTIN-13 as printed: the resolver pads to 14 digits
        "/01/04006381333931/10/LOT-7/21/EV-0001",  # GS1 DL 1.2: lot qualifier before the serial
        "/01/04006381333931/22/A1/10/LOT-7/21/EV-0001",  # consumer product variant and lot
        "/01/04006381333931/21/EV-0001?17=271231&linkType=gs1:pip",  # data attributes and link type
    ],
)
def test_longer_digital_links_resolve_by_ignoring_what_the_viewer_does_not_use(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert (response.status_code, response.headers["location"]) == (303, _EV_PAGE)


def test_percent_encoded_serial_is_decoded_once() -> None:
    # GS1 set 82 allows "/" in a serial; the link carries it as %2F and it must not split the path.
    battery = Sgtin(Gtin("4006381333931"), "A/B%")
    path = battery.digital_link("http://x").removeprefix("http://x")
    assert parse_digital_link(path) == Sgtin(Gtin("04006381333931"), "A/B%")


@pytest.mark.parametrize(
    "path",
    [
        "/01/04006381333932/21/EV-0001",  # wrong check digit
        "/01/0400638133393/21/EV-0001",  # 13 digits not a GTIN-13 with that check digit
        "/01/ABCDEFGHIJKLMN/21/EV-0001",
        "/01/04006381333931/21/" + "S" * 21,  # AI 21 is at most 20 characters
        "/01/04006381333931/21/%C3%A9t%C3%A9",  # outside GS1 set 82
        "/01/04006381333931",  # no serial: a model, not a battery
        "/01/04006381333931/10/LOT-7",
        "/01/04006381333931/21/EV-0001/10/LOT-7",  # qualifiers out of order
        "/01/04006381333931/99/X/21/EV-0001",  # not a GTIN key qualifier
        "/01/04006381333931/21/EV-0001/",
    ],
)
def test_malformed_digital_link_is_a_400_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Not a valid battery identifier" in response.text


def test_unknown_battery_is_a_404_page(client: TestClient) -> None:
    response = client.get("/01/04006381333931/21/EV-9999")
    assert response.status_code == 404
    assert "No such passport" in response.text


def test_identification_link_from_the_qr_code_redirects_to_the_passport(client: TestClient) -> None:
    path = passport_url("https://id.example", LMT_UI).removeprefix("https://id.example")
    response = client.get(f"{path}?lang=en")
    assert (response.status_code, response.headers["location"]) == (303, f"/passport/{LMT_ID}?lang=en")


def test_identification_link_unknown_is_404_and_malformed_is_400(client: TestClient) -> None:
    assert client.get("/id/LAACME.EUB-0002").status_code == 404
    assert client.get(f"/id/{quote('la acme b1')}").status_code == 400
    assert client.get("/id/LA").status_code == 400  # no room for a company and a serial
    assert client.get("/id/" + "A" * 51).status_code == 400


@pytest.mark.parametrize(
    "identifier",
    [LMT_UI, UniqueIdentifier("0", "4006381", "X1"), UniqueIdentifier("UN", "123456789", "A.1")],
    ids=str,
)
def test_an_identification_link_reads_back_as_the_same_identifier_string(
    identifier: UniqueIdentifier,
) -> None:
    assert str(read_unique_identifier(str(identifier))) == str(identifier)


def test_digital_link_parser_refuses_a_path_without_ai_01() -> None:
    with pytest.raises(InvalidInput):
        parse_digital_link("/21/EV-0001")


@pytest.mark.parametrize("text", ["la-x", "LA", "LA X1", "A" * 51])
def test_text_that_no_reading_makes_an_identifier_of_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        read_unique_identifier(text)
