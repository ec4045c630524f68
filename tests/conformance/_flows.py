"""Steps shared by the TCK scenarios: the peer's side of each exchange, and the node operator's actions.

Everything here goes over real HTTP: DSP messages from the scripted peer, management calls (X-Api-Key) for
what the node's operator decides.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from battrace.client import EDC_CONTEXT, ODRL_PROFILE, NodeClient
from battrace.dsp import messages as dsp
from battrace.jsonld import DSP_CONTEXT

from ._peer import JSON, Peer

DATASET = "tck-battery-passport"
PEER_BPN = "BPNL000000000PEE"
PEER_CLAIMS: JSON = {"bpn": PEER_BPN, "membership": "active",
                     "frameworkAgreements": {"DataExchangeGovernance": "1.0"}}
# An extra constraint turns a catalog offer into "different terms": the node waits for its operator.
EXTRA_CONSTRAINT: JSON = {"leftOperand": "UsagePurpose", "operator": "isAnyOf",
                          "rightOperand": ["cx.pcf.base:1"]}
QUERY_ALL: JSON = {"@context": EDC_CONTEXT, "@type": "QuerySpec", "offset": 0, "limit": 1000}


def new_pid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def publish(client: NodeClient) -> None:
    """One dataset, visible to members, usable under the Data Exchange Governance framework agreement."""
    client.create_asset(DATASET, {"passport": "NMC811", "stateOfHealth": 0.97})
    client.create_policy("tck-members", [{"action": "access", "constraint": [
        {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"}]}])
    client.create_policy("tck-usage", [{"action": "use", "constraint": [
        {"leftOperand": "FrameworkAgreement", "operator": "eq",
         "rightOperand": "DataExchangeGovernance:1.0"}]}])
    client.create_contract_definition("tck-offer", "tck-members", "tck-usage", [DATASET])


# --- node as provider


@dataclass(frozen=True)
class Offer:
    """A catalog offer as the consumer echoes it in a ContractRequestMessage (with its target)."""

    body: JSON
    contexts: list[str]

    def altered(self) -> Offer:
        """Other terms than the catalog offer: one more constraint on the usage permission."""
        permission = [dict(rule) for rule in self.body["permission"]]
        permission[0]["constraint"] = [*permission[0].get("constraint", []), EXTRA_CONSTRAINT]
        return Offer({**self.body, "permission": permission}, self.contexts)


def catalog_offer(peer: Peer, dataset: str = DATASET) -> Offer:
    response = peer.get(f"/catalog/datasets/{dataset}")
    assert response.status_code == 200, response.text
    body = response.json()
    policies = body["hasPolicy"]
    offer = dict(policies[0] if isinstance(policies, list) else policies)
    offer["target"] = dataset
    contexts = [c for c in body.get("@context", []) if c != DSP_CONTEXT]
    return Offer(offer, contexts)


@dataclass(frozen=True)
class Negotiation:
    """The peer-as-consumer's view of one negotiation with the node."""

    consumer_pid: str
    provider_pid: str
    ack: JSON


def request(peer: Peer, offer: Offer) -> Negotiation:
    """Initial ContractRequestMessage; the node must ACK with 201 and a ContractNegotiation."""
    consumer_pid = new_pid()
    message = dsp.contract_request(consumer_pid, offer.body, callback_address=peer.callback,
                                   contexts=offer.contexts)
    response = peer.send("/negotiations/request", message)
    assert response.status_code == 201, response.text
    ack = response.json()
    assert ack["@type"] == "ContractNegotiation" and ack["consumerPid"] == consumer_pid, ack
    return Negotiation(consumer_pid, ack["providerPid"], ack)


def request_agreed(peer: Peer) -> tuple[Negotiation, JSON]:
    """A request replaying the catalog offer: the node agrees at once; returns the agreement message."""
    n = request(peer, catalog_offer(peer))
    agreement = peer.wait_for("ContractAgreementMessage", n.consumer_pid)
    return n, agreement.body


