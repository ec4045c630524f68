"""A scripted Dataspace Protocol 2025-1 counterparty: the *other* party of a real battrace node.

The peer has its own Ed25519 keys and did:web DID, served by a small threaded HTTP server that also receives
the node's DSP messages (consumer-side callbacks when the node is the provider, provider-side paths when the
node is the consumer). Every received message is recorded, validated against the official schema and
acknowledged the way a conforming connector would (201/200 + ContractNegotiation / TransferProcess), unless
a test scripted another answer. What the TCK's own test agent does, in Python.
"""

from __future__ import annotations

import base64
import itertools
import json
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from battrace.dataplane import dpop
from battrace.dsp import messages as dsp
from battrace.dsp.states import NegotiationState, TransferState
from battrace.dsp.validation import validate_message
from battrace.errors import InvalidInput
from battrace.identity import NodeKeys, did_document, did_web, issue_token
from battrace.jsonld import DSP_CONTEXT

JSON = dict[str, Any]
PEER_PATH = "/dsp"  # the peer's DSP base is <root>/dsp; its callbackAddress is <root>/dsp/cb

# Which state a conforming receiver reports in its ACK after each message (DSP 2025-1 §3.1, §4.1).
_ACK_STATE: dict[str, str] = {
    "ContractRequestMessage": "REQUESTED", "ContractOfferMessage": "OFFERED", "ACCEPTED": "ACCEPTED",
    "ContractAgreementMessage": "AGREED", "ContractAgreementVerificationMessage": "VERIFIED",
    "FINALIZED": "FINALIZED", "ContractNegotiationTerminationMessage": "TERMINATED",
    "TransferRequestMessage": "REQUESTED", "TransferStartMessage": "STARTED",
    "TransferSuspensionMessage": "SUSPENDED", "TransferCompletionMessage": "COMPLETED",
    "TransferTerminationMessage": "TERMINATED",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def kind_of(body: Mapping[str, Any]) -> str:
    """The message's @type, or the eventType of a ContractNegotiationEventMessage (ACCEPTED / FINALIZED)."""
    kind = str(body.get("@type", ""))
    if kind == "ContractNegotiationEventMessage":
        return str(body.get("eventType", kind))
    return kind


def token_claims(authorization: str | None) -> JSON:
    """The (unverified) claims of a Bearer JWT: enough to see whom the node addressed."""
    if not authorization or not authorization.startswith("Bearer "):
        return {}
    payload = authorization.removeprefix("Bearer ").split(".")[1]
    claims: JSON = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


@dataclass(frozen=True)
class Received:
    """One message the node sent to the peer."""

    path: str
    body: JSON
    authorization: str | None
    schema_errors: str | None  # None = valid against the official DSP 2025-1 schema
    status: int  # what the peer answered
    answer: JSON | None

    @property
    def kind(self) -> str:
        return kind_of(self.body)

    def pids(self) -> tuple[str | None, str | None]:
        return self.body.get("providerPid"), self.body.get("consumerPid")


Answer = tuple[int, JSON | None]


@dataclass
class _Script:
    kind: str
    answer: Answer


@dataclass
class Peer:
    """A scripted DSP participant on 127.0.0.1. `start()` first; `target()` names the node under test."""

    name: str
    keys: NodeKeys = field(default_factory=NodeKeys.generate)
    received: list[Received] = field(default_factory=list)
    node_did: str = ""
    node_dsp: str = ""
    _server: ThreadingHTTPServer | None = None
    _consumed: set[int] = field(default_factory=set)
    _scripts: list[_Script] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _jti: itertools.count[int] = field(default_factory=itertools.count)
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=15.0))

    # ------------------------------------------------------------------ lifecycle and identity

    def start(self) -> Peer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=f"peer-{self.name}", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._http.close()

    def target(self, node_did: str, node_dsp: str) -> None:
        self.node_did, self.node_dsp = node_did, node_dsp

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the peer first"
        return int(self._server.server_address[1])

    @property
    def did(self) -> str:
        return did_web("127.0.0.1", self.port)

    @property
    def dsp_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{PEER_PATH}"

    @property
    def callback(self) -> str:
        return self.dsp_base + "/cb"

    def did_document(self) -> JSON:
        return did_document(self.did, self.keys)

    def token(self, *, jti: str | None = None, audience: str | None = None) -> str:
        return issue_token(self.keys, self.did, audience or self.node_did, now=datetime.now(UTC),
                           jti=jti or f"urn:jti:{self.name}:{time.time_ns()}:{next(self._jti)}")

    # ------------------------------------------------------------------ talking to the node

    def send(self, path: str, message: Mapping[str, Any], *, token: str | None = None) -> httpx.Response:
        """POST a DSP message to `<node dsp base><path>` (or an absolute URL), signed with a fresh token."""
        url = path if path.startswith("http") else self.node_dsp + path
        return self._http.post(url, json=dict(message),
                               headers={"Authorization": f"Bearer {token or self.token()}"})

    def get(self, path: str) -> httpx.Response:
        return self._http.get(self.node_dsp + path, headers={"Authorization": f"Bearer {self.token()}"})

    def fetch(self, endpoint: str, edr_token: str) -> httpx.Response:
        """GET on the data plane with an EDR this peer received, proving its key (DPoP, RFC 9449 §4)."""
        jti = f"urn:jti:{self.name}:dpop:{time.time_ns()}:{next(self._jti)}"
        now = datetime.now(UTC)
        proof = dpop.proof(self.keys, htm="GET", htu=endpoint, token=edr_token, now=now, jti=jti)
        return httpx.get(endpoint, headers={"Authorization": f"{dpop.SCHEME} {edr_token}", "DPoP": proof})

    # ------------------------------------------------------------------ what the node sent us

    def answer_next(self, kind: str, status: int, body: JSON | None = None) -> None:
        """Answer the next `kind` message (an @type, or ACCEPTED/FINALIZED) with this instead of the ACK."""
        with self._changed:
            self._scripts.append(_Script(kind, (status, body)))

    def clear_scripts(self) -> None:
        with self._changed:
            self._scripts.clear()

    def wait_for(self, kind: str, pid: str | None = None, timeout: float = 10.0, *,
                 path: str = "") -> Received:
        """The first not yet consumed message of `kind` (about process `pid`, either role, sent to a path
        ending with `path`); it is consumed."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index, message in enumerate(self.received):
                    if index not in self._consumed and _matches(message, kind, pid, path):
                        self._consumed.add(index)
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(m.kind, m.path) for m in self.received if pid is None or pid in m.pids()]
                    raise AssertionError(f"{self.name}: no {kind} for {pid} within {timeout} s; got {seen}")
                self._changed.wait(remaining)

    def assert_silent(self, pid: str, within: float = 0.4) -> None:
        """No further (unconsumed) message about `pid` arrives within `within` seconds."""
        time.sleep(within)
        with self._changed:
            extra = [(m.kind, m.path) for i, m in enumerate(self.received)
                     if i not in self._consumed and pid in m.pids()]
        assert not extra, f"{self.name}: unexpected messages about {pid}: {extra}"

    def about(self, pid: str) -> list[Received]:
        with self._changed:
            return [m for m in self.received if pid in m.pids()]

    # ------------------------------------------------------------------ server side

    def _record(self, path: str, body: JSON, authorization: str | None) -> Answer:
        try:
            validate_message(body)
            errors = None
        except InvalidInput as error:
            errors = error.detail
        with self._changed:
            status, answer = self._scripted(kind_of(body)) or _ack(path, body)
            self.received.append(Received(path, body, authorization, errors, status, answer))
            self._changed.notify_all()
        return status, answer

    def _scripted(self, kind: str) -> Answer | None:
        for script in self._scripts:
            if script.kind == kind:
                self._scripts.remove(script)
                return script.answer
        return None


def _matches(message: Received, kind: str, pid: str | None, path: str) -> bool:
    return message.kind == kind and (pid is None or pid in message.pids()) and message.path.endswith(path)


def _ack(path: str, body: Mapping[str, Any]) -> Answer:
    """What a conforming peer answers: 201 + a new providerPid for an initial request, else 200 + state."""
    kind = kind_of(body)
    state = _ACK_STATE.get(kind)
    if state is None:
        return 400, {"@context": [DSP_CONTEXT], "@type": "ContractNegotiationError", "providerPid": "",
                     "consumerPid": "", "code": "UNKNOWN_MESSAGE", "reason": [f"unexpected {kind} on {path}"]}
    provider_pid, consumer_pid = str(body.get("providerPid", "")), str(body.get("consumerPid", ""))
    initial = path.endswith(("/negotiations/request", "/transfers/request"))
    if initial:
        provider_pid = f"urn:uuid:peer-{time.time_ns()}"
    if kind.startswith("Transfer"):
        return (201 if initial else 200), dsp.transfer_ack(provider_pid, consumer_pid, TransferState(state))
    return (201 if initial else 200), dsp.negotiation_ack(provider_pid, consumer_pid, NegotiationState(state))


def _handler_for(peer: Peer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/did.json":
                self._reply(200, peer.did_document())
            else:
                self._reply(404, {"detail": f"nothing at {self.path}"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._reply(400, {"detail": "not JSON"})
                return
            status, answer = peer._record(self.path, body, self.headers.get("Authorization"))
            self._reply(status, answer)

        def _reply(self, status: int, body: JSON | None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            del format, args

    return Handler

