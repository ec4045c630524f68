"""did:web identifiers and the DID document a node publishes (W3C DID Core, did:web method spec)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from battrace.errors import InvalidInput
from battrace.identity.keys import NodeKeys

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
JWS_2020_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"
DSP_SERVICE_FRAGMENT = "dsp"

# RFC 1123 host names, plus IPv4 literals (they match the same pattern); no IPv6: did:web has no syntax for it
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$",
    re.IGNORECASE,
)
_DEV_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


@dataclass(frozen=True)
class DidWeb:
    """A parsed did:web: host, optional port, optional path segments (already percent-decoded)."""

    host: str
    port: int | None = None
    path: tuple[str, ...] = ()

    @classmethod
    def parse(cls, did: str) -> DidWeb:
        if not did.startswith("did:web:"):
            raise InvalidInput(f"not a did:web identifier: {did!r}")
        head, *segments = did[len("did:web:") :].split(":")
        # did:web §3.2: the port's colon is percent-encoded inside the first segment
        host, port = _split_port(unquote(head))
        path = tuple(unquote(s) for s in segments)
        for segment in path:
            _check_segment(segment)
        return cls(_check_host(host), port, path)

    def did(self) -> str:
        authority = self.host if self.port is None else f"{self.host}%3A{self.port}"
        return ":".join(["did:web", authority, *(quote(s, safe="") for s in self.path)])

    def document_url(self, *, allow_http: bool = False) -> str:
        scheme = "http" if allow_http and is_private_host(self.host) else "https"
        authority = self.host if self.port is None else f"{self.host}:{self.port}"
        if not self.path:
            return f"{scheme}://{authority}/.well-known/did.json"
        return f"{scheme}://{authority}/{'/'.join(quote(s, safe='') for s in self.path)}/did.json"


def did_web(host: str, port: int | None = None, path: str | None = None) -> str:
    """did:web for ``host[:port][/path]``: ``did:web:127.0.0.1%3A8101``, ``did:web:example.com:a:b``.

    ``path`` may be given URL-style (``a/b``) or already colon-joined (``a:b``); both mean the segments a, b.
    """
    segments = tuple(s for s in re.split(r"[/:]", path or "") if s)
    for segment in segments:
        _check_segment(segment)
    if port is not None:
        _check_port(port)
    return DidWeb(_check_host(host.lower()), port, segments).did()


def did_web_document_url(did: str, *, allow_http: bool = False) -> str:
    """Where the DID document of a did:web lives. ``allow_http`` (dev mode) downgrades to http:// only for
    loopback and private hosts, so a misconfigured production node can never fetch a public DID over http."""
    return DidWeb.parse(did).document_url(allow_http=allow_http)


def is_private_host(host: str) -> bool:
    """Loopback, private or link-local IP literal, ``localhost``, a dotless name (docker service names; not
    resolvable in public DNS) or a reserved non-public suffix (RFC 6761 / RFC 8375 / ICANN .internal)."""
    host = host.lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_DEV_SUFFIXES)
    return ip.is_loopback or ip.is_private or ip.is_link_local


def did_document(did: str, keys: NodeKeys, *, dsp_version_url: str | None = None) -> dict[str, Any]:
    """The DID document served at ``did_web_document_url(did)``."""
    key_ref = f"{did}#{keys.key_id}"
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT, JWS_2020_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": key_ref, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": keys.public_jwk()}
        ],
        "authentication": [key_ref],
        "assertionMethod": [key_ref],
        # DCP v1.0 base protocol: the key signing self-issued ID tokens must be a capabilityInvocation method
        "capabilityInvocation": [key_ref],
    }
    if dsp_version_url is not None:
        # DSP 2025-1 common/did-service-schema.json (notes §1.2): points at /.well-known/dspace-version
        document["service"] = [
            {"id": f"{did}#{DSP_SERVICE_FRAGMENT}", "type": "DataService", "serviceEndpoint": dsp_version_url}
        ]
    return document


def verification_key(document: Mapping[str, Any], kid: str) -> OKPKey:
    """The Ed25519 public key of verification method ``kid`` (absolute ``did#frag`` or relative ``#frag``)."""
    doc_id = document.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise InvalidInput("DID document has no id")
    wanted = _absolute(doc_id, kid)
    if not wanted.startswith(doc_id + "#"):
        raise InvalidInput(f"key {kid!r} is not a method of {doc_id}")
    for method in _methods(document):
        if _absolute(doc_id, str(method.get("id", ""))) == wanted:
            return _ed25519_key(doc_id, method)
    raise InvalidInput(f"DID document {doc_id} has no verification method {wanted}")


def _methods(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    methods = document.get("verificationMethod", [])
    if not isinstance(methods, Sequence) or isinstance(methods, str):
        raise InvalidInput("verificationMethod must be an array")
    return [m for m in methods if isinstance(m, Mapping)]


def _ed25519_key(doc_id: str, method: Mapping[str, Any]) -> OKPKey:
    # DID Core §5.2: the controller is whoever may update the method; a foreign controller means the document
    # vouches for somebody else's key, which must not authenticate as this DID
    if method.get("controller") != doc_id:
        raise InvalidInput(f"verification method {method.get('id')} is not controlled by {doc_id}")
    jwk = method.get("publicKeyJwk")
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise InvalidInput(f"verification method {method.get('id')} is not an Ed25519 JWK")
    x = jwk.get("x")
    if not isinstance(x, str):
        raise InvalidInput(f"verification method {method.get('id')} has no 'x'")
    try:
        # only the public members: a "d" published by mistake must not turn this into a signing key
        return OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": x})
    except (JoseError, ValueError) as error:
        raise InvalidInput(f"verification method {method.get('id')} has an invalid key: {error}") from error


def _absolute(doc_id: str, ref: str) -> str:
    return doc_id + ref if ref.startswith("#") else ref


def _split_port(authority: str) -> tuple[str, int | None]:
    host, sep, port = authority.partition(":")
    if not sep:
        return host, None
    if not port.isascii() or not port.isdigit():
        raise InvalidInput(f"invalid port in did:web: {port!r}")
    return host, _check_port(int(port))


def _check_port(port: int) -> int:
    if not 0 < port < 65536:
        raise InvalidInput(f"port out of range: {port}")
    return port


def _check_host(host: str) -> str:
    if not _HOST.match(host):
        raise InvalidInput(f"invalid did:web host: {host!r}")
    return host


def _check_segment(segment: str) -> None:
    # empty, dot segments and embedded slashes would let a DID point at another path than it names
    if segment in ("", ".", "..") or "/" in segment or "?" in segment or "#" in segment:
        raise InvalidInput(f"invalid did:web path segment: {segment!r}")
