"""Credential verification figures (issue 3): verifications per second, in one process, no network.

Not a test: nothing is asserted. What one operation is:

* ``vc``: ``battrace.trust.verify.verify_credential`` of one VC-JWT MembershipCredential (signature with the
  issuer's assertion key, JWT/credential mapping, validity window, issuer on the trust list, status bit,
  holder binding), for an EdDSA (Ed25519) and an ES256 (P-256) issuer, three ways:
  ``no status`` (a credential without ``credentialStatus``: the floor), ``status, cache warm`` (the status
  list is reused, what a node does within ``trust_refresh_seconds``), ``status, no cache`` (``max_age=0``:
  every verification also verifies the issuer's status list VC-JWT and decodes its bitstring; the download
  itself is an in-memory dict, so HTTP is NOT included).
* ``dcp``: ``CredentialClaims.claims_for`` for a caller, i.e. a full DCP presentation round as a node runs it:
  our self-issued token carrying the caller's access token, the holder's ``CredentialService.answer``
  (token and access-token checks, scope selection, a VP-JWT signed for us around its 3 credentials:
  Membership, ConnectorCertification, Role), then the VP check (signature, audience, window, replay, holder
  binding) and the 3 VC checks with trust list and status; the POST is an in-process call, not HTTP.
  ``claims cache cold`` disables the verified-claims cache (``max_cache_age=0``, what
  ``trust_refresh_seconds = 0`` does) with the status cache warm; ``all caches cold`` disables both;
  ``claims cache warm`` is a cache hit (a deep copy of the claims).

    /work/venv/bin/python bench/credentials.py                 # about 15 s
    /work/venv/bin/python bench/credentials.py --seconds 3
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal

from battrace.identity import (
    DidResolver,
    MemoryReplayGuard,
    NodeKeys,
    TokenVerifier,
    VerifiedCaller,
    did_document,
    did_web_document_url,
    static_fetcher,
)
from battrace.trust.claims import DEFAULT_SCOPES, CredentialClaims, outbound_token_claims
from battrace.trust.credentials import IssuerKey, issue_credential, issue_status_list_credential
from battrace.trust.status import StatusCache, StatusEntry, StatusList
from battrace.trust.subjects import (
    CertificationLevel,
    ConnectorCertificationCredential,
    CredentialSubject,
    MembershipCredential,
    Role,
    RoleCredential,
    SecurityProfile,
)
from battrace.trust.trustlist import CertificationBody, TrustList
from battrace.trust.verify import status_fetcher, verify_credential
from battrace.trust.wallet import CredentialService, Wallet, credential_service_entry

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # a fixed clock: cache ages are what each scenario sets
HOLDER = "did:web:holder.example"
VERIFIER = "did:web:verifier.example"
OPERATOR = "did:web:operator.example"
TYPES = ("MembershipCredential", "ConnectorCertificationCredential", "RoleCredential")
WARM, COLD = timedelta(seconds=60), timedelta(0)
Alg = Literal["EdDSA", "ES256"]


def clock() -> datetime:
    return NOW


@dataclass
class Issuer:
    did: str
    key: IssuerKey
    status_url: str

    @property
    def document(self) -> dict[str, Any]:
        method = self.key.verification_method(self.did)
        return {"id": self.did, "verificationMethod": [method], "assertionMethod": [method["id"]]}

    def credential(self, subject: CredentialSubject, index: int | None, jti: str) -> str:
        status = None if index is None else StatusEntry(self.status_url, index)
        return issue_credential(
            self.key, self.did, HOLDER, subject, valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=365), status=status, now=NOW - timedelta(days=1), jti=jti,
        )  # fmt: skip

    def status_list(self) -> str:
        return issue_status_list_credential(
            self.key,
            self.did,
            self.status_url,
            StatusList.empty(),
            now=NOW,
            valid_until=NOW + timedelta(hours=1),
        )


def make_issuer(alg: Alg) -> Issuer:
    did = f"did:web:issuer-{alg.lower()}.example"
    return Issuer(did, IssuerKey.generate(alg), f"https://issuer-{alg.lower()}.example/status/1")


def trust_list(*issuers: Issuer) -> TrustList:
    body = [
        CertificationBody(did=i.did, credential_types=TYPES, valid_from=NOW - timedelta(days=30))
        for i in issuers
    ]
    return TrustList(
        space="bench", operator_did=OPERATOR, issued_at=NOW - timedelta(days=1), bodies=tuple(body)
    )


def status_cache(issuer: Issuer, max_age: timedelta) -> StatusCache:
    served = {issuer.status_url: issuer.status_list()}
    documents = {issuer.did: issuer.document}
    fetch = status_fetcher(served.__getitem__, issuer_document_for=documents.__getitem__, clock=clock)
    return StatusCache(fetch, clock=clock, max_age=max_age)


# ---- measuring ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    scenario: str
    variant: str
    count: int
    per_second: float
    p50_us: float
    p99_us: float


def measure(scenario: str, variant: str, operation: Callable[[], object], seconds: float) -> Figure:
    for _ in range(20):  # warm-up: imports, lazy caches, the first status fetch of a warm cache
        operation()
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - t0)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return Figure(scenario, variant, len(samples), len(samples) / sum(samples), q[49] * 1e6, q[98] * 1e6)


# ---- scenarios ------------------------------------------------------------------------------------------


def vc_figures(alg: Alg, seconds: float) -> list[Figure]:
    issuer = make_issuer(alg)
    documents = {issuer.did: issuer.document}
    is_trusted = trust_list(issuer).is_trusted
    membership = MembershipCredential("BPNL00000003AYRE", "bench", NOW)
    plain = issuer.credential(membership, None, "urn:uuid:plain")
    revocable = issuer.credential(membership, 7, "urn:uuid:revocable")

    def verify(token: str, cache: StatusCache | None) -> Callable[[], object]:
        return lambda: verify_credential(
            token, issuer_document_for=documents.__getitem__, is_trusted=is_trusted, status=cache,
            holder=HOLDER, now=NOW,
        )  # fmt: skip

    return [
        measure(f"vc {alg}", "no status", verify(plain, None), seconds),
        measure(f"vc {alg}", "status, cache warm", verify(revocable, status_cache(issuer, WARM)), seconds),
        measure(f"vc {alg}", "status, no cache", verify(revocable, status_cache(issuer, COLD)), seconds),
    ]


class DcpWorld:
    """A holder node (wallet with 3 credentials, Credential Service) and a verifier, wired in process."""

    def __init__(self, alg: Alg, tmp: Path) -> None:
        counter = itertools.count(1)
        self.new_id: Callable[[], str] = lambda: f"urn:uuid:bench-{next(counter)}"
        self.issuer = make_issuer(alg)
        self.holder_keys, self.verifier_keys = NodeKeys.generate(), NodeKeys.generate()
        holder_document = did_document(HOLDER, self.holder_keys)
        holder_document["service"] = [credential_service_entry(HOLDER, "https://holder.example")]
        documents = {
            HOLDER: holder_document,
            VERIFIER: did_document(VERIFIER, self.verifier_keys),
            self.issuer.did: self.issuer.document,
        }
        by_url = {did_web_document_url(did): doc for did, doc in documents.items()}
        self.resolver = DidResolver(static_fetcher(by_url), clock=clock)
        wallet = Wallet(tmp / "credentials", HOLDER)
        for index, subject in enumerate(self._subjects()):
            wallet.add(self.issuer.credential(subject, index, self.new_id()))
        holder_tokens = TokenVerifier(
            audience_did=HOLDER, resolver=self.resolver, replay_guard=self._guard(), clock=clock
        )
        self.service = CredentialService(
            wallet, self.holder_keys, authenticate=holder_tokens.verify, clock=clock, new_id=self.new_id
        )
        self.trust = trust_list(self.issuer)

    @staticmethod
    def _guard() -> MemoryReplayGuard:
        return MemoryReplayGuard(clock=clock, max_entries=10_000_000)  # the fixed clock never expires a jti

    @staticmethod
    def _subjects() -> list[CredentialSubject]:
        level = CertificationLevel.COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW
        return [
            MembershipCredential("BPNL00000003AYRE", "bench", NOW),
            ConnectorCertificationCredential(HOLDER, SecurityProfile.TRUST, level),
            RoleCredential(frozenset({Role.CELL_MAKER})),
        ]

    def post(self, _url: str, body: Mapping[str, Any], authorization: str) -> Mapping[str, Any]:
        return self.service.answer(authorization, body)

    def claims(self, *, claims_age: timedelta, status_age: timedelta) -> CredentialClaims:
        return CredentialClaims(
            did=VERIFIER, keys=self.verifier_keys, resolve=self.resolver.resolve, http=self.post,
            trust_lists=lambda: [self.trust], status=status_cache(self.issuer, status_age), clock=clock,
            new_id=self.new_id, replay_guard=self._guard(), max_cache_age=claims_age,
        )  # fmt: skip

    def caller(self) -> VerifiedCaller:
        """The holder's self-issued token carrying its access token, as our DSP endpoint verified it."""
        grant = outbound_token_claims(
            self.holder_keys, HOLDER, VERIFIER, NOW, self.new_id(), scopes=DEFAULT_SCOPES
        )
        # the DSP layer's token check is not part of the round: the verified caller is built directly
        return VerifiedCaller(HOLDER, self.new_id(), NOW + timedelta(minutes=2), {"iss": HOLDER, **grant})


