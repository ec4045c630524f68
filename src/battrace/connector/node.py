"""Composition root of one company node: keys, DID, store, services, dispatcher. Plain code, no DI."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from battrace.clock import Clock, system_clock
from battrace.connector.catalog import CatalogService
from battrace.connector.config import NodeSettings
from battrace.connector.context import DSP_PATH, ConnectorContext, Me
from battrace.connector.contracts import KIND as CONTRACT_KIND
from battrace.connector.contracts import SERVICE_TYPE as CONTRACT_SERVICE
from battrace.connector.contracts import SIGN_MESSAGE, ContractDeliveries, ContractService
from battrace.connector.dispatcher import Dispatcher, Outcome, PeerClient, Unattended
from battrace.connector.negotiations import NegotiationService
from battrace.connector.peer_transport import PeerTransport
from battrace.connector.records import OutboxMessage
from battrace.connector.transfers import TransferService
from battrace.connector.trust import credential_layer
from battrace.connector.urls import check_peer_url
from battrace.dataplane import DataPlane, address_kind
from battrace.dataplane.dpop import did_key_thumbprint
from battrace.identity import (
    ChainedClaims,
    ClaimsSource,
    DidResolver,
    DocumentFetcher,
    NodeKeys,
    StaticClaims,
    TokenVerifier,
    did_document,
    did_web,
    httpx_fetcher,
)
from battrace.ledger.batch import BatchedAppender
from battrace.ledger.exchange import PeerLog, ReceiptExchange, peer_log
from battrace.ledger.log import TransparencyLog
from battrace.ledger.note import CosignatureSigner, NoteSigner
from battrace.passport.service import PassportService
from battrace.passport.twins import shell_descriptor
from battrace.registry import Registry
from battrace.store import DbReplayGuard, Store
from battrace.store.passports import PassportModelRecord, PassportRecord
from battrace.store.store import Elected
from battrace.store.tx import Tx
from battrace.trust.modes import policy_from_config
from battrace.trust.wallet import credential_service_entry

log = logging.getLogger("battrace.node")
# PostgreSQL advisory lock of the process that runs the `on_start` hooks among a node's workers ("bt-hooks").
ON_START_LOCK_ID = 0x62742D686F6F6B73


class Node:
    """Everything one company runs. `start()` launches the dispatcher; the HTTP app is built on top."""

    def __init__(self, settings: NodeSettings, *, clock: Clock = system_clock) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.keys = NodeKeys.load_or_create(settings.data_dir / "keys" / "node-ed25519.pem")
        self.did = settings.did or _did_for(settings.base_url)
        self.api_key = settings.api_key or _stored_api_key(settings.data_dir)
        self.session_secret = _stored_secret(settings.data_dir / "viewer-session-key")
        self.store = Store(settings.database())
        self.store.migrate()
        self.http, self.backend_http = _http_clients(settings)
        self.resolver = DidResolver(self._guarded_fetcher(), clock=clock, allow_http=settings.dev)
        self.verifier = TokenVerifier(
            audience_did=self.did,
            resolver=self.resolver,
            replay_guard=DbReplayGuard(self.store, clock=clock),
            clock=clock,
        )
        self.wallet, self.credential_service, credential_claims, self.spaces = credential_layer(
            did=self.did,
            keys=self.keys,
            data_dir=settings.data_dir,
            spaces=settings.spaces,
            http=self.http,
            resolver=self.resolver,
            verify_token=self.verifier.verify,
            replay_guard=DbReplayGuard(self.store, clock=clock),
            url_guard=self._check_peer_url,
            clock=clock,
            refresh_seconds=settings.trust_refresh_seconds,
        )
        # Configured claims first, verified credentials over them (battrace.connector.trust).
        self.credential_claims = credential_claims
        claims: ClaimsSource = StaticClaims(settings.peers)
        if credential_claims is not None:
            claims = ChainedClaims(claims, credential_claims)
        self.ctx = ConnectorContext(
            me=Me(did=self.did, base_url=settings.base_url, name=settings.name),
            store=self.store,
            claims=claims,
            dev=settings.dev,
            allowed_peer_hosts=settings.allowed_peer_hosts,
            edr_token_ttl=settings.edr_token_ttl,
            auto_approve=settings.auto_approve,
            connect_policy=policy_from_config(settings.connect) if settings.connect else None,
            clock=clock,
        )
        # C2SP checkpoint origin = host and path of the node, also the note key name (tlog-checkpoint).
        self.log = TransparencyLog(
            self.store,
            NoteSigner(log_origin(settings.base_url), self.keys.private_key),
            origin=log_origin(settings.base_url),
            clock=clock,
        )
        self.ctx.log = self.log
        self.catalog = CatalogService(self.ctx)
        self.negotiations = NegotiationService(self.ctx)
        self.transfers = TransferService(self.ctx)
        self.transfers.consumer_key = did_key_thumbprint(self.resolver.resolve)
        self.dataplane = DataPlane(
            self.ctx,
            self.http,
            self.keys,
            bearer_tokens=settings.dataplane_bearer_tokens,
            backend=self.backend_http,
        )
        self.reads_log = BatchedAppender(self.log)
        # background work of the apps (e.g. PACT callbacks), started and stopped with the node; with several
        # processes on one PostgreSQL database the hooks run in one elected process only (`Elected`)
        self.on_start: list[Callable[[], object]] = []
        self.elected = Elected(self.store, ON_START_LOCK_ID, self._run_start_hooks)
        self.on_stop: list[Callable[[], object]] = []
        self.dataplane.reads_log = self.reads_log.enqueue
        self.ctx.denials.record = self.reads_log.submit
        if self.credential_claims is not None:
            self.credential_claims.record = self.reads_log.submit
        self.peers = PeerClient(self.ctx, self.keys, self.http)
        self.contracts = ContractService(self.ctx, self.keys, self.peers, self.resolver)
        self.ctx.contracts = self.contracts
        self.cosigner = CosignatureSigner(log_origin(settings.base_url), self.keys.private_key)
        self.receipts = ReceiptExchange(
            self.log, self.cosigner, me=self.did, now=lambda: int(clock().timestamp())
        )
        self.passports = PassportService(self.store, self.keys, did=self.did, log=self.log, clock=clock)
        self.registry = Registry(self.store, clock=clock)
        self.passports.on_issued = self._register_twins
        self.dispatcher = Dispatcher(
            self.ctx,
            self.peers,
            {
                "negotiation": self.negotiations,
                "transfer": self.transfers,
                "receipt": Unattended(),
                CONTRACT_KIND: ContractDeliveries(self.ctx),
            },
            {
                "DataPush": self.dataplane.push,
                "LogReceipt": self._send_receipt,
                SIGN_MESSAGE: self.contracts.countersign,
            },
        )
        self.ctx.wake_dispatcher = self.dispatcher.wake
        self.ctx.await_settled = self.dispatcher.wait_settled
        self.ctx.dispatcher_busy = self.dispatcher.busy

    def _register_twins(
        self, tx: Tx, passports: Sequence[PassportRecord], model: PassportModelRecord
    ) -> None:
        """Every issued passport gets its digital twin in the registry, in the issuing transaction."""
        asset_id = _passport_asset(tx, model.id)
        self.registry.register_in(
            tx,
            [
                shell_descriptor(
                    p.id,
                    p.battery_identifier,
                    p.model_id,
                    base_url=self.settings.base_url,
                    dsp_endpoint=self.settings.base_url + DSP_PATH,
                    asset_id=asset_id,
                )
                for p in passports
            ],
        )

    def _check_peer_url(self, url: str) -> str:
        return check_peer_url(url, dev=self.settings.dev, allowed_hosts=self.settings.allowed_peer_hosts)

    def _guarded_fetcher(self) -> DocumentFetcher:
        fetch = httpx_fetcher(self.http)

        def guarded(url: str) -> Mapping[str, Any]:
            # A caller chooses its DID, so resolving it is a request to a peer-chosen URL: same SSRF guard.
            check_peer_url(url, dev=self.settings.dev, allowed_hosts=self.settings.allowed_peer_hosts)
            return fetch(url)

        return guarded

    def peer_log(self, did: str) -> PeerLog:
        return peer_log(self.resolver.resolve(did))

    def _send_receipt(self, message: OutboxMessage) -> Outcome:
        """Hand the counterparty the receipt of our agreement entry; keep its cosignature of our log."""
        peer = self.peer_log(message.audience_did)
        body = self.receipts.outgoing(int(message.body["leafIndex"]), str(message.body["agreement"]))
        outcome = self.peers.post_json(peer.endpoint + "/receipts", body, message.audience_did)
        if outcome.status == 200 and outcome.body is not None:
            self.receipts.settle(body, outcome.body, peer)
        return outcome

    def did_document(self) -> dict[str, Any]:
        document = did_document(
            self.did, self.keys, dsp_version_url=self.settings.base_url + "/.well-known/dspace-version"
        )
        # Where our transparency log lives, and the key its checkpoints verify with (c2sp signed-note vkey).
        document.setdefault("service", []).append(
            {
                "id": self.did + "#log",
                "type": "TransparencyLog",
                "serviceEndpoint": self.settings.base_url + "/log",
                "vkey": self.log.vkey,
                "cosignatureVkey": self.cosigner.vkey,
            }
        )
        # Where the two parties of an agreement read its contract and the consumer hands in its signature.
        document["service"].append(
            {
                "id": self.did + "#contracts",
                "type": CONTRACT_SERVICE,
                "serviceEndpoint": self.settings.base_url + "/contracts",
            }
        )
        document["service"].append(credential_service_entry(self.did, self.settings.base_url))
        return document

    def start(self) -> None:
        self.reads_log.start()
        self.dispatcher.start()
        self.elected.start()
        log.info("node %s up as %s at %s", self.settings.name, self.did, self.settings.base_url)

    def stop(self) -> None:
        for hook in self.on_stop:
            hook()
        self.elected.stop()
        self.dispatcher.stop()
        self.reads_log.stop()
        self.http.close()
        self.backend_http.close()
        self.store.dispose()

    def _run_start_hooks(self) -> None:
        for hook in self.on_start:
            hook()


def _http_clients(settings: NodeSettings) -> tuple[httpx.Client, httpx.Client]:
    """(peers, data-plane backends). Peer calls go to an address checked when each connection is made
    (DNS rebinding, issue 9); the data plane's own backends (an asset's baseUrl, set by this node's operator)
    may be internal, so they get a client without that check."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    timeout = httpx.Timeout(10.0, connect=5.0)
    transport = PeerTransport(dev=settings.dev, allowed_hosts=settings.allowed_peer_hosts, limits=limits)
    peers = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)
    backends = httpx.Client(timeout=timeout, follow_redirects=False, limits=limits)
    return peers, backends


