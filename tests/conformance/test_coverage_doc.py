"""The integration column of docs/dsp-tck-coverage.md names existing tests; no TCK id is left unexplained."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "dsp-tck-coverage.md"
TCK = ROOT / "tests" / "fixtures" / "dsp" / "tck" / "test-cases.json"
REFERENCE = re.compile(r"`conformance/(test_\w+\.py)::(test_\w+)`")


def _rows() -> dict[str, str]:
    return {line.split("|")[1].strip(): line for line in DOC.read_text("utf-8").splitlines()
            if re.match(r"^\| (CAT|CN|MET|TP)", line)}


def test_every_named_conformance_test_exists() -> None:
    references = REFERENCE.findall(DOC.read_text("utf-8"))
    assert len(references) >= 64
    for filename, name in references:
        source = (Path(__file__).parent / filename).read_text("utf-8")
        assert f"def {name}(" in source, f"{filename}::{name} named in the coverage doc does not exist"


def test_every_tck_id_is_covered_or_listed_as_a_gap() -> None:
    ids = {case["id"] for case in json.loads(TCK.read_text("utf-8"))["tests"]}
    rows = _rows()
    assert set(rows) == ids
    gaps = DOC.read_text("utf-8").split("## Gaps", 1)[1]
    for tck_id, row in rows.items():
        integration = row.rstrip(" |").rsplit("|", 1)[1]
        if "not covered" in integration:
            assert f"**{tck_id}**" in gaps, f"{tck_id} is not covered but not explained under Gaps"
        else:
            assert REFERENCE.search(integration), f"{tck_id} has no integration test"
