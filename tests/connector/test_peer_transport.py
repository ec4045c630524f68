"""The peer transport checks the address it really connects to (DNS rebinding, issue 9).

DNS is stubbed (an injectable resolver: no network here, and a hostile DNS server is the point); everything
else is real: httpx, httpcore, TLS, and HTTP servers on 127.0.0.1. In production mode a public test address
(93.184.216.34) is routed to a local server by a test network layer under the address check, so the tests see
which address was dialed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from battrace.connector.peer_transport import PeerAddressRefused, PeerTransport
from battrace.connector.urls import IPAddress, UnsafePeerUrl, check_peer_url, ip_literal, non_public

PUBLIC = "93.184.216.34"
INTERNAL = "10.0.0.7"


# -- test doubles: DNS answers and the wire below the check -----------------------------------------------


@dataclass
class Dns:
    """A DNS server that answers each name from a list of successive answers (the last one repeats)."""

    answers: dict[str, list[list[str]]]
    asked: list[str] = field(default_factory=list)

    def __call__(self, host: str) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        seen = sum(1 for h in self.asked if h == host)
        rounds = self.answers[host]
        return [ipaddress.ip_address(a) for a in rounds[min(seen, len(rounds)) - 1]]


def no_dns(host: str) -> list[IPAddress]:
    raise AssertionError(f"{host!r} must be refused without a DNS lookup")


class Routed(httpcore.SyncBackend):
    """TCP to (address, port) goes to a local port instead; every dialed address is recorded."""

    def __init__(self, routes: dict[tuple[str, int], int]) -> None:
        self.routes = routes
        self.dialed: list[tuple[str, int]] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        self.dialed.append((host, port))
        if (host, port) not in self.routes:
            raise httpcore.ConnectError(f"no route to {host}:{port} in this test")
        return super().connect_tcp("127.0.0.1", self.routes[(host, port)], timeout, local_address)


# -- real local servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    hits: list[tuple[str, str]]  # (path, Host header)
    sni: list[str | None]


def _handler(hits: list[tuple[str, str]], redirects: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append((self.path, self.headers.get("Host", "")))
            location = redirects.get(self.path)
            self.send_response(302 if location else 200)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[ThreadingHTTPServer] = []

    def start(*, tls: ssl.SSLContext | None = None, redirects: dict[str, str] | None = None) -> Server:
        hits: list[tuple[str, str]] = []
        sni: list[str | None] = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hits, redirects or {}))
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: sni.append(name)
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return Server(server.server_address[1], hits, sni)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for peer.example: (server context, client context trusting only it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peer.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("peer.example")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode("ascii"))
    return server, client


def _client(transport: PeerTransport, *, follow_redirects: bool = False) -> httpx.Client:
    return httpx.Client(transport=transport, follow_redirects=follow_redirects, timeout=10.0)


# -- DNS rebinding ---------------------------------------------------------------------------------------


def test_a_rebinding_name_passes_the_url_check_but_is_refused_at_connection_time(
    serve: Callable[..., Server],
) -> None:
    internal = serve()  # the service the attacker wants: loopback, reachable from the node
    dns = Dns({"rebind.example": [[PUBLIC], ["127.0.0.1"]]})  # public for the check, loopback afterwards
    url = f"https://rebind.example:{internal.port}/admin"
    assert check_peer_url(url, dev=False, resolver=dns) == url  # lookup 1: looks public
    with _client(PeerTransport(dev=False, resolver=dns)) as client, pytest.raises(PeerAddressRefused) as e:
        client.get(url)  # lookup 2, at connection time: loopback
    assert "127.0.0.1" in e.value.detail and e.value.status == 400
    assert e.value.request.url == httpx.URL(url)
    assert internal.hits == []
    assert dns.asked == ["rebind.example", "rebind.example"]


def test_one_private_answer_among_public_ones_refuses_the_connection() -> None:
    dns = Dns({"mixed.example": [[PUBLIC, INTERNAL]]})
    network = Routed({(PUBLIC, 443): 9})
    with (
        _client(PeerTransport(dev=False, resolver=dns, network=network)) as client,
        pytest.raises(PeerAddressRefused, match=r"10\.0\.0\.7"),
    ):
        client.get("https://mixed.example/")
    assert network.dialed == []


def test_the_refusal_is_both_a_peer_address_problem_and_a_connect_error() -> None:
    """Callers that map UnsafePeerUrl answer 400; callers that handle httpx errors treat it as unreachable."""
    dns = Dns({"rebind.example": [["169.254.169.254"]]})
    with _client(PeerTransport(dev=False, resolver=dns)) as client:
        with pytest.raises(httpx.ConnectError) as as_connect_error:
            client.get("https://rebind.example/latest/meta-data/")
        with pytest.raises(UnsafePeerUrl) as as_peer_problem:
            client.get("https://rebind.example/latest/meta-data/")
    assert as_connect_error.type is PeerAddressRefused
    assert as_peer_problem.type is PeerAddressRefused
    assert as_peer_problem.value.problem()["title"] == "Peer address refused"


def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    with (
        _client(PeerTransport(dev=False, resolver=Dns({}))) as client,
        pytest.raises(httpx.ConnectError, match="does not resolve"),
    ):
        client.get("https://nowhere.example/")


# -- the connection goes to the checked address, under the host name -----------------------------------


def test_the_connection_goes_to_the_checked_address_with_the_host_header_kept(
    serve: Callable[..., Server],
) -> None:
    server = serve()
    dns = Dns({"partner.example": [["127.0.0.1"]]})
    transport = PeerTransport(dev=True, allowed_hosts=("partner.example",), resolver=dns)
    with _client(transport) as client:
        response = client.get(f"http://partner.example:{server.port}/dsp")
    assert response.status_code == 200
    assert server.hits == [("/dsp", f"partner.example:{server.port}")]
    assert dns.asked == ["partner.example"]


def test_https_dials_the_checked_ip_with_sni_and_certificate_on_the_host_name(
    serve: Callable[..., Server], certificate: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    server_tls, client_tls = certificate
    server = serve(tls=server_tls)
    network = Routed({(PUBLIC, 443): server.port})
    dns = Dns({"peer.example": [[PUBLIC]]})
    with _client(PeerTransport(dev=False, resolver=dns, network=network, verify=client_tls)) as client:
        response = client.get("https://peer.example/api/dsp")
    assert response.status_code == 200
    assert network.dialed == [(PUBLIC, 443)]  # the IP that was checked, not a second lookup
    assert server.sni == ["peer.example"]
    assert server.hits == [("/api/dsp", "peer.example")]


def test_a_certificate_for_another_name_at_the_same_address_is_refused(
    serve: Callable[..., Server], certificate: tuple[ssl.SSLContext, ssl.SSLContext]
) -> None:
    """Verification is against the host name of the URL, not the address dialed."""
    server_tls, client_tls = certificate
    server = serve(tls=server_tls)
    network = Routed({(PUBLIC, 443): server.port})
    dns = Dns({"other.example": [[PUBLIC]]})
    with (
        _client(PeerTransport(dev=False, resolver=dns, network=network, verify=client_tls)) as client,
        pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|hostname"),
    ):
        client.get("https://other.example/")
    assert network.dialed == [(PUBLIC, 443)]
    assert server.hits == []


# -- redirects -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "https://internal.example/",  # a name resolving to 10.0.0.7
        "https://127.0.0.1:2375/containers/json",
        "https://[::ffff:169.254.169.254]/",
        "http://peer.example/plain",  # http is not a production scheme
        "https://user:pw@peer.example/",
    ],
)
def test_a_redirect_to_a_private_address_is_refused_even_when_the_client_follows_redirects(
    serve: Callable[..., Server], certificate: tuple[ssl.SSLContext, ssl.SSLContext], location: str
) -> None:
    server_tls, client_tls = certificate
    server = serve(tls=server_tls, redirects={"/did.json": location})
    network = Routed({(PUBLIC, 443): server.port})
    dns = Dns({"peer.example": [[PUBLIC]], "internal.example": [[INTERNAL]]})
    transport = PeerTransport(dev=False, resolver=dns, network=network, verify=client_tls)
    with _client(transport, follow_redirects=True) as client, pytest.raises(PeerAddressRefused):
        client.get("https://peer.example/did.json")
    assert server.hits == [("/did.json", "peer.example")]
    assert network.dialed == [(PUBLIC, 443)]  # the redirect target was never dialed


def test_with_an_allow_list_a_redirect_to_another_host_is_refused(serve: Callable[..., Server]) -> None:
    internal = serve()
    server = serve(redirects={"/x": f"http://127.0.0.1:{internal.port}/admin"})
    dns = Dns({"partner.example": [["127.0.0.1"]]})
    transport = PeerTransport(dev=True, allowed_hosts=("partner.example",), resolver=dns)
    with _client(transport, follow_redirects=True) as client, pytest.raises(PeerAddressRefused):
        client.get(f"http://partner.example:{server.port}/x")
    assert internal.hits == []


# -- literal and spelled-out internal hosts, dev mode ----------------------------------------------------

SPELLED_INTERNAL = [
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6 (RFC 4291 §2.5.5.2)
    "https://[::ffff:a00:7]/",
    "https://[::a00:7]/",  # IPv4-compatible IPv6 (RFC 4291 §2.5.5.1, deprecated)
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 (RFC 6052) of 169.254.169.254
    "https://[2002:7f00:1::1]/",  # 6to4 (RFC 3056) of 127.0.0.1
    "https://[fe80::1]/",
    "https://2130706433/",  # 127.0.0.1 as one decimal number
    "https://0x7f.1/",
    "https://0x7f000001/",
    "https://127.1/",
    "https://127.0.0.1./",
    "https://localhost./",
    "https://LOCALHOST/",
    "https://db.localhost./",
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "https://100.64.0.1/",  # shared address space (RFC 6598)
]


@pytest.mark.parametrize("url", [*SPELLED_INTERNAL, "https://0177.0.0.1/", "https://1.2.3.999/"])
def test_check_peer_url_refuses_internal_hosts_in_any_spelling_without_dns(url: str) -> None:
    with pytest.raises(UnsafePeerUrl):
        check_peer_url(url, dev=False, resolver=no_dns)
    with pytest.raises(UnsafePeerUrl):
        check_peer_url(url, dev=False, resolve=False)


@pytest.mark.parametrize("url", SPELLED_INTERNAL)
def test_the_transport_refuses_internal_hosts_in_any_spelling_without_dns(url: str) -> None:
    with _client(PeerTransport(dev=False, resolver=no_dns)) as client, pytest.raises(PeerAddressRefused):
        client.get(url)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.", "10.0.0.1"),
        ("0x", "0.0.0.0"),
        ("134744072", "8.8.8.8"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("peer.example", None),
        ("1.example", None),
    ],
)
def test_ip_literals_are_read_as_inet_aton_and_the_whatwg_url_standard_read_them(
    host: str, address: str | None
) -> None:
    expected = ipaddress.ip_address(address) if address else None
    assert ip_literal(host) == expected


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_public(address: str) -> None:
    assert non_public(ipaddress.ip_address(address)) is None


def test_dev_mode_still_admits_loopback_and_http(serve: Callable[..., Server]) -> None:
    server = serve()
    with _client(PeerTransport(dev=True, resolver=no_dns)) as client:
        assert client.get(f"http://127.0.0.1:{server.port}/").status_code == 200


@pytest.mark.parametrize(
    ("dev", "allowed", "url"),
    [
        (True, ("partner.example",), "http://127.0.0.1:9/"),  # allow-list holds in dev mode too
        (False, (), "http://peer.example/"),  # production: https only
        (True, (), "ftp://peer.example/"),
    ],
)
def test_dev_mode_and_allow_list_keep_the_meaning_they_have_in_check_peer_url(
    dev: bool, allowed: Sequence[str], url: str
) -> None:
    with pytest.raises(UnsafePeerUrl):
        check_peer_url(url, dev=dev, allowed_hosts=allowed, resolve=False)
    with (
        _client(PeerTransport(dev=dev, allowed_hosts=allowed, resolver=no_dns)) as client,
        pytest.raises(PeerAddressRefused),
    ):
        client.get(url)
