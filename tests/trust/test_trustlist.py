"""Trust lists: local decisions with reasons, JSON round trip, operator signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.identity import NodeKeys, did_document
from battrace.trust.trustlist import (
    CertificationBody,
    SignatureInvalid,
    TrustList,
    sign_trust_list,
    verify_trust_list,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
OPERATOR = "did:web:operator.eu.example"
BODY = "did:web:certifier.eu.example"
OPERATOR_KEYS = NodeKeys.generate()


def eu_list(**overrides: object) -> TrustList:
    fields: dict[str, object] = {
        "space": "eu-battery",
        "operator_did": OPERATOR,
        "issued_at": T0,
        "bodies": (
            CertificationBody(
                did=BODY,
                name="EU certifier",
                credential_types=("MembershipCredential", "ConnectorCertificationCredential"),
                valid_from=T0,
                valid_until=T0 + timedelta(days=365),
            ),
        ),
    }
    fields.update(overrides)
    return TrustList.model_validate(fields)


def test_listed_body_is_trusted_locally_for_its_types() -> None:
    decision = eu_list().is_trusted(BODY, "MembershipCredential", T0 + timedelta(days=1))
    assert decision.trusted and bool(decision)
    assert decision.via == "local"
    assert "may issue MembershipCredential" in decision.reasons[0]


def test_unknown_issuer_is_not_trusted_and_the_reason_names_it() -> None:
    decision = eu_list().is_trusted("did:web:stranger.example", "MembershipCredential", T0)
    assert not decision and decision.via is None
    assert any("did:web:stranger.example is not a certification body" in r for r in decision.reasons)


def test_body_is_not_trusted_for_a_type_it_is_not_accredited_for() -> None:
    decision = eu_list().is_trusted(BODY, "NotifiedBodyCredential", T0)
    assert not decision
    assert "not accredited for NotifiedBodyCredential" in decision.reasons[0]


@pytest.mark.parametrize(
    ("at", "phrase"),
    [(T0 - timedelta(seconds=1), "accredited only from"), (T0 + timedelta(days=365), "accreditation ended")],
)
def test_body_is_trusted_only_within_its_accreditation_period(at: datetime, phrase: str) -> None:
    decision = eu_list().is_trusted(BODY, "MembershipCredential", at)
    assert not decision
    assert phrase in decision.reasons[0]


def test_an_expired_trust_list_trusts_nobody() -> None:
    trust_list = eu_list(valid_until=T0 + timedelta(days=30))
    assert trust_list.is_trusted(BODY, "MembershipCredential", T0 + timedelta(days=29))
    decision = trust_list.is_trusted(BODY, "MembershipCredential", T0 + timedelta(days=30))
    assert not decision and "expired" in decision.reasons[0]


def test_naive_time_is_refused() -> None:
    with pytest.raises(InvalidInput):
        eu_list().is_trusted(BODY, "MembershipCredential", datetime(2025, 1, 1))


def test_json_round_trip_uses_camel_case_and_is_exact() -> None:
    document = eu_list().to_json()
    assert document["operatorDid"] == OPERATOR
    types = document["bodies"][0]["credentialTypes"]
    assert types == ["ConnectorCertificationCredential", "MembershipCredential"]
    assert document["issuedAt"] == "2025-01-01T00:00:00Z"
    assert TrustList.from_json(document) == eu_list()


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(extra=1),
        lambda d: d.update(recognitions=[]),
        lambda d: d["bodies"][0].update(credentialTypes=[]),
        lambda d: d.update(issuedAt="2025-01-01T00:00:00"),  # no offset
        lambda d: d.update(bodies=d["bodies"] * 2),
    ],
)
def test_malformed_trust_list_json_is_refused(mutate: object) -> None:
    document = eu_list().to_json()
    mutate(document)  # type: ignore[operator]
    with pytest.raises(InvalidInput):
        TrustList.from_json(document)


def test_signed_trust_list_verifies_with_the_operator_document() -> None:
    token = sign_trust_list(eu_list(), OPERATOR_KEYS)
    assert verify_trust_list(token, did_document(OPERATOR, OPERATOR_KEYS)) == eu_list()


def test_trust_list_signed_with_another_key_is_refused() -> None:
    token = sign_trust_list(eu_list(), NodeKeys.generate())
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify_trust_list(token, did_document(OPERATOR, OPERATOR_KEYS))


def test_trust_list_of_another_operator_is_refused() -> None:
    other = "did:web:other.example"
    keys = NodeKeys.generate()
    token = sign_trust_list(eu_list(operator_did=other), keys)
    with pytest.raises(SignatureInvalid, match="document is"):
        verify_trust_list(token, did_document(OPERATOR, OPERATOR_KEYS))


def test_tampered_trust_list_payload_is_refused() -> None:
    header, _payload, signature = sign_trust_list(eu_list(), OPERATOR_KEYS).split(".")
    other = sign_trust_list(eu_list(space="evil"), OPERATOR_KEYS).split(".")[1]
    with pytest.raises(SignatureInvalid):
        verify_trust_list(f"{header}.{other}.{signature}", did_document(OPERATOR, OPERATOR_KEYS))


def test_key_not_listed_as_assertion_method_is_refused() -> None:
    document = did_document(OPERATOR, OPERATOR_KEYS)
    document["assertionMethod"] = []
    with pytest.raises(SignatureInvalid, match="assertionMethod"):
        verify_trust_list(sign_trust_list(eu_list(), OPERATOR_KEYS), document)


def test_garbage_token_is_refused() -> None:
    with pytest.raises(SignatureInvalid, match="malformed"):
        verify_trust_list("not-a-jws", did_document(OPERATOR, OPERATOR_KEYS))


@given(st.integers(min_value=-1000, max_value=1000))
def test_trusted_exactly_inside_the_accreditation_period(days: int) -> None:
    at = T0 + timedelta(days=days)
    expected = T0 <= at < T0 + timedelta(days=365)
    assert eu_list().is_trusted(BODY, "MembershipCredential", at).trusted is expected
