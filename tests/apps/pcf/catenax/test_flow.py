"""The PCF Exchange KIT protocol: GET request → 202, PUT response, PUT update; who may send what, when."""

from __future__ import annotations

import uuid

import pytest

from battrace.apps.pcf.catenax.flow import (
    STATUS,
    TRANSITIONS,
    Event,
    Ledger,
    Message,
    Role,
    State,
    apply,
    read_call,
    request_target,
    response_target,
    semantic_id_of,
)
from battrace.errors import Conflict, Forbidden, InvalidInput, NotFound

CARMAKER = "BPNL00000001CARM"
CELL_MAKER = "BPNL00000003CELL"
PRODUCT = "urn:pact:cells.example.jp:product-id:C60-811"
RID = uuid.UUID("00000000-0000-4000-8000-000000000001")
PAYLOAD_A = "a" * 64
PAYLOAD_B = "b" * 64


def request(rid: uuid.UUID = RID, product: str = PRODUCT, message: str | None = "please") -> Message:
    return Message(Event.REQUEST, Role.CONSUMER, CARMAKER, product, rid, message)


def response(rid: uuid.UUID = RID, digest: str = PAYLOAD_A, product: str = PRODUCT) -> Message:
    return Message(Event.RESPONSE, Role.PROVIDER, CELL_MAKER, product, rid, payload_sha256=digest)


def update(digest: str = PAYLOAD_B, product: str = PRODUCT) -> Message:
    return Message(Event.UPDATE, Role.PROVIDER, CELL_MAKER, product, None, payload_sha256=digest)


def run(*messages: Message) -> Ledger:
    ledger = Ledger.EMPTY
    for message in messages:
        ledger = apply(ledger, message, consumer_bpn=CARMAKER).ledger
    return ledger


# -- the happy path --------------------------------------------------------------------------------------


def test_a_request_is_accepted_with_202_and_opens_the_exchange() -> None:
    outcome = apply(Ledger.EMPTY, request())
    assert outcome.status == 202
    assert outcome.exchange.state is State.REQUESTED
    assert outcome.ledger.exchanges[RID].consumer_bpn == CARMAKER


def test_the_response_with_the_same_request_id_is_taken_with_200() -> None:
    outcome = apply(run(request()), response(), consumer_bpn=CARMAKER)
    assert (outcome.status, outcome.exchange.state) == (200, State.ANSWERED)
    assert outcome.exchange.answers == (PAYLOAD_A,)


def test_a_later_update_without_request_id_is_taken_for_an_answered_product() -> None:
    outcome = apply(run(request(), response()), update(), consumer_bpn=CARMAKER)
    assert outcome.status == 200
    assert outcome.exchange.answers == (PAYLOAD_A, PAYLOAD_B)
    assert not outcome.repeated


# -- idempotency by requestId ----------------------------------------------------------------------------


def test_the_same_request_again_is_answered_202_and_changes_nothing() -> None:
    ledger = run(request())
    outcome = apply(ledger, request())
    assert (outcome.status, outcome.repeated, outcome.ledger) == (202, True, ledger)


def test_the_same_response_again_is_answered_200_and_changes_nothing() -> None:
    ledger = run(request(), response())
    outcome = apply(ledger, response(), consumer_bpn=CARMAKER)
    assert (outcome.status, outcome.repeated, outcome.ledger) == (200, True, ledger)


def test_a_second_different_response_to_one_request_is_a_conflict_it_should_be_an_update() -> None:
    ledger = run(request(), response())
    with pytest.raises(Conflict, match="already answered"):
        apply(ledger, response(digest=PAYLOAD_B), consumer_bpn=CARMAKER)


def test_a_request_id_reused_for_another_product_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="belongs to product"):
        apply(run(request()), request(product="urn:pact:cells.example.jp:product-id:OTHER"))


def test_two_request_ids_for_the_same_product_are_two_exchanges() -> None:
    other = uuid.UUID("00000000-0000-4000-8000-000000000002")
    ledger = run(request(), request(rid=other))
    assert set(ledger.exchanges) == {RID, other}


# -- refused transitions ---------------------------------------------------------------------------------


def test_a_response_to_an_unknown_request_id_is_not_found() -> None:
    with pytest.raises(NotFound):
        apply(Ledger.EMPTY, response(), consumer_bpn=CARMAKER)


def test_an_update_for_a_product_never_requested_is_forbidden_no_proactive_push() -> None:
    with pytest.raises(Forbidden, match="proactive"):
        apply(Ledger.EMPTY, update(), consumer_bpn=CARMAKER)


def test_an_update_before_the_first_response_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="requested"):
        apply(run(request()), update(), consumer_bpn=CARMAKER)


def test_an_update_for_another_consumer_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        apply(run(request(), response()), update(), consumer_bpn="BPNL00000009OTHR")


