"""Path traversal in ids and SQL injection through every filter or query parameter (issue 9, item 3).

Ids (assets, passports, registry shells, data-plane sub-paths) are keys in the node's database, never file
names: a traversal id is refused or is just an unknown key, and no file content (``root:x:0:0`` of
/etc/passwd) ever comes back. The one place a consumer's path reaches another system, the data plane's
HttpData proxy, refuses dot segments in any encoding, so a consumer cannot climb out of the asset's baseUrl.
Filter values travel as bound parameters: an injection attempt is refused (4xx) or matches nothing, and the
tables are intact afterwards (the same assets, passports and log size).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from battrace.client import EDC_CONTEXT

from .conftest import CONSUMER_BPN, Space, wait_for_log
from .edr import fetch

pytestmark = pytest.mark.integration

TRAVERSALS = [
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "%2fetc%2fpasswd",
    "..%5c..%5cwindows%5cwin.ini",
    "asset%00.json",
    "....%2f%2f....%2f%2fetc%2fpasswd",
]
INJECTIONS = [
    "' OR '1'='1",
    "x' OR 1=1 --",
    "1; DROP TABLE assets; --",
    "x') UNION SELECT name, sql FROM sqlite_master --",
    "%' OR id LIKE '%",
    "\\'; DELETE FROM passports; --",
]
EDC_NS = EDC_CONTEXT["@vocab"]
FILE_MARKERS = ("root:x:0:0", "[fonts]", "CREATE TABLE")  # file or schema content, never echoed input


def _no_file_content(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    for marker in FILE_MARKERS:
        assert marker not in response.text


def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _mgmt(space: Space) -> httpx.Client:
    return httpx.Client(
        base_url=space.provider.base_url, headers={"X-Api-Key": space.provider.api_key}, timeout=10
    )


def _census(space: Space) -> dict[str, Any]:
    """What must be unchanged after the attacks: asset ids, passport ids, log size."""
    with _mgmt(space) as m:
        assets = m.post("/management/v3/assets/request", json={"@context": EDC_CONTEXT, "limit": 1000})
        passports = m.get("/management/v3/passports", params={"limit": 1000})
        checkpoint = m.get("/log/checkpoint")
    assert assets.status_code == passports.status_code == checkpoint.status_code == 200
    return {
        "assets": sorted(a["@id"] for a in assets.json()),
        "passports": passports.json()["passportIds"],
        "log": int(checkpoint.text.splitlines()[1]),
    }


@pytest.mark.parametrize("evil", TRAVERSALS)
def test_traversal_ids_read_nothing_outside_the_store(space: Space, evil: str) -> None:
    base = space.provider.base_url
    with _mgmt(space) as m:
        for path in (
            f"/management/v3/assets/{evil}",
            f"/management/v3/policydefinitions/{evil}",
            f"/management/v3/contractagreements/{evil}",
            f"/management/v3/passports/{evil}",
            f"/management/v3/transferprocesses/{evil}",
        ):
            response = m.get(path)
            _no_file_content(response)
            assert response.status_code in (400, 404), (path, response.status_code)
    for path in (f"/passports/{evil}", f"/passport/{evil}", f"/api/v3/shell-descriptors/{evil}"):
        response = httpx.get(base + path, timeout=10)
        _no_file_content(response)
        assert response.status_code in (400, 401, 404), (path, response.status_code)
    decoded = httpx.get(f"{base}/api/v3/shell-descriptors/{_b64('../../../../etc/passwd')}", timeout=10)
    _no_file_content(decoded)
    assert decoded.status_code in (400, 401, 404)


def test_an_asset_named_like_a_path_is_only_a_key(space: Space) -> None:
    asset_id = "../../etc/passwd-" + CONSUMER_BPN
    body = {"@context": EDC_CONTEXT, "@id": asset_id, "dataAddress": {"type": "Stored"}}
    with _mgmt(space) as m:
        assert m.post("/management/v3/assets", json=body).status_code == 200
        spec = {
            "@context": EDC_CONTEXT,
            "filterExpression": [{"operandLeft": "id", "operator": "=", "operandRight": asset_id}],
        }
        response = m.post("/management/v3/assets/request", json=spec)
    assert response.status_code == 200, response.text
    assert [a["@id"] for a in response.json()] == [asset_id]  # stored and found as a key, nothing more


@pytest.fixture()
def backend() -> Iterator[tuple[str, list[str]]]:
    """A company system behind the provider; it records every path that reaches it."""
    seen: list[str] = []

    class Backend(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = json.dumps({"served": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/erp/public", seen
    finally:
        server.shutdown()


def test_a_data_plane_path_cannot_climb_out_of_the_assets_base_url(
    space: Space, backend: tuple[str, list[str]]
) -> None:
    base_url, seen = backend
    asset_id = f"erp-{len(seen)}-{id(seen) % 10_000}"
    with space.provider.client() as provider:
        provider.create_http_asset(asset_id, base_url)
    space_asset = space.publish_existing(asset_id)
    _, _, edr = space.pull(space_asset)
    ok = fetch(space.consumer, edr, "batteries/BAT-1")
    assert ok.status_code == 200 and seen == ["/erp/public/batteries/BAT-1"]  # control
    for evil in (
        "..%2F..%2Fadmin",
        "%2e%2e/%2e%2e/admin",
        "%252e%252e%252fadmin",
        "a%5C..%5C..%5Cadmin",
        "x%00",
    ):
        response = fetch(space.consumer, edr, evil)
        assert response.status_code == 400, (evil, response.text)
    assert seen == ["/erp/public/batteries/BAT-1"]  # nothing else reached the backend
    wait_for_log(space.provider, "reason=the data path may not contain dot segments")


def test_injection_through_every_filter_leaves_the_tables_intact(space: Space) -> None:
    space.publish({"cell": "inject"})
    space.issue_passport("INJ-1")
    before = _census(space)
    statuses: dict[str, set[int]] = {}

    def record(where: str, response: httpx.Response) -> None:
        _no_file_content(response)
        statuses.setdefault(where, set()).add(response.status_code)

    with _mgmt(space) as m:
        for evil in INJECTIONS:
            for kind in (
                "assets",
                "policydefinitions",
                "contractdefinitions",
                "contractnegotiations",
                "transferprocesses",
                "contractagreements",
            ):
                for criterion in (
                    {"operandLeft": "id", "operator": "=", "operandRight": evil},
                    {"operandLeft": "id", "operator": "like", "operandRight": evil},
                    {"operandLeft": "id", "operator": "in", "operandRight": [evil]},
                    {"operandLeft": evil, "operator": "=", "operandRight": "x"},
                    {"operandLeft": "id", "operator": evil, "operandRight": "x"},
                ):
                    spec = {
                        "@context": {"@vocab": EDC_NS},
                        "filterExpression": [criterion],
                        "sortField": evil,
                    }
                    response = m.post(f"/management/v3/{kind}/request", json=spec)
                    record(f"management {kind}/request", response)
                    if response.status_code == 200 and criterion["operandLeft"] == "id":
                        assert response.json() == [], (kind, criterion)  # treated as data: no match
            record(
                "management passports",
                m.get("/management/v3/passports", params={"after": evil, "modelId": evil}),
            )
            record("log entries", m.get("/log/entries", params={"start": evil, "end": "10"}))
        base = space.provider.base_url
        for evil in INJECTIONS:
            link = _b64(json.dumps({"name": evil, "value": evil}))
            lookup = httpx.get(
                f"{base}/api/v3/lookup/shells", params={"assetIds": link, "cursor": evil}, timeout=10
            )
            record("registry lookup", lookup)
            owner = m.get("/api/v3/lookup/shells", params={"assetIds": link})
            record("registry lookup (owner)", owner)
            if owner.status_code == 200:
                assert owner.json()["result"] == []
            record(
                "registry shells",
                m.get("/api/v3/shell-descriptors", params={"idShort": evil, "cursor": evil}),
            )
        token = _pact_token(space, m)
        for evil in INJECTIONS:
            for params in ({"$filter": f"productIds eq '{evil}'"}, {"productId": evil, "companyId": evil}):
                response = httpx.get(
                    f"{base}/3/footprints",
                    params=params,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                record(f"PACT {next(iter(params))}", response)
                if response.status_code == 200:
                    assert response.json()["data"] == []
    after = _census(space)
    assert (after["assets"], after["passports"]) == (before["assets"], before["passports"])
    assert after["log"] >= before["log"]  # append-only; reads may still be flushing into it
    print("\n" + "\n".join(f"{where}: {sorted(codes)}" for where, codes in sorted(statuses.items())))


def _pact_token(space: Space, m: httpx.Client) -> str:
    registered = m.post("/management/v3/pcf/pact-clients", json={"clientId": "attack-client"})
    assert registered.status_code == 201, registered.text
    secret = registered.json()["clientSecret"]
    response = httpx.post(
        space.provider.base_url + "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=("attack-client", secret),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
