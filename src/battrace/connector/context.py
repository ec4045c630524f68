"""What every connector service shares: who this node is, its store, its clock, how to wake the dispatcher.

Composition happens in plain code (battrace.connector.node); services receive this one value.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from battrace.clock import Clock, IdFactory, system_clock, urn_uuid
from battrace.connector.records import Negotiation
from battrace.errors import Forbidden
from battrace.identity import ClaimsSource, VerifiedCaller
from battrace.policy import EvaluationContext, LeftOperandRegistry, Policy, default_registry, evaluate
from battrace.store import Store, Tx
from battrace.trust.modes import register_mode_operands

DSP_PATH = "/api/dsp/2025-1"
CALLBACK_SEGMENT = "/callback"


@dataclass(frozen=True)
class Me:
    """This node as peers see it."""

    did: str
    base_url: str  # e.g. http://127.0.0.1:8101
    name: str = "node"  # how this company is named in contracts rendered from templates

    @property
    def dsp_base(self) -> str:
        return self.base_url + DSP_PATH

    @property
    def callback_address(self) -> str:
        # Consumer-side DSP endpoints hang off a separate callback so they never collide with provider-side
        # paths of the same node (DSP 2025-1 §3.3 leaves `:callback` to the consumer).
        return self.dsp_base + CALLBACK_SEGMENT

    @property
    def public_data_url(self) -> str:
        return self.base_url + "/api/public"


def node_operands() -> LeftOperandRegistry:
    """The policy vocabulary of a node: ODRL, Catena-X, battrace, and the connect-permission modes (trust)."""
    registry = default_registry()
    register_mode_operands(registry)
    return registry


class PolicyDenials:
    """The latest access-policy denials per participant (bounded), for the operator's explanation route; each
    one is also handed to `record` (the transparency log) when set."""

    def __init__(self, per_participant: int = 20) -> None:
        self._per_participant = per_participant
        self._by_did: dict[str, deque[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.record: Callable[[str, Mapping[str, Any]], None] | None = None

    def __call__(self, did: str, denial: dict[str, Any]) -> None:
        with self._lock:
            self._by_did.setdefault(did, deque(maxlen=self._per_participant)).append(denial)
        if self.record is not None:
            self.record("policy.denied", {"peer": did, **denial})

    def of(self, did: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._by_did.get(did, ()))


class EventLog(Protocol):
    """Where the node records what it did (the transparency log, battrace.ledger); appends join the caller's
    transaction so a recorded event and the state change it describes commit together."""

    def append(self, tx: Tx, kind: str, event: Mapping[str, Any]) -> int: ...


class NoEventLog:
    def append(self, tx: Tx, kind: str, event: Mapping[str, Any]) -> int:
        return -1


class ContractHooks(Protocol):
    """Contracts rendered from templates at agreement time (battrace.connector.contracts)."""

    def bind(self, tx: Tx, negotiation: Negotiation, policy: Policy, agreement_id: str) -> Policy:
        """Provider: the agreement policy, with the contract's hash bound in when the offer has a template."""
        ...

    def agreed(self, tx: Tx, negotiation: Negotiation, agreement_id: str, contract_hash: str) -> None:
        """Consumer: an agreement binding a contract was accepted; fetch, check and countersign it."""
        ...


class NoContracts:
    def bind(self, tx: Tx, negotiation: Negotiation, policy: Policy, agreement_id: str) -> Policy:
        return policy

    def agreed(self, tx: Tx, negotiation: Negotiation, agreement_id: str, contract_hash: str) -> None:
        return None


@dataclass
class ConnectorContext:
    me: Me
    store: Store
    claims: ClaimsSource
    dev: bool = False
    allowed_peer_hosts: tuple[str, ...] = ()
    edr_token_ttl: int = 600
    auto_approve: bool = True
    clock: Clock = system_clock
    new_id: IdFactory = urn_uuid
    operands: LeftOperandRegistry = field(default_factory=node_operands)
    log: EventLog = field(default_factory=NoEventLog)
    contracts: ContractHooks = field(default_factory=NoContracts)
    wake_dispatcher: Callable[[], None] = lambda: None
    denials: PolicyDenials = field(default_factory=lambda: PolicyDenials())
    connect_policy: Policy | None = None
    # (process kind, process id) -> returns once none of its outgoing messages is on the wire (bounded wait)
    await_settled: Callable[[str, str], None] = lambda kind, process_id: None
    dispatcher_busy: Callable[[], bool] = lambda: False

    def evaluation(self, caller: VerifiedCaller, scope: str, **extra: Any) -> EvaluationContext:
        claims: Mapping[str, Any] = self.claims.claims_for(caller)
        return EvaluationContext(
            scope=scope, participant_did=caller.did, claims=claims, now=self.clock(), **extra
        )

    def admit(self, evaluation: EvaluationContext) -> None:
        """The node-wide connect permission: refuse (403) a participant this node does not connect with."""
        if self.connect_policy is None:
            return
        decision = evaluate(self.connect_policy, evaluation, registry=self.operands)
        if not decision.allowed:
            self.denials(
                evaluation.participant_did,
                {"scope": evaluation.scope, "connectPermission": True, "reasons": list(decision.reasons)},
            )
            raise Forbidden("this node does not accept connections from this participant")

    def claims_for_did(self, did: str) -> Mapping[str, Any]:
        """Claims about a counterparty known only by DID (data plane, re-checks after the handshake)."""
        return self.claims.claims_for(VerifiedCaller(did=did, jti="", expires_at=self.clock(), claims={}))

    def evaluation_for(self, did: str, scope: str, **extra: Any) -> EvaluationContext:
        return EvaluationContext(
            scope=scope, participant_did=did, claims=self.claims_for_did(did), now=self.clock(), **extra
        )
