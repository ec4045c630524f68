"""State of health on a node (issue 7): a fleet operator uploads a BMS/OBD export for batteries whose
passports live on another company's node (the OEM's), assesses it, and writes the resulting Annex VII
measurements to those passports as a party the OEM mandated (Art. 77(4): over the OEM's participant API
with this node's self-issued token).

The export is checked whole before anything is sent: every battery must map to a passport, a CSV export's
nameplates come from the passports themselves (rated capacity, voltage... are public attributes), and every
measurement passes the passport's own checks (apps/soh/passport.py). Writes to another node cannot share a
transaction with ours; they go battery by battery, and the assessment record kept here says which landed,
so a retry after a refusal sends only what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from battrace.apps.soh.assess import Assessment, assess, report
from battrace.apps.soh.ingest import parse_csv, parse_json
from battrace.apps.soh.passport import api_body, measurements
from battrace.apps.soh.series import Nameplate, Readings, nameplate_from_passport
from battrace.connector.node import Node
from battrace.connector.urls import check_peer_url
from battrace.errors import BadGateway, BattraceError, Forbidden, InvalidInput, NotFound
from battrace.identity import did_web_document_url
from battrace.store.documents import get_document, put_document

APP = "soh"
FORMATS = ("csv", "json")


class PassportNodeFailed(BadGateway):
    """The passport node did not take the measurements for a reason that is not ours to fix (502)."""


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{name} must be a non-empty string", reason=name)
    return value


def parse_upload(body: Mapping[str, Any]) -> tuple[str, str, str, dict[str, str]]:
    """(format, export text, passport node DID, {battery id: passport id}) from the upload body."""
    unknown = set(body) - {"format", "export", "passportNode", "passports"}
    if unknown:
        raise InvalidInput(f"unknown fields {sorted(unknown)}", reason="unknown_field")
    kind = _text(body, "format")
    if kind not in FORMATS:
        raise InvalidInput(f"format must be one of {list(FORMATS)}", reason="format")
    passports = body.get("passports")
    if not isinstance(passports, dict) or not passports:
        raise InvalidInput(
            "passports must map each battery id of the export to its passport id", reason="passports"
        )
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in passports.items()):
        raise InvalidInput("passports must map battery ids to passport id strings", reason="passports")
    return kind, _text(body, "export"), _text(body, "passportNode"), dict(passports)


class StateOfHealthService:
    def __init__(self, node: Node) -> None:
        self.node = node

    def _base_url(self, did: str) -> str:
        """The node behind a did:web (its DID document sits at its root), through the peer-URL guard."""
        try:
            url = did_web_document_url(did, allow_http=self.node.settings.dev)
        except (ValueError, BattraceError):
            raise InvalidInput(f"passportNode {did!r} is not a did:web", reason="passportNode") from None
        base = url.removesuffix("/.well-known/did.json")
        settings = self.node.settings
        return check_peer_url(base, dev=settings.dev, allowed_hosts=settings.allowed_peer_hosts)

    def _nameplates(self, base: str, owner: str, passports: Mapping[str, str]) -> dict[str, Nameplate]:
        """Each battery's nameplate from its passport (the view this node may read)."""
        plates = {}
        for battery_id, passport_id in passports.items():
            outcome = self.node.peers.get_json(f"{base}/passports/{quote(passport_id, safe=':@')}", owner)
            if outcome.status != 200 or outcome.body is None:
                raise InvalidInput(
                    f"passport {passport_id} of battery {battery_id} could not be read: {outcome.detail}",
                    reason="passport",
                )
            plates[battery_id] = nameplate_from_passport(outcome.body.get("values", {}))
        return plates

    def _readings(
        self, kind: str, text: str, base: str, owner: str, passports: Mapping[str, str]
    ) -> Readings:
        if kind == "json":
            readings = parse_json(text)
        else:
            readings = parse_csv(text, self._nameplates(base, owner, passports))
        unmapped = sorted(set(readings.battery_ids) - set(passports))
        if unmapped:
            raise InvalidInput(
                f"no passport given for batteries {unmapped[:10]} of the export; nothing was recorded",
                reason="passports",
            )
        return readings

    def upload(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Assess an export and write its measurements to the passports on the OEM's node."""
        kind, text, owner, passports = parse_upload(body)
        base = self._base_url(owner)
        readings = self._readings(kind, text, base, owner, passports)
        result = assess(readings)
        assessment_id = self.node.ctx.new_id()
        planned = self._plan(result, assessment_id, passports)
        outcomes: list[dict[str, Any]] = []
        try:
            for battery in planned:
                self._send(base, owner, battery)
                outcomes.append(battery)
        finally:
            self._keep(assessment_id, owner, planned, outcomes)
        return {"assessmentId": assessment_id, "passportNode": owner, "batteries": planned}

    def _plan(
        self, result: Assessment, assessment_id: str, passports: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        planned = []
        for b, battery_id in enumerate(result.readings.battery_ids):
            recorded, withheld = measurements(result, b, source=f"soh-assessment:{assessment_id}")
            shown = report(result, b)
            planned.append(
                {
                    "batteryId": battery_id,
                    "passportId": passports[battery_id],
                    "measurements": api_body(recorded),
                    "withheld": [w.__dict__ for w in withheld],
                    "stateOfHealth": shown["annex_vii_part_a"]["state_of_health_percent"],
                    "warnings": shown["warnings"],
                }
            )
        return planned

    def _send(self, base: str, owner: str, battery: Mapping[str, Any]) -> None:
        if not battery["measurements"]:
            return
        url = f"{base}/passports/{quote(str(battery['passportId']), safe=':@')}/measurements"
        outcome = self.node.peers.post_json(url, {"measurements": battery["measurements"]}, owner)
        if outcome.status == 201:
            return
        where = f"battery {battery['batteryId']} (passport {battery['passportId']})"
        if outcome.status == 403:
            raise Forbidden(
                f"{owner} refused the measurements of {where}: {outcome.detail}", reason="not_mandated"
            )
        if outcome.status == 404:
            raise NotFound(f"{owner} has no passport for {where}", reason="unknown_passport")
        if outcome.status == 400:
            raise InvalidInput(f"{owner} refused the measurements of {where}: {outcome.detail}")
        raise PassportNodeFailed(f"{owner} did not take the measurements of {where}: {outcome.detail}")

    def _keep(
        self, assessment_id: str, owner: str, planned: list[dict[str, Any]], sent: list[dict[str, Any]]
    ) -> None:
        """The assessment and which passports got their measurements, with its log entry (ids only)."""
        landed = {b["batteryId"] for b in sent}
        record = {
            "passportNode": owner,
            "batteries": [b | {"written": b["batteryId"] in landed} for b in planned],
        }
        with self.node.store.transaction() as tx:
            put_document(tx, APP, "assessment", assessment_id, record, self.node.ctx.clock())
            event = {"assessment": assessment_id, "passportNode": owner,
                     "passports": sorted(b["passportId"] for b in sent)}  # fmt: skip
            self.node.log.append(tx, "soh.assessment", event)

    def assessment(self, assessment_id: str) -> Mapping[str, Any]:
        with self.node.store.read() as tx:
            found = get_document(tx, APP, "assessment", assessment_id)
        if found is None:
            raise NotFound(f"no assessment {assessment_id!r}", reason="assessmentId")
        return {"assessmentId": assessment_id, **found.body}
