"""Certified participants only, and Japan–EU mutual recognition, between real operator and company nodes.

A Japanese cell maker certified only by the Japanese data space asks a European carmaker for a dataset whose
access policy requires an active membership. The carmaker's node trusts the European space. Without a
recognition the cell maker is not a member there; once the European operator recognises the Japanese space for
MembershipCredential, it is; after the recognition is withdrawn, it is refused again at the next exchange.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from battrace.devnet import NodeProcess
from battrace.operator.client import SpaceClient
from battrace.operator.devnet import OperatorProcess

pytestmark = pytest.mark.integration

MEMBERS = [
    {
        "action": "access",
        "constraint": [{"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"}],
    }
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class World:
    jp: OperatorProcess
    eu: OperatorProcess
    cell_maker: NodeProcess  # Japanese
    carmaker: NodeProcess  # European
    recycler: NodeProcess  # European

    def space(self, operator: OperatorProcess) -> SpaceClient:
        return SpaceClient(operator.base_url, httpx.Client(), api_key=operator.api_key)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("spaces")
    jp = OperatorProcess("jp-space", free_port(), root).start()
    eu = OperatorProcess("eu-space", free_port(), root).start()
    fast = {"trust_refresh_seconds": 0}  # the tests observe changes at once; production default is 60 s
    cell_maker = NodeProcess("jp-cell-maker", free_port(), root, extra={"spaces": [jp.base_url], **fast})
    carmaker = NodeProcess("eu-carmaker", free_port(), root, extra={"spaces": [eu.base_url], **fast})
    recycler = NodeProcess("eu-recycler", free_port(), root, extra={"spaces": [eu.base_url], **fast})
    nodes = [cell_maker.start(), carmaker.start(), recycler.start()]
    try:
        yield World(jp, eu, cell_maker, carmaker, recycler)
    finally:
        for node in nodes:
            node.stop()
        eu.stop()
        jp.stop()


def certify(world: World, operator: OperatorProcess, node: NodeProcess, name: str, bpn: str) -> list[str]:
    credentials = world.space(operator).certify(
        {"participant": node.did, "name": name, "bpn": bpn, "types": ["Membership"]}
    )
    for credential in credentials:
        response = httpx.post(
            node.base_url + "/management/v3/credentials",
            json={"credential": credential},
            headers={"X-Api-Key": node.api_key},
        )
        assert response.status_code == 201, response.text
    return credentials


def publish_members_only(world: World) -> str:
    with world.carmaker.client() as client:
        asset_id = f"pack-data-{free_port()}"
        client.create_asset(asset_id, {"pack": "EU-PACK-1", "cells": "JP-NMC811"})
        client.create_policy(f"members-{asset_id}", MEMBERS)
        client.create_policy(f"use-{asset_id}", [{"action": "use"}])
        client.create_contract_definition(
            f"def-{asset_id}", f"members-{asset_id}", f"use-{asset_id}", [asset_id]
        )
    return asset_id


def visible(world: World, asker: NodeProcess, asset_id: str) -> bool:
    with asker.client() as client:
        catalog = client.catalog(world.carmaker.dsp, world.carmaker.did)
    return asset_id in [d["@id"] for d in catalog.get("dataset", [])]


def test_a_member_of_the_same_space_sees_members_only_data_and_a_revoked_one_does_not(world: World) -> None:
    asset_id = publish_members_only(world)
    credentials = certify(world, world.eu, world.recycler, "Recycler GmbH", "BPNL00000000RCYL")
    assert visible(world, world.recycler, asset_id)
    jti = credentials[0].split(".")[1]
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(jti + "=" * (-len(jti) % 4)))
    world.space(world.eu).revoke(claims["jti"])
    assert not visible(world, world.recycler, asset_id)  # refused at the next exchange


def test_japan_certified_participant_is_accepted_in_europe_only_while_recognised(world: World) -> None:
    asset_id = publish_members_only(world)
    certify(world, world.jp, world.cell_maker, "Cell Maker KK", "BPNL00000000CELL")
    assert not visible(world, world.cell_maker, asset_id), "no recognition yet: not a member in the EU space"

    recognition = world.space(world.eu).recognize(
        {
            "foreignOperatorDid": world.jp.did,
            "credentialTypes": ["MembershipCredential"],
            "foreignTrustListUrl": world.jp.base_url + "/space/trust-list",
            "validDays": 30,
        }
    )
    assert visible(world, world.cell_maker, asset_id)
    with world.cell_maker.client() as client:
        from battrace.client import first_offer

        offer, contexts = first_offer(client.catalog(world.carmaker.dsp, world.carmaker.did), asset_id)
        negotiation = client.negotiate(world.carmaker.dsp, world.carmaker.did, asset_id, offer, contexts)
        assert client.wait_negotiation(negotiation)["state"] == "FINALIZED"

    world.space(world.eu).withdraw(str(recognition["id"]), "pilot ended")
    assert not visible(world, world.cell_maker, asset_id), "withdrawn: refused at the next exchange"
    # the carmaker's operator can see why: the credential was refused, the issuer no longer trusted
    explained = httpx.get(
        world.carmaker.base_url + f"/management/v3/trust/decisions/{quote(world.cell_maker.did, safe='')}",
        headers={"X-Api-Key": world.carmaker.api_key},
    ).json()
    assert "membership" not in explained["claims"]
    assert any(r["reason"] == "untrusted_issuer" for r in explained["refusals"]), explained


def test_trust_decisions_are_recorded_in_the_transparency_log(world: World) -> None:
    import time

    asset_id = publish_members_only(world)
    certify(world, world.eu, world.recycler, "Recycler Two GmbH", "BPNL00000000RCY2")
    assert visible(world, world.recycler, asset_id)
    deadline = time.monotonic() + 10
    decisions: list[dict[str, object]] = []
    while time.monotonic() < deadline and not any(
        "MembershipCredential" in d["accepted"]  # type: ignore[operator]
        for d in decisions
    ):
        size = int(httpx.get(world.carmaker.base_url + "/log/checkpoint").text.splitlines()[1])
        entries = httpx.get(
            world.carmaker.base_url + f"/log/entries?start=0&end={size}",
            headers={"X-Api-Key": world.carmaker.api_key},
        ).json()["entries"]
        decisions = [
            e["payload"]
            for e in entries
            if e["kind"] == "trust.decision" and e["payload"]["peer"] == world.recycler.did
        ]
        time.sleep(0.1)
    assert any("MembershipCredential" in d["accepted"] for d in decisions), decisions  # type: ignore[operator]


def test_members_hand_in_signed_usage_reports_and_the_operator_totals_them(world: World) -> None:
    import subprocess
    import sys
    from datetime import UTC, datetime

    period = datetime.now(UTC).strftime("%Y-%m")
    certify(world, world.eu, world.carmaker, "Carmaker AG", "BPNL00000000CARM")
    asset_id = publish_members_only(world)
    certify(world, world.eu, world.recycler, "Recycler Three GmbH", "BPNL00000000RCY3")
    assert world.recycler.client().negotiate  # the recycler is a member: it may negotiate
    with world.recycler.client() as client:
        from battrace.client import first_offer

        offer, contexts = first_offer(client.catalog(world.carmaker.dsp, world.carmaker.did), asset_id)
        negotiation = client.negotiate(world.carmaker.dsp, world.carmaker.did, asset_id, offer, contexts)
        assert client.wait_negotiation(negotiation)["state"] == "FINALIZED"

    def send(node: NodeProcess) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "battrace.cli",
                "metering",
                "report",
                period,
                "--data-dir",
                str(node.data_dir),
                "--did",
                node.did,
                "--send-to",
                world.eu.base_url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert send(world.carmaker).returncode == 0
    refused = send(world.cell_maker)  # a Japanese member is not a participant of the European space
    assert refused.returncode == 1 and "403" in refused.stdout
    totals = httpx.get(
        world.eu.base_url + f"/space/metering/{period}", headers={"X-Api-Key": world.eu.api_key}
    ).json()
    assert totals["members"][world.carmaker.did]["agreements"] >= 1
    assert world.cell_maker.did not in totals["members"]
