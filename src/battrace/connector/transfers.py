"""Transfer process, both roles (DSP 2025-1 §4), same inbound path as negotiations.

Pull (HttpData-PULL): the provider answers a request with a TransferStartMessage whose dataAddress is an
endpoint data reference in the Tractus-X shape (CX-0018 §2.2.1): the public data-plane URL and a short-lived
bearer token bound to this transfer and its agreement. Only the token's SHA-256 is stored at the provider.
Push (HttpData-PUSH): the provider sends Start, delivers the data to the consumer's dataAddress, then
sends Completion; all three leave through the outbox in that order.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from battrace.connector.catalog import FORMATS, PULL, PUSH
from battrace.connector.context import ConnectorContext
from battrace.connector.processes import (
    Received,
    acknowledged_state,
    answer_first_message,
    enqueue,
    forget_inbound,
    join,
    message_key,
    other_role,
    outbox,
    push_target,
    recall_redelivery,
    record_received,
    remember_inbound,
)
from battrace.connector.records import CONSUMER, PROVIDER, Agreement, EdrToken, OutboxMessage, Transfer
from battrace.connector.urls import check_peer_url
from battrace.dsp import messages as dsp
from battrace.dsp.parse import TransferRequest, TransferStart, TransferTermination
from battrace.dsp.states import Role, TransferEvent, TransferState, is_terminal
from battrace.dsp.transfer import next_transfer_state
from battrace.errors import BattraceError, InvalidInput, NotFound
from battrace.identity import VerifiedCaller
from battrace.policy import evaluate, parse_policy
from battrace.store import Tx

refusals = logging.getLogger("battrace.refused")
log = logging.getLogger("battrace.connector")

KIND = "transfer"
PUSH_DELIVERY = "DataPush"
Ack = tuple[int, dict[str, Any]]
_SUFFIX = {
    TransferEvent.START: "start",
    TransferEvent.SUSPEND: "suspension",
    TransferEvent.COMPLETE: "completion",
    TransferEvent.TERMINATE: "termination",
}


def dsp_destination(destination: Mapping[str, Any]) -> dict[str, Any]:
    """A push destination as DSP wants it (DataAddress, DSP 2025-1 §4.2), also from EDC's HttpData shape
    (`{"type": "HttpData", "baseUrl", "authKey", "authCode"}`) that management clients send."""
    if isinstance(destination.get("endpoint"), str):
        address = dict(destination)
        address.setdefault("@type", "DataAddress")
        address.setdefault("endpointType", "https://w3id.org/idsa/v4.1/HTTP")
        return address
    base_url = destination.get("baseUrl")
    if not isinstance(base_url, str):
        raise InvalidInput(
            "dataDestination needs an 'endpoint' (DSP DataAddress) or a 'baseUrl' (EDC HttpData)"
        )
    properties = []
    if isinstance(destination.get("authCode"), str):
        properties.append(
            {
                "@type": "EndpointProperty",
                "name": "https://w3id.org/edc/v0.0.1/ns/authorization",
                "value": destination["authCode"],
            }
        )
    address = {
        "@type": "DataAddress",
        "endpointType": "https://w3id.org/idsa/v4.1/HTTP",
        "endpoint": base_url,
    }
    if properties:
        address["endpointProperties"] = properties
    return address


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TransferService:
    def __init__(self, ctx: ConnectorContext) -> None:
        self._ctx = ctx
        # The RFC 7638 thumbprint of a consumer DID's key, recorded in each EDR it is given (RFC 9449 §6: the
        # data plane then wants DPoP proofs by that key). Set by the node to resolve through its DID resolver
        # (`battrace.dataplane.dpop.did_key_thumbprint`); the consumer's document is cached from verifying the
        # very request that starts the transfer. Unset or failing: the EDR is minted unbound.
        self.consumer_key: Callable[[str], str] | None = None

    # ------------------------------------------------------------------ inbound, provider role

    def receive_request(
        self, caller: VerifiedCaller, msg: TransferRequest, path: str, raw: Mapping[str, Any]
    ) -> Ack:
        key = message_key(PROVIDER, path, caller.did, raw)
        # Verify the caller's credentials now, outside the transaction (a DCP round trip may be needed): the
        # usage policy below is then judged on claims verified at this exchange, so a revocation bites here.
        self._ctx.evaluation(caller, "transfer")
        return answer_first_message(
            self._ctx, key, 201, lambda tx: self._request(tx, caller, msg), Received(caller.did, path, raw)
        )

    def _request(self, tx: Tx, caller: VerifiedCaller, msg: TransferRequest) -> dict[str, Any] | InvalidInput:
        existing = tx.find_transfer(PROVIDER, consumer_pid=msg.consumer_pid)
        if existing is not None and existing.counterparty_did == caller.did:
            if existing.state == TransferState.TERMINATED.value and existing.error_detail:
                return InvalidInput(
                    "the agreed usage policy does not allow this transfer",
                    code="POLICY_NOT_SATISFIED",
                    reason=[existing.error_detail],
                    providerPid=existing.provider_pid,
                    consumerPid=existing.consumer_pid,
                )
            return self._ack(tx, existing)  # DSP 2025-1 §4.2: idempotent on consumerPid
        if existing is not None:
            raise InvalidInput(f"consumerPid {msg.consumer_pid!r} is already in use")
        callback = check_peer_url(
            msg.callback_address, dev=self._ctx.dev, allowed_hosts=self._ctx.allowed_peer_hosts
        )
        if msg.format not in FORMATS:
            raise InvalidInput(f"format {msg.format!r} is not supported (supported: {', '.join(FORMATS)})")
        # Every peer-chosen URL is judged before anything is looked up (SSRF guard first, issue 9).
        push_destination = self._push_destination(msg)
        agreement = self._finalized_agreement(tx, msg.agreement_id, caller.did)
        now = self._ctx.clock()
        transfer = Transfer(
            id=self._ctx.new_id(),
            role=PROVIDER,
            state=next_transfer_state(None, TransferEvent.REQUEST, Role.CONSUMER).value,
            consumer_pid=msg.consumer_pid,
            provider_pid=self._ctx.new_id(),
            agreement_id=agreement.id,
            format=msg.format,
            counterparty_did=caller.did,
            counterparty_address=callback,
            data_address=push_destination,
            error_detail=None,
            created_at=now,
            updated_at=now,
        )
        refusal = self._usage_refusal(agreement, caller.did, "transfer")
        if refusal is not None:
            tx.insert_transfer(replace(transfer, state=TransferState.TERMINATED.value, error_detail=refusal))
            return InvalidInput(
                "the agreed usage policy does not allow this transfer",
                code="POLICY_NOT_SATISFIED",
                reason=[refusal],
                providerPid=transfer.provider_pid,
                consumerPid=msg.consumer_pid,
            )
        tx.insert_transfer(transfer)
        ack = self._ack(tx, transfer)
        if self._ctx.auto_approve:
            self._start(tx, transfer, agreement)
        return ack

    def _push_destination(self, msg: TransferRequest) -> dict[str, Any] | None:
        if msg.format != PUSH:
            return None
        if not msg.data_address:
            raise InvalidInput("an HttpData-PUSH request needs a dataAddress (DSP 2025-1 §4.2)")
        endpoint, _ = push_target(msg.data_address)
        check_peer_url(endpoint, dev=self._ctx.dev, allowed_hosts=self._ctx.allowed_peer_hosts)
        return dict(msg.data_address)

    def _finalized_agreement(self, tx: Tx, agreement_id: str, consumer_did: str) -> Agreement:
        agreement = tx.get_agreement(agreement_id)
        negotiation = tx.get_negotiation(agreement.negotiation_id) if agreement else None
        if (
            agreement is None
            or negotiation is None
            or agreement.provider_did != self._ctx.me.did
            or agreement.consumer_did != consumer_did
            or negotiation.state != "FINALIZED"
        ):
            # A foreign or altered agreement id gets the same answer as a missing one.
            refusals.warning("transfer refused: agreement %r is not %s's", agreement_id, consumer_did)
            raise InvalidInput(
                f"no finalized agreement {agreement_id!r} with this participant", code="UNKNOWN_AGREEMENT"
            )
        return agreement

    def _usage_refusal(self, agreement: Agreement, caller_did: str, scope: str) -> str | None:
        """The agreed usage policy, evaluated again (an expired agreement is refused)."""
        evaluation = self._ctx.evaluation_for(caller_did, scope, agreement_signed_at=agreement.signed_at)
        decision = evaluate(parse_policy(agreement.body), evaluation, registry=self._ctx.operands)
        return None if decision.allowed else "; ".join(decision.reasons)

    def _start(self, tx: Tx, transfer: Transfer, agreement: Agreement) -> Transfer:
        if transfer.format == PULL:
            token = self._mint_token(tx, transfer, agreement)
            address = dsp.data_address_edr(self._ctx.me.public_data_url, token, self._ctx.edr_token_ttl)
            body = dsp.transfer_start(transfer.provider_pid or "", transfer.consumer_pid, address)
            return self._send(tx, transfer, TransferEvent.START, body)
        transfer = self._send(
            tx,
            transfer,
            TransferEvent.START,
            dsp.transfer_start(transfer.provider_pid or "", transfer.consumer_pid),
        )
        endpoint, _ = push_target(transfer.data_address or {})
        enqueue(
            tx,
            self._ctx,
            outbox(
                KIND,
                transfer.id,
                PUSH_DELIVERY,
                endpoint,
                {"assetId": agreement.asset_id},
                transfer.counterparty_did,
                self._ctx.clock(),
            ),
        )
        completion = dsp.transfer_completion(transfer.provider_pid or "", transfer.consumer_pid)
        return self._send(tx, transfer, TransferEvent.COMPLETE, completion)

    def _mint_token(self, tx: Tx, transfer: Transfer, agreement: Agreement) -> str:
        token = secrets.token_urlsafe(32)
        tx.insert_edr(
            EdrToken(
                token_hash=token_hash(token),
                transfer_id=transfer.id,
                agreement_id=agreement.id,
                asset_id=agreement.asset_id,
                consumer_did=transfer.counterparty_did,
                expires_at=self._ctx.clock() + timedelta(seconds=self._ctx.edr_token_ttl),
                jkt=self._consumer_jkt(transfer.counterparty_did),
            )
        )
        return token

    def _consumer_jkt(self, consumer_did: str) -> str | None:
        if self.consumer_key is None:
            return None
        try:
            return self.consumer_key(consumer_did)
        except BattraceError as error:  # unresolvable or keyless DID: an unbound token, refused under DPoP
            log.warning("EDR for %s minted unbound: %s", consumer_did, error.detail)
            return None

    # ------------------------------------------------------------------ inbound, either role

    def receive(
        self,
        role: str,
        caller: VerifiedCaller,
        pid: str,
        event: TransferEvent,
        msg: Any,
        path: str,
        raw: Mapping[str, Any],
    ) -> Ack:
        """Start / suspension / completion / termination from the counterparty."""
        key = message_key(role, path, caller.did, raw)
        self._settle_first(role, pid)
        with self._ctx.store.transaction() as tx:
            t = self._owned(tx, role, caller, pid)
            if (recalled := recall_redelivery(tx, KIND, t.id, key)) is not None:
                return 200, recalled
            if t.provider_pid is None and role == CONSUMER:
                t = replace(t, provider_pid=msg.provider_pid)  # Start overtook the ACK of our request
            if msg.consumer_pid != t.consumer_pid or msg.provider_pid != t.provider_pid:
                raise NotFound("transfer process not found (process ids do not match)")
            t = self._inbound(tx, t, event, Role(other_role(role)))
            t = tx.update_transfer(self._absorb(t, event, msg))
            self._after_state_change(tx, t)
            ack = self._ack(tx, t)
            remember_inbound(tx, KIND, t.id, key, ack, self._ctx.clock())
            record_received(tx, self._ctx, Received(caller.did, path, raw), 200)
        self._ctx.wake_dispatcher()
        return 200, ack

    def _absorb(self, t: Transfer, event: TransferEvent, msg: Any) -> Transfer:
        if t.role == CONSUMER and isinstance(msg, TransferStart) and msg.data_address and t.format == PULL:
            return replace(t, data_address=dict(msg.data_address))
        if event == TransferEvent.TERMINATE and isinstance(msg, TransferTermination):
            reasons = "; ".join(str(r) for r in msg.reason)
            return replace(t, error_detail=f"terminated by counterparty {msg.code or ''} {reasons}".strip())
        return t

    def _after_state_change(self, tx: Tx, t: Transfer) -> None:
        # A suspended transfer keeps its token (the data plane refuses it while not STARTED), so a consumer
        # that resumes with a Start of its own can go on; completion and termination end the token for good.
        if t.role == PROVIDER and t.state in ("COMPLETED", "TERMINATED"):
            tx.revoke_edrs(t.id)

    # ------------------------------------------------------------------ management (this node decides)

    def request(
        self,
        counter_party_address: str,
        agreement_id: str,
        transfer_type: str,
        data_destination: Mapping[str, Any] | None,
    ) -> Transfer:
        address = check_peer_url(
            counter_party_address, dev=self._ctx.dev, allowed_hosts=self._ctx.allowed_peer_hosts
        )
        if transfer_type not in FORMATS:
            raise InvalidInput(
                f"transferType {transfer_type!r} is not supported (supported: {', '.join(FORMATS)})"
            )
        if transfer_type == PUSH and not data_destination:
            raise InvalidInput("an HttpData-PUSH transfer needs a dataDestination")
        data_destination = dsp_destination(data_destination) if data_destination else None
        now = self._ctx.clock()
        with self._ctx.store.transaction() as tx:
            agreement = tx.get_agreement(agreement_id)
            if agreement is None or agreement.consumer_did != self._ctx.me.did:
                raise NotFound(f"no contract agreement {agreement_id!r} where this node is the consumer")
            t = Transfer(
                id=self._ctx.new_id(),
                role=CONSUMER,
                state=next_transfer_state(None, TransferEvent.REQUEST, Role.CONSUMER).value,
                consumer_pid=self._ctx.new_id(),
                provider_pid=None,
                agreement_id=agreement.id,
                format=transfer_type,
                counterparty_did=agreement.provider_did,
                counterparty_address=address,
                data_address=dict(data_destination) if data_destination else None,
                error_detail=None,
                created_at=now,
                updated_at=now,
            )
            body = dsp.transfer_request(
                t.consumer_pid,
                agreement.id,
                transfer_type,
                self._ctx.me.callback_address,
                data_address=dict(data_destination) if data_destination else None,
            )
            tx.insert_transfer(t)
            enqueue(
                tx,
                self._ctx,
                outbox(
                    KIND,
                    t.id,
                    TransferEvent.REQUEST.value,
                    join(address, "transfers/request"),
                    body,
                    agreement.provider_did,
                    now,
                ),
            )
        self._ctx.wake_dispatcher()
        return t

    def act(self, transfer_id: str, event: TransferEvent, reason: str | None = None) -> Transfer:
        """Suspend, resume (start), complete or terminate from this side."""
        with self._ctx.store.transaction() as tx:
            t = tx.get_transfer(transfer_id, for_update=True)
            if t is None:
                raise NotFound(f"transfer process {transfer_id!r} not found")
            if t.provider_pid is None:
                raise InvalidInput("the provider has not acknowledged this transfer yet; try again shortly")
            forget_inbound(tx, KIND, t.id)  # our own move: a repeat of the peer's last message is new now
            if (
                t.role == PROVIDER
                and event == TransferEvent.START
                and t.state == TransferState.REQUESTED.value
            ):
                t = self._start(tx, t, self._agreement_of(tx, t))  # the operator approves a request
            else:
                t = self._send(tx, t, event, self._message(tx, t, event, reason))
            self._after_state_change(tx, t)
        self._ctx.wake_dispatcher()
        return t

    def _agreement_of(self, tx: Tx, t: Transfer) -> Agreement:
        agreement = tx.get_agreement(t.agreement_id)
        if agreement is None:
            raise NotFound(f"agreement {t.agreement_id!r} of this transfer is gone")
        refusal = self._usage_refusal(agreement, t.counterparty_did, "transfer")
        if refusal is not None:
            raise InvalidInput(f"the agreed usage policy does not allow this transfer: {refusal}")
        return agreement

    def _message(self, tx: Tx, t: Transfer, event: TransferEvent, reason: str | None) -> dict[str, Any]:
        ppid, cpid = t.provider_pid or "", t.consumer_pid
        reasons = [reason] if reason else []
        if event == TransferEvent.START:
            if t.role == PROVIDER and t.format == PULL:
                agreement = tx.get_agreement(t.agreement_id)
                if agreement is None:
                    raise NotFound(f"agreement {t.agreement_id!r} of this transfer is gone")
                refusal = self._usage_refusal(agreement, t.counterparty_did, "transfer")
                if refusal is not None:
                    raise InvalidInput(f"cannot resume: {refusal}")
                token = self._mint_token(tx, t, agreement)
                address = dsp.data_address_edr(self._ctx.me.public_data_url, token, self._ctx.edr_token_ttl)
                return dsp.transfer_start(ppid, cpid, address)
            return dsp.transfer_start(ppid, cpid)
        if event == TransferEvent.SUSPEND:
            return dsp.transfer_suspension(
                ppid, cpid, code="SUSPENDED_BY_OPERATOR" if reason else None, reason=reasons
            )
        if event == TransferEvent.COMPLETE:
            return dsp.transfer_completion(ppid, cpid)
        return dsp.transfer_termination(ppid, cpid, code="TERMINATED_BY_OPERATOR", reason=reasons)

    def get(self, transfer_id: str) -> Transfer:
        with self._ctx.store.read() as tx:
            t = tx.get_transfer(transfer_id)
        if t is None:
            raise NotFound(f"transfer process {transfer_id!r} not found")
        return t

    def protocol_view(self, caller: VerifiedCaller, provider_pid: str) -> dict[str, Any]:
        self._settle_first(PROVIDER, provider_pid)
        with self._ctx.store.read() as tx:
            return self._ack(tx, self._owned(tx, PROVIDER, caller, provider_pid))

    def _settle_first(self, role: str, pid: str) -> None:
        """Let a delivery on the wire settle before judging or reporting (see Dispatcher.wait_settled)."""
        if not self._ctx.dispatcher_busy():
            return
        with self._ctx.store.read() as tx:
            if role == PROVIDER:
                t = tx.find_transfer(role, provider_pid=pid)
            else:
                t = tx.find_transfer(role, consumer_pid=pid)
        if t is not None:
            self._ctx.await_settled(KIND, t.id)

    # ------------------------------------------------------------------ dispatcher callbacks

    def delivered(self, tx: Tx, message: OutboxMessage, response: Mapping[str, Any] | None) -> None:
        if message.message_type != TransferEvent.REQUEST.value or not response:
            return
        t = tx.get_transfer(message.process_id, for_update=True)
        provider_pid = response.get("providerPid")
        if t is not None and t.provider_pid is None and isinstance(provider_pid, str):
            tx.update_transfer(replace(t, provider_pid=provider_pid))

    def undeliverable(self, tx: Tx, message: OutboxMessage, detail: str) -> None:
        t = tx.get_transfer(message.process_id, for_update=True)
        if t is not None and t.state != TransferState.TERMINATED.value:
            t = tx.update_transfer(
                replace(
                    t,
                    state=TransferState.TERMINATED.value,
                    updated_at=self._ctx.clock(),
                    error_detail=f"{message.message_type} not delivered: {detail}",
                )
            )
            self._after_state_change(tx, t)

    # ------------------------------------------------------------------ internals

    def _owned(self, tx: Tx, role: str, caller: VerifiedCaller, pid: str) -> Transfer:
        kw = {"provider_pid": pid} if role == PROVIDER else {"consumer_pid": pid}
        t = tx.find_transfer(role, for_update=True, **kw)
        if t is None or t.counterparty_did != caller.did:
            refusals.warning("transfer message refused: %s pid %r is not %s's", role, pid, caller.did)
            raise NotFound("transfer process not found")
        return t

    def _inbound(self, tx: Tx, t: Transfer, event: TransferEvent, sender: Role) -> Transfer:
        """A counterparty's message, judged from the state it has acknowledged (not our optimistic one)."""
        base = acknowledged_state(t.state, tx.oldest_pending(KIND, t.id))
        state = next_transfer_state(TransferState(base), event, sender)
        if is_terminal(state):
            tx.drop_pending(KIND, t.id)
        return replace(t, state=state.value, updated_at=self._ctx.clock())

    def _transition(self, t: Transfer, event: TransferEvent, sender: Role) -> Transfer:
        state = next_transfer_state(TransferState(t.state), event, sender)
        return replace(t, state=state.value, updated_at=self._ctx.clock())

    def _send(self, tx: Tx, t: Transfer, event: TransferEvent, body: Mapping[str, Any]) -> Transfer:
        before = t.state
        t = tx.update_transfer(self._transition(t, event, Role(t.role)))
        pid = t.provider_pid if t.role == CONSUMER else t.consumer_pid
        url = join(t.counterparty_address, "transfers", pid or "", _SUFFIX[event])
        enqueue(
            tx,
            self._ctx,
            outbox(KIND, t.id, event.value, url, body, t.counterparty_did, self._ctx.clock(), before),
        )
        return t

    def _ack(self, tx: Tx, t: Transfer) -> dict[str, Any]:
        # DSP 2025-1 §4.1: a state is entered when the counterparty ACKs, so peers see the acknowledged one.
        acknowledged = acknowledged_state(t.state, tx.oldest_pending(KIND, t.id))
        return dsp.transfer_ack(t.provider_pid or "", t.consumer_pid, TransferState(acknowledged))
