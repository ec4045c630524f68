from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.identity import (
    DidWeb,
    NodeKeys,
    did_document,
    did_web,
    did_web_document_url,
    is_private_host,
    verification_key,
)

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
hosts = st.lists(_label, min_size=1, max_size=4).map(".".join)
ports = st.none() | st.integers(min_value=1, max_value=65535)
segments = st.text(
    st.characters(codec="utf-8", exclude_characters="/:?#"),  # utf-8 already excludes surrogates
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", ".."))
paths = st.none() | st.lists(segments, min_size=1, max_size=3).map("/".join)


# --- did:web syntax (did:web method spec §3.2) --------------------------------------------------------------


def test_port_colon_is_percent_encoded() -> None:
    assert did_web("127.0.0.1", 8101) == "did:web:127.0.0.1%3A8101"


def test_path_segments_are_joined_with_colons() -> None:
    assert did_web("example.com", path="/user/alice/") == "did:web:example.com:user:alice"


def test_path_may_already_be_colon_joined() -> None:
    assert did_web("example.com", 443, "user:alice") == "did:web:example.com%3A443:user:alice"


def test_host_is_lowercased() -> None:
    assert did_web("Example.COM") == "did:web:example.com"


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:user:alice", "https://example.com/user/alice/did.json"),
        ("did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
    ],
)
def test_document_url_follows_the_did_web_spec_examples(did: str, url: str) -> None:
    assert did_web_document_url(did) == url


@given(hosts, ports, paths)
def test_did_web_round_trips(host: str, port: int | None, path: str | None) -> None:
    did = did_web(host, port, path)
    parsed = DidWeb.parse(did)
    assert (parsed.host, parsed.port, "/".join(parsed.path) or None) == (host, port, path)
    assert parsed.did() == did
    assert did.count(":") == 2 + len(parsed.path)  # the port never adds a raw colon


@given(hosts, ports)
def test_document_url_of_a_host_did_is_the_well_known_location(host: str, port: int | None) -> None:
    authority = host if port is None else f"{host}:{port}"
    assert did_web_document_url(did_web(host, port)) == f"https://{authority}/.well-known/did.json"


@pytest.mark.parametrize(
    "did",
    [
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:web:",
        "did:web:exa mple.com",
        "did:web:example.com%3Ahttp",
        "did:web:example.com%3A0",
        "did:web:example.com%3A70000",
        "did:web:example.com::a",
        "did:web:example.com:..",
        "did:web:example.com:a%2Fb",
        "did:web:evil.com%2Fx",
        "did:web:user@example.com",
    ],
)
def test_invalid_or_foreign_dids_are_refused(did: str) -> None:
    with pytest.raises(InvalidInput):
        did_web_document_url(did)


@pytest.mark.parametrize(
    ("host", "port", "path"), [("", None, None), ("a/b", None, None), ("h", 0, None), ("h", None, "a/../b")]
)
def test_did_web_refuses_invalid_parts(host: str, port: int | None, path: str | None) -> None:
    with pytest.raises(InvalidInput):
        did_web(host, port, path)


# --- allow_http: dev mode only for loopback / private hosts -------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "node.localhost", "10.1.2.3", "192.168.0.7", "172.16.5.5", "provider"]
)
def test_allow_http_downgrades_only_private_hosts(host: str) -> None:
    assert is_private_host(host)
    assert did_web_document_url(did_web(host, 8101), allow_http=True).startswith("http://")
    assert did_web_document_url(did_web(host, 8101)).startswith("https://")


@pytest.mark.parametrize("host", ["example.com", "8.8.8.8", "1.1.1.1", "localhost.example.com"])
def test_allow_http_keeps_https_for_public_hosts(host: str) -> None:
    assert not is_private_host(host)
    assert did_web_document_url(did_web(host), allow_http=True).startswith("https://")


# --- the DID document ---------------------------------------------------------------------------------------


