"""The trust attack matrix (issue 3, "Tests that must exist"), over real HTTP between real nodes.

Two data spaces (EU, JP) run as real operator processes; the provider is a European carmaker's node that
belongs to the EU space. Its partners are real company nodes certified through the operators' HTTP API and a
hostile ``Attacker`` (``trust_attacker.py``) with its own did:web and a malicious DCP Credential Service that
answers the carmaker's presentation query with crafted VP-JWTs.

Every row is refused where it matters, the catalog (the gated dataset is invisible) and where it applies the
negotiation (DSP 404 "unknown offer", so a refused party cannot even learn that the offer exists; the
consumer node records TERMINATED), and the reason the carmaker recorded is asserted
through ``GET /management/v3/trust/decisions/{did}``. Each attack is paired with a control that the same
path admits the honest variant, so a refusal for the wrong reason (a broken harness) cannot pass unnoticed.

| row                                   | reason asserted                                            |
|---------------------------------------|------------------------------------------------------------|
| no credential                         | ``no_credentials`` / ``no_access_token``                   |
| expired                               | ``expired``                                                |
| not yet valid                         | ``not_yet_valid``                                          |
| revoked                               | ``revoked``                                                |
| issuer not on the trust list          | ``untrusted_issuer`` (not a certification body)            |
| issuer from an unrecognised space     | ``untrusted_issuer`` (JP body not on the EU list)          |
| recognition withdrawn                 | ``untrusted_issuer`` (was withdrawn)                       |
| forged signature                      | ``bad_signature``                                          |
| credential of another holder          | ``presentation_invalid`` (not the presenter)               |
| replayed token / presentation         | DSP 401 "replay" / ``presentation_invalid`` (replay)       |
| token / presentation for another aud. | DSP 401 "audience" / ``presentation_invalid`` (not for us) |
| security profile too low              | claims say BASE, no refusal: the policy denied (404)       |
| participant not on the allow-list     | invisible / 404 for a certified member not listed          |

The last two rows are policy denials on accepted credentials: the provider records which definition, policy
and constraint refused the caller (``test_a_connect_mode_denial_is_explained_with_the_failed_constraint``).
Revocation reaches the data plane of a running transfer: the credentials last presented are verified again
there (``test_a_revoked_member_is_refused_on_the_data_plane``).
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from battrace.client import EDC_CONTEXT, first_offer
from battrace.devnet import NodeProcess
from battrace.operator.client import SpaceClient
from battrace.operator.devnet import OperatorProcess
from battrace.policy import Policy
from battrace.trust import (
    issue_credential,
    min_security_profile,
    only_participants,
    only_with_attributes,
    policy_document,
)
from battrace.trust.credentials import IssuerKey
from battrace.trust.subjects import MembershipCredential

from .trust_attacker import (
    Attacker,
    days,
    decision_of,
    mint_membership,
    refusal_detail,
    refusal_reasons,
    tamper,
    unverified_payload,
)

pytestmark = pytest.mark.integration

MEMBERS_ONLY = [
    {
        "action": "access",
        "constraint": [{"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"}],
    }
]
MEMBERS_USE = [{**MEMBERS_ONLY[0], "action": "use"}]  # the usage policy the data plane re-checks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class World:
    eu: OperatorProcess
    jp: OperatorProcess
    carmaker: NodeProcess  # the provider under attack, EU space
    member: NodeProcess  # EU: Membership, connector certified TRUST_PLUS, role Recycler
    basic: NodeProcess  # EU: Membership, connector certified BASE only, role Repairer
    cell_maker: NodeProcess  # JP: Membership in the Japanese space only
    attacker: Attacker
    members_only: str  # an asset whose access policy needs an active membership
    member_credentials: list[str]

    def space(self, operator: OperatorProcess) -> SpaceClient:
        return SpaceClient(operator.base_url, httpx.Client(), api_key=operator.api_key)

    def certify(self, operator: OperatorProcess, did: str, **request: Any) -> list[str]:
        body = {"participant": did, "name": did.rsplit("%3A", 1)[-1], "types": ["Membership"], **request}
        return self.space(operator).certify(body)


def install(node: NodeProcess, credentials: list[str]) -> None:
    for credential in credentials:
        response = httpx.post(
            node.base_url + "/management/v3/credentials",
            json={"credential": credential},
            headers={"X-Api-Key": node.api_key},
        )
        assert response.status_code == 201, response.text


def publish(
    provider: NodeProcess, access: list[dict[str, Any]] | Policy, *, usage: list[dict[str, Any]] | None = None
) -> str:
    """A new asset on ``provider`` gated by ``access`` (an ODRL rule list or a connect-mode policy)."""
    suffix = uuid.uuid4().hex[:8]
    asset_id = f"pack-{suffix}"
    with provider.client() as client:
        client.create_asset(asset_id, {"pack": "EU-PACK-1", "cells": "JP-NMC811"})
        if isinstance(access, list):
            client.create_policy(f"access-{suffix}", access)
        else:
            body = {**policy_document(access), "@id": f"access-{suffix}", "@type": "Set"}
            definition = {
                "@context": [*body.pop("@context"), EDC_CONTEXT],
                "@type": "PolicyDefinition",
                "@id": f"access-{suffix}",
                "policy": body,
            }
            response = httpx.post(
                provider.base_url + "/management/v3/policydefinitions",
                json=definition,
                headers={"X-Api-Key": provider.api_key},
            )
            assert response.status_code == 200, response.text
        client.create_policy(f"use-{suffix}", usage or [{"action": "use"}])
        client.create_contract_definition(f"def-{suffix}", f"access-{suffix}", f"use-{suffix}", [asset_id])
    return asset_id


def node_sees(world: World, node: NodeProcess, asset_id: str) -> bool:
    with node.client() as client:
        catalog = client.catalog(world.carmaker.dsp, world.carmaker.did)
    return asset_id in [d["@id"] for d in catalog.get("dataset", [])]


def offer_seen_by_member(
    world: World, asset_id: str, via: NodeProcess | None = None
) -> tuple[dict[str, Any], list[Any]]:
    with (via or world.member).client() as client:
        offer, contexts = first_offer(client.catalog(world.carmaker.dsp, world.carmaker.did), asset_id)
    return offer, contexts


def node_negotiates(
    world: World, node: NodeProcess, asset_id: str, via: NodeProcess | None = None
) -> dict[str, Any]:
    """``node`` asks for the offer a legitimate member (or ``via``) saw: a refused party cannot see it."""
    offer, contexts = offer_seen_by_member(world, asset_id, via)
    with node.client() as client:
        negotiation = client.negotiate(world.carmaker.dsp, world.carmaker.did, asset_id, offer, contexts)
        result: dict[str, Any] = client.wait_negotiation(negotiation)
        return result


CONNECTOR_TYPES = ["Membership", "ConnectorCertification", "Role"]
MEMBER = {  # an EU recycler with a TRUST_PLUS-certified connector
    "types": CONNECTOR_TYPES, "bpn": "BPNL00000000RCYL", "roles": ["Recycler"],
    "securityProfile": "TRUST_PLUS",
    "certificationLevel": "COMPONENT_TRUSTPLUS_SECURITY_PROFILE_CONCEPT_REVIEW",
}  # fmt: skip
BASIC = {  # an EU repairer whose connector is certified at the BASE profile only
    "types": CONNECTOR_TYPES, "bpn": "BPNL00000000REPR", "roles": ["Repairer"], "securityProfile": "BASE",
    "certificationLevel": "COMPONENT_BASE_SECURITY_PROFILE_CHECKLIST_APPROACH",
}  # fmt: skip


def start_node(name: str, root: Path, space: OperatorProcess) -> NodeProcess:
    # every exchange re-verifies (production default: 60 s), so the tests observe each change at once
    settings = {"spaces": [space.base_url], "trust_refresh_seconds": 0}
    return NodeProcess(name, free_port(), root, extra=settings).start()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("attacks")
    eu = OperatorProcess("eu-space", free_port(), root).start()
    jp = OperatorProcess("jp-space", free_port(), root).start()
    attacker = Attacker("mallory").start()
    started: list[NodeProcess] = []
    try:
        for name, space in [("eu-carmaker", eu), ("eu-recycler", eu), ("eu-repairer", eu), ("jp-cell", jp)]:
            started.append(start_node(name, root, space))
        carmaker, member, basic, cell_maker = started
        world = World(eu, jp, carmaker, member, basic, cell_maker, attacker, "", [])
        world.member_credentials = world.certify(eu, member.did, **MEMBER)
        install(member, world.member_credentials)
        install(basic, world.certify(eu, basic.did, **BASIC))
        install(cell_maker, world.certify(jp, cell_maker.did, bpn="BPNL00000000CELL"))
        world.members_only = publish(carmaker, MEMBERS_ONLY)
        yield world
    finally:
        attacker.stop()
        for node in reversed(started):
            node.stop()
        jp.stop()
        eu.stop()


@pytest.fixture
def attacker(world: World) -> Attacker:
    world.attacker.reset()
    return world.attacker


def genuine_membership(world: World, attacker: Attacker) -> tuple[str, str]:
    """A real EU MembershipCredential for the attacker's DID, as the operator issues it (token, jti)."""
    (token,) = world.certify(world.eu, attacker.did, bpn="BPNL00000000MALL")
    return token, str(unverified_payload(token)["jti"])


