"""Gaia-X shaped self-descriptions of a participant, its connector and its published data assets.

Each is a W3C VC 2.0 in JSON-LD form, issued by the node's DID and secured with a Data Integrity proof
(``eddsa-jcs-2022``: JCS canonicalisation, so every property is signed whether or not a context defines it).
Shapes follow the Gaia-X trust framework (research notes trust-ecosystem §5.2/§5.3): ``gx:LegalParticipant``
with registration numbers and ``gx:headquarterAddress``/``gx:legalAddress`` (``gx:countrySubdivisionCode``,
ISO 3166-2), ``gx:ServiceOffering`` (the DSP endpoint) and ``gx:DataResource`` (one published asset).

They are *self*-descriptions: nobody vouches for the registration numbers but the issuer itself (no GXDCH
notary or compliance credential is involved). A receiver learns that the DID's controller claims them.

Building and verifying are pure; ``check_provider`` at the bottom does I/O through the injected client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from battrace.clock import iso
from battrace.errors import BattraceError, InvalidInput
from battrace.identity import verification_key
from battrace.jsonld import DCT_NS
from battrace.trust.dataintegrity import JCS, ProofInvalid, sign_document, verify_document
from battrace.trust.identifiers import CompanyIdentifier, parse_identifier

VC_V2 = "https://www.w3.org/ns/credentials/v2"
SD_CONTEXT = "https://w3id.org/battrace/gaia-x/v1"
GX_NS = "https://w3id.org/gaia-x/development#"
BT_NS = "https://w3id.org/battrace/gaia-x#"
LEGAL_PARTICIPANT = "gx:LegalParticipant"
SERVICE_OFFERING = "gx:ServiceOffering"
DATA_RESOURCE = "gx:DataResource"
PARTICIPANT_PATH = "/.well-known/gaia-x/participant.json"
SERVICE_OFFERING_PATH = "/.well-known/gaia-x/service-offering.json"
ASSET_PATH = "/api/self-descriptions/assets/"
DSP_VERSION = "2025-1"
DSP_SPEC = "https://eclipse-dataspace-protocol-base.github.io/DataspaceProtocol/2025-1/"
MAX_DOCUMENT_BYTES = 256 * 1024
EDC_NS = "https://w3id.org/edc/v0.0.1/ns/"
_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")  # ISO 3166-2, e.g. JP-13, DE-BE

DidDocumentFor = Callable[[str], Mapping[str, Any]]


class SelfDescriptionRefused(BattraceError):
    """A self-description the receiver does not accept; ``reason`` names the rule (tampered, wrong key...)."""

    status = 422
    title = "Self-description refused"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class Participant:
    """What a node says about its company. ``country_subdivision_code`` is ISO 3166-2 (``JP-13``)."""

    did: str
    base_url: str
    name: str
    identifiers: tuple[CompanyIdentifier, ...] = ()
    country_subdivision_code: str | None = None

    def __post_init__(self) -> None:
        code = self.country_subdivision_code
        if code is not None and not _SUBDIVISION.match(code):
            raise InvalidInput(f"country subdivision code must be ISO 3166-2 like 'JP-13', got {code!r}")

    @property
    def subject_id(self) -> str:
        return self.base_url + PARTICIPANT_PATH + "#subject"

    @property
    def offering_id(self) -> str:
        return self.base_url + SERVICE_OFFERING_PATH + "#subject"

    def asset_url(self, asset_id: str) -> str:
        return self.base_url + ASSET_PATH + quote(asset_id, safe="")


@dataclass(frozen=True)
class Signer:
    """The issuing key: ``verification_method`` must be an assertionMethod of the DID (``<did>#key-1``)."""

    private_key: Ed25519PrivateKey
    verification_method: str


@dataclass(frozen=True)
class VerifiedSelfDescription:
    issuer: str
    type: str
    subject_id: str
    verification_method: str
    created: str | None
    subject: Mapping[str, Any] = field(repr=False)

    def summary(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "type": self.type,
            "subjectId": self.subject_id,
            "verificationMethod": self.verification_method,
            "created": self.created,
            "credentialSubject": dict(self.subject),
        }


# ------------------------------------------------------------------------------------------------ building


def participant_credential(participant: Participant, issued: datetime) -> dict[str, Any]:
    """The unsigned LegalParticipant credential (Tagus field names, Loire registration number shape)."""
    subject: dict[str, Any] = {
        "id": participant.subject_id,
        "type": LEGAL_PARTICIPANT,
        "gx:legalName": participant.name,
    }
    if participant.identifiers:
        subject["gx:registrationNumber"] = [_registration_number(i) for i in participant.identifiers]
    if participant.country_subdivision_code is not None:
        address = {"gx:countrySubdivisionCode": participant.country_subdivision_code}
        subject["gx:headquarterAddress"] = dict(address)
        subject["gx:legalAddress"] = dict(address)
    return _credential(participant, participant.base_url + PARTICIPANT_PATH, subject, issued)


def _registration_number(identifier: CompanyIdentifier) -> dict[str, str]:
    # Loire gx:LocalRegistrationNumber carries the value in gx:local; bt:scheme says which register it is
    # (法人番号, Catena-X BPN, GS1 GLN) so a receiver can re-validate the check digits.
    return {
        "type": "gx:LocalRegistrationNumber",
        "gx:local": identifier.value,
        "bt:scheme": identifier.scheme,
    }


def service_offering_credential(
    participant: Participant, dsp_endpoint: str, issued: datetime
) -> dict[str, Any]:
    """The unsigned ServiceOffering of the node's connector: where DSP is spoken, and nothing else."""
    subject: dict[str, Any] = {
        "id": participant.offering_id,
        "type": SERVICE_OFFERING,
        "gx:name": f"{participant.name} battrace connector",
        "gx:providedBy": {"id": participant.subject_id},
        "gx:endpoint": {
            "type": "gx:Endpoint",
            "gx:endpointURL": dsp_endpoint,
            "gx:standardConformity": [
                {
                    "type": "gx:StandardConformity",
                    "gx:title": "Dataspace Protocol",
                    "gx:standardReference": DSP_SPEC,
                }
            ],
        },
        "bt:protocolVersion": DSP_VERSION,
        "bt:versionMetadata": participant.base_url + "/.well-known/dspace-version",
        # The management API is for the operator only; stating it lets a receiver flag a node that lists one.
        "bt:managementApiExposed": False,
    }
    return _credential(participant, participant.base_url + SERVICE_OFFERING_PATH, subject, issued)


def public_properties(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The asset properties a catalog shows: full-IRI keys outside the EDC management namespace."""
    return {
        key: value
        for key, value in properties.items()
        if key.startswith(("http://", "https://")) and not key.startswith(EDC_NS)
    }


def data_resource_credential(
    participant: Participant, asset_id: str, properties: Mapping[str, Any], issued: datetime
) -> dict[str, Any]:
    """The unsigned DataResource of one asset; only its public properties appear."""
    shown = public_properties(properties)
    url = participant.asset_url(asset_id)
    subject: dict[str, Any] = {
        **shown,
        "id": url + "#subject",
        "type": DATA_RESOURCE,
        "gx:name": _text(shown.get(DCT_NS + "title")) or asset_id,
        "gx:producedBy": {"id": participant.subject_id},
        "gx:exposedThrough": {"id": participant.offering_id},
        # battrace assets are battery traceability records about products and companies, not people.
        "gx:containsPII": False,
        "bt:assetId": asset_id,
    }
    description = _text(shown.get(DCT_NS + "description"))
    if description:
        subject["gx:description"] = description
    license_ = _text(shown.get(DCT_NS + "license"))
    if license_:
        subject["gx:license"] = license_
    return _credential(participant, url, subject, issued)


def _text(value: Any) -> str | None:
    # asset properties may be plain strings or JSON-LD value objects ({"@value": ...})
    if isinstance(value, Mapping):
        value = value.get("@value", value.get("@id"))
    return value if isinstance(value, str) else None


def _credential(
    participant: Participant, vc_id: str, subject: dict[str, Any], issued: datetime
) -> dict[str, Any]:
    return {
        "@context": [VC_V2, SD_CONTEXT],
        "id": vc_id,
        "type": ["VerifiableCredential", subject["type"]],
        "issuer": participant.did,
        "validFrom": iso(issued),
        "credentialSubject": subject,
    }


def sign_self_description(credential: Mapping[str, Any], signer: Signer, created: datetime) -> dict[str, Any]:
    return sign_document(
        credential,
        signer.private_key,
        verification_method=signer.verification_method,
        created=created,
        cryptosuite=JCS,
    )


# ------------------------------------------------------------------------------------------------ verifying


def verify_self_description(
    document: Any, did_document_for: DidDocumentFor, *, expected_type: str, expected_issuer: str | None = None
) -> VerifiedSelfDescription:
    """Accept ``document`` only when it is a self-description of ``expected_type`` whose proof verifies
    with an assertionMethod key of its issuer's DID document and whose subject lives under that issuer."""
    subject, issuer = _shape(document, expected_type)
    if expected_issuer is not None and issuer != expected_issuer:
        raise SelfDescriptionRefused("wrong_issuer", f"issued by {issuer}, expected {expected_issuer}")
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
    if not isinstance(method, str) or not method.startswith(issuer + "#"):
        raise SelfDescriptionRefused("wrong_key", f"proof key {method!r} is not a key of the issuer {issuer}")
    did_doc = _did_document(did_document_for, issuer)
    key = _assertion_key(did_doc, method)
    try:
        checked = verify_document(document, public_key_for=lambda _method: key)
    except ProofInvalid as error:
        # bad_signature = the document (or its proof) was changed after signing, or another key signed it
        raise SelfDescriptionRefused(error.reason, error.detail) from error
    subject_id = str(subject["id"])
    _check_under_issuer(subject_id, issuer, did_doc)
    return VerifiedSelfDescription(issuer, expected_type, subject_id, method, checked.created, dict(subject))


def _shape(document: Any, expected_type: str) -> tuple[Mapping[str, Any], str]:
    if not isinstance(document, Mapping):
        raise SelfDescriptionRefused("malformed", "a self-description is a JSON object")
    context = document.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_V2:
        raise SelfDescriptionRefused("malformed", f"@context must start with {VC_V2}")
    types = document.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise SelfDescriptionRefused("malformed", "not a VerifiableCredential")
    subject = document.get("credentialSubject")
    if not isinstance(subject, Mapping) or not isinstance(subject.get("id"), str):
        raise SelfDescriptionRefused("malformed", "credentialSubject must be one object with an id")
    if subject.get("type") != expected_type or expected_type not in types:
        raise SelfDescriptionRefused("wrong_type", f"expected a {expected_type}, got {subject.get('type')!r}")
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")  # VC 2.0 §4.7: issuer is a URL or an object with an id
    if not isinstance(issuer, str) or not issuer.startswith("did:"):
        raise SelfDescriptionRefused("malformed", "issuer must be a DID")
    return subject, issuer


def _did_document(did_document_for: DidDocumentFor, did: str) -> Mapping[str, Any]:
    try:
        document = did_document_for(did)
    except Exception as error:  # fail closed: whatever stops resolution stops acceptance
        raise SelfDescriptionRefused("did_unresolvable", f"cannot resolve {did}: {error}") from error
    if document.get("id") != did:
        raise SelfDescriptionRefused(
            "did_unresolvable", f"the DID document of {did} names {document.get('id')!r}"
        )
    return document


def _assertion_key(did_doc: Mapping[str, Any], method: str) -> Ed25519PublicKey:
    # VC Data Integrity §4.2 / DID Core §5.3.2: an assertionMethod proof needs a key listed there
    did = str(did_doc["id"])
    listed = did_doc.get("assertionMethod", [])
    refs = [r if isinstance(r, str) else r.get("id") for r in listed if isinstance(r, str | Mapping)]
    if method not in {did + r if isinstance(r, str) and r.startswith("#") else r for r in refs}:
        raise SelfDescriptionRefused("not_assertion_method", f"{method} is not an assertionMethod of {did}")
    try:
        return cast(Ed25519PublicKey, verification_key(did_doc, method).public_key)
    except InvalidInput as error:
        raise SelfDescriptionRefused("unknown_key", error.detail) from error


def _check_under_issuer(subject_id: str, did: str, did_doc: Mapping[str, Any]) -> None:
    """The subject is the issuer itself or a resource on a host its DID document names as its own: nobody
    can self-describe somebody else's node."""
    if subject_id == did or subject_id.startswith(did + "#"):
        return
    if urlsplit(subject_id).netloc in _issuer_hosts(did, did_doc):
        return
    raise SelfDescriptionRefused(
        "foreign_subject", f"subject {subject_id} is neither {did} nor one of its endpoints"
    )


def _issuer_hosts(did: str, did_doc: Mapping[str, Any]) -> set[str]:
    hosts: set[str] = set()
    if did.startswith("did:web:"):
        # did:web §3.2: the first segment is the host, a port percent-encoded as %3A
        hosts.add(did.removeprefix("did:web:").split(":", 1)[0].replace("%3A", ":"))
    services = did_doc.get("service", [])
    for service in services if isinstance(services, list) else []:
        endpoint = service.get("serviceEndpoint") if isinstance(service, Mapping) else None
        if isinstance(endpoint, str):
            hosts.add(urlsplit(endpoint).netloc)
    hosts.discard("")
    return hosts


def registration_numbers(subject: Mapping[str, Any]) -> tuple[CompanyIdentifier, ...]:
    """The registration numbers of a verified LegalParticipant, re-validated (check digits) on receipt."""
    numbers = subject.get("gx:registrationNumber", [])
    if not isinstance(numbers, list):
        raise SelfDescriptionRefused("malformed", "gx:registrationNumber must be an array")
    try:
        return tuple(parse_identifier(str(n.get("bt:scheme")), str(n.get("gx:local"))) for n in numbers)
    except (InvalidInput, AttributeError) as error:
        raise SelfDescriptionRefused(
            "bad_registration_number", f"registration number refused: {error}"
        ) from error


# ------------------------------------------------------------------------------------------------ receiving


@dataclass(frozen=True)
class CheckedProvider:
    participant: VerifiedSelfDescription
    service_offering: VerifiedSelfDescription
    identifiers: tuple[CompanyIdentifier, ...]

    @property
    def dsp_endpoint(self) -> str:
        endpoint = self.service_offering.subject.get("gx:endpoint")
        url = endpoint.get("gx:endpointURL") if isinstance(endpoint, Mapping) else None
        return url if isinstance(url, str) else ""

    def summary(self) -> dict[str, Any]:
        return {
            "did": self.participant.issuer,
            "legalName": self.participant.subject.get("gx:legalName"),
            "registrationNumbers": [{"type": i.scheme, "value": i.value} for i in self.identifiers],
            "dspEndpoint": self.dsp_endpoint,
            "participant": self.participant.summary(),
            "serviceOffering": self.service_offering.summary(),
        }


def check_provider(base_url: str, did: str, http: httpx.Client, resolve: DidDocumentFor) -> CheckedProvider:
    """Fetch and verify the participant and service-offering self-descriptions a provider serves at
    ``base_url`` (well-known paths), both issued by ``did``, the offering provided by that participant."""
    base = base_url.rstrip("/")
    participant = verify_self_description(
        fetch_json(http, base + PARTICIPANT_PATH),
        resolve,
        expected_type=LEGAL_PARTICIPANT,
        expected_issuer=did,
    )
    offering = verify_self_description(
        fetch_json(http, base + SERVICE_OFFERING_PATH),
        resolve,
        expected_type=SERVICE_OFFERING,
        expected_issuer=did,
    )
    provided_by = offering.subject.get("gx:providedBy")
    if not isinstance(provided_by, Mapping) or provided_by.get("id") != participant.subject_id:
        raise SelfDescriptionRefused(
            "foreign_offering", "the service offering is not provided by this participant"
        )
    return CheckedProvider(participant, offering, registration_numbers(participant.subject))


def fetch_json(http: httpx.Client, url: str, limit: int = MAX_DOCUMENT_BYTES) -> Any:
    """GET ``url`` as JSON, at most ``limit`` bytes; a failure is a refusal with reason ``unreachable``."""
    try:
        with http.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise SelfDescriptionRefused("unreachable", f"GET {url} answered {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > limit:
                    raise SelfDescriptionRefused("unreachable", f"{url} is larger than {limit} bytes")
    except httpx.HTTPError as error:
        raise SelfDescriptionRefused("unreachable", f"GET {url} failed: {error}") from error
    try:
        return json.loads(bytes(body))
    except ValueError as error:
        raise SelfDescriptionRefused("malformed", f"{url} is not JSON") from error


__all__ = [
    "ASSET_PATH",
    "DATA_RESOURCE",
    "LEGAL_PARTICIPANT",
    "PARTICIPANT_PATH",
    "SERVICE_OFFERING",
    "SERVICE_OFFERING_PATH",
    "CheckedProvider",
    "Participant",
    "SelfDescriptionRefused",
    "Signer",
    "VerifiedSelfDescription",
    "check_provider",
    "data_resource_credential",
    "participant_credential",
    "public_properties",
    "registration_numbers",
    "service_offering_credential",
    "sign_self_description",
    "verify_self_description",
]
