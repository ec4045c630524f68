"""How a company node uses the data spaces it belongs to: its wallet and credential service (DCP), and the
claims it derives from the verified credentials its counterparties present.

Composition only: the mechanisms live in battrace.trust (credentials, DCP, trust lists, recognition) and
battrace.operator.client (reading a space's signed trust list and recognitions over HTTP).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import httpx

from battrace.clock import Clock, urn_uuid
from battrace.identity import DidResolver, NodeKeys, VerifiedCaller
from battrace.identity.replay import ReplayGuard
from battrace.operator.client import SpaceClient, http_download
from battrace.trust.claims import CredentialClaims
from battrace.trust.status import StatusCache
from battrace.trust.trustlist import TrustList
from battrace.trust.verify import status_fetcher
from battrace.trust.wallet import CredentialService, Wallet

log = logging.getLogger("battrace.trust")
TRUST_LIST_TTL = 60.0  # seconds a fetched trust view (list + recognitions) is reused
RECHECK_MEMO_SECONDS = 1.0  # data-plane re-checks of a counterparty's credentials are reused this long


class SpacesTrust:
    """The verified trust lists of the configured data spaces, refreshed at most every TRUST_LIST_TTL.

    A space that cannot be read (operator down, bad signature) contributes nothing: its members are then not
    trusted here, which fails closed; the others are unaffected.
    """

    def __init__(
        self,
        space_urls: Sequence[str],
        http: httpx.Client,
        resolver: DidResolver,
        *,
        ttl: float = TRUST_LIST_TTL,
    ) -> None:
        self._clients = [SpaceClient(url, http) for url in space_urls]
        self._ttl = ttl
        self._resolver = resolver
        self._lock = threading.Lock()
        self._lists: list[TrustList] = []
        self._fetched = float("-inf")

    def __call__(self) -> Sequence[TrustList]:
        with self._lock:
            if time.monotonic() - self._fetched < self._ttl:
                return list(self._lists)
        lists: list[TrustList] = []
        for client in self._clients:
            try:
                lists.append(client.trust_view(self._resolver))
            except Exception as error:  # one unreachable space must not take the others down
                log.warning("trust list of %s unavailable: %s", client.base_url, error)
        with self._lock:
            self._lists, self._fetched = lists, time.monotonic()
        return lists

    def refresh(self) -> None:
        with self._lock:
            self._fetched = float("-inf")


class LastVerified:
    """Claims for a DSP caller come from a fresh presentation (or the verifier's cache); for internal checks
    without a caller token (data plane, transfer re-evaluation) the credentials that DID presented last are
    verified again (status, validity, trust), so a revocation reaches a running transfer within the status
    lists' max age, without asking the consumer for a new presentation."""

    def __init__(self, source: CredentialClaims, *, memo_seconds: float = RECHECK_MEMO_SECONDS) -> None:
        self._source = source
        self._memo_seconds = memo_seconds
        # Where trust decisions are recorded (the node's transparency log, through its batched appender).
        self.record: Callable[[str, Mapping[str, Any]], None] | None = None
        self._recorded: dict[str, Any] = {}
        self._memo: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def claims_for(self, caller: VerifiedCaller) -> Mapping[str, Any]:
        if caller.jti:
            claims = self._source.claims_for(caller)
            self._record_if_new(caller.did)
            return claims
        return self._rechecked(caller.did)

    def _rechecked(self, did: str) -> Mapping[str, Any]:
        # Re-verifying a few credentials costs about a millisecond; a short memo keeps the data plane fast
        # while revocation (status lists, reused ≤ trust_refresh_seconds) still reaches it within that time.
        now = time.monotonic()
        with self._lock:
            hit = self._memo.get(did)
        if hit is not None and now - hit[0] < self._memo_seconds:
            return hit[1]
        claims = dict(self._source.recheck(did))
        with self._lock:
            self._memo[did] = (now, claims)
        return claims

    def _record_if_new(self, did: str) -> None:
        """Each fresh verification (not each cached reuse) is a trust decision worth keeping in the log."""
        outcome = self._source.outcome(did)
        if outcome is None or self.record is None:
            return
        with self._lock:
            if self._recorded.get(did) is outcome:
                return
            self._recorded[did] = outcome
        explained = self.explain(did)
        if explained is not None:
            credentials = explained["claims"].get("credentials", [])
            self.record(
                "trust.decision",
                {
                    "peer": did,
                    "accepted": [c.get("type") for c in credentials if isinstance(c, Mapping)],
                    "refusals": explained["refusals"],
                },
            )

    def explain(self, did: str) -> dict[str, Any] | None:
        """The last verification of `did`: its claims, the credentials and trust decisions behind them, and
        why anything was refused (issue 3: every decision explained)."""
        outcome = self._source.outcome(did)
        if outcome is None:
            return None
        return {
            "participant": did,
            "claims": dict(outcome.claims),
            "refusals": [{"reason": r.reason, "detail": r.detail} for r in outcome.refusals],
            "validUntil": outcome.expires_at.isoformat() if outcome.expires_at else None,
        }


def credential_layer(
    *,
    did: str,
    keys: NodeKeys,
    data_dir: Any,
    spaces: Sequence[str],
    http: httpx.Client,
    resolver: DidResolver,
    verify_token: Callable[[str | None], VerifiedCaller],
    replay_guard: ReplayGuard,
    url_guard: Callable[[str], object],
    clock: Clock,
    refresh_seconds: float = TRUST_LIST_TTL,
) -> tuple[Wallet, CredentialService, LastVerified | None, SpacesTrust | None]:
    """Wallet and credential service always; a verifying claims source when the node belongs to spaces."""
    wallet = Wallet(data_dir / "credentials", did)
    service = CredentialService(wallet, keys, authenticate=verify_token, clock=clock, new_id=urn_uuid)
    if not spaces:
        return wallet, service, None, None
    download = http_download(http)

    def guarded_download(url: str) -> str:
        url_guard(url)  # the status list URL is chosen by the issuer
        return download(url)

    # Revocation and recognition changes take effect within `refresh_seconds` (issue 3: at most 60 s).
    age = timedelta(seconds=refresh_seconds)
    fetch_status = status_fetcher(guarded_download, issuer_document_for=resolver.resolve, clock=clock)
    status = StatusCache(fetch_status, clock=clock, max_age=age)
    trust = SpacesTrust(spaces, http, resolver, ttl=refresh_seconds)
    claims = CredentialClaims(
        did=did,
        keys=keys,
        resolve=resolver.resolve,
        http=http,
        trust_lists=trust,
        status=status,
        clock=clock,
        new_id=urn_uuid,
        replay_guard=replay_guard,
        url_guard=url_guard,
        max_cache_age=age,
    )
    memo = min(RECHECK_MEMO_SECONDS, refresh_seconds)
    return wallet, service, LastVerified(claims, memo_seconds=memo), trust