def assert_refused(world: World, attacker: Attacker, asset_id: str) -> dict[str, Any]:
    """Invisible in the catalog and refused at the negotiation; the carmaker queried our Credential Service
    (so the refusal comes from the credentials, not a transport failure). Returns the recorded decision."""
    assert not attacker.sees(world.carmaker, asset_id)
    offer, _ = offer_seen_by_member(world, asset_id)
    response = attacker.request_contract(world.carmaker, asset_id, offer)
    # a caller the access policy refuses is told the offer is unknown, so existence is not leaked (offers.py)
    assert response.status_code == 404, response.text
    assert "unknown offer" in response.text
    assert attacker.queries and all(q == world.carmaker.did for q in attacker.queries)
    decision = decision_of(world.carmaker, attacker.did)
    assert "membership" not in decision["claims"], decision
    return decision


# ---- the control: the harness admits a genuine credential ---------------------------------------------


def test_the_attacker_harness_with_a_genuine_membership_is_admitted(world: World, attacker: Attacker) -> None:
    token, _ = genuine_membership(world, attacker)
    attacker.reset(credentials=[token])
    assert attacker.sees(world.carmaker, world.members_only)
    offer, _ = offer_seen_by_member(world, world.members_only)
    assert attacker.request_contract(world.carmaker, world.members_only, offer).status_code == 201
    decision = decision_of(world.carmaker, attacker.did)
    assert decision["claims"]["membership"] == "active"
    assert decision["claims"]["dataSpace"] == "eu-space"
    assert decision["refusals"] == []


