"""TCK TP:01..03 — transfer process with the node as PROVIDER (pull), the scripted peer as consumer.

Every case first reaches a FINALIZED agreement (CN:01-04, once per module). The node starts a pull transfer
at once with an endpoint data reference; its operator suspends / resumes / completes / terminates through
the management API.
"""

from __future__ import annotations

import httpx
import pytest

from battrace.dsp.messages import read_edr

from ._flows import Operator, Transfer, finalized, provider_started, transfer_request, transfer_state_at_node
from ._peer import Peer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def agreement(peer: Peer, operator: Operator) -> str:
    del operator  # the node must be up
    _, agreement_id = finalized(peer)
    return agreement_id


def _started(peer: Peer, operator: Operator, agreement: str) -> Transfer:
    t, start = provider_started(peer, operator, agreement)
    endpoint, token, expires_in = read_edr(start["dataAddress"])
    assert endpoint and token and expires_in > 0
    assert transfer_state_at_node(peer, t) == "STARTED"
    return t


def _operator(operator: Operator, peer: Peer, t: Transfer, verb: str, expected: str) -> None:
    operator.act_on_transfer(t.transfer_id, verb)
    message = peer.wait_for(expected, t.consumer_pid)
    assert message.schema_errors is None, message.schema_errors


def _assert_refused(response: httpx.Response, t: Transfer, peer: Peer, state: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["@type"] == "TransferError", body
    assert body["providerPid"] == t.provider_pid, body
    assert transfer_state_at_node(peer, t) == state


# --- TP:01 provider acts


def test_tp_01_01_started_provider_terminated(peer: Peer, operator: Operator, agreement: str) -> None:
    t = _started(peer, operator, agreement)
    _operator(operator, peer, t, "terminate", "TransferTerminationMessage")
    assert transfer_state_at_node(peer, t) == "TERMINATED"


def test_tp_01_02_started_provider_completed(peer: Peer, operator: Operator, agreement: str) -> None:
    t, start = provider_started(peer, operator, agreement)
    endpoint, token, _ = read_edr(start["dataAddress"])
    fetched = peer.fetch(endpoint, token)
    assert fetched.status_code == 200 and fetched.json()["passport"] == "NMC811"
    _operator(operator, peer, t, "complete", "TransferCompletionMessage")
    assert transfer_state_at_node(peer, t) == "COMPLETED"
    assert peer.fetch(endpoint, token).status_code in (401, 403)


def test_tp_01_03_started_provider_suspended_provider_terminated(peer: Peer, operator: Operator,
                                                                 agreement: str) -> None:
    t = _started(peer, operator, agreement)
    _operator(operator, peer, t, "suspend", "TransferSuspensionMessage")
    assert transfer_state_at_node(peer, t) == "SUSPENDED"
    _operator(operator, peer, t, "terminate", "TransferTerminationMessage")
    assert transfer_state_at_node(peer, t) == "TERMINATED"


def test_tp_01_04_started_suspended_provider_resumed_completed(peer: Peer, operator: Operator,
                                                               agreement: str) -> None:
    t = _started(peer, operator, agreement)
    _operator(operator, peer, t, "suspend", "TransferSuspensionMessage")
    operator.act_on_transfer(t.transfer_id, "resume")
    restart = peer.wait_for("TransferStartMessage", t.consumer_pid)
    assert restart.schema_errors is None and read_edr(restart.body["dataAddress"])[1]
    assert transfer_state_at_node(peer, t) == "STARTED"
    _operator(operator, peer, t, "complete", "TransferCompletionMessage")
    assert transfer_state_at_node(peer, t) == "COMPLETED"


# --- TP:02 consumer acts


def test_tp_02_01_started_consumer_terminated(peer: Peer, operator: Operator, agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "termination").status_code == 200
    assert transfer_state_at_node(peer, t) == "TERMINATED"
    peer.assert_silent(t.consumer_pid)


def test_tp_02_02_started_consumer_completed(peer: Peer, operator: Operator, agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "completion").status_code == 200
    assert transfer_state_at_node(peer, t) == "COMPLETED"


def test_tp_02_03_started_consumer_suspended_consumer_terminated(peer: Peer, operator: Operator,
                                                                 agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "suspension").status_code == 200
    assert transfer_state_at_node(peer, t) == "SUSPENDED"
    assert t.send(peer, "termination").status_code == 200
    assert transfer_state_at_node(peer, t) == "TERMINATED"


def test_tp_02_04_started_consumer_suspended_consumer_resumed_completed(peer: Peer, operator: Operator,
                                                                        agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "suspension").status_code == 200
    assert t.send(peer, "start").status_code == 200
    assert transfer_state_at_node(peer, t) == "STARTED"
    assert t.send(peer, "completion").status_code == 200
    assert transfer_state_at_node(peer, t) == "COMPLETED"


def test_tp_02_05_request_consumer_terminated(peer: Peer, operator: Operator, agreement: str) -> None:
    for _ in range(3):  # the consumer terminates before it has acknowledged any start
        peer.answer_next("TransferStartMessage", 503, None)
    t = transfer_request(peer, operator, agreement)
    assert t.send(peer, "termination").status_code == 200
    assert transfer_state_at_node(peer, t) == "TERMINATED"


# --- TP:03 negative


def test_tp_03_01_completion_in_requested_is_refused(peer: Peer, operator: Operator, agreement: str) -> None:
    for _ in range(3):
        peer.answer_next("TransferStartMessage", 503, None)
    t = transfer_request(peer, operator, agreement)
    _assert_refused(t.send(peer, "completion"), t, peer, "REQUESTED")


def test_tp_03_02_suspension_in_requested_is_refused(peer: Peer, operator: Operator, agreement: str) -> None:
    for _ in range(3):
        peer.answer_next("TransferStartMessage", 503, None)
    t = transfer_request(peer, operator, agreement)
    _assert_refused(t.send(peer, "suspension"), t, peer, "REQUESTED")


def test_tp_03_03_completion_in_suspended_is_refused(peer: Peer, operator: Operator, agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "suspension").status_code == 200
    _assert_refused(t.send(peer, "completion"), t, peer, "SUSPENDED")


@pytest.mark.parametrize("late", ["start", "suspension", "completion"])
def test_tp_03_04_to_06_nothing_after_consumer_terminated(peer: Peer, operator: Operator, agreement: str,
                                                          late: str) -> None:
    """TP:03-04 (start), TP:03-05 (suspension), TP:03-06 (completion) after a consumer termination."""
    t = _started(peer, operator, agreement)
    assert t.send(peer, "termination").status_code == 200
    _assert_refused(t.send(peer, late), t, peer, "TERMINATED")
