"""The SSRF guard for every URL a peer can make a node call."""

from __future__ import annotations

import pytest

from battrace.connector.urls import UnsafePeerUrl, check_peer_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8101/cb",
        "https://127.0.0.1/cb",
        "https://10.1.2.3/cb",
        "https://192.168.0.5/cb",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/cb",
        "https://localhost/cb",
        "https://node.localhost/cb",
        "http://93.184.216.34/cb",
    ],
)
def test_production_refuses_http_and_internal_addresses(url: str) -> None:
    with pytest.raises(UnsafePeerUrl):
        check_peer_url(url, dev=False, resolve=False)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://x/",
        "ftp://a/",
        "javascript:alert(1)",
        "",
        "x" * 3000,
        "https://user:pw@93.184.216.34/",
    ],
)
def test_non_http_schemes_credentials_and_junk_are_refused_even_in_dev_mode(url: str) -> None:
    with pytest.raises(UnsafePeerUrl):
        check_peer_url(url, dev=True)


def test_public_https_address_is_allowed() -> None:
    assert check_peer_url("https://93.184.216.34/dsp", dev=False) == "https://93.184.216.34/dsp"


def test_dev_mode_allows_loopback_over_http() -> None:
    assert check_peer_url("http://127.0.0.1:8101/api/dsp/2025-1", dev=True)


def test_allow_list_restricts_hosts() -> None:
    check_peer_url("https://93.184.216.34/x", dev=False, allowed_hosts=["93.184.216.34"])
    with pytest.raises(UnsafePeerUrl):
        check_peer_url("https://93.184.216.35/x", dev=False, allowed_hosts=["93.184.216.34"])
