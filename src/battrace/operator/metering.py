"""The operator's side of metering (issue 4 item 8, BASC §7.1 fees): members send signed monthly reports;
the operator verifies each against the member's DID document, keeps the latest per member and period, and
aggregates them per member.

Reports are computed by each node from its own transparency log (battrace.ledger.metering); the operator only
collects signed statements, so it holds no company data beyond counts.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from battrace.errors import Forbidden, InvalidInput
from battrace.ledger.metering import MeteringReport, aggregate, verify_report
from battrace.operator.files import SpaceFiles, atomic_write

METERING_DIR = "metering"


class MeteringDesk:
    def __init__(
        self, files: SpaceFiles, resolve: Callable[[str], Mapping[str, Any]], members: Callable[[], set[str]]
    ) -> None:
        self._files = files
        self._resolve = resolve
        self._members = members

    def submit(self, token: str) -> dict[str, Any]:
        """Accept a member's signed report (a newer report of the same member and period replaces the old)."""
        if not isinstance(token, str) or token.count(".") != 2:
            raise InvalidInput("a metering report is a compact JWS string")
        node = _unverified_node(token)
        if node not in self._members():
            raise Forbidden(f"{node} is not a participant of this data space")
        report = verify_report(token, self._resolve(node))
        if not _is_period(report.period):
            raise InvalidInput(f"period {report.period!r} is not YYYY-MM")
        with self._files.locked():
            folder = self._folder(report.period)
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(folder / f"{_safe(node)}.jws", token.encode("ascii"))
        return {"node": node, "period": report.period, "logSize": report.log_size}

    def totals(self, period: str) -> dict[str, dict[str, int]]:
        if not _is_period(period):
            raise InvalidInput(f"period {period!r} is not YYYY-MM")
        reports: list[MeteringReport] = []
        folder = self._folder(period)
        for path in sorted(folder.glob("*.jws")) if folder.exists() else []:
            token = path.read_text("ascii").strip()
            node = _unverified_node(token)
            reports.append(
                verify_report(token, self._resolve(node))
            )  # re-verified: files can be tampered with
        return aggregate(reports)

    def _folder(self, period: str) -> Path:
        return self._files.root / METERING_DIR / period


def _unverified_node(token: str) -> str:
    try:
        payload = token.split(".")[1]
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, IndexError) as error:
        raise InvalidInput("the metering report is not a readable JWS") from error
    node = body.get("node") if isinstance(body, dict) else None
    if not isinstance(node, str) or not node.startswith("did:"):
        raise InvalidInput("the metering report names no node DID")
    return node


def _is_period(period: str) -> bool:
    return (
        len(period) == 7
        and period[4] == "-"
        and period[:4].isdigit()
        and period[5:].isdigit()
        and 1 <= int(period[5:]) <= 12
    )


def _safe(did: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in did)
