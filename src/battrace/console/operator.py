"""The operator console at /console on an operator node: the space at a glance with its alarms, the
participants and every credential issued to them (active, expired or revoked), the recognitions of other
spaces, the witness's view of each member's log, and the metering totals per member and month.

Read-only: certifying, revoking and recognising stay with the management API and ``battrace space``. Every
page re-reads the space's files through ``SpaceOperator``/``Witness``, as the JSON routes do.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, Request

from battrace.console.i18n import Lang, text
from battrace.console.page import Cell, Page, Pager, Section, Table, Tone, cell, when
from battrace.console.web import ConsoleSite, PageBuilder, console_router
from battrace.errors import BattraceError
from battrace.operator.metering import MeteringDesk
from battrace.operator.records import IssuedCredential
from battrace.operator.service import SpaceOperator
from battrace.operator.witness import Witness

_MEMBER_TONES: Mapping[str, Tone] = {
    "ok": "ok",
    "pending": "muted",
    "unreachable": "warn",
    "invalid": "alarm",
    "alarm": "alarm",
}


class OperatorPages:
    def __init__(
        self, operator: SpaceOperator, witness: Witness | None, clock: Callable[[], datetime]
    ) -> None:
        self.operator, self.witness, self.clock = operator, witness, clock
        self.metering = MeteringDesk(
            operator.files, operator.resolve, lambda: {p["did"] for p in operator.directory()}
        )

    def _page(self, title: str, lang: Lang, sections: list[Section]) -> Page:
        return Page(text(title, lang), self.operator.config.operator_did, tuple(sections))

    def _names(self) -> dict[str, str]:
        return {did: p.name for did, p in self.operator.files.directory().items()}

    def _alarms(self) -> list[dict[str, Any]]:
        return self.witness.alarms() if self.witness is not None else []

    # -- overview -------------------------------------------------------------------------------------

    def overview(self, request: Request, lang: Lang) -> Page:
        config, now = self.operator.config, self.clock()
        ledger = self.operator.files.ledger()
        active = [c for c in ledger.issued.values() if _status(c, ledger.is_revoked(c.id), now) == "active"]
        alarms = self._alarms()
        space = Section(
            "space",
            text("sec.space", lang),
            facts=(
                (text("f.name", lang), cell(config.name)),
                (text("f.operator", lang), cell(config.operator_did, code=True)),
                (text("f.certification", lang), cell(config.certification_did, code=True)),
                (text("f.base_url", lang), cell(config.public_url, code=True)),
                (
                    text("f.participants", lang),
                    cell(len(self.operator.files.directory()), href=f"/console/participants?lang={lang}"),
                ),
                (text("f.active", lang), cell(len(active))),
                (
                    text("f.alarms", lang),
                    cell(len(alarms), tone="alarm" if alarms else "ok", href=f"/console/witness?lang={lang}"),
                ),
            ),
        )
        return self._page("nav.overview", lang, [space, self._alarm_section(alarms, lang)])

    def _alarm_section(self, alarms: list[dict[str, Any]], lang: Lang) -> Section:
        names = self._names()
        table = Table(
            text("sec.alarms", lang),
            tuple(text(k, lang) for k in ("c.id", "c.kind", "c.member", "c.raised", "c.detail")),
            tuple(
                (
                    cell(a.get("id"), code=True, tone="alarm"),
                    cell(a.get("kind"), tone="alarm"),
                    cell(_who(str(a.get("member")), names)),
                    cell(when(a.get("raisedAt", a.get("raised_at")))),
                    cell(a.get("detail")),
                )
                for a in alarms
            ),
            text("empty", lang),
        )
        notice = text("alarm.notice", lang) if alarms else None
        return Section(
            "alarms", text("sec.alarms", lang), tables=(table,), notice=notice, notice_tone="alarm"
        )

    # -- participants and credentials -----------------------------------------------------------------

    def participants(self, request: Request, lang: Lang) -> Page:
        now, ledger = self.clock(), self.operator.files.ledger()
        directory = self.operator.directory()
        names = {p["did"]: p["name"] for p in directory}
        entries = Table(
            text("sec.directory", lang),
            tuple(
                text(k, lang)
                for k in ("c.participant", "f.name", "c.bpn", "c.corporate_number", "c.roles", "c.certified")
            ),
            tuple(
                (
                    cell(p["did"], code=True),
                    cell(p["name"]),
                    cell(p.get("bpn"), code=True),
                    cell(p.get("corporateNumber")),
                    cell(p.get("roles")),
                    cell(p.get("certifiedTypes")),
                )
                for p in directory
            ),
            text("empty", lang),
        )
        issued = sorted(ledger.issued.values(), key=lambda c: (c.participant, c.issued_at))
        credentials = Table(
            text("sec.credentials", lang),
            tuple(
                text(k, lang)
                for k in ("c.id", "c.participant", "c.type", "c.status", "c.issued", "c.valid_until")
            ),
            tuple(_credential_row(c, names, ledger.is_revoked(c.id), now, lang) for c in issued),
            text("empty", lang),
        )
        return self._page(
            "nav.participants",
            lang,
            [
                Section("directory", text("sec.directory", lang), tables=(entries,)),
                Section("credentials", text("sec.credentials", lang), tables=(credentials,)),
            ],
        )

    # -- recognitions ---------------------------------------------------------------------------------

    def recognitions(self, request: Request, lang: Lang) -> Page:
        records = self.operator.files.recognitions()
        table = Table(
            text("sec.recognitions", lang),
            tuple(text(k, lang) for k in ("c.id", "c.foreign_operator", "c.trust_list", "c.withdrawn")),
            tuple(
                (
                    cell(r.id, code=True),
                    cell(r.foreign_operator_did, code=True),
                    cell(r.foreign_trust_list_url, code=True),
                    cell(
                        text("yes", lang) if r.withdrawal else text("no", lang),
                        tone="muted" if r.withdrawal else "ok",
                    ),
                )
                for r in records
            ),
            text("empty", lang),
        )
        return self._page(
            "nav.recognitions",
            lang,
            [Section("recognitions", text("sec.recognitions", lang), tables=(table,))],
        )

    # -- witness --------------------------------------------------------------------------------------

    def witness_page(self, request: Request, lang: Lang) -> Page:
        if self.witness is None:
            off = Section("members", text("sec.members", lang), notice=text("witness.off", lang))
            return self._page("nav.witness", lang, [off])
        members = self.witness.members()
        table = Table(
            text("sec.members", lang),
            tuple(
                text(k, lang)
                for k in ("c.member", "c.status", "c.polled", "c.size", "c.root", "c.cosigned", "c.error")
            ),
            tuple(_member_row(m, self._names(), lang) for m in members),
            text("empty", lang),
        )
        return self._page(
            "nav.witness",
            lang,
            [
                self._alarm_section(self._alarms(), lang),
                Section("members", text("sec.members", lang), tables=(table,)),
            ],
        )

    # -- metering -------------------------------------------------------------------------------------

    def metering_page(self, request: Request, lang: Lang) -> Page:
        period = request.query_params.get("period") or self.clock().strftime("%Y-%m")
        notice = None
        try:
            totals = self.metering.totals(period)
        except BattraceError as exc:  # a bad period, or a report that no longer verifies
            totals, notice = {}, f"{text('metering.failed', lang)}: {exc.detail}"
        except httpx.HTTPError as exc:  # totals re-verify each report: a member's DID document is unreachable
            totals, notice = {}, f"{text('metering.failed', lang)}: {type(exc).__name__}"
        counters = sorted({name for usage in totals.values() for name in usage})
        names = self._names()
        table = Table(
            f"{text('sec.metering', lang)} ({period})",
            (text("c.member", lang), *counters),
            tuple(
                (cell(_who(member, names)), *(cell(usage.get(name, 0)) for name in counters))
                for member, usage in sorted(totals.items())
            ),
            text("empty", lang),
        )
        return self._page(
            "nav.metering",
            lang,
            [
                Section(
                    "metering",
                    text("sec.metering", lang),
                    facts=((text("f.period", lang), cell(period, code=True)),),
                    tables=(table,),
                    notice=notice,
                    notice_tone="alarm",
                    pager=_months(period, lang),
                )
            ],
        )


_CREDENTIAL_TONES: Mapping[str, Tone] = {"active": "ok", "revoked": "alarm", "expired": "warn"}


def _status(credential: IssuedCredential, revoked: bool, now: datetime) -> str:
    if revoked:
        return "revoked"
    return "active" if credential.valid_until > now else "expired"


def _credential_row(
    c: IssuedCredential, names: Mapping[str, str], revoked: bool, now: datetime, lang: Lang
) -> tuple[Cell, ...]:
    status = _status(c, revoked, now)
    tone = _CREDENTIAL_TONES[status]
    return (
        cell(c.id, code=True),
        cell(_who(c.participant, names)),
        cell(c.credential_type),
        cell(text(f"status.{status}", lang), tone=tone),
        cell(c.issued_at),
        cell(c.valid_until),
    )


def _who(did: str, names: Mapping[str, str]) -> str:
    """A participant as people know it, with the DID that identifies it."""
    return f"{names[did]} · {did}" if did in names else did


def _member_row(member: Mapping[str, Any], names: Mapping[str, str], lang: Lang) -> tuple[Cell, ...]:
    seen = member.get("checkpoint") or {}
    status = str(member.get("status", ""))
    return (
        cell(_who(str(member.get("did")), names)),
        cell(status, tone=_MEMBER_TONES.get(status, "")),
        cell(when(member.get("polledAt", member.get("polled_at")))),
        cell(seen.get("size")),
        cell(seen.get("root"), code=True),
        cell(text("yes", lang) if member.get("cosigned") else text("no", lang)),
        cell(member.get("error")),
    )


def _months(period: str, lang: Lang) -> Pager | None:
    """Links to the month before and after ``period`` (YYYY-MM); none for a malformed period."""
    try:
        year, month = int(period[:4]), int(period[5:7])
    except ValueError:
        return None
    before = f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    after = f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"
    base = f"/console/metering?lang={lang}&period="
    # The template labels the first link "newer" and the second "older".
    return Pager(text("f.period", lang), f"{base}{after}", f"{base}{before}", period)


def operator_console_router(
    operator: SpaceOperator,
    witness: Witness | None,
    *,
    clock: Callable[[], datetime] | None = None,
    secret: bytes | None = None,
) -> APIRouter:
    """``secret``: the key signing the console's session cookies; by default a fresh one per process (an
    operator restart asks for the key again, which is the safe side: the space keeps no other secret file
    for this)."""
    # expiry is judged as SpaceOperator.directory judges it (and on a test's fake clock too)
    clock = clock or operator.clock
    pages = OperatorPages(operator, witness, clock)
    listed: tuple[tuple[str, str, PageBuilder], ...] = (
        ("", "nav.overview", pages.overview),
        ("/participants", "nav.participants", pages.participants),
        ("/recognitions", "nav.recognitions", pages.recognitions),
        ("/witness", "nav.witness", pages.witness_page),
        ("/metering", "nav.metering", pages.metering_page),
    )
    site = ConsoleSite(
        kind="operator",
        owner=operator.config.name,
        owner_did=operator.config.operator_did,
        api_key=operator.files.api_key,
        secret=secret or secrets.token_bytes(32),
        pages=listed,
        clock=clock,
        secure=operator.config.public_url.startswith("https://"),
    )
    return console_router(site)
