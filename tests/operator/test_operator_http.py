"""The operator node over HTTP as relying parties use it: credentials verify against the served DID documents,
trust list and status list; revocation and JP/EU recognition take effect at the next check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from operator_support import API_KEY, HOLDER, JP_CORPORATE_NUMBER, Space, World, world
from typer.testing import CliRunner

from battrace.cli_space import app as space_cli
from battrace.operator import SpaceError
from battrace.trust import CredentialForbidden, CredentialUnauthenticated, decode_credential_jwt

__all__ = ["world"]

EU_PORT, JP_PORT = 8201, 8202
ALL_TYPES = {
    "participant": HOLDER,
    "name": "Cell Maker KK",
    "types": ["Membership", "ConnectorCertification", "Role", "AppCertification"],
    "bpn": "BPNL00000003CML1",
    "roles": ["CellMaker"],
    "securityProfile": "TRUST_SECURITY_PROFILE",
    "certificationLevel": "COMPONENT_TRUST_SECURITY_PROFILE_CONCEPT_REVIEW",
    "app": {"appId": "pcf", "name": "PCF", "version": "2", "certifiedFunction": "CarbonFootprintCalculator"},
}


def jti(token: str) -> str:
    return str(decode_credential_jwt(token).credential.id)


def test_the_did_documents_are_served_where_did_web_says(world: World) -> None:
    space = world.space("eu-battery", EU_PORT)
    resolver = world.resolver()
    operator = resolver.resolve("did:web:127.0.0.1%3A8201")
    body = resolver.resolve("did:web:127.0.0.1%3A8201:certification")
    assert operator["assertionMethod"] == ["did:web:127.0.0.1%3A8201#key-1"]
    assert body["id"] == space.certification_did
    assert operator["verificationMethod"][0]["publicKeyJwk"] != body["verificationMethod"][0]["publicKeyJwk"]
    response = space.test_client.get("/certification/did.json")
    assert response.headers["content-type"].startswith("application/did+json")


def test_public_documents_have_their_media_types(world: World) -> None:
    space = world.space("eu-battery", EU_PORT)
    trust_list = space.test_client.get("/space/trust-list")
    status = space.test_client.get("/space/status/revocation")
    assert trust_list.headers["content-type"].startswith("application/jwt")
    assert trust_list.text.count(".") == 2
    assert status.headers["content-type"].startswith("application/jwt")
    assert status.headers["cache-control"] == "no-store"
    assert space.test_client.get("/health").json()["operator"] == space.did
    assert space.test_client.get("/space/recognitions").json() == []


def test_certified_credentials_verify_against_everything_the_space_serves(world: World) -> None:
    space = world.space("eu-battery", EU_PORT)
    tokens = space.client.certify(ALL_TYPES)
    world.clock.advance(timedelta(minutes=5))
    verified = [space.verify(t) for t in tokens]
    assert [v.credential_type for v in verified] == [
        "MembershipCredential",
        "ConnectorCertificationCredential",
        "RoleCredential",
        "AppCertificationCredential",
    ]
    assert all(v.status_checked and v.issuer == space.certification_did for v in verified)
    assert all(getattr(v.trust, "via", None) == "local" for v in verified)
    [entry] = space.client.directory()
    assert entry["bpn"] == "BPNL00000003CML1"
    assert len(entry["certifiedTypes"]) == 4


def test_a_revoked_credential_is_refused_as_revoked_at_the_next_check(world: World) -> None:
    space = world.space("eu-battery", EU_PORT)
    membership, role = space.client.certify({**ALL_TYPES, "types": ["Membership", "Role"]})
    space.verify(membership)
    answer = space.client.revoke(jti(membership))
    assert answer["revoked"] is True
    with pytest.raises(CredentialForbidden) as refused:
        space.verify(membership)
    assert refused.value.reason == "revoked"
    assert space.verify(role).status_checked  # its neighbour on the list is untouched


def test_a_credential_of_another_space_is_untrusted_without_recognition(world: World) -> None:
    eu, jp = world.space("eu-battery", EU_PORT), world.space("ouranos", JP_PORT)
    [token] = jp.client.certify({"participant": HOLDER, "name": "Cell Maker KK", "types": ["Membership"]})
    assert jp.verify(token).trust
    with pytest.raises(CredentialForbidden) as refused:
        eu.verify(token)
    assert refused.value.reason == "untrusted_issuer"
    assert "recognises no other data space" in refused.value.detail


def recognise_jp(eu: Space, jp: Space, types: list[str]) -> dict[str, Any]:
    return eu.client.recognize(
        {
            "foreignTrustListUrl": f"{jp.client.base_url}/space/trust-list",
            "foreignOperatorDid": jp.did,
            "credentialTypes": types,
            "validDays": 180,
        }
    )


def test_eu_trusts_a_jp_membership_through_recognition_until_it_is_withdrawn(world: World) -> None:
    eu, jp = world.space("eu-battery", EU_PORT), world.space("ouranos", JP_PORT)
    membership, role = jp.client.certify(
        {
            "participant": HOLDER,
            "name": "Cell Maker KK",
            "corporateNumber": JP_CORPORATE_NUMBER,
            "types": ["Membership", "Role"],
            "roles": ["CellMaker"],
        }
    )
    record = recognise_jp(eu, jp, ["Membership"])
    world.clock.advance(timedelta(hours=1))
    verified = eu.verify(membership)
    assert getattr(verified.trust, "via", None) == "recognition:ouranos"
    with pytest.raises(CredentialForbidden, match="does not cover RoleCredential"):
        eu.verify(role)  # recognised for Membership only

    withdrawn = eu.client.withdraw(record["id"], "audit failed")
    assert withdrawn["withdrawal"] is not None
    with pytest.raises(CredentialForbidden, match="withdrawn") as refused:
        eu.verify(membership)
    assert refused.value.reason == "untrusted_issuer"
    assert eu.client.withdraw(record["id"]) == withdrawn  # idempotent
    assert jp.verify(membership).trust  # JP itself is unaffected


def test_a_jp_revocation_is_honoured_in_eu_too(world: World) -> None:
    eu, jp = world.space("eu-battery", EU_PORT), world.space("ouranos", JP_PORT)
    [token] = jp.client.certify({"participant": HOLDER, "name": "Cell Maker KK", "types": ["Membership"]})
    recognise_jp(eu, jp, ["Membership"])
    eu.verify(token)
    jp.client.revoke(jti(token))
    with pytest.raises(CredentialForbidden) as refused:
        eu.verify(token)
    assert refused.value.reason == "revoked"


def test_a_trust_list_not_signed_by_the_named_operator_is_not_recognised(world: World) -> None:
    eu, jp = world.space("eu-battery", EU_PORT), world.space("ouranos", JP_PORT)
    impostor = world.space("impostor", 8203)
    response = eu.test_client.post(
        "/space/recognitions",
        headers={"X-Api-Key": API_KEY},
        json={
            "foreignTrustList": impostor.client.trust_list(),
            "foreignOperatorDid": jp.did,
            "credentialTypes": ["Membership"],
        },
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert eu.client.recognitions() == []


def test_management_routes_need_the_api_key(world: World) -> None:
    space = world.space("eu-battery", EU_PORT)
    for key in (None, "wrong"):
        headers = {} if key is None else {"X-Api-Key": key}
        response = space.test_client.post("/space/certify", json=ALL_TYPES, headers=headers)
        assert response.status_code == 401
        assert response.json()["title"] == "Unauthenticated"
    assert space.operator.files.ledger().issued == {}


MANAGEMENT_ERRORS: list[tuple[str, Any, int]] = [
    ("/space/certify", b"{not json", 400),
    ("/space/certify", [1, 2], 400),
    ("/space/certify", {"participant": HOLDER, "name": "x", "types": ["Passport"]}, 400),
    ("/space/certify", {"name": "x", "types": ["Membership"]}, 400),
    ("/space/certify", {"participant": HOLDER, "name": "x", "types": ["Membership"], "bpn": "BPN?"}, 400),
    ("/space/revoke", {}, 400),
    ("/space/revoke", {"credentialId": "urn:uuid:unknown"}, 404),
    ("/space/recognitions", {"foreignOperatorDid": "did:web:x", "credentialTypes": ["Membership"]}, 400),
    (
        "/space/recognitions",
        {
            "foreignTrustListUrl": "http://127.0.0.1:1/t",
            "foreignOperatorDid": "did:web:x",
            "credentialTypes": ["Membership"],
        },
        400,
    ),
    (
        "/space/recognitions",
        {
            "foreignTrustList": "a.b.c",
            "foreignOperatorDid": "did:web:127.0.0.1%3A1",
            "credentialTypes": ["Membership"],
        },
        400,
    ),
    ("/space/recognitions/urn:uuid:nope/withdraw", {}, 404),
    ("/space/recognitions/urn:uuid:nope/withdraw", {"reason": 5}, 400),
]


@pytest.mark.parametrize(("path", "body", "status"), MANAGEMENT_ERRORS)
def test_bad_management_input_is_a_problem_document(world: World, path: str, body: Any, status: int) -> None:
    space = world.space("eu-battery", EU_PORT)
    headers = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}
    content = body if isinstance(body, bytes) else None
    response = space.test_client.post(path, headers=headers, content=content, json=None if content else body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["detail"]


def test_unknown_routes_and_methods_are_problem_documents(world: World) -> None:
    space = world.space("eu-battery", EU_PORT)
    for method, path, status in (("GET", "/space/nothing", 404), ("DELETE", "/space/trust-list", 405)):
        response = space.test_client.request(method, path)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"


def test_the_client_reports_the_operators_problem(world: World) -> None:
    space = world.space("eu-battery", EU_PORT)
    with pytest.raises(SpaceError) as failed:
        space.client.revoke("urn:uuid:unknown")
    assert failed.value.upstream_status == 404


def test_the_cli_administers_the_files_the_server_serves(world: World, tmp_path: Any) -> None:
    space = world.space("eu-battery", EU_PORT)
    out = tmp_path / "cred.jwt"
    root = str(space.operator.files.root)
    runner = CliRunner()
    args = ["certify", "--dir", root, "--participant", HOLDER, "--type", "Membership"]
    certified = runner.invoke(space_cli, [*args, "--bpn", "BPNL00000003CML1", "--out", str(out)])
    assert certified.exit_code == 0, certified.output
    [token] = out.read_text().split()
    [entry] = space.client.directory()  # the running server sees the CLI's change at once
    assert entry["certifiedTypes"] == ["MembershipCredential"]
    revoked = runner.invoke(space_cli, ["revoke", "--dir", root, "--credential", jti(token)])
    assert revoked.exit_code == 0, revoked.output
    assert space.operator.is_revoked(jti(token))
    missing = runner.invoke(space_cli, ["revoke", "--dir", root, "--credential", "urn:uuid:unknown"])
    assert missing.exit_code == 2
    again = runner.invoke(space_cli, ["init", "x", "--dir", root, "--public-url", "http://127.0.0.1:9"])
    assert again.exit_code == 2 and "refusing to overwrite" in again.output


def test_an_unreachable_foreign_operator_withdraws_only_the_trust_that_came_through_it(world: World) -> None:
    eu, jp = world.space("eu-battery", EU_PORT), world.space("ouranos", JP_PORT)
    [local] = eu.client.certify({"participant": HOLDER, "name": "EU Cell", "types": ["Membership"]})
    [foreign] = jp.client.certify({"participant": HOLDER, "name": "JP Cell", "types": ["Membership"]})
    recognise_jp(eu, jp, ["Membership"])
    eu.verify(foreign)
    del world.router.apps[f"127.0.0.1:{JP_PORT}"]  # the JP operator goes offline
    assert eu.verify(local).trust
    # the JP operator's DID document cannot be resolved any more: the recognition is left out of the view
    view = eu.client.trust_view(world.resolver())
    decision = view.is_trusted(jp.certification_did, "MembershipCredential", world.clock())
    assert not decision and "recognises no other data space" in decision.reasons[-1]
    with pytest.raises((CredentialForbidden, CredentialUnauthenticated)):
        eu.verify(foreign)
