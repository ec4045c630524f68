"""Mutual recognition between data spaces (BASC §7.2; the 2024 Ouranos–Catena-X agreement).

Operator A signs a *recognition statement*: "credentials of the types T issued by certification bodies of data
space B, whose trust anchor is operator DID b, are trusted in A from ``valid_from`` until ``valid_until``".
Withdrawing is a second signed document (a *withdrawal*) naming the statement; it supersedes it from its
effective time. Recognition is one-way; B recognising A is B's own statement.

A B-issued credential is trusted in A only while all of these hold, and the reasons name each link:
1. A's operator signed a statement for that credential type, valid at the time and not withdrawn;
2. B's trust list is signed by the operator the statement names (the trust anchor);
3. B's trust list lists the issuer for that type at that time (checked with B's *local* bodies only, so
   recognition is not transitive: A does not come to trust C because B recognises C).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import AwareDatetime, Field, ValidationError, field_validator, model_validator

from battrace.errors import InvalidInput
from battrace.identity.keys import NodeKeys
from battrace.trust.trustlist import (
    TrustDecision,
    TrustList,
    WireModel,
    open_signed,
    sign_payload,
    validation_detail,
    verify_trust_list,
)

RECOGNITION_TYPE = "battrace-recognition+jws"
WITHDRAWAL_TYPE = "battrace-recognition-withdrawal+jws"
_M = TypeVar("_M", bound=WireModel)


class RecognitionStatement(WireModel):
    id: str = Field(min_length=1)
    recognizer_did: str = Field(min_length=1)  # operator A
    recognizer_space: str = Field(min_length=1)
    recognized_space: str = Field(min_length=1)
    recognized_operator_did: str = Field(min_length=1)  # B's trust anchor
    credential_types: tuple[str, ...] = Field(min_length=1)
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    issued_at: AwareDatetime

    @field_validator("credential_types")
    @classmethod
    def _sorted_unique(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        if any(not t for t in types):
            raise ValueError("credential types must be non-empty strings")
        return tuple(sorted(set(types)))

    @model_validator(mode="after")
    def _period(self) -> RecognitionStatement:
        if self.valid_until <= self.valid_from:
            raise ValueError("validUntil must be after validFrom")
        if self.recognized_operator_did == self.recognizer_did:
            raise ValueError("a data space cannot recognise itself")
        return self


class Withdrawal(WireModel):
    id: str = Field(min_length=1)
    statement_id: str = Field(min_length=1)
    recognizer_did: str = Field(min_length=1)
    effective_at: AwareDatetime
    reason: str = ""


def sign_recognition(statement: RecognitionStatement, keys: NodeKeys) -> str:
    return sign_payload(_dump(statement), keys, statement.recognizer_did, RECOGNITION_TYPE)


def verify_recognition(token: str, recognizer_document: Mapping[str, Any]) -> RecognitionStatement:
    """The statement once signed by the operator whose DID document is given (raises SignatureInvalid)."""
    payload = open_signed(token, RECOGNITION_TYPE, recognizer_document, signer_field="recognizerDid")
    return _load(RecognitionStatement, payload, "recognition statement")


def sign_withdrawal(withdrawal: Withdrawal, keys: NodeKeys) -> str:
    return sign_payload(_dump(withdrawal), keys, withdrawal.recognizer_did, WITHDRAWAL_TYPE)


def verify_withdrawal(token: str, recognizer_document: Mapping[str, Any]) -> Withdrawal:
    payload = open_signed(token, WITHDRAWAL_TYPE, recognizer_document, signer_field="recognizerDid")
    return _load(Withdrawal, payload, "withdrawal")


class Recognition:
    """A verified statement together with the recognised space's verified trust list and any withdrawal.

    Build it with ``Recognition.verify`` (from signed documents) so that every part is checked; the
    constructor re-checks that the parts belong together.
    """

    def __init__(
        self,
        statement: RecognitionStatement,
        foreign_list: TrustList,
        withdrawal: Withdrawal | None = None,
    ) -> None:
        if foreign_list.operator_did != statement.recognized_operator_did:
            raise InvalidInput(
                f"the trust list of {foreign_list.space} is signed by {foreign_list.operator_did}, "
                f"not by the recognised trust anchor {statement.recognized_operator_did}"
            )
        if withdrawal is not None:
            _check_withdrawal(statement, withdrawal)
        self.statement = statement
        self.foreign_list = foreign_list
        self.withdrawal = withdrawal

    @classmethod
    def verify(
        cls,
        statement_jws: str,
        foreign_list_jws: str,
        *,
        recognizer_document: Mapping[str, Any],
        foreign_operator_document: Mapping[str, Any],
        withdrawal_jws: str | None = None,
    ) -> Recognition:
        statement = verify_recognition(statement_jws, recognizer_document)
        if foreign_operator_document.get("id") != statement.recognized_operator_did:
            raise InvalidInput(
                f"the recognised trust anchor is {statement.recognized_operator_did}, "
                f"not {foreign_operator_document.get('id')!r}"
            )
        foreign = verify_trust_list(foreign_list_jws, foreign_operator_document)
        withdrawal = None
        if withdrawal_jws is not None:
            withdrawal = verify_withdrawal(withdrawal_jws, recognizer_document)
        return cls(statement, foreign, withdrawal)

    @property
    def recognizer_did(self) -> str:
        return self.statement.recognizer_did

    @property
    def via(self) -> str:
        return f"recognition:{self.statement.recognized_space}"

    def withdrawn(self, withdrawal: Withdrawal) -> Recognition:
        """This recognition superseded by ``withdrawal`` (a verified one: see ``verify_withdrawal``)."""
        return Recognition(self.statement, self.foreign_list, withdrawal)

    def with_foreign_list(self, foreign_list: TrustList) -> Recognition:
        """This recognition with a newer trust list of the recognised space."""
        return Recognition(self.statement, foreign_list, self.withdrawal)

    def decide(self, issuer_did: str, credential_type: str, at: datetime) -> TrustDecision | None:
        """None when the issuer is not a body of the recognised space (the recognition is not relevant)."""
        if self.foreign_list.body(issuer_did) is None:
            return None
        s = self.statement
        name = f"recognition {s.id} of {s.recognized_space} by {s.recognizer_space}"
        problem = self._problem(credential_type, at)
        if problem is not None:
            return TrustDecision(False, (f"{issuer_did} belongs to {s.recognized_space}; {name} {problem}",))
        foreign = self.foreign_list.local_decision(issuer_did, credential_type, at)
        period = f"from {s.valid_from.isoformat()} until {s.valid_until.isoformat()}"
        chain = f"{name} covers {credential_type} {period}"
        if not foreign.trusted:
            return TrustDecision(False, (chain, *foreign.reasons))
        return TrustDecision(True, (chain, *foreign.reasons), self.via)

    def _problem(self, credential_type: str, at: datetime) -> str | None:
        s = self.statement
        if self.withdrawal is not None and at >= self.withdrawal.effective_at:
            why = f": {self.withdrawal.reason}" if self.withdrawal.reason else ""
            return f"was withdrawn at {self.withdrawal.effective_at.isoformat()}{why}"
        if credential_type not in s.credential_types:
            return f"does not cover {credential_type} (only {', '.join(s.credential_types)})"
        if at < s.valid_from:
            return f"is valid only from {s.valid_from.isoformat()}"
        if at >= s.valid_until:
            return f"expired {s.valid_until.isoformat()}"
        return None

    def __repr__(self) -> str:
        return f"Recognition({self.statement.id!r}, {self.via!r}, withdrawn={self.withdrawal is not None})"


def _check_withdrawal(statement: RecognitionStatement, withdrawal: Withdrawal) -> None:
    if withdrawal.statement_id != statement.id:
        concerned = withdrawal.statement_id
        raise InvalidInput(f"withdrawal {withdrawal.id} concerns {concerned}, not {statement.id}")
    # only the recognising operator may withdraw its own statement
    if withdrawal.recognizer_did != statement.recognizer_did:
        by, recognizer = withdrawal.recognizer_did, statement.recognizer_did
        raise InvalidInput(f"withdrawal by {by}, but the recognition is {recognizer}'s")


def _dump(model: WireModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _load(cls: type[_M], payload: Mapping[str, Any], what: str) -> _M:
    try:
        return cls.model_validate(dict(payload))
    except ValidationError as error:
        raise InvalidInput(f"invalid {what}: {validation_detail(error)}") from error
