"""TCK CN_C:01..03 — contract negotiation with the node as CONSUMER; the scripted peer is the provider.

The node's operator starts the negotiation (management API) and decides on offers (accept / counter-request
/ terminate); the node verifies a matching agreement on its own and terminates a mismatching one.
"""

from __future__ import annotations

import httpx
import pytest

from ._flows import (
    PEER_DATASET,
    NodeConsumer,
    Operator,
    agreement_to_node,
    consumer_state,
    finalize_node,
    node_requests,
    offer_to_node,
    peer_offer,
    policy_body,
    terminate_node,
)
from ._peer import Peer

pytestmark = pytest.mark.integration


def _offered(peer: Peer, operator: Operator) -> NodeConsumer:
    n = node_requests(peer, operator)
    response = offer_to_node(peer, n)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "OFFERED"
    return n


def _accepted(peer: Peer, operator: Operator) -> NodeConsumer:
    n = _offered(peer, operator)
    operator.act_on_negotiation(n.negotiation_id, "accept")
    assert peer.wait_for("ACCEPTED", n.provider_pid).schema_errors is None
    assert consumer_state(peer, n) == "ACCEPTED"
    return n


def _assert_refused(response: httpx.Response, n: NodeConsumer, state: str, peer: Peer) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["@type"] == "ContractNegotiationError", body
    assert body["consumerPid"] == n.consumer_pid, body
    assert consumer_state(peer, n) == state


def _verified_and_finalized(peer: Peer, operator: Operator, n: NodeConsumer) -> None:
    response = agreement_to_node(peer, n)
    assert response.status_code == 200, response.text
    assert peer.wait_for("ContractAgreementVerificationMessage", n.provider_pid).schema_errors is None
    assert finalize_node(peer, n).status_code == 200
    operator.wait_negotiation(n.negotiation_id, "FINALIZED")


# --- CN_C:01 positive


def test_cn_c_01_01_offer_accepted_agreed_verified_finalized(peer: Peer, operator: Operator) -> None:
    n = _accepted(peer, operator)
    _verified_and_finalized(peer, operator, n)


def test_cn_c_01_02_offer_counter_request_provider_terminated(peer: Peer, operator: Operator) -> None:
    n = _offered(peer, operator)
    counter = peer_offer(peer, "urn:tck:counter-request")
    operator.act_on_negotiation(n.negotiation_id, "request", policy_body(counter, [], PEER_DATASET, peer.did))
    path = f"/negotiations/{n.provider_pid}/request"
    message = peer.wait_for("ContractRequestMessage", n.provider_pid, path=path)
    assert message.schema_errors is None, message.schema_errors
    assert terminate_node(peer, n).status_code == 200
    operator.wait_negotiation(n.negotiation_id, "TERMINATED")


def test_cn_c_01_03_offer_consumer_terminated(peer: Peer, operator: Operator) -> None:
    n = _offered(peer, operator)
    operator.act_on_negotiation(n.negotiation_id, "terminate")
    assert peer.wait_for("ContractNegotiationTerminationMessage", n.provider_pid).schema_errors is None
    operator.wait_negotiation(n.negotiation_id, "TERMINATED")


def test_cn_c_01_04_agreement_verified_finalized(peer: Peer, operator: Operator) -> None:
    n = node_requests(peer, operator)
    _verified_and_finalized(peer, operator, n)
    assert operator.negotiation(n.negotiation_id)["contractAgreementId"]


# --- CN_C:02 terminations


def test_cn_c_02_01_request_provider_terminated(peer: Peer, operator: Operator) -> None:
    n = node_requests(peer, operator)
    assert terminate_node(peer, n).status_code == 200
    operator.wait_negotiation(n.negotiation_id, "TERMINATED")


def test_cn_c_02_02_request_consumer_terminated(peer: Peer, operator: Operator) -> None:
    n = node_requests(peer, operator)
    operator.act_on_negotiation(n.negotiation_id, "terminate")
    assert peer.wait_for("ContractNegotiationTerminationMessage", n.provider_pid).schema_errors is None
    operator.wait_negotiation(n.negotiation_id, "TERMINATED")


def test_cn_c_02_03_agreement_consumer_terminated(peer: Peer, operator: Operator) -> None:
    # The node terminates an agreement that is not for it (assigned to someone else) instead of verifying.
    n = node_requests(peer, operator)
    assert agreement_to_node(peer, n, assignee="did:web:someone-else.example").status_code == 200
    message = peer.wait_for("ContractNegotiationTerminationMessage", n.provider_pid)
    assert message.schema_errors is None and message.body.get("code") == "AGREEMENT_MISMATCH"
    operator.wait_negotiation(n.negotiation_id, "TERMINATED")


def test_cn_c_02_04_offer_provider_terminated(peer: Peer, operator: Operator) -> None:
    n = _offered(peer, operator)
    assert terminate_node(peer, n).status_code == 200
    operator.wait_negotiation(n.negotiation_id, "TERMINATED")


def test_cn_c_02_05_offer_accepted_provider_terminated(peer: Peer, operator: Operator) -> None:
    n = _accepted(peer, operator)
    assert terminate_node(peer, n).status_code == 200
    operator.wait_negotiation(n.negotiation_id, "TERMINATED")


def test_cn_c_02_06_agreement_verified_provider_terminated(peer: Peer, operator: Operator) -> None:
    n = node_requests(peer, operator)
    assert agreement_to_node(peer, n).status_code == 200
    peer.wait_for("ContractAgreementVerificationMessage", n.provider_pid)
    assert terminate_node(peer, n).status_code == 200
    operator.wait_negotiation(n.negotiation_id, "TERMINATED")


# --- CN_C:03 negative


def test_cn_c_03_01_finalized_right_after_request_is_refused(peer: Peer, operator: Operator) -> None:
    n = node_requests(peer, operator)
    _assert_refused(finalize_node(peer, n), n, "REQUESTED", peer)


def test_cn_c_03_02_agreement_in_offered_is_refused(peer: Peer, operator: Operator) -> None:
    n = _offered(peer, operator)
    _assert_refused(agreement_to_node(peer, n), n, "OFFERED", peer)


def test_cn_c_03_03_finalized_in_offered_is_refused(peer: Peer, operator: Operator) -> None:
    n = _offered(peer, operator)
    _assert_refused(finalize_node(peer, n), n, "OFFERED", peer)


def test_cn_c_03_04_finalized_in_accepted_is_refused(peer: Peer, operator: Operator) -> None:
    n = _accepted(peer, operator)
    _assert_refused(finalize_node(peer, n), n, "ACCEPTED", peer)


def test_cn_c_03_05_offer_in_accepted_is_refused(peer: Peer, operator: Operator) -> None:
    n = _accepted(peer, operator)
    _assert_refused(offer_to_node(peer, n, "urn:tck:late-offer"), n, "ACCEPTED", peer)


def test_cn_c_03_06_finalized_in_agreed_is_refused(peer: Peer, operator: Operator) -> None:
    n = _accepted(peer, operator)
    for _ in range(3):  # the provider does not acknowledge the verification
        peer.answer_next("ContractAgreementVerificationMessage", 503, None)
    assert agreement_to_node(peer, n).status_code == 200
    _assert_refused(finalize_node(peer, n), n, "AGREED", peer)
