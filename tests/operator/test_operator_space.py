"""The space directory and the operator workflow without HTTP: init, certification, revocation, directory."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from operator_support import API_KEY, HOLDER, JP_CORPORATE_NUMBER, T0, World, offline, world

from battrace.errors import Conflict, InvalidInput, NotFound
from battrace.identity import did_document, did_web_document_url
from battrace.operator import CertifyRequest, SpaceOperator, init_space, space_dids
from battrace.operator.files import SpaceFiles
from battrace.trust import StatusList, decode_credential_jwt, verify_trust_list

__all__ = ["world"]  # the fixture, imported for pytest

MEMBERSHIP = {"participant": HOLDER, "name": "Cell Maker KK", "types": ["Membership"]}


def certify(operator: SpaceOperator, **fields: object) -> list[str]:
    return [i.token for i in operator.certify(CertifyRequest.parse({**MEMBERSHIP, **fields}))]


def test_space_dids_follow_the_did_web_path_rules() -> None:
    operator, body, host, port = space_dids("http://127.0.0.1:8201/")
    assert operator == "did:web:127.0.0.1%3A8201"
    assert body == "did:web:127.0.0.1%3A8201:certification"
    assert (host, port) == ("127.0.0.1", 8201)
    assert did_web_document_url(operator, allow_http=True) == "http://127.0.0.1:8201/.well-known/did.json"
    assert did_web_document_url(body, allow_http=True) == "http://127.0.0.1:8201/certification/did.json"
    assert space_dids("https://space.example")[:2] == (
        "did:web:space.example",
        "did:web:space.example:certification",
    )


@pytest.mark.parametrize(
    "url", ["http://h.example/eu", "ftp://h.example", "http://h.example?x=1", "h.example"]
)
def test_a_public_url_that_is_not_a_bare_origin_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(InvalidInput):
        init_space(tmp_path / "s", name="s", public_url=url, api_key=None, clock=lambda: T0)
    assert not (tmp_path / "s" / "space.toml").exists()


def test_init_signs_a_trust_list_with_the_operator_key_naming_the_certification_body(world: World) -> None:
    space = world.space("eu-battery", 8201)
    files = space.operator.files
    trust_list = verify_trust_list(files.trust_list(), did_document(space.did, files.operator_keys()))
    assert trust_list.space == "eu-battery"
    assert trust_list.operator_did == "did:web:127.0.0.1%3A8201"
    [body] = trust_list.bodies
    assert body.did == "did:web:127.0.0.1%3A8201:certification"
    assert set(body.credential_types) == {
        "MembershipCredential",
        "ConnectorCertificationCredential",
        "RoleCredential",
        "AppCertificationCredential",
        "DataExchangeGovernanceCredential",
    }
    assert trust_list.is_trusted(body.did, "MembershipCredential", T0)
    # the two keys are distinct identities: the body cannot sign trust lists, the operator cannot issue
    assert files.operator_keys().public_jwk() != files.certification_keys().public_jwk()


def test_init_starts_with_an_empty_directory_and_a_full_size_revocation_list(world: World) -> None:
    space = world.space("eu-battery", 8201)
    files = space.operator.files
    assert files.directory() == {}
    assert files.recognitions() == []
    status_list = files.ledger().status_list
    assert status_list.size == 131_072
    assert status_list == StatusList.empty("revocation")
    assert files.api_key() == API_KEY
    assert (files.root / "keys" / "operator-ed25519.pem").stat().st_mode & 0o077 == 0


def test_init_refuses_to_overwrite_an_existing_space(world: World) -> None:
    space = world.space("eu-battery", 8201)
    before = {p.name: p.read_bytes() for p in space.operator.files.root.rglob("*") if p.is_file()}
    with pytest.raises(Conflict):
        init_space(
            space.operator.files.root,
            name="x",
            public_url="http://127.0.0.1:9",
            api_key=None,
            clock=world.clock,
        )
    after = {p.name: p.read_bytes() for p in space.operator.files.root.rglob("*") if p.is_file()}
    assert after == before


def test_a_space_without_its_key_files_refuses_instead_of_minting_a_new_identity(world: World) -> None:
    space = world.space("eu-battery", 8201)
    space.operator.files.certification_key_file.unlink()
    with pytest.raises(NotFound):
        certify(space.operator)


def test_certify_issues_one_credential_per_type_with_its_own_status_entry(world: World) -> None:
    space = world.space("eu-battery", 8201)
    tokens = certify(
        space.operator,
        types=["Membership", "ConnectorCertification", "Role", "AppCertification"],
        bpn="BPNL00000003CML1",
        roles=["CellMaker"],
        certificationLevel="COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW",
        app={"appId": "pcf-calc", "name": "PCF", "version": "1.0", "certifiedFunction": "CarbonFootprint"},
    )
    credentials = [decode_credential_jwt(t).credential for t in tokens]
    assert [c.credential_type for c in credentials] == [
        "MembershipCredential",
        "ConnectorCertificationCredential",
        "RoleCredential",
        "AppCertificationCredential",
    ]
    assert {c.issuer for c in credentials} == {space.certification_did}
    assert {c.subject_id for c in credentials} == {HOLDER}
    entries = [c.status for c in credentials]
    assert all(
        e is not None and e.list_credential == "http://127.0.0.1:8201/space/status/revocation"
        for e in entries
    )
    assert len({e.index for e in entries if e is not None}) == 4
    ledger = space.operator.files.ledger()
    assert {c.id for c in credentials} == set(ledger.issued)
    assert credentials[0].subject.claims()["memberOf"] == "eu-battery"


def test_signing_the_data_exchange_governance_gives_the_framework_agreement_a_pcf_policy_asks_for(
    world: World,
) -> None:
    space = world.space("eu-battery", 8201)
    [token] = certify(space.operator, types=["DataExchangeGovernance"], bpn="BPNL00000003CML1")
    credential = decode_credential_jwt(token).credential
    assert credential.credential_type == "DataExchangeGovernanceCredential"
    claims = credential.subject.claims()
    # the tractusx-profiles sample subject: holder BPN, use-case group, template, version
    assert claims["holderIdentifier"] == "BPNL00000003CML1"
    assert claims["useCase"] == "DataExchangeGovernance"
    assert claims["contractVersion"] == "1.0"


def test_membership_of_a_japanese_company_carries_its_corporate_number(world: World) -> None:
    space = world.space("ouranos", 8202)
    [token] = certify(space.operator, corporateNumber=JP_CORPORATE_NUMBER)
    claims = decode_credential_jwt(token).credential.subject.claims()
    assert claims["holderIdentifier"] == JP_CORPORATE_NUMBER
    assert claims["identifiers"] == [{"type": "CorporateNumber", "value": JP_CORPORATE_NUMBER}]


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"corporateNumber": "2180301018771"}, "check digit"),
        ({"bpn": "BPNX123"}, "BPN"),
        ({"types": ["Role"]}, "role"),
        ({"types": ["Role"], "roles": ["Astronaut"]}, "Astronaut"),
        ({"types": ["ConnectorCertification"]}, "certificationLevel"),
        (
            {
                "types": ["ConnectorCertification"],
                "securityProfile": "TRUST_PLUS_SECURITY_PROFILE",
                "certificationLevel": "COMPONENT_BASE_SECURITY_PROFILE_CONCEPT_REVIEW",
            },
            "does not certify",
        ),
        ({"types": ["AppCertification"]}, "app"),
        ({"types": ["Membership", "Passport"]}, "Passport"),
        ({"types": []}, "types"),
        ({"participant": "not a did"}, "participant"),
        ({"validDays": 0}, "validDays"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_certification_request_is_refused_before_anything_is_written(
    world: World, fields: dict[str, object], why: str
) -> None:
    space = world.space("eu-battery", 8201)
    with pytest.raises(InvalidInput, match=why):
        certify(space.operator, **fields)
    assert space.operator.files.ledger().issued == {}
    assert space.operator.files.directory() == {}


def test_status_indexes_never_collide_even_when_the_chooser_repeats_itself(world: World) -> None:
    choices = iter([7, 7, 7, 9, 7, 9, 3])
    space = world.space("eu-battery", 8201, choose_index=lambda _size: next(choices))
    certify(space.operator, types=["Membership", "Role"], roles=["Recycler"])
    certify(space.operator, participant="did:web:other.example")
    indexes = sorted(c.status_list_index for c in space.operator.files.ledger().issued.values())
    assert indexes == [3, 7, 9]


def test_revocation_is_persisted_and_idempotent(world: World) -> None:
    space = world.space("eu-battery", 8201)
    [token] = certify(space.operator)
    jti = str(decode_credential_jwt(token).credential.id)
    space.operator.revoke(jti)
    space.operator.revoke(jti)
    reopened = SpaceOperator(
        space.operator.files.root, clock=world.clock, ids=lambda: "x", resolve=offline, download=offline
    )
    assert reopened.is_revoked(jti)
    assert sum(bin(b).count("1") for b in reopened.files.ledger().status_list.bits) == 1


def test_revoking_an_unknown_credential_is_not_found(world: World) -> None:
    space = world.space("eu-battery", 8201)
    with pytest.raises(NotFound):
        space.operator.revoke("urn:uuid:never-issued")


def test_the_directory_lists_only_what_is_still_certified(world: World) -> None:
    space = world.space("eu-battery", 8201)
    issued = space.operator.certify(
        CertifyRequest.parse(
            {**MEMBERSHIP, "types": ["Membership", "Role"], "roles": ["CellMaker"], "validDays": 30}
        )
    )
    [entry] = space.operator.directory()
    assert entry == {
        "did": HOLDER,
        "name": "Cell Maker KK",
        "bpn": None,
        "corporateNumber": None,
        "roles": ["CellMaker"],
        "certifiedTypes": ["MembershipCredential", "RoleCredential"],
    }
    space.operator.revoke(issued[1].record.id)
    [entry] = space.operator.directory()
    assert (entry["roles"], entry["certifiedTypes"]) == ([], ["MembershipCredential"])
    world.clock.advance(timedelta(days=31))
    assert space.operator.directory()[0]["certifiedTypes"] == []


def test_concurrent_certifications_lose_no_update(world: World) -> None:
    space = world.space("eu-battery", 8201)
    ids = iter(f"urn:uuid:{n}" for n in range(100))
    lock = threading.Lock()

    def next_id() -> str:
        with lock:
            return next(ids)

    operators = [
        SpaceOperator(
            space.operator.files.root, clock=world.clock, ids=next_id, resolve=offline, download=offline
        )
        for _ in range(8)
    ]
    threads = [
        threading.Thread(target=certify, args=(op,), kwargs={"participant": f"did:web:p{n}.example"})
        for n, op in enumerate(operators)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(space.operator.files.ledger().issued) == 8
    assert len(space.operator.files.directory()) == 8


def test_files_are_valid_json_and_toml_a_human_can_read(world: World) -> None:
    space = world.space("eu-battery", 8201)
    certify(space.operator)
    root = space.operator.files.root
    assert json.loads((root / "directory.json").read_text())[HOLDER]["name"] == "Cell Maker KK"
    config = SpaceFiles(root).config()
    assert config.status_list_url == "http://127.0.0.1:8201/space/status/revocation"
    assert config.dev is True
    assert not list(root.glob(".*.tmp"))  # no temporary file left behind
