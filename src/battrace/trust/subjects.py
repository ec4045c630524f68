"""Typed credential subjects: what each credential type asserts about its holder.

JSON shapes follow the Catena-X credential profile where one exists (tractusx-profiles@374741f
``cx/credentials``: Membership, Bpn, framework credentials, Dismantler) and the notes §8.3 design for the
connector certification (IDS security profiles, InformationModel ``codes/``). The subject ``id`` (the holder
DID) is not part of these values: it lives on the credential.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from battrace.errors import InvalidInput
from battrace.trust.identifiers import (
    Bpn,
    CompanyIdentifier,
    identifier_claim,
    identifier_from_claim,
)

IDSC_NS = "https://w3id.org/idsa/code/"


class CredentialSubject(Protocol):
    @property
    def credential_type(self) -> str: ...

    def claims(self) -> dict[str, Any]: ...


class SecurityProfile(enum.Enum):
    """IDS security profiles, ordered BASE < TRUST < TRUST_PLUS (IDS InformationModel SecurityProfile)."""

    BASE = "BASE_SECURITY_PROFILE"
    TRUST = "TRUST_SECURITY_PROFILE"
    TRUST_PLUS = "TRUST_PLUS_SECURITY_PROFILE"

    @property
    def rank(self) -> int:
        return list(SecurityProfile).index(self)

    @property
    def iri(self) -> str:
        return IDSC_NS + self.value

    def __ge__(self, other: SecurityProfile) -> bool:
        return self.rank >= other.rank

    def __gt__(self, other: SecurityProfile) -> bool:
        return self.rank > other.rank

    def __le__(self, other: SecurityProfile) -> bool:
        return self.rank <= other.rank

    def __lt__(self, other: SecurityProfile) -> bool:
        return self.rank < other.rank

    @classmethod
    def parse(cls, value: Any) -> SecurityProfile:
        """``idsc:TRUST_SECURITY_PROFILE``, the full IRI (either IDS namespace) or the bare local name: the
        TTL and DATs disagree on the namespace, so only the local name counts (notes §8.2)."""
        local = _local_name(value)
        for profile in cls:
            if local in (profile.value, profile.name):
                return profile
        raise InvalidInput(f"unknown IDS security profile {value!r}", reason="security_profile")


class CertificationLevel(enum.Enum):
    """IDS certification levels (InformationModel codes/CertificationLevel.ttl)."""

    PARTICIPANT_ENTRY_LEVEL_SELF_ASSESSMENT = "PARTICIPANT_ENTRY_LEVEL_SELF_ASSESSMENT"
    PARTICIPANT_ENTRY_LEVEL_MANAGEMENT_SYSTEM = "PARTICIPANT_ENTRY_LEVEL_MANAGEMENT_SYSTEM"
    PARTICIPANT_MEMBER_LEVEL_MANAGEMENT_SYSTEM = "PARTICIPANT_MEMBER_LEVEL_MANAGEMENT_SYSTEM"
    PARTICIPANT_MEMBER_LEVEL_CONTROL_FRAMEWORK = "PARTICIPANT_MEMBER_LEVEL_CONTROL_FRAMEWORK"
    PARTICIPANT_CENTRAL_LEVEL_MANAGEMENT_SYSTEM = "PARTICIPANT_CENTRAL_LEVEL_MANAGEMENT_SYSTEM"
    PARTICIPANT_CENTRAL_LEVEL_CONTROL_FRAMEWORK = "PARTICIPANT_CENTRAL_LEVEL_CONTROL_FRAMEWORK"
    COMPONENT_BASE_SECURITY_PROFILE_CHECKLIST_APPROACH = "COMPONENT_BASE_SECURITY_PROFILE_CHECKLIST_APPROACH"
    COMPONENT_BASE_SECURITY_PROFILE_CONCEPT_REVIEW = "COMPONENT_BASE_SECURITY_PROFILE_CONCEPT_REVIEW"
    COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW = "COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW"
    COMPONENT_TRUST_SECURITY_PROFILE_HIGH_ASSURANCE_EVALUATION = (
        "COMPONENT_TRUST_SECURITY_PROFILE_HIGH_ASSURANCE_EVALUATION"
    )
    COMPONENT_TRUSTPLUS_SECURITY_PROFILE_CONCEPT_REVIEW = (
        "COMPONENT_TRUSTPLUS_SECURITY_PROFILE_CONCEPT_REVIEW"
    )
    COMPONENT_TRUSTPLUS_SECURITY_PROFILE_HIGH_ASSURANCE_EVALUATION = (
        "COMPONENT_TRUSTPLUS_SECURITY_PROFILE_HIGH_ASSURANCE_EVALUATION"
    )

    @property
    def iri(self) -> str:
        return IDSC_NS + self.value

    @property
    def component_profile(self) -> SecurityProfile | None:
        """The security profile a component level certifies (None for participant levels)."""
        for prefix, profile in (
            ("COMPONENT_BASE_", SecurityProfile.BASE),
            ("COMPONENT_TRUSTPLUS_", SecurityProfile.TRUST_PLUS),
            ("COMPONENT_TRUST_", SecurityProfile.TRUST),
        ):
            if self.value.startswith(prefix):
                return profile
        return None

    @classmethod
    def parse(cls, value: Any) -> CertificationLevel:
        try:
            return cls(_local_name(value))
        except ValueError:
            raise InvalidInput(
                f"unknown IDS certification level {value!r}", reason="certification_level"
            ) from None


class Role(enum.Enum):
    """Battery value-chain roles (EU Battery Regulation 2023/1542 actors; the passport's access levels)."""

    MATERIAL_SUPPLIER = "MaterialSupplier"
    CELL_MAKER = "CellMaker"
    VEHICLE_OEM = "VehicleOem"
    RECYCLER = "Recycler"
    REPAIRER = "Repairer"
    REUSE_OPERATOR = "ReuseOperator"
    NOTIFIED_BODY = "NotifiedBody"
    MARKET_SURVEILLANCE_AUTHORITY = "MarketSurveillanceAuthority"
    COMMISSION = "Commission"  # Art. 77(2)(b): the Commission reads passports like the authorities
    REMANUFACTURER = "Remanufacturer"


@dataclass(frozen=True)
class MembershipCredential:
    """Membership of a data space. ``holder_identifier`` is the BPN in Catena-X; its schema only requires a
    string (and the Tractus-X samples use the short "BPNL000000001"), so it is kept as given and ``bpn``
    validates on access. ``identifiers`` are further typed company identifiers."""

    holder_identifier: str
    member_of: str | None = None
    since: datetime | None = None
    identifiers: tuple[CompanyIdentifier, ...] = ()
    credential_type: ClassVar[str] = "MembershipCredential"

    def __post_init__(self) -> None:
        _require_text(self.holder_identifier, "holderIdentifier")

    @property
    def bpn(self) -> Bpn:
        return Bpn(self.holder_identifier)

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"holderIdentifier": self.holder_identifier}
        if self.member_of is not None:
            claims["memberOf"] = self.member_of
        if self.since is not None:
            claims["since"] = _iso(self.since)
        if self.identifiers:
            claims["identifiers"] = [identifier_claim(i) for i in self.identifiers]
        return claims

    @classmethod
    def from_claims(cls, _type: str, claims: Mapping[str, Any]) -> MembershipCredential:
        identifiers = claims.get("identifiers", [])
        if not isinstance(identifiers, list) or not all(isinstance(i, Mapping) for i in identifiers):
            raise InvalidInput("identifiers must be an array of {type, value} objects")
        since = claims.get("since")
        return cls(
            _text(claims, "holderIdentifier"),
            _optional_text(claims, "memberOf"),
            None if since is None else _datetime(since, "since"),
            tuple(identifier_from_claim(i) for i in identifiers),
        )


