"""A small data space in one process (helpers only, no tests).

An issuer on the trust list of "ouranos", a rogue issuer, a holder node with a wallet and a Credential
Service app, a verifier node, and a settable clock."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from battrace.http.common import install_error_handlers
from battrace.identity import (
    DidResolver,
    MemoryReplayGuard,
    NodeKeys,
    TokenVerifier,
    VerifiedCaller,
    did_document,
    did_web_document_url,
    issue_token,
    static_fetcher,
)
from battrace.trust import IssuerKey
from battrace.trust.claims import (
    DEFAULT_SCOPES,
    CredentialClaims,
    PresentationPoster,
    httpx_poster,
    outbound_token_claims,
)
from battrace.trust.credentials import issue_credential
from battrace.trust.http import credential_service_router
from battrace.trust.identifiers import CorporateNumber, Gln, corporate_number_check_digit, gln_check_digit
from battrace.trust.status import PublishedStatusList, StatusCache, StatusEntry, StatusList, set_status
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
from battrace.trust.wallet import CredentialService, Wallet, credential_service_entry

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = "did:web:issuer.example"
ROGUE = "did:web:rogue.example"
OPERATOR = "did:web:operator.example"
HOLDER = "did:web:holder.example"
VERIFIER = "did:web:verifier.example"
OTHER = "did:web:other.example"
STATUS_URL = "https://issuer.example/status/1"
BPN = "BPNL00000003AYRE"
CORPORATE_NUMBER = CorporateNumber(f"{corporate_number_check_digit('700110005901')}700110005901")
GLN = Gln(f"490123456789{gln_check_digit('490123456789')}")
MEMBERSHIP = MembershipCredential(BPN, "ouranos", identifiers=(CORPORATE_NUMBER, GLN))
CERTIFICATION = ConnectorCertificationCredential(
    HOLDER, SecurityProfile.TRUST, CertificationLevel.COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW
)
ROLES = RoleCredential(frozenset({Role.CELL_MAKER}))


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Calls:
    """A poster wrapper counting the queries the verifier sends."""

    inner: PresentationPoster
    urls: list[str] = field(default_factory=list)

    def __call__(self, url: str, body: Mapping[str, Any], authorization: str) -> Mapping[str, Any]:
        self.urls.append(url)
        return self.inner(url, body, authorization)


class World:
    def __init__(self, tmp: Path) -> None:
        self.clock = Clock()
        counter = itertools.count(1)
        self.new_id: Callable[[], str] = lambda: f"urn:uuid:test-{next(counter)}"
        self.issuer_key = IssuerKey.generate()
        self.rogue_key = IssuerKey.generate()
        self.operator_keys = NodeKeys.generate()
        self.holder_keys = NodeKeys.generate()
        self.verifier_keys = NodeKeys.generate()
        self.documents: dict[str, dict[str, Any]] = {}
        for did, key in ((ISSUER, self.issuer_key), (ROGUE, self.rogue_key)):
            method = key.verification_method(did)
            self.documents[did] = {
                "id": did, "verificationMethod": [method], "assertionMethod": [method["id"]],
            }
        self.documents[HOLDER] = did_document(HOLDER, self.holder_keys)
        self.documents[HOLDER]["service"] = [credential_service_entry(HOLDER, "https://holder.example")]
        self.documents[VERIFIER] = did_document(VERIFIER, self.verifier_keys)
        self.documents[OTHER] = did_document(OTHER, NodeKeys.generate())
        by_url = {did_web_document_url(did): doc for did, doc in self.documents.items()}
        self.resolver = DidResolver(static_fetcher(by_url), clock=self.clock)
        self.trust_list = TrustList(
            space="ouranos",
            operator_did=OPERATOR,
            issued_at=NOW - timedelta(days=30),
            bodies=(
                CertificationBody(
                    did=ISSUER,
                    credential_types=("MembershipCredential", "ConnectorCertificationCredential",
                                      "RoleCredential", "TraceabilityCredential"),
                    valid_from=NOW - timedelta(days=365),
                ),
            ),
        )
        self.status_lists = {STATUS_URL: StatusList.empty()}
        self.wallet = Wallet(tmp / "credentials", HOLDER)
        self.holder_verifier = TokenVerifier(
            audience_did=HOLDER, resolver=self.resolver,
            replay_guard=MemoryReplayGuard(clock=self.clock), clock=self.clock,
        )
        self.service = CredentialService(
            self.wallet, self.holder_keys, authenticate=self.holder_verifier.verify,
            clock=self.clock, new_id=self.new_id,
        )
        self.holder_app = FastAPI()
        install_error_handlers(self.holder_app)
        self.holder_app.include_router(credential_service_router(self.service))
        self.holder_client = TestClient(self.holder_app, base_url="https://holder.example")
        self.calls = Calls(httpx_poster(self.holder_client))
        self.verifier_replay = MemoryReplayGuard(clock=self.clock)
        self.dsp_verifier = TokenVerifier(
            audience_did=VERIFIER, resolver=self.resolver,
            replay_guard=MemoryReplayGuard(clock=self.clock), clock=self.clock,
        )

    # ---- the issuer ------------------------------------------------------------------------------------

    def credential(
        self,
        subject: CredentialSubject,
        *,
        holder: str = HOLDER,
        issuer: str = ISSUER,
        status_index: int | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> str:
        key = self.issuer_key if issuer == ISSUER else self.rogue_key
        start = valid_from or self.clock() - timedelta(days=1)
        return issue_credential(
            key, issuer, holder, subject,
            valid_from=start,
            valid_until=valid_until or self.clock() + timedelta(days=365),
            status=None if status_index is None else StatusEntry(STATUS_URL, status_index),
            now=start,
            jti=self.new_id(),
        )

    def revoke(self, index: int) -> None:
        self.status_lists[STATUS_URL] = set_status(self.status_lists[STATUS_URL], index)

    def status_cache(self) -> StatusCache:
        def fetch(url: str) -> PublishedStatusList:
            return PublishedStatusList(url, ISSUER, self.status_lists[url])

        return StatusCache(fetch, clock=self.clock, max_age=timedelta(0))

    # ---- the two nodes ---------------------------------------------------------------------------------

    def caller(
        self, *, with_access_token: bool = True, scopes: tuple[str, ...] | None = None
    ) -> VerifiedCaller:
        """What the verifier's DSP endpoint sees: the holder's self-issued token, verified."""
        now = self.clock()
        extra = None
        if with_access_token:
            extra = outbound_token_claims(
                self.holder_keys, HOLDER, VERIFIER, now, self.new_id(), scopes=scopes or DEFAULT_SCOPES
            )
        jti = self.new_id()
        token = issue_token(self.holder_keys, HOLDER, VERIFIER, now=now, jti=jti, extra_claims=extra)
        return self.dsp_verifier.verify(f"Bearer {token}")

    def claims_source(self, **overrides: Any) -> CredentialClaims:
        arguments: dict[str, Any] = {
            "did": VERIFIER,
            "keys": self.verifier_keys,
            "resolve": self.resolver.resolve,
            "http": self.calls,
            "trust_lists": lambda: [self.trust_list],
            "status": self.status_cache(),
            "clock": self.clock,
            "new_id": self.new_id,
            "replay_guard": self.verifier_replay,
        }
        arguments.update(overrides)
        return CredentialClaims(**arguments)
