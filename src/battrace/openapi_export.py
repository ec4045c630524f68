"""Write the OpenAPI documents of every battrace HTTP surface to a directory.

    python -m battrace.openapi_export OUTDIR

writes ``OUTDIR/node.openapi.json`` (a company node: well-known documents, DSP, management, data plane,
passports, registry, apps) and ``OUTDIR/operator.openapi.json`` (a data-space operator: trust list,
directory, certification, recognition, witness, metering). Both are built from throw-away instances in a
temporary directory (fresh keys, an empty SQLite database, an empty space), so the export needs no running
node and no network.

What it deliberately does not do: it does not validate the documents (tests/docs/test_openapi_export.py
checks their structure), and the documents describe routes only as FastAPI sees them: routes that read
their bodies by hand (most DSP and management routes, to keep JSON-LD intact) show no request schema.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from battrace.clock import system_clock
from battrace.connector.config import NodeSettings
from battrace.connector.node import Node

Exporter = Callable[[Path], dict[str, Any]]


def node_openapi(work_dir: Path) -> dict[str, Any]:
    """The company node's OpenAPI (what ``GET /openapi.json`` of a running node answers)."""
    from battrace.http.app import create_app

    settings = NodeSettings(name="openapi", data_dir=work_dir / "node", api_key="export", dev=True)
    node = Node(settings)
    try:
        schema: dict[str, Any] = create_app(node, manage_lifecycle=False).openapi()
    finally:
        node.http.close()
        node.store.dispose()
    return schema


def operator_openapi(work_dir: Path) -> dict[str, Any]:
    """The data-space operator's OpenAPI (it serves no /openapi.json route of its own)."""
    from battrace.operator.client import operator_for
    from battrace.operator.http import create_app
    from battrace.operator.service import init_space

    space_dir = work_dir / "space"
    init_space(
        space_dir, name="openapi", public_url="http://127.0.0.1:8201", api_key="export", clock=system_clock
    )
    with httpx.Client() as http:
        schema: dict[str, Any] = create_app(operator_for(space_dir, http)).openapi()
    return schema


SURFACES: dict[str, Exporter] = {"node": node_openapi, "operator": operator_openapi}


def export(out_dir: Path) -> list[Path]:
    """Write one ``<surface>.openapi.json`` per surface into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="battrace-openapi-") as scratch:
        for surface, build in SURFACES.items():
            target = out_dir / f"{surface}.openapi.json"
            schema = build(Path(scratch) / surface)
            target.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", "utf-8")
            written.append(target)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m battrace.openapi_export OUTDIR", file=sys.stderr)
        return 2
    for path in export(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
