"""Bad input gets a clear 4xx problem document, never a 500 or a traceback, and nothing half-written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from battrace.dsp import messages as dsp
from battrace.dsp.validation import validate_message

from .conftest import API_KEY, Edge

DSP_POSTS = [
    "/catalog/request",
    "/negotiations/request",
    "/negotiations/offers",
    "/negotiations/urn:uuid:x/request",
    "/negotiations/urn:uuid:x/events",
    "/negotiations/urn:uuid:x/agreement/verification",
    "/negotiations/urn:uuid:x/termination",
    "/callback/negotiations/urn:uuid:x/agreement",
    "/callback/negotiations/urn:uuid:x/offers",
    "/transfers/request",
    "/transfers/urn:uuid:x/start",
    "/transfers/urn:uuid:x/suspension",
    "/callback/transfers/urn:uuid:x/completion",
]
MANAGEMENT_POSTS = [
    "/management/v3/assets",
    "/management/v3/policydefinitions",
    "/management/v3/contractdefinitions",
    "/management/v3/catalog/request",
    "/management/v3/contractnegotiations",
    "/management/v3/transferprocesses",
    "/management/v3/assets/request",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
message_like = st.fixed_dictionaries(
    {
        "@context": st.sampled_from([["https://w3id.org/dspace/2025/1/context.jsonld"], "x", 3, None]),
        "@type": st.sampled_from(
            [
                "ContractRequestMessage",
                "TransferRequestMessage",
                "CatalogRequestMessage",
                "ContractAgreementMessage",
                "Nope",
            ]
        ),
    },
    optional={
        "consumerPid": json_values,
        "providerPid": json_values,
        "offer": json_values,
        "callbackAddress": json_values,
        "agreementId": json_values,
        "format": json_values,
    },
)


def assert_problem(response: Any, status: int | None = None) -> dict[str, Any]:
    assert response.status_code < 500, response.text
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert body["title"] and body["detail"]
    return body


@pytest.mark.parametrize("path", DSP_POSTS)
def test_malformed_json_on_every_dsp_endpoint_is_a_400_problem(edge: Edge, path: str) -> None:
    response = edge.client.post(
        edge.dsp(path),
        content=b"{not json",
        headers={"Authorization": edge.token(), "Content-Type": "application/json"},
    )
    assert_problem(response, 400)


@pytest.mark.parametrize("path", DSP_POSTS)
def test_unauthenticated_dsp_calls_are_refused_401(edge: Edge, path: str) -> None:
    assert_problem(edge.client.post(edge.dsp(path), json={}), 401)


def test_dsp_errors_are_also_dsp_error_messages(edge: Edge) -> None:
    body = dsp.negotiation_event("urn:uuid:unknown-p", "urn:uuid:unknown-c", "ACCEPTED")
    response = edge.client.post(
        edge.dsp("/negotiations/urn:uuid:unknown-p/events"),
        json=body,
        headers={"Authorization": edge.token()},
    )
    problem = assert_problem(response, 404)
    assert problem["@type"] == "ContractNegotiationError"
    assert problem["providerPid"] == "urn:uuid:unknown-p"
    assert isinstance(problem["reason"], list) and problem["reason"]
    validate_message(problem, "ContractNegotiationError")  # the official 2025-1 schema accepts it


def test_oversized_body_is_a_413_problem(edge: Edge) -> None:
    huge = {
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "CatalogRequestMessage",
        "pad": "x" * (128 * 1024),
    }
    response = edge.client.post(
        edge.dsp("/catalog/request"), json=huge, headers={"Authorization": edge.token()}
    )
    assert_problem(response, 413)


def test_deeply_nested_body_is_a_400_problem(edge: Edge) -> None:
    nested: Any = "leaf"
    for _ in range(200):
        nested = {"a": nested}
    response = edge.client.post(
        edge.dsp("/negotiations/request"),
        content=json.dumps(nested).encode(),
        headers={"Authorization": edge.token(), "Content-Type": "application/json"},
    )
    assert_problem(response, 400)


def test_wrong_media_type_is_a_415_problem(edge: Edge) -> None:
    response = edge.client.post(
        edge.dsp("/catalog/request"),
        content=b"<xml/>",
        headers={"Authorization": edge.token(), "Content-Type": "application/xml"},
    )
    assert_problem(response, 415)


def test_callback_to_an_internal_address_is_refused_without_dev_mode(tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from battrace.http.app import create_app

    from .conftest import make_node

    node, keys = make_node(tmp_path / "prod", dev=False)
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        edge = Edge(node, client, keys)
        _publish_open_offer(edge)
        catalog = client.post(
            edge.dsp("/catalog/request"),
            headers={"Authorization": edge.token()},
            json={
                "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
                "@type": "CatalogRequestMessage",
            },
        ).json()
        offer = {**catalog["dataset"][0]["hasPolicy"][0], "target": "open-asset"}
        for callback in (
            "http://127.0.0.1:9/cb",
            "https://10.0.0.7/cb",
            "https://169.254.169.254/latest",
            "file:///etc/passwd",
            "https://localhost/cb",
        ):
            request = dsp.contract_request(
                "urn:uuid:c-" + str(abs(hash(callback))), offer, callback_address=callback
            )
            response = client.post(
                edge.dsp("/negotiations/request"), json=request, headers={"Authorization": edge.token()}
            )
            problem = assert_problem(response, 400)
            assert "refused" in problem["title"].lower() or "not allowed" in problem["detail"], problem
        listed = client.post("/management/v3/contractnegotiations/request", headers={"X-Api-Key": API_KEY})
        assert listed.json() == []  # nothing half-written


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(json_values, message_like), path=st.sampled_from(DSP_POSTS))
def test_arbitrary_json_on_dsp_endpoints_never_causes_a_5xx(edge: Edge, body: Any, path: str) -> None:
    response = edge.client.post(
        edge.dsp(path),
        content=json.dumps(body).encode(),
        headers={"Authorization": edge.token(), "Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values, path=st.sampled_from(MANAGEMENT_POSTS))
def test_arbitrary_json_on_management_endpoints_never_causes_a_5xx(edge: Edge, body: Any, path: str) -> None:
    response = edge.client.post(
        path,
        content=json.dumps(body).encode(),
        headers={"X-Api-Key": API_KEY, "Content-Type": "application/json"},
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_problem(response)


def test_openapi_publishes_every_surface(edge: Edge) -> None:
    paths = edge.client.get("/openapi.json").json()["paths"]
    for expected in (
        "/.well-known/dspace-version",
        "/.well-known/did.json",
        "/api/dsp/2025-1/catalog/request",
        "/api/dsp/2025-1/negotiations/request",
        "/api/dsp/2025-1/transfers/request",
        "/management/v3/assets",
        "/management/v3/edrs/{transfer_id}/dataaddress",
        "/api/public/{subpath}",
    ):
        assert expected in paths, expected


def _publish_open_offer(edge: Edge) -> None:
    headers = {"X-Api-Key": API_KEY}
    vocab = {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"}
    edge.client.post(
        "/management/v3/assets",
        headers=headers,
        json={
            "@context": vocab,
            "@id": "open-asset",
            "properties": {},
            "dataAddress": {"type": "Stored", "contentType": "application/json"},
        },
    ).raise_for_status()
    edge.client.post(
        "/management/v3/policydefinitions",
        headers=headers,
        json={
            "@context": ["https://w3id.org/dspace/2025/1/odrl-profile.jsonld", vocab],
            "@id": "open",
            "policy": {"@type": "Set", "permission": [{"action": "use"}]},
        },
    ).raise_for_status()
    edge.client.post(
        "/management/v3/contractdefinitions",
        headers=headers,
        json={
            "@context": vocab,
            "@id": "open-def",
            "accessPolicyId": "open",
            "contractPolicyId": "open",
            "assetsSelector": [],
        },
    ).raise_for_status()
