"""Official DSP 2025-1 schemas: the 134 upstream test vectors, the official examples, peer quirks."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.dsp.validation import (
    SCHEMA_BY_TYPE,
    ensure_dsp_context,
    iter_schema_errors,
    normalise_singletons,
    schema_id,
    validate_against,
    validate_message,
)
from battrace.errors import InvalidInput
from battrace.jsonld import CX_POLICY_CONTEXT, DSP_CONTEXT

from ._fixtures import FIXTURES, VECTORS, load, vector_index

VECTOR_ENTRIES = vector_index()["vectors"]
EXAMPLES = vector_index()["examples"]
# networknt (the upstream Java validator) and python-jsonschema name this failure differently.
KEYWORD_ALIASES = {"minContains": "contains"}


def _keywords(errors: Any) -> set[str]:
    found: set[str] = set()
    for error in errors:
        found.add(error.validator)
        found |= _keywords(error.context)
    return found


def test_index_holds_134_vectors_28_of_them_valid() -> None:
    assert len(VECTOR_ENTRIES) == 134
    assert sum(v["expect"] == "valid" for v in VECTOR_ENTRIES) == 28


@pytest.mark.parametrize("vector", VECTOR_ENTRIES, ids=[v["file"] for v in VECTOR_ENTRIES])
def test_upstream_vector_is_judged_as_the_upstream_java_test_expects(vector: dict[str, Any]) -> None:
    errors = validate_against(vector["schema"], load(VECTORS / vector["file"]))
    assert (errors == []) is (vector["expect"] == "valid"), errors


KEYWORD_VECTORS = [v for v in VECTOR_ENTRIES if v["expectedFirstErrorKeyword"]]


@pytest.mark.parametrize("vector", KEYWORD_VECTORS, ids=[v["file"] for v in KEYWORD_VECTORS])
def test_invalid_vector_fails_on_the_keyword_upstream_reports(vector: dict[str, Any]) -> None:
    # The error order differs between validators, so the keyword must be among the reported errors.
    keyword = vector["expectedFirstErrorKeyword"]
    found = _keywords(iter_schema_errors(vector["schema"], load(VECTORS / vector["file"])))
    assert KEYWORD_ALIASES.get(keyword, keyword) in found


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["file"].rsplit("/", 1)[-1] for e in EXAMPLES])
def test_official_example_validates_except_the_documented_did_service_one(example: dict[str, Any]) -> None:
    errors = validate_against(example["schema"], load(FIXTURES / example["file"]))
    if example["file"].endswith("dataservice-did-service.json"):
        # Upstream inconsistency: the DID service schema demands ".../catalog" for every service type.
        assert any("pattern" in e for e in errors)
    else:
        assert errors == []


MESSAGE_EXAMPLES = [e for e in EXAMPLES if "/common/example/" not in e["file"] or "protocol" in e["file"]]


@pytest.mark.parametrize(
    "example", MESSAGE_EXAMPLES, ids=[e["file"].rsplit("/", 1)[-1] for e in MESSAGE_EXAMPLES]
)
def test_validate_message_picks_the_schema_from_the_type(example: dict[str, Any]) -> None:
    body = load(FIXTURES / example["file"])
    validate_message(body)
    assert schema_id(SCHEMA_BY_TYPE[body.get("@type", "VersionResponse")]) == schema_id(example["schema"])


def test_schema_typo_in_transfer_ref_is_repaired_at_load_time() -> None:
    # transfer-termination-message-schema.json $refs "#definitions/..." upstream; unrepaired, this raises.
    body = {"@context": [DSP_CONTEXT], "@type": "TransferTerminationMessage", "providerPid": "p"}
    assert any(
        "consumerPid" in e
        for e in validate_against("transfer/transfer-termination-message-schema.json", body)
    )


def test_schema_id_accepts_full_ids_short_names_and_local_paths() -> None:
    full = "https://w3id.org/dspace/2025/1/catalog/catalog-schema.json"
    assert (
        schema_id(full)
        == schema_id("catalog/catalog-schema.json")
        == schema_id("2025-1/catalog/catalog-schema.json")
        == full
    )


def test_unknown_schema_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        validate_against("catalog/no-such-schema.json", {})


def _offer_message() -> dict[str, Any]:
    return copy.deepcopy(load(FIXTURES / "2025-1/negotiation/example/contract-offer-message.json"))


def test_message_without_type_is_invalid_input() -> None:
    body = _offer_message()
    del body["@type"]
    with pytest.raises(InvalidInput, match="no @type"):
        validate_message(body)


def test_message_of_another_type_than_expected_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="expected a ContractRequestMessage"):
        validate_message(_offer_message(), expected_type="ContractRequestMessage")


def test_unknown_message_type_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="unsupported"):
        validate_message({"@context": [DSP_CONTEXT], "@type": "ContractWishMessage"})


def test_non_object_message_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        validate_message([1, 2])  # type: ignore[arg-type]


def test_schema_violation_lists_path_and_message_of_the_errors() -> None:
    body = _offer_message()
    del body["providerPid"]
    body["offer"]["permission"] = [{"constraint": []}]
    with pytest.raises(InvalidInput) as caught:
        validate_message(body)
    error = caught.value
    assert error.status == 400
    assert "contract-offer-message-schema.json" in error.detail
    assert any("'providerPid' is a required property" in e for e in error.extra["errors"])
    assert all(e.startswith("$") for e in error.extra["errors"])


def test_context_as_a_string_is_rejected_by_the_schema() -> None:
    body = _offer_message()
    body["@context"] = DSP_CONTEXT  # what a JSON-LD compactor emits (notes §6)
    with pytest.raises(InvalidInput, match="@context"):
        validate_message(body)


# --- peer quirks ------------------------------------------------------------------------------------


def test_tractusx_catalog_becomes_schema_valid_after_normalising_singletons() -> None:
    catalog = ensure_dsp_context(load(FIXTURES / "tractusx" / "catalog-response-2025-1.json"))
    assert validate_against("catalog/catalog-schema.json", catalog) != []
    validate_message(normalise_singletons(catalog), expected_type="Catalog")


def test_normalise_singletons_wraps_nested_policy_parts() -> None:
    catalog = normalise_singletons(load(FIXTURES / "tractusx" / "catalog-response-2025-1.json"))
    offer = catalog["dataset"][0]["hasPolicy"][0]
    assert offer["permission"][0]["constraint"][0]["leftOperand"] == "FrameworkAgreement"


def test_normalise_singletons_keeps_a_dataset_request_id_a_string() -> None:
    body = load(FIXTURES / "2025-1/catalog/example/dataset-request-message.json")
    assert normalise_singletons(body) == body


def test_normalise_singletons_drops_empty_prohibition_and_obligation_lists() -> None:
    offer = {
        "@id": "o",
        "@type": "Offer",
        "permission": {"action": "use"},
        "prohibition": [],
        "obligation": [],
    }
    assert normalise_singletons(offer) == {"@id": "o", "@type": "Offer", "permission": [{"action": "use"}]}


def test_normalise_singletons_wraps_a_string_context_and_reason_but_not_an_inline_context() -> None:
    body = {"@context": DSP_CONTEXT, "reason": "gone"}
    assert normalise_singletons(body) == {"@context": [DSP_CONTEXT], "reason": ["gone"]}
    inline = {"@context": [{"dataset": {"@id": "dcat:dataset"}}, DSP_CONTEXT]}
    assert normalise_singletons(inline) == inline


def test_normalise_singletons_does_not_mutate_its_input() -> None:
    original = load(FIXTURES / "tractusx" / "catalog-response-2025-1.json")
    before = copy.deepcopy(original)
    normalise_singletons(original)
    assert original == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["dataset", "permission", "constraint", "reason", "x", "@id"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=15,
)


@given(
    st.dictionaries(
        st.sampled_from(["dataset", "hasPolicy", "prohibition", "@context", "reason", "y"]),
        json_values,
        max_size=5,
    )
)
def test_normalise_singletons_is_idempotent(body: dict[str, Any]) -> None:
    once = normalise_singletons(body)
    assert normalise_singletons(once) == once


def test_ensure_dsp_context_appends_dsp_last_and_keeps_existing_order() -> None:
    assert ensure_dsp_context({"@context": CX_POLICY_CONTEXT})["@context"] == [CX_POLICY_CONTEXT, DSP_CONTEXT]
    assert ensure_dsp_context({"@context": [DSP_CONTEXT]})["@context"] == [DSP_CONTEXT]
    assert ensure_dsp_context({})["@context"] == [DSP_CONTEXT]