# ---- the matrix ------------------------------------------------------------------------------------------


def test_no_credential_presented_is_refused(world: World, attacker: Attacker) -> None:
    attacker.reset(credentials=[])  # the credential service answers an empty PresentationResponseMessage
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["no_credentials"], decision


def test_a_token_without_an_access_token_is_refused(world: World, attacker: Attacker) -> None:
    token, _ = genuine_membership(world, attacker)
    attacker.reset(credentials=[token])
    response = attacker.catalog(world.carmaker, token=attacker.token(world.carmaker.did, access=False))
    assert response.status_code == 200, response.text
    assert world.members_only not in [d["@id"] for d in response.json().get("dataset", [])]
    assert attacker.queries == []  # nothing to query with: the caller granted no access
    decision = decision_of(world.carmaker, attacker.did)
    assert refusal_reasons(decision) == ["no_access_token"], decision


def test_an_expired_credential_is_refused(world: World, attacker: Attacker) -> None:
    now = datetime.now(UTC)
    expired = mint_membership(world.eu, attacker.did, valid_from=now - days(30), valid_until=now - days(1))
    attacker.reset(credentials=[expired])
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["expired"], decision


def test_a_credential_not_yet_valid_is_refused(world: World, attacker: Attacker) -> None:
    now = datetime.now(UTC)
    future = mint_membership(world.eu, attacker.did, valid_from=now + days(1), valid_until=now + days(30))
    attacker.reset(credentials=[future])
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["not_yet_valid"], decision


