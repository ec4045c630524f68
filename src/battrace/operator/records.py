"""What a data-space operator keeps: its configuration, the participant directory, the issued credentials
indexed by ``jti`` with their revocation bit, and its recognitions of other spaces.

Pure module: frozen pydantic values and the translation of a certification request into typed credential
subjects. Files live in ``files.py``, the workflow in ``service.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import AwareDatetime, Field, ValidationError, field_validator

from battrace.errors import InvalidInput
from battrace.trust.identifiers import Bpn, CompanyIdentifier, CorporateNumber
from battrace.trust.status import StatusList
from battrace.trust.subjects import (
    AppCertificationCredential,
    CertificationLevel,
    ConnectorCertificationCredential,
    CredentialSubject,
    FrameworkCredential,
    MembershipCredential,
    Role,
    RoleCredential,
    SecurityProfile,
)
from battrace.trust.trustlist import WireModel, validation_detail

MEMBERSHIP = MembershipCredential.credential_type
CONNECTOR = ConnectorCertificationCredential.credential_type
ROLE = RoleCredential.credential_type
APP = AppCertificationCredential.credential_type
# the credential types the space's certification body is accredited for on the trust list
# Catena-X Data Exchange Governance (CX-0018 §2.4): the member signed the space's framework agreement; a PCF
# usage policy asks for "FrameworkAgreement DataExchangeGovernance:1.0" (tractusx-profiles sample subject).
DATA_EXCHANGE_GOVERNANCE = "DataExchangeGovernanceCredential"
GOVERNANCE_TEMPLATE = (
    "https://catena-x.net/en/catena-x-introduce-implement/governance-framework-for-data-space-operations"
)
GOVERNANCE_VERSION = "1.0"
CERTIFIED_TYPES: tuple[str, ...] = (MEMBERSHIP, CONNECTOR, ROLE, APP, DATA_EXCHANGE_GOVERNANCE)
M = TypeVar("M", bound=WireModel)
_SHORT_NAMES = {t.removesuffix("Credential"): t for t in CERTIFIED_TYPES}
DEFAULT_VALID_DAYS = 365
MAX_VALID_DAYS = 3650


def credential_type(name: str) -> str:
    """``Membership`` or ``MembershipCredential`` → ``MembershipCredential``; anything else is refused."""
    full = _SHORT_NAMES.get(name, name)
    if full not in CERTIFIED_TYPES:
        raise InvalidInput(f"unknown credential type {name!r}, expected one of {sorted(_SHORT_NAMES)}")
    return full


class SpaceConfig(WireModel):
    """``space.toml``: who the operator and its certification body are and where the space is served."""

    name: str = Field(min_length=1)
    public_url: str = Field(min_length=1)
    operator_did: str = Field(min_length=1)
    certification_did: str = Field(min_length=1)
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    # dev: DID documents and trust lists of loopback/private hosts may be fetched over http
    dev: bool = False
    # how often `battrace space serve` polls the members' transparency logs as their witness; 0 = never
    # (rounds then run only on POST /space/witness/poll or `battrace space witness`)
    witness_interval_seconds: int = Field(default=30, ge=0, le=86_400)

    @property
    def status_list_url(self) -> str:
        return f"{self.public_url}/space/status/revocation"

    @property
    def trust_list_url(self) -> str:
        return f"{self.public_url}/space/trust-list"


class Participant(WireModel):
    """A directory entry as the operator recorded it; the certified types are derived (``DirectoryEntry``)."""

    did: str = Field(min_length=1)
    name: str = Field(min_length=1)
    bpn: str | None = None
    corporate_number: str | None = None


class IssuedCredential(WireModel):
    """One issued credential, indexed by its ``jti``: enough to revoke it and to derive the directory."""

    id: str = Field(min_length=1)
    participant: str = Field(min_length=1)
    credential_type: str = Field(min_length=1)
    status_list_index: int = Field(ge=0)
    issued_at: AwareDatetime
    valid_until: AwareDatetime
    roles: tuple[str, ...] = ()


class CredentialLedger(WireModel):
    """The revocation list (Bitstring Status List, §2.1 purpose ``revocation``) and the credentials it
    covers, kept in ONE file so that allocating an index and recording its credential are one atomic write."""

    encoded_list: str = Field(min_length=1)
    issued: dict[str, IssuedCredential] = Field(default_factory=dict)

    @classmethod
    def empty(cls) -> CredentialLedger:
        return cls(encoded_list=StatusList.empty("revocation").encode())

    @property
    def status_list(self) -> StatusList:
        return StatusList.decode(self.encoded_list, "revocation")

    def used_indexes(self) -> set[int]:
        return {c.status_list_index for c in self.issued.values()}

    def is_revoked(self, jti: str) -> bool:
        return self.status_list.get(self.issued[jti].status_list_index)


class RecognitionRecord(WireModel):
    """A signed recognition statement kept with the foreign trust list it was made against."""

    id: str = Field(min_length=1)
    statement: str = Field(min_length=1)
    foreign_trust_list: str = Field(min_length=1)
    foreign_operator_did: str = Field(min_length=1)
    foreign_trust_list_url: str | None = None
    withdrawal: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "foreignTrustList": self.foreign_trust_list,
            "foreignTrustListUrl": self.foreign_trust_list_url,
            "foreignOperatorDid": self.foreign_operator_did,
            "withdrawal": self.withdrawal,
        }


class AppDescription(WireModel):
    app_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    certified_function: str = Field(min_length=1)


class CertifyRequest(WireModel):
    """``POST /space/certify`` and ``battrace space certify``."""

    participant: str = Field(min_length=1, pattern=r"^did:[a-z0-9]+:\S+$")
    name: str = Field(min_length=1)
    types: tuple[str, ...] = Field(min_length=1)
    bpn: str | None = None
    corporate_number: str | None = None
    roles: tuple[str, ...] = ()
    security_profile: str | None = None
    certification_level: str | None = None
    app: AppDescription | None = None
    valid_days: int = Field(default=DEFAULT_VALID_DAYS, ge=1, le=MAX_VALID_DAYS)

    @field_validator("types")
    @classmethod
    def _known_types(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        full = [credential_type(t) for t in types]
        return tuple(dict.fromkeys(full))  # unique, in the order asked

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> CertifyRequest:
        return parse_model(cls, body, "certification request")

    def identifiers(self) -> tuple[CompanyIdentifier, ...]:
        found: list[CompanyIdentifier] = []
        if self.bpn is not None:
            found.append(Bpn(self.bpn))
        if self.corporate_number is not None:
            found.append(CorporateNumber(self.corporate_number))
        return tuple(found)

    def participant_record(self) -> Participant:
        self.identifiers()  # validates the BPN and the corporate number (check digit) before anything is kept
        return Participant(
            did=self.participant, name=self.name, bpn=self.bpn, corporate_number=self.corporate_number
        )

    def subjects(self, space: str, now: datetime) -> list[CredentialSubject]:
        """One typed subject per requested type; InvalidInput names the missing field."""
        until = now + timedelta(days=self.valid_days)
        return [self._subject(t, space, now, until) for t in self.types]

    def _subject(self, kind: str, space: str, now: datetime, until: datetime) -> CredentialSubject:
        if kind == MEMBERSHIP:
            # Catena-X holderIdentifier is the BPN; a Japanese company may only have its 法人番号
            holder = self.bpn or self.corporate_number or self.participant
            return MembershipCredential(holder, space, now, self.identifiers())
        if kind == CONNECTOR:
            return self._connector(until)
        if kind == ROLE:
            return RoleCredential(frozenset(self.parsed_roles()))
        if kind == DATA_EXCHANGE_GOVERNANCE:
            holder = self.bpn or self.participant
            return FrameworkCredential(
                kind,
                holder,
                GOVERNANCE_TEMPLATE,
                GOVERNANCE_VERSION,
                "UseCaseFramework",
                "DataExchangeGovernance",
            )
        if self.app is None:
            raise InvalidInput(f"{APP} needs app: {{appId, name, version, certifiedFunction}}")
        a = self.app
        return AppCertificationCredential(a.app_id, a.name, a.version, a.certified_function)

    def _connector(self, until: datetime) -> ConnectorCertificationCredential:
        if self.certification_level is None:
            raise InvalidInput(f"{CONNECTOR} needs certificationLevel (an IDS component level)")
        level = CertificationLevel.parse(self.certification_level)
        profile = (
            SecurityProfile.parse(self.security_profile)
            if self.security_profile is not None
            else level.component_profile
        )
        if profile is None:
            raise InvalidInput(f"{level.value} is a participant level; a connector needs a component level")
        return ConnectorCertificationCredential(self.participant, profile, level, until)

    def parsed_roles(self) -> list[Role]:
        if not self.roles:
            raise InvalidInput(f"{ROLE} needs at least one role, e.g. {Role.CELL_MAKER.value}")
        return [_role(r) for r in self.roles]


def _role(value: str) -> Role:
    for role in Role:
        if value in (role.value, role.name):
            return role
    raise InvalidInput(f"unknown role {value!r}, expected one of {[r.value for r in Role]}", reason="role")


class RecognizeRequest(WireModel):
    """``POST /space/recognitions``: recognise another space's certification bodies for some types."""

    foreign_operator_did: str = Field(min_length=1)
    credential_types: tuple[str, ...] = Field(min_length=1)
    foreign_trust_list_url: str | None = None
    foreign_trust_list: str | None = None
    valid_days: int = Field(default=DEFAULT_VALID_DAYS, ge=1, le=MAX_VALID_DAYS)

    @field_validator("credential_types")
    @classmethod
    def _full_names(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        # a foreign space may certify types this space has no model for: only the short names are expanded
        return tuple(dict.fromkeys(_SHORT_NAMES.get(t, t) for t in types if t))

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> RecognizeRequest:
        request = parse_model(cls, body, "recognition request")
        if (request.foreign_trust_list is None) == (request.foreign_trust_list_url is None):
            raise InvalidInput("give exactly one of foreignTrustListUrl and foreignTrustList")
        if not request.credential_types:
            raise InvalidInput("credentialTypes must name at least one type")
        return request


def parse_model(cls: type[M], body: Mapping[str, Any], what: str) -> M:
    if not isinstance(body, Mapping):
        raise InvalidInput(f"a {what} must be a JSON object")
    try:
        return cls.model_validate(dict(body))
    except ValidationError as error:
        raise InvalidInput(f"invalid {what}: {validation_detail(error)}") from error


def directory_entry(
    participant: Participant, credentials: list[IssuedCredential], active: set[str]
) -> dict[str, Any]:
    """The public entry: certified types and roles come only from credentials still valid and not revoked,
    so revoking a credential takes the participant's claim off the directory too."""
    mine = [c for c in credentials if c.participant == participant.did and c.id in active]
    entry: dict[str, Any] = {
        "did": participant.did,
        "name": participant.name,
        "bpn": participant.bpn,
        "corporateNumber": participant.corporate_number,
        "roles": sorted({r for c in mine for r in c.roles}),
        "certifiedTypes": sorted({c.credential_type for c in mine}),
    }
    return entry
