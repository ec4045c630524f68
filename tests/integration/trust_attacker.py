"""A hostile participant for the trust attack matrix: its own did:web and a malicious DCP Credential Service.

The attacker is a threaded HTTP server on 127.0.0.1 (the idea of ``tests/conformance/_peer.py``). It serves
its DID document, whose ``CredentialService`` entry points back at itself, and answers every
``PresentationQueryMessage`` with whatever presentations the test scripted (``answer``): a correctly signed
VP-JWT around forged, expired, foreign or revoked credentials, a VP for another verifier, the same VP twice.
It talks to a real node exactly like a connector would: a DSP ``CatalogRequestMessage`` or
``ContractRequestMessage`` authenticated by a self-issued ID token whose ``token`` claim is a DCP access token
(DCP 1.0 base protocol §4.3.1), so the node queries the attacker's Credential Service and verifies what
comes back.

Also here: minting credentials with a space's own certification key (legitimate test setup for odd validity
windows), forging signatures, and reading the node's trust decision for a DID.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import httpx

from battrace.devnet import NodeProcess
from battrace.identity import NodeKeys, did_document, did_web
from battrace.operator.devnet import OperatorProcess
from battrace.operator.files import SpaceFiles
from battrace.trust import issue_credential
from battrace.trust.claims import DEFAULT_SCOPES
from battrace.trust.credentials import IssuerKey
from battrace.trust.dcp import (
    issue_access_token,
    issue_presentation,
    issue_self_issued_token,
    presentation_response,
)
from battrace.trust.subjects import MembershipCredential
from battrace.trust.wallet import CREDENTIAL_SERVICE_TYPE, QUERY_PATH

JSON = dict[str, Any]
DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
SERVICE_PATH = "/cs"  # the attacker's Credential Service endpoint; queries arrive at /cs/presentations/query

Answer = Callable[["Attacker", str], list[str]]
"""``answer(attacker, verifier_did) -> VP-JWTs`` for one presentation query."""


def present_held(attacker: Attacker, verifier_did: str) -> list[str]:
    """What an honest holder would answer: one fresh VP for this verifier around the held credentials."""
    return [attacker.presentation(verifier_did)] if attacker.credentials else []


@dataclass
class Attacker:
    name: str
    keys: NodeKeys = field(default_factory=NodeKeys.generate)
    credentials: list[str] = field(default_factory=list)
    answer: Answer = present_held
    queries: list[str] = field(default_factory=list)  # the DID of every verifier that queried us
    _server: ThreadingHTTPServer | None = None
    _jti: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=15.0))

    # ---- lifecycle and identity --------------------------------------------------------------------

    def start(self) -> Attacker:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=f"attacker-{self.name}", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._http.close()

    def reset(self, *, credentials: list[str] | None = None, answer: Answer = present_held) -> None:
        """A new script for the next test (the attacker is shared by the module)."""
        with self._lock:
            self.credentials = list(credentials or [])
            self.answer = answer
            self.queries.clear()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the attacker first"
        return int(self._server.server_address[1])

    @property
    def did(self) -> str:
        return did_web("127.0.0.1", self.port)

    def did_document(self) -> JSON:
        document = did_document(self.did, self.keys)
        document["service"] = [
            {
                "id": f"{self.did}#credential-service",
                "type": CREDENTIAL_SERVICE_TYPE,
                "serviceEndpoint": f"http://127.0.0.1:{self.port}{SERVICE_PATH}",
            }
        ]
        return document

    def new_jti(self) -> str:
        return f"urn:uuid:attacker-{self.name}-{time.time_ns()}-{next(self._jti)}"

    # ---- tokens and presentations ------------------------------------------------------------------

    def token(self, audience: str, *, access: bool = True) -> str:
        """A self-issued ID token for ``audience`` carrying (unless ``access=False``) a DCP access token that
        lets the audience query our Credential Service."""
        now = datetime.now(UTC)
        grant = (
            issue_access_token(self.keys, self.did, audience, DEFAULT_SCOPES, now=now, jti=self.new_jti())
            if access
            else None
        )
        return issue_self_issued_token(
            self.keys, self.did, audience, now=now, jti=self.new_jti(), access_token=grant
        )

    def presentation(self, verifier_did: str, credentials: list[str] | None = None) -> str:
        """A VP-JWT correctly signed by the attacker for ``verifier_did``."""
        held = self.credentials if credentials is None else credentials
        return issue_presentation(
            self.keys, self.did, verifier_did, held, now=datetime.now(UTC), jti=self.new_jti()
        )

    # ---- talking to a node over DSP ----------------------------------------------------------------

    def catalog(self, node: NodeProcess, *, token: str | None = None) -> httpx.Response:
        body = {"@context": [DSP_CONTEXT], "@type": "CatalogRequestMessage"}
        return self._http.post(
            node.dsp + "/catalog/request",
            json=body,
            headers={"Authorization": f"Bearer {token or self.token(node.did)}"},
        )

    def sees(self, node: NodeProcess, asset_id: str) -> bool:
        response = self.catalog(node)
        assert response.status_code == 200, response.text
        return asset_id in [d["@id"] for d in response.json().get("dataset", [])]

    def request_contract(self, node: NodeProcess, asset_id: str, offer: Mapping[str, Any]) -> httpx.Response:
        """A DSP ContractRequestMessage (DSP 2025-1 §3.3) for an offer the attacker saw elsewhere."""
        policy = {k: v for k, v in offer.items() if k != "@context"}
        policy.update({"@type": "Offer", "target": asset_id, "assigner": node.did})
        body = {
            "@context": [DSP_CONTEXT],
            "@type": "ContractRequestMessage",
            "consumerPid": self.new_jti(),
            "offer": policy,
            "callbackAddress": f"http://127.0.0.1:{self.port}/dsp/cb",
        }
        return self._http.post(
            node.dsp + "/negotiations/request",
            json=body,
            headers={"Authorization": f"Bearer {self.token(node.did)}"},
        )

    # ---- server side -------------------------------------------------------------------------------

    def _answer_query(self, authorization: str | None) -> JSON:
        verifier = str(unverified_payload((authorization or "").removeprefix("Bearer ")).get("iss", ""))
        with self._lock:
            self.queries.append(verifier)
            answer = self.answer
        return presentation_response(answer(self, verifier))


def _handler_for(attacker: Attacker) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/did.json":
                self._reply(200, attacker.did_document())
            else:
                self._reply(404, {"detail": f"nothing at {self.path}"})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == SERVICE_PATH + QUERY_PATH:
                self._reply(200, attacker._answer_query(self.headers.get("Authorization")))
            else:  # DSP callbacks of a refused negotiation: acknowledged, never acted on
                self._reply(200, {})

        def _reply(self, status: int, body: JSON) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            del format, args

    return Handler


# ---- credentials -------------------------------------------------------------------------------------


def unverified_payload(token: str) -> JSON:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload: JSON = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    return payload


def mint_membership(
    operator: OperatorProcess,
    holder_did: str,
    *,
    valid_from: datetime,
    valid_until: datetime,
    signer: IssuerKey | None = None,
) -> str:
    """A MembershipCredential in ``operator``'s space for ``holder_did``, signed with the space's own
    certification key (or ``signer`` while claiming to come from that body: a forgery)."""
    keys = signer or IssuerKey.from_node_keys(SpaceFiles(operator.space_dir).certification_keys())
    now = datetime.now(UTC)
    return issue_credential(
        keys,
        operator.certification_did,
        holder_did,
        MembershipCredential("BPNL0000000ATTCK", operator.name, now),
        valid_from=valid_from,
        valid_until=valid_until,
        status=None,
        now=now,
        jti=f"urn:uuid:minted-{time.time_ns()}",
    )


def tamper(token: str, **changes: Any) -> str:
    """``token`` with its payload edited (``vc.credentialSubject`` fields or registered claims) and the
    original signature kept: what a holder does to widen its own credential."""
    header, _payload, signature = token.split(".")
    claims = unverified_payload(token)
    for name, value in changes.items():
        if name in claims:
            claims[name] = value
        else:
            claims["vc"]["credentialSubject"][name] = value
    raw = json.dumps(claims, separators=(",", ":")).encode()
    return ".".join((header, base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), signature))


def days(n: float) -> timedelta:
    return timedelta(days=n)


# ---- what the node recorded ----------------------------------------------------------------------------


def decision_of(node: NodeProcess, did: str) -> JSON:
    """``GET /management/v3/trust/decisions/{did}``: the node's last verification of ``did``."""
    response = httpx.get(
        node.base_url + f"/management/v3/trust/decisions/{quote(did, safe='')}",
        headers={"X-Api-Key": node.api_key},
    )
    assert response.status_code == 200, response.text
    decision: JSON = response.json()
    return decision


def refusal_reasons(decision: Mapping[str, Any]) -> list[str]:
    return [str(r["reason"]) for r in decision["refusals"]]


def refusal_detail(decision: Mapping[str, Any], reason: str) -> str:
    return " | ".join(str(r["detail"]) for r in decision["refusals"] if r["reason"] == reason)
