"""The node as PROVIDER with auto_approve off: its operator agrees, finalizes, starts and terminates.

With auto_approve off the node rests in REQUESTED, ACCEPTED, VERIFIED (negotiation) and REQUESTED (transfer)
until its operator acts through the management API. That makes the TCK cases where the *provider*
terminates in ACCEPTED (CN:02-06), in VERIFIED (CN:02-07) and in REQUESTED (TP:01-05) scriptable, and the
manual happy path (agree → finalize, start) testable end to end. The scripted peer is the consumer.
"""

from __future__ import annotations

import httpx
import pytest

from battrace.client import ManagementError
from battrace.devnet import NodeProcess
from battrace.dsp.messages import read_edr

from ._flows import (
    DATASET,
    Negotiation,
    Operator,
    Transfer,
    accept,
    catalog_offer,
    policy_body,
    request,
    state_at_node,
    transfer_request,
    transfer_state_at_node,
    verify,
)
from ._peer import Peer

pytestmark = pytest.mark.integration


def _requested(peer: Peer, operator: Operator) -> tuple[Negotiation, str]:
    """A request replaying the catalog offer: ACKed REQUESTED, and the node waits (no agreement is sent)."""
    before = operator.negotiation_ids()
    n = request(peer, catalog_offer(peer))
    assert n.ack["state"] == "REQUESTED"
    nid = operator.new_negotiation(before)
    peer.assert_silent(n.consumer_pid)
    assert state_at_node(peer, n) == "REQUESTED"
    return n, nid


def _agreed(peer: Peer, operator: Operator) -> tuple[Negotiation, str, str]:
    """REQUESTED, then the operator agrees: the ContractAgreementMessage reaches the peer (and validates)."""
    n, nid = _requested(peer, operator)
    operator.act_on_negotiation(nid, "agree")
    agreement = peer.wait_for("ContractAgreementMessage", n.consumer_pid)
    assert agreement.schema_errors is None, agreement.schema_errors
    body = agreement.body["agreement"]
    assert (body["target"], body["assignee"], body["assigner"]) == (DATASET, peer.did, peer.node_did)
    assert state_at_node(peer, n) == "AGREED"
    return n, nid, str(body["@id"])


def _verified(peer: Peer, operator: Operator) -> tuple[Negotiation, str, str]:
    """Agreed, then the consumer verifies: the node ACKs VERIFIED and waits for its operator to finalize."""
    n, nid, agreement_id = _agreed(peer, operator)
    response = verify(peer, n)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "VERIFIED"
    peer.assert_silent(n.consumer_pid)
    assert state_at_node(peer, n) == "VERIFIED"
    return n, nid, agreement_id


def _finalized(peer: Peer, operator: Operator) -> tuple[Negotiation, str]:
    """Verified, then the operator finalizes: FINALIZED reaches the peer; returns the agreement id."""
    n, nid, agreement_id = _verified(peer, operator)
    operator.act_on_negotiation(nid, "finalize")
    event = peer.wait_for("FINALIZED", n.consumer_pid)
    assert event.schema_errors is None, event.schema_errors
    assert event.body["providerPid"] == n.provider_pid
    assert state_at_node(peer, n) == "FINALIZED"
    return n, agreement_id


def _accepted(peer: Peer, operator: Operator, node: NodeProcess) -> tuple[Negotiation, str]:
    """REQUESTED, the operator offers the catalog terms (OFFERED), the consumer accepts: the node waits."""
    n, nid = _requested(peer, operator)
    offer = catalog_offer(peer)
    operator.act_on_negotiation(nid, "offer", policy_body(offer.body, offer.contexts, DATASET, node.did))
    offered = peer.wait_for("ContractOfferMessage", n.consumer_pid)
    assert offered.schema_errors is None, offered.schema_errors
    assert state_at_node(peer, n) == "OFFERED"
    response = accept(peer, n)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "ACCEPTED"
    peer.assert_silent(n.consumer_pid)  # no agreement until the operator agrees
    assert state_at_node(peer, n) == "ACCEPTED"
    return n, nid


