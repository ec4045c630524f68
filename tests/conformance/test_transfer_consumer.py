"""TCK TP_C:01..03 — transfer process with the node as CONSUMER (pull); the scripted peer is the provider.

The agreement comes from a CN_C negotiation (once per module). The node's operator requests the transfer and
suspends / resumes / completes / terminates it through the management API; the peer sends the provider's
messages to the node's callback address.
"""

from __future__ import annotations

import httpx
import pytest

from ._flows import Operator, Transfer, edr, node_finalized, node_transfer
from ._peer import Peer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def agreement(peer: Peer, operator: Operator) -> str:
    _, agreement_id = node_finalized(peer, operator)
    return agreement_id


def _state(operator: Operator, t: Transfer) -> str:
    return str(operator.client.transfer_process(t.transfer_id)["state"])


def _started(peer: Peer, operator: Operator, agreement: str) -> Transfer:
    t = node_transfer(peer, operator, agreement)
    response = t.send(peer, "start", edr(peer))
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "STARTED"
    return t


def _node_acts(operator: Operator, peer: Peer, t: Transfer, verb: str, expected: str, state: str) -> None:
    operator.act_on_transfer(t.transfer_id, verb)
    message = peer.wait_for(expected, t.provider_pid, path=f"/dsp/transfers/{t.provider_pid}/" + {
        "TransferStartMessage": "start", "TransferSuspensionMessage": "suspension",
        "TransferCompletionMessage": "completion", "TransferTerminationMessage": "termination"}[expected])
    assert message.schema_errors is None, message.schema_errors
    assert _state(operator, t) == state


def _assert_refused(response: httpx.Response, t: Transfer, operator: Operator, state: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["@type"] == "TransferError" and body["consumerPid"] == t.consumer_pid, body
    assert _state(operator, t) == state


# --- TP_C:01 provider acts


def test_tp_c_01_01_started_provider_terminated(peer: Peer, operator: Operator, agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "termination").status_code == 200
    assert _state(operator, t) == "TERMINATED"


def test_tp_c_01_02_started_provider_completed(peer: Peer, operator: Operator, agreement: str) -> None:
    t = _started(peer, operator, agreement)
    reference = operator.client.edr(t.transfer_id)  # the node kept the EDR of our start message
    assert (reference.endpoint, reference.token) == (f"{peer.dsp_base}/data", "peer-token")
    assert t.send(peer, "completion").status_code == 200
    assert _state(operator, t) == "COMPLETED"


def test_tp_c_01_03_started_provider_suspended_provider_terminated(peer: Peer, operator: Operator,
                                                                   agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "suspension").status_code == 200
    assert _state(operator, t) == "SUSPENDED"
    assert t.send(peer, "termination").status_code == 200
    assert _state(operator, t) == "TERMINATED"


def test_tp_c_01_04_started_suspended_provider_resumed_completed(peer: Peer, operator: Operator,
                                                                 agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "suspension").status_code == 200
    assert t.send(peer, "start", edr(peer, "peer-token-2")).status_code == 200
    assert _state(operator, t) == "STARTED"
    assert operator.client.edr(t.transfer_id).token == "peer-token-2"
    assert t.send(peer, "completion").status_code == 200
    assert _state(operator, t) == "COMPLETED"


def test_tp_c_01_05_request_provider_terminated(peer: Peer, operator: Operator, agreement: str) -> None:
    t = node_transfer(peer, operator, agreement)
    assert t.send(peer, "termination").status_code == 200
    assert _state(operator, t) == "TERMINATED"


# --- TP_C:02 node acts


def test_tp_c_02_01_started_consumer_terminated(peer: Peer, operator: Operator, agreement: str) -> None:
    t = _started(peer, operator, agreement)
    _node_acts(operator, peer, t, "terminate", "TransferTerminationMessage", "TERMINATED")


def test_tp_c_02_02_started_consumer_completed(peer: Peer, operator: Operator, agreement: str) -> None:
    t = _started(peer, operator, agreement)
    _node_acts(operator, peer, t, "complete", "TransferCompletionMessage", "COMPLETED")


def test_tp_c_02_03_started_consumer_suspended_consumer_terminated(peer: Peer, operator: Operator,
                                                                   agreement: str) -> None:
    t = _started(peer, operator, agreement)
    _node_acts(operator, peer, t, "suspend", "TransferSuspensionMessage", "SUSPENDED")
    _node_acts(operator, peer, t, "terminate", "TransferTerminationMessage", "TERMINATED")


def test_tp_c_02_04_started_consumer_suspended_resumed_completed(peer: Peer, operator: Operator,
                                                                 agreement: str) -> None:
    t = _started(peer, operator, agreement)
    _node_acts(operator, peer, t, "suspend", "TransferSuspensionMessage", "SUSPENDED")
    _node_acts(operator, peer, t, "resume", "TransferStartMessage", "STARTED")
    _node_acts(operator, peer, t, "complete", "TransferCompletionMessage", "COMPLETED")


def test_tp_c_02_05_request_consumer_terminated(peer: Peer, operator: Operator, agreement: str) -> None:
    t = node_transfer(peer, operator, agreement)
    _node_acts(operator, peer, t, "terminate", "TransferTerminationMessage", "TERMINATED")


# --- TP_C:03 negative


def test_tp_c_03_01_completion_in_requested_is_refused(peer: Peer, operator: Operator,
                                                       agreement: str) -> None:
    t = node_transfer(peer, operator, agreement)
    _assert_refused(t.send(peer, "completion"), t, operator, "REQUESTED")


def test_tp_c_03_02_suspension_in_requested_is_refused(peer: Peer, operator: Operator,
                                                       agreement: str) -> None:
    t = node_transfer(peer, operator, agreement)
    _assert_refused(t.send(peer, "suspension"), t, operator, "REQUESTED")


def test_tp_c_03_03_completion_in_suspended_is_refused(peer: Peer, operator: Operator,
                                                       agreement: str) -> None:
    t = _started(peer, operator, agreement)
    assert t.send(peer, "suspension").status_code == 200
    _assert_refused(t.send(peer, "completion"), t, operator, "SUSPENDED")


@pytest.mark.parametrize("late", ["start", "suspension", "completion"])
def test_tp_c_03_04_to_06_nothing_after_provider_terminated(peer: Peer, operator: Operator, agreement: str,
                                                            late: str) -> None:
    """TP_C:03-04 (start), TP_C:03-05 (suspension), TP_C:03-06 (completion) after a provider termination."""
    t = _started(peer, operator, agreement)
    assert t.send(peer, "termination").status_code == 200
    # A new token, so the late start is not byte-identical to the first one (see the idempotency tests).
    data_address = edr(peer, "late-token") if late == "start" else None
    _assert_refused(t.send(peer, late, data_address), t, operator, "TERMINATED")
