"""TCK MET:01-01 and CAT:01-01..03 against a real node (DSP 2025-1 §1.1, §2)."""

from __future__ import annotations

import httpx
import pytest

from battrace.devnet import NodeProcess
from battrace.dsp.validation import validate_message
from battrace.jsonld import DSP_CONTEXT, DSPACE_NS, expand

from ._flows import DATASET
from ._peer import Peer

pytestmark = pytest.mark.integration
DCAT = "http://www.w3.org/ns/dcat#"


def test_met_01_01_version_endpoint_lists_2025_1_unauthenticated(node: NodeProcess) -> None:
    response = httpx.get(node.base_url + "/.well-known/dspace-version")  # no Authorization: §1.1
    assert response.status_code == 200
    body = response.json()
    validate_message(body, "VersionResponse")
    entry = next(v for v in body["protocolVersions"] if v["version"] == "2025-1")
    assert entry["binding"] == "HTTPS"
    assert node.base_url + entry["path"] == node.dsp


def test_cat_01_01_catalog_request_lists_the_published_dataset(node: NodeProcess, peer: Peer) -> None:
    response = peer.send("/catalog/request", {"@context": [DSP_CONTEXT],
                                              "@type": "CatalogRequestMessage"})
    assert response.status_code == 200, response.text
    catalog = response.json()
    validate_message(catalog, "Catalog")
    # The TCK looks the dataset up in the *expanded* catalog (dcat:dataset), not in the compacted JSON.
    expanded = expand(catalog)[0]
    datasets = [d["@id"] for d in expanded[DCAT + "dataset"]]
    assert DATASET in datasets


def test_cat_01_02_dataset_request_returns_the_dataset(peer: Peer) -> None:
    response = peer.get(f"/catalog/datasets/{DATASET}")
    assert response.status_code == 200, response.text
    dataset = response.json()
    validate_message(dataset, "Dataset")
    assert dataset["@id"] == DATASET
    assert dataset["hasPolicy"], "a dataset offered to this participant carries at least one offer"


def test_cat_01_03_unknown_dataset_is_404_with_a_catalog_error(peer: Peer) -> None:
    response = peer.get("/catalog/datasets/urn:tck:no-such-dataset")
    assert response.status_code == 404
    body = response.json()
    validate_message(body, "CatalogError")
    expanded = expand(body)
    assert expanded[0]["@type"] == [DSPACE_NS + "CatalogError"]