def verify(peer: Peer, n: Negotiation) -> httpx.Response:
    return peer.send(f"/negotiations/{n.provider_pid}/agreement/verification",
                     dsp.agreement_verification(n.provider_pid, n.consumer_pid))


def accept(peer: Peer, n: Negotiation) -> httpx.Response:
    return peer.send(f"/negotiations/{n.provider_pid}/events",
                     dsp.negotiation_event(n.provider_pid, n.consumer_pid, "ACCEPTED"))


def terminate(peer: Peer, n: Negotiation) -> httpx.Response:
    return peer.send(f"/negotiations/{n.provider_pid}/termination",
                     dsp.negotiation_termination(n.provider_pid, n.consumer_pid, code="TCK",
                                                 reason=["terminated by the scripted consumer"]))


def counter_request(peer: Peer, n: Negotiation, offer: Offer) -> httpx.Response:
    message = dsp.contract_request(n.consumer_pid, offer.body, provider_pid=n.provider_pid,
                                   contexts=offer.contexts)
    return peer.send(f"/negotiations/{n.provider_pid}/request", message)


def state_at_node(peer: Peer, n: Negotiation) -> str:
    response = peer.get(f"/negotiations/{n.provider_pid}")
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


def finalized(peer: Peer) -> tuple[Negotiation, str]:
    """CN:01-04 end to end: returns the negotiation and its agreement id (FINALIZED on both sides)."""
    n, agreement = request_agreed(peer)
    assert verify(peer, n).status_code == 200
    peer.wait_for("FINALIZED", n.consumer_pid)
    return n, str(agreement["agreement"]["@id"])


# --- node operator


class Operator:
    """The node's operator, through the management API."""

    def __init__(self, client: NodeClient) -> None:
        self.client = client

    def negotiation_ids(self) -> set[str]:
        listed = self.client.call("POST", "/management/v3/contractnegotiations/request", QUERY_ALL)
        return {n["@id"] for n in listed}

    def new_negotiation(self, before: set[str]) -> str:
        """The node's id of the one negotiation created since `before` (the management API shows no pids)."""
        created = self.negotiation_ids() - before
        assert len(created) == 1, created
        return created.pop()

    def negotiation(self, negotiation_id: str) -> JSON:
        return self.client.negotiation(negotiation_id)

    def act_on_negotiation(self, negotiation_id: str, verb: str, body: JSON | None = None) -> Any:
        return self.client.call("POST", f"/management/v3/contractnegotiations/{negotiation_id}/{verb}", body)

    def transfer_id_for(self, correlation_id: str) -> str:
        """Provider side: the node's transfer whose correlation id is the consumer's pid."""
        for t in self.client.call("POST", "/management/v3/transferprocesses/request", QUERY_ALL):
            if t.get("correlationId") == correlation_id:
                return str(t["@id"])
        raise AssertionError(f"no transfer with correlationId {correlation_id}")

    def act_on_transfer(self, transfer_id: str, verb: str) -> Any:
        return self.client.call("POST", f"/management/v3/transferprocesses/{transfer_id}/{verb}")

    def wait_negotiation(self, negotiation_id: str, state: str, timeout: float = 10.0) -> JSON:
        return self._wait(lambda: self.client.negotiation(negotiation_id), state, timeout)

    def wait_transfer(self, transfer_id: str, state: str, timeout: float = 10.0) -> JSON:
        return self._wait(lambda: self.client.transfer_process(transfer_id), state, timeout)

    @staticmethod
    def _wait(read: Any, state: str, timeout: float) -> JSON:
        deadline = time.monotonic() + timeout
        while True:
            current: JSON = read()
            if current.get("state") == state or time.monotonic() > deadline:
                assert current.get("state") == state, current
                return current
            time.sleep(0.02)


