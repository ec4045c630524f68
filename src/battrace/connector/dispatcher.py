"""Sends what the services put in the outbox: signed DSP messages and push deliveries.

One dispatcher per node process. It wakes when a service commits (`wake()`), or when the next retry falls
due, so an exchange runs at network speed instead of EDC's 1 s polling. Delivery is at-least-once: a crash
after the peer answered but before the outbox row was deleted re-sends the same body, which the peer
recognises (inbound idempotency) and answers the same way.

On PostgreSQL several processes (`battrace serve --workers N`) share one outbox: a dispatcher sends only what
it leased in the database (`battrace.store.store.claim_outbox`), renews its leases while a message is on the
wire, and settles a message only if it is still there. Each worker's own dispatcher therefore sends what its
requests enqueued, at once, and a message is sent by one process only (docs/decisions/2026-11-24-workers.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from battrace.connector.context import ConnectorContext
from battrace.connector.records import OutboxMessage
from battrace.identity import NodeKeys, issue_token
from battrace.store import Tx
from battrace.store.store import claim_outbox, renew_outbox_leases, settle_outbox
from battrace.trust.claims import outbound_token_claims

log = logging.getLogger("battrace.dispatcher")

BACKOFF = (0.01, 0.05, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 60, 60)
# Attempts (counted from the first, including failed connections) within which an InvalidTransition answer is
# retried: about 39 s of backoff. A peer that crashed after we acknowledged its message comes back with that
# message still in its outbox and judges ours from the older state until it has redelivered it, which after a
# restart with a backlog takes seconds; a peer whose state really differs is given up on after the window.
OUT_OF_ORDER_RETRIES = 9
RETRYABLE = {408, 409, 425, 429}
# How long a leased message is left to its process (renewed every LEASE_RENEWAL while on the wire): when a
# worker dies mid-send, another one sends the message again after at most this long.
LEASE = timedelta(seconds=30)
LEASE_RENEWAL = 10.0


class ProcessHandler(Protocol):
    def delivered(self, tx: Tx, message: OutboxMessage, response: Mapping[str, Any] | None) -> None: ...
    def undeliverable(self, tx: Tx, message: OutboxMessage, detail: str) -> None: ...


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no HTTP answer (network error)
    body: Mapping[str, Any] | None
    detail: str


class PeerClient:
    """HTTP to other nodes; each request carries a fresh self-issued token for the callee (iss=sub=us)."""

    def __init__(self, ctx: ConnectorContext, keys: NodeKeys, client: httpx.Client) -> None:
        self._ctx = ctx
        self._keys = keys
        self._http = client

    def authorization(self, audience_did: str) -> str:
        now = self._ctx.clock()
        # DCP: the `token` claim lets the callee query our credential service for our credentials.
        grant = outbound_token_claims(self._keys, self._ctx.me.did, audience_did, now, self._ctx.new_id())
        token = issue_token(
            self._keys, self._ctx.me.did, audience_did, now=now, jti=self._ctx.new_id(), extra_claims=grant
        )
        return f"Bearer {token}"

    def post_json(self, url: str, body: Mapping[str, Any], audience_did: str) -> Outcome:
        return self._call("POST", url, audience_did, json=dict(body))

    def get_json(self, url: str, audience_did: str) -> Outcome:
        return self._call("GET", url, audience_did)

    def _call(self, method: str, url: str, audience_did: str, **kwargs: Any) -> Outcome:
        headers = {"Authorization": self.authorization(audience_did)}
        try:
            response = self._http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            return Outcome(None, None, f"{type(error).__name__}: {error}")
        try:
            parsed = response.json() if response.content else None
        except ValueError:
            parsed = None
        body = parsed if isinstance(parsed, dict) else None
        return Outcome(response.status_code, body, _detail(response.status_code, body))


def _out_of_order(outcome: Outcome) -> bool:
    """The peer judged our message from a state that has not caught up with its own acknowledgement yet:
    a race between our message and its dispatcher settling the previous one. Retry shortly (as the DSP TCK
    does on 4xx)."""
    return outcome.body is not None and outcome.body.get("code") == "InvalidTransition"


def _detail(status: int, body: Mapping[str, Any] | None) -> str:
    if body is None:
        return f"HTTP {status}"
    detail = body.get("detail") or body.get("code")
    reasons = body.get("reason")
    if isinstance(reasons, list) and reasons and reasons != [detail]:
        detail = (
            f"{detail} ({'; '.join(str(r) for r in reasons)})" if detail else "; ".join(map(str, reasons))
        )
    return f"HTTP {status}: {detail}" if detail else f"HTTP {status}"


Sender = Callable[[OutboxMessage], Outcome]


class Unattended:
    """A process kind whose deliveries change no process state (e.g. log receipts): failures are logged."""

    def delivered(self, tx: Tx, message: OutboxMessage, response: Mapping[str, Any] | None) -> None:
        return None

    def undeliverable(self, tx: Tx, message: OutboxMessage, detail: str) -> None:
        log.warning(
            "%s %s to %s not delivered: %s", message.message_type, message.process_id, message.url, detail
        )


class Dispatcher:
    def __init__(
        self,
        ctx: ConnectorContext,
        peers: PeerClient,
        handlers: Mapping[str, ProcessHandler],
        senders: Mapping[str, Sender],
        *,
        workers: int = 8,
    ) -> None:
        self._ctx = ctx
        self._peers = peers
        self._handlers = handlers
        # Outbox message types that are not a DSP POST (push deliveries, log receipts) have their own sender.
        self._senders = senders
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="battrace-send")
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._in_flight: dict[int, OutboxMessage] = {}
        # Leases in the database only where several processes can share the outbox (SQLite: one process).
        self._leases = ctx.store.dialect == "postgresql"
        self._renewed = time.monotonic()
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name="battrace-dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def wake(self) -> None:
        self._wakeup.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.clear()
            try:
                self._renew_leases()
                wait = self._dispatch_due()
            except Exception:  # a database hiccup must not kill the loop; retry shortly
                log.exception("dispatcher iteration failed")
                wait = 1.0
            self._wakeup.wait(timeout=wait)

    def _dispatch_due(self) -> float:
        now = self._ctx.clock()
        # Read and claim under the lock: a worker settles (deletes) a message before it releases its claim,
        # so holding the lock here means a message read as due is either still claimed or still undelivered,
        # never "just delivered and released" (which would send it twice).
        with self._lock:
            with self._ctx.store.read() as tx:
                # One query for the head message of every process (due now or later): the due ones are sent,
                # the earliest later one sets the timer.
                heads = tx.due_messages(now + timedelta(days=365), limit=500)
            due = [m for m in heads if m.next_attempt_at <= now]
            later = [m.next_attempt_at for m in heads if m.next_attempt_at > now]
            next_due = min(later) if later else (now if due else None)
            fresh = [m for m in due if m.id is not None and m.id not in self._in_flight]
            self._in_flight.update((m.id, m) for m in fresh if m.id is not None)
        if self._leases:
            fresh = self._claim(fresh, now)
        for message in fresh:
            self._pool.submit(self._deliver, message)
        if next_due is None or next_due <= now:
            # Nothing scheduled later, or the earliest message is on the wire now: its settlement, a new
            # message or a reschedule wakes us, so there is nothing to poll for.
            return 5.0
        return min(5.0, max(0.005, (next_due - now).total_seconds()))

    def _claim(self, messages: list[OutboxMessage], now: datetime) -> list[OutboxMessage]:
        """The messages this process leased; the others are another process's (or already settled)."""
        won: set[int] = set()
        try:
            with self._ctx.store.transaction() as tx:
                # In id order, as every process does: two claimers never wait on each other in a cycle.
                won = {
                    m.id for m in messages if m.id is not None and claim_outbox(tx, m.id, now, now + LEASE)
                }
        finally:
            lost = [m.id for m in messages if m.id not in won]
            if lost:
                with self._settled:
                    for message_id in lost:
                        self._in_flight.pop(message_id or -1, None)
                    self._settled.notify_all()
        return [m for m in messages if m.id in won]

    def _renew_leases(self) -> None:
        if not self._leases or time.monotonic() - self._renewed < LEASE_RENEWAL:
            return
        self._renewed = time.monotonic()
        with self._lock:
            held = [(m.id, m.attempts) for m in self._in_flight.values() if m.id is not None]
        if held:
            with self._ctx.store.transaction() as tx:
                renew_outbox_leases(tx, held, self._ctx.clock() + LEASE)

    def _deliver(self, message: OutboxMessage) -> None:
        try:
            outcome = self._send(message)
            self._settle(message, outcome)
        except Exception:
            log.exception("delivery of outbox message %s failed", message.id)
            self._retry(message, "internal error")
        finally:
            with self._settled:
                self._in_flight.pop(message.id or -1, None)
                self._settled.notify_all()
            self._wakeup.set()

    def busy(self) -> bool:
        # With shared leases another process of this node may have a message on the wire: always look.
        return self._leases or bool(self._in_flight)

    def wait_settled(self, process_kind: str, process_id: str, timeout: float = 0.5) -> None:
        """Wait (bounded) until no message of this process is on the wire.

        A peer's next message can overtake the settlement of our previous one: it answered us, then spoke,
        before we recorded its answer. Waiting here judges its message from the state it has acknowledged; a
        peer that really skipped our message (TCK CN:03-03) still finds it unacknowledged after the timeout.
        """
        deadline = time.monotonic() + timeout
        key = (process_kind, process_id)
        with self._settled:
            while key in {(m.process_kind, m.process_id) for m in self._in_flight.values()}:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._settled.wait(remaining)
        if self._leases:
            self._wait_settled_elsewhere(process_kind, process_id, deadline)

    def _wait_settled_elsewhere(self, process_kind: str, process_id: str, deadline: float) -> None:
        """Another worker of this node may hold the process's first pending message: it is on the wire while
        its lease (a `next_attempt_at` in the future) lasts. A message waiting for a retry looks the same and
        costs the bounded wait."""
        while time.monotonic() < deadline:
            with self._ctx.store.read() as tx:
                pending = tx.oldest_pending(process_kind, process_id)
            if pending is None or pending.next_attempt_at <= self._ctx.clock():
                return
            time.sleep(0.01)

    def _send(self, message: OutboxMessage) -> Outcome:
        sender = self._senders.get(message.message_type)
        if sender is not None:
            return sender(message)
        return self._peers.post_json(message.url, message.body, message.audience_did)

    def _settle(self, message: OutboxMessage, outcome: Outcome) -> None:
        assert message.id is not None
        handler = self._handlers[message.process_kind]
        if outcome.status is not None and 200 <= outcome.status < 300:
            with self._ctx.store.transaction() as tx:
                # Gone already: our lease had lapsed and another process settled it; its answer is recorded.
                if settle_outbox(tx, message.id):
                    handler.delivered(tx, message, outcome.body)
            return
        permanent = (
            outcome.status is not None
            and 400 <= outcome.status < 500
            and outcome.status not in RETRYABLE
            and not (_out_of_order(outcome) and message.attempts < OUT_OF_ORDER_RETRIES)
        )
        if permanent or message.attempts + 1 >= len(BACKOFF):
            log.warning("giving up %s to %s: %s", message.message_type, message.url, outcome.detail)
            with self._ctx.store.transaction() as tx:
                if settle_outbox(tx, message.id):
                    handler.undeliverable(tx, message, outcome.detail)
            return
        self._retry(message, outcome.detail)

    def _retry(self, message: OutboxMessage, detail: str) -> None:
        assert message.id is not None
        attempts = message.attempts + 1
        delay = BACKOFF[min(attempts, len(BACKOFF) - 1)]
        log.info(
            "retry #%d of %s to %s in %ss: %s", attempts, message.message_type, message.url, delay, detail
        )
        with self._ctx.store.transaction() as tx:
            tx.reschedule(message.id, attempts, self._ctx.clock() + timedelta(seconds=delay))