@dataclass(frozen=True)
class BpnCredential:
    """Catena-X BpnCredential: the holder's BPN (kept as given, ``typed`` validates)."""

    bpn: str
    credential_type: ClassVar[str] = "BpnCredential"

    def __post_init__(self) -> None:
        _require_text(self.bpn, "bpn")

    def typed(self) -> Bpn:
        return Bpn(self.bpn)

    def claims(self) -> dict[str, Any]:
        return {"bpn": self.bpn}

    @classmethod
    def from_claims(cls, _type: str, claims: Mapping[str, Any]) -> BpnCredential:
        return cls(_text(claims, "bpn"))


@dataclass(frozen=True)
class FrameworkCredential:
    """A Catena-X framework-agreement credential (Pcf, Traceability, DataExchangeGovernance, ...): the holder
    signed ``contract_template`` in ``contract_version``."""

    credential_type: str
    holder_identifier: str
    contract_template: str
    contract_version: str
    group: str | None = None
    use_case: str | None = None

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {"holderIdentifier": self.holder_identifier}
        if self.group is not None:
            claims["group"] = self.group
        if self.use_case is not None:
            claims["useCase"] = self.use_case
        claims.update(contractTemplate=self.contract_template, contractVersion=self.contract_version)
        return claims

    @classmethod
    def from_claims(cls, credential_type: str, claims: Mapping[str, Any]) -> FrameworkCredential:
        return cls(
            credential_type,
            _text(claims, "holderIdentifier"),
            _text(claims, "contractTemplate"),
            _text(claims, "contractVersion"),
            _optional_text(claims, "group"),
            _optional_text(claims, "useCase"),
        )


