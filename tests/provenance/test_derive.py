from __future__ import annotations

import hashlib

import pytest

from battrace.errors import InvalidInput
from battrace.provenance import (
    MAX_INPUTS,
    BadSignature,
    DigestMismatch,
    WrongSigner,
    derive,
    sign_payload,
    verify_payload,
    verify_record,
)

from . import forge
from .conftest import T0, Party

METHOD = "sum of supplier PCF totals (kg CO2e)"


def delivered(supplier: Party, data: bytes, consumer: Party) -> str:
    """What a consumer stores after fetching ``data`` from ``supplier``: the verified delivery statement."""
    payload = sign_payload(
        data,
        keys=supplier.keys,
        signer_did=supplier.did,
        agreement_id=f"urn:uuid:agreement-{supplier.did}",
        asset_id="pcf",
        content_type="application/json",
        now=T0,
    )
    record = verify_payload(
        data,
        digest_header=payload.digest_header,
        signature=payload.signature,
        signer_document=supplier.document,
    )
    return record.signature


def test_a_derivation_records_its_inputs_method_signer_and_time(
    provider: Party, other: Party, consumer: Party
) -> None:
    a = verify_record(delivered(provider, b"12.5", consumer), signer_document=provider.document)
    b_hash = hashlib.sha256(b"30.0").hexdigest()
    total = derive(b"42.5", [a, b_hash], keys=consumer.keys, signer_did=consumer.did, method=METHOD, now=T0)
    assert total.kind == "derivation"
    assert total.sha256 == hashlib.sha256(b"42.5").hexdigest()
    assert total.inputs == (a.sha256, b_hash)
    assert (total.method, total.signer_did, total.signed_at) == (
        METHOD,
        consumer.did,
        T0.replace(microsecond=0),
    )
    assert total.agreement_id is None
    _, claims, _ = forge.parts(total.signature)
    assert set(claims) == {"kind", "sha256", "inputs", "method", "signer", "signed_at"}


def test_derived_records_chain_and_each_link_verifies_with_its_own_signer(
    provider: Party, other: Party, consumer: Party
) -> None:
    cell = derive(b"cell", [], keys=provider.keys, signer_did=provider.did, method="measured", now=T0)
    module = derive(b"module", [cell], keys=other.keys, signer_did=other.did, method="cells x 12", now=T0)
    pack = derive(
        b"pack", [module], keys=consumer.keys, signer_did=consumer.did, method="modules x 8", now=T0
    )
    assert pack.inputs == (module.sha256,) and module.inputs == (cell.sha256,)
    for record, party in ((cell, provider), (module, other), (pack, consumer)):
        assert verify_record(record.signature, signer_document=party.document) == record
    with pytest.raises(WrongSigner):
        verify_record(module.signature, signer_document=consumer.document)


def test_a_derivation_verifies_against_its_output_bytes_only(consumer: Party) -> None:
    total = derive(b"42.5", [], keys=consumer.keys, signer_did=consumer.did, method=METHOD, now=T0)
    assert verify_record(total.signature, signer_document=consumer.document, data=b"42.5") == total
    with pytest.raises(DigestMismatch):
        verify_record(total.signature, signer_document=consumer.document, data=b"42.6")


def test_a_derivation_with_a_changed_input_list_breaks_the_signature(consumer: Party) -> None:
    inputs = [hashlib.sha256(b"a").hexdigest(), hashlib.sha256(b"b").hexdigest()]
    total = derive(b"ab", inputs, keys=consumer.keys, signer_did=consumer.did, method=METHOD, now=T0)
    _, claims, _ = forge.parts(total.signature)
    dropped = forge.with_claims(total.signature, {**claims, "inputs": inputs[:1]})
    with pytest.raises(BadSignature):
        verify_record(dropped, signer_document=consumer.document)


@pytest.mark.parametrize("bad", ["ABC", "0" * 63, "G" * 64, hashlib.sha256(b"x").hexdigest().upper()])
def test_an_input_that_is_not_a_lowercase_sha256_is_refused(consumer: Party, bad: str) -> None:
    with pytest.raises(InvalidInput, match="SHA-256"):
        derive(b"out", [bad], keys=consumer.keys, signer_did=consumer.did, method=METHOD, now=T0)


def test_a_value_cannot_be_its_own_input(consumer: Party) -> None:
    with pytest.raises(InvalidInput, match="own input"):
        derive(
            b"out",
            [hashlib.sha256(b"out").hexdigest()],
            keys=consumer.keys,
            signer_did=consumer.did,
            method=METHOD,
            now=T0,
        )


def test_a_derivation_needs_a_method(consumer: Party) -> None:
    with pytest.raises(InvalidInput, match="method"):
        derive(b"out", [], keys=consumer.keys, signer_did=consumer.did, method="", now=T0)


def test_too_many_inputs_are_refused(consumer: Party) -> None:
    inputs = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(MAX_INPUTS + 1)]
    with pytest.raises(InvalidInput, match=str(MAX_INPUTS)):
        derive(b"out", inputs, keys=consumer.keys, signer_did=consumer.did, method=METHOD, now=T0)
    derive(b"out", inputs[:MAX_INPUTS], keys=consumer.keys, signer_did=consumer.did, method=METHOD, now=T0)
