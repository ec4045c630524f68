"""Policy bypass over real DSP between real nodes: wrong party, altered agreement id, another asset, expired
or reused EDR token, a party the access policy excludes, a message for someone else's process.

Each attack is refused with the status the specs give (DSP 2025-1 §4 errors, the data plane's 401/403) and
leaves a ``battrace.refused`` warning in the provider's log; data never comes back.

The EDR token is bound to the consumer's DID key (RFC 9449 DPoP): a copied token reads nothing without a proof
by that key (tests/attacks/test_dpop.py), and even the holder's own token reads only its asset, only while the
transfer runs and the token lives.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from battrace.client import Edr
from battrace.dsp import messages as dsp

from .conftest import EDR_TTL, Space, wait_for_log
from .edr import fetch

pytestmark = pytest.mark.integration


def _dsp_post(space: Space, caller_token: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        space.provider.dsp + path, json=body, headers={"Authorization": caller_token}, timeout=10
    )


def _transfer_request(space: Space, caller: Any, agreement_id: str) -> httpx.Response:
    body = dsp.transfer_request(
        f"urn:uuid:{uuid.uuid4()}", agreement_id, "HttpData-PULL", caller.dsp + "/callback"
    )
    return _dsp_post(space, space.token(caller), "/transfers/request", body)


def _refused_soon(space: Space, edr: Edr, timeout: float = 10.0) -> httpx.Response:
    """The data plane's answer once the provider has processed the consumer's message (asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        response = fetch(space.consumer, edr)
        if response.status_code != 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_a_rival_cannot_start_a_transfer_under_the_consumers_agreement(space: Space) -> None:
    agreement_id = space.negotiate(space.publish({"cell": "R1"}), space.consumer)["contractAgreementId"]
    response = _transfer_request(space, space.rival, agreement_id)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "UNKNOWN_AGREEMENT"  # same answer as for an agreement that never was
    wait_for_log(space.provider, f"transfer refused: agreement {agreement_id!r} is not {space.rival.did}'s")


def test_an_altered_agreement_id_is_refused_like_an_unknown_one(space: Space) -> None:
    agreement_id = space.negotiate(space.publish({"cell": "A1"}), space.consumer)["contractAgreementId"]
    for altered in (agreement_id + "x", agreement_id.upper(), agreement_id[:-1], "' OR '1'='1"):
        response = _transfer_request(space, space.consumer, altered)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "UNKNOWN_AGREEMENT"
    assert _transfer_request(space, space.consumer, agreement_id).status_code == 201  # control: honest id


def test_an_edr_for_one_asset_never_reads_another(space: Space) -> None:
    asset_a, asset_b = space.publish({"secret": "A"}), space.publish({"secret": "B"})
    _, _, edr_a = space.pull(asset_a)
    _, _, edr_b = space.pull(asset_b)
    assert fetch(space.consumer, edr_b).json() == {"secret": "B"}  # control
    # The token alone names the asset: a path or query naming B still serves A (or nothing), never B.
    for path in (asset_b, f"../{asset_b}", f"%2e%2e%2f{asset_b}", f"?asset={asset_b}", f"{asset_b}/content"):
        response = fetch(space.consumer, edr_a, path)
        if response.status_code == 200:
            assert response.json() == {"secret": "A"}, path
        assert b'"secret": "B"' not in response.content
    tampered = edr_a.token[:-2] + ("AA" if not edr_a.token.endswith("AA") else "BB")
    assert fetch(space.consumer, edr_a, token=tampered).status_code == 401
    wait_for_log(space.provider, "data plane refused: status=401 reason=unknown or revoked data-plane token")


def test_an_edr_token_dies_with_its_transfer(space: Space) -> None:
    asset_id = space.publish({"secret": "C"})
    _, transfer, edr = space.pull(asset_id)
    assert fetch(space.consumer, edr).json() == {"secret": "C"}
    with space.consumer.client() as consumer:
        consumer.call("POST", f"/management/v3/transferprocesses/{transfer['@id']}/terminate", {})
    # Once the consumer ends the transfer, the provider refuses the token, even with a valid proof.
    refused = _refused_soon(space, edr)
    assert refused.status_code in (401, 403), refused.text
    assert "C" not in refused.text.replace("Content", "")
    wait_for_log(space.provider, "data plane refused")


def test_a_suspended_transfer_serves_nothing_until_resumed(space: Space) -> None:
    _, transfer, edr = space.pull(space.publish({"secret": "S"}))
    with space.consumer.client() as consumer:
        consumer.call("POST", f"/management/v3/transferprocesses/{transfer['@id']}/suspend", {})
    refused = _refused_soon(space, edr)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "transfer is SUSPENDED; data flows only while STARTED"
    wait_for_log(space.provider, "data plane refused: status=403 reason=transfer is SUSPENDED")


def test_an_expired_edr_token_is_refused(space: Space) -> None:
    _, _, edr = space.pull(space.publish({"secret": "E"}))
    assert edr.expires_in == EDR_TTL
    time.sleep(EDR_TTL + 0.5)
    response = fetch(space.consumer, edr)
    assert response.status_code == 401, response.text
    assert "expired" in response.json()["detail"]
    wait_for_log(space.provider, "reason=the data-plane token has expired")


def test_a_party_the_access_policy_excludes_can_neither_see_nor_negotiate_the_offer(space: Space) -> None:
    asset_id = space.publish({"secret": "X"})  # access: the consumer's BPN only
    with space.rival.client() as rival:
        catalog = rival.catalog(space.provider.dsp, space.provider.did)
    assert asset_id not in json.dumps(catalog)
    with space.consumer.client() as consumer:
        seen = consumer.catalog(space.provider.dsp, space.provider.did)
    offer = next(d for d in seen["dataset"] if d["@id"] == asset_id)["hasPolicy"][0]
    with space.rival.client() as rival:  # replays the offer the consumer saw
        contexts = seen.get("@context", [])
        negotiation = rival.negotiate(
            space.provider.dsp,
            space.provider.did,
            asset_id,
            offer,
            contexts if isinstance(contexts, list) else [],
        )
        assert rival.wait_negotiation(negotiation)["state"] == "TERMINATED"
    wait_for_log(
        space.provider,
        f"contract request refused: access policy of {offer['@id']!r} excludes {space.rival.did}",
    )


def test_a_dsp_message_for_another_consumers_process_is_not_found(space: Space) -> None:
    _, transfer, edr = space.pull(space.publish({"secret": "P"}))
    provider_pid = transfer["correlationId"]
    consumer_pid = f"urn:uuid:{uuid.uuid4()}"
    for path, body in (
        (f"/transfers/{provider_pid}/suspension", dsp.transfer_suspension(provider_pid, consumer_pid)),
        (f"/transfers/{provider_pid}/termination", dsp.transfer_termination(provider_pid, consumer_pid)),
        (f"/transfers/{provider_pid}/completion", dsp.transfer_completion(provider_pid, consumer_pid)),
    ):
        response = _dsp_post(space, space.token(space.rival), path, body)
        assert response.status_code == 404, response.text
    peek = httpx.get(
        f"{space.provider.dsp}/transfers/{provider_pid}",
        headers={"Authorization": space.token(space.rival)},
        timeout=10,
    )
    assert peek.status_code == 404
    assert fetch(space.consumer, edr).json() == {"secret": "P"}  # the consumer's transfer still runs
    wait_for_log(space.provider, f"transfer message refused: PROVIDER pid {provider_pid!r} is not")