def test_a_revoked_credential_is_refused_at_the_next_exchange(world: World, attacker: Attacker) -> None:
    token, jti = genuine_membership(world, attacker)
    attacker.reset(credentials=[token])
    assert attacker.sees(world.carmaker, world.members_only)  # valid until the operator revokes it
    world.space(world.eu).revoke(jti)
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["revoked"], decision
    assert jti in refusal_detail(decision, "revoked")


def test_a_credential_from_an_issuer_not_on_the_trust_list_is_refused(
    world: World, attacker: Attacker
) -> None:
    # the attacker certifies itself: a well-formed, correctly signed credential from a body nobody listed
    now = datetime.now(UTC)
    self_issued = issue_credential(
        IssuerKey.from_node_keys(attacker.keys), attacker.did, attacker.did,
        MembershipCredential("BPNL00000000MALL", "eu-space", now),
        valid_from=now, valid_until=now + days(30), status=None, now=now, jti=attacker.new_jti(),
    )  # fmt: skip
    attacker.reset(credentials=[self_issued])
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["untrusted_issuer"], decision
    assert "is not a certification body in the trust list of eu-space" in refusal_detail(
        decision, "untrusted_issuer"
    )


def test_a_credential_from_a_space_without_recognition_is_refused(world: World) -> None:
    # the cell maker is genuinely certified, but only in Japan, and the EU has not recognised Japan
    assert not node_sees(world, world.cell_maker, world.members_only)
    decision = decision_of(world.carmaker, world.cell_maker.did)
    assert "membership" not in decision["claims"]
    assert refusal_reasons(decision) == ["untrusted_issuer"], decision
    detail = refusal_detail(decision, "untrusted_issuer")
    assert f"{world.jp.certification_did} is not a certification body in the trust list of eu-space" in detail
    assert node_negotiates(world, world.cell_maker, world.members_only)["state"] == "TERMINATED"


def test_a_recognised_credential_is_accepted_until_the_recognition_is_withdrawn(world: World) -> None:
    recognition = world.space(world.eu).recognize(
        {
            "foreignOperatorDid": world.jp.did,
            "credentialTypes": ["MembershipCredential"],
            "foreignTrustListUrl": world.jp.base_url + "/space/trust-list",
            "validDays": 30,
        }
    )
    try:
        assert node_sees(world, world.cell_maker, world.members_only)  # the positive case of recognition
        accepted = decision_of(world.carmaker, world.cell_maker.did)
        assert accepted["claims"]["membership"] == "active"
        assert accepted["claims"]["dataSpace"] == "jp-space"  # a recognised member keeps its own space
        assert accepted["refusals"] == []
    finally:
        world.space(world.eu).withdraw(str(recognition["id"]), "pilot ended")
    assert not node_sees(world, world.cell_maker, world.members_only)
    decision = decision_of(world.carmaker, world.cell_maker.did)
    assert "membership" not in decision["claims"]
    assert refusal_reasons(decision) == ["untrusted_issuer"], decision
    assert "was withdrawn" in refusal_detail(decision, "untrusted_issuer")
    assert "pilot ended" in refusal_detail(decision, "untrusted_issuer")
    assert node_negotiates(world, world.cell_maker, world.members_only)["state"] == "TERMINATED"


