"""The data plane: where data actually leaves the node, only against a live EDR token and the agreed policy.

Assets are either stored in the node (uploaded through management: `Stored` / `Inline` data addresses) or an
HTTP backend the node proxies (`HttpData`, EDC's shape: baseUrl, proxyPath, proxyQueryParams, proxyMethod,
proxyBody). Every request re-checks: token known, not revoked, not expired; the token's DPoP proof (below);
transfer STARTED; the agreed usage policy still allows use (an expired agreement is refused).

Tokens are bound to the consumer (RFC 9449, `battrace.dataplane.dpop`): a request carries
`Authorization: DPoP <token>` and a `DPoP` proof signed by the consumer DID key recorded in the EDR. A plain
`Authorization: <token>` (EDC, Tractus-X) is refused unless the node sets `dataplane_bearer_tokens = true`.

Every read is recorded in the transparency log *before* its data is returned: the access record goes to the
group-commit appender (`battrace.ledger.batch`) and `serve` waits for the batch holding it to commit (one
commit shared by all concurrent reads); if it fails, the read fails with 503 and nothing is released.
Refusals are recorded without waiting (they release no data; a crash may lose the last few). `serve` blocks
while it waits: the HTTP layer runs it in the threadpool (`http.common.blocking`), never on the event loop.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

import httpx

from battrace.connector.context import ConnectorContext
from battrace.connector.dispatcher import Outcome
from battrace.connector.processes import push_target
from battrace.connector.records import Agreement, Asset, EdrToken, OutboxMessage
from battrace.connector.transfers import token_hash
from battrace.dataplane import dpop
from battrace.errors import BadGateway, BattraceError, Forbidden, InvalidInput, NotFound, Unauthenticated
from battrace.identity import MemoryReplayGuard, NodeKeys, ReplayGuard
from battrace.ledger.batch import Ticket
from battrace.policy import Policy, evaluate, parse_policy
from battrace.provenance import DIGEST_HEADER, SIGNATURE_HEADER, sign_payload

STORED = "Stored"
INLINE = "Inline"
HTTP_DATA = "HttpData"
_TRUE = ("true", True)
# Every refusal leaves a warning line (issue 9); known tokens also leave a transparency-log entry below.
refusals = logging.getLogger("battrace.refused")


class BackendUnavailable(BadGateway):
    title = "Data backend unavailable"


@dataclass(frozen=True)
class DataRequest:
    token: str | None  # the Authorization header as sent: "DPoP <token>", "Bearer <token>" or "<token>"
    path: str = ""
    query: str = ""
    method: str = "GET"
    body: bytes = b""
    content_type: str | None = None
    dpop: tuple[str, ...] = ()  # every DPoP header of the request (RFC 9449 §4.3 wants exactly one)


@dataclass(frozen=True)
class DataResponse:
    status: int
    content_type: str
    content: bytes
    agreement_id: str
    headers: Mapping[str, str] = field(default_factory=dict)


Backend = Callable[[Asset, Agreement, str, DataRequest], DataResponse]
# Queues one transparency-log record; the ticket (if any) is settled once the record is committed.
RecordSink = Callable[[str, Mapping[str, Any]], Ticket | None]


class DataPlane:
    def __init__(
        self,
        ctx: ConnectorContext,
        http: httpx.Client,
        keys: NodeKeys,
        *,
        cache_size: int = 4096,
        bearer_tokens: bool = False,
        backend: httpx.Client | None = None,
    ) -> None:
        self._ctx = ctx
        self._keys = keys
        self.reads_log: RecordSink | None = None
        # Interop switch (node setting `dataplane_bearer_tokens`): also accept a plain token without a proof.
        self.bearer_tokens = bearer_tokens
        # DPoP jti replay cache (RFC 9449 §11.1). In memory, per process: see `dpop` for several workers.
        self.dpop_replay: ReplayGuard = MemoryReplayGuard(clock=ctx.clock)
        self._http = http  # peers (push destinations): each address checked when connecting
        # the asset's own backend (baseUrl set by this node's operator) may be internal: a client of its own
        self._backend = backend or http
        self._policies: OrderedDict[str, Policy] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # Data address type -> a function producing the response for a consumer (e.g. battery passports,
        # split for the consumer's roles). Registered by the node; the checks above it stay the same.
        self.backends: dict[str, Backend] = {}

    def serve(self, request: DataRequest) -> DataResponse:
        try:
            return self._serve(request)
        except BattraceError as refusal:
            refusals.warning(
                "data plane refused: status=%s reason=%s token=%s method=%s",
                refusal.status,
                refusal.detail,
                _token_ref(request.token),
                request.method,
            )
            raise

    def _serve(self, request: DataRequest) -> DataResponse:
        scheme, token = _credentials(request.token)
        with self._ctx.store.read() as tx:
            edr = tx.get_edr(token_hash(token))
            if edr is None or edr.revoked:
                raise Unauthenticated("unknown or revoked data-plane token")
            if edr.expires_at <= self._ctx.clock():
                raise Unauthenticated("the data-plane token has expired; refresh it or start a new transfer")
            transfer = tx.get_transfer(edr.transfer_id)
            agreement = tx.get_agreement(edr.agreement_id)
            asset = tx.get_asset(edr.asset_id)
            stored = asset is not None and _kind(asset) not in (HTTP_DATA, *self.backends)
            content = tx.get_asset_content(edr.asset_id) if stored else None
        access = {
            "peer": edr.consumer_did,
            "agreement": edr.agreement_id,
            "transfer": edr.transfer_id,
            "asset": edr.asset_id,
            "method": request.method,
            "path": request.path,
        }
        try:
            self._check_binding(request, scheme, token, edr)
            if transfer is None or transfer.state != "STARTED":
                state = transfer.state if transfer else "gone"
                raise Forbidden(f"transfer is {state}; data flows only while STARTED")
            if agreement is None or asset is None:
                raise NotFound("the asset of this agreement is no longer offered")
            if self._ctx.connect_policy is not None:
                self._ctx.admit(self._ctx.evaluation_for(edr.consumer_did, "connect"))
            self._check_usage(agreement, edr.consumer_did)
            if content is not None:
                response = DataResponse(200, content.content_type, content.data, agreement.id)
            elif _kind(asset) in self.backends:
                response = self.backends[_kind(asset)](asset, agreement, edr.consumer_did, request)
            else:
                response = self._proxy(asset, agreement, edr.consumer_did, request)
        except BattraceError as refusal:
            self._record("dataplane.refused", {**access, "status": refusal.status, "reason": refusal.detail})
            raise
        response = self._signed(response, edr.asset_id)
        digest = hashlib.sha256(response.content).hexdigest()
        ticket = self._record(
            "dataplane.access",
            {**access, "status": response.status, "bytes": len(response.content), "sha256": digest},
        )
        if ticket is not None:
            ticket.wait()  # group commit: the data leaves only once its access record is durable
        return response

    def _check_binding(self, request: DataRequest, scheme: str, token: str, edr: EdrToken) -> None:
        """RFC 9449 §7.1/§7.2: a DPoP-bound token needs a valid proof by its key; bearer use is opt-in."""
        if scheme != dpop.SCHEME.lower():
            if self.bearer_tokens:
                return
            raise dpop.InvalidDpopToken(
                "this data plane wants `Authorization: DPoP <token>` with a DPoP proof (RFC 9449)"
            )
        if edr.jkt is None:
            raise dpop.InvalidDpopToken("this token is not bound to a key; start a new transfer")
        if len(request.dpop) != 1:
            raise dpop.InvalidDpopProof("the request needs exactly one DPoP header (RFC 9449 §4.3)")
        url = self._ctx.me.public_data_url + ("/" + request.path.lstrip("/") if request.path else "")
        dpop.check_proof(
            request.dpop[0],
            method=request.method,
            url=url,
            token=token,
            jkt=edr.jkt,
            now=self._ctx.clock(),
            replay=self.dpop_replay,
        )

    def _signed(self, response: DataResponse, asset_id: str) -> DataResponse:
        """Every successful payload leaves with its Content-Digest (RFC 9530) and our signed statement,
        so any downstream holder can prove who provided these bytes under which agreement (issue 4 §6)."""
        if response.status >= 300:
            return response
        signed = sign_payload(
            response.content,
            keys=self._keys,
            signer_did=self._ctx.me.did,
            agreement_id=response.agreement_id,
            asset_id=asset_id,
            content_type=response.content_type,
            now=self._ctx.clock(),
        )
        headers = {
            **response.headers,
            DIGEST_HEADER: signed.digest_header,
            SIGNATURE_HEADER: signed.signature,
        }
        return replace(response, headers=headers)

    def _record(self, kind: str, event: Mapping[str, Any]) -> Ticket | None:
        # Only accesses with a known token are recorded: a flood of garbage tokens must not grow the log.
        # Reads change no state, so their records go through the group-commit appender (battrace.ledger.batch)
        # rather than a write transaction each; without one, the record is committed here and now.
        if self.reads_log is not None:
            return self.reads_log(kind, event)
        with self._ctx.store.transaction() as tx:
            self._ctx.log.append(tx, kind, event)
        return None

    def _check_usage(self, agreement: Agreement, consumer_did: str) -> None:
        evaluation = self._ctx.evaluation_for(
            consumer_did, "dataplane", agreement_signed_at=agreement.signed_at
        )
        decision = evaluate(self._policy(agreement), evaluation, registry=self._ctx.operands)
        if not decision.allowed:
            raise Forbidden(
                "the agreed usage policy no longer allows this access", reason=list(decision.reasons)
            )

    def _policy(self, agreement: Agreement) -> Policy:
        # Agreements never change, so their parsed policy is cached (JSON-LD expansion is the costly part).
        with self._lock:
            cached = self._policies.get(agreement.id)
            if cached is not None:
                self._policies.move_to_end(agreement.id)
                return cached
        policy = parse_policy(agreement.body)
        with self._lock:
            self._policies[agreement.id] = policy
            while len(self._policies) > self._cache_size:
                self._policies.popitem(last=False)
        return policy

    def _proxy(
        self, asset: Asset, agreement: Agreement, consumer_did: str, request: DataRequest
    ) -> DataResponse:
        address = asset.data_address
        if _kind(asset) != HTTP_DATA or not isinstance(address.get("baseUrl"), str):
            raise NotFound("this asset has no data")
        url = address["baseUrl"]
        if address.get("proxyPath") in _TRUE and request.path:
            url = url.rstrip("/") + "/" + _confined(request.path).lstrip("/")
        if address.get("proxyQueryParams") in _TRUE and request.query:
            url = f"{url}?{request.query}"
        method = request.method if address.get("proxyMethod") in _TRUE else "GET"
        body = request.body if address.get("proxyBody") in _TRUE else None
        headers = {"Edc-Contract-Agreement-Id": agreement.id}
        bpn = self._ctx.claims_for_did(consumer_did).get("bpn")
        if isinstance(bpn, str):
            headers["Edc-Bpn"] = bpn  # what the DTR uses for visibility (research notes §10, §11.3)
        if isinstance(address.get("authKey"), str) and isinstance(address.get("authCode"), str):
            headers[address["authKey"]] = address["authCode"]
        if request.content_type and body is not None:
            headers["Content-Type"] = request.content_type
        try:
            response = self._backend.request(method, url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise BackendUnavailable(f"the data backend did not answer: {type(error).__name__}") from error
        content_type = response.headers.get("content-type", "application/octet-stream")
        return DataResponse(response.status_code, content_type, response.content, agreement.id)

    # ------------------------------------------------------------------ push (provider → consumer)

    def push(self, message: OutboxMessage) -> Outcome:
        """Deliver an HttpData-PUSH transfer's data to the consumer's endpoint (outbox job `DataPush`)."""
        with self._ctx.store.read() as tx:
            transfer = tx.get_transfer(message.process_id)
            asset_id = str(message.body.get("assetId"))
            asset = tx.get_asset(asset_id)
            content = tx.get_asset_content(asset_id)
            agreement = tx.get_agreement(transfer.agreement_id) if transfer else None
        if transfer is None or transfer.state == "TERMINATED" or agreement is None or asset is None:
            return Outcome(200, None, "transfer ended before the push; nothing sent")
        if content is None:
            data = self._proxy(asset, agreement, transfer.counterparty_did, DataRequest(token=None))
            payload, content_type = data.content, data.content_type
        else:
            payload, content_type = content.data, content.content_type
        endpoint, token = push_target(transfer.data_address or {})
        signed = sign_payload(
            payload,
            keys=self._keys,
            signer_did=self._ctx.me.did,
            agreement_id=agreement.id,
            asset_id=agreement.asset_id,
            content_type=content_type,
            now=self._ctx.clock(),
        )
        headers = {
            "Content-Type": content_type,
            "Edc-Contract-Agreement-Id": agreement.id,
            DIGEST_HEADER: signed.digest_header,
            SIGNATURE_HEADER: signed.signature,
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = self._http.post(endpoint, content=payload, headers=headers)
        except httpx.HTTPError as error:
            return Outcome(None, None, f"{type(error).__name__}: {error}")
        return Outcome(response.status_code, None, f"HTTP {response.status_code}")


def _kind(asset: Asset) -> str:
    return address_kind(asset.data_address)


def _confined(path: str) -> str:
    """The consumer's sub-path, refused when it could climb out of the asset's baseUrl once joined or
    decoded again by the backend (``..``, ``%2e%2e``, ``%252e%252e``, ``\\..\\``, NUL): httpx removes dot
    segments (RFC 3986 §5.2.4), so ``baseUrl/../admin`` would reach ``/admin`` on the backend host."""
    decoded = path
    for _ in range(3):  # up to triple encoding; a dot still encoded after that is refused below
        decoded = unquote(decoded)
    segments = decoded.replace("\\", "/").split("/")
    if "\x00" in decoded or any(s in (".", "..") for s in segments) or "%2e" in decoded.lower():
        raise InvalidInput("the data path may not contain dot segments or NUL")
    return path


def _token_ref(token: str | None) -> str:
    """A token's log name: the first hex digits of its hash (the token itself never goes to a log)."""
    return token_hash(_credentials(token)[1])[:12] if token and token.strip() else "-"


def _credentials(authorization: str | None) -> tuple[str, str]:
    """(scheme, token) of the Authorization header: "dpop", "bearer", or "" for a bare token (EDC's way)."""
    if not authorization or not authorization.strip():
        raise dpop.InvalidDpopToken("the data plane needs the EDR token in the Authorization header")
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() in ("bearer", dpop.SCHEME.lower()) and rest.strip():
        return scheme.lower(), rest.strip()
    return "", authorization.strip()


def address_kind(data_address: Mapping[str, Any]) -> str:
    """The data address type without a namespace (``edc:HttpData`` and ``HttpData`` alike)."""
    return str(data_address.get("type", STORED)).rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def stored_kind(data_address: Mapping[str, Any]) -> bool:
    return str(data_address.get("type", STORED)).rsplit("/", 1)[-1] in (STORED, INLINE)
