"""The transport every call to a peer-supplied URL goes through: it checks the address it really connects to.

check_peer_url judges a URL when a peer hands it over; the connection happens later, after a second DNS
lookup. A hostile DNS server answers a public address to the check and 127.0.0.1 or 169.254.169.254 to the
connection (DNS rebinding, a time-of-check to time-of-use gap). Here the lookup, the check and the connection
are one step: the host name is resolved once when a connection is opened, the request is refused if any
answer is non-public (the rules of battrace.connector.urls, shared), and the socket goes to a checked
address. Pooled connections stay on the address they were checked for, so a later DNS answer changes nothing.

The URL is never rewritten: the connection pool, the Host header, TLS SNI and certificate verification all
keep the host name. httpcore 1.0.9 hands the origin host to TLS as `server_hostname`
(httpcore/_sync/connection.py:149-153, `_connect`: ``sni_hostname or self._origin.host.decode("ascii")``;
httpcore/_backends/sync.py:165-167, `SyncStream.start_tls`: ``ssl_context.wrap_socket(self._sock,
server_hostname=server_hostname)``), and httpx 0.28's default context checks it (httpx/_config.py:33-40,
`create_ssl_context`: ``ssl.create_default_context``, so check_hostname is on). Rewriting the URL to the IP
with the ``sni_hostname`` extension would verify the same way but pool connections by IP: a TLS connection
verified for one name would then carry requests for any other name at that address.

Redirects are checked hop by hop: each hop is a new request through this transport.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Sequence

import httpcore
import httpx

from battrace.connector.urls import (
    IPAddress,
    Resolver,
    UnsafePeerUrl,
    check_addresses,
    check_host_name,
    check_peer_url,
    host_addresses,
    system_resolver,
)

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class PeerAddressRefused(UnsafePeerUrl, httpx.ConnectError):
    """Refused at connection time. An UnsafePeerUrl, so the HTTP layer answers 400 "Peer address refused";
    also an httpx.ConnectError, so callers that already treat an unreachable peer (the peer client's Outcome,
    push delivery, DID fetchers, PACT callbacks) treat it the same way instead of failing with a 500."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class _PinnedBackend(httpcore.NetworkBackend):
    """httpcore's TCP layer with the address check in front: resolve once, check, dial a checked address."""

    def __init__(self, *, dev: bool, resolver: Resolver, network: httpcore.NetworkBackend) -> None:
        self._dev = dev
        self._resolver = resolver
        self._network = network

    def checked_addresses(self, host: str) -> list[IPAddress]:
        if not self._dev:
            check_host_name(host, error=PeerAddressRefused)
        addresses = host_addresses(host, resolver=self._resolver, error=PeerAddressRefused)
        if not self._dev:
            check_addresses(host, addresses, error=PeerAddressRefused)
        return addresses

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        # Like socket.create_connection: each address in resolver order; all of them were checked.
        for address in self.checked_addresses(host):
            try:
                return self._network.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # host_addresses never returns an empty list when resolving
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise PeerAddressRefused("peer calls never use a Unix socket")

    def sleep(self, seconds: float) -> None:
        self._network.sleep(seconds)


class PeerTransport(httpx.HTTPTransport):
    """An httpx transport for peer calls: `httpx.Client(transport=PeerTransport(dev=..., allowed_hosts=...))`.

    Same rules as check_peer_url with the same `dev` and `allowed_hosts`: scheme, credentials and allow-list
    per request (so per redirect hop), addresses per connection. A client given a transport ignores its own
    `limits` and `verify` and reads no proxy from the environment (httpx `Client.__init__`:
    ``allow_env_proxies = trust_env and transport is None``), so they are parameters here.

    `network` is the TCP layer below the check; tests replace it to route a test address to a local server.
    """

    def __init__(
        self,
        *,
        dev: bool,
        allowed_hosts: Sequence[str] = (),
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        network: httpcore.NetworkBackend | None = None,
    ) -> None:
        context = httpx.create_ssl_context(verify=verify)
        super().__init__(verify=context, limits=limits)
        self._dev = dev
        self._allowed_hosts = tuple(allowed_hosts)
        self.backend = _PinnedBackend(dev=dev, resolver=resolver, network=network or httpcore.SyncBackend())
        # HTTPTransport builds this same pool without a way to pass a network backend; replace it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=self.backend,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            self._check_url(request.url)
            return super().handle_request(request)
        except PeerAddressRefused as refused:
            refused.request = request  # as httpx does for its own errors (callers may read error.request)
            raise

    def _check_url(self, url: httpx.URL) -> None:
        if url.userinfo:
            raise PeerAddressRefused("peer address needs a host and must not carry credentials")
        # Only scheme and authority decide where the request goes; the path may exceed the URL length limit.
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}/"
        check_peer_url(
            origin, dev=self._dev, allowed_hosts=self._allowed_hosts, resolve=False, error=PeerAddressRefused
        )
