"""The node's DCP Credential Service (DCP 1.0 presentation protocol §5.4).

Only our own access token, issued to the caller, opens the wallet, and only for the scopes it grants."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from battrace.identity import issue_token
from battrace.trust.claims import DEFAULT_SCOPES
from battrace.trust.dcp import (
    HeldCredential,
    issue_access_token,
    issue_self_issued_token,
    parse_presentation_response,
    presentation_query,
    verify_presentation,
)
from battrace.trust.wallet import credential_service_entry

from .test_claims_world import CERTIFICATION, HOLDER, MEMBERSHIP, OTHER, ROLES, VERIFIER, World

PATH = "/api/credentials/presentations/query"
MEMBERSHIP_SCOPE, CERTIFICATION_SCOPE, ROLE_SCOPE, _GOVERNANCE_SCOPE = DEFAULT_SCOPES


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path)
    for subject in (MEMBERSHIP, CERTIFICATION, ROLES):
        world.wallet.add(world.credential(subject))
    return world


def access_token(
    world: World, *, to: str = VERIFIER, scopes: tuple[str, ...] = DEFAULT_SCOPES, **kw: Any
) -> str:
    """What the holder put in its own DSP request to ``to``."""
    now = kw.pop("now", world.clock())
    return issue_access_token(world.holder_keys, HOLDER, to, scopes, now=now, jti=world.new_id(), **kw)


def authorization(world: World, token: str | None, *, jti: str | None = None) -> dict[str, str]:
    """The verifier's own self-issued token to the holder, carrying the holder's access token."""
    jti = jti or world.new_id()
    bearer = issue_self_issued_token(
        world.verifier_keys, VERIFIER, HOLDER, now=world.clock(), jti=jti, access_token=token
    )
    return {"Authorization": f"Bearer {bearer}"}


def ask(world: World, token: str | None, scopes: tuple[str, ...] = DEFAULT_SCOPES) -> Any:
    headers = authorization(world, token)
    return world.holder_client.post(PATH, json=presentation_query(scopes), headers=headers)


def presented_types(world: World, body: dict[str, Any]) -> list[str]:
    (vp,) = parse_presentation_response(body).presentations
    assert isinstance(vp, str)
    verified = verify_presentation(vp, world.documents[HOLDER], verifier_did=VERIFIER, now=world.clock())
    types = (t for c in verified.credentials for t in HeldCredential.from_jwt(c).types)
    return sorted(t for t in types if t != "VerifiableCredential")


def test_the_entitled_credentials_come_back_in_a_vp_signed_by_the_holder(world: World) -> None:
    response = ask(world, access_token(world))
    assert response.status_code == 200
    assert presented_types(world, response.json()) == [
        "ConnectorCertificationCredential", "MembershipCredential", "RoleCredential",
    ]


def test_scopes_the_access_token_does_not_grant_are_dropped(world: World) -> None:
    token = access_token(world, scopes=(MEMBERSHIP_SCOPE, ROLE_SCOPE))
    response = ask(world, token, DEFAULT_SCOPES)
    assert response.status_code == 200
    assert presented_types(world, response.json()) == ["MembershipCredential", "RoleCredential"]


def test_nothing_entitled_is_an_empty_vp_not_an_error(world: World) -> None:
    response = ask(world, access_token(world, scopes=(ROLE_SCOPE,)), (MEMBERSHIP_SCOPE,))
    assert response.status_code == 200
    assert presented_types(world, response.json()) == []


def test_a_self_issued_token_without_access_token_is_refused(world: World) -> None:
    response = ask(world, None)
    assert response.status_code == 401
    assert "no access token" in response.json()["detail"]


def test_an_access_token_issued_to_another_verifier_is_refused(world: World) -> None:
    response = ask(world, access_token(world, to=OTHER))
    assert response.status_code == 401
    assert "issued to" in response.json()["detail"]


def test_an_access_token_not_signed_by_the_holder_is_refused(world: World) -> None:
    # the verifier mints itself an access token in the holder's name
    forged = issue_access_token(
        world.verifier_keys, HOLDER, VERIFIER, DEFAULT_SCOPES, now=world.clock(), jti=world.new_id()
    )
    assert ask(world, forged).status_code == 401


def test_an_expired_access_token_is_refused(world: World) -> None:
    token = access_token(world, now=world.clock() - timedelta(minutes=3), lifetime=timedelta(minutes=2))
    assert ask(world, token).status_code == 401


def test_a_plain_id_token_is_not_an_access_token(world: World) -> None:
    id_token = issue_token(world.holder_keys, HOLDER, VERIFIER, now=world.clock(), jti=world.new_id())
    assert ask(world, id_token).status_code == 401


def test_no_or_a_replayed_authorization_is_refused(world: World) -> None:
    assert world.holder_client.post(PATH, json=presentation_query(DEFAULT_SCOPES)).status_code == 401
    headers = authorization(world, access_token(world), jti="urn:once")
    query = presentation_query(DEFAULT_SCOPES)
    assert world.holder_client.post(PATH, json=query, headers=headers).status_code == 200
    assert world.holder_client.post(PATH, json=query, headers=headers).status_code == 401


def test_presentation_definition_is_not_implemented_and_bad_queries_are_400(world: World) -> None:
    definition = {
        "@context": ["https://w3id.org/dspace-dcp/v1.0/dcp.jsonld"], "type": "PresentationQueryMessage",
        "presentationDefinition": {"id": "x", "input_descriptors": []},
    }
    headers = authorization(world, access_token(world))
    assert world.holder_client.post(PATH, json=definition, headers=headers).status_code == 501
    headers = authorization(world, access_token(world))
    assert world.holder_client.post(PATH, json={"type": "Nonsense"}, headers=headers).status_code == 400


def test_the_did_document_entry_points_verifiers_at_the_service() -> None:
    entry = credential_service_entry(HOLDER, "https://holder.example/")
    assert entry == {
        "id": f"{HOLDER}#credential-service",
        "type": "CredentialService",
        "serviceEndpoint": "https://holder.example/api/credentials",
    }