def _terminated_by_operator(peer: Peer, operator: Operator, n: Negotiation, nid: str) -> None:
    operator.act_on_negotiation(nid, "terminate")
    message = peer.wait_for("ContractNegotiationTerminationMessage", n.consumer_pid)
    assert message.schema_errors is None, message.schema_errors
    assert message.pids() == (n.provider_pid, n.consumer_pid)
    assert state_at_node(peer, n) == "TERMINATED"
    assert operator.negotiation(nid)["state"] == "TERMINATED"


@pytest.fixture(scope="module")
def manual_agreement(manual_peer: Peer, manual_operator: Operator) -> str:
    _, agreement_id = _finalized(manual_peer, manual_operator)
    return agreement_id


# --- TCK cases that need a provider resting in a state


def test_cn_02_06_request_offer_accepted_provider_terminated(manual_peer: Peer, manual_operator: Operator,
                                                             manual_node: NodeProcess) -> None:
    n, nid = _accepted(manual_peer, manual_operator, manual_node)
    _terminated_by_operator(manual_peer, manual_operator, n, nid)
    manual_peer.assert_silent(n.consumer_pid)  # never an agreement after the termination


def test_cn_02_07_request_agreement_verified_provider_terminated(manual_peer: Peer,
                                                                 manual_operator: Operator) -> None:
    n, nid, _ = _verified(manual_peer, manual_operator)
    _terminated_by_operator(manual_peer, manual_operator, n, nid)
    manual_peer.assert_silent(n.consumer_pid)  # never a FINALIZED event after the termination


def test_tp_01_05_request_provider_terminated(manual_peer: Peer, manual_operator: Operator,
                                              manual_agreement: str) -> None:
    t = _transfer_requested(manual_peer, manual_operator, manual_agreement)
    manual_operator.act_on_transfer(t.transfer_id, "terminate")
    message = manual_peer.wait_for("TransferTerminationMessage", t.consumer_pid)
    assert message.schema_errors is None, message.schema_errors
    assert message.pids() == (t.provider_pid, t.consumer_pid)
    assert transfer_state_at_node(manual_peer, t) == "TERMINATED"
    kinds = [m.kind for m in manual_peer.about(t.consumer_pid)]
    assert kinds == ["TransferTerminationMessage"], kinds  # never started


def _transfer_requested(peer: Peer, operator: Operator, agreement_id: str) -> Transfer:
    """A pull request: ACKed REQUESTED, and the node waits for its operator (no TransferStartMessage)."""
    t = transfer_request(peer, operator, agreement_id)
    peer.assert_silent(t.consumer_pid)
    assert transfer_state_at_node(peer, t) == "REQUESTED"
    assert operator.client.transfer_process(t.transfer_id)["state"] == "REQUESTED"
    return t


# --- the manual happy path


def test_operator_agrees_and_finalizes_a_catalog_offer_request(manual_peer: Peer,
                                                               manual_operator: Operator) -> None:
    n, agreement_id = _finalized(manual_peer, manual_operator)
    agreements = manual_operator.client.call("POST", "/management/v3/contractagreements/request")
    assert agreement_id in {a["@id"] for a in agreements}
    manual_peer.assert_silent(n.consumer_pid)


def test_operator_agrees_after_the_consumer_accepted_an_offer(manual_peer: Peer, manual_operator: Operator,
                                                              manual_node: NodeProcess) -> None:
    n, nid = _accepted(manual_peer, manual_operator, manual_node)
    manual_operator.act_on_negotiation(nid, "agree")
    agreement = manual_peer.wait_for("ContractAgreementMessage", n.consumer_pid)
    assert agreement.schema_errors is None, agreement.schema_errors
    assert verify(manual_peer, n).status_code == 200
    assert state_at_node(manual_peer, n) == "VERIFIED"
    manual_operator.act_on_negotiation(nid, "finalize")
    assert manual_peer.wait_for("FINALIZED", n.consumer_pid).schema_errors is None
    assert state_at_node(manual_peer, n) == "FINALIZED"


def test_operator_starts_a_requested_transfer_and_the_consumer_fetches_data(
        manual_peer: Peer, manual_operator: Operator, manual_agreement: str) -> None:
    t = _transfer_requested(manual_peer, manual_operator, manual_agreement)
    manual_operator.act_on_transfer(t.transfer_id, "start")
    start = manual_peer.wait_for("TransferStartMessage", t.consumer_pid)
    assert start.schema_errors is None, start.schema_errors
    assert start.pids() == (t.provider_pid, t.consumer_pid)
    endpoint, token, expires_in = read_edr(start.body["dataAddress"])
    assert expires_in > 0
    assert transfer_state_at_node(manual_peer, t) == "STARTED"
    fetched = manual_peer.fetch(endpoint, token)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["passport"] == "NMC811"