@pytest.mark.parametrize("forgery", ["signed_with_another_key", "payload_edited_after_signing"])
def test_a_credential_with_a_forged_signature_is_refused(
    world: World, attacker: Attacker, forgery: str
) -> None:
    now = datetime.now(UTC)
    if forgery == "signed_with_another_key":
        # names the EU certification body as issuer (iss and kid) but is signed with the attacker's key
        forged = mint_membership(
            world.eu, attacker.did, valid_from=now, valid_until=now + days(30),
            signer=IssuerKey.from_node_keys(attacker.keys),
        )  # fmt: skip
    else:
        genuine, _ = genuine_membership(world, attacker)
        forged = tamper(genuine, holderIdentifier="BPNL00000000RCYL", exp=int((now + days(3650)).timestamp()))
    attacker.reset(credentials=[forged])
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["bad_signature"], decision


def test_a_credential_of_another_holder_is_refused(world: World, attacker: Attacker) -> None:
    # the recycler's genuine membership, correctly wrapped in a VP the attacker signed as the presenter
    membership = next(
        c for c in world.member_credentials if "MembershipCredential" in unverified_payload(c)["vc"]["type"]
    )
    attacker.reset(credentials=[membership])
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["presentation_invalid"], decision
    detail = refusal_detail(decision, "presentation_invalid")
    assert f"is about {world.member.did}, not the presenter {attacker.did}" in detail


def test_a_replayed_token_is_refused(world: World, attacker: Attacker) -> None:
    token, _ = genuine_membership(world, attacker)
    attacker.reset(credentials=[token])
    id_token = attacker.token(world.carmaker.did)
    first = attacker.catalog(world.carmaker, token=id_token)
    assert first.status_code == 200
    assert world.members_only in [d["@id"] for d in first.json()["dataset"]]
    replayed = attacker.catalog(world.carmaker, token=id_token)
    assert replayed.status_code == 401, replayed.text
    assert "already used (replay)" in replayed.text


def test_a_replayed_presentation_is_refused(world: World, attacker: Attacker) -> None:
    token, _ = genuine_membership(world, attacker)
    attacker.reset(credentials=[token])
    captured = attacker.presentation(world.carmaker.did)
    attacker.reset(credentials=[token], answer=lambda _a, _verifier: [captured])  # the same VP every time
    assert attacker.sees(world.carmaker, world.members_only)  # its first use is legitimate
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["presentation_invalid"], decision
    assert "already used (replay)" in refusal_detail(decision, "presentation_invalid")


def test_a_token_for_another_audience_is_refused(world: World, attacker: Attacker) -> None:
    token, _ = genuine_membership(world, attacker)
    attacker.reset(credentials=[token])
    response = attacker.catalog(world.carmaker, token=attacker.token(world.member.did))
    assert response.status_code == 401, response.text
    assert f"is not {world.carmaker.did}" in response.text
    assert attacker.queries == []  # refused before any credential was looked at


def test_a_presentation_for_another_verifier_is_refused(world: World, attacker: Attacker) -> None:
    token, _ = genuine_membership(world, attacker)
    # a genuine VP the attacker made for the recycler, forwarded to the carmaker
    attacker.reset(credentials=[token], answer=lambda a, _verifier: [a.presentation(world.member.did)])
    decision = assert_refused(world, attacker, world.members_only)
    assert refusal_reasons(decision) == ["presentation_invalid"], decision
    assert f"not for {world.carmaker.did}" in refusal_detail(decision, "presentation_invalid")


def test_a_connector_below_the_required_security_profile_is_refused(world: World) -> None:
    asset_id = publish(world.carmaker, min_security_profile("TRUST"))
    assert node_sees(world, world.member, asset_id)  # positive: certified TRUST_PLUS
    assert not node_sees(world, world.basic, asset_id)
    decision = decision_of(world.carmaker, world.basic.did)
    # its credentials were all accepted: the refusal is the policy's, on the verified profile
    assert decision["refusals"] == []
    assert decision["claims"]["securityProfile"] == "BASE"
    refused = node_negotiates(world, world.basic, asset_id)
    assert refused["state"] == "TERMINATED"
    assert "unknown offer" in refused["errorDetail"], refused


