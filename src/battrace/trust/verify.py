"""Verify a VC-JWT the way the notes §7.2 step 5 order it, failing closed at the first broken rule:

1. signature: ``alg`` allowed (EdDSA/Ed25519/ES256, never ``none``/HS*), ``kid`` a key of the issuer's DID
   document listed under ``assertionMethod``, key type matching ``alg``;
2. JWT ↔ credential mapping consistent (VC DM 1.1 §6.3.1; notes §2.1);
3. validity window (nbf/exp, issuanceDate/expirationDate or validFrom/validUntil, with leeway);
4. issuer trusted for this credential type (``is_trusted``, a trust list / recognition decision);
5. status bit not set (Bitstring Status List, list signed by the same issuer);
6. holder binding: ``credentialSubject.id`` == the presenter.

Every refusal carries a reason code (``CredentialRefused.reason``): 401 ``Unauthenticated`` when the
credential cannot be authenticated, 403 ``Forbidden`` when it is authentic but not acceptable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from battrace.clock import Clock
from battrace.errors import BattraceError, Forbidden, InvalidInput, Unauthenticated
from battrace.trust.credentials import REGISTRY, Credential, CredentialJwt, decode_credential_jwt
from battrace.trust.dataintegrity import ed25519_from_multikey
from battrace.trust.status import (
    BitstringStatusListCredential,
    PublishedStatusList,
    StatusCache,
    StatusFetcher,
    is_revoked,
)
from battrace.trust.subjects import ConnectorCertificationCredential

DEFAULT_LEEWAY = timedelta(seconds=30)
_KEY_TYPES = {"EdDSA": ("OKP", "Ed25519"), "Ed25519": ("OKP", "Ed25519"), "ES256": ("EC", "P-256")}

# reason code -> refusal class: authentic-but-unacceptable is 403, everything else 401
FORBIDDEN_REASONS = frozenset({"untrusted_issuer", "revoked", "suspended"})
UNAUTHENTICATED_REASONS = frozenset(
    {
        "no_credential",
        "malformed",
        "unsupported_algorithm",
        "issuer_unresolvable",
        "unknown_key",
        "bad_signature",
        "inconsistent_claims",
        "not_yet_valid",
        "expired",
        "status_unavailable",
        "wrong_holder",
        "wrong_type",
    }
)


class CredentialUnauthenticated(Unauthenticated):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


class CredentialForbidden(Forbidden):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


CredentialRefused = CredentialUnauthenticated | CredentialForbidden


def refuse(reason: str, detail: str) -> CredentialUnauthenticated | CredentialForbidden:
    if reason in FORBIDDEN_REASONS:
        return CredentialForbidden(reason, detail)
    assert reason in UNAUTHENTICATED_REASONS, reason
    return CredentialUnauthenticated(reason, detail)


class TrustDecisionLike(Protocol):
    @property
    def allowed(self) -> bool: ...


IsTrusted = Callable[[str, str, datetime], "TrustDecisionLike | bool"]
IssuerDocumentFor = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class VerifiedCredential:
    credential: Credential
    issuer: str
    holder: str
    credential_type: str
    key_id: str
    algorithm: str
    trust: TrustDecisionLike | bool  # the issuer decision, kept to explain the acceptance
    status_checked: bool


def verify_credential(
    token: str | None,
    *,
    issuer_document_for: IssuerDocumentFor,
    is_trusted: IsTrusted,
    status: StatusCache | None,
    holder: str | None,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> VerifiedCredential:
    """The credential, verified; else CredentialUnauthenticated / CredentialForbidden naming the failed rule.

    ``holder=None`` skips holder binding (only for callers that bind the holder themselves)."""
    if token is None or not token.strip():
        raise refuse("no_credential", "no credential presented")
    parsed = _decode(token)
    kid, alg = _check_signature(parsed, issuer_document_for)
    credential = parsed.credential
    _check_mapping(parsed)
    _check_window(parsed, now, leeway)
    decision = _check_trust(credential, is_trusted, now)
    checked = _check_status(credential, status)
    subject = credential.subject_id or ""
    # DCP v1.0 §5.4.3 / notes §7.2.5: the credential must be about the party presenting it
    if holder is not None and subject != holder:
        raise refuse("wrong_holder", f"credential is about {subject}, presented by {holder}")
    return VerifiedCredential(
        credential, credential.issuer, subject, credential.credential_type, kid, alg, decision, checked
    )


def verify_status_list_credential(
    token: str,
    *,
    url: str,
    issuer_document_for: IssuerDocumentFor,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> PublishedStatusList:
    """A status list credential fetched from ``url``: signed by its issuer, in its validity window, and
    really the list at ``url`` (its id), so a list cannot be swapped for another one of the same issuer."""
    parsed = _decode(token)
    _check_signature(parsed, issuer_document_for)
    _check_mapping(parsed)
    _check_window(parsed, now, leeway)
    credential = parsed.credential
    if not isinstance(credential.subject, BitstringStatusListCredential):
        raise refuse("wrong_type", f"{url} is not a BitstringStatusListCredential")
    if credential.id != url:
        raise refuse("inconsistent_claims", f"status list credential id {credential.id!r} is not {url}")
    return PublishedStatusList(url, credential.issuer, credential.subject.status_list)


def status_fetcher(
    download: Callable[[str], str],
    *,
    issuer_document_for: IssuerDocumentFor,
    clock: Clock,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> StatusFetcher:
    """A StatusCache fetcher: ``download(url)`` returns the VC-JWT served at ``url`` (I/O stays outside)."""

    def fetch(url: str) -> PublishedStatusList:
        return verify_status_list_credential(
            download(url), url=url, issuer_document_for=issuer_document_for, now=clock(), leeway=leeway
        )

    return fetch


def _decode(token: str) -> CredentialJwt:
    try:
        return decode_credential_jwt(token)
    except InvalidInput as error:
        raise refuse("malformed", error.detail) from error


def _check_signature(parsed: CredentialJwt, issuer_document_for: IssuerDocumentFor) -> tuple[str, str]:
    alg = parsed.header.get("alg")
    # RFC 8725 §3.1: the verifier, not the token, decides the algorithm family
    if not isinstance(alg, str) or alg not in _KEY_TYPES:
        raise refuse("unsupported_algorithm", f"algorithm {alg!r} not accepted, only {sorted(_KEY_TYPES)}")
    iss = parsed.claims.get("iss", parsed.credential.issuer)
    if not isinstance(iss, str) or not iss:
        raise refuse("malformed", "credential JWT has no iss")
    try:
        document = issuer_document_for(iss)
    except Exception as error:  # fail closed: whatever stops resolution stops the credential
        detail = error.detail if isinstance(error, BattraceError) else repr(error)
        raise refuse("issuer_unresolvable", f"DID document of {iss} unavailable: {detail}") from error
    kid, key = _assertion_key(document, iss, parsed.header.get("kid"), alg)
    try:
        valid = jws.validate_compact(parsed.compact, key, registry=REGISTRY)
    except JoseError:
        valid = False
    if not valid:
        raise refuse("bad_signature", f"signature does not verify with {kid}")
    return kid, alg


def _assertion_key(
    document: Mapping[str, Any], issuer: str, kid: Any, alg: str
) -> tuple[str, OKPKey | ECKey]:
    if document.get("id") != issuer:
        raise refuse("issuer_unresolvable", f"DID document id {document.get('id')!r} is not {issuer}")
    assertion = [_ref(issuer, m) for m in _as_list(document.get("assertionMethod"))]
    if kid is None:
        # without kid the key is unambiguous only if the issuer has exactly one assertion key
        if len(assertion) != 1:
            raise refuse(
                "unknown_key", "credential has no kid and the issuer has not exactly one assertion key"
            )
        wanted = assertion[0]
    elif isinstance(kid, str) and kid:
        wanted = _ref(issuer, kid)
    else:
        raise refuse("unknown_key", f"kid {kid!r} is not a string")
    # DID Core §5.3.2: only assertionMethod keys may issue credentials (an authentication key may not)
    if wanted not in assertion:
        raise refuse("unknown_key", f"{wanted} is not an assertionMethod of {issuer}")
    for method in _methods(document):
        if _ref(issuer, method) == wanted:
            return wanted, _public_key(method, issuer, alg)
    raise refuse("unknown_key", f"DID document of {issuer} has no verification method {wanted}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _methods(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    embedded = [m for m in _as_list(document.get("assertionMethod")) if isinstance(m, Mapping)]
    listed = [m for m in _as_list(document.get("verificationMethod")) if isinstance(m, Mapping)]
    return embedded + listed


def _ref(did: str, value: Any) -> str:
    ref = value.get("id") if isinstance(value, Mapping) else value
    if not isinstance(ref, str):
        return ""
    if ref.startswith("#"):
        return did + ref
    # a bare fragment ("key-1", Catena-X vectors use "ec-secp256r1") is relative to the issuer DID
    return ref if ":" in ref or "#" in ref else f"{did}#{ref}"


def _public_key(method: Mapping[str, Any], issuer: str, alg: str) -> OKPKey | ECKey:
    if method.get("controller") != issuer:
        raise refuse("unknown_key", f"{method.get('id')} is not controlled by {issuer}")
    kty, crv = _KEY_TYPES[alg]
    jwk = method.get("publicKeyJwk")
    try:
        if isinstance(jwk, Mapping):
            if jwk.get("kty") != kty or jwk.get("crv") != crv:
                raise refuse("bad_signature", f"alg {alg} needs a {kty}/{crv} key, {method.get('id')} is not")
            # only the public members: a leaked "d" must never turn into a signing key here
            public = {k: jwk[k] for k in ("kty", "crv", "x", "y") if k in jwk}
            return ECKey.import_key(public) if kty == "EC" else OKPKey.import_key(public)
        multikey = method.get("publicKeyMultibase")
        if isinstance(multikey, str) and kty == "OKP":
            return OKPKey.import_key(ed25519_from_multikey(multikey))
    except (JoseError, ValueError, TypeError, InvalidInput) as error:
        raise refuse("unknown_key", f"{method.get('id')} has an unusable key: {error}") from error
    raise refuse("unknown_key", f"{method.get('id')} has no usable {kty}/{crv} key")


def _check_mapping(parsed: CredentialJwt) -> None:
    """VC DM 1.1 §6.3.1: where a JWT claim and the credential property both exist they must agree."""
    credential, claims = parsed.credential, parsed.claims
    pairs: list[tuple[str, Any, Any]] = [
        ("iss/issuer", claims.get("iss"), credential.issuer),
        ("sub/credentialSubject.id", claims.get("sub"), credential.subject_id),
        ("jti/id", claims.get("jti"), credential.id),
        ("nbf/validFrom", _epoch_claim(claims, "nbf"), _epoch(credential.valid_from)),
        ("exp/validUntil", _epoch_claim(claims, "exp"), _epoch(credential.valid_until)),
    ]
    for name, claim, value in pairs:
        if claim is not None and value is not None and claim != value:
            raise refuse("inconsistent_claims", f"{name} disagree: {claim!r} vs {value!r}")
    if not credential.subject_id:
        raise refuse("inconsistent_claims", "credential names no subject")


def _epoch_claim(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    # RFC 7519 §2 NumericDate; bool is an int in Python, NaN/inf parse from JSON: neither is a date
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or abs(value) > 1e11:
        raise refuse("malformed", f"{name} is not a NumericDate")
    return int(value)


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _check_window(parsed: CredentialJwt, now: datetime, leeway: timedelta) -> None:
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")
    credential, claims = parsed.credential, parsed.claims
    starts = [
        t
        for t in (_epoch_claim(claims, "nbf"), _epoch_claim(claims, "iat"), _epoch(credential.valid_from))
        if t is not None
    ]
    ends = [t for t in (_epoch_claim(claims, "exp"), _epoch(credential.valid_until)) if t is not None]
    subject = credential.subject
    if isinstance(subject, ConnectorCertificationCredential) and subject.certified_until is not None:
        ends.append(int(subject.certified_until.timestamp()))
    at, slack = now.timestamp(), leeway.total_seconds()
    if starts and max(starts) - slack > at:
        raise refuse(
            "not_yet_valid", f"credential valid only from {datetime.fromtimestamp(max(starts), now.tzinfo)}"
        )
    if ends and min(ends) + slack < at:
        raise refuse("expired", f"credential expired at {datetime.fromtimestamp(min(ends), now.tzinfo)}")


def _check_trust(credential: Credential, is_trusted: IsTrusted, now: datetime) -> TrustDecisionLike | bool:
    try:
        decision = is_trusted(credential.issuer, credential.credential_type, now)
    except Exception as error:  # fail closed: a trust list we cannot consult trusts nobody
        raise refuse("untrusted_issuer", f"trust decision failed: {error!r}") from error
    allowed = decision if isinstance(decision, bool) else getattr(decision, "allowed", False) is True
    if not allowed:
        reasons = getattr(decision, "reasons", ())
        detail = "; ".join(str(r) for r in reasons) if reasons else "not on the trust list"
        raise refuse(
            "untrusted_issuer",
            f"{credential.issuer} is not trusted for {credential.credential_type}: {detail}",
        )
    return decision


def _check_status(credential: Credential, cache: StatusCache | None) -> bool:
    entry = credential.status
    if entry is None:
        return False  # the issuer made it irrevocable; the validity window is the only bound
    if cache is None:
        raise refuse("status_unavailable", "credential has a status entry but no status cache is configured")
    try:
        published = cache.get(entry.list_credential)
        # the list must come from the credential's own issuer, or anyone could "un-revoke" it
        if published.issuer != credential.issuer:
            raise refuse(
                "status_unavailable",
                f"status list {entry.list_credential} is signed by {published.issuer}, not the issuer",
            )
        set_bit = is_revoked(published.status_list, entry)
    except (CredentialUnauthenticated, CredentialForbidden):
        raise
    except Exception as error:  # fail closed: an unknown status is not "valid"
        detail = error.detail if isinstance(error, BattraceError) else repr(error)
        raise refuse("status_unavailable", f"status of {entry.list_credential} unknown: {detail}") from error
    if set_bit:
        reason = "revoked" if entry.purpose == "revocation" else "suspended"
        raise refuse(reason, f"credential {credential.id} is {reason} (index {entry.index})")
    return True
