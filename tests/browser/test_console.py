"""The consoles in Debian's Chromium: a real operator and two real company nodes (processes on loopback) that
negotiate and transfer, then each console is read through the browser as its operator would read it.

Screenshots go to the pytest tmp dir (``console-screenshots``); their paths are printed (``-s`` shows them).
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from battrace.client import first_offer
from battrace.devnet import NodeProcess
from battrace.operator.client import SpaceClient
from battrace.operator.devnet import OperatorProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.integration
# Generous: three Python processes start at once; on a loaded two-core machine one may take half a minute.
STARTUP_TIMEOUT = 60.0
MEMBERS_ONLY = [
    {
        "action": "access",
        "constraint": [{"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"}],
    }
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Space:
    operator: OperatorProcess
    carmaker: NodeProcess  # provider
    recycler: NodeProcess  # consumer
    agreement: str
    transfer: str
    shots: Path


def _certify(operator: OperatorProcess, node: NodeProcess, name: str, bpn: str) -> None:
    with httpx.Client() as http:
        space = SpaceClient(operator.base_url, http, api_key=operator.api_key)
        for credential in space.certify(
            {"participant": node.did, "name": name, "bpn": bpn, "types": ["Membership"]}
        ):
            stored = http.post(
                node.base_url + "/management/v3/credentials",
                json={"credential": credential},
                headers={"X-Api-Key": node.api_key},
            )
            assert stored.status_code == 201, stored.text


def _trade(carmaker: NodeProcess, recycler: NodeProcess) -> tuple[str, str]:
    """The carmaker offers a members-only dataset; the recycler (a member) agrees and starts a transfer."""
    asset_id = "pack-data-console"
    with carmaker.client() as client:
        client.create_asset(asset_id, {"pack": "EU-PACK-1"})
        client.create_policy("members", MEMBERS_ONLY)
        client.create_policy("use", [{"action": "use"}])
        client.create_contract_definition("members-def", "members", "use", [asset_id])
    with recycler.client() as client:
        offer, contexts = first_offer(client.catalog(carmaker.dsp, carmaker.did), asset_id)
        negotiation = client.wait_negotiation(
            client.negotiate(carmaker.dsp, carmaker.did, asset_id, offer, contexts)
        )
        assert negotiation["state"] == "FINALIZED", negotiation
        agreement = str(negotiation["contractAgreementId"])
        transfer = client.transfer(carmaker.dsp, agreement)
        assert client.wait_transfer(transfer)["state"] == "STARTED"
    return agreement, transfer


def _report_usage(operator: OperatorProcess, node: NodeProcess, period: str) -> None:
    command = [sys.executable, "-m", "battrace.cli", "metering", "report", period, "--data-dir",
               str(node.data_dir), "--did", node.did, "--send-to", operator.base_url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Space]:
    """THE place the processes start (together, to keep the test short) and trade once."""
    root = tmp_path_factory.mktemp("console")
    operator = OperatorProcess("console-space", _free_port(), root)
    members = {"spaces": [operator.base_url], "trust_refresh_seconds": 0}
    carmaker = NodeProcess("console-carmaker", _free_port(), root, extra=dict(members))
    recycler = NodeProcess("console-recycler", _free_port(), root, extra=dict(members))
    processes: list[NodeProcess | OperatorProcess] = [operator, carmaker, recycler]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda p: p.start(timeout=STARTUP_TIMEOUT), processes))
        _certify(operator, carmaker, "Carmaker AG", "BPNL00000000CARM")
        _certify(operator, recycler, "Recycler <GmbH>", "BPNL00000000RCYL")  # markup in a name: escaped
        agreement, transfer = _trade(carmaker, recycler)
        period = datetime.now(UTC).strftime("%Y-%m")
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda n: _report_usage(operator, n, period), (carmaker, recycler)))
        polled = httpx.post(
            operator.base_url + "/space/witness/poll", headers={"X-Api-Key": operator.api_key}, timeout=30
        )
        assert polled.status_code == 200, polled.text
        yield Space(operator, carmaker, recycler, agreement, transfer, root / "console-screenshots")
    finally:
        for process in processes:
            process.stop()


def _log_in(page: Page, base_url: str, key: str) -> None:
    page.goto(base_url + "/console")
    assert page.url.startswith(base_url + "/console/login")
    page.get_by_label("Management API key").fill(key)
    page.get_by_role("button", name="Log in").click()


def _shot(page: Page, space: Space, name: str) -> Path:
    space.shots.mkdir(parents=True, exist_ok=True)
    path = space.shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def _accessible_basics(page: Page) -> None:
    """What a missing landmark, heading or label would break for a screen reader user."""
    assert page.locator("html").get_attribute("lang") in {"en", "ja"}
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() == 1
    assert page.title()
    for table in page.locator("table").all():
        assert table.locator("caption").count() == 1
        assert table.locator("thead th:not([scope='col'])").count() == 0
    for field in page.locator("input:not([type='hidden'])").all():
        field_id = field.get_attribute("id")
        assert field_id and page.locator(f"label[for='{field_id}']").count() == 1


@pytest.fixture
def fresh(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_wrong_key_is_refused_and_the_login_form_is_accessible(space: Space, fresh: Page) -> None:
    _log_in(fresh, space.carmaker.base_url, "not-the-key")
    assert fresh.get_by_role("alert").inner_text() == "The key was not accepted."
    _accessible_basics(fresh)
    fresh.goto(space.carmaker.base_url + "/console/contracts")
    assert "/console/login" in fresh.url  # still no session


def test_both_companies_see_the_agreement_and_the_transfer_in_their_console(
    space: Space, fresh: Page
) -> None:
    for node, role in ((space.carmaker, "PROVIDER"), (space.recycler, "CONSUMER")):
        _log_in(fresh, node.base_url, node.api_key)
        assert fresh.get_by_role("heading", level=1).inner_text() == "Overview"
        _accessible_basics(fresh)
        fresh.get_by_role("link", name="Agreements and transfers").click()
        agreements = fresh.get_by_role("table", name="Agreements")
        assert space.agreement in agreements.inner_text()
        transfers = fresh.get_by_role("table", name="Transfers")
        assert role in transfers.inner_text() and "STARTED" in transfers.inner_text()
        _accessible_basics(fresh)
        _shot(fresh, space, f"company-{node.name}-contracts")
        fresh.get_by_role("link", name="Transparency log").click()
        assert (
            "negotiation" in fresh.locator("#entries").inner_text()
            or "agreement" in fresh.locator("#entries").inner_text()
        )
        _accessible_basics(fresh)
    _shot(fresh, space, "company-log")


def test_the_operator_sees_both_members_in_the_witness_and_metering_views(space: Space, fresh: Page) -> None:
    _log_in(fresh, space.operator.base_url, space.operator.api_key)
    _accessible_basics(fresh)
    fresh.get_by_role("link", name="Participants").click()
    directory = fresh.get_by_role("table", name="Directory").inner_text()
    assert "Recycler <GmbH>" in directory and space.carmaker.did in directory  # shown as text, not markup
    assert fresh.get_by_role("table", name="Issued credentials").inner_text().count("active") >= 2
    _accessible_basics(fresh)
    fresh.get_by_role("link", name="Witness").click()
    members = fresh.get_by_role("table", name="Members' logs")
    for node in (space.carmaker, space.recycler):
        row = members.get_by_role("row").filter(has_text=node.did)
        assert "ok" in row.inner_text().split(), row.inner_text()
    _accessible_basics(fresh)
    _shot(fresh, space, "operator-witness")
    fresh.get_by_role("link", name="Metering").click()
    usage = fresh.locator("#metering table")
    header = [h.inner_text() for h in usage.locator("thead th").all()]
    column = header.index("agreements")
    for node in (space.carmaker, space.recycler):
        cells = usage.get_by_role("row").filter(has_text=node.did).locator("th, td").all_inner_texts()
        assert int(cells[column]) >= 1, (node.name, cells)  # one agreement each side (provider, consumer)
    _accessible_basics(fresh)
    _shot(fresh, space, "operator-metering")


def test_the_operator_console_speaks_japanese_and_logging_out_ends_the_session(
    space: Space, fresh: Page
) -> None:
    _log_in(fresh, space.operator.base_url, space.operator.api_key)
    fresh.get_by_role("link", name="日本語").click()
    assert fresh.locator("html").get_attribute("lang") == "ja"
    assert fresh.get_by_role("heading", level=1).inner_text() == "概要"
    _accessible_basics(fresh)
    fresh.get_by_role("button", name="ログアウト").click()
    assert "/console/login" in fresh.url
    fresh.goto(space.operator.base_url + "/console/participants")
    assert "/console/login" in fresh.url  # the cookie is gone
