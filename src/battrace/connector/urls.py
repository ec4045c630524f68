"""Guard for every URL a peer can make this node call (callbackAddress, counterPartyAddress, push targets,
did:web hosts): without it a connector is an SSRF proxy into the company network.

Production: https only, public addresses only, optional host allow-list. Dev mode (tests, demo) also admits
http and loopback / private addresses.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from battrace.errors import InvalidInput

refusals = logging.getLogger("battrace.refused")


class UnsafePeerUrl(InvalidInput):
    title = "Peer address refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        # Logged where it is raised: every caller of check_peer_url gets the SSRF refusal line for free.
        refusals.warning("peer address refused: %s", detail)


def check_peer_url(url: str, *, dev: bool, allowed_hosts: Sequence[str] = (), resolve: bool = True) -> str:
    """Return the URL unchanged when a peer may be called there; raise UnsafePeerUrl otherwise."""
    if not isinstance(url, str) or len(url) > 2048:
        raise UnsafePeerUrl("peer address must be a URL string of at most 2048 characters")
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if dev else ("https",)
    if parts.scheme not in allowed_schemes:
        raise UnsafePeerUrl(
            f"peer address scheme {parts.scheme!r} not allowed (allowed: {', '.join(allowed_schemes)})"
        )
    host = parts.hostname
    if not host or parts.username or parts.password:
        raise UnsafePeerUrl("peer address needs a host and must not carry credentials")
    if allowed_hosts and host not in allowed_hosts:
        raise UnsafePeerUrl(f"peer host {host!r} is not in the allow-list")
    if not dev:
        for address in _addresses(host, resolve=resolve):
            if not address.is_global:
                raise UnsafePeerUrl(f"peer host {host!r} resolves to a non-public address ({address})")
    return url


def _addresses(host: str, *, resolve: bool) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1")]
    if not resolve:
        return []
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise UnsafePeerUrl(f"peer host {host!r} does not resolve: {error}") from error
    return [ipaddress.ip_address(info[4][0]) for info in infos]
