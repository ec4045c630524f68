"""The Tractus-X DTR lookup integration cases, replayed step by step against battrace's router.

Each case folder holds numbered steps (request.json, expected-response.json); a case runs on a fresh registry.
`expectedPayload` is compared whole; `assertions` use a small JSON-path subset ($.a.b[0].c) and four checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import FIXTURES

CASES = FIXTURES / "dtr" / "integrationtests-lookup"


def _steps(case: Path) -> list[Path]:
    return sorted((p for p in case.iterdir() if p.is_dir()), key=lambda p: int(p.name.split("_")[0]))


def _path(document: Any, path: str) -> tuple[bool, Any]:
    assert path.startswith("$"), path
    node = document
    for part in path[1:].replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(node, list) or index >= len(node):
                return False, None
            node = node[index]
        else:
            if not isinstance(node, dict) or part not in node:
                return False, None
            node = node[part]
    return True, node


def _check(assertion: dict[str, Any], body: Any) -> None:
    found, value = _path(body, assertion["jsonPath"])
    checks = set(assertion) - {"jsonPath"}
    assert len(checks) == 1, f"unknown assertion shape {assertion}"
    (check,) = checks
    if check == "exists":
        assert found is assertion["exists"], assertion
    elif check == "equals":
        assert found and value == assertion["equals"], (assertion, value)
    elif check == "hasSize":
        assert found and len(value) == assertion["hasSize"], (assertion, value)
    elif check == "isEmpty":
        assert found and (len(value) == 0) is assertion["isEmpty"], (assertion, value)
    elif check == "hasItem":
        assert found and assertion["hasItem"] in value, (assertion, value)
    else:
        pytest.fail(f"assertion kind {check!r} is not supported by this replay")


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()))
def test_tractusx_dtr_lookup_case_passes(case: str, client: TestClient) -> None:
    steps = _steps(CASES / case)
    assert steps
    for step in steps:
        request = json.loads((step / "request.json").read_text())
        expected = json.loads((step / "expected-response.json").read_text())
        response = client.request(
            request["method"],
            request["url"],
            json=request["body"] if request["body"] is not None else None,
            headers={"X-Tenant": request["tenant"]},
        )
        assert response.status_code == expected["status"], (step.name, response.text)
        body = response.json() if expected["content"] else None
        if expected["expectedPayload"] is not None:
            assert body == expected["expectedPayload"], step.name
        for assertion in expected["assertions"]:
            _check(assertion, body)


def test_replay_checks_every_case_folder_it_was_given() -> None:
    # Guards the parametrisation above against an empty fixture folder.
    assert len(list(CASES.iterdir())) == 5
