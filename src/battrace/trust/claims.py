"""Claims of a DSP caller from its verified credentials (research notes §7.2, DCP 1.0 presentation protocol).

For a caller whose self-issued token carries an access token (``token`` claim), ``CredentialClaims``:

1. finds the ``CredentialService`` in the caller's DID document;
2. POSTs a ``PresentationQueryMessage`` for the configured scopes, authenticated by our own self-issued token
   carrying the caller's access token;
3. verifies every VP (holder = caller, audience = us, window, replay) and every VC in it (signature, window,
   issuer trusted by one of the data spaces we trust, status, holder binding);
4. maps what survived to the policy claims (``membership``, ``bpn``, ``dataSpace``, ``securityProfile``,
   ``certificationLevel``, ``roles``, ``corporateNumber``, ``gln``, ``frameworkAgreements``) plus
   ``credentials`` and ``trustDecisions`` (why each was accepted or refused).

It never raises into the DSP handler: any failure gives no credential claims and a recorded ``Refusal``
(fail closed: policies that need a claim then deny). A result is cached per caller DID no longer than the
lifetime of the presentations it came from.

The outbound half, ``outbound_token_claims``, is the ``token`` claim we put in our own self-issued tokens so
that the callee can query *our* Credential Service.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from battrace.clock import Clock, IdFactory
from battrace.errors import BattraceError
from battrace.identity.keys import NodeKeys
from battrace.identity.replay import ReplayGuard
from battrace.identity.tokens import VerifiedCaller
from battrace.json_body import BodyRejected, read_json_object
from battrace.trust.dcp import (
    Scope,
    VerifiedPresentation,
    access_token_of,
    issue_access_token,
    issue_self_issued_token,
    parse_presentation_response,
    presentation_query,
    verify_presentation,
)
from battrace.trust.status import StatusCache
from battrace.trust.subjects import (
    BpnCredential,
    ConnectorCertificationCredential,
    FrameworkCredential,
    MembershipCredential,
    RoleCredential,
)
from battrace.trust.trustlist import LOCAL, TrustList
from battrace.trust.verify import (
    CredentialForbidden,
    CredentialUnauthenticated,
    VerifiedCredential,
    verify_credential,
)
from battrace.trust.wallet import CREDENTIAL_SERVICE_TYPE, QUERY_PATH

log = logging.getLogger("battrace.trust.claims")

DEFAULT_CREDENTIAL_TYPES = (
    MembershipCredential.credential_type,
    ConnectorCertificationCredential.credential_type,
    RoleCredential.credential_type,
    # the framework agreement Catena-X usage policies ask for (CX-0018 "FrameworkAgreement DataExchange...")
    "DataExchangeGovernanceCredential",
)
DEFAULT_SCOPES: tuple[str, ...] = tuple(Scope.for_type(t).raw for t in DEFAULT_CREDENTIAL_TYPES)
MAX_RESPONSE_BYTES = 1_000_000

PresentationPoster = Callable[[str, Mapping[str, Any], str], Mapping[str, Any]]
"""``post(url, body, authorization_header) -> JSON object``; raises on any transport or HTTP failure."""
TrustLists = Callable[[], Sequence[TrustList]]
DocumentResolver = Callable[[str], Mapping[str, Any]]


def outbound_token_claims(
    keys: NodeKeys,
    did: str,
    audience_did: str,
    now: datetime,
    jti: str,
    *,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    lifetime: timedelta = timedelta(minutes=2),
) -> dict[str, str]:
    """Extra claims for our self-issued token to ``audience_did``: the access token letting it read
    ``scopes`` from our Credential Service (DCP 1.0 base protocol §4.3.1). ``jti`` must differ from the
    outer token's."""
    token = issue_access_token(keys, did, audience_did, scopes, now=now, jti=jti, lifetime=lifetime)
    return {"token": token}


@dataclass(frozen=True)
class Refusal:
    """Why a caller's credentials (or one credential) gave no claims; ``reason`` is a stable code."""

    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass(frozen=True)
class ClaimsOutcome:
    did: str
    claims: Mapping[str, Any]
    refusals: tuple[Refusal, ...]
    expires_at: datetime | None  # None: not cached (the presentation itself failed)
    # The verified presentations the claims came from: their credentials can be re-checked (status, validity,
    # trust) without a new presentation, e.g. on the data plane between two exchanges.
    presentations: tuple[VerifiedPresentation, ...] = ()


class _Refused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.refusal = Refusal(reason, detail)


class QueryFailed(BattraceError):
    status = 502
    title = "Credential service query failed"


