"""W3C Verifiable Credentials as JWT: typed subjects, issuing, and parsing (no signature check: verify.py).

Issued form (default, the Catena-X / DCP ``vc11-sl2021/jwt`` profile): VC Data Model 1.1 "VC-JWT" with the
``vc`` claim and the registered claims mapped per VC DM 1.1 §6.3.1 (notes §2.1): ``iss``↔issuer,
``sub``↔credentialSubject.id, ``nbf``↔issuanceDate, ``exp``↔expirationDate, ``jti``↔id. The VC DM 2.0 form
(``typ: vc+jwt``, the payload is the credential, VC-JOSE-COSE §3.1.1) is issued on request and accepted
on input.
Signatures: EdDSA (Ed25519), ES256 (P-256) or, to verify, ES256K (secp256k1, RFC 8812).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jws
from joserfc._rfc8812 import ES256K as ES256K_MODEL
from joserfc._rfc8812 import register_secp256k1
from joserfc.errors import JoseError
from joserfc.jwa import JWS_ALGORITHMS, JWSAlgModel
from joserfc.jwk import ECKey, OKPKey
from joserfc.jws import JWSRegistry

from battrace.errors import InvalidInput
from battrace.identity import _jose as identity_jose
from battrace.identity.keys import NodeKeys, b64url
from battrace.trust.status import BitstringStatusListCredential, StatusEntry, StatusList
from battrace.trust.subjects import SUBJECT_PARSERS, CredentialSubject, GenericCredential

VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
BATTRACE_CREDENTIALS_CONTEXT = "https://w3id.org/battrace/credentials/v1"
VC_TYPE = "VerifiableCredential"
DataModel = Literal["1.1", "2.0"]

# VC-JOSE-COSE §3.1.1 settled on "vc+jwt"; drafts and Gaia-X used the others (notes §2.2): accept all
VC2_TYPS = frozenset(
    {"vc+jwt", "application/vc+jwt", "vc+ld+json+jwt", "vc-ld+jwt", "application/vc+ld+json+jwt"}
)
VC1_TYPS = frozenset({"JWT", "jwt", "application/jwt"})

ES256 = "ES256"
ES256K = "ES256K"
_ES256_MODEL = next(alg for alg in JWS_ALGORITHMS if alg.name == ES256)
# RFC 8812: ES256K (secp256k1) is what several Catena-X sample credentials are signed with; joserfc needs the
# curve registered before a secp256k1 JWK can be imported.
register_secp256k1()


class _CredentialRegistry(JWSRegistry):
    # identity's Ed25519 registry (EdDSA registered without joserfc's RFC 9864 warning) plus ES256 (P-256),
    # the Catena-X / EUDI default. Nothing else can be looked up: "none", HS*, RS* are unknown names here.
    algorithms: dict[str, JWSAlgModel] = {  # noqa: RUF012
        **identity_jose.REGISTRY.algorithms,
        ES256: _ES256_MODEL,
        ES256K: ES256K_MODEL,
    }
    recommended: list[str] = []  # noqa: RUF012 (joserfc API)


ACCEPTED_ALGORITHMS = frozenset({*identity_jose.ACCEPTED_ALGORITHMS, ES256, ES256K})
REGISTRY = _CredentialRegistry(algorithms=sorted(ACCEPTED_ALGORITHMS), strict_check_header=False)

SigningKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class IssuerKey:
    """An issuer's signing key (Ed25519 → EdDSA, P-256 → ES256) and its DID URL fragment."""

    private_key: SigningKey
    key_id: str = "key-1"

    def __post_init__(self) -> None:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey) and not isinstance(
            self.private_key.curve, ec.SECP256R1
        ):
            raise InvalidInput(f"only P-256 EC keys are supported, got {self.private_key.curve.name}")
        if not self.key_id or "#" in self.key_id:
            raise InvalidInput(f"key id must be a bare DID URL fragment, got {self.key_id!r}")

    @classmethod
    def generate(cls, alg: Literal["EdDSA", "ES256"] = "EdDSA", key_id: str = "key-1") -> IssuerKey:
        if alg == ES256:
            return cls(ec.generate_private_key(ec.SECP256R1()), key_id)
        return cls(Ed25519PrivateKey.generate(), key_id)

    @classmethod
    def from_node_keys(cls, keys: NodeKeys) -> IssuerKey:
        return cls(keys.private_key, keys.key_id)

    @property
    def alg(self) -> str:
        return (
            ES256
            if isinstance(self.private_key, ec.EllipticCurvePrivateKey)
            else identity_jose.EMITTED_ALGORITHM
        )

    def signing_jwk(self) -> OKPKey | ECKey:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return ECKey.import_key(self.private_key)
        return OKPKey.import_key(self.private_key)

    def public_jwk(self) -> dict[str, str]:
        """Public members only (RFC 7517 §4; RFC 8037 §2 for OKP, RFC 7518 §6.2.1 for EC)."""
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            numbers = self.private_key.public_key().public_numbers()
            return {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url(numbers.x.to_bytes(32, "big")),
                "y": b64url(numbers.y.to_bytes(32, "big")),
            }
        return NodeKeys(self.private_key, self.key_id).public_jwk()

    def verification_method(self, did: str) -> dict[str, Any]:
        """The DID document entry for this key (list its id under ``assertionMethod`` to issue with it)."""
        return {
            "id": f"{did}#{self.key_id}",
            "type": "JsonWebKey2020",
            "controller": did,
            "publicKeyJwk": self.public_jwk(),
        }


