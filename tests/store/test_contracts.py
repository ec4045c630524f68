"""Store contract for contracts rendered from templates: the record round-trips exactly, each party's
signature is recorded once, and a contract definition keeps its template and parameters (both backends)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from battrace.connector.records import Contract
from battrace.errors import Conflict, InvalidInput
from battrace.store import Store

from .factories import at, contract_definition


def contract(agreement_id: str | None = None) -> Contract:
    return Contract(
        agreement_id=agreement_id or f"urn:uuid:{uuid.uuid4()}",  # unique: PostgreSQL tables are shared
        template_id="battery-data-exchange-v1",
        version="1.0.0",
        markdown="# Battery data exchange agreement\n\nZellchemie Ø 18650 — « clause » 1\n" * 200,
        html="<!DOCTYPE html><html><body><h1>Battery</h1></body></html>\n",
        sha256="ab" * 32,
        provider_signature="header.payload.provider",
        consumer_signature=None,
        created_at=at(3),
    )


def test_a_contract_reads_back_exactly_as_stored(store: Store) -> None:
    stored = contract()
    with store.transaction() as tx:
        tx.insert_contract(stored)
    with store.read() as tx:
        assert tx.get_contract(stored.agreement_id) == stored
        assert tx.get_contract("urn:uuid:unknown") is None


def test_a_second_contract_for_the_same_agreement_is_a_conflict(store: Store) -> None:
    stored = contract()
    with store.transaction() as tx:
        tx.insert_contract(stored)
        with pytest.raises(Conflict):
            tx.insert_contract(replace(stored, sha256="cd" * 32))
        assert tx.get_contract(stored.agreement_id) == stored  # the savepoint kept the transaction usable


def test_the_consumer_signature_is_recorded_once_and_never_replaced(store: Store) -> None:
    stored = contract()
    with store.transaction() as tx:
        tx.insert_contract(stored)
    with store.transaction() as tx:
        assert tx.add_contract_signature(stored.agreement_id, "CONSUMER", "header.payload.first")
    with store.transaction() as tx:
        assert not tx.add_contract_signature(stored.agreement_id, "CONSUMER", "header.payload.second")
        assert not tx.add_contract_signature(stored.agreement_id, "PROVIDER", "header.payload.other")
    with store.read() as tx:
        assert tx.get_contract(stored.agreement_id) == replace(
            stored, consumer_signature="header.payload.first"
        )


def test_a_provider_signature_can_be_added_to_a_contract_stored_without_one(store: Store) -> None:
    stored = replace(contract(), provider_signature=None)
    with store.transaction() as tx:
        tx.insert_contract(stored)
        assert tx.add_contract_signature(stored.agreement_id, "PROVIDER", "header.payload.p")
        assert tx.get_contract(stored.agreement_id) == replace(stored, provider_signature="header.payload.p")


def test_signing_an_unknown_contract_or_as_an_unknown_role_changes_nothing(store: Store) -> None:
    with store.transaction() as tx:
        assert not tx.add_contract_signature("urn:uuid:unknown", "CONSUMER", "x.y.z")
        with pytest.raises(InvalidInput):
            tx.add_contract_signature("urn:uuid:unknown", "AUDITOR", "x.y.z")


def test_a_contract_definition_keeps_its_template_and_parameters(store: Store) -> None:
    parameters = {"purposes": ["one"], "liability_cap_amount": 250000, "exclude_cisg": False}
    plain = contract_definition(f"cd-{uuid.uuid4().hex[:8]}")
    templated = replace(
        contract_definition(f"cd-{uuid.uuid4().hex[:8]}"),
        contract_template="battery-data-exchange-v1",
        contract_parameters=parameters,
    )
    with store.transaction() as tx:
        tx.add_contract_definition(plain)
        tx.add_contract_definition(templated)
    with store.read() as tx:
        assert tx.get_contract_definition(templated.id) == templated
        assert tx.get_contract_definition(plain.id) == plain
        assert plain.contract_template is None and plain.contract_parameters is None