def httpx_poster(
    client: httpx.Client, *, timeout: float = 5.0, max_bytes: int = MAX_RESPONSE_BYTES
) -> PresentationPoster:
    """POST with a timeout (notes §7.2 step 3: ≤ 5 s), no redirects, 200 only, the body read up to
    ``max_bytes`` so a hostile credential service cannot make us buffer gigabytes."""

    def post(url: str, body: Mapping[str, Any], authorization: str) -> Mapping[str, Any]:
        headers = {"Authorization": authorization, "Accept": "application/json"}
        with client.stream(
            "POST", url, json=dict(body), headers=headers, timeout=timeout, follow_redirects=False
        ) as response:
            if response.status_code != 200:
                raise QueryFailed(f"POST {url} answered {response.status_code}")
            try:
                return read_json_object(response, max_bytes)
            except BodyRejected as error:
                raise QueryFailed(f"POST {url} answered {error}") from error

    return post


@dataclass(frozen=True)
class _Decision:
    """A trust decision in the shape ``verify_credential`` reads (``allowed``, ``reasons``), plus which of
    our data spaces trusted the issuer and how (``via``: ``local`` or ``recognition:<space>``)."""

    allowed: bool
    reasons: tuple[str, ...]
    via: str | None = None
    space: str | None = None


def _trusted_by(lists: Sequence[TrustList]) -> Callable[[str, str, datetime], _Decision]:
    def decide(issuer: str, credential_type: str, at: datetime) -> _Decision:
        reasons: list[str] = []
        for trust_list in lists:
            decision = trust_list.is_trusted(issuer, credential_type, at)
            if decision.trusted:
                via = decision.via or LOCAL
                # trusted through a recognition: the holder belongs to the recognised space, not ours
                space = trust_list.space if via == LOCAL else via.removeprefix("recognition:")
                return _Decision(True, decision.reasons, via, space)
            reasons.extend(decision.reasons)
        if not lists:
            reasons.append("this node trusts no data space (no trust list)")
        return _Decision(False, tuple(reasons))

    return decide


@dataclass(frozen=True)
class _Accepted:
    verified: VerifiedCredential
    decision: _Decision


