"""SSRF: every URL a peer can make a node call is refused when it points inside (issue 9, item 3).

A production node (``dev = false``) runs in-process behind Starlette's TestClient, as in tests/http_edge: the
test nodes of the shared network run in dev mode, which admits loopback on purpose. Peer-supplied URLs:
DSP ``callbackAddress`` (contract and transfer requests), the push ``dataAddress`` endpoint, the host of a
caller's did:web (resolved to check its token), the counter-party address given to management. Redirects
are never followed: the last test makes a real dev node resolve a DID through a redirecting host and shows
that the internal target behind the redirect is never reached.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from battrace.clock import urn_uuid
from battrace.connector.config import NodeSettings
from battrace.connector.dispatcher import PeerClient
from battrace.connector.node import Node
from battrace.connector.peer_transport import PeerTransport
from battrace.connector.urls import UnsafePeerUrl, check_peer_url
from battrace.dsp import messages as dsp
from battrace.http.app import create_app
from battrace.identity import (
    DidResolver,
    MemoryReplayGuard,
    NodeKeys,
    TokenVerifier,
    did_document,
    did_web,
    issue_token,
    static_fetcher,
)
from battrace.identity.did import did_web_document_url

from .conftest import Space, wait_for_log

API_KEY = "attack-key"
PEER_DID = did_web("peer.example", 8443)
DSP = "/api/dsp/2025-1"

# Where an attacker would like the node to call: loopback on other ports, cloud metadata, IPv6 loopback,
# private ranges, loopback spelled in other ways, other schemes, credentials in the URL.
INTERNAL_URLS = [
    "https://127.0.0.1:2375/containers/json",
    "http://127.0.0.1:8080/admin",
    "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254/computeMetadata/v1/",
    "https://[::1]:8443/",
    "https://[::ffff:127.0.0.1]/",
    "https://10.0.0.7/api",
    "https://192.168.1.1/",
    "https://172.16.0.1/",
    "https://0.0.0.0:22/",
    "https://localhost:5432/",
    "https://db.localhost/",
    "https://2130706433/",  # 127.0.0.1 as one decimal number
    "https://0x7f.1/",  # 127.0.0.1 in inet_aton's hex shorthand
    "https://[fd00::1]/",
    "https://[fe80::1]/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "ftp://example.com/",
    "dict://127.0.0.1:11211/stats",
    "https://user:secret@example.com/",
    "//example.com/",
    "not a url",
]


@dataclass
class ProductionNode:
    node: Node
    client: TestClient
    peer_keys: NodeKeys

    def auth(self) -> dict[str, str]:
        token = issue_token(self.peer_keys, PEER_DID, self.node.did, now=datetime.now(UTC), jti=urn_uuid())
        return {"Authorization": "Bearer " + token}

    def dsp(self, path: str, body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response = self.client.post(DSP + path, json=body, headers=self.auth())
        return response


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionNode]:
    data_dir: Path = tmp_path_factory.mktemp("ssrf")
    peer_keys = NodeKeys.generate()
    settings = NodeSettings(name="prod", port=8443, data_dir=data_dir, api_key=API_KEY, dev=False)
    node = Node(settings)
    # The peer's DID document is known statically (no network): only its callback URLs are under test.
    documents = {did_web_document_url(PEER_DID): did_document(PEER_DID, peer_keys)}
    resolver = DidResolver(static_fetcher(documents), clock=node.ctx.clock)
    node.verifier = TokenVerifier(
        audience_did=node.did,
        resolver=resolver,
        replay_guard=MemoryReplayGuard(clock=node.ctx.clock),
        clock=node.ctx.clock,
    )
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield ProductionNode(node, client, peer_keys)


def _refused(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_check_peer_url_refuses_internal_and_odd_addresses_in_production(url: str) -> None:
    with pytest.raises(UnsafePeerUrl):
        check_peer_url(url, dev=False)


def test_an_allow_list_refuses_every_other_host_even_in_dev_mode() -> None:
    with pytest.raises(UnsafePeerUrl):
        check_peer_url("http://127.0.0.1:9/", dev=True, allowed_hosts=("partner.example",))


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_a_contract_request_with_an_internal_callback_is_refused_and_logged(
    prod: ProductionNode, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    offer = {"@id": "def:asset:x", "target": "asset", "@type": "Offer", "permission": [{"action": "use"}]}
    body = dsp.contract_request(f"urn:uuid:{uuid.uuid4()}", offer, callback_address=url)
    with caplog.at_level(logging.WARNING, logger="battrace.refused"):
        problem = _refused(prod.dsp("/negotiations/request", body))
    assert problem["title"] == "Peer address refused", problem
    assert any(r.getMessage().startswith("peer address refused") for r in caplog.records)


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_a_transfer_request_with_an_internal_callback_is_refused(prod: ProductionNode, url: str) -> None:
    body = dsp.transfer_request(f"urn:uuid:{uuid.uuid4()}", "urn:uuid:any", "HttpData-PULL", url)
    problem = _refused(prod.dsp("/transfers/request", body))
    assert problem["title"] == "Peer address refused", problem


@pytest.mark.parametrize("url", [*INTERNAL_URLS[:8], "file:///etc/passwd", "gopher://127.0.0.1:25/"])
def test_a_push_transfer_to_an_internal_endpoint_is_refused_before_anything_else(
    prod: ProductionNode, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    destination = {"@type": "DataAddress", "endpointType": "https://w3id.org/idsa/v4.1/HTTP", "endpoint": url}
    body = dsp.transfer_request(
        f"urn:uuid:{uuid.uuid4()}",
        "urn:uuid:no-such-agreement",
        "HttpData-PUSH",
        "https://peer.example:8443/cb",
        destination,
    )
    with caplog.at_level(logging.WARNING, logger="battrace.refused"):
        problem = _refused(prod.dsp("/transfers/request", body))
    assert problem["title"] == "Peer address refused", problem  # not "unknown agreement": URL judged first
    assert any(r.getMessage().startswith("peer address refused") for r in caplog.records)


@pytest.mark.parametrize(
    "host", ["127.0.0.1%3A2375", "169.254.169.254", "localhost%3A6379", "10.1.2.3", "%5B%3A%3A1%5D%3A8443"]
)
def test_a_token_from_a_did_web_on_an_internal_host_is_refused_without_calling_it(
    tmp_path: Path, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    node = Node(NodeSettings(name="prod2", port=8443, data_dir=tmp_path, api_key=API_KEY, dev=False))
    keys = NodeKeys.generate()
    issuer = f"did:web:{host}"
    token = issue_token(keys, issuer, node.did, now=datetime.now(UTC), jti=urn_uuid())
    with (
        TestClient(create_app(node), raise_server_exceptions=False) as client,
        caplog.at_level(logging.WARNING, logger="battrace.refused"),
    ):
        response = client.post(
            DSP + "/catalog/request",
            json={"@context": dsp.dsp_context(), "@type": "CatalogRequestMessage"},
            headers={"Authorization": "Bearer " + token},
        )
    assert response.status_code == 401, response.text
    messages = [r.getMessage() for r in caplog.records]
    # Refused by the SSRF guard before any request, or (IPv6 literal) already by the did:web parser.
    assert any("peer address refused" in m or "invalid port in did:web" in m for m in messages), messages
    assert any("token refused" in m and "DID not resolvable" in m for m in messages), messages


def test_management_refuses_an_internal_counter_party_address(prod: ProductionNode) -> None:
    for url in ("https://169.254.169.254/", "https://127.0.0.1:5432/", "file:///etc/passwd"):
        response = prod.client.post(
            "/management/v3/catalog/request",
            json={"@context": {}, "counterPartyAddress": url, "counterPartyId": PEER_DID},
            headers={"X-Api-Key": API_KEY},
        )
        assert response.status_code == 400, response.text


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str]
    location: str = ""

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.location:
            self.send_response(302)
            self.send_header("Location", self.location + self.path)
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _serve(location: str) -> tuple[ThreadingHTTPServer, list[str]]:
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits, "location": location})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


def test_a_did_web_redirecting_to_an_internal_service_is_not_followed(space: Space) -> None:
    internal, internal_hits = _serve("")
    redirector, redirector_hits = _serve(f"http://127.0.0.1:{internal.server_address[1]}")
    try:
        issuer = did_web("127.0.0.1", redirector.server_address[1])
        token = issue_token(
            NodeKeys.generate(), issuer, space.provider.did, now=datetime.now(UTC), jti=urn_uuid()
        )
        response = httpx.post(
            space.provider.dsp + "/catalog/request",
            json={"@type": "CatalogRequestMessage"},
            headers={"Authorization": "Bearer " + token},
            timeout=10,
        )
        assert response.status_code == 401, response.text
        assert redirector_hits == ["/.well-known/did.json"]  # the provider asked the peer's host once...
        assert internal_hits == []  # ...and did not follow its redirect inside
        wait_for_log(
            space.provider, f"token refused: audience={space.provider.did} reason=DID not resolvable"
        )
    finally:
        internal.shutdown()
        redirector.shutdown()


# -- DNS rebinding: the address is checked again where the connection is made -----------------------------


class _AnyMethod(_Recorder):
    def do_POST(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@dataclass
class _RebindingDns:
    """A hostile DNS server: a public answer for the first lookup (the check), loopback afterwards."""

    lookups: int = 0

    def __call__(self, host: str) -> list[IPv4Address | IPv6Address]:
        self.lookups += 1
        return [ip_address("93.184.216.34" if self.lookups == 1 else "127.0.0.1")]


def test_a_callback_host_rebinding_to_loopback_after_the_check_is_never_called(
    prod: ProductionNode, caplog: pytest.LogCaptureFixture
) -> None:
    hits: list[str] = []
    internal = ThreadingHTTPServer(("127.0.0.1", 0), type("Internal", (_AnyMethod,), {"hits": hits}))
    threading.Thread(target=internal.serve_forever, daemon=True).start()
    dns = _RebindingDns()
    callback = f"https://callback.example:{internal.server_address[1]}/cb"
    try:
        # What a ContractRequest's callbackAddress gets when it arrives: the host looks public.
        assert check_peer_url(callback, dev=False, resolver=dns) == callback
        # The node's peer client replies later, through the pinned transport: lookup 2 answers loopback.
        http = httpx.Client(transport=PeerTransport(dev=False, resolver=dns), follow_redirects=False)
        peers = PeerClient(prod.node.ctx, prod.node.keys, http)
        with http, caplog.at_level(logging.WARNING, logger="battrace.refused"):
            outcome = peers.post_json(callback + "/negotiations/x/agreement", {"@type": "x"}, PEER_DID)
    finally:
        internal.shutdown()
        internal.server_close()
    assert outcome.status is None and "PeerAddressRefused" in outcome.detail, (
        outcome
    )  # like an unreachable peer
    assert "127.0.0.1" in outcome.detail
    assert hits == []  # the internal service never saw a request
    assert dns.lookups == 2
    assert any("non-public address (127.0.0.1" in r.getMessage() for r in caplog.records)


# Internal addresses in spellings that is_global alone lets through, or that only a resolver would decode.
SPELLED_INTERNAL_URLS = [
    "https://[::a00:7]/",  # IPv4-compatible IPv6 of 10.0.0.7 (RFC 4291 §2.5.5.1)
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 (RFC 6052) of 169.254.169.254
    "https://[2002:7f00:1::1]/",  # 6to4 (RFC 3056) of 127.0.0.1
    "https://224.0.0.1/",  # multicast
    "https://0177.0.0.1/",  # octal
    "https://127.1/",
    "https://localhost./",  # absolute form of localhost
]


@pytest.mark.parametrize("url", SPELLED_INTERNAL_URLS)
def test_a_contract_request_with_an_internal_callback_in_any_spelling_is_refused(
    prod: ProductionNode, url: str
) -> None:
    offer = {"@id": "def:asset:x", "target": "asset", "@type": "Offer", "permission": [{"action": "use"}]}
    body = dsp.contract_request(f"urn:uuid:{uuid.uuid4()}", offer, callback_address=url)
    problem = _refused(prod.dsp("/negotiations/request", body))
    assert problem["title"] == "Peer address refused", problem
