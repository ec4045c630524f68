"""The company console's pages show what the node holds, escaped, paginated, and nothing of its secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from battrace.connector.node import Node
from battrace.connector.records import Agreement, Asset, Negotiation
from battrace.store.documents import put_document

from .conftest import COMPANY_KEY, log_in

HOSTILE = '<script>alert("x")</script>'
PEER = "did:web:peer.example"
T = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _agreement(node: Node, number: int) -> None:
    """A finalised negotiation and its agreement, as a provider would hold them."""
    at = T + timedelta(minutes=number)
    with node.store.transaction() as tx:
        tx.insert_negotiation(
            Negotiation(
                f"neg-{number:03d}", "PROVIDER", "FINALIZED", f"c-{number}", f"p-{number}", PEER,
                "https://peer.example/dsp", None, "asset-1", f"agr-{number:03d}", None, at, at,
            )
        )  # fmt: skip
        tx.insert_agreement(
            Agreement(f"agr-{number:03d}", f"neg-{number:03d}", "asset-1", node.did, PEER, {}, at)
        )


def test_the_overview_names_the_node_and_counts_what_it_holds(company: TestClient, node: Node) -> None:
    _agreement(node, 1)
    log_in(company, COMPANY_KEY)
    page = company.get("/console").text
    assert node.did in page and "acme" in page
    # one agreement and one negotiation were stored: the "At a glance" table counts 1 for each
    assert '<th scope="row">Agreements</th><td>1</td>' in page.replace("\n", "").replace("  ", "")


def test_values_from_other_companies_are_escaped_and_secrets_of_data_addresses_hidden(
    company: TestClient, node: Node
) -> None:
    address = {"type": "HttpData", "baseUrl": "https://backend.example", "authCode": "s3cret-backend-token"}
    with node.store.transaction() as tx:
        tx.add_asset(Asset(HOSTILE, {"name": HOSTILE}, address, T))
    log_in(company, COMPANY_KEY)
    page = company.get("/console/assets").text
    assert HOSTILE not in page
    assert "&lt;script&gt;" in page
    assert "https://backend.example" in page and "s3cret-backend-token" not in page


def test_agreements_are_listed_newest_first_twenty_to_a_page(company: TestClient, node: Node) -> None:
    for number in range(1, 26):  # 25 agreements: page 0 shows 25..6, page 1 shows 5..1
        _agreement(node, number)
    log_in(company, COMPANY_KEY)
    first = company.get("/console/contracts").text
    assert "agr-025" in first and "agr-006" in first and "agr-005" not in first
    assert first.index("agr-025") < first.index("agr-024")
    assert "1–20 / 25" in first and "a=1" in first
    second = company.get("/console/contracts?a=1").text
    agreements = second.split('id="agreements"')[1].split("</section>")[0]
    assert "agr-005" in agreements and "agr-001" in agreements and "agr-006" not in agreements


def test_the_log_page_shows_the_checkpoint_and_the_entries_to_the_keyholder(
    company: TestClient, node: Node
) -> None:
    with node.store.transaction() as tx:
        node.log.append(tx, "pcf.published", {"id": "pcf-1", "sha256": "ab" * 32})
    node.log.checkpoint()
    log_in(company, COMPANY_KEY)
    page = company.get("/console/log").text
    assert node.log.latest_checkpoint() is not None
    assert node.log.origin in page  # the signed note's first line is the origin
    assert "pcf.published" in page and "pcf-1" in page


def test_app_documents_are_summarised_per_app_with_their_last_change(company: TestClient, node: Node) -> None:
    with node.store.transaction() as tx:
        put_document(tx, "pcf", "footprint", "f-1", {"x": 1}, T)
        put_document(tx, "pcf", "footprint", "f-2", {"x": 2}, T + timedelta(days=1))
    log_in(company, COMPANY_KEY)
    page = company.get("/console/apps").text
    row = page.split('<th scope="row">pcf</th>')[1].split("</tr>")[0]
    assert "<td>2</td>" in row and "2026-03-02 09:00:00 UTC" in row
    assert '<th scope="row">soh</th>' in page  # an app without documents still shows, with zero


def test_the_passport_list_links_each_passport_to_its_viewer_page(company: TestClient, node: Node) -> None:
    from battrace.passport.attributes import BatteryCategory
    from battrace.passport.samples import ev_item_values, ev_model_values
    from battrace.passport.service import NewModel, NewPassport

    node.passports.register_model(
        NewModel("urn:battrace:model:console", BatteryCategory("ev"), ev_model_values())
    )
    issued = node.passports.issue([NewPassport("urn:battrace:model:console", ev_item_values("C-1"))])
    (passport_id,) = issued.passport_ids
    log_in(company, COMPANY_KEY)
    page = company.get("/console/passports").text
    assert f'href="/passport/{passport_id}?lang=en"' in page
    assert "original" in page
