"""One contract for every ProvenanceStore (EDC style): the lead's DB store should run these too."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from battrace.errors import InvalidInput
from battrace.provenance import (
    DirectoryProvenanceStore,
    MalformedSignature,
    MemoryProvenanceStore,
    Provenance,
    ProvenanceStore,
    derive,
    sign_payload,
    verify_record,
)

from .conftest import T0, Party

StoreFactory = Callable[[], ProvenanceStore]


@pytest.fixture(params=["memory", "directory"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    if request.param == "memory":
        store = MemoryProvenanceStore()
        return lambda: store
    return lambda: DirectoryProvenanceStore(tmp_path / "provenance")


def delivery(party: Party, data: bytes, agreement: str = "urn:uuid:a") -> Provenance:
    payload = sign_payload(
        data,
        keys=party.keys,
        signer_did=party.did,
        agreement_id=agreement,
        asset_id="asset",
        content_type="text/plain",
        now=T0,
    )
    return verify_record(payload.signature, signer_document=party.document)


def test_an_unknown_hash_has_no_records(make_store: StoreFactory) -> None:
    assert list(make_store().records(hashlib.sha256(b"nothing").hexdigest())) == []


def test_records_come_back_equal_in_the_order_added(make_store: StoreFactory, provider: Party) -> None:
    first = delivery(provider, b"x", "urn:uuid:first")
    second = delivery(provider, b"x", "urn:uuid:second")
    derived = derive(b"x", [], keys=provider.keys, signer_did=provider.did, method="measured", now=T0)
    store = make_store()
    for record in (first, second, derived):
        store.add(record)
    assert list(make_store().records(first.sha256)) == [first, second, derived]


def test_adding_the_same_statement_twice_keeps_one(make_store: StoreFactory, provider: Party) -> None:
    record = delivery(provider, b"x")
    store = make_store()
    store.add(record)
    store.add(record)
    assert list(store.records(record.sha256)) == [record]


def test_a_record_that_differs_from_its_signed_statement_is_refused(
    make_store: StoreFactory, provider: Party
) -> None:
    record = delivery(provider, b"x")
    with pytest.raises(InvalidInput, match="differs"):
        make_store().add(dataclasses.replace(record, agreement_id="urn:uuid:edited"))
    with pytest.raises(MalformedSignature):
        make_store().add(dataclasses.replace(record, signature="not a jws"))
    assert list(make_store().records(record.sha256)) == []


def test_the_directory_store_persists_statements_as_their_jws(tmp_path: Path, provider: Party) -> None:
    record = delivery(provider, b"x")
    DirectoryProvenanceStore(tmp_path).add(record)
    document = json.loads((tmp_path / f"{record.sha256}.json").read_text())
    assert document == {"statements": [record.signature]}
    assert list(DirectoryProvenanceStore(tmp_path).records(record.sha256)) == [record]
    assert [p.name for p in tmp_path.iterdir()] == [f"{record.sha256}.json"]  # no temporary file left


@pytest.mark.parametrize("name", ["../escape", "A" * 64, "", "0" * 63 + "/"])
def test_the_directory_store_names_files_only_by_hash(tmp_path: Path, name: str) -> None:
    with pytest.raises(InvalidInput, match="SHA-256"):
        DirectoryProvenanceStore(tmp_path / "store").records(name)


def test_a_corrupt_provenance_file_is_reported(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    (tmp_path / f"{digest}.json").write_text('{"statements": [1]}')
    with pytest.raises(InvalidInput, match="not a provenance file"):
        DirectoryProvenanceStore(tmp_path).records(digest)
