"""Descriptor validation, base64url identifiers and the Tractus-X visibility rules (pure, no store)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.registry.model import (
    BAD_BASE64,
    PUBLIC_READABLE,
    RegistryCaller,
    decode_asset_id_param,
    decode_id,
    dump,
    encode_id,
    parse_asset_links,
    parse_shell,
    parse_submodel,
    submodel_descriptor,
    view,
)

from .conftest import FIXTURES


def _fixture(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / path).read_text())
    return data


VISIBILITY = "dtr/examples/shell-descriptor-externalSubjectId-visibility.json"
MIN_REQ = "dtr/examples/shell-with-min-req-template.json"
DPP_TWIN = "dpp/battery-digital-twin-aas3-dpp-guide.json"


@pytest.mark.parametrize("path", [VISIBILITY, MIN_REQ, DPP_TWIN])
def test_published_shell_descriptors_validate_and_dump_back_unchanged(path: str) -> None:
    original = _fixture(path)
    assert dump(parse_shell(copy.deepcopy(original))) == original


def test_the_dtr_submodel_descriptor_template_validates_and_dumps_back_unchanged() -> None:
    original = _fixture("dtr/examples/submodel-descriptor-template.json")
    assert dump(parse_submodel(copy.deepcopy(original))) == original


@pytest.mark.parametrize(
    ("change", "mentions"),
    [
        ({"specificAssetID": []}, "specificAssetID"),  # a misspelt field is refused, not dropped
        ({"id": ""}, "id"),
        ({"id": "x" * 2049}, "id"),
        ({"id": 42}, "id"),
        ({"idShort": "1starts-with-a-digit"}, "idShort"),
        ({"assetKind": "Thing"}, "assetKind"),
        ({"specificAssetIds": [{"name": "n" * 65, "value": "v"}]}, "specificAssetIds.0.name"),
        ({"specificAssetIds": [{"name": "n"}]}, "specificAssetIds.0.value"),
        ({"endpoints": []}, "endpoints"),
        ({"submodelDescriptors": [{"id": "sm"}]}, "submodelDescriptors.0.endpoints"),
        ({"description": [{"language": "en", "text": ""}]}, "description.0.text"),
    ],
)
def test_an_invalid_shell_descriptor_is_refused_naming_the_field(
    change: dict[str, Any], mentions: str
) -> None:
    with pytest.raises(InvalidInput, match=mentions.replace(".", r"\.")):
        parse_shell({"id": "urn:uuid:1"} | change)


def test_a_shell_descriptor_without_id_is_refused() -> None:
    with pytest.raises(InvalidInput, match="id: Field required"):
        parse_shell({"idShort": "battery"})


def test_a_lone_surrogate_is_not_an_xml_character_and_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_shell({"id": "urn:uuid:\ud800"})


def test_a_reference_nested_thousands_deep_is_refused_without_exhausting_the_stack() -> None:
    reference: dict[str, Any] = {
        "type": "ExternalReference",
        "keys": [{"type": "GlobalReference", "value": "x"}],
    }
    for _ in range(5000):
        reference = {"type": "ExternalReference", "keys": reference["keys"], "referredSemanticId": reference}
    with pytest.raises(InvalidInput, match="nested deeper"):
        parse_shell(
            {"id": "urn:uuid:1", "specificAssetIds": [{"name": "n", "value": "v", "semanticId": reference}]}
        )


def test_aasd_116_a_specific_asset_id_named_global_asset_id_must_equal_the_global_asset_id() -> None:
    link = {"name": "globalAssetId", "value": "urn:uuid:other"}
    with pytest.raises(InvalidInput, match="AASd-116"):
        parse_shell({"id": "urn:uuid:1", "globalAssetId": "urn:uuid:g", "specificAssetIds": [link]})
    parse_shell({"id": "urn:uuid:1", "globalAssetId": "urn:uuid:other", "specificAssetIds": [link]})


def test_two_submodel_descriptors_with_one_id_are_refused() -> None:
    submodel = _fixture("dtr/examples/submodel-descriptor-template.json")
    with pytest.raises(InvalidInput, match="appears twice"):
        parse_shell({"id": "urn:uuid:1", "submodelDescriptors": [submodel, submodel]})


def test_asset_links_must_be_an_array_of_name_value_objects() -> None:
    assert [a.name for a in parse_asset_links([{"name": "n", "value": "v"}])] == ["n"]
    for bad in ({"name": "n", "value": "v"}, [{"name": "n"}], [{"name": "n", "value": "v", "x": 1}], ["n"]):
        with pytest.raises(InvalidInput):
            parse_asset_links(bad)


# -- base64url ------------------------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_an_identifier_survives_base64url_with_and_without_padding(identifier: str) -> None:
    encoded = encode_id(identifier)
    assert "=" not in encoded
    padded = encoded + "=" * (-len(encoded) % 4)
    assert decode_id(encoded) == decode_id(padded) == identifier


def test_the_padded_value_of_the_dtr_lookup_case_decodes() -> None:
    assert decode_id("eyJuYW1lIjoiaWQxIiwidmFsdWUiOiJ2YWx1ZTEifQ==") == '{"name":"id1","value":"value1"}'


@pytest.mark.parametrize("bad", ["{ invalid }", "a+b/", "abcde", "", "=", "_w", "/w=="])
def test_a_value_that_is_not_base64url_of_utf8_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        decode_id(bad)


@pytest.mark.parametrize(
    "bad", ["{ invalid }", encode_id("not json"), encode_id("[1]"), encode_id('{"name": 1}')]
)
def test_an_undecodable_asset_ids_parameter_gets_the_dtr_message_or_names_the_field(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_asset_id_param(bad)
    assert caught.value.detail == BAD_BASE64 or "name" in caught.value.detail


# -- visibility -----------------------------------------------------------------------------------------


def _visible_ids(caller: RegistryCaller) -> dict[str, list[str]] | None:
    seen = view(parse_shell(_fixture(VISIBILITY)), caller)
    if seen is None:
        return None
    return {
        a.name: [k.value for k in a.externalSubjectId.keys] if a.externalSubjectId else []
        for a in seen.specificAssetIds or ()
    }


def test_the_owner_sees_every_specific_asset_id_with_its_full_subject_list() -> None:
    assert _visible_ids(RegistryCaller(owner=True)) == {
        "partInstanceId": [],
        "customerPartId": ["BPN_COMPANY_001"],
        "manufacturerId": ["BPN_COMPANY_001", "BPN_COMPANY_002"],
        "manufacturerPartId": [PUBLIC_READABLE],
    }


def test_a_partner_sees_only_its_ids_and_never_learns_which_other_partners_may_read_them() -> None:
    assert _visible_ids(RegistryCaller(owner=False, bpn="BPN_COMPANY_002")) == {
        "manufacturerId": ["BPN_COMPANY_002"],
        "manufacturerPartId": [PUBLIC_READABLE],
    }


def test_a_partner_named_on_an_id_sees_the_whole_twin_but_a_public_reader_only_id_ids_and_submodels() -> None:
    shell = parse_shell(_fixture(VISIBILITY))
    named = view(shell, RegistryCaller(owner=False, bpn="BPN_COMPANY_001"))
    public = view(shell, RegistryCaller(owner=False, bpn="BPN_SOMEONE_ELSE"))
    assert named is not None and public is not None
    assert named.idShort == "idShortExample" and named.description
    assert set(dump(public)) == {"id", "specificAssetIds", "submodelDescriptors"}


def test_a_caller_without_bpn_sees_only_public_readable_ids() -> None:
    assert _visible_ids(RegistryCaller(owner=False)) == {"manufacturerPartId": [PUBLIC_READABLE]}


def test_public_readable_is_honoured_only_on_the_names_the_dtr_allows_to_be_public() -> None:
    subject = {"type": "ExternalReference", "keys": [{"type": "GlobalReference", "value": PUBLIC_READABLE}]}
    shell = parse_shell(
        {
            "id": "urn:uuid:1",
            "specificAssetIds": [{"name": "partInstanceId", "value": "S1", "externalSubjectId": subject}],
        }
    )
    assert view(shell, RegistryCaller(owner=False)) is None
    assert view(shell, RegistryCaller(owner=False, bpn="BPNL000000000001")) is None


def test_an_id_without_external_subject_is_owner_only() -> None:
    shell = parse_shell({"id": "urn:uuid:1", "specificAssetIds": [{"name": "partInstanceId", "value": "S1"}]})
    assert view(shell, RegistryCaller(owner=False, bpn="BPNL000000000001")) is None
    assert view(shell, RegistryCaller(owner=True)) == shell


# -- submodel descriptors pointing at DSP datasets ----------------------------------------------------------


def test_submodel_descriptor_builds_the_catena_x_dsp_pointer_of_the_published_battery_twin() -> None:
    published = _fixture(DPP_TWIN)["submodelDescriptors"][0]
    info = published["endpoints"][0]["protocolInformation"]
    asset_id, dsp = (part.split("=", 1)[1] for part in info["subprotocolBody"].split(";"))
    built = submodel_descriptor(
        published["semanticId"]["keys"][0]["value"],
        asset_id,
        dsp,
        info["href"],
        submodel_id=published["id"],
        id_short=published["idShort"],
    )
    expected = {k: v for k, v in published.items() if k not in ("description", "displayName")}
    assert dump(built) == expected