def test_a_consumer_may_not_send_a_response_nor_a_provider_a_request() -> None:
    wrong_sender = Message(Event.RESPONSE, Role.CONSUMER, CARMAKER, PRODUCT, RID, payload_sha256=PAYLOAD_A)
    with pytest.raises(Forbidden, match="consumer may not send a response"):
        apply(run(request()), wrong_sender, consumer_bpn=CARMAKER)
    with pytest.raises(Forbidden, match="provider may not send a request"):
        apply(Ledger.EMPTY, Message(Event.REQUEST, Role.PROVIDER, CELL_MAKER, PRODUCT, RID))


def test_a_refused_message_leaves_the_ledger_as_it_was() -> None:
    ledger = run(request(), response())
    before = dict(ledger.exchanges)
    with pytest.raises(Conflict):
        apply(ledger, response(digest=PAYLOAD_B), consumer_bpn=CARMAKER)
    assert dict(ledger.exchanges) == before


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (Message(Event.REQUEST, Role.CONSUMER, "not-a-bpn", PRODUCT, RID), "Edc-Bpn"),
        (Message(Event.REQUEST, Role.CONSUMER, CARMAKER, PRODUCT, None), "requestId"),
        (Message(Event.REQUEST, Role.CONSUMER, CARMAKER, PRODUCT, RID, "x" * 251), "250"),
        (Message(Event.UPDATE, Role.PROVIDER, CELL_MAKER, PRODUCT, RID, payload_sha256=PAYLOAD_A), "without"),
        (Message(Event.RESPONSE, Role.PROVIDER, CELL_MAKER, PRODUCT, RID), "body"),
        (Message(Event.REQUEST, Role.CONSUMER, CARMAKER, "", RID), "productId"),
    ],
    ids=[
        "bad bpn",
        "request without id",
        "long message",
        "update with id",
        "response without body",
        "no product",
    ],
)
def test_malformed_messages_are_invalid_input(message: Message, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        apply(Ledger.EMPTY, message, consumer_bpn=CARMAKER)


def test_the_transition_table_lets_each_role_send_only_its_own_events() -> None:
    sent = {role: {e for events in states.values() for e in events} for role, states in TRANSITIONS.items()}
    assert sent == {Role.CONSUMER: {Event.REQUEST}, Role.PROVIDER: {Event.RESPONSE, Event.UPDATE}}
    assert dict(STATUS) == {Event.REQUEST: 202, Event.RESPONSE: 200, Event.UPDATE: 200}


# -- the KIT's HTTP shapes -------------------------------------------------------------------------------


def test_the_request_is_a_get_on_product_ids_with_request_id_and_message() -> None:
    target = request_target(PRODUCT, RID, "PCF for the 2026 order")
    assert target.startswith("/productIds/urn%3Apact%3Acells.example.jp%3Aproduct-id%3AC60-811?")
    assert f"requestId={RID}" in target
    assert read_call("GET", target, sender_bpn=CARMAKER) == request(message="PCF for the 2026 order")


def test_the_response_and_the_update_are_puts_with_and_without_request_id() -> None:
    assert (
        read_call("PUT", response_target(PRODUCT, RID), sender_bpn=CELL_MAKER, payload_sha256=PAYLOAD_A)
        == response()
    )
    assert (
        response_target(PRODUCT, None) == "/productIds/urn%3Apact%3Acells.example.jp%3Aproduct-id%3AC60-811"
    )
    assert (
        read_call("PUT", response_target(PRODUCT, None), sender_bpn=CELL_MAKER, payload_sha256=PAYLOAD_B)
        == update()
    )


def test_a_second_aspect_is_the_same_put_keyed_by_its_semantic_id_and_a_plain_put_stays_the_pcf() -> None:
    aspect = "urn:samm:io.catenax.pcf_for_battery_component_supplier:1.0.0#PcfForBatteryComponentSupplier"
    target = response_target(PRODUCT, RID, semantic_id=aspect)
    assert semantic_id_of(target) == aspect
    # the same request, product and sender as the Pcf's response: the aspect belongs to that answer
    assert read_call("PUT", target, sender_bpn=CELL_MAKER, payload_sha256=PAYLOAD_A) == response()
    assert semantic_id_of(response_target(PRODUCT, RID)) is None
    assert semantic_id_of(response_target(PRODUCT, None, semantic_id=aspect)) == aspect


@pytest.mark.parametrize(
    ("method", "target", "error"),
    [
        ("POST", f"/productIds/x?requestId={RID}", InvalidInput),
        ("GET", "/productIds/x?requestId=not-a-uuid", InvalidInput),
        ("GET", "/footprints/x", NotFound),
        ("GET", "/productIds/x/extra", NotFound),
    ],
)
def test_calls_outside_the_kit_api_are_refused(method: str, target: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_call(method, target, sender_bpn=CARMAKER)


def test_both_sides_following_one_exchange_end_in_the_same_state() -> None:
    # the consumer records what it sends and receives; so does the provider
    consumer, provider = Ledger.EMPTY, Ledger.EMPTY
    for message in (request(), response(), update()):
        consumer = apply(consumer, message, consumer_bpn=CARMAKER).ledger
        provider = apply(provider, message, consumer_bpn=CARMAKER).ledger
    assert consumer == provider
    assert consumer.exchanges[RID].state is State.ANSWERED
