from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest

from battrace.errors import InvalidInput, Unauthenticated
from battrace.identity import TOKEN_MAX_LIFETIME, NodeKeys, issue_token

from .conftest import CALLEE, CALLER, T0, World
from .jwt_forge import b64, ed25519_jws, hs256_jws, parts, replace_payload, signing_input, signing_input_raw


def _claims(world: World, **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    iat = int(world.clock.now.timestamp())
    header = {"alg": "EdDSA", "typ": "JWT", "kid": f"{CALLER}#key-1"}
    claims: dict[str, Any] = {
        "iss": CALLER,
        "sub": CALLER,
        "aud": CALLEE,
        "iat": iat,
        "nbf": iat,
        "exp": iat + 120,
        "jti": "urn:uuid:forged-1",
    }
    claims.update(overrides)
    return header, claims


def _signed(world: World, **overrides: Any) -> str:
    header, claims = _claims(world, **overrides)
    return ed25519_jws(header, claims, world.caller_keys.private_key)


# --- the happy path --------------------------------------------------------------------------------------


def test_issued_token_round_trips_to_the_verified_caller(world: World) -> None:
    token = world.token(jti="urn:uuid:1", extra_claims={"token": "opaque-access-token"})
    caller = world.verifier.verify(f"Bearer {token}")
    assert caller.did == CALLER
    assert caller.jti == "urn:uuid:1"
    assert caller.expires_at == T0 + timedelta(minutes=2)
    assert caller.claims["token"] == "opaque-access-token"
    assert caller.claims["aud"] == CALLEE


def test_issued_token_has_the_dcp_self_issued_shape(world: World) -> None:
    header, claims, _ = parts(world.token(jti="j", lifetime=timedelta(minutes=5)))
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": f"{CALLER}#key-1"}
    now = int(T0.timestamp())
    assert claims == {
        "iss": CALLER,
        "sub": CALLER,
        "aud": CALLEE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "j",
    }


@pytest.mark.parametrize("prefix", ["", "Bearer ", "bearer ", "  Bearer   "])
def test_bearer_prefix_is_optional(world: World, prefix: str) -> None:
    assert world.verifier.verify(prefix + world.token()).did == CALLER


def test_audience_array_containing_the_callee_is_accepted(world: World) -> None:
    assert world.verifier.verify(_signed(world, aud=["did:web:other.example", CALLEE])).did == CALLER


def test_rfc9864_ed25519_algorithm_name_is_accepted(world: World) -> None:
    header, claims = _claims(world)
    token = ed25519_jws({**header, "alg": "Ed25519"}, claims, world.caller_keys.private_key)
    assert world.verifier.verify(token).did == CALLER


def test_token_within_the_clock_leeway_after_exp_is_accepted(world: World) -> None:
    token = world.token()
    world.clock.advance(timedelta(minutes=2, seconds=29))
    assert world.verifier.verify(token).did == CALLER


# --- refusals, one per rule -------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "   ", "Bearer ", "Bearer a b"])
def test_missing_or_blank_authorization_is_refused(world: World, header: str | None) -> None:
    with pytest.raises(Unauthenticated, match="Authorization header"):
        world.verifier.verify(header)


@pytest.mark.parametrize("token", ["abc", "a.b", "a.b.c", "e30.e30", "eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.c2ln"])
def test_malformed_jwt_is_refused(world: World, token: str) -> None:
    with pytest.raises(Unauthenticated, match="malformed JWT"):
        world.verifier.verify(token)


def test_payload_that_is_not_an_object_is_refused(world: World) -> None:
    header, _, sig = world.token().split(".")
    with pytest.raises(Unauthenticated, match="not a JSON object"):
        world.verifier.verify(f"{header}.WzFd.{sig}")  # payload "[1]"


def test_tampered_payload_is_refused(world: World) -> None:
    token = world.token(extra_claims={"scope": "read"})
    _, claims, _ = parts(token)
    with pytest.raises(Unauthenticated, match="signature invalid"):
        world.verifier.verify(replace_payload(token, {**claims, "scope": "admin"}))


def test_token_signed_by_a_key_not_in_the_issuers_document_is_refused(world: World) -> None:
    forged = issue_token(NodeKeys.generate(), CALLER, CALLEE, now=world.clock.now, jti="j")
    with pytest.raises(Unauthenticated, match="signature invalid"):
        world.verifier.verify(forged)


def test_wrong_audience_is_refused(world: World) -> None:
    with pytest.raises(Unauthenticated, match="audience"):
        world.verifier.verify(world.token(audience_did="did:web:someone-else.example"))


def test_expired_token_is_refused(world: World) -> None:
    token = world.token()
    world.clock.advance(timedelta(minutes=2, seconds=31))
    with pytest.raises(Unauthenticated, match="expired"):
        world.verifier.verify(token)


def test_token_not_yet_valid_is_refused(world: World) -> None:
    token = world.token(now=T0 + timedelta(minutes=1))
    with pytest.raises(Unauthenticated, match="nbf"):
        world.verifier.verify(token)


def test_replayed_jti_is_refused(world: World) -> None:
    token = world.token()
    world.verifier.verify(token)
    with pytest.raises(Unauthenticated, match="replay"):
        world.verifier.verify(token)


def test_same_jti_in_a_fresh_token_is_still_a_replay(world: World) -> None:
    world.verifier.verify(world.token(jti="urn:uuid:once"))
    world.clock.advance(timedelta(seconds=10))
    with pytest.raises(Unauthenticated, match="replay"):
        world.verifier.verify(world.token(jti="urn:uuid:once"))


def test_forged_token_does_not_burn_the_jti_of_the_real_one(world: World) -> None:
    real = world.token(jti="urn:uuid:victim")
    forged = issue_token(NodeKeys.generate(), CALLER, CALLEE, now=world.clock.now, jti="urn:uuid:victim")
    with pytest.raises(Unauthenticated, match="signature invalid"):
        world.verifier.verify(forged)
    assert world.verifier.verify(real).jti == "urn:uuid:victim"


def test_alg_none_is_refused(world: World) -> None:
    header, claims = _claims(world)
    for alg in ("none", "None", "NONE"):
        with pytest.raises(Unauthenticated, match=f"algorithm '{alg}' not accepted"):
            world.verifier.verify(signing_input({**header, "alg": alg}, claims) + ".")


def test_eddsa_token_with_empty_signature_is_refused(world: World) -> None:
    stripped = world.token().rsplit(".", 1)[0] + "."
    with pytest.raises(Unauthenticated):
        world.verifier.verify(stripped)


def test_hs256_forged_with_the_public_key_as_secret_is_refused(world: World) -> None:
    header, claims = _claims(world)
    public_x = world.caller_keys.public_jwk()["x"].encode()
    for secret in (public_x, world.caller_keys.private_key.public_key().public_bytes_raw()):
        token = hs256_jws({**header, "alg": "HS256"}, claims, secret)
        with pytest.raises(Unauthenticated, match="algorithm 'HS256' not accepted"):
            world.verifier.verify(token)


@pytest.mark.parametrize("typ", ["vp+jwt", "vc+jwt", "at+jwt", 1])
def test_token_explicitly_typed_as_something_else_is_refused(world: World, typ: Any) -> None:
    header, claims = _claims(world)
    token = ed25519_jws({**header, "typ": typ}, claims, world.caller_keys.private_key)
    with pytest.raises(Unauthenticated, match="is not JWT"):
        world.verifier.verify(token)


def test_token_without_typ_is_accepted(world: World) -> None:
    header, claims = _claims(world)
    del header["typ"]
    assert world.verifier.verify(ed25519_jws(header, claims, world.caller_keys.private_key)).did == CALLER


def test_kid_of_another_did_is_refused_even_when_validly_signed(world: World) -> None:
    other_did, other_keys = "did:web:attacker.example", NodeKeys.generate()
    world.fetcher.publish(other_did, other_keys)
    header, claims = _claims(world)
    token = ed25519_jws({**header, "kid": f"{other_did}#key-1"}, claims, other_keys.private_key)
    with pytest.raises(Unauthenticated, match="is not a key of the issuer"):
        world.verifier.verify(token)
    assert world.fetcher.calls == []  # refused before any network access


@pytest.mark.parametrize("kid", [None, "", "key-1", "#key-1", f"{CALLER}#", f"{CALLER}x#key-1"])
def test_kid_missing_or_not_an_absolute_key_of_the_issuer_is_refused(world: World, kid: str | None) -> None:
    header, claims = _claims(world)
    header = {k: v for k, v in {**header, "kid": kid}.items() if v is not None}
    with pytest.raises(Unauthenticated, match="is not a key of the issuer"):
        world.verifier.verify(ed25519_jws(header, claims, world.caller_keys.private_key))


def test_kid_naming_an_unknown_method_of_the_issuer_is_refused(world: World) -> None:
    header, claims = _claims(world)
    token = ed25519_jws({**header, "kid": f"{CALLER}#key-2"}, claims, world.caller_keys.private_key)
    with pytest.raises(Unauthenticated, match="key-2 unknown"):
        world.verifier.verify(token)


def test_lifetime_of_ten_minutes_is_refused_even_when_validly_signed(world: World) -> None:
    iat = int(world.clock.now.timestamp())
    with pytest.raises(Unauthenticated, match="lifetime exceeds"):
        world.verifier.verify(_signed(world, exp=iat + 600))


def test_lifetime_without_iat_is_measured_from_nbf(world: World) -> None:
    header, claims = _claims(world)
    del claims["iat"]
    claims["exp"] = claims["nbf"] + 600
    with pytest.raises(Unauthenticated, match="lifetime exceeds"):
        world.verifier.verify(ed25519_jws(header, claims, world.caller_keys.private_key))


def test_iss_different_from_sub_is_refused(world: World) -> None:
    with pytest.raises(Unauthenticated, match="iss and sub differ"):
        world.verifier.verify(_signed(world, sub="did:web:someone-else.example"))


def test_missing_iss_is_refused(world: World) -> None:
    with pytest.raises(Unauthenticated, match="no iss"):
        world.verifier.verify(_signed(world, iss=None))


def test_missing_jti_is_refused(world: World) -> None:
    header, claims = _claims(world)
    del claims["jti"]
    with pytest.raises(Unauthenticated, match="no jti"):
        world.verifier.verify(ed25519_jws(header, claims, world.caller_keys.private_key))


def test_missing_exp_is_refused(world: World) -> None:
    header, claims = _claims(world)
    del claims["exp"]
    with pytest.raises(Unauthenticated, match="no exp"):
        world.verifier.verify(ed25519_jws(header, claims, world.caller_keys.private_key))


@pytest.mark.parametrize("exp", ["1735689720", True, None, [1]])
def test_exp_that_is_not_a_numeric_date_is_refused(world: World, exp: Any) -> None:
    with pytest.raises(Unauthenticated, match="exp"):
        world.verifier.verify(_signed(world, exp=exp))


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numeric_dates_are_refused(world: World, claim: str, literal: str) -> None:
    # a NaN iat would otherwise disable the lifetime bound: NaN compares false with everything
    header, claims = _claims(world, exp=int(world.clock.now.timestamp()) + 86_400 * 365)
    claims[claim] = "__NUMBER__"
    payload = json.dumps(claims).replace('"__NUMBER__"', literal)
    token = signing_input_raw(header, payload.encode())
    token += "." + b64(world.caller_keys.private_key.sign(token.encode()))
    with pytest.raises(Unauthenticated, match=claim):
        world.verifier.verify(token)


def test_unresolvable_issuer_did_is_refused(world: World) -> None:
    token = issue_token(world.caller_keys, "did:web:unknown.example", CALLEE, now=world.clock.now, jti="j")
    with pytest.raises(Unauthenticated, match="DID not resolvable"):
        world.verifier.verify(token)


def test_issuer_that_is_not_did_web_is_refused(world: World) -> None:
    token = issue_token(world.caller_keys, "did:key:z6Mkabc", CALLEE, now=world.clock.now, jti="j")
    with pytest.raises(Unauthenticated, match="DID not resolvable"):
        world.verifier.verify(token)


# --- key rotation -------------------------------------------------------------------------------------------


def test_rotated_key_is_picked_up_by_one_refetch(world: World) -> None:
    world.verifier.verify(world.token())  # caches the old document
    rotated = NodeKeys.generate()
    world.fetcher.publish(CALLER, rotated)
    world.clock.advance(timedelta(seconds=31))
    assert world.verifier.verify(world.token(keys=rotated)).did == CALLER
    assert len(world.fetcher.calls) == 2


def test_bad_signatures_do_not_refetch_a_freshly_cached_document(world: World) -> None:
    world.verifier.verify(world.token())
    for n in range(5):
        forged = issue_token(NodeKeys.generate(), CALLER, CALLEE, now=world.clock.now, jti=f"f{n}")
        with pytest.raises(Unauthenticated, match="signature invalid"):
            world.verifier.verify(forged)
    assert len(world.fetcher.calls) == 1


# --- issuing ------------------------------------------------------------------------------------------------


def test_issuing_a_token_longer_than_five_minutes_is_refused(caller_keys: NodeKeys) -> None:
    with pytest.raises(InvalidInput, match="lifetime"):
        issue_token(caller_keys, CALLER, CALLEE, now=T0, jti="j", lifetime=timedelta(minutes=10))
    issue_token(caller_keys, CALLER, CALLEE, now=T0, jti="j", lifetime=TOKEN_MAX_LIFETIME)


@pytest.mark.parametrize("claim", ["iss", "sub", "aud", "exp", "jti"])
def test_extra_claims_cannot_override_registered_claims(caller_keys: NodeKeys, claim: str) -> None:
    with pytest.raises(InvalidInput, match=claim):
        issue_token(caller_keys, CALLER, CALLEE, now=T0, jti="j", extra_claims={claim: "x"})


def test_issuing_with_a_naive_timestamp_is_refused(caller_keys: NodeKeys) -> None:
    with pytest.raises(InvalidInput, match="timezone"):
        issue_token(caller_keys, CALLER, CALLEE, now=T0.replace(tzinfo=None), jti="j")


def test_verified_claims_are_read_only(world: World) -> None:
    caller = world.verifier.verify(world.token())
    with pytest.raises(TypeError):
        caller.claims["iss"] = "did:web:x"  # type: ignore[index]


# --- concurrency (the HTTP server verifies from worker threads) ---------------------------------------------


def test_one_token_presented_concurrently_is_accepted_exactly_once(world: World) -> None:
    token = world.token()
    barrier = threading.Barrier(12)
    outcomes: list[str] = []

    def present() -> None:
        barrier.wait()
        try:
            world.verifier.verify(token)
            outcomes.append("ok")
        except Unauthenticated as error:
            outcomes.append(error.detail)

    threads = [threading.Thread(target=present) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert all("replay" in o for o in outcomes if o != "ok")
