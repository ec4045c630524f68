"""The Catena-X PCF exchange (PCF Exchange KIT, CX-0136 API behind an EDC data plane) as a pure state machine.

The KIT's asynchronous protocol (research pcf-ouranos.md §3):

* **request** — the consumer calls the provider's PCF asset:
  `GET /productIds/{productId}?requestId=<uuid>&message=<≤250 chars>`, header `Edc-Bpn: <consumer BPNL>`
  → **202 Accepted** (the answer comes later, as a call the other way);
* **response** — the provider calls the consumer's PCF asset: `PUT /productIds/{productId}?requestId=<same>`,
  body the Pcf → 200;
* **update** — the same PUT **without** `requestId`, only for a product this consumer requested before
  (no proactive push).

One `Exchange` per `requestId`, kept by both sides; a `Ledger` holds them. `apply(ledger, message)` looks
the step up in `TRANSITIONS` (role → state → event → next state; `None` = no exchange yet), and either
returns the new ledger with the HTTP status to answer, or raises without changing anything. Repeats are
idempotent: the same request again, or the same response payload again, answer as before and change
nothing. No I/O: the node wires the messages to HTTP and the EDC.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from battrace.errors import Conflict, Forbidden, InvalidInput, NotFound

PATH_PREFIX = "/productIds/"
# The PCF Exchange API (CX-0136; KIT API 1.1.x) carries one payload per PUT, the io.catenax.pcf Pcf, and has
# no place for a second aspect. In Catena-X aspects are told apart by their semantic id: CX-0002 submodel
# `semanticId`; CX-0136 3.0.0 §6.3 (catenax-ev.github.io/docs/standards/CX-0136-UseCasePCF) lets a request
# name its data model with `dataModelVersion`. So battrace sends a second aspect of the same answer
# (pcf_for_battery_component_supplier 1.0.0) as a second PUT on the same resource and requestId, keyed by
# that aspect's semantic id in this query parameter (battrace's extension, docs/concepts/apps/pcf.md).
# A PUT without it is the Pcf, exactly as the KIT has it.
SEMANTIC_ID_PARAM = "semanticId"
BPN_HEADER = "Edc-Bpn"
MESSAGE_MAX = 250  # PCF Exchange KIT: `message` is at most 250 characters
_BPNL = re.compile(r"^BPNL[a-zA-Z0-9]{12}$")


class Role(StrEnum):
    CONSUMER = "consumer"  # asks for a PCF (the carmaker)
    PROVIDER = "provider"  # owns the PCF (the supplier)


class State(StrEnum):
    REQUESTED = "requested"  # 202 given, no answer yet
    ANSWERED = "answered"  # answered at least once; updates may follow


class Event(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"
    UPDATE = "update"


# who may send what, in which state; anything absent is refused. `None` = no exchange for the key yet.
TRANSITIONS: MappingProxyType[Role, MappingProxyType[State | None, MappingProxyType[Event, State]]] = (
    MappingProxyType(
        {
            Role.CONSUMER: MappingProxyType(
                {
                    None: MappingProxyType({Event.REQUEST: State.REQUESTED}),
                    State.REQUESTED: MappingProxyType({Event.REQUEST: State.REQUESTED}),  # a repeat
                    State.ANSWERED: MappingProxyType({Event.REQUEST: State.ANSWERED}),  # a late repeat
                }
            ),
            Role.PROVIDER: MappingProxyType(
                {
                    State.REQUESTED: MappingProxyType({Event.RESPONSE: State.ANSWERED}),
                    State.ANSWERED: MappingProxyType(
                        {Event.RESPONSE: State.ANSWERED, Event.UPDATE: State.ANSWERED}
                    ),
                }
            ),
        }
    )
)
# the HTTP status each accepted event is answered with (KIT: 202 for the request, 200 for a PUT)
STATUS = MappingProxyType({Event.REQUEST: 202, Event.RESPONSE: 200, Event.UPDATE: 200})


@dataclass(frozen=True)
class Message:
    """One call of the exchange. `payload_sha256` is the SHA-256 of a PUT body (the Pcf JSON)."""

    event: Event
    sender: Role
    sender_bpn: str  # from the `Edc-Bpn` header the data plane sets
    product_id: str
    request_id: uuid.UUID | None = None  # absent only on an update
    message: str | None = None  # the request's free text
    payload_sha256: str | None = None


@dataclass(frozen=True)
class Exchange:
    request_id: uuid.UUID
    consumer_bpn: str
    product_id: str
    state: State
    message: str | None = None
    answers: tuple[str, ...] = ()  # digests of the payloads received, oldest first


@dataclass(frozen=True)
class Outcome:
    ledger: Ledger
    status: int  # what the receiving side answers
    exchange: Exchange
    repeated: bool  # an idempotent repeat: nothing changed, nothing new to do


@dataclass(frozen=True)
class Ledger:
    """Every exchange a side knows, by requestId. Immutable: `apply` returns a new ledger."""

    exchanges: MappingProxyType[uuid.UUID, Exchange] = field(default_factory=lambda: MappingProxyType({}))
    EMPTY: ClassVar[Ledger]

    def with_exchange(self, exchange: Exchange) -> Ledger:
        return Ledger(MappingProxyType({**self.exchanges, exchange.request_id: exchange}))

    def latest_answered(self, consumer_bpn: str, product_id: str) -> Exchange | None:
        """The exchange an update belongs to: the last answered one for this consumer and product."""
        found = [
            e
            for e in self.exchanges.values()
            if e.consumer_bpn == consumer_bpn and e.product_id == product_id and e.state is State.ANSWERED
        ]
        return found[-1] if found else None


Ledger.EMPTY = Ledger()


def apply(ledger: Ledger, message: Message, *, consumer_bpn: str | None = None) -> Outcome:
    """Apply one message, received or about to be sent (both sides keep the same ledger shape).

    `consumer_bpn` names the consumer a PUT is addressed to; for a request the consumer is the sender."""
    _check_shape(message)
    if not _may_ever(message):
        raise Forbidden(f"a {message.sender} may not send a {message.event}")
    consumer = message.sender_bpn if message.sender is Role.CONSUMER else consumer_bpn
    if consumer is None:
        raise InvalidInput("a response or update is addressed to a consumer: pass consumer_bpn")
    current = _current(ledger, message, consumer)
    allowed = TRANSITIONS[message.sender].get(current.state if current else None, MappingProxyType({}))
    if message.event not in allowed:
        raise _refusal(message, current)
    if current is None:
        return _opened(ledger, message)
    _check_same_exchange(current, message, consumer)
    return _advanced(ledger, current, message, allowed[message.event])


def _current(ledger: Ledger, message: Message, consumer: str) -> Exchange | None:
    if message.event is Event.UPDATE:
        return ledger.latest_answered(consumer, message.product_id) or _open_for(ledger, consumer, message)
    assert message.request_id is not None  # _check_shape: only an update has none
    return ledger.exchanges.get(message.request_id)


def _open_for(ledger: Ledger, consumer: str, message: Message) -> Exchange | None:
    # an update while the request is still open: found so that the refusal can say "answer it first"
    found = [
        e
        for e in ledger.exchanges.values()
        if e.consumer_bpn == consumer and e.product_id == message.product_id
    ]
    return found[-1] if found else None


def _opened(ledger: Ledger, message: Message) -> Outcome:
    assert message.request_id is not None
    exchange = Exchange(
        request_id=message.request_id,
        consumer_bpn=message.sender_bpn,
        product_id=message.product_id,
        state=State.REQUESTED,
        message=message.message,
    )
    return Outcome(ledger.with_exchange(exchange), STATUS[message.event], exchange, repeated=False)


def _advanced(ledger: Ledger, current: Exchange, message: Message, state: State) -> Outcome:
    status = STATUS[message.event]
    if message.event is Event.REQUEST:  # same requestId again (checked to be the same request)
        return Outcome(ledger, status, current, repeated=True)
    digest = message.payload_sha256
    assert digest is not None
    if message.event is Event.RESPONSE and current.answers:
        if digest != current.answers[0]:
            # KIT: a changed PCF after the response is an update (PUT without requestId), not a 2nd response
            raise Conflict(f"requestId {current.request_id} was already answered with another payload")
        return Outcome(ledger, status, current, repeated=True)
    if current.answers and current.answers[-1] == digest:
        return Outcome(ledger, status, current, repeated=True)
    changed = replace(current, state=state, answers=(*current.answers, digest))
    return Outcome(ledger.with_exchange(changed), status, changed, repeated=False)


def _check_shape(message: Message) -> None:
    if not _BPNL.match(message.sender_bpn):
        raise InvalidInput(f"{BPN_HEADER} must be a BPNL, got {message.sender_bpn[:40]!r}")
    if not message.product_id:
        raise InvalidInput("productId must not be empty")
    if (message.request_id is None) != (message.event is Event.UPDATE):
        raise InvalidInput(
            "an update is a PUT without requestId; a request and a response carry one"
            if message.event is Event.UPDATE
            else f"a {message.event} needs a requestId"
        )
    if message.message is not None and len(message.message) > MESSAGE_MAX:
        raise InvalidInput(f"message must be at most {MESSAGE_MAX} characters")
    if (message.payload_sha256 is None) != (message.event is Event.REQUEST):
        raise InvalidInput(
            f"a {message.event} {'has no' if message.event is Event.REQUEST else 'needs a'} body"
        )


def _check_same_exchange(current: Exchange, message: Message, consumer: str) -> None:
    if current.product_id != message.product_id or current.consumer_bpn != consumer:
        raise Conflict(
            f"requestId {current.request_id} belongs to product {current.product_id!r} "
            f"of {current.consumer_bpn}, not {message.product_id!r} of {consumer}"
        )
    if message.event is Event.REQUEST and current.message != message.message:
        raise Conflict(f"requestId {current.request_id} was already used with another message")


def _refusal(message: Message, current: Exchange | None) -> Exception:
    if current is None and message.event is Event.UPDATE:
        return Forbidden(
            f"no proactive push: {message.product_id!r} was never requested and answered for this consumer"
        )
    if current is None:
        return NotFound(f"no open request {message.request_id} for a {message.event}")
    return Conflict(f"a {message.event} is not allowed while the exchange is {current.state}")


def _may_ever(message: Message) -> bool:
    return any(message.event in events for events in TRANSITIONS[message.sender].values())


# --- the KIT's HTTP shapes --------------------------------------------------------------------------------


def request_target(product_id: str, request_id: uuid.UUID, message: str | None = None) -> str:
    """Path and query of the consumer's GET on the provider's PCF asset."""
    query = {"requestId": str(request_id)} | ({"message": message} if message else {})
    return f"{PATH_PREFIX}{quote(product_id, safe='')}?{urlencode(query)}"


def response_target(product_id: str, request_id: uuid.UUID | None, *, semantic_id: str | None = None) -> str:
    """Path and query of the provider's PUT on the consumer's PCF asset (no requestId: an update).

    ``semantic_id`` names a second aspect answering the same request or update (`SEMANTIC_ID_PARAM`)."""
    path = f"{PATH_PREFIX}{quote(product_id, safe='')}"
    query = ({} if request_id is None else {"requestId": str(request_id)}) | (
        {} if semantic_id is None else {SEMANTIC_ID_PARAM: semantic_id}
    )
    return f"{path}?{urlencode(query)}" if query else path


def semantic_id_of(target: str) -> str | None:
    """The aspect a PUT carries when it is not the Pcf itself (`SEMANTIC_ID_PARAM`), else None."""
    values = parse_qs(urlsplit(target).query, keep_blank_values=True).get(SEMANTIC_ID_PARAM)
    return values[-1] if values else None


def read_call(method: str, target: str, *, sender_bpn: str, payload_sha256: str | None = None) -> Message:
    """A received HTTP call (method, path?query, `Edc-Bpn`) as a `Message`; anything else is InvalidInput."""
    parts = urlsplit(target)
    if not parts.path.startswith(PATH_PREFIX) or "/" in parts.path[len(PATH_PREFIX) :]:
        raise NotFound(f"not a PCF exchange path: {parts.path[:80]!r}")
    product_id = unquote(parts.path[len(PATH_PREFIX) :])
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    request_id = _request_id(query.get("requestId"))
    if method == "GET":
        return Message(Event.REQUEST, Role.CONSUMER, sender_bpn, product_id, request_id, query.get("message"))
    if method == "PUT":
        event = Event.UPDATE if request_id is None else Event.RESPONSE
        return Message(event, Role.PROVIDER, sender_bpn, product_id, request_id, None, payload_sha256)
    raise InvalidInput(f"the PCF exchange uses GET and PUT, not {method}")


def _request_id(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"requestId must be a UUID, got {value[:40]!r}") from None
