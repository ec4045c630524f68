"""What the fuzzing found and was fixed, pinned by one exact request each (the workbook's is in
test_parsers.py, the registry's undeclared path parameters in test_openapi_surfaces.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from battrace.policy.model import PolicyError
from battrace.policy.parse import parse_policy

from .harness import fuzz_node


def test_a_wrong_method_on_a_dsp_route_is_answered_with_the_dsp_error_message() -> None:
    # Found by schemathesis' unsupported-method probe: the router's 405 was a bare problem document, not the
    # DSP error message every other refusal on the surface is (DSP 2025-1 CatalogError).
    client = TestClient(fuzz_node().app, raise_server_exceptions=False)
    response = client.put(
        "/api/dsp/2025-1/catalog/request", headers={"Authorization": fuzz_node().peer_token()}
    )
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["allow"] == "POST"
    body = response.json()
    assert body["@type"] == "CatalogError" and body["code"] == "Method Not Allowed"
    assert (body["type"], body["title"], body["status"]) == ("about:blank", "Method Not Allowed", 405)


def test_a_wrong_method_elsewhere_is_still_a_problem_document() -> None:
    client = TestClient(fuzz_node().app, raise_server_exceptions=False)
    response = client.put("/management/v3/assets/request", headers={"X-Api-Key": "fuzz-key"})
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Method Not Allowed",
        "status": 405,
        "detail": "Method Not Allowed",
    }


# Found by bench/fuzz_long.py: a checkpoint size beyond 64 bits reached SQLite and raised OverflowError (500).
def test_a_checkpoint_size_beyond_64_bits_is_refused_as_bad_input() -> None:
    client = TestClient(fuzz_node().app, raise_server_exceptions=False)
    response = client.get(f"/log/checkpoints/{2**96}")
    assert 400 <= response.status_code < 500, response.text


# Found by tests/fuzz/test_parsers.py: a policy whose @context is null or a scalar raised TypeError.
@pytest.mark.parametrize("context", [None, 3, True])
def test_a_policy_with_a_null_or_scalar_context_is_a_policy_error(context: object) -> None:
    with pytest.raises(PolicyError):
        parse_policy({"@context": context, "permission": [{"action": "use"}]})