@dataclass(frozen=True)
class DismantlerCredential:
    """Catena-X DismantlerCredential: the vehicle brands a dismantler may take apart."""

    holder_identifier: str
    activity_type: str
    allowed_vehicle_brands: tuple[str, ...] = ()
    credential_type: ClassVar[str] = "DismantlerCredential"

    def claims(self) -> dict[str, Any]:
        return {
            "holderIdentifier": self.holder_identifier,
            "activityType": self.activity_type,
            "allowedVehicleBrands": list(self.allowed_vehicle_brands),
        }

    @classmethod
    def from_claims(cls, _type: str, claims: Mapping[str, Any]) -> DismantlerCredential:
        brands = claims.get("allowedVehicleBrands", [])
        if not isinstance(brands, list) or not all(isinstance(b, str) for b in brands):
            raise InvalidInput("allowedVehicleBrands must be an array of strings")
        return cls(_text(claims, "holderIdentifier"), _text(claims, "activityType"), tuple(brands))


@dataclass(frozen=True)
class ConnectorCertificationCredential:
    """A connector certified at an IDS security profile (notes §8.3). A component certification level must
    certify the same profile the credential claims: a BASE checklist cannot back a TRUST claim."""

    connector: str  # the connector's DID
    security_profile: SecurityProfile
    certification_level: CertificationLevel
    certified_until: datetime | None = None
    credential_type: ClassVar[str] = "ConnectorCertificationCredential"

    def __post_init__(self) -> None:
        _require_text(self.connector, "connector")
        if self.certification_level.component_profile != self.security_profile:
            raise InvalidInput(
                f"certification level {self.certification_level.value} does not certify "
                f"{self.security_profile.value}",
                reason="certification_level",
            )

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "connector": self.connector,
            "securityProfile": self.security_profile.iri,
            "certificationLevel": self.certification_level.iri,
        }
        if self.certified_until is not None:
            claims["certifiedUntil"] = _iso(self.certified_until)
        return claims

    @classmethod
    def from_claims(cls, _type: str, claims: Mapping[str, Any]) -> ConnectorCertificationCredential:
        until = claims.get("certifiedUntil")
        return cls(
            _text(claims, "connector"),
            SecurityProfile.parse(claims.get("securityProfile")),
            CertificationLevel.parse(claims.get("certificationLevel")),
            None if until is None else _datetime(until, "certifiedUntil"),
        )


