"""TCK CN:01..03 — contract negotiation with the node as PROVIDER, driven by the scripted consumer.

The node agrees at once to a request that replays a catalog offer; a request with other terms waits in
REQUESTED for its operator (management API: agree / offer / terminate). Those operator actions script the
provider's side of each TCK sequence.
"""

from __future__ import annotations

import pytest

from battrace.devnet import NodeProcess

from ._flows import (
    DATASET,
    Negotiation,
    Operator,
    accept,
    catalog_offer,
    counter_request,
    finalized,
    policy_body,
    request,
    request_agreed,
    state_at_node,
    terminate,
    verify,
)
from ._peer import Peer

pytestmark = pytest.mark.integration


def _requested_with_other_terms(peer: Peer, operator: Operator) -> tuple[Negotiation, str]:
    """A request with an added constraint: ACKed REQUESTED, no agreement; returns it and the node's id."""
    before = operator.negotiation_ids()
    n = request(peer, catalog_offer(peer).altered())
    assert n.ack["state"] == "REQUESTED"
    return n, operator.new_negotiation(before)


def _offered(peer: Peer, operator: Operator, node: NodeProcess) -> tuple[Negotiation, str]:
    """REQUESTED with other terms, then the operator counter-offers the catalog terms (→ OFFERED)."""
    n, nid = _requested_with_other_terms(peer, operator)
    offer = catalog_offer(peer)
    operator.act_on_negotiation(nid, "offer", policy_body(offer.body, offer.contexts, DATASET, node.did))
    message = peer.wait_for("ContractOfferMessage", n.consumer_pid)
    assert message.schema_errors is None, message.schema_errors
    assert message.body["providerPid"] == n.provider_pid
    assert state_at_node(peer, n) == "OFFERED"
    return n, nid


def _assert_refused(response_status: int, body: dict[str, object], n: Negotiation) -> None:
    assert response_status == 400, body
    assert body["@type"] == "ContractNegotiationError", body
    assert body["providerPid"] == n.provider_pid and body["consumerPid"] == n.consumer_pid, body


# --- CN:01 positive


def test_cn_01_01_request_offer_consumer_terminated(peer: Peer, operator: Operator,
                                                    node: NodeProcess) -> None:
    n, _ = _offered(peer, operator, node)
    response = terminate(peer, n)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "TERMINATED"
    assert state_at_node(peer, n) == "TERMINATED"


def test_cn_01_02_request_offer_counter_request_provider_terminated(peer: Peer, operator: Operator,
                                                                    node: NodeProcess) -> None:
    n, nid = _offered(peer, operator, node)
    response = counter_request(peer, n, catalog_offer(peer).altered())
    assert response.status_code == 200, response.text
    assert state_at_node(peer, n) == "REQUESTED"
    operator.act_on_negotiation(nid, "terminate", None)
    message = peer.wait_for("ContractNegotiationTerminationMessage", n.consumer_pid)
    assert message.schema_errors is None
    assert state_at_node(peer, n) == "TERMINATED"


def test_cn_01_03_request_offer_accepted_agreement_verified_finalized(peer: Peer, operator: Operator,
                                                                     node: NodeProcess) -> None:
    n, _ = _offered(peer, operator, node)
    response = accept(peer, n)
    assert response.status_code == 200, response.text
    agreement = peer.wait_for("ContractAgreementMessage", n.consumer_pid)
    assert agreement.schema_errors is None, agreement.schema_errors
    assert agreement.body["agreement"]["assignee"] == peer.did
    assert verify(peer, n).status_code == 200
    assert peer.wait_for("FINALIZED", n.consumer_pid).schema_errors is None
    assert state_at_node(peer, n) == "FINALIZED"


def test_cn_01_04_request_agreement_verified_finalized(peer: Peer) -> None:
    n, agreement = request_agreed(peer)
    body = agreement["agreement"]
    assert (body["target"], body["assignee"], body["assigner"]) == (DATASET, peer.did, peer.node_did)
    response = verify(peer, n)
    assert response.status_code == 200, response.text
    peer.wait_for("FINALIZED", n.consumer_pid)
    assert state_at_node(peer, n) == "FINALIZED"


# --- CN:02 terminations


def test_cn_02_01_request_provider_terminated(peer: Peer, operator: Operator) -> None:
    n, nid = _requested_with_other_terms(peer, operator)
    operator.act_on_negotiation(nid, "terminate", None)
    assert peer.wait_for("ContractNegotiationTerminationMessage", n.consumer_pid).schema_errors is None
    assert state_at_node(peer, n) == "TERMINATED"


def test_cn_02_02_request_consumer_terminated(peer: Peer, operator: Operator) -> None:
    n, nid = _requested_with_other_terms(peer, operator)
    assert terminate(peer, n).status_code == 200
    assert operator.negotiation(nid)["state"] == "TERMINATED"
    peer.assert_silent(n.consumer_pid)


def test_cn_02_03_request_agreement_consumer_terminated(peer: Peer) -> None:
    n, _ = request_agreed(peer)
    response = terminate(peer, n)
    assert response.status_code == 200, response.text
    assert state_at_node(peer, n) == "TERMINATED"


def test_cn_02_04_request_offer_consumer_terminated(peer: Peer, operator: Operator,
                                                    node: NodeProcess) -> None:
    n, nid = _offered(peer, operator, node)
    assert terminate(peer, n).status_code == 200
    assert operator.negotiation(nid)["state"] == "TERMINATED"


def test_cn_02_05_request_offer_provider_terminated(peer: Peer, operator: Operator,
                                                    node: NodeProcess) -> None:
    n, nid = _offered(peer, operator, node)
    operator.act_on_negotiation(nid, "terminate", None)
    assert peer.wait_for("ContractNegotiationTerminationMessage", n.consumer_pid).schema_errors is None
    assert state_at_node(peer, n) == "TERMINATED"


# --- CN:03 negative


def test_cn_03_01_termination_after_finalized_is_refused(peer: Peer) -> None:
    n, _ = finalized(peer)
    response = terminate(peer, n)
    _assert_refused(response.status_code, response.json(), n)
    assert state_at_node(peer, n) == "FINALIZED"


def test_cn_03_02_verification_in_offered_is_refused(peer: Peer, operator: Operator,
                                                     node: NodeProcess) -> None:
    n, _ = _offered(peer, operator, node)
    response = verify(peer, n)
    _assert_refused(response.status_code, response.json(), n)
    assert state_at_node(peer, n) == "OFFERED"


def test_cn_03_03_verification_in_accepted_is_refused(peer: Peer, operator: Operator,
                                                      node: NodeProcess) -> None:
    n, _ = _offered(peer, operator, node)
    for _ in range(3):  # the consumer has not acknowledged any agreement yet
        peer.answer_next("ContractAgreementMessage", 503, None)
    assert accept(peer, n).status_code == 200
    response = verify(peer, n)
    _assert_refused(response.status_code, response.json(), n)


def test_cn_03_04_second_counter_request_while_requested_is_refused(peer: Peer, operator: Operator,
                                                                    node: NodeProcess) -> None:
    n, _ = _offered(peer, operator, node)
    assert counter_request(peer, n, catalog_offer(peer).altered()).status_code == 200
    response = counter_request(peer, n, catalog_offer(peer).altered())
    _assert_refused(response.status_code, response.json(), n)
    assert state_at_node(peer, n) == "REQUESTED"
