"""EDR tokens bound to the consumer's key (RFC 9449 DPoP) against real nodes: a copied token is worth nothing.

The rival got hold of the consumer's EDR token (a leaked log, a proxy, a shared machine). Without a proof
signed by the consumer's DID key it reads nothing; with a proof by its own key, a proof it captured and
replays, or a proof made for another URL or method, neither. Each refusal is a 401 problem document with the
RFC 9449 §7.1 challenge, a ``battrace.refused`` line and a ``dataplane.refused`` record in the provider's
transparency log; the consumer keeps reading throughout.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from battrace.client import Edr
from battrace.dataplane import dpop

from .conftest import Space, wait_for_log
from .edr import data_url, fetch, node_keys, proof_headers

pytestmark = pytest.mark.integration

SECRET = {"secret": "s3cr3t-payload"}


def pulled(space: Space) -> Edr:
    _, _, edr = space.pull(space.publish(SECRET))
    return edr


def assert_refused(response: httpx.Response, reason: str, error: str = "invalid_dpop_proof") -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert reason in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith(f'DPoP error="{error}"')
    assert b"s3cr3t-payload" not in response.content


def assert_consumer_still_reads(space: Space, edr: Edr) -> None:
    assert fetch(space.consumer, edr).json() == SECRET


def refused_records(space: Space, reason: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """`dataplane.refused` entries of the provider's log naming `reason` (appended without waiting)."""
    node, deadline = space.provider, time.monotonic() + timeout
    while True:
        size = int(httpx.get(node.base_url + "/log/checkpoint", timeout=10).text.splitlines()[1])
        entries = httpx.get(
            node.base_url + f"/log/entries?start=0&end={size}",
            headers={"X-Api-Key": node.api_key},
            timeout=10,
        ).json()["entries"]
        found = [
            event
            for event in (_payload(e) for e in entries if e["kind"] == "dataplane.refused")
            if reason in str(event.get("reason"))
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _payload(entry: dict[str, Any]) -> dict[str, Any]:
    payload = entry.get("payload") or entry.get("data")
    return json.loads(payload) if isinstance(payload, str) else dict(payload)


def test_copied_token_without_proof_is_refused(space: Space) -> None:
    edr = pulled(space)
    as_bearer = httpx.get(edr.endpoint, headers={"Authorization": edr.token}, timeout=10)
    assert_refused(as_bearer, "wants `Authorization: DPoP <token>`", error="invalid_token")
    bearer_scheme = httpx.get(edr.endpoint, headers={"Authorization": f"Bearer {edr.token}"}, timeout=10)
    assert_refused(bearer_scheme, "wants `Authorization: DPoP <token>`", error="invalid_token")
    no_proof = httpx.get(edr.endpoint, headers={"Authorization": f"DPoP {edr.token}"}, timeout=10)
    assert_refused(no_proof, "exactly one DPoP header")
    wait_for_log(
        space.provider, "data plane refused: status=401 reason=the request needs exactly one DPoP header"
    )
    assert refused_records(space, "exactly one DPoP header")  # the attempt is in the transparency log
    assert_consumer_still_reads(space, edr)


def test_two_proofs_in_one_request_are_refused(space: Space) -> None:
    edr = pulled(space)
    first = proof_headers(space.consumer, edr, edr.endpoint)
    second = proof_headers(space.consumer, edr, edr.endpoint)
    headers = [("Authorization", first["Authorization"]), ("DPoP", first["DPoP"]), ("DPoP", second["DPoP"])]
    assert_refused(httpx.get(edr.endpoint, headers=headers, timeout=10), "exactly one DPoP header")


def test_proof_by_another_participants_key_is_refused(space: Space) -> None:
    edr = pulled(space)
    # The rival signs a well-formed proof for exactly this request, with its own DID key.
    proof = dpop.proof(
        node_keys(space.rival),
        htm="GET",
        htu=edr.endpoint,
        token=edr.token,
        now=datetime.now(UTC),
        jti="rival-1",
    )
    response = httpx.get(
        edr.endpoint, headers={"Authorization": f"DPoP {edr.token}", "DPoP": proof}, timeout=10
    )
    assert_refused(response, "signed by another key than the one this token is bound to")
    wait_for_log(
        space.provider, "reason=the proof is signed by another key than the one this token is bound to"
    )
    assert refused_records(space, "another key")
    assert_consumer_still_reads(space, edr)


def test_replayed_proof_is_refused(space: Space) -> None:
    edr = pulled(space)
    captured = proof_headers(space.consumer, edr, edr.endpoint)
    assert httpx.get(edr.endpoint, headers=captured, timeout=10).json() == SECRET  # the consumer's own read
    replayed = httpx.get(edr.endpoint, headers=captured, timeout=10)
    assert_refused(replayed, "already used (jti replay)")
    wait_for_log(space.provider, "reason=this proof was already used (jti replay)")
    assert_consumer_still_reads(space, edr)


def test_proof_for_another_url_is_refused(space: Space) -> None:
    edr = pulled(space)
    for_other = proof_headers(space.consumer, edr, data_url(edr, "batteries/BAT-1"))
    response = httpx.get(edr.endpoint, headers=for_other, timeout=10)
    assert_refused(response, "the DPoP proof is for another URL")
    wait_for_log(space.provider, "reason=the DPoP proof is for another URL")
    assert_consumer_still_reads(space, edr)


def test_proof_for_another_method_is_refused(space: Space) -> None:
    edr = pulled(space)
    for_post = proof_headers(space.consumer, edr, edr.endpoint, method="POST")
    response = httpx.get(edr.endpoint, headers=for_post, timeout=10)
    assert_refused(response, "the DPoP proof is for 'POST', not GET")
    assert_consumer_still_reads(space, edr)


def test_a_node_signs_proofs_only_for_its_own_edrs_data_plane(space: Space) -> None:
    edr = pulled(space)
    response = httpx.post(
        space.consumer.base_url + f"/management/v3/edrs/{edr.transfer_id}/dpop",
        json={"htm": "GET", "htu": space.rival.base_url + "/api/public"},
        headers={"X-Api-Key": space.consumer.api_key},
        timeout=10,
    )
    assert response.status_code == 400, response.text
    assert response.json()["reason"] == "htu"