class CredentialClaims:
    """A ``ClaimsSource`` from verified credentials, fetched from the caller's Credential Service."""

    def __init__(
        self,
        *,
        did: str,
        keys: NodeKeys,
        resolve: DocumentResolver,
        http: httpx.Client | PresentationPoster,
        trust_lists: TrustLists,
        status: StatusCache | None,
        clock: Clock,
        new_id: IdFactory,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        replay_guard: ReplayGuard | None = None,
        url_guard: Callable[[str], object] | None = None,
        max_cache_age: timedelta | None = None,
        max_entries: int = 10_000,
    ) -> None:
        """``resolve``: DID → DID document (the node's ``DidResolver.resolve``); ``url_guard`` raises for a
        Credential Service URL we must not call (the caller chose it: SSRF); ``max_cache_age`` bounds the
        cache below the VP lifetime (``timedelta(0)`` disables it)."""
        self._did = did
        self._keys = keys
        self._resolve = resolve
        self._post = httpx_poster(http) if isinstance(http, httpx.Client) else http
        self._trust_lists = trust_lists
        self._status = status
        self._clock = clock
        self._new_id = new_id
        self._scopes = tuple(Scope.parse(s).raw for s in scopes)
        self._replay_guard = replay_guard
        self._url_guard = url_guard
        self._max_cache_age = max_cache_age
        self._max_entries = max_entries
        self._cache: OrderedDict[str, ClaimsOutcome] = OrderedDict()
        self._last: OrderedDict[str, ClaimsOutcome] = OrderedDict()
        self._lock = threading.Lock()

    def claims_for(self, caller: VerifiedCaller) -> Mapping[str, Any]:
        now = self._clock()
        outcome = self._cached(caller.did, now)
        if outcome is None:
            try:
                outcome = self._evaluate(caller, now)
            except Exception as error:  # never into the DSP handler: an unexpected failure denies
                log.exception("credential claims of %s failed", caller.did)
                outcome = _refused(caller.did, Refusal("internal_error", repr(error)))
            self._remember(outcome, now)
        # a copy: the policy engine must not be able to change what the next request sees
        return copy.deepcopy(dict(outcome.claims))

    def outcome(self, did: str) -> ClaimsOutcome | None:
        """The last evaluation for ``did`` (claims and refusals), to explain a denial."""
        with self._lock:
            return self._last.get(did)

    def recheck(self, did: str) -> Mapping[str, Any]:
        """Claims from the credentials last presented by `did`, verified again now: revocation (status
        lists, cached ≤ their max age), expiry and issuer trust apply without a new presentation. Empty if
        nothing was ever accepted or anything fails (fail closed)."""
        outcome = self.outcome(did)
        if outcome is None or not outcome.presentations:
            return {}
        try:
            lists = tuple(self._trust_lists())
            accepted, refusals = self._credentials(did, outcome.presentations, lists, self._clock())
        except Exception:  # never into the data plane: an unexpected failure denies
            log.exception("re-checking the credentials of %s failed", did)
            return {}
        return _claims(accepted, refusals)

    def invalidate(self, did: str | None = None) -> None:
        with self._lock:
            if did is None:
                self._cache.clear()
            else:
                self._cache.pop(did, None)

    # ---- evaluation ------------------------------------------------------------------------------------

    def _evaluate(self, caller: VerifiedCaller, now: datetime) -> ClaimsOutcome:
        try:
            presentations, lists = self._presentations(caller, now)
        except _Refused as refused:
            return _refused(caller.did, refused.refusal)
        accepted, refusals = self._credentials(caller.did, presentations, lists, now)
        if not accepted and not refusals:
            refusals.append(Refusal("no_credentials", f"{caller.did} presented none of {list(self._scopes)}"))
        expires = min(p.expires_at for p in presentations) if presentations else now
        if self._max_cache_age is not None:
            expires = min(expires, now + self._max_cache_age)
        for refusal in refusals:
            log.info("credential of %s refused: %s", caller.did, refusal)
        return ClaimsOutcome(
            caller.did, _claims(accepted, refusals), tuple(refusals), expires, tuple(presentations)
        )

    def _presentations(
        self, caller: VerifiedCaller, now: datetime
    ) -> tuple[tuple[VerifiedPresentation, ...], Sequence[TrustList]]:
        try:
            access_token = access_token_of(caller)
        except BattraceError as error:
            raise _Refused("no_access_token", error.detail) from error
        document = self._document(caller.did)
        endpoint = _credential_service(document, caller.did)
        if self._url_guard is not None:
            try:
                self._url_guard(endpoint)
            except BattraceError as error:
                raise _Refused("no_credential_service", error.detail) from error
        answer = self._query(endpoint, caller.did, access_token, now)
        try:
            lists = tuple(self._trust_lists())
        except Exception as error:  # a trust list we cannot get trusts nobody
            raise _Refused("trust_lists_unavailable", repr(error)) from error
        return self._verified(answer, document, now), lists

    def _document(self, did: str) -> Mapping[str, Any]:
        try:
            return self._resolve(did)
        except Exception as error:
            detail = error.detail if isinstance(error, BattraceError) else repr(error)
            raise _Refused("no_credential_service", f"DID document of {did} unavailable: {detail}") from error

    def _query(self, endpoint: str, caller_did: str, access_token: str, now: datetime) -> Mapping[str, Any]:
        # DCP 1.0 §5.4 / notes §6.2 step 6: our own self-issued token, aud = the holder, carrying its token
        token = issue_self_issued_token(
            self._keys, self._did, caller_did, now=now, jti=self._new_id(), access_token=access_token
        )
        url = endpoint.rstrip("/") + QUERY_PATH
        try:
            return self._post(url, presentation_query(self._scopes), f"Bearer {token}")
        except Exception as error:  # transport, status, size, JSON: all mean "no credentials"
            detail = error.detail if isinstance(error, BattraceError) else repr(error)
            raise _Refused("query_failed", detail) from error

    def _verified(
        self, answer: Mapping[str, Any], document: Mapping[str, Any], now: datetime
    ) -> tuple[VerifiedPresentation, ...]:
        try:
            response = parse_presentation_response(answer)
        except BattraceError as error:
            raise _Refused("bad_response", error.detail) from error
        verified: list[VerifiedPresentation] = []
        for presentation in response.presentations:
            if not isinstance(presentation, str):
                raise _Refused("bad_response", "only VP-JWT presentations are supported")
            try:
                verified.append(
                    verify_presentation(
                        presentation,
                        document,
                        verifier_did=self._did,
                        now=now,
                        replay_guard=self._replay_guard,
                    )
                )
            except BattraceError as error:  # one bad VP spoils the answer: its holder is not credible
                raise _Refused("presentation_invalid", error.detail) from error
        return tuple(verified)

    def _credentials(
        self,
        holder: str,
        presentations: Sequence[VerifiedPresentation],
        lists: Sequence[TrustList],
        now: datetime,
    ) -> tuple[list[_Accepted], list[Refusal]]:
        decide = _trusted_by(lists)
        accepted: list[_Accepted] = []
        refusals: list[Refusal] = []
        for token in (t for p in presentations for t in p.credentials):
            try:
                verified = verify_credential(
                    token,
                    issuer_document_for=self._resolve,
                    is_trusted=decide,
                    status=self._status,
                    holder=holder,
                    now=now,
                )
            except (CredentialUnauthenticated, CredentialForbidden) as error:
                refusals.append(Refusal(error.reason, error.detail))
                continue
            subject = verified.credential.subject
            # a certificate of another connector says nothing about the one calling us
            if isinstance(subject, ConnectorCertificationCredential) and subject.connector != holder:
                refusals.append(Refusal("wrong_connector", f"certifies {subject.connector}, not {holder}"))
                continue
            decision = verified.trust if isinstance(verified.trust, _Decision) else _Decision(True, ())
            accepted.append(_Accepted(verified, decision))
        return accepted, refusals

    # ---- cache -----------------------------------------------------------------------------------------

    def _cached(self, did: str, now: datetime) -> ClaimsOutcome | None:
        with self._lock:
            outcome = self._cache.get(did)
            if outcome is None:
                return None
            if outcome.expires_at is None or not now < outcome.expires_at:
                del self._cache[did]
                return None
            self._cache.move_to_end(did)
            return outcome

    def _remember(self, outcome: ClaimsOutcome, now: datetime) -> None:
        with self._lock:
            for table in (self._last, self._cache):
                if table is self._cache and (outcome.expires_at is None or not now < outcome.expires_at):
                    continue
                table[outcome.did] = outcome
                table.move_to_end(outcome.did)
                while len(table) > self._max_entries:
                    table.popitem(last=False)