def policy_body(offer: Mapping[str, Any], contexts: list[str], target: str, assigner: str) -> JSON:
    """A management ContractRequest-shaped body (counter-offer / counter-request) carrying `offer`."""
    policy = {k: v for k, v in offer.items() if k != "@context"}
    policy.update({"@type": "Offer", "target": target, "assigner": assigner})
    extra = [c for c in contexts if c != ODRL_PROFILE]
    return {"@context": [ODRL_PROFILE, *extra, EDC_CONTEXT], "@type": "ContractRequest",
            "counterPartyAddress": "http://127.0.0.1/unused", "protocol": "dataspace-protocol-http:2025-1",
            "policy": policy}


# --- node as consumer

PEER_DATASET = "urn:tck:peer-dataset"


def peer_offer(peer: Peer, offer_id: str = "urn:tck:peer-offer") -> JSON:
    """What the peer-as-provider offers: a plain use permission on its dataset."""
    return {"@id": offer_id, "@type": "Offer", "target": PEER_DATASET, "assigner": peer.did,
            "permission": [{"action": "use"}]}


@dataclass(frozen=True)
class NodeConsumer:
    """One negotiation the node started as consumer: its management id, both pids, its callback address."""

    negotiation_id: str
    consumer_pid: str
    provider_pid: str
    callback: str

    def url(self, suffix: str) -> str:
        return f"{self.callback.rstrip('/')}/negotiations/{self.consumer_pid}/{suffix}"


def node_requests(peer: Peer, operator: Operator) -> NodeConsumer:
    """The node's operator starts a negotiation with the peer; the peer ACKs 201 with its providerPid."""
    nid = operator.client.negotiate(peer.dsp_base, peer.did, PEER_DATASET, peer_offer(peer), [])
    message = peer.wait_for("ContractRequestMessage", path="/dsp/negotiations/request")
    assert message.schema_errors is None, message.schema_errors
    assert message.status == 201 and message.answer is not None
    n = NodeConsumer(nid, message.body["consumerPid"], message.answer["providerPid"],
                     message.body["callbackAddress"])
    _wait_for_provider_pid(peer, n)
    return n


def _wait_for_provider_pid(peer: Peer, n: NodeConsumer) -> None:
    """The node records our providerPid when it reads our ACK; later messages must carry it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        view = peer.get(f"/callback/negotiations/{n.consumer_pid}").json()
        if view.get("providerPid") == n.provider_pid:
            return
        time.sleep(0.01)
    raise AssertionError(f"node never adopted providerPid {n.provider_pid}")


def consumer_state(peer: Peer, n: NodeConsumer) -> str:
    response = peer.get(f"/callback/negotiations/{n.consumer_pid}")
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


def offer_to_node(peer: Peer, n: NodeConsumer, offer_id: str = "urn:tck:peer-offer") -> httpx.Response:
    message = dsp.contract_offer(n.provider_pid, peer_offer(peer, offer_id), consumer_pid=n.consumer_pid)
    return peer.send(n.url("offers"), message)


def agreement_to_node(peer: Peer, n: NodeConsumer, *, assignee: str | None = None) -> httpx.Response:
    agreement = {"@id": new_pid(), "@type": "Agreement", "target": PEER_DATASET, "assigner": peer.did,
                 "assignee": assignee or peer.node_did, "timestamp": "2026-01-01T00:00:00Z",
                 "permission": [{"action": "use"}]}
    return peer.send(n.url("agreement"), dsp.contract_agreement(n.provider_pid, n.consumer_pid, agreement))


def finalize_node(peer: Peer, n: NodeConsumer) -> httpx.Response:
    return peer.send(n.url("events"), dsp.negotiation_event(n.provider_pid, n.consumer_pid, "FINALIZED"))


def terminate_node(peer: Peer, n: NodeConsumer) -> httpx.Response:
    message = dsp.negotiation_termination(n.provider_pid, n.consumer_pid, code="TCK",
                                          reason=["terminated by the scripted provider"])
    return peer.send(n.url("termination"), message)


def node_finalized(peer: Peer, operator: Operator) -> tuple[NodeConsumer, str]:
    """CN_C:01-04 end to end; returns the negotiation and the agreement id the node holds as consumer."""
    n = node_requests(peer, operator)
    assert agreement_to_node(peer, n).status_code == 200
    peer.wait_for("ContractAgreementVerificationMessage", n.provider_pid)
    assert finalize_node(peer, n).status_code == 200
    done = operator.wait_negotiation(n.negotiation_id, "FINALIZED")
    return n, str(done["contractAgreementId"])


# --- transfers

PULL = "HttpData-PULL"
_CLOSING: dict[str, Callable[[str, str], JSON]] = {
    "completion": dsp.transfer_completion, "suspension": dsp.transfer_suspension,
    "termination": dsp.transfer_termination,
}


@dataclass(frozen=True)
class Transfer:
    """One transfer between the peer and the node: both pids, the node's id, where the peer sends to."""

    consumer_pid: str
    provider_pid: str
    transfer_id: str
    base: str  # node URL prefix for this process's messages (provider base or consumer callback)
    node_is_provider: bool

    @property
    def pid_at_node(self) -> str:
        return self.provider_pid if self.node_is_provider else self.consumer_pid

    def send(self, peer: Peer, suffix: str, data_address: JSON | None = None) -> httpx.Response:
        """POST a TransferStart/Completion/Suspension/TerminationMessage for this process to the node."""
        if suffix == "start":
            message = dsp.transfer_start(self.provider_pid, self.consumer_pid, data_address)
        else:
            message = _CLOSING[suffix](self.provider_pid, self.consumer_pid)
        return peer.send(f"{self.base}/transfers/{self.pid_at_node}/{suffix}", message)


