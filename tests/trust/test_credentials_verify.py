"""The verifier's attack matrix at unit level: each refusal carries its reason code and HTTP status."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest

from battrace.errors import BattraceError
from battrace.trust import (
    IssuerKey,
    MembershipCredential,
    PublishedStatusList,
    StatusCache,
    StatusEntry,
    StatusList,
    decode_credential_jwt,
    issue_credential,
    set_status,
    verify_credential,
)
from battrace.trust.verify import CredentialForbidden, CredentialUnauthenticated

from .vc_support import HOLDER, ISSUER, NOW, Decision, Directory, later, trusting

LIST_URL = "https://issuer.example/status/1"
SUBJECT = MembershipCredential("BPNL00000003AYRE", member_of="did:web:space.jp")


@pytest.fixture
def key() -> IssuerKey:
    return IssuerKey.generate("ES256")


@pytest.fixture
def directory(key: IssuerKey) -> Directory:
    directory = Directory()
    directory.add(ISSUER, key)
    return directory


def issue(
    key: IssuerKey,
    *,
    status: StatusEntry | None = None,
    subject_did: str = HOLDER,
    days: int = 30,
    issuer: str = ISSUER,
    **kwargs: Any,
) -> str:
    return issue_credential(
        key,
        issuer,
        subject_did,
        SUBJECT,
        valid_from=NOW,
        valid_until=NOW + timedelta(days=days),
        status=status,
        now=NOW,
        jti="urn:uuid:cred-1",
        **kwargs,
    )


def verify(
    token: str | None,
    directory: Directory,
    *,
    trusted: Any = None,
    status: StatusCache | None = None,
    holder: str | None = HOLDER,
    at: Any = None,
) -> Any:
    return verify_credential(
        token,
        issuer_document_for=directory,
        is_trusted=trusted or trusting(ISSUER),
        status=status,
        holder=holder,
        now=at or later(hours=1),
    )


def refused(reason: str, status: int, call: Any) -> BattraceError:
    with pytest.raises((CredentialUnauthenticated, CredentialForbidden)) as caught:
        call()
    assert (caught.value.reason, caught.value.status) == (reason, status), caught.value.detail
    assert caught.value.problem()["reason"] == reason
    return caught.value


def test_a_valid_credential_is_accepted(key: IssuerKey, directory: Directory) -> None:
    verified = verify(issue(key), directory)
    assert verified.holder == HOLDER and verified.trust == Decision(
        True, (f"{ISSUER} is on the trust list for MembershipCredential",)
    )


@pytest.mark.parametrize("token", [None, "", "   "])
def test_no_credential_is_refused(token: str | None, directory: Directory) -> None:
    refused("no_credential", 401, lambda: verify(token, directory))


def test_garbage_is_malformed(directory: Directory) -> None:
    refused("malformed", 401, lambda: verify("not.a.jwt", directory))


def test_expired_credential_is_refused(key: IssuerKey, directory: Directory) -> None:
    token = issue(key, days=1)
    refused("expired", 401, lambda: verify(token, directory, at=later(days=1, seconds=31)))
    assert verify(token, directory, at=later(days=1, seconds=29))  # within the leeway


def test_not_yet_valid_credential_is_refused(key: IssuerKey, directory: Directory) -> None:
    token = issue(key)
    refused("not_yet_valid", 401, lambda: verify(token, directory, at=later(seconds=-31)))


def test_expired_connector_certification_is_refused_even_inside_the_credential_window(
    key: IssuerKey, directory: Directory
) -> None:
    from battrace.trust import CertificationLevel, ConnectorCertificationCredential, SecurityProfile

    subject = ConnectorCertificationCredential(
        HOLDER,
        SecurityProfile.BASE,
        CertificationLevel.COMPONENT_BASE_SECURITY_PROFILE_CONCEPT_REVIEW,
        certified_until=later(days=2),
    )
    token = issue_credential(
        key,
        ISSUER,
        HOLDER,
        subject,
        valid_from=NOW,
        valid_until=later(days=30),
        status=None,
        now=NOW,
        jti="urn:uuid:c",
    )
    refused("expired", 401, lambda: verify(token, directory, at=later(days=3)))


def test_issuer_not_on_the_trust_list_is_forbidden(key: IssuerKey, directory: Directory) -> None:
    error = refused(
        "untrusted_issuer", 403, lambda: verify(issue(key), directory, trusted=trusting("did:web:x"))
    )
    assert "not on the trust list" in error.detail


def test_a_trust_decision_that_crashes_trusts_nobody(key: IssuerKey, directory: Directory) -> None:
    def broken(*_: Any) -> bool:
        raise RuntimeError("trust list store down")

    refused("untrusted_issuer", 403, lambda: verify(issue(key), directory, trusted=broken))


def test_a_plain_false_from_is_trusted_is_honoured(key: IssuerKey, directory: Directory) -> None:
    refused("untrusted_issuer", 403, lambda: verify(issue(key), directory, trusted=lambda *_: False))


def test_forged_signature_is_refused(key: IssuerKey, directory: Directory) -> None:
    token = issue(key)
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))
    claims["vc"]["credentialSubject"]["holderIdentifier"] = "BPNL0000000EVIL"
    forged = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    refused("bad_signature", 401, lambda: verify(forged, directory))


def test_credential_signed_by_another_key_of_nobody_is_refused(directory: Directory) -> None:
    impostor = IssuerKey.generate("ES256")  # same kid "key-1", different key
    refused("bad_signature", 401, lambda: verify(issue(impostor), directory))


def test_key_that_is_not_an_assertion_method_cannot_issue(key: IssuerKey) -> None:
    directory = Directory()
    directory.add(ISSUER, key, assertion=False)  # authentication only
    refused("unknown_key", 401, lambda: verify(issue(key), directory))


def test_unresolvable_issuer_is_refused(key: IssuerKey) -> None:
    refused("issuer_unresolvable", 401, lambda: verify(issue(key), Directory()))


def test_credential_of_another_holder_is_refused(key: IssuerKey, directory: Directory) -> None:
    token = issue(key, subject_did="did:web:someone-else.example")
    refused("wrong_holder", 401, lambda: verify(token, directory))


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES384"])
def test_algorithms_outside_eddsa_and_es256_are_refused(
    alg: str, key: IssuerKey, directory: Directory
) -> None:
    _, payload, _ = issue(key).split(".")
    header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": f"{ISSUER}#key-1"}).encode())
    refused("unsupported_algorithm", 401, lambda: verify(f"{header}.{payload}.c2ln", directory))


def test_hs256_keyed_with_the_public_key_is_refused(key: IssuerKey, directory: Directory) -> None:
    import hashlib
    import hmac

    _, payload, _ = issue(key).split(".")
    header = _b64(json.dumps({"alg": "HS256", "kid": f"{ISSUER}#key-1"}).encode())
    secret = json.dumps(key.public_jwk()).encode()
    mac = _b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    refused("unsupported_algorithm", 401, lambda: verify(f"{header}.{payload}.{mac}", directory))


def test_es256_token_against_an_ed25519_key_is_refused(directory: Directory) -> None:
    ed = IssuerKey.generate("EdDSA")
    directory.add(ISSUER, ed)
    ec_token = issue(IssuerKey.generate("ES256"))
    refused("bad_signature", 401, lambda: verify(ec_token, directory))


def test_jwt_claims_that_contradict_the_credential_are_refused(key: IssuerKey, directory: Directory) -> None:
    token = issue(key)
    parsed = decode_credential_jwt(token)
    claims = dict(parsed.claims)
    claims["sub"] = "did:web:someone-else.example"  # vc.credentialSubject.id still says HOLDER
    refused("inconsistent_claims", 401, lambda: verify(_sign(claims, parsed.header, key), directory))


def test_a_presentation_is_not_a_credential(key: IssuerKey, directory: Directory) -> None:
    claims = {"iss": ISSUER, "vp": {"type": "VerifiablePresentation"}}
    refused(
        "malformed",
        401,
        lambda: verify(_sign(claims, {"alg": "ES256", "kid": f"{ISSUER}#key-1"}, key), directory),
    )


class _Lists:
    def __init__(self) -> None:
        self.lists = {LIST_URL: PublishedStatusList(LIST_URL, ISSUER, StatusList.empty())}
        self.fetches = 0

    def __call__(self, url: str) -> PublishedStatusList:
        self.fetches += 1
        return self.lists[url]


def test_revoked_credential_is_forbidden_and_an_unrevoked_one_accepted(
    key: IssuerKey, directory: Directory
) -> None:
    lists = _Lists()
    cache = StatusCache(lists, clock=lambda: NOW, max_age=timedelta(0))
    token = issue(key, status=StatusEntry(LIST_URL, 7))
    assert verify(token, directory, status=cache).status_checked
    lists.lists[LIST_URL] = PublishedStatusList(LIST_URL, ISSUER, set_status(StatusList.empty(), 7))
    refused("revoked", 403, lambda: verify(token, directory, status=cache))


def test_suspended_credential_is_forbidden(key: IssuerKey, directory: Directory) -> None:
    lists = _Lists()
    lists.lists[LIST_URL] = PublishedStatusList(
        LIST_URL, ISSUER, set_status(StatusList.empty("suspension"), 3)
    )
    token = issue(key, status=StatusEntry(LIST_URL, 3, "suspension"))
    refused("suspended", 403, lambda: verify(token, directory, status=StatusCache(lists, clock=lambda: NOW)))


def test_status_list_of_another_issuer_cannot_unrevoke(key: IssuerKey, directory: Directory) -> None:
    lists = _Lists()
    lists.lists[LIST_URL] = PublishedStatusList(LIST_URL, "did:web:attacker.example", StatusList.empty())
    token = issue(key, status=StatusEntry(LIST_URL, 7))
    refused(
        "status_unavailable",
        401,
        lambda: verify(token, directory, status=StatusCache(lists, clock=lambda: NOW)),
    )


def test_unreachable_status_list_fails_closed(key: IssuerKey, directory: Directory) -> None:
    def down(url: str) -> PublishedStatusList:
        raise ConnectionError("status host down")

    token = issue(key, status=StatusEntry(LIST_URL, 7))
    refused(
        "status_unavailable",
        401,
        lambda: verify(token, directory, status=StatusCache(down, clock=lambda: NOW)),
    )
    refused("status_unavailable", 401, lambda: verify(token, directory, status=None))


def test_checks_run_in_order_signature_before_time_before_trust(key: IssuerKey, directory: Directory) -> None:
    expired_untrusted = issue(key, days=1)
    refused(
        "expired", 401, lambda: verify(expired_untrusted, directory, trusted=trusting(), at=later(days=5))
    )
    forged = issue(IssuerKey.generate("ES256"), days=1)
    refused("bad_signature", 401, lambda: verify(forged, directory, trusted=trusting(), at=later(days=5)))


def _sign(claims: dict[str, Any], header: Any, key: IssuerKey) -> str:
    from joserfc import jws

    from battrace.trust.credentials import REGISTRY

    return jws.serialize_compact(
        dict(header), json.dumps(claims).encode(), key.signing_jwk(), registry=REGISTRY
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