@dataclass(frozen=True)
class Credential:
    """A parsed credential (signature NOT checked by parsing; see ``verify.verify_credential``)."""

    id: str | None
    types: tuple[str, ...]
    issuer: str
    subject_id: str | None
    subject: CredentialSubject
    valid_from: datetime | None
    valid_until: datetime | None
    status: StatusEntry | None
    data_model: DataModel
    document: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def credential_type(self) -> str:
        return self.subject.credential_type


@dataclass(frozen=True)
class CredentialJwt:
    """An unverified VC-JWT split into its parts."""

    compact: jws.CompactSignature
    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    credential: Credential


def issue_credential(
    issuer_keys: IssuerKey | NodeKeys,
    issuer_did: str,
    subject_did: str,
    credential: CredentialSubject,
    *,
    valid_from: datetime,
    valid_until: datetime | None,
    status: StatusEntry | None,
    now: datetime,
    jti: str,
    data_model: DataModel = "1.1",
) -> str:
    """A signed VC-JWT asserting ``credential`` about ``subject_did`` (kid = ``issuer_did#key_id``)."""
    key = IssuerKey.from_node_keys(issuer_keys) if isinstance(issuer_keys, NodeKeys) else issuer_keys
    _check_issue_args(issuer_did, subject_did, jti, valid_from, valid_until, now)
    document = _document(
        issuer_did, subject_did, credential, valid_from, valid_until, status, jti, data_model
    )
    registered: dict[str, Any] = {
        "iss": issuer_did,
        "sub": subject_did,
        "jti": jti,
        "iat": _epoch(now),
        "nbf": _epoch(valid_from),
    }
    if valid_until is not None:
        registered["exp"] = _epoch(valid_until)
    if data_model == "1.1":
        payload, typ = {**registered, "vc": document}, "JWT"
        header = {"alg": key.alg, "typ": typ, "kid": f"{issuer_did}#{key.key_id}"}
    else:
        # VC-JOSE-COSE §3.1.1: the payload IS the credential; the JWT claims restate it and must agree
        payload = {**document, **registered}
        header = {"alg": key.alg, "typ": "vc+jwt", "cty": "vc", "kid": f"{issuer_did}#{key.key_id}"}
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return jws.serialize_compact(header, body, key.signing_jwk(), registry=REGISTRY)


def _check_issue_args(
    issuer: str, subject: str, jti: str, start: datetime, end: datetime | None, now: datetime
) -> None:
    for name, value in (("issuer_did", issuer), ("subject_did", subject), ("jti", jti)):
        if not isinstance(value, str) or not value or any(c.isspace() for c in value):
            raise InvalidInput(f"{name} must be a non-empty string without spaces, got {value!r}")
    for stamp in (start, end, now):
        if stamp is not None and stamp.tzinfo is None:
            raise InvalidInput("timestamps must be timezone-aware")
    if end is not None and end <= start:
        raise InvalidInput(f"valid_until {end} must be after valid_from {start}")


