"""Japan–EU mutual recognition: a Japanese cell maker certified only by the Japanese certification body is
accepted in the EU data space while the EU operator's recognition of the Japanese space is valid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from battrace.errors import InvalidInput
from battrace.identity import NodeKeys, did_document
from battrace.trust.recognition import (
    Recognition,
    RecognitionStatement,
    Withdrawal,
    sign_recognition,
    sign_withdrawal,
    verify_recognition,
)
from battrace.trust.trustlist import CertificationBody, SignatureInvalid, TrustList, sign_trust_list

T0 = datetime(2025, 4, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
MEMBERSHIP = "MembershipCredential"
CELL_MAKER = "CellMakerRoleCredential"


@dataclass(frozen=True)
class Operator:
    did: str
    keys: NodeKeys

    @property
    def document(self) -> dict[str, Any]:
        return did_document(self.did, self.keys)


EU = Operator("did:web:operator.eu-battery.example", NodeKeys.generate())
JP = Operator("did:web:operator.ouranos.example.jp", NodeKeys.generate())
EU_BODY = "did:web:certifier.eu-battery.example"
JP_BODY = "did:web:certifier.ouranos.example.jp"


def trust_list(space: str, operator: Operator, body: str, types: tuple[str, ...]) -> TrustList:
    return TrustList(
        space=space,
        operator_did=operator.did,
        issued_at=T0,
        bodies=(CertificationBody(did=body, credential_types=types, valid_from=T0 - YEAR),),
    )


EU_LIST = trust_list("eu-battery", EU, EU_BODY, (MEMBERSHIP, CELL_MAKER))
JP_LIST = trust_list("ouranos", JP, JP_BODY, (MEMBERSHIP, CELL_MAKER))
STATEMENT = RecognitionStatement(
    id="urn:uuid:7d0c6f7e-0000-4000-8000-000000000001",
    recognizer_did=EU.did,
    recognizer_space="eu-battery",
    recognized_space="ouranos",
    recognized_operator_did=JP.did,
    credential_types=(MEMBERSHIP,),
    valid_from=T0,
    valid_until=T0 + YEAR,
    issued_at=T0,
)
WITHDRAWAL = Withdrawal(
    id="urn:uuid:7d0c6f7e-0000-4000-8000-000000000002",
    statement_id=STATEMENT.id,
    recognizer_did=EU.did,
    effective_at=T0 + timedelta(days=100),
    reason="agreement suspended",
)


def recognition(
    *, jp_list: TrustList = JP_LIST, statement: RecognitionStatement = STATEMENT, withdrawn: bool = False
) -> Recognition:
    return Recognition.verify(
        sign_recognition(statement, EU.keys),
        sign_trust_list(jp_list, JP.keys),
        recognizer_document=EU.document,
        foreign_operator_document=JP.document,
        withdrawal_jws=sign_withdrawal(WITHDRAWAL, EU.keys) if withdrawn else None,
    )


def eu_view(rec: Recognition | None = None) -> TrustList:
    return EU_LIST.with_recognitions(rec or recognition())


def test_japanese_cell_maker_is_accepted_in_the_eu_through_recognition() -> None:
    decision = eu_view().is_trusted(JP_BODY, MEMBERSHIP, T0 + timedelta(days=10))
    assert decision.trusted
    assert decision.via == "recognition:ouranos"
    text = " | ".join(decision.reasons)
    assert f"{JP_BODY} is not a certification body in the trust list of eu-battery" in text
    assert f"recognition {STATEMENT.id} of ouranos by eu-battery covers {MEMBERSHIP}" in text
    assert f"{JP_BODY} may issue {MEMBERSHIP} per the trust list of ouranos" in text


def test_eu_bodies_stay_trusted_locally() -> None:
    assert eu_view().is_trusted(EU_BODY, MEMBERSHIP, T0).via == "local"


def test_without_recognition_the_japanese_body_is_refused() -> None:
    decision = EU_LIST.is_trusted(JP_BODY, MEMBERSHIP, T0 + timedelta(days=10))
    assert not decision
    assert "eu-battery recognises no other data space" in decision.reasons


def test_refused_after_withdrawal_takes_effect() -> None:
    withdrawn = eu_view(recognition(withdrawn=True))
    assert withdrawn.is_trusted(JP_BODY, MEMBERSHIP, WITHDRAWAL.effective_at - timedelta(seconds=1))
    decision = withdrawn.is_trusted(JP_BODY, MEMBERSHIP, WITHDRAWAL.effective_at)
    assert not decision
    assert any("was withdrawn at" in r and "agreement suspended" in r for r in decision.reasons)


def test_withdrawing_an_attached_recognition_refuses_at_the_next_check() -> None:
    rec = recognition()
    assert eu_view(rec).is_trusted(JP_BODY, MEMBERSHIP, T0 + timedelta(days=200))
    assert not eu_view(rec.withdrawn(WITHDRAWAL)).is_trusted(JP_BODY, MEMBERSHIP, T0 + timedelta(days=200))


def test_refused_for_a_credential_type_not_recognised() -> None:
    decision = eu_view().is_trusted(JP_BODY, CELL_MAKER, T0 + timedelta(days=10))
    assert not decision
    assert any(f"does not cover {CELL_MAKER} (only {MEMBERSHIP})" in r for r in decision.reasons)


@pytest.mark.parametrize(
    ("at", "phrase"), [(T0 + YEAR, "expired"), (T0 - timedelta(seconds=1), "is valid only from")]
)
def test_refused_outside_the_recognition_period(at: datetime, phrase: str) -> None:
    decision = eu_view().is_trusted(JP_BODY, MEMBERSHIP, at)
    assert not decision
    assert any(phrase in r for r in decision.reasons)


def test_refused_when_the_japanese_list_no_longer_lists_the_issuer_for_that_type() -> None:
    narrowed = trust_list("ouranos", JP, JP_BODY, (CELL_MAKER,))
    decision = eu_view(recognition(jp_list=narrowed)).is_trusted(JP_BODY, MEMBERSHIP, T0 + timedelta(days=1))
    assert not decision
    assert any("trust list of ouranos" in r and "not accredited for" in r for r in decision.reasons)


def test_an_issuer_unknown_to_both_spaces_is_refused() -> None:
    decision = eu_view().is_trusted("did:web:nobody.example", MEMBERSHIP, T0)
    assert not decision and decision.via is None


def test_recognition_is_not_transitive() -> None:
    # ouranos trusts a Korean body through its own recognition; the EU recognises ouranos, not Korea
    korea = Operator("did:web:operator.kr.example", NodeKeys.generate())
    korean_body = "did:web:certifier.kr.example"
    kr_list = trust_list("kr-battery", korea, korean_body, (MEMBERSHIP,))
    jp_recognises_kr = STATEMENT.model_copy(
        update={
            "id": "urn:uuid:jp-kr",
            "recognizer_did": JP.did,
            "recognizer_space": "ouranos",
            "recognized_space": "kr-battery",
            "recognized_operator_did": korea.did,
        }
    )
    jp_view = JP_LIST.with_recognitions(Recognition(jp_recognises_kr, kr_list))
    at = T0 + timedelta(days=1)
    assert jp_view.is_trusted(korean_body, MEMBERSHIP, at).via == "recognition:kr-battery"
    eu_view_of_jp = EU_LIST.with_recognitions(Recognition(STATEMENT, jp_view))
    assert not eu_view_of_jp.is_trusted(korean_body, MEMBERSHIP, at)


def test_forged_statement_signed_with_another_key_is_refused() -> None:
    forged = sign_recognition(STATEMENT, NodeKeys.generate())
    with pytest.raises(SignatureInvalid, match="does not verify"):
        verify_recognition(forged, EU.document)


def test_statement_by_another_operator_cannot_extend_the_eu_list() -> None:
    attacker = Operator("did:web:attacker.example", NodeKeys.generate())
    own = STATEMENT.model_copy(update={"recognizer_did": attacker.did})
    rec = Recognition.verify(
        sign_recognition(own, attacker.keys),
        sign_trust_list(JP_LIST, JP.keys),
        recognizer_document=attacker.document,
        foreign_operator_document=JP.document,
    )
    with pytest.raises(InvalidInput, match="cannot extend the trust list of eu-battery"):
        EU_LIST.with_recognitions(rec)


def test_foreign_list_signed_by_someone_other_than_the_trust_anchor_is_refused() -> None:
    impostor = Operator("did:web:impostor.example", NodeKeys.generate())
    fake_list = trust_list("ouranos", impostor, "did:web:fake-certifier.example", (MEMBERSHIP,))
    with pytest.raises(InvalidInput, match="trust anchor"):
        Recognition.verify(
            sign_recognition(STATEMENT, EU.keys),
            sign_trust_list(fake_list, impostor.keys),
            recognizer_document=EU.document,
            foreign_operator_document=impostor.document,
        )
    with pytest.raises(InvalidInput, match="trust anchor"):
        Recognition(STATEMENT, fake_list)


def test_withdrawal_for_another_statement_or_by_another_operator_is_refused() -> None:
    with pytest.raises(InvalidInput, match="concerns"):
        recognition().withdrawn(WITHDRAWAL.model_copy(update={"statement_id": "urn:uuid:other"}))
    with pytest.raises(InvalidInput, match="withdrawal by"):
        recognition().withdrawn(WITHDRAWAL.model_copy(update={"recognizer_did": JP.did}))


def test_forged_withdrawal_is_refused() -> None:
    with pytest.raises(SignatureInvalid):
        Recognition.verify(
            sign_recognition(STATEMENT, EU.keys),
            sign_trust_list(JP_LIST, JP.keys),
            recognizer_document=EU.document,
            foreign_operator_document=JP.document,
            withdrawal_jws=sign_withdrawal(WITHDRAWAL, NodeKeys.generate()),
        )


def test_a_trust_list_token_is_not_a_recognition() -> None:
    with pytest.raises(SignatureInvalid, match="JWS type"):
        verify_recognition(sign_trust_list(EU_LIST, EU.keys), EU.document)


def test_statement_json_round_trip_and_validation() -> None:
    assert verify_recognition(sign_recognition(STATEMENT, EU.keys), EU.document) == STATEMENT
    with pytest.raises(ValueError, match="validUntil must be after validFrom"):
        STATEMENT.model_copy(update={}).model_validate(
            {**STATEMENT.model_dump(by_alias=True), "validUntil": T0}
        )
