"""The registry router over HTTP: AAS Part 2 paths, status codes, the `Result` error shape, visibility."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from battrace.registry import Registry, encode_id, registry_router

from .conftest import FIXTURES, OWNER_HEADERS, header_caller, partner

PARTNER = "BPNL00000000000A"
SHELL_ID = "urn:uuid:3d050cd8-cdc7-4d65-9f37-70a65d5f53f5"
SHELLS = "/api/v3/shell-descriptors"


def _shell(**extra: Any) -> dict[str, Any]:
    subject = {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": PARTNER}]}
    return {
        "id": SHELL_ID,
        "idShort": "Battery_BAT-1",
        "specificAssetIds": [
            {"name": "partInstanceId", "value": "BAT-1", "externalSubjectId": subject},
            {"name": "van", "value": "WVW-secret"},
        ],
    } | extra


def _submodel() -> dict[str, Any]:
    return {
        "id": "urn:uuid:submodel-1",
        "endpoints": [{"interface": "SUBMODEL-3.0", "protocolInformation": {"href": "https://dp.example/x"}}],
    }


def _error_text(response: Any) -> str:
    body = response.json()
    assert set(body) == {"messages"}
    (message,) = body["messages"]
    assert message["messageType"] == "Error"
    return str(message["text"])


def test_a_posted_shell_is_read_back_by_its_base64url_id_with_or_without_padding(client: TestClient) -> None:
    created = client.post(SHELLS, json=_shell(), headers=OWNER_HEADERS)
    assert created.status_code == 201
    assert created.json() == _shell()
    assert created.headers["location"] == f"{SHELLS}/{encode_id(SHELL_ID)}"
    unpadded = encode_id(SHELL_ID)
    for encoded in (unpadded, unpadded + "=" * (-len(unpadded) % 4)):
        assert client.get(f"{SHELLS}/{encoded}", headers=OWNER_HEADERS).json() == _shell()


def test_put_answers_201_when_it_creates_and_204_when_it_replaces(client: TestClient) -> None:
    url = f"{SHELLS}/{encode_id(SHELL_ID)}"
    assert client.put(url, json=_shell(), headers=OWNER_HEADERS).status_code == 201
    assert client.put(url, json=_shell(idShort="renamed"), headers=OWNER_HEADERS).status_code == 204
    assert client.get(url, headers=OWNER_HEADERS).json()["idShort"] == "renamed"
    assert client.delete(url, headers=OWNER_HEADERS).status_code == 204
    assert client.get(url, headers=OWNER_HEADERS).status_code == 404


def test_submodel_descriptor_routes(client: TestClient) -> None:
    client.post(SHELLS, json=_shell(), headers=OWNER_HEADERS)
    base = f"{SHELLS}/{encode_id(SHELL_ID)}/submodel-descriptors"
    assert client.post(base, json=_submodel(), headers=OWNER_HEADERS).status_code == 201
    assert client.post(base, json=_submodel(), headers=OWNER_HEADERS).status_code == 409
    listed = client.get(base, headers=OWNER_HEADERS).json()
    assert listed == {"paging_metadata": {}, "result": [_submodel()]}
    one = f"{base}/{encode_id('urn:uuid:submodel-1')}"
    assert client.get(one, headers=OWNER_HEADERS).json() == _submodel()
    assert client.put(one, json=_submodel() | {"idShort": "pass"}, headers=OWNER_HEADERS).status_code == 204
    assert client.delete(one, headers=OWNER_HEADERS).status_code == 204
    assert client.get(one, headers=OWNER_HEADERS).status_code == 404


def test_a_partner_may_not_write_and_gets_403_in_the_result_shape(client: TestClient) -> None:
    response = client.post(SHELLS, json=_shell(), headers=partner(PARTNER))
    assert response.status_code == 403
    assert "owner" in _error_text(response)


def test_a_partner_sees_only_the_asset_ids_shared_with_it(client: TestClient) -> None:
    client.post(SHELLS, json=_shell(), headers=OWNER_HEADERS)
    links = client.get(f"/api/v3/lookup/shells/{encode_id(SHELL_ID)}", headers=partner(PARTNER)).json()
    assert [link["name"] for link in links] == ["partInstanceId"]
    owner_links = client.get(f"/api/v3/lookup/shells/{encode_id(SHELL_ID)}", headers=OWNER_HEADERS).json()
    assert [link["name"] for link in owner_links] == ["partInstanceId", "van"]
    hidden = client.get(f"{SHELLS}/{encode_id(SHELL_ID)}", headers=partner("BPNL00000000000B"))
    assert hidden.status_code == 404
    assert _error_text(hidden)


def test_a_caller_without_bpn_cannot_find_a_shell_by_a_restricted_id_over_http(client: TestClient) -> None:
    client.post(SHELLS, json=_shell(), headers=OWNER_HEADERS)
    query = encode_id('{"name":"partInstanceId","value":"BAT-1"}')
    found = client.get(f"/api/v3/lookup/shells?assetIds={query}", headers=partner(None)).json()
    assert found == {"paging_metadata": {}, "result": []}
    mine = client.get(f"/api/v3/lookup/shells?assetIds={query}", headers=partner(PARTNER)).json()
    assert mine["result"] == [SHELL_ID]


def test_listing_pages_with_a_cursor(client: TestClient) -> None:
    for n in range(3):
        client.post(SHELLS, json={"id": f"urn:uuid:{n}"}, headers=OWNER_HEADERS)
    first = client.get(f"{SHELLS}?limit=2", headers=OWNER_HEADERS).json()
    second = client.get(
        f"{SHELLS}?limit=2&cursor={first['paging_metadata']['cursor']}", headers=OWNER_HEADERS
    )
    ids = [s["id"] for s in first["result"] + second.json()["result"]]
    assert sorted(ids) == ["urn:uuid:0", "urn:uuid:1", "urn:uuid:2"]
    assert second.json()["paging_metadata"] == {}


def test_the_description_names_the_implemented_profiles(client: TestClient) -> None:
    profiles = client.get("/api/v3/description").json()["profiles"]
    assert any("AssetAdministrationShellRegistryServiceSpecification" in p for p in profiles)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", SHELLS, "not json"),
        ("POST", SHELLS, "[1, 2]"),
        ("POST", SHELLS, '{"idShort": "no-id"}'),
        ("POST", SHELLS, '{"id": "x", "unknown": 1}'),
        ("POST", SHELLS, "[" * 100_000 + "]" * 100_000),
        ("GET", f"{SHELLS}/not*base64", None),
        ("GET", f"{SHELLS}/_w", None),
        ("GET", f"{SHELLS}?limit=abc", None),
        ("GET", f"{SHELLS}?limit=0", None),
        ("GET", f"{SHELLS}?limit=99999999999999999999", None),
        ("GET", f"{SHELLS}?cursor=nope", None),
        ("GET", f"{SHELLS}?createdAfter=yesterday", None),
        ("GET", f"{SHELLS}?createdAfter=2026-01-01T00:00:00", None),
        ("GET", "/api/v3/lookup/shells?assetIds=%7B%20invalid%20%7D", None),
        ("GET", f"/api/v3/lookup/shells?assetIds={encode_id('[]')}", None),
        ("POST", "/api/v3/lookup/shellsByAssetLink", '{"name": "x", "value": "y"}'),
        ("POST", "/api/v3/lookup/shellsByAssetLink", '[{"name": "x"}]'),
        ("PUT", f"{SHELLS}/{encode_id('urn:uuid:a')}", '{"id": "urn:uuid:b"}'),
        ("GET", f"{SHELLS}/{encode_id('urn:uuid:missing')}", None),
        ("GET", f"{SHELLS}/{encode_id('urn:uuid:missing')}/submodel-descriptors", None),
        ("DELETE", f"{SHELLS}/{encode_id('urn:uuid:missing')}", None),
    ],
)
def test_bad_input_gets_a_4xx_result_never_a_500(
    client: TestClient, method: str, url: str, body: str | None
) -> None:
    response = client.request(
        method, url, content=body, headers=OWNER_HEADERS | {"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert _error_text(response)


def test_every_route_is_a_path_and_method_of_the_aas_part_2_openapi(registry: Registry) -> None:
    spec = _openapi_operations((FIXTURES / "dtr" / "aas-registry-openapi.yaml").read_text())
    served = {
        (route.path.removeprefix("/api/v3"), method.lower())
        for route in registry_router(registry, header_caller).routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert len(served) == 14
    for path, method in served:
        assert (path, method) in spec, (path, method)


def _openapi_operations(text: str) -> set[tuple[str, str]]:
    """(path, method) pairs of an OpenAPI YAML's `paths` block, read by indentation (no YAML library)."""
    operations: set[tuple[str, str]] = set()
    block = text.split("\npaths:\n", 1)[1].split("\ncomponents:\n", 1)[0]
    path = ""
    for line in block.split("\n"):
        if found := re.match(r"^  (/\S*):\s*$", line):
            path = found[1]
        elif found := re.match(r"^    (get|put|post|delete|patch):\s*$", line):
            operations.add((path, found[1]))
    return operations
