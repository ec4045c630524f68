"""Guard for every URL a peer can make this node call (callbackAddress, counterPartyAddress, push targets,
did:web hosts): without it a connector is an SSRF proxy into the company network.

Production: https only, public addresses only, optional host allow-list. Dev mode (tests, demo) also admits
http and loopback / private addresses.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from battrace.errors import InvalidInput

refusals = logging.getLogger("battrace.refused")


class UnsafePeerUrl(InvalidInput):
    title = "Peer address refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        # Logged where it is raised: every caller of check_peer_url gets the SSRF refusal line for free.
        refusals.warning("peer address refused: %s", detail)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Where a host name points. Injectable, so that tests can play a hostile DNS server.
Resolver = Callable[[str], Sequence[IPAddress]]

# IPv6 ranges carrying an IPv4 address that a gateway or the stack may deliver to: that address is judged.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 §2.1 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local-use, so never a public peer
_V4_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291 §2.5.5.1 (deprecated IPv4-compatible)
_HEX = frozenset("0123456789abcdefABCDEF")


def check_peer_url(
    url: str,
    *,
    dev: bool,
    allowed_hosts: Sequence[str] = (),
    resolve: bool = True,
    resolver: Resolver | None = None,
    error: type[UnsafePeerUrl] = UnsafePeerUrl,
) -> str:
    """Return the URL unchanged when a peer may be called there; raise `error` (an UnsafePeerUrl) otherwise.

    This checks the URL once; the connection itself must go through
    battrace.connector.peer_transport.PeerTransport, which checks the address it really connects to (a DNS
    answer can change between this check and the connection: DNS rebinding).
    """
    if not isinstance(url, str) or len(url) > 2048:
        raise error("peer address must be a URL string of at most 2048 characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as invalid:  # e.g. an unclosed IPv6 bracket
        raise error(f"peer address is not a URL: {invalid}") from None
    allowed_schemes = ("https", "http") if dev else ("https",)
    if parts.scheme not in allowed_schemes:
        raise error(
            f"peer address scheme {parts.scheme!r} not allowed (allowed: {', '.join(allowed_schemes)})"
        )
    if not host or parts.username or parts.password:
        raise error("peer address needs a host and must not carry credentials")
    if allowed_hosts and host not in allowed_hosts:
        raise error(f"peer host {host!r} is not in the allow-list")
    if not dev:
        check_host_name(host, error=error)
        addresses = host_addresses(host, resolver=resolver or system_resolver, error=error, resolve=resolve)
        check_addresses(host, addresses, error=error)
    return url


def check_host_name(host: str, *, error: type[UnsafePeerUrl] = UnsafePeerUrl) -> None:
    """Production rule, before any DNS: no loopback name."""
    name = host.rstrip(".").lower()  # "localhost." is the same name as "localhost" (absolute form)
    if name == "localhost" or name.endswith(".localhost"):
        # RFC 6761 §6.3: localhost and names below it are loopback, whatever a DNS server answers.
        raise error(f"peer host {host!r} is a loopback name")


def check_addresses(
    host: str, addresses: Sequence[IPAddress], *, error: type[UnsafePeerUrl] = UnsafePeerUrl
) -> None:
    """Production rule: every address a peer host stands for is public (one private answer is enough to
    refuse: which one the connection would use is not ours to choose)."""
    for address in addresses:
        reason = non_public(address)
        if reason is not None:
            raise error(f"peer host {host!r} resolves to a non-public address ({address}: {reason})")


def host_addresses(
    host: str, *, resolver: Resolver, error: type[UnsafePeerUrl] = UnsafePeerUrl, resolve: bool = True
) -> list[IPAddress]:
    """Where a connection to `host` goes: an IP literal in any spelling a URL parser or inet_aton accepts
    is that address; a name is resolved once (or not at all with resolve=False: then [])."""
    literal = ip_literal(host, error=error)
    if literal is not None:
        return [literal]
    if not resolve:
        return []
    try:
        addresses = list(resolver(host))
    except OSError as failure:
        raise error(f"peer host {host!r} does not resolve: {failure}") from failure
    if not addresses:
        raise error(f"peer host {host!r} does not resolve")
    return addresses


def system_resolver(host: str) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    # Drop an IPv6 zone ("fe80::1%eth0" -> "fe80::1"): the address judged is the same either way.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def non_public(address: IPAddress) -> str | None:
    """Why a peer must not be called at `address`, or None when it is a public unicast address."""
    if address.is_multicast:
        return "multicast"
    if not address.is_global:
        return "not globally routable"
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return "local-use NAT64 prefix"
        embedded = _embedded_ipv4(address)
        if embedded is not None and non_public(embedded) is not None:
            return f"carries the non-public IPv4 address {embedded}"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # Python 3.11's is_global judges ::ffff:127.0.0.1 but not 6to4 (2002::/16), NAT64 or IPv4-compatible.
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _V4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def ip_literal(host: str, *, error: type[UnsafePeerUrl] = UnsafePeerUrl) -> IPAddress | None:
    """The address an IP-literal host denotes, or None for a name.

    Besides the canonical forms, the shorthand that inet_aton and the WHATWG URL Standard (§3.5, IPv4
    parser) accept: "2130706433", "0177.0.0.1", "0x7f.1" are all 127.0.0.1. A host whose last label is a
    number is an IPv4 address there, so one that does not parse as such is refused rather than resolved.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # one trailing dot: "127.0.0.1." is the same address
    if not _is_number(labels[-1]):
        return None
    numbers = [_ipv4_number(label) for label in labels]
    if len(labels) > 4 or None in numbers:
        raise error(f"peer host {host!r} is neither a name nor a valid IPv4 address")
    parts = [n for n in numbers if n is not None]
    if any(n > 255 for n in parts[:-1]) or parts[-1] >= 256 ** (5 - len(parts)):
        raise error(f"peer host {host!r} is neither a name nor a valid IPv4 address")
    value = parts[-1] + sum(n << (8 * (3 - i)) for i, n in enumerate(parts[:-1]))
    return ipaddress.IPv4Address(value)


def _is_number(label: str) -> bool:
    # WHATWG URL "ends in a number checker": all ASCII digits, or 0x followed by hex digits (possibly none).
    if label.isascii() and label.isdigit():
        return True
    return label[:2].lower() == "0x" and all(c in _HEX for c in label[2:])


def _ipv4_number(label: str) -> int | None:
    """WHATWG URL IPv4 number parser: 0x.. hexadecimal, 0.. octal, otherwise decimal; None when invalid."""
    if label[:2].lower() == "0x":
        digits, base = label[2:], 16
    elif len(label) > 1 and label[0] == "0":
        digits, base = label[1:], 8
    else:
        digits, base = label, 10
    if digits == "":
        return 0 if base != 10 else None
    if not digits.isascii() or not digits.isalnum():
        return None
    try:
        return int(digits, base)
    except ValueError:
        return None