def _document(
    issuer: str,
    subject: str,
    credential: CredentialSubject,
    start: datetime,
    end: datetime | None,
    status: StatusEntry | None,
    jti: str,
    model: DataModel,
) -> dict[str, Any]:
    v1 = model == "1.1"
    document: dict[str, Any] = {
        "@context": [VC_V1_CONTEXT if v1 else VC_V2_CONTEXT, BATTRACE_CREDENTIALS_CONTEXT],
        "id": jti,
        "type": [VC_TYPE, credential.credential_type],
        "issuer": issuer,
        ("issuanceDate" if v1 else "validFrom"): _iso(start),
        "credentialSubject": {"id": subject, **credential.claims()},
    }
    if end is not None:
        document["expirationDate" if v1 else "validUntil"] = _iso(end)
    if status is not None:
        document["credentialStatus"] = status.to_json()
    return document


def parse_credential_json(document: Mapping[str, Any]) -> Credential:
    """A JSON(-LD) credential (VC DM 1.1 or 2.0, e.g. the Tractus-X samples) in battrace's types."""
    if not isinstance(document, Mapping):
        raise InvalidInput("a credential must be a JSON object")
    model = _data_model(document.get("@context"))
    types = _types(document.get("type", document.get("@type")))
    subject_claims = _single_subject(document.get("credentialSubject"))
    v1 = model == "1.1"
    start = document.get("issuanceDate" if v1 else "validFrom")
    if v1 and start is None:
        raise InvalidInput("VC 1.1 requires issuanceDate (VC DM 1.1 §4.6)")
    status = document.get("credentialStatus")
    subject_id = subject_claims.get("id")
    if subject_id is not None and not isinstance(subject_id, str):
        raise InvalidInput("credentialSubject.id must be a string")
    credential_id = document.get("id")
    if credential_id is not None and not isinstance(credential_id, str):
        raise InvalidInput("credential id must be a string")
    return Credential(
        id=credential_id,
        types=types,
        issuer=_issuer(document.get("issuer")),
        subject_id=subject_id,
        subject=_subject(types, subject_claims),
        valid_from=parse_datetime(start, "validFrom") if start is not None else None,
        valid_until=_optional_datetime(document.get("expirationDate" if v1 else "validUntil")),
        status=StatusEntry.from_json(status) if status is not None else None,
        data_model=model,
        document=MappingProxyType(dict(document)),
    )


def decode_credential_jwt(token: str) -> CredentialJwt:
    """Split a VC-JWT (1.1 ``vc`` claim or 2.0 ``vc+jwt``) and fill the credential from the JWT claims where
    the credential leaves a property out. Consistency of both is checked by ``check_jwt_mapping``."""
    if not isinstance(token, str) or not token.strip():
        raise InvalidInput("no credential")
    try:
        compact = jws.extract_compact(token.strip().encode("ascii"), registry=REGISTRY)
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError) as error:
        raise InvalidInput(f"malformed JWT: {error}") from error
    if not isinstance(claims, dict):
        raise InvalidInput("malformed JWT: the payload is not a JSON object")
    header = compact.headers()
    document = _jwt_document(header, claims)
    return CredentialJwt(
        compact,
        MappingProxyType(dict(header)),
        MappingProxyType(claims),
        parse_credential_json(_fill_from_claims(document, claims)),
    )


def _jwt_document(header: Mapping[str, Any], claims: Mapping[str, Any]) -> dict[str, Any]:
    typ = header.get("typ")
    if typ is not None and not isinstance(typ, str):
        raise InvalidInput("malformed JWT: typ must be a string (RFC 7515 §4.1.9)")
    if "vp" in claims or typ in ("vp+jwt", "application/vp+jwt"):
        raise InvalidInput("a presentation is not a credential")
    if typ in VC2_TYPS:
        if "vc" in claims:
            raise InvalidInput(f"a {typ} token carries the credential as its payload, not in a vc claim")
        return dict(claims)
    if typ is not None and typ not in VC1_TYPS:
        raise InvalidInput(f"token type {typ!r} is not a credential")
    vc = claims.get("vc")
    if not isinstance(vc, Mapping):
        raise InvalidInput("a VC-JWT needs a vc claim (VC DM 1.1 §6.3.1)")
    return dict(vc)


