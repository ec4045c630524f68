"""Paths and loaders for the copied reference material in tests/fixtures/dsp (see its NOTICE.md)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dsp"
VECTORS = FIXTURES / "2025-1" / "test-vectors"


def load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


@cache
def vector_index() -> dict[str, Any]:
    index: dict[str, Any] = load(VECTORS / "index.json")
    return index


@cache
def tck_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = load(FIXTURES / "tck" / "test-cases.json")["tests"]
    return cases


def tck_case(case_id: str) -> dict[str, Any]:
    return next(c for c in tck_cases() if c["id"] == case_id)
