"""`python -m battrace.openapi_export OUTDIR` writes one valid OpenAPI 3 document per HTTP surface.

Validity is checked against the OpenAPI 3.1 meta-schema that schemathesis ships (openapi-spec-validator is
not a dependency), plus what the meta-schema cannot say: operation ids are unique across the document.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from schemathesis.specs.openapi.definitions import OPENAPI_31

SURFACES = ("node", "operator")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out_dir = tmp_path_factory.mktemp("openapi")
    # The documented command, run as a user runs it (a separate process, no running node needed).
    result = subprocess.run(
        [sys.executable, "-m", "battrace.openapi_export", str(out_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {
        surface: json.loads((out_dir / f"{surface}.openapi.json").read_text("utf-8")) for surface in SURFACES
    }


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_exports_a_document_valid_against_the_openapi_3_1_meta_schema(
    exported: dict[str, dict[str, Any]], surface: str
) -> None:
    document = exported[surface]
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in Draft202012Validator(OPENAPI_31).iter_errors(document)
    ]
    assert errors == []
    assert document["openapi"].startswith("3.1.")


@pytest.mark.parametrize("surface", SURFACES)
def test_operation_ids_are_unique_so_generated_clients_do_not_collide(
    exported: dict[str, dict[str, Any]], surface: str
) -> None:
    ids = [operation["operationId"] for operation in _operations(exported[surface])]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def test_the_node_document_describes_the_protocol_management_and_passport_surfaces(
    exported: dict[str, dict[str, Any]],
) -> None:
    paths = exported["node"]["paths"]
    for path in (
        "/.well-known/dspace-version",
        "/.well-known/did.json",
        "/management/v3/assets",
        "/management/v3/passports",
        "/log/checkpoint",
    ):
        assert path in paths, path
    assert any(path.startswith("/api/dsp/2025-1/") for path in paths)


def test_the_operator_document_describes_certification_and_the_trust_list(
    exported: dict[str, dict[str, Any]],
) -> None:
    paths = exported["operator"]["paths"]
    assert {"/space/trust-list", "/space/certify", "/space/directory", "/space/recognitions"} <= set(paths)