def test_did_document_has_the_did_core_shape() -> None:
    keys = NodeKeys.generate()
    did = did_web("127.0.0.1", 8101)
    document = did_document(did, keys)
    method = f"{did}#key-1"
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/suites/jws-2020/v1",
    ]
    assert document["id"] == did
    assert document["verificationMethod"] == [
        {"id": method, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": keys.public_jwk()}
    ]
    assert document["authentication"] == document["assertionMethod"] == [method]
    assert document["capabilityInvocation"] == [method]
    assert "service" not in document


def test_did_document_announces_the_dsp_version_endpoint() -> None:
    did = did_web("provider.example")
    document = did_document(
        did, NodeKeys.generate(), dsp_version_url="https://provider.example/.well-known/dspace-version"
    )
    assert document["service"] == [
        {
            "id": "did:web:provider.example#dsp",
            "type": "DataService",
            "serviceEndpoint": "https://provider.example/.well-known/dspace-version",
        }
    ]


# --- verification_key ---------------------------------------------------------------------------------------

_DID = "did:web:node.example"


@pytest.fixture(scope="module")
def keys() -> NodeKeys:
    return NodeKeys.generate()


@pytest.fixture
def document(keys: NodeKeys) -> dict[str, Any]:
    return did_document(_DID, keys)


@pytest.mark.parametrize("kid", [f"{_DID}#key-1", "#key-1"])
def test_verification_key_is_found_by_absolute_or_relative_id(
    keys: NodeKeys, document: dict[str, Any], kid: str
) -> None:
    assert verification_key(document, kid).as_dict(private=False) == keys.public_jwk()


def test_verification_key_is_found_when_the_document_uses_relative_method_ids(
    keys: NodeKeys, document: dict[str, Any]
) -> None:
    document["verificationMethod"][0]["id"] = "#key-1"
    assert verification_key(document, f"{_DID}#key-1").as_dict(private=False) == keys.public_jwk()


def test_verification_key_of_another_did_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="not a method of"):
        verification_key(document, "did:web:other.example#key-1")


def test_unknown_verification_method_is_refused(document: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="no verification method"):
        verification_key(document, "#key-2")


def test_method_controlled_by_someone_else_is_refused(document: dict[str, Any]) -> None:
    document["verificationMethod"][0]["controller"] = "did:web:other.example"
    with pytest.raises(InvalidInput, match="not controlled by"):
        verification_key(document, "#key-1")


def test_method_whose_absolute_id_is_under_another_did_is_not_matched(document: dict[str, Any]) -> None:
    document["verificationMethod"][0]["id"] = "did:web:other.example#key-1"
    with pytest.raises(InvalidInput, match="no verification method"):
        verification_key(document, "#key-1")


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x"},
        {"kty": "OKP", "crv": "X25519", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"},
        {
            "kty": "OKP",
            "crv": "Ed448",
            "x": "X9dEm1m0Yf0s54fsYWrUah2hNCSFpw4fig6nXYDpZ3jt8SR2m0bHBhvWeD3x5Q9s0foavq_oJWGA",
        },
        {"kty": "OKP", "crv": "Ed25519"},
        {"kty": "OKP", "crv": "Ed25519", "x": "dG9vIHNob3J0"},
        {"kty": "oct", "k": "c2VjcmV0"},
    ],
)
def test_non_ed25519_or_broken_keys_are_refused(document: dict[str, Any], jwk: dict[str, str]) -> None:
    document["verificationMethod"][0]["publicKeyJwk"] = jwk
    with pytest.raises(InvalidInput):
        verification_key(document, "#key-1")


def test_private_member_published_by_mistake_is_ignored(keys: NodeKeys, document: dict[str, Any]) -> None:
    leaked = copy.deepcopy(document)
    leaked["verificationMethod"][0]["publicKeyJwk"]["d"] = "AAAA"
    key = verification_key(leaked, "#key-1")
    assert not key.is_private