def test_a_participant_not_on_the_allow_list_is_refused(world: World, attacker: Attacker) -> None:
    asset_id = publish(world.carmaker, only_participants([world.member.did]))
    assert node_sees(world, world.member, asset_id)  # positive: listed
    assert not node_sees(world, world.basic, asset_id)  # a certified member, but not listed
    token, _ = genuine_membership(world, attacker)
    attacker.reset(credentials=[token])
    assert not attacker.sees(world.carmaker, asset_id)
    assert decision_of(world.carmaker, attacker.did)["claims"]["membership"] == "active"
    refused = node_negotiates(world, world.basic, asset_id)
    assert refused["state"] == "TERMINATED"
    assert "unknown offer" in refused["errorDetail"], refused


def test_only_participants_with_given_attributes_are_admitted(world: World) -> None:
    asset_id = publish(world.carmaker, only_with_attributes({"roles": "Recycler"}))
    assert node_sees(world, world.member, asset_id)  # positive: its RoleCredential says Recycler
    assert not node_sees(world, world.basic, asset_id)  # a Repairer
    assert decision_of(world.carmaker, world.basic.did)["claims"]["roles"] == ["Repairer"]
    assert node_negotiates(world, world.member, asset_id)["state"] == "FINALIZED"


def test_members_only_admits_certified_members(world: World) -> None:
    assert node_sees(world, world.member, world.members_only)  # positive
    assert node_sees(world, world.basic, world.members_only)
    assert node_negotiates(world, world.member, world.members_only)["state"] == "FINALIZED"


@pytest.mark.parametrize("mode", ["security_profile", "allow_list"])
def test_a_connect_mode_denial_is_explained_with_the_failed_constraint(world: World, mode: str) -> None:
    policy, operand = {
        "security_profile": (min_security_profile("TRUST"), "securityProfile"),
        "allow_list": (only_participants([world.member.did]), "participantDid"),
    }[mode]
    asset_id = publish(world.carmaker, policy)
    assert not node_sees(world, world.basic, asset_id)
    explained = decision_of(world.carmaker, world.basic.did)
    # everything but the claims themselves (which name securityProfile whatever the decision)
    denials = json.dumps({k: v for k, v in explained.items() if k != "claims"})
    policy_id = "access-" + asset_id.removeprefix("pack-")
    assert asset_id in denials or policy_id in denials, explained
    assert operand in denials, explained


class StaleClaimsServed(AssertionError):
    """The data plane served a read on claims from a credential revoked since (the node bug below)."""


def test_a_revoked_member_is_refused_on_the_data_plane(world: World, tmp_path: Path) -> None:
    leaver = start_node("eu-leaver", tmp_path, world.eu)
    try:
        (membership,) = world.certify(world.eu, leaver.did, bpn="BPNL00000000LEAV")
        install(leaver, [membership])
        asset_id = publish(world.carmaker, MEMBERS_ONLY, usage=MEMBERS_USE)
        assert node_negotiates(world, leaver, asset_id, via=leaver)["state"] == "FINALIZED"
        with leaver.client() as client:
            agreement = next(n for n in client.negotiations() if n["state"] == "FINALIZED")
            transfer = client.transfer(world.carmaker.dsp, agreement["contractAgreementId"])
            assert client.wait_transfer(transfer)["state"] == "STARTED"
            edr = client.edr(transfer)
            assert client.fetch(edr).status_code == 200  # a member reads
            world.space(world.eu).revoke(str(unverified_payload(membership)["jti"]))
            after = client.fetch(edr)
        if after.status_code == 200:
            raise StaleClaimsServed(f"read after revocation answered 200: {after.text[:200]}")
        assert after.status_code == 403, after.text
    finally:
        leaver.stop()
