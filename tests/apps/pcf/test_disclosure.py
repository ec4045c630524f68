from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.apps.pcf import (
    Disclosure,
    Footprint,
    Granularity,
    Stage,
    canonical_json,
    digest,
    disclose,
    parse_disclosure,
    sign_footprint,
)
from battrace.errors import InvalidInput
from battrace.identity import NodeKeys
from battrace.identity.did import did_document
from battrace.provenance import sha256_hex, verify_record

from ._builders import dqr, footprint, own, received

SUPPLIER_DID = "did:web:cathode.example"
CONFIDENTIAL_SPLIT = {"own", "purchased", "inputs"}
QUALITY = {"dqr", "dqr_coverage", "pact_dqi", "pact_dqi_coverage", "primary_data_share", "factor_sources"}


def _result() -> Footprint:
    split = {Stage.RAW_MATERIAL: Decimal(6), Stage.PRODUCTION: Decimal(4)}
    return footprint(
        own(raw="3", production="2", primary="5", tag="own-activities"),
        received("10", "2", quality=dqr("2", "3", "1"), pds="40", stages=split),
        own_dqr=dqr("1", "1", "1"),
    )


def _present(disclosure: Disclosure) -> set[str]:
    return {name for name in Disclosure.model_fields if getattr(disclosure, name) is not None}


def test_a_total_only_recipient_sees_the_total_and_nothing_about_suppliers_or_split() -> None:
    shown = disclose(_result(), Granularity.TOTAL)
    assert _present(shown) == {
        "granularity",
        "product_id",
        "declared_unit",
        "total",
        "reference_period_start",
        "reference_period_end",
    }
    assert shown.total == Decimal(25)  # 3 + 2 + 2 x 10


def test_each_granularity_adds_exactly_its_own_fields() -> None:
    result = _result()
    total = _present(disclose(result, Granularity.TOTAL))
    quality = _present(disclose(result, Granularity.DATA_QUALITY))
    stages = _present(disclose(result, Granularity.STAGES))
    full = _present(disclose(result, Granularity.OWN_SPLIT))
    assert quality - total == QUALITY
    assert stages - quality == {"stages"}
    assert full - stages == CONFIDENTIAL_SPLIT


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(level=st.sampled_from(list(Granularity)))
def test_disclosure_never_carries_a_field_beyond_the_granted_granularity(level: Granularity) -> None:
    shown = disclose(_result(), level)
    wire = canonical_json(shown).decode()
    if not level.includes(Granularity.OWN_SPLIT):
        assert CONFIDENTIAL_SPLIT.isdisjoint(_present(shown))
        assert '"own"' not in wire and '"purchased"' not in wire and '"inputs"' not in wire
        # the supplier payload's digest would let a recipient holding the same payload identify the supplier
        assert sha256_hex(b"supplier") not in wire
    if not level.includes(Granularity.STAGES):
        assert '"stages"' not in wire
    if not level.includes(Granularity.DATA_QUALITY):
        assert QUALITY.isdisjoint(_present(shown)) and "TeR" not in wire


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(level=st.sampled_from(list(Granularity)))
def test_a_disclosure_round_trips_through_its_canonical_json(level: Granularity) -> None:
    shown = disclose(_result(), level)
    assert parse_disclosure(canonical_json(shown)) == shown


def test_canonical_json_is_rfc8785_canonical_json() -> None:
    shown = disclose(
        _result().model_copy(update={"product_id": "urn:test:Zellé-\u2028-\x01"}), Granularity.OWN_SPLIT
    )
    body = shown.model_dump(mode="json", exclude_none=True)
    assert canonical_json(shown) == rfc8785.dumps(body)
    assert digest(shown) == sha256_hex(rfc8785.dumps(body))


def test_decimals_travel_as_pact_decimal_strings_without_exponents() -> None:
    shown = disclose(_result().model_copy(update={"total": Decimal("1E+3")}), Granularity.TOTAL)
    assert b'"total":"1000"' in canonical_json(shown)


def test_a_received_disclosure_with_fields_beyond_its_granularity_is_refused() -> None:
    leaked = disclose(_result(), Granularity.OWN_SPLIT).model_dump(mode="json", exclude_none=True)
    leaked["granularity"] = "total"
    with pytest.raises(InvalidInput, match="carries"):
        parse_disclosure(rfc8785.dumps(leaked))


def test_a_received_payload_that_is_not_a_disclosure_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not a carbon-footprint disclosure"):
        parse_disclosure(b'{"total": "x"}')
    with pytest.raises(InvalidInput):
        parse_disclosure(b"not json")


def test_a_signed_result_verifies_against_the_signers_did_and_names_its_inputs() -> None:
    keys = NodeKeys.generate()
    result = _result()
    now = datetime(2026, 1, 15, tzinfo=UTC)
    record = sign_footprint(result, keys=keys, signer_did=SUPPLIER_DID, now=now)
    checked = verify_record(
        record.signature, signer_document=did_document(SUPPLIER_DID, keys), data=canonical_json(result)
    )
    assert checked.kind == "derivation"
    assert checked.inputs == result.inputs
    assert checked.sha256 == digest(result)