def transfer_request(peer: Peer, operator: Operator, agreement_id: str) -> Transfer:
    """Peer as consumer: TransferRequestMessage (pull) to the node, which ACKs 201 REQUESTED."""
    consumer_pid = new_pid()
    message = dsp.transfer_request(consumer_pid, agreement_id, PULL, peer.callback)
    response = peer.send("/transfers/request", message)
    assert response.status_code == 201, response.text
    ack = response.json()
    assert ack["@type"] == "TransferProcess" and ack["consumerPid"] == consumer_pid, ack
    transfer_id = operator.transfer_id_for(consumer_pid)
    return Transfer(consumer_pid, ack["providerPid"], transfer_id, peer.node_dsp, True)


def provider_started(peer: Peer, operator: Operator, agreement_id: str) -> tuple[Transfer, JSON]:
    """Request, then the node's TransferStartMessage (with the EDR) arrives at the peer's callback."""
    t = transfer_request(peer, operator, agreement_id)
    start = peer.wait_for("TransferStartMessage", t.consumer_pid)
    assert start.schema_errors is None, start.schema_errors
    return t, start.body


def transfer_state_at_node(peer: Peer, t: Transfer) -> str:
    response = peer.get(f"/transfers/{t.provider_pid}")
    assert response.status_code == 200, response.text
    return str(response.json()["state"])


def node_transfer(peer: Peer, operator: Operator, agreement_id: str) -> Transfer:
    """Node as consumer: its operator requests a pull transfer; the peer ACKs 201 with a providerPid."""
    tid = operator.client.transfer(peer.dsp_base, agreement_id)
    message = peer.wait_for("TransferRequestMessage", path="/dsp/transfers/request")
    assert message.schema_errors is None, message.schema_errors
    assert message.status == 201 and message.answer is not None
    t = Transfer(message.body["consumerPid"], message.answer["providerPid"], tid,
                 message.body["callbackAddress"].rstrip("/"), False)
    deadline = time.monotonic() + 5
    while operator.client.transfer_process(tid).get("correlationId") != t.provider_pid:
        assert time.monotonic() < deadline, "node never adopted the peer's providerPid"
        time.sleep(0.01)
    return t


def edr(peer: Peer, token: str = "peer-token") -> JSON:
    return dsp.data_address_edr(f"{peer.dsp_base}/data", token, 600)