def _fill_from_claims(document: dict[str, Any], claims: Mapping[str, Any]) -> dict[str, Any]:
    # VC DM 1.1 §6.3.1: the JWT claims "replace" the properties, so a credential may leave them out
    filled = dict(document)
    if "issuer" not in filled and isinstance(claims.get("iss"), str):
        filled["issuer"] = claims["iss"]
    if "id" not in filled and isinstance(claims.get("jti"), str):
        filled["id"] = claims["jti"]
    v1 = _data_model(filled.get("@context")) == "1.1"
    start_name = "issuanceDate" if v1 else "validFrom"
    if start_name not in filled and _is_number(claims.get("nbf")):
        filled[start_name] = _iso(datetime.fromtimestamp(claims["nbf"], UTC))
    subject = filled.get("credentialSubject")
    if isinstance(subject, Mapping) and "id" not in subject and isinstance(claims.get("sub"), str):
        filled["credentialSubject"] = {**subject, "id": claims["sub"]}
    return filled


def _data_model(context: Any) -> DataModel:
    first = context[0] if isinstance(context, list) and context else context
    if first == VC_V1_CONTEXT:
        return "1.1"
    if first == VC_V2_CONTEXT:
        return "2.0"
    # VC DM 1.1 §4.1 / 2.0 §4.3: the base context MUST come first
    raise InvalidInput(f"@context must start with {VC_V1_CONTEXT} or {VC_V2_CONTEXT}, got {first!r}")


def _types(value: Any) -> tuple[str, ...]:
    types = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else ()
    if VC_TYPE not in types or not all(isinstance(t, str) for t in types):
        raise InvalidInput(f"type must include {VC_TYPE}, got {value!r}")
    return types


def _issuer(value: Any) -> str:
    issuer = value.get("id") if isinstance(value, Mapping) else value
    if not isinstance(issuer, str) or not issuer:
        raise InvalidInput("credential has no issuer")
    return issuer


def _single_subject(value: Any) -> Mapping[str, Any]:
    # several subjects in one credential make holder binding ambiguous: battrace accepts exactly one
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, Mapping):
        raise InvalidInput("credentialSubject must be exactly one object")
    return value


def _subject(types: tuple[str, ...], claims: Mapping[str, Any]) -> CredentialSubject:
    specific = [t for t in types if t != VC_TYPE]
    if len(specific) != 1:
        raise InvalidInput(f"a credential has exactly one type besides {VC_TYPE}, got {specific}")
    claims = {k: v for k, v in claims.items() if k != "id"}
    if specific[0] == BitstringStatusListCredential.credential_type:
        return BitstringStatusListCredential.from_claims(claims)
    parser = SUBJECT_PARSERS.get(specific[0])
    if parser is None:
        return GenericCredential(specific[0], MappingProxyType(dict(claims)))
    return parser(specific[0], claims)


def parse_datetime(value: Any, name: str) -> datetime:
    """xsd:dateTimeStamp: an ISO 8601 date-time WITH a time zone (a naive time would depend on the host)."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a date-time string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput(f"{name} is not an ISO 8601 date-time: {value!r}") from error
    if parsed.tzinfo is None:
        raise InvalidInput(f"{name} must carry a time zone: {value!r}")
    return parsed.astimezone(UTC)


def _optional_datetime(value: Any) -> datetime | None:
    return None if value is None else parse_datetime(value, "validUntil")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(ts: datetime) -> int:
    return int(ts.timestamp())


def issue_status_list_credential(
    issuer_keys: IssuerKey | NodeKeys,
    issuer_did: str,
    url: str,
    status_list: StatusList,
    *,
    now: datetime,
    valid_until: datetime | None = None,
) -> str:
    """The status list credential served at ``url`` (Bitstring Status List v1.0 §2.2: its id is the URL, its
    subject ``<url>#list``); ``valid_until`` bounds how long a stale copy could be replayed."""
    return issue_credential(
        issuer_keys,
        issuer_did,
        f"{url}#list",
        BitstringStatusListCredential(status_list),
        valid_from=now,
        valid_until=valid_until,
        status=None,
        now=now,
        jti=url,
    )
