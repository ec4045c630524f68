"""Gaia-X shaped self-descriptions: built, signed with eddsa-jcs-2022, and refused when anything is off."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from battrace.identity import NodeKeys, did_document
from battrace.jsonld import expand
from battrace.trust.identifiers import Bpn, CorporateNumber, Gln
from battrace.trust.selfdescription import (
    DATA_RESOURCE,
    GX_NS,
    LEGAL_PARTICIPANT,
    SERVICE_OFFERING,
    Participant,
    SelfDescriptionRefused,
    Signer,
    check_provider,
    data_resource_credential,
    participant_credential,
    public_properties,
    registration_numbers,
    service_offering_credential,
    sign_self_description,
    verify_self_description,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DID = "did:web:provider.example"
BASE = "https://provider.example"
DCT = "http://purl.org/dc/terms/"
CORPORATE_NUMBER = "7000012050002"  # 国税庁 (National Tax Agency), check digit 7
GLN = "4912345000019"
BPN = "BPNL000000000PRO"


def participant() -> Participant:
    identifiers = (CorporateNumber(CORPORATE_NUMBER), Bpn(BPN), Gln(GLN))
    return Participant(DID, BASE, "provider", identifiers, country_subdivision_code="JP-13")


@pytest.fixture(scope="module")
def keys() -> NodeKeys:
    return NodeKeys.generate()


def resolver(keys: NodeKeys, **changes: Any) -> Any:
    document = did_document(DID, keys, dsp_version_url=BASE + "/.well-known/dspace-version")
    document.update(changes)
    return lambda did: document if did == DID else _raise(did)


def _raise(did: str) -> Mapping[str, Any]:
    raise LookupError(f"unknown DID {did}")


def signed(keys: NodeKeys, credential: dict[str, Any], method: str | None = None) -> dict[str, Any]:
    signer = Signer(keys.private_key, method or f"{DID}#{keys.key_id}")
    return sign_self_description(credential, signer, NOW)


def refusal(document: Any, resolve: Any, expected_type: str = LEGAL_PARTICIPANT) -> str:
    with pytest.raises(SelfDescriptionRefused) as caught:
        verify_self_description(document, resolve, expected_type=expected_type)
    assert caught.value.status == 422
    return caught.value.reason


def test_participant_round_trip_carries_name_numbers_and_region(keys: NodeKeys) -> None:
    document = signed(keys, participant_credential(participant(), NOW))
    verified = verify_self_description(document, resolver(keys), expected_type=LEGAL_PARTICIPANT)
    assert verified.issuer == DID
    assert verified.verification_method == f"{DID}#key-1"
    assert verified.subject_id == BASE + "/.well-known/gaia-x/participant.json#subject"
    assert verified.subject["gx:legalName"] == "provider"
    assert verified.subject["gx:headquarterAddress"] == {"gx:countrySubdivisionCode": "JP-13"}
    assert verified.subject["gx:legalAddress"] == {"gx:countrySubdivisionCode": "JP-13"}
    assert registration_numbers(verified.subject) == participant().identifiers
    assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022"


def test_self_description_expands_offline_to_gaia_x_terms(keys: NodeKeys) -> None:
    document = signed(keys, participant_credential(participant(), NOW))
    expanded = expand(document)
    subject = expanded[0]["https://www.w3.org/2018/credentials#credentialSubject"][0]
    assert subject["@type"] == [GX_NS + "LegalParticipant"]
    assert subject[GX_NS + "legalName"] == [{"@value": "provider"}]


def test_service_offering_names_the_dsp_endpoint_and_its_provider(keys: NodeKeys) -> None:
    credential = service_offering_credential(participant(), BASE + "/api/dsp/2025-1", NOW)
    verified = verify_self_description(
        signed(keys, credential), resolver(keys), expected_type=SERVICE_OFFERING
    )
    assert verified.subject["gx:endpoint"]["gx:endpointURL"] == BASE + "/api/dsp/2025-1"
    assert verified.subject["gx:providedBy"] == {"id": participant().subject_id}
    assert verified.subject["bt:protocolVersion"] == "2025-1"
    assert verified.subject["bt:managementApiExposed"] is False


def test_data_resource_shows_only_public_properties() -> None:
    properties = {
        DCT + "title": "Cell batch 42",
        DCT + "description": {"@value": "PCF of cell batch 42"},
        DCT + "license": "https://creativecommons.org/licenses/by/4.0/",
        "https://w3id.org/edc/v0.0.1/ns/contenttype": "application/json",
        "secretNote": "internal",
    }
    subject = data_resource_credential(participant(), "batch/42", properties, NOW)["credentialSubject"]
    assert subject["type"] == DATA_RESOURCE
    assert subject["id"] == BASE + "/api/self-descriptions/assets/batch%2F42#subject"
    assert subject["gx:name"] == "Cell batch 42"
    assert subject["gx:description"] == "PCF of cell batch 42"
    assert subject["gx:license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert subject["gx:containsPII"] is False
    assert subject["gx:producedBy"] == {"id": participant().subject_id}
    assert subject["gx:exposedThrough"] == {"id": participant().offering_id}
    assert "secretNote" not in subject and "https://w3id.org/edc/v0.0.1/ns/contenttype" not in subject
    assert set(public_properties(properties)) == {DCT + "title", DCT + "description", DCT + "license"}


def test_tampered_subject_is_refused(keys: NodeKeys) -> None:
    document = signed(keys, participant_credential(participant(), NOW))
    document["credentialSubject"]["gx:legalName"] = "somebody else"
    assert refusal(document, resolver(keys)) == "bad_signature"


def test_signature_by_another_key_is_refused(keys: NodeKeys) -> None:
    document = signed(NodeKeys.generate(), participant_credential(participant(), NOW))
    assert refusal(document, resolver(keys)) == "bad_signature"


def test_proof_key_of_another_did_is_refused(keys: NodeKeys) -> None:
    document = signed(keys, participant_credential(participant(), NOW), "did:web:other.example#key-1")
    assert refusal(document, resolver(keys)) == "wrong_key"


def test_key_that_is_not_an_assertion_method_is_refused(keys: NodeKeys) -> None:
    document = signed(keys, participant_credential(participant(), NOW))
    assert refusal(document, resolver(keys, assertionMethod=[])) == "not_assertion_method"


def test_key_missing_from_the_did_document_is_refused(keys: NodeKeys) -> None:
    document = signed(keys, participant_credential(participant(), NOW), f"{DID}#key-2")
    resolve = resolver(keys, assertionMethod=[f"{DID}#key-1", f"{DID}#key-2"])
    assert refusal(document, resolve) == "unknown_key"


def test_wrong_type_is_refused(keys: NodeKeys) -> None:
    document = signed(keys, service_offering_credential(participant(), BASE + "/api/dsp/2025-1", NOW))
    assert refusal(document, resolver(keys), LEGAL_PARTICIPANT) == "wrong_type"


def test_subject_on_a_host_the_issuer_does_not_own_is_refused(keys: NodeKeys) -> None:
    foreign = Participant(DID, "https://victim.example", "provider")
    document = signed(keys, participant_credential(foreign, NOW))
    assert refusal(document, resolver(keys)) == "foreign_subject"


def test_unresolvable_issuer_is_refused(keys: NodeKeys) -> None:
    document = signed(keys, participant_credential(participant(), NOW))
    assert refusal(document, _raise) == "did_unresolvable"


def test_unsigned_document_is_refused(keys: NodeKeys) -> None:
    assert refusal(participant_credential(participant(), NOW), resolver(keys)) == "wrong_key"


@pytest.mark.parametrize("broken", ["not a document", {"@context": ["x"]}, {"credentialSubject": []}])
def test_malformed_document_is_refused(keys: NodeKeys, broken: Any) -> None:
    assert refusal(broken, resolver(keys)) == "malformed"


def test_bad_check_digit_in_a_signed_registration_number_is_refused_on_receipt() -> None:
    subject = {"gx:registrationNumber": [{"gx:local": "1000012050002", "bt:scheme": "CorporateNumber"}]}
    with pytest.raises(SelfDescriptionRefused) as caught:
        registration_numbers(subject)
    assert caught.value.reason == "bad_registration_number"


def test_invalid_region_code_cannot_be_described() -> None:
    with pytest.raises(Exception, match="ISO 3166-2"):
        Participant(DID, BASE, "provider", country_subdivision_code="Tokyo")


def provider_transport(keys: NodeKeys, overrides: Mapping[str, Any] | None = None) -> httpx.Client:
    documents = {
        "/.well-known/gaia-x/participant.json": signed(keys, participant_credential(participant(), NOW)),
        "/.well-known/gaia-x/service-offering.json": signed(
            keys, service_offering_credential(participant(), BASE + "/api/dsp/2025-1", NOW)
        ),
        **(overrides or {}),
    }

    def handle(request: httpx.Request) -> httpx.Response:
        body = documents.get(request.url.path)
        return httpx.Response(404) if body is None else httpx.Response(200, json=body)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_check_provider_verifies_both_documents(keys: NodeKeys) -> None:
    with provider_transport(keys) as http:
        checked = check_provider(BASE, DID, http, resolver(keys))
    assert checked.dsp_endpoint == BASE + "/api/dsp/2025-1"
    assert checked.identifiers == participant().identifiers
    assert checked.summary()["legalName"] == "provider"


def test_check_provider_refuses_a_missing_document_as_unreachable(keys: NodeKeys) -> None:
    missing = {"/.well-known/gaia-x/service-offering.json": None}
    with provider_transport(keys, missing) as http, pytest.raises(SelfDescriptionRefused) as caught:
        check_provider(BASE, DID, http, resolver(keys))
    assert caught.value.reason == "unreachable"


def test_check_provider_refuses_an_offering_provided_by_somebody_else(keys: NodeKeys) -> None:
    credential = service_offering_credential(participant(), BASE + "/api/dsp/2025-1", NOW)
    credential = copy.deepcopy(credential)
    credential["credentialSubject"]["gx:providedBy"] = {"id": BASE + "/other#subject"}
    overrides = {"/.well-known/gaia-x/service-offering.json": signed(keys, credential)}
    with provider_transport(keys, overrides) as http, pytest.raises(SelfDescriptionRefused) as caught:
        check_provider(BASE, DID, http, resolver(keys))
    assert caught.value.reason == "foreign_offering"


def test_check_provider_refuses_documents_of_another_did(keys: NodeKeys) -> None:
    with provider_transport(keys) as http, pytest.raises(SelfDescriptionRefused) as caught:
        check_provider(BASE, "did:web:someone.example", http, resolver(keys))
    assert caught.value.reason == "wrong_issuer"
