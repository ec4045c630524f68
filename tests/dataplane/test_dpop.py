"""DPoP proof checking (RFC 9449 §4.3), one refusal per rule, and the proof the consumer side builds.

Every check of §4.3 has its own test: a proof that fails it is refused with `InvalidDpopProof` (401 and
`WWW-Authenticate: DPoP error="invalid_dpop_proof"`), and the control proof built by `proof()` passes.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jws

from battrace.dataplane import dpop
from battrace.identity import MemoryReplayGuard, NodeKeys, did_document
from battrace.identity._jose import REGISTRY

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=UTC)
URL = "http://provider.example:8101/api/public/batteries/BAT-1"
TOKEN = "edr-token-0123456789"
CONSUMER = NodeKeys.generate()
OTHER = NodeKeys.generate()
JKT = dpop.thumbprint(CONSUMER.public_jwk())


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "jti": "j-1",
        "htm": "GET",
        "htu": URL,
        "iat": int(NOW.timestamp()),
        "ath": dpop.token_hash(TOKEN),
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def signed(payload: dict[str, Any], *, keys: NodeKeys = CONSUMER, **header: Any) -> str:
    head = {"typ": "dpop+jwt", "alg": "EdDSA", "jwk": keys.public_jwk(), **header}
    body = json.dumps(payload).encode()
    return jws.serialize_compact(head, body, keys.signing_jwk(), registry=REGISTRY)


def check(
    value: str, *, method: str = "GET", url: str = URL, token: str = TOKEN, now: datetime = NOW
) -> None:
    replay = MemoryReplayGuard(clock=lambda: now)
    dpop.check_proof(value, method=method, url=url, token=token, jkt=JKT, now=now, replay=replay)


def refused(value: str, reason: str, **request: Any) -> None:
    with pytest.raises(dpop.InvalidDpopProof) as error:
        check(value, **request)
    assert reason in error.value.detail
    assert error.value.status == 401
    assert error.value.headers["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_proof_built_by_the_consumer_side_passes() -> None:
    check(dpop.proof(CONSUMER, htm="GET", htu=URL, token=TOKEN, now=NOW, jti="j-ok"))


def test_query_and_fragment_of_the_url_are_ignored_rule_9() -> None:
    check(signed(claims(htu=URL + "?view=soh#top")), url=URL)
    check(signed(claims()), url=URL + "?view=soh")


def test_rule_2_a_proof_that_is_not_a_jwt_is_refused() -> None:
    refused("not-a-jwt", "malformed DPoP proof")
    refused("", "exactly one well-formed DPoP header")


@pytest.mark.parametrize("missing", ["jti", "htm", "htu", "iat", "ath"])
def test_rule_3_a_proof_lacking_a_required_claim_is_refused(missing: str) -> None:
    refused(signed(claims(**{missing: None})), f"lacks {missing}")


def test_rule_4_a_proof_with_another_typ_is_refused() -> None:
    refused(signed(claims(), typ="JWT"), "typ must be 'dpop+jwt'")


def test_rule_5_an_unsigned_or_symmetric_proof_is_refused() -> None:
    for alg in ("none", "HS256"):
        header = {"typ": "dpop+jwt", "alg": alg, "jwk": CONSUMER.public_jwk()}
        refused(f"{b64(header)}.{b64(claims())}.c2ln", f"alg {alg!r} is not accepted")


def test_rule_6_a_proof_whose_signature_does_not_verify_with_its_jwk_is_refused() -> None:
    # signed by OTHER, but claiming the consumer's public key
    refused(signed(claims(), keys=OTHER, jwk=CONSUMER.public_jwk()), "signature does not verify")


def test_rule_7_a_proof_carrying_a_private_key_is_refused() -> None:
    private = {**CONSUMER.public_jwk(), "d": "c2VjcmV0"}
    refused(signed(claims(), jwk=private), "must be a public key")


def test_rule_8_a_proof_for_another_method_is_refused() -> None:
    refused(signed(claims(htm="POST")), "is for 'POST', not GET")


def test_rule_9_a_proof_for_another_url_is_refused() -> None:
    for other in (URL + "/x", URL.replace("8101", "8102"), URL.replace("http:", "https:"), "not a url"):
        refused(signed(claims(htu=other)), "another URL")


@pytest.mark.parametrize("age", [dpop.MAX_AGE + timedelta(seconds=1), -timedelta(minutes=1)])
def test_rule_11_a_proof_issued_outside_the_window_is_refused(age: timedelta) -> None:
    refused(signed(claims(iat=int((NOW - age).timestamp()))), "outside the accepted window")


def test_rule_11_a_non_numeric_iat_is_refused() -> None:
    refused(signed(claims(iat="now")), "iat is not a number")


def test_rule_12_a_proof_for_another_access_token_is_refused() -> None:
    refused(signed(claims()), "ath does not match", token=TOKEN + "x")


def test_a_proof_by_a_key_the_token_is_not_bound_to_is_refused() -> None:
    refused(signed(claims(), keys=OTHER), "another key than the one this token is bound to")


def test_a_replayed_proof_is_refused() -> None:
    replay = MemoryReplayGuard(clock=lambda: NOW)
    value = signed(claims(jti="once"))
    dpop.check_proof(value, method="GET", url=URL, token=TOKEN, jkt=JKT, now=NOW, replay=replay)
    with pytest.raises(dpop.InvalidDpopProof, match="already used"):
        dpop.check_proof(value, method="GET", url=URL, token=TOKEN, jkt=JKT, now=NOW, replay=replay)


def test_a_refused_proof_does_not_burn_its_jti() -> None:
    replay = MemoryReplayGuard(clock=lambda: NOW)
    forged = signed(claims(jti="shared"), keys=OTHER)
    with pytest.raises(dpop.InvalidDpopProof):
        dpop.check_proof(forged, method="GET", url=URL, token=TOKEN, jkt=JKT, now=NOW, replay=replay)
    honest = signed(claims(jti="shared"))
    dpop.check_proof(honest, method="GET", url=URL, token=TOKEN, jkt=JKT, now=NOW, replay=replay)


def test_the_ath_is_the_base64url_sha256_of_the_token() -> None:
    # RFC 9449 §4.2 / RFC 7636 appendix B test vector of base64url(SHA-256(ASCII(verifier)))
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert dpop.token_hash(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_the_thumbprint_is_rfc_7638() -> None:
    # RFC 8037 appendix A.3: the thumbprint of its Ed25519 example key
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert dpop.thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_the_binding_key_is_the_consumer_did_authentication_key() -> None:
    did = "did:web:consumer.example"
    document = did_document(did, CONSUMER)
    assert dpop.did_key_thumbprint(lambda _did: document)(did) == JKT


def test_a_did_without_authentication_key_gives_no_binding() -> None:
    document = {**did_document("did:web:c.example", CONSUMER), "authentication": []}
    with pytest.raises(dpop.InvalidDpopToken):
        dpop.did_key_thumbprint(lambda _did: document)("did:web:c.example")


def test_rule_9_an_encoded_path_matches_the_path_the_server_decoded_once() -> None:
    # The consumer signs the URL it sends; the server routes on the path decoded once (%25 -> %).
    encoded = "http://provider.example:8101/api/public/%252e%252e%252fadmin"
    value = dpop.proof(CONSUMER, htm="GET", htu=encoded, token=TOKEN, now=NOW, jti="j-enc")
    check(value, url="http://provider.example:8101/api/public/%2e%2e%2fadmin")
    refused(
        dpop.proof(CONSUMER, htm="GET", htu=encoded, token=TOKEN, now=NOW, jti="j-enc2"),
        "another URL",
        url="http://provider.example:8101/api/public/../admin",
    )