def dcp_figures(alg: Alg, seconds: float) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        world = DcpWorld(alg, Path(tmp))
        caller = world.caller()
        figures = []
        for variant, claims_age, status_age in (
            ("all caches cold", COLD, COLD),
            ("claims cache cold", COLD, WARM),
            ("claims cache warm", WARM, WARM),
        ):
            source = world.claims(claims_age=claims_age, status_age=status_age)
            if source.claims_for(caller).get("membership") != "active":  # a refusal would be cheap and wrong
                raise SystemExit(f"dcp {alg}: the presentation was refused: {source.outcome(HOLDER)}")
            operation = partial(source.claims_for, caller)
            figures.append(measure(f"dcp {alg} (VP, 3 VCs)", variant, operation, seconds))
        return figures


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="measuring time per scenario")
    args = parser.parse_args()
    load_before = load_average()
    algs: tuple[Alg, ...] = ("EdDSA", "ES256")
    figures: list[Figure] = []
    for alg in algs:
        figures += vc_figures(alg, args.seconds)
    for alg in algs:
        figures += dcp_figures(alg, args.seconds)
    # two rates: n / time spent (the mean, hurt by every preemption on a busy machine) and 1 / p50
    row = "{:<24} {:<20} {:>8} {:>12} {:>12} {:>10} {:>10}"
    print(row.format("scenario", "variant", "n", "/s (mean)", "/s (1/p50)", "p50 µs", "p99 µs"))
    for f in figures:
        rates = f"{f.per_second:,.0f}", f"{1e6 / f.p50_us:,.0f}"
        print(row.format(f.scenario, f.variant, f.count, *rates, f"{f.p50_us:,.0f}", f"{f.p99_us:,.0f}"))
    print(
        f"1-minute load average: {load_before} before, {load_average()} after (other work skews the figures)"
    )


if __name__ == "__main__":
    main()
