"""Contract negotiation, both roles (DSP 2025-1 §3).

Every inbound message follows one path (EDC's protocol service): load the process → check it belongs to the
caller → recall a duplicate → pure transition (battrace.dsp) → save with the outbox entry that announces the
next step, in one transaction → acknowledge. Outbound messages are sent later by the dispatcher from the
outbox, so a crash between "saved" and "sent" only delays the send.

Decisions this node takes on its own:
* provider: a request that replays a catalog offer (soft equivalence) and satisfies its policy is agreed at
  once; a request with other terms waits in REQUESTED for an operator (agree / counter-offer / terminate);
  an ACCEPTED offer is agreed; a verification is finalized.
* consumer: an agreement that matches what it asked for is verified, anything else is terminated;
  an offer waits for an operator (accept / counter-request / terminate).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from battrace.clock import iso
from battrace.connector.context import ConnectorContext
from battrace.connector.contracts import split_contract_hash
from battrace.connector.offers import OfferBook, same_terms
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
    policy_context,
    recall_redelivery,
    record_received,
    remember_inbound,
)
from battrace.connector.records import CONSUMER, PROVIDER, Agreement, Negotiation, OutboxMessage
from battrace.connector.urls import check_peer_url
from battrace.dsp import messages as dsp
from battrace.dsp.negotiation import next_negotiation_state
from battrace.dsp.parse import (
    AgreementVerification,
    ContractAgreement,
    ContractOffer,
    ContractRequest,
    NegotiationEventMsg,
    NegotiationTermination,
)
from battrace.dsp.states import NegotiationEvent, NegotiationState, Role, is_terminal
from battrace.errors import Conflict, InvalidInput, NotFound
from battrace.identity import VerifiedCaller
from battrace.jsonld import DSP_CONTEXT
from battrace.policy import EvaluationContext, Policy, parse_policy, policy_to_dsp
from battrace.store import Tx

refusals = logging.getLogger("battrace.refused")

KIND = "negotiation"
RECEIPT_DELAY = timedelta(seconds=1)
Ack = tuple[int, dict[str, Any]]


class NegotiationService:
    def __init__(self, ctx: ConnectorContext) -> None:
        self._ctx = ctx

    # ------------------------------------------------------------------ inbound, provider role

    def receive_request(
        self, caller: VerifiedCaller, msg: ContractRequest, path: str, raw: Mapping[str, Any]
    ) -> Ack:
        """POST /negotiations/request (initial, 201) or /negotiations/:providerPid/request (counter, 200)."""
        key = message_key(PROVIDER, path, caller.did, raw)
        received = Received(caller.did, path, raw)
        if msg.provider_pid is None:
            # Claims first, outside the transaction: they may need a round trip to the caller's credential
            # service (DCP), which must never run while this node holds its database write lock.
            evaluation = self._ctx.evaluation(caller, "negotiation")
            return answer_first_message(
                self._ctx, key, 201, lambda tx: self._initial_request(tx, caller, msg, evaluation), received
            )
        return answer_first_message(
            self._ctx, key, 200, lambda tx: self._counter_request(tx, caller, msg), received
        )

    def _initial_request(
        self, tx: Tx, caller: VerifiedCaller, msg: ContractRequest, evaluation: EvaluationContext
    ) -> dict[str, Any] | InvalidInput:
        existing = tx.find_negotiation(PROVIDER, consumer_pid=msg.consumer_pid)
        if existing is not None:
            if existing.counterparty_did != caller.did:
                raise Conflict(f"consumerPid {msg.consumer_pid!r} is already in use")
            if existing.state == NegotiationState.TERMINATED.value and existing.error_detail:
                # A retried request that was refused gets the same refusal, not a fresh ACK.
                return InvalidInput(
                    "the contract policy is not satisfied",
                    code="POLICY_NOT_SATISFIED",
                    reason=existing.error_detail.split("; "),
                    providerPid=existing.provider_pid,
                    consumerPid=existing.consumer_pid,
                )
            return self._ack(tx, existing)
        callback = check_peer_url(
            str(msg.callback_address), dev=self._ctx.dev, allowed_hosts=self._ctx.allowed_peer_hosts
        )
        offered, proposed, decision = OfferBook(tx, self._ctx.operands, self._ctx.denials).resolve(
            msg.offer, msg.context, evaluation
        )
        now = self._ctx.clock()
        negotiation = Negotiation(
            id=self._ctx.new_id(),
            role=PROVIDER,
            state=next_negotiation_state(None, NegotiationEvent.REQUEST, Role.CONSUMER).value,
            consumer_pid=msg.consumer_pid,
            provider_pid=self._ctx.new_id(),
            counterparty_did=caller.did,
            counterparty_address=callback,
            offer=_with_context(msg.offer, policy_context(msg.context)),
            asset_id=offered.asset.id,
            agreement_id=None,
            error_detail=None,
            created_at=now,
            updated_at=now,
        )
        if not decision.allowed:
            # Refusals are kept (TERMINATED, with the reasons) so the history shows who asked for what.
            refused = replace(
                negotiation, state=NegotiationState.TERMINATED.value, error_detail="; ".join(decision.reasons)
            )
            tx.insert_negotiation(refused)
            return InvalidInput(
                "the contract policy is not satisfied",
                code="POLICY_NOT_SATISFIED",
                reason=list(decision.reasons),
                providerPid=refused.provider_pid,
                consumerPid=refused.consumer_pid,
            )
        tx.insert_negotiation(negotiation)
        ack = self._ack(tx, negotiation)
        if self._ctx.auto_approve and same_terms(proposed, offered.policy):
            self._agree(tx, negotiation, offered.policy)
        return ack

    def _counter_request(self, tx: Tx, caller: VerifiedCaller, msg: ContractRequest) -> dict[str, Any]:
        n = self._owned(tx, PROVIDER, caller, provider_pid=msg.provider_pid)
        self._check_pids(n, msg.consumer_pid, msg.provider_pid)
        n = self._inbound(tx, n, NegotiationEvent.REQUEST, Role.CONSUMER)
        n = replace(n, offer=_with_context(msg.offer, policy_context(msg.context)))
        return self._ack(tx, tx.update_negotiation(n))

    def receive_event(
        self,
        role: str,
        caller: VerifiedCaller,
        pid: str,
        msg: NegotiationEventMsg,
        path: str,
        raw: Mapping[str, Any],
    ) -> Ack:
        event = NegotiationEvent.ACCEPT if msg.event_type == "ACCEPTED" else NegotiationEvent.FINALIZE

        def apply(tx: Tx, n: Negotiation) -> Negotiation:
            self._check_pids(n, msg.consumer_pid, msg.provider_pid)
            n = tx.update_negotiation(self._inbound(tx, n, event, Role(other_role(role))))
            if n.state == NegotiationState.ACCEPTED.value and self._ctx.auto_approve:
                self._agree(tx, n, self._offer_policy(n))
            return n

        return self._receive(role, caller, pid, path, raw, apply)

    def receive_verification(
        self,
        caller: VerifiedCaller,
        provider_pid: str,
        msg: AgreementVerification,
        path: str,
        raw: Mapping[str, Any],
    ) -> Ack:
        def apply(tx: Tx, n: Negotiation) -> Negotiation:
            self._check_pids(n, msg.consumer_pid, msg.provider_pid)
            verified = tx.update_negotiation(self._inbound(tx, n, NegotiationEvent.VERIFY, Role.CONSUMER))
            if self._ctx.auto_approve:
                self._finalize(tx, verified)
            return verified

        return self._receive(PROVIDER, caller, provider_pid, path, raw, apply)

    def receive_termination(
        self,
        role: str,
        caller: VerifiedCaller,
        pid: str,
        msg: NegotiationTermination,
        path: str,
        raw: Mapping[str, Any],
    ) -> Ack:
        def apply(tx: Tx, n: Negotiation) -> Negotiation:
            self._check_pids(n, msg.consumer_pid, msg.provider_pid)
            n = self._inbound(tx, n, NegotiationEvent.TERMINATE, Role(other_role(role)))
            detail = "terminated by counterparty" + (f": {msg.code}" if msg.code else "")
            reasons = "; ".join(str(r) for r in msg.reason)
            return tx.update_negotiation(replace(n, error_detail=f"{detail} {reasons}".strip()))

        return self._receive(role, caller, pid, path, raw, apply)

    # ------------------------------------------------------------------ inbound, consumer role

    def receive_offer(
        self, caller: VerifiedCaller, msg: ContractOffer, path: str, raw: Mapping[str, Any]
    ) -> Ack:
        """POST <base>/negotiations/offers (initial, 201) or <cb>/negotiations/:consumerPid/offers (200)."""
        if msg.consumer_pid is not None:

            def apply(tx: Tx, n: Negotiation) -> Negotiation:
                self._check_pids(n, msg.consumer_pid, msg.provider_pid)
                n = self._inbound(tx, n, NegotiationEvent.OFFER, Role.PROVIDER)
                return tx.update_negotiation(
                    replace(n, offer=_with_context(msg.offer, policy_context(msg.context)))
                )

            return self._receive(CONSUMER, caller, msg.consumer_pid, path, raw, apply)
        key = message_key(CONSUMER, path, caller.did, raw)
        return answer_first_message(
            self._ctx,
            key,
            201,
            lambda tx: self._initial_offer(tx, caller, msg),
            Received(caller.did, path, raw),
        )

    def _initial_offer(self, tx: Tx, caller: VerifiedCaller, msg: ContractOffer) -> dict[str, Any]:
        callback = check_peer_url(
            str(msg.callback_address), dev=self._ctx.dev, allowed_hosts=self._ctx.allowed_peer_hosts
        )
        now = self._ctx.clock()
        n = Negotiation(
            id=self._ctx.new_id(),
            role=CONSUMER,
            state=next_negotiation_state(None, NegotiationEvent.OFFER, Role.PROVIDER).value,
            consumer_pid=self._ctx.new_id(),
            provider_pid=msg.provider_pid,
            counterparty_did=caller.did,
            counterparty_address=callback,
            offer=_with_context(msg.offer, policy_context(msg.context)),
            asset_id=_target(msg.offer),
            agreement_id=None,
            error_detail=None,
            created_at=now,
            updated_at=now,
        )
        tx.insert_negotiation(n)
        return self._ack(tx, n)

    def receive_agreement(
        self,
        caller: VerifiedCaller,
        consumer_pid: str,
        msg: ContractAgreement,
        path: str,
        raw: Mapping[str, Any],
    ) -> Ack:
        def apply(tx: Tx, n: Negotiation) -> Negotiation:
            if n.provider_pid is None:  # the agreement overtook the ACK of our request: adopt its providerPid
                n = replace(n, provider_pid=msg.provider_pid)
            self._check_pids(n, msg.consumer_pid, msg.provider_pid)
            n = tx.update_negotiation(self._inbound(tx, n, NegotiationEvent.AGREE, Role.PROVIDER))
            problem, contract_hash = self._agreement_problem(n, msg.agreement, msg.context)
            if problem is not None:
                return self._terminate(tx, n, "AGREEMENT_MISMATCH", problem)
            self._store_agreement(tx, n, _with_context(msg.agreement, policy_context(msg.context)))
            n = tx.update_negotiation(replace(n, agreement_id=str(msg.agreement["@id"])))
            if contract_hash is not None:
                self._ctx.contracts.agreed(tx, n, str(msg.agreement["@id"]), contract_hash)
            body = dsp.agreement_verification(n.provider_pid or "", n.consumer_pid)
            return self._send(tx, n, NegotiationEvent.VERIFY, "agreement/verification", body)

        return self._receive(CONSUMER, caller, consumer_pid, path, raw, apply)

    def _agreement_problem(
        self, n: Negotiation, agreement: Mapping[str, Any], context: Sequence[Any]
    ) -> tuple[str | None, str | None]:
        """(what is wrong with the agreement, the contract hash it binds)."""
        if agreement.get("assignee") != self._ctx.me.did:
            return f"agreement assignee {agreement.get('assignee')!r} is not this participant", None
        if agreement.get("assigner") != n.counterparty_did:
            return f"agreement assigner {agreement.get('assigner')!r} is not the counterparty", None
        if n.asset_id is not None and agreement.get("target") != n.asset_id:
            return f"agreement target {agreement.get('target')!r} differs from the requested dataset", None
        agreed = parse_policy(agreement, policy_context(context))
        try:
            # The provider may add exactly one thing to the offered terms: the hash of the contract it
            # rendered for this agreement (battrace.connector.contracts); we check the text before we sign.
            terms, contract_hash = split_contract_hash(agreed)
        except InvalidInput as error:
            return error.detail, None
        if not same_terms(terms, self._offer_policy(n)):
            return "agreement terms differ from the last offer", None
        return None, contract_hash

    # ------------------------------------------------------------------ management (this node decides)

    def request(
        self,
        counter_party_address: str,
        counter_party_id: str,
        offer: Mapping[str, Any],
        offer_context: Sequence[Any],
    ) -> Negotiation:
        """Consumer: start a negotiation by sending a ContractRequestMessage for a catalog offer."""
        address = check_peer_url(
            counter_party_address, dev=self._ctx.dev, allowed_hosts=self._ctx.allowed_peer_hosts
        )
        if not isinstance(offer.get("target"), str):
            raise InvalidInput("the offer needs a 'target' (the dataset id) in a contract request")
        now = self._ctx.clock()
        n = Negotiation(
            id=self._ctx.new_id(),
            role=CONSUMER,
            state=next_negotiation_state(None, NegotiationEvent.REQUEST, Role.CONSUMER).value,
            consumer_pid=self._ctx.new_id(),
            provider_pid=None,
            counterparty_did=counter_party_id,
            counterparty_address=address,
            offer=_with_context(offer, policy_context(offer_context)),
            asset_id=_target(offer),
            agreement_id=None,
            error_detail=None,
            created_at=now,
            updated_at=now,
        )
        body = dsp.contract_request(
            n.consumer_pid,
            _without_context(offer),
            callback_address=self._ctx.me.callback_address,
            contexts=_extra_contexts(offer_context),
        )
        with self._ctx.store.transaction() as tx:
            tx.insert_negotiation(n)
            enqueue(
                tx,
                self._ctx,
                outbox(
                    KIND,
                    n.id,
                    NegotiationEvent.REQUEST.value,
                    join(address, "negotiations/request"),
                    body,
                    counter_party_id,
                    now,
                ),
            )
        self._ctx.wake_dispatcher()
        return n

    def finalize(self, negotiation_id: str) -> Negotiation:
        """Provider: confirm a verified agreement (VERIFIED → FINALIZED), when auto_approve is off."""
        return self._manage(negotiation_id, PROVIDER, self._finalize)

    def _finalize(self, tx: Tx, n: Negotiation) -> Negotiation:
        body = dsp.negotiation_event(n.provider_pid or "", n.consumer_pid, "FINALIZED")
        return self._send(tx, n, NegotiationEvent.FINALIZE, "events", body)

    def agree(self, negotiation_id: str) -> Negotiation:
        """Provider: agree to the consumer's current request (REQUESTED → AGREED)."""
        return self._manage(negotiation_id, PROVIDER, lambda tx, n: self._agree(tx, n, self._offer_policy(n)))

    def counter_offer(
        self, negotiation_id: str, offer: Mapping[str, Any], offer_context: Sequence[Any]
    ) -> Negotiation:
        def act(tx: Tx, n: Negotiation) -> Negotiation:
            body = dsp.contract_offer(
                n.provider_pid or "",
                _without_context(offer),
                consumer_pid=n.consumer_pid,
                contexts=_extra_contexts(offer_context),
            )
            n = tx.update_negotiation(replace(n, offer=_with_context(offer, policy_context(offer_context))))
            return self._send(tx, n, NegotiationEvent.OFFER, "offers", body)

        return self._manage(negotiation_id, PROVIDER, act)

    def accept(self, negotiation_id: str) -> Negotiation:
        def act(tx: Tx, n: Negotiation) -> Negotiation:
            body = dsp.negotiation_event(n.provider_pid or "", n.consumer_pid, "ACCEPTED")
            return self._send(tx, n, NegotiationEvent.ACCEPT, "events", body)

        return self._manage(negotiation_id, CONSUMER, act)

    def counter_request(
        self, negotiation_id: str, offer: Mapping[str, Any], offer_context: Sequence[Any]
    ) -> Negotiation:
        def act(tx: Tx, n: Negotiation) -> Negotiation:
            body = dsp.contract_request(
                n.consumer_pid,
                _without_context(offer),
                provider_pid=n.provider_pid,
                contexts=_extra_contexts(offer_context),
            )
            n = tx.update_negotiation(replace(n, offer=_with_context(offer, policy_context(offer_context))))
            return self._send(tx, n, NegotiationEvent.REQUEST, "request", body)

        return self._manage(negotiation_id, CONSUMER, act)

    def terminate(self, negotiation_id: str, reason: str | None) -> Negotiation:
        def act(tx: Tx, n: Negotiation) -> Negotiation:
            return self._terminate(tx, n, "TERMINATED_BY_OPERATOR", reason or "terminated by operator")

        return self._manage(negotiation_id, None, act)

    def get(self, negotiation_id: str) -> Negotiation:
        with self._ctx.store.read() as tx:
            n = tx.get_negotiation(negotiation_id)
        if n is None:
            raise NotFound(f"contract negotiation {negotiation_id!r} not found")
        return n

    def protocol_view(self, role: str, caller: VerifiedCaller, pid: str) -> dict[str, Any]:
        """GET /negotiations/:pid for the counterparty only (unknown or foreign → 404, DSP 2025-1 §3.3)."""
        self._settle_first(role, pid)
        with self._ctx.store.read() as tx:
            return self._ack(tx, self._owned(tx, role, caller, **_pid_kw(role, pid)))

    # ------------------------------------------------------------------ dispatcher callbacks

    def delivered(self, tx: Tx, message: OutboxMessage, response: Mapping[str, Any] | None) -> None:
        if message.message_type != NegotiationEvent.REQUEST.value or not response:
            return
        n = tx.get_negotiation(message.process_id, for_update=True)
        provider_pid = response.get("providerPid")
        if n is not None and n.provider_pid is None and isinstance(provider_pid, str):
            tx.update_negotiation(replace(n, provider_pid=provider_pid))

    def undeliverable(self, tx: Tx, message: OutboxMessage, detail: str) -> None:
        n = tx.get_negotiation(message.process_id, for_update=True)
        if n is not None and n.state != NegotiationState.TERMINATED.value:
            tx.update_negotiation(
                replace(
                    n,
                    state=NegotiationState.TERMINATED.value,
                    error_detail=f"{message.message_type} not delivered: {detail}",
                    updated_at=self._ctx.clock(),
                )
            )

    # ------------------------------------------------------------------ internals

    def _receive(
        self, role: str, caller: VerifiedCaller, pid: str, path: str, raw: Mapping[str, Any], apply: Any
    ) -> Ack:
        key = message_key(role, path, caller.did, raw)
        self._settle_first(role, pid)
        with self._ctx.store.transaction() as tx:
            n = self._owned(tx, role, caller, **_pid_kw(role, pid))
            if (recalled := recall_redelivery(tx, KIND, n.id, key)) is not None:
                return 200, recalled
            n = apply(tx, n)
            ack = self._ack(tx, n)
            remember_inbound(tx, KIND, n.id, key, ack, self._ctx.clock())
            record_received(tx, self._ctx, Received(caller.did, path, raw), 200)
        self._ctx.wake_dispatcher()
        return 200, ack

    def _settle_first(self, role: str, pid: str) -> None:
        if not self._ctx.dispatcher_busy():
            return
        with self._ctx.store.read() as tx:
            n = _find(tx, role, pid)
        if n is not None:
            self._ctx.await_settled(KIND, n.id)

    def _manage(
        self, negotiation_id: str, role: str | None, act: Callable[[Tx, Negotiation], Negotiation]
    ) -> Negotiation:
        with self._ctx.store.transaction() as tx:
            n = tx.get_negotiation(negotiation_id, for_update=True)
            if n is None:
                raise NotFound(f"contract negotiation {negotiation_id!r} not found")
            if role is not None and n.role != role:
                raise InvalidInput(
                    f"this action is for the {role.lower()} side; negotiation {n.id} is {n.role}"
                )
            forget_inbound(tx, KIND, n.id)  # our own move: a repeat of the peer's last message is new now
            n = act(tx, n)
        self._ctx.wake_dispatcher()
        return n

    def _owned(self, tx: Tx, role: str, caller: VerifiedCaller, **pid: str | None) -> Negotiation:
        n = tx.find_negotiation(role, for_update=True, **pid)
        if n is None or n.counterparty_did != caller.did:
            refusals.warning("negotiation message refused: %s %s is not %s's", role, pid, caller.did)
            raise NotFound("contract negotiation not found")
        return n

    def _check_pids(self, n: Negotiation, consumer_pid: str | None, provider_pid: str | None) -> None:
        if consumer_pid != n.consumer_pid or (n.provider_pid is not None and provider_pid != n.provider_pid):
            raise NotFound("contract negotiation not found (process ids do not match)")

    def _inbound(self, tx: Tx, n: Negotiation, event: NegotiationEvent, sender: Role) -> Negotiation:
        """A counterparty's message, judged from the state it has acknowledged (not our optimistic one)."""
        base = acknowledged_state(n.state, tx.oldest_pending(KIND, n.id))
        state = next_negotiation_state(NegotiationState(base), event, sender)
        if is_terminal(state):
            tx.drop_pending(KIND, n.id)  # nothing we still meant to say matters after the end
        return replace(n, state=state.value, updated_at=self._ctx.clock())

    def _transition(self, n: Negotiation, event: NegotiationEvent, sender: Role) -> Negotiation:
        state = next_negotiation_state(NegotiationState(n.state), event, sender)
        return replace(n, state=state.value, updated_at=self._ctx.clock())

    def _send(
        self, tx: Tx, n: Negotiation, event: NegotiationEvent, suffix: str, body: Mapping[str, Any]
    ) -> Negotiation:
        """Record our own message: the state moves now and the outbox delivers it (EDC's -ING states)."""
        before = n.state
        n = tx.update_negotiation(self._transition(n, event, Role(n.role)))
        pid = n.provider_pid if n.role == CONSUMER else n.consumer_pid
        url = join(n.counterparty_address, "negotiations", pid or "", suffix)
        enqueue(
            tx,
            self._ctx,
            outbox(KIND, n.id, event.value, url, body, n.counterparty_did, self._ctx.clock(), before),
        )
        return n

    def _agree(self, tx: Tx, n: Negotiation, policy: Policy) -> Negotiation:
        agreement_id = self._ctx.new_id()
        # A contract definition with a template: its rendered contract's hash becomes part of the terms.
        body, contexts = policy_to_dsp(self._ctx.contracts.bind(tx, n, policy, agreement_id))
        agreement = {
            **{k: v for k, v in body.items() if k not in ("@id", "@type", "target", "assigner", "assignee")},
            "@id": agreement_id,
            "@type": "Agreement",
            "target": n.asset_id,
            "assigner": self._ctx.me.did,
            "assignee": n.counterparty_did,
            "timestamp": iso(self._ctx.clock()),
        }
        message = dsp.contract_agreement(n.provider_pid or "", n.consumer_pid, agreement, contexts=contexts)
        n = self._send(tx, n, NegotiationEvent.AGREE, "agreement", message)
        self._store_agreement(tx, n, _with_context(agreement, policy_context(contexts)))
        return tx.update_negotiation(replace(n, agreement_id=agreement["@id"]))

    def _store_agreement(self, tx: Tx, n: Negotiation, agreement: Mapping[str, Any]) -> None:
        provider, consumer = str(agreement.get("assigner")), str(agreement.get("assignee"))
        tx.insert_agreement(
            Agreement(
                id=str(agreement["@id"]),
                negotiation_id=n.id,
                asset_id=str(agreement.get("target")),
                provider_did=provider,
                consumer_did=consumer,
                body=dict(agreement),
                signed_at=self._ctx.clock(),
            )
        )
        event = {
            "negotiation": n.id,
            "role": n.role,
            "peer": n.counterparty_did,
            "agreement": dict(agreement),
        }
        index = self._ctx.log.append(tx, "contract.agreement", event)
        if index >= 0:  # hand the counterparty a receipt of this entry (battrace.ledger.exchange)
            body = {"agreement": str(agreement["@id"]), "leafIndex": index}
            process = f"{agreement['@id']}:{n.role}"
            # Receipts are evidence, not protocol: they leave a moment later, off the critical path.
            later = self._ctx.clock() + RECEIPT_DELAY
            tx.enqueue(
                replace(
                    outbox("receipt", process, "LogReceipt", "", body, n.counterparty_did, self._ctx.clock()),
                    next_attempt_at=later,
                )
            )

    def _terminate(self, tx: Tx, n: Negotiation, code: str, reason: str) -> Negotiation:
        body = dsp.negotiation_termination(n.provider_pid or "", n.consumer_pid, code=code, reason=[reason])
        if n.provider_pid is None:
            # Nothing to address yet at the provider: terminate locally only.
            n = self._transition(n, NegotiationEvent.TERMINATE, Role(n.role))
            return tx.update_negotiation(replace(n, error_detail=reason))
        n = self._send(tx, n, NegotiationEvent.TERMINATE, "termination", body)
        return tx.update_negotiation(replace(n, error_detail=reason))

    def _offer_policy(self, n: Negotiation) -> Policy:
        if n.offer is None:
            raise InvalidInput("this negotiation has no offer to act on")
        return parse_policy(n.offer)

    def _ack(self, tx: Tx, n: Negotiation) -> dict[str, Any]:
        # DSP 2025-1 §3.1: a state is entered when the counterparty ACKs, so peers see the acknowledged one.
        acknowledged = acknowledged_state(n.state, tx.oldest_pending(KIND, n.id))
        return dsp.negotiation_ack(n.provider_pid or "", n.consumer_pid, NegotiationState(acknowledged))


def _with_context(document: Mapping[str, Any], context: Sequence[Any]) -> dict[str, Any]:
    return {**document, "@context": list(context)}


def _without_context(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "@context"}


def _extra_contexts(context: Sequence[Any]) -> list[Any]:
    return [c for c in context if c != DSP_CONTEXT]


def _target(offer: Mapping[str, Any]) -> str | None:
    target = offer.get("target")
    return target if isinstance(target, str) else None


def _find(tx: Tx, role: str, pid: str, *, for_update: bool = False) -> Negotiation | None:
    if role == PROVIDER:
        return tx.find_negotiation(role, provider_pid=pid, for_update=for_update)
    return tx.find_negotiation(role, consumer_pid=pid, for_update=for_update)


def _pid_kw(role: str, pid: str) -> dict[str, str | None]:
    return {"provider_pid": pid} if role == PROVIDER else {"consumer_pid": pid}