@dataclass(frozen=True)
class RoleCredential:
    roles: frozenset[Role]
    credential_type: ClassVar[str] = "RoleCredential"

    def __post_init__(self) -> None:
        if not self.roles:
            raise InvalidInput("a role credential names at least one role")

    def claims(self) -> dict[str, Any]:
        return {"roles": sorted(r.value for r in self.roles)}

    @classmethod
    def from_claims(cls, _type: str, claims: Mapping[str, Any]) -> RoleCredential:
        roles = claims.get("roles")
        if not isinstance(roles, list):
            raise InvalidInput("roles must be an array")
        try:
            return cls(frozenset(Role(r) for r in roles))
        except ValueError as error:
            raise InvalidInput(f"unknown role: {error}", reason="role") from None


@dataclass(frozen=True)
class AppCertificationCredential:
    """An application certified for a function (e.g. ``CarbonFootprintCalculator``)."""

    app_id: str
    name: str
    version: str
    certified_function: str
    credential_type: ClassVar[str] = "AppCertificationCredential"

    def __post_init__(self) -> None:
        for label, value in (
            ("appId", self.app_id),
            ("name", self.name),
            ("version", self.version),
            ("certifiedFunction", self.certified_function),
        ):
            _require_text(value, label)

    def claims(self) -> dict[str, Any]:
        return {
            "appId": self.app_id,
            "name": self.name,
            "version": self.version,
            "certifiedFunction": self.certified_function,
        }

    @classmethod
    def from_claims(cls, _type: str, claims: Mapping[str, Any]) -> AppCertificationCredential:
        return cls(
            _text(claims, "appId"),
            _text(claims, "name"),
            _text(claims, "version"),
            _text(claims, "certifiedFunction"),
        )


@dataclass(frozen=True)
class GenericCredential:
    """A credential type battrace has no model for: the claims as given (read-only)."""

    credential_type: str
    raw_claims: Mapping[str, Any]

    def claims(self) -> dict[str, Any]:
        return dict(self.raw_claims)


# Catena-X framework credentials (tractusx-profiles cx/credentials/samples) share one subject shape
FRAMEWORK_TYPES = frozenset(
    {
        "BehavioralTwinCredential",
        "BpdmCredential",
        "CircularEconomyCredential",
        "DataExchangeGovernanceCredential",
        "DemandCapacityCredential",
        "PcfCredential",
        "PurisCredential",
        "QualityCredential",
        "ResiliencyCredential",
        "SustainabilityCredential",
        "TraceabilityCredential",
        "BatteryTraceabilityCredential",
    }
)

SubjectParser = Callable[[str, Mapping[str, Any]], CredentialSubject]
SUBJECT_PARSERS: dict[str, SubjectParser] = {
    MembershipCredential.credential_type: MembershipCredential.from_claims,
    BpnCredential.credential_type: BpnCredential.from_claims,
    DismantlerCredential.credential_type: DismantlerCredential.from_claims,
    ConnectorCertificationCredential.credential_type: ConnectorCertificationCredential.from_claims,
    RoleCredential.credential_type: RoleCredential.from_claims,
    AppCertificationCredential.credential_type: AppCertificationCredential.from_claims,
    **{name: FrameworkCredential.from_claims for name in FRAMEWORK_TYPES},
}


def _local_name(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    local: str = value
    for separator in ("/", "#", ":"):
        local = local.rsplit(separator, 1)[-1]
    return local


def _require_text(value: Any, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} must be a non-empty string")


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    _require_text(value, name)
    return str(value)


def _optional_text(claims: Mapping[str, Any], name: str) -> str | None:
    return None if claims.get(name) is None else _text(claims, name)


def _datetime(value: Any, name: str) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    raise InvalidInput(f"{name} must be an ISO 8601 date-time with a time zone, got {value!r}")


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
