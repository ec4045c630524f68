"""Rules that hold for every DSP exchange (DSP 2025-1 §1, §3.3, §4.3): unknown and foreign process ids,
idempotent redelivery, the shape of everything the node sends, and single-use tokens."""

from __future__ import annotations

import pytest

from battrace.dsp import messages as dsp
from battrace.jsonld import DSP_CONTEXT

from ._flows import (
    Operator,
    catalog_offer,
    edr,
    finalized,
    node_finalized,
    node_transfer,
    provider_started,
    request,
    request_agreed,
    state_at_node,
    terminate,
    transfer_state_at_node,
    verify,
)
from ._peer import Peer, token_claims

pytestmark = pytest.mark.integration


@pytest.mark.usefixtures("node")  # the node the peer targets (the peer alone knows no node)
def test_unknown_process_ids_are_404_with_the_protocol_error_body(peer: Peer) -> None:
    unknown = "urn:uuid:00000000-0000-0000-0000-000000000000"
    response = peer.get(f"/negotiations/{unknown}")
    assert response.status_code == 404 and response.json()["@type"] == "ContractNegotiationError"
    message = dsp.transfer_completion(unknown, "urn:uuid:whatever")
    response = peer.send(f"/transfers/{unknown}/completion", message)
    assert response.status_code == 404 and response.json()["@type"] == "TransferError"
    assert peer.get(f"/transfers/{unknown}").status_code == 404


def test_a_foreign_caller_cannot_see_or_touch_another_participants_processes(peer: Peer, stranger: Peer,
                                                                             operator: Operator) -> None:
    n = request(peer, catalog_offer(peer).altered())  # waits in REQUESTED
    assert stranger.get(f"/negotiations/{n.provider_pid}").status_code == 404
    assert terminate(stranger, n).status_code == 404  # same pids, wrong caller
    assert state_at_node(peer, n) == "REQUESTED"
    _, agreement = finalized(peer)
    t, _ = provider_started(peer, operator, agreement)
    assert stranger.get(f"/transfers/{t.provider_pid}").status_code == 404
    assert t.send(stranger, "termination").status_code == 404
    assert transfer_state_at_node(peer, t) == "STARTED"


def test_a_redelivered_message_gets_the_same_answer_and_changes_state_once(peer: Peer) -> None:
    n, _ = request_agreed(peer)
    first, second = verify(peer, n), verify(peer, n)
    assert (first.status_code, first.json()) == (second.status_code, second.json())
    peer.wait_for("FINALIZED", n.consumer_pid)
    peer.assert_silent(n.consumer_pid)  # one FINALIZED event, not two


def test_every_message_the_node_sends_is_schema_valid_signed_for_us_and_has_the_dsp_context(
        peer: Peer, operator: Operator) -> None:
    _, agreement = finalized(peer)  # node as provider: agreement, FINALIZED
    t, _ = provider_started(peer, operator, agreement)
    operator.act_on_transfer(t.transfer_id, "suspend")
    peer.wait_for("TransferSuspensionMessage", t.consumer_pid)
    node_finalized(peer, operator)  # node as consumer: request, verification
    assert len({m.kind for m in peer.received}) >= 6
    for message in peer.received:
        assert message.schema_errors is None, (message.path, message.schema_errors)
        context = message.body["@context"]
        assert isinstance(context, list) and DSP_CONTEXT in context, (message.path, context)
        claims = token_claims(message.authorization)
        assert (claims.get("iss"), claims.get("aud")) == (peer.node_did, peer.did), message.path


def test_a_replayed_token_is_refused_401(peer: Peer) -> None:
    token = peer.token(jti="urn:tck:single-use-jti")
    catalog_request = {"@context": [DSP_CONTEXT], "@type": "CatalogRequestMessage"}
    assert peer.send("/catalog/request", catalog_request, token=token).status_code == 200
    assert peer.send("/catalog/request", catalog_request, token=token).status_code == 401


_SAME_BODY = (
    "node bug: inbound idempotency is keyed on (role, path, caller, canonical body) only "
    "(connector/processes.py message_key), so a NEW message whose body equals an earlier one "
    "{case} is taken for a redelivery: the node answers the stale recorded ACK ({stale}) and does not apply "
    "or refuse it. Expected: {expected}.")


def test_a_second_suspension_after_a_resume_is_not_mistaken_for_a_redelivery(peer: Peer,
                                                                           operator: Operator) -> None:
    _, agreement = finalized(peer)
    t, _ = provider_started(peer, operator, agreement)
    for suffix in ("suspension", "start", "suspension"):
        assert t.send(peer, suffix).status_code == 200
    assert transfer_state_at_node(peer, t) == "SUSPENDED"


def test_an_identical_start_after_termination_is_refused(peer: Peer, operator: Operator) -> None:
    _, agreement = node_finalized(peer, operator)
    t = node_transfer(peer, operator, agreement)
    assert t.send(peer, "start", edr(peer)).status_code == 200
    assert t.send(peer, "termination").status_code == 200
    assert t.send(peer, "start", edr(peer)).status_code == 400