def log_origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/log"


def _did_for(base_url: str) -> str:
    parts = urlsplit(base_url)
    path = parts.path.strip("/") or None
    return did_web(parts.hostname or "localhost", parts.port, path.replace("/", ":") if path else None)


def _stored_api_key(data_dir: Path) -> str:
    """No key configured: generate one once, keep it beside the data (0600), never run unauthenticated."""
    path = data_dir / "management-api-key"
    if path.exists():
        return path.read_text("utf-8").strip()
    key = secrets.token_urlsafe(24)
    path.touch(mode=0o600)
    path.write_text(key, "utf-8")
    return key


def _passport_asset(tx: Tx, model_id: str) -> str | None:
    """The dataset offering this model's passports (a ``BattracePassport`` asset bound to the model, or to
    every model), so the twin can point at it; None when the operator has not offered one yet."""
    fallback = None
    for asset in tx.list_assets(limit=1000):
        address = asset.data_address
        if address_kind(address) != "BattracePassport":
            continue
        if address.get("modelId") == model_id:
            return asset.id
        if address.get("modelId") is None and fallback is None:
            fallback = asset.id
    return fallback


def _stored_secret(path: Path) -> bytes:
    """A 32-byte key kept beside the data (0600): the passport viewer signs its login cookies with it, so
    sessions survive a restart and never depend on a configured value."""
    if path.exists():
        return bytes.fromhex(path.read_text("utf-8").strip())
    secret = secrets.token_bytes(32)
    path.touch(mode=0o600)
    path.write_text(secret.hex(), "utf-8")
    return secret
