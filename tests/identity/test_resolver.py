from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from battrace.identity import (
    DidResolutionError,
    DidResolver,
    NodeKeys,
    did_document,
    did_web,
    did_web_document_url,
    httpx_fetcher,
    static_fetcher,
)

from .conftest import CALLER, CountingFetcher, FakeClock


@pytest.fixture
def fetcher(caller_keys: NodeKeys) -> CountingFetcher:
    fetcher = CountingFetcher()
    fetcher.publish(CALLER, caller_keys)
    return fetcher


def test_resolution_is_cached(fetcher: CountingFetcher) -> None:
    resolver = DidResolver(fetcher, clock=FakeClock())
    first = resolver.resolve(CALLER)
    assert resolver.resolve(CALLER) == first
    assert first["id"] == CALLER
    assert fetcher.calls == ["https://consumer.example/.well-known/did.json"]


def test_cache_entry_expires_after_the_ttl(fetcher: CountingFetcher) -> None:
    clock = FakeClock()
    resolver = DidResolver(fetcher, clock=clock, ttl=timedelta(minutes=5))
    resolver.resolve(CALLER)
    clock.advance(timedelta(minutes=4, seconds=59))
    resolver.resolve(CALLER)
    assert len(fetcher.calls) == 1
    clock.advance(timedelta(seconds=1))
    resolver.resolve(CALLER)
    assert len(fetcher.calls) == 2


def test_invalidate_forces_a_refetch(fetcher: CountingFetcher) -> None:
    resolver = DidResolver(fetcher, clock=FakeClock())
    resolver.resolve(CALLER)
    resolver.invalidate(CALLER)
    resolver.resolve(CALLER)
    assert len(fetcher.calls) == 2


def test_refresh_is_rate_limited_per_did(fetcher: CountingFetcher) -> None:
    clock = FakeClock()
    resolver = DidResolver(fetcher, clock=clock, min_refresh_interval=timedelta(seconds=30))
    resolver.resolve(CALLER)
    assert resolver.refresh(CALLER) is None
    clock.advance(timedelta(seconds=30))
    assert resolver.refresh(CALLER) is not None
    assert len(fetcher.calls) == 2


def test_cache_is_bounded_least_recently_used_first(caller_keys: NodeKeys) -> None:
    fetcher = CountingFetcher()
    dids = [did_web(f"n{n}.example") for n in range(3)]
    for did in dids:
        fetcher.publish(did, caller_keys)
    resolver = DidResolver(fetcher, clock=FakeClock(), max_entries=2)
    resolver.resolve(dids[0])
    resolver.resolve(dids[1])
    resolver.resolve(dids[0])  # now dids[1] is the least recently used
    resolver.resolve(dids[2])
    fetcher.calls.clear()
    resolver.resolve(dids[0])
    assert fetcher.calls == []
    resolver.resolve(dids[1])
    assert len(fetcher.calls) == 1


def test_document_whose_id_differs_from_the_did_is_refused(caller_keys: NodeKeys) -> None:
    impostor = did_document("did:web:attacker.example", caller_keys)
    fetcher = static_fetcher({did_web_document_url(CALLER): impostor})
    with pytest.raises(DidResolutionError, match=r"expected did:web:consumer\.example"):
        DidResolver(fetcher, clock=FakeClock()).resolve(CALLER)


def test_failed_resolution_is_not_cached(fetcher: CountingFetcher, caller_keys: NodeKeys) -> None:
    resolver = DidResolver(fetcher, clock=FakeClock())
    late = did_web("late.example")
    with pytest.raises(DidResolutionError, match="cannot fetch"):
        resolver.resolve(late)
    fetcher.publish(late, caller_keys)
    assert resolver.resolve(late)["id"] == late


def test_cached_document_is_read_only_and_a_private_copy(fetcher: CountingFetcher) -> None:
    resolver = DidResolver(fetcher, clock=FakeClock())
    document = resolver.resolve(CALLER)
    with pytest.raises(TypeError):
        document["id"] = "did:web:x"  # type: ignore[index]
    fetcher.documents[did_web_document_url(CALLER)]["verificationMethod"].clear()
    assert resolver.resolve(CALLER)["verificationMethod"]


@pytest.mark.parametrize("did", ["did:key:z6Mkabc", "did:web:bad host", "not-a-did"])
def test_non_did_web_identifiers_are_not_resolvable(fetcher: CountingFetcher, did: str) -> None:
    with pytest.raises(DidResolutionError):
        DidResolver(fetcher, clock=FakeClock()).resolve(did)
    assert fetcher.calls == []


def test_allow_http_fetches_loopback_over_http_and_public_over_https() -> None:
    fetcher = CountingFetcher()
    resolver = DidResolver(fetcher, clock=FakeClock(), allow_http=True)
    for did in (did_web("127.0.0.1", 8101), did_web("example.com")):
        with pytest.raises(DidResolutionError):
            resolver.resolve(did)
    assert fetcher.calls == [
        "http://127.0.0.1:8101/.well-known/did.json",
        "https://example.com/.well-known/did.json",
    ]


def test_static_fetcher_refuses_unknown_urls() -> None:
    with pytest.raises(DidResolutionError, match="no DID document"):
        static_fetcher({})("https://x.example/.well-known/did.json")


# --- a tiny real HTTP server ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes]]] = {}
    requests: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self) -> None:
        self.requests.append((self.path, self.headers.get("Accept", "")))
        status, content_type, body = self.routes.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 302:
            self.send_header("Location", "/elsewhere")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    _Handler.routes = {}
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _route(path: str, status: int, content_type: str, body: bytes) -> None:
    _Handler.routes[path] = (status, content_type, body)


def test_did_document_is_resolved_over_real_http(server: ThreadingHTTPServer, caller_keys: NodeKeys) -> None:
    did = did_web("127.0.0.1", server.server_address[1])
    document = did_document(did, caller_keys)
    _route("/.well-known/did.json", 200, "application/did+json", json.dumps(document).encode())
    with httpx.Client() as client:
        resolver = DidResolver(httpx_fetcher(client), clock=FakeClock(), allow_http=True)
        assert resolver.resolve(did) == document
    assert _Handler.requests[0][1].startswith("application/did+json")


@pytest.mark.parametrize(
    ("status", "content_type", "body", "reason"),
    [
        (404, "application/json", b"{}", "answered 404"),
        (302, "application/json", b"{}", "answered 302"),
        (200, "text/html", b"<html></html>", "not JSON"),
        (200, "application/json", b"{not json", "invalid JSON"),
        (200, "application/json", b"[1, 2]", "not an object"),
        (200, "application/json", b"{" + b" " * 70_000 + b"}", "exceeds 64000 bytes"),
    ],
)
def test_http_fetcher_refuses_bad_answers(
    server: ThreadingHTTPServer, status: int, content_type: str, body: bytes, reason: str
) -> None:
    _route("/.well-known/did.json", status, content_type, body)
    url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/did.json"
    with httpx.Client() as client, pytest.raises(DidResolutionError, match=reason):
        httpx_fetcher(client)(url)


def test_http_fetch_failure_surfaces_as_a_resolution_error(server: ThreadingHTTPServer) -> None:
    did = did_web("127.0.0.1", server.server_address[1])
    with httpx.Client() as client:
        resolver = DidResolver(httpx_fetcher(client), clock=FakeClock(), allow_http=True)
        with pytest.raises(DidResolutionError, match="answered 404"):
            resolver.resolve(did)
