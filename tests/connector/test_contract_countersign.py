"""The consumer's countersignature (the ``ContractSign`` outbox sender), against a scripted provider: it signs
only a text that hashes to the agreement's binding and carries the provider's valid signature, keeps what it
signed, and a retry hands over the same signature without fetching again."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from battrace.clock import urn_uuid
from battrace.connector.context import ConnectorContext, Me
from battrace.connector.contracts import ContractService
from battrace.connector.dispatcher import Outcome, PeerClient
from battrace.connector.processes import outbox
from battrace.contracts import Parties, Party, load_example, render_contract, sign_contract
from battrace.identity import NodeKeys, StaticClaims, did_document
from battrace.store import Store

PROVIDER = "did:web:provider.example"
CONSUMER = "did:web:consumer.example"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class ScriptedProvider(PeerClient):
    """Answers GET with ``served`` and records every POST."""

    served: Outcome = field(default_factory=lambda: Outcome(404, None, "HTTP 404"))
    posted: list[Mapping[str, Any]] = field(default_factory=list)
    gets: int = 0

    def get_json(self, url: str, audience_did: str) -> Outcome:
        self.gets += 1
        return self.served

    def post_json(self, url: str, body: Mapping[str, Any], audience_did: str) -> Outcome:
        self.posted.append(body)
        return Outcome(200, {}, "HTTP 200")


@dataclass
class Documents:
    keys: dict[str, NodeKeys]

    def resolve(self, did: str) -> Mapping[str, Any]:
        return did_document(did, self.keys[did])


@dataclass
class Setup:
    service: ContractService
    provider: ScriptedProvider
    store: Store
    keys: dict[str, NodeKeys]
    agreement_id: str


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[Setup]:
    store = Store.for_data_dir(tmp_path / "node")
    store.migrate()
    keys = {did: NodeKeys.load_or_create(tmp_path / f"{i}.pem") for i, did in enumerate((PROVIDER, CONSUMER))}
    ctx = ConnectorContext(
        me=Me(CONSUMER, "http://consumer.example", name="consumer"),
        store=store,
        claims=StaticClaims({}),
        clock=lambda: NOW,
    )
    provider = ScriptedProvider()
    service = ContractService(ctx, keys[CONSUMER], provider, Documents(keys))
    try:
        yield Setup(service, provider, store, keys, urn_uuid())
    finally:
        store.dispose()


def _served(s: Setup, *, signer: str = PROVIDER, markdown_edit: str = "") -> tuple[Outcome, str]:
    example = load_example("battery-data-exchange-v1")
    parties = Parties(Party("Provider", PROVIDER), Party("Consumer", CONSUMER))
    rendered = render_contract(
        example.template_id,
        example.parameters,
        parties=parties,
        agreement_id=s.agreement_id,
        effective=NOW.date(),
    )
    jws = sign_contract(rendered, s.keys[signer], signer, now=NOW)
    body = {
        "template": rendered.template_id,
        "version": rendered.version,
        "sha256": rendered.sha256,
        "markdown": rendered.markdown + markdown_edit,
        "html": rendered.html,
        "signatures": {"provider": jws, "consumer": None},
    }
    return Outcome(200, body, "HTTP 200"), rendered.contract_hash


def _message(s: Setup, contract_hash: str) -> Any:
    body = {
        "agreement": s.agreement_id,
        "contractHash": contract_hash,
        "dspAddress": "http://p.example/api/dsp/2025-1",
    }
    return outbox("contract", s.agreement_id, "ContractSign", "", body, PROVIDER, NOW)


def test_a_faithful_contract_is_countersigned_kept_and_the_signature_handed_over(setup: Setup) -> None:
    setup.provider.served, contract_hash = _served(setup)
    outcome = setup.service.countersign(_message(setup, contract_hash))
    assert outcome.status == 200
    with setup.store.read() as tx:
        kept = tx.get_contract(setup.agreement_id)
    assert kept is not None and kept.provider_signature and kept.consumer_signature
    assert f"sha256:{kept.sha256}" == contract_hash
    assert setup.provider.posted == [{"agreement": setup.agreement_id, "signature": kept.consumer_signature}]
    signature = setup.service.verify(kept.consumer_signature, kept.sha256, setup.agreement_id, CONSUMER)
    assert signature.signer_did == CONSUMER


def test_a_retry_hands_over_the_same_signature_without_fetching_again(setup: Setup) -> None:
    setup.provider.served, contract_hash = _served(setup)
    setup.service.countersign(_message(setup, contract_hash))
    setup.service.countersign(_message(setup, contract_hash))
    assert setup.provider.gets == 1
    assert setup.provider.posted[0] == setup.provider.posted[1]


def test_a_text_that_does_not_hash_to_the_binding_is_refused(setup: Setup) -> None:
    setup.provider.served, contract_hash = _served(setup, markdown_edit="\nThe consumer pays double.\n")
    outcome = setup.service.countersign(_message(setup, contract_hash))
    assert outcome.status == 422 and "hashes to" in outcome.detail
    assert setup.provider.posted == []
    with setup.store.read() as tx:
        assert tx.get_contract(setup.agreement_id) is None


def test_a_contract_not_signed_by_the_provider_is_refused(setup: Setup) -> None:
    setup.provider.served, contract_hash = _served(setup, signer=CONSUMER)
    outcome = setup.service.countersign(_message(setup, contract_hash))
    assert outcome.status == 422 and f"no key of {PROVIDER}" in outcome.detail
    assert setup.provider.posted == []


def test_an_answer_without_a_contract_is_retried_not_taken_as_delivered(setup: Setup) -> None:
    setup.provider.served = Outcome(200, None, "HTTP 200")
    assert setup.service.countersign(_message(setup, "sha256:" + "00" * 32)).status is None
    setup.provider.served = Outcome(404, None, "HTTP 404")
    assert setup.service.countersign(_message(setup, "sha256:" + "00" * 32)).status == 404