# --- TCK negatives against a provider resting in the state while its operator decides


def _assert_refused(response: httpx.Response, error_type: str, provider_pid: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["@type"] == error_type and body["providerPid"] == provider_pid, body


def test_cn_03_03_verification_in_accepted_is_refused_while_the_operator_decides(
        manual_peer: Peer, manual_operator: Operator, manual_node: NodeProcess) -> None:
    n, _ = _accepted(manual_peer, manual_operator, manual_node)
    _assert_refused(verify(manual_peer, n), "ContractNegotiationError", n.provider_pid)
    assert state_at_node(manual_peer, n) == "ACCEPTED"


@pytest.mark.parametrize("early", ["completion", "suspension"])
def test_tp_03_01_and_02_nothing_but_termination_before_the_operator_starts(
        manual_peer: Peer, manual_operator: Operator, manual_agreement: str, early: str) -> None:
    """TP:03-01 (completion) and TP:03-02 (suspension) while the transfer is REQUESTED."""
    t = _transfer_requested(manual_peer, manual_operator, manual_agreement)
    _assert_refused(t.send(manual_peer, early), "TransferError", t.provider_pid)
    assert transfer_state_at_node(manual_peer, t) == "REQUESTED"


# --- operator actions out of turn are refused and change nothing


def test_operator_cannot_finalize_before_the_consumer_verified(manual_peer: Peer,
                                                               manual_operator: Operator) -> None:
    n, nid, _ = _agreed(manual_peer, manual_operator)
    with pytest.raises(ManagementError) as refused:
        manual_operator.act_on_negotiation(nid, "finalize")
    assert refused.value.status in (400, 409)
    assert state_at_node(manual_peer, n) == "AGREED"
    manual_peer.assert_silent(n.consumer_pid)


def test_operator_cannot_start_a_transfer_twice(manual_peer: Peer, manual_operator: Operator,
                                                manual_agreement: str) -> None:
    t = _transfer_requested(manual_peer, manual_operator, manual_agreement)
    manual_operator.act_on_transfer(t.transfer_id, "start")
    manual_peer.wait_for("TransferStartMessage", t.consumer_pid)
    with pytest.raises(ManagementError) as refused:
        manual_operator.act_on_transfer(t.transfer_id, "start")
    assert refused.value.status in (400, 409)
    manual_peer.assert_silent(t.consumer_pid)
    assert transfer_state_at_node(manual_peer, t) == "STARTED"


# --- an operator's decision takes effect when the consumer ACKs it (DSP 2025-1 §3.1, §4.1)


def test_operator_agreement_the_consumer_did_not_ack_leaves_the_negotiation_requested(
        manual_peer: Peer, manual_operator: Operator) -> None:
    n, nid = _requested(manual_peer, manual_operator)
    for _ in range(10):  # the consumer keeps failing to take the agreement
        manual_peer.answer_next("ContractAgreementMessage", 503, None)
    manual_operator.act_on_negotiation(nid, "agree")
    assert manual_peer.wait_for("ContractAgreementMessage", n.consumer_pid).status == 503
    assert state_at_node(manual_peer, n) == "REQUESTED"
    _assert_refused(verify(manual_peer, n), "ContractNegotiationError", n.provider_pid)


def test_operator_start_the_consumer_did_not_ack_leaves_the_transfer_requested(
        manual_peer: Peer, manual_operator: Operator, manual_agreement: str) -> None:
    t = _transfer_requested(manual_peer, manual_operator, manual_agreement)
    for _ in range(10):
        manual_peer.answer_next("TransferStartMessage", 503, None)
    manual_operator.act_on_transfer(t.transfer_id, "start")
    assert manual_peer.wait_for("TransferStartMessage", t.consumer_pid).status == 503
    assert transfer_state_at_node(manual_peer, t) == "REQUESTED"
    _assert_refused(t.send(manual_peer, "completion"), "TransferError", t.provider_pid)