def _refused(did: str, refusal: Refusal) -> ClaimsOutcome:
    log.info("no credential claims for %s: %s", did, refusal)
    return ClaimsOutcome(did, {"credentials": [], "trustDecisions": [str(refusal)]}, (refusal,), None)


def _credential_service(document: Mapping[str, Any], did: str) -> str:
    services = document.get("service", [])
    for service in services if isinstance(services, list) else []:
        if not isinstance(service, Mapping):
            continue
        types = service.get("type")
        types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        endpoint = service.get("serviceEndpoint")
        if CREDENTIAL_SERVICE_TYPE in types and isinstance(endpoint, str) and endpoint:
            return endpoint
    raise _Refused("no_credential_service", f"the DID document of {did} names no {CREDENTIAL_SERVICE_TYPE}")


# ---- claims ------------------------------------------------------------------------------------------------


def _claims(accepted: Sequence[_Accepted], refusals: Sequence[Refusal]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    decisions: list[str] = []
    entries: list[dict[str, Any]] = []
    for item in accepted:
        verified, decision = item.verified, item.decision
        _add_subject(claims, verified, decision)
        entries.append(
            {
                "type": verified.credential_type,
                "issuer": verified.issuer,
                "via": decision.via,
                "dataSpace": decision.space,
            }
        )
        why = "; ".join(decision.reasons) or "trusted"
        decisions.append(f"accepted {verified.credential_type} from {verified.issuer}: {why}")
    decisions.extend(f"refused {r}" for r in refusals)
    claims["credentials"] = entries
    claims["trustDecisions"] = decisions
    return claims


def _add_subject(claims: dict[str, Any], verified: VerifiedCredential, decision: _Decision) -> None:
    subject = verified.credential.subject
    if isinstance(subject, MembershipCredential):
        claims["membership"] = "active"
        if decision.space is not None:
            claims.setdefault("dataSpace", decision.space)
        # Catena-X: the membership's holderIdentifier is the BPN; other schemes come as typed identifiers
        if subject.holder_identifier.startswith("BPN"):
            claims.setdefault("bpn", subject.holder_identifier)
        for identifier in subject.identifiers:
            name = {"BPN": "bpn", "CorporateNumber": "corporateNumber", "GLN": "gln"}[identifier.scheme]
            claims[name] = identifier.value
    elif isinstance(subject, BpnCredential):
        claims["bpn"] = subject.bpn
    elif isinstance(subject, ConnectorCertificationCredential):
        _add_certification(claims, subject)
    elif isinstance(subject, RoleCredential):
        claims["roles"] = sorted({*claims.get("roles", []), *(r.value for r in subject.roles)})
    elif isinstance(subject, FrameworkCredential):
        # CX-0018: FrameworkAgreement "Traceability:1.0" ↔ TraceabilityCredential with contractVersion 1.0
        name = subject.credential_type.removesuffix("Credential")
        claims.setdefault("frameworkAgreements", {})[name] = subject.contract_version


def _add_certification(claims: dict[str, Any], subject: ConnectorCertificationCredential) -> None:
    held = claims.get("securityProfile")
    ranks = [p.name for p in type(subject.security_profile)]
    # several certifications: the highest profile counts, with the level that certified it
    if held is None or ranks.index(subject.security_profile.name) > ranks.index(held):
        claims["securityProfile"] = subject.security_profile.name
        claims["certificationLevel"] = subject.certification_level.value
