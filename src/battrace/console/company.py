"""The company console's pages at /console on a company node: overview, assets and policies, agreements and
transfers, passports, the transparency log and the apps' documents. Read-only: it shows what the
management API, the passport service and the log hold, and changes nothing.

Each builder opens one read transaction, so a page is a consistent snapshot. Values come from other
companies (counterparty DIDs, offers, log payloads): they are plain text here and escaped by the template.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from battrace.connector.node import Node
from battrace.console.i18n import Lang, text
from battrace.console.page import (
    Cell,
    Page,
    Pager,
    Section,
    Table,
    Tone,
    cell,
    page_number,
    pager,
    paging,
    summary,
)
from battrace.console.web import ConsoleSite, PageBuilder, console_router
from battrace.errors import InvalidInput
from battrace.passport.web.page import passport_href
from battrace.store import passports as passport_store
from battrace.store._orm import (
    AgreementRow,
    AppDocumentRow,
    AssetRow,
    ContractDefinitionRow,
    NegotiationRow,
    PassportRow,
    PolicyDefinitionRow,
    TransferRow,
)
from battrace.store.tx import Tx
from battrace.trust.dcp import unverified_claims

PAGE_SIZE = 20
_LIST_LIMIT = 200  # assets, policies and definitions: a node's catalogue, shown whole up to this many
_APPS = ("pcf", "duediligence", "recycling", "soh")  # the apps the brief names; others are listed after


def _count(tx: Tx, row: Any) -> int:
    return int(tx.session.execute(select(func.count()).select_from(row)).scalar_one())


class CompanyPages:
    def __init__(self, node: Node) -> None:
        self.node = node

    def _page(self, title: str, lang: Lang, sections: Sequence[Section]) -> Page:
        return Page(text(title, lang), self.node.did, tuple(sections))

    # -- overview -------------------------------------------------------------------------------------

    def overview(self, request: Request, lang: Lang) -> Page:
        node = self.node
        with node.store.read() as tx:
            counts = [
                (text(key, lang), _count(tx, row))
                for key, row in (
                    ("sec.assets", AssetRow),
                    ("sec.policies", PolicyDefinitionRow),
                    ("sec.definitions", ContractDefinitionRow),
                    ("sec.negotiations", NegotiationRow),
                    ("sec.agreements", AgreementRow),
                    ("sec.transfers", TransferRow),
                    ("sec.passports", PassportRow),
                )
            ]
        identity = Section(
            "identity",
            text("sec.identity", lang),
            facts=(
                (text("f.name", lang), cell(node.settings.name)),
                (text("f.did", lang), cell(node.did, code=True)),
                (text("f.base_url", lang), cell(node.settings.base_url, code=True)),
                (text("f.spaces", lang), cell(list(node.settings.spaces), code=True)),
                (text("f.log_size", lang), cell(node.log.size(), href=f"/console/log?lang={lang}")),
            ),
        )
        credentials = Table(
            text("sec.credentials", lang),
            tuple(text(k, lang) for k in ("c.type", "c.issuer", "c.claims", "c.valid_until")),
            tuple(
                _credential_row(c.held.token, sorted(c.held.types), c.issuer, c.valid_until)
                for c in node.wallet.all()
            ),
            text("empty", lang),
        )
        at_a_glance = Table(
            text("sec.counts", lang),
            (text("c.what", lang), text("c.count", lang)),
            tuple((cell(name), cell(count)) for name, count in counts),
            text("empty", lang),
        )
        return self._page(
            "nav.overview",
            lang,
            [
                identity,
                Section("spaces", text("sec.spaces", lang), tables=(credentials,)),
                Section("counts", text("sec.counts", lang), tables=(at_a_glance,)),
            ],
        )

    # -- assets, policies, contract definitions -------------------------------------------------------

    def assets(self, request: Request, lang: Lang) -> Page:
        with self.node.store.read() as tx:
            assets = tx.list_assets(limit=_LIST_LIMIT)
            policies = tx.list_policy_definitions(limit=_LIST_LIMIT)
            definitions = tx.list_contract_definitions(limit=_LIST_LIMIT)
        asset_table = Table(
            text("sec.assets", lang),
            tuple(text(k, lang) for k in ("c.id", "c.properties", "c.address", "c.created")),
            tuple(
                (
                    cell(a.id, code=True),
                    cell(summary(a.properties)),
                    cell(_address(a.data_address)),
                    cell(a.created_at),
                )
                for a in assets
            ),
            text("empty", lang),
        )
        policy_table = Table(
            text("sec.policies", lang),
            tuple(text(k, lang) for k in ("c.id", "c.policy", "c.created")),
            tuple((cell(p.id, code=True), cell(summary(p.policy)), cell(p.created_at)) for p in policies),
            text("empty", lang),
        )
        definition_table = Table(
            text("sec.definitions", lang),
            tuple(
                text(k, lang)
                for k in ("c.id", "c.access_policy", "c.contract_policy", "c.selector", "c.created")
            ),
            tuple(
                (
                    cell(d.id, code=True),
                    cell(d.access_policy_id, code=True),
                    cell(d.contract_policy_id, code=True),
                    cell(summary(list(d.assets_selector))),
                    cell(d.created_at),
                )
                for d in definitions
            ),
            text("empty", lang),
        )
        return self._page(
            "nav.assets",
            lang,
            [
                Section("assets", text("sec.assets", lang), tables=(asset_table,)),
                Section("policies", text("sec.policies", lang), tables=(policy_table,)),
                Section("definitions", text("sec.definitions", lang), tables=(definition_table,)),
            ],
        )

    # -- negotiations, agreements, transfers (newest first, paginated each) ---------------------------

    def contracts(self, request: Request, lang: Lang) -> Page:
        query = request.query_params
        pages = {k: page_number(query.get(k)) for k in ("n", "a", "t")}
        with self.node.store.read() as tx:
            totals = {
                "n": _count(tx, NegotiationRow),
                "a": _count(tx, AgreementRow),
                "t": _count(tx, TransferRow),
            }
            windows = {k: paging(totals[k], pages[k], PAGE_SIZE) for k in totals}
            negotiations = tx.list_negotiations(*windows["n"])
            agreements = tx.list_agreements(*windows["a"])
            transfers = tx.list_transfers(*windows["t"])
        base = f"/console/contracts?lang={lang}"
        states: dict[str, Tone] = {
            "FINALIZED": "ok",
            "COMPLETED": "ok",
            "STARTED": "ok",
            "TERMINATED": "alarm",
        }

        def state(value: str) -> Cell:
            return cell(value, tone=states.get(value, ""))

        negotiation_table = Table(
            text("sec.negotiations", lang),
            tuple(
                text(k, lang)
                for k in (
                    "c.id",
                    "c.role",
                    "c.state",
                    "c.counterparty",
                    "c.asset",
                    "c.agreement",
                    "c.created",
                    "c.updated",
                )
            ),
            tuple(
                (
                    cell(n.id, code=True),
                    cell(n.role),
                    state(n.state),
                    cell(n.counterparty_did, code=True),
                    cell(n.asset_id, code=True),
                    cell(n.agreement_id, code=True),
                    cell(n.created_at),
                    cell(n.updated_at),
                )
                for n in reversed(negotiations)
            ),
            text("empty", lang),
        )
        agreement_table = Table(
            text("sec.agreements", lang),
            tuple(text(k, lang) for k in ("c.id", "c.asset", "c.provider", "c.consumer", "c.signed")),
            tuple(
                (
                    cell(a.id, code=True),
                    cell(a.asset_id, code=True),
                    cell(a.provider_did, code=True),
                    cell(a.consumer_did, code=True),
                    cell(a.signed_at),
                )
                for a in reversed(agreements)
            ),
            text("empty", lang),
        )
        transfer_table = Table(
            text("sec.transfers", lang),
            tuple(
                text(k, lang)
                for k in (
                    "c.id",
                    "c.role",
                    "c.state",
                    "c.counterparty",
                    "c.agreement",
                    "c.format",
                    "c.created",
                    "c.updated",
                    "c.error",
                )
            ),
            tuple(
                (
                    cell(t.id, code=True),
                    cell(t.role),
                    state(t.state),
                    cell(t.counterparty_did, code=True),
                    cell(t.agreement_id, code=True),
                    cell(t.format),
                    cell(t.created_at),
                    cell(t.updated_at),
                    cell(t.error_detail),
                )
                for t in reversed(transfers)
            ),
            text("empty", lang),
        )
        label = text("pager", lang)
        return self._page(
            "nav.contracts",
            lang,
            [
                Section(
                    "negotiations",
                    text("sec.negotiations", lang),
                    tables=(negotiation_table,),
                    pager=pager(label, base, totals["n"], pages["n"], PAGE_SIZE, key="n"),
                ),
                Section(
                    "agreements",
                    text("sec.agreements", lang),
                    tables=(agreement_table,),
                    pager=pager(label, base, totals["a"], pages["a"], PAGE_SIZE, key="a"),
                ),
                Section(
                    "transfers",
                    text("sec.transfers", lang),
                    tables=(transfer_table,),
                    pager=pager(label, base, totals["t"], pages["t"], PAGE_SIZE, key="t"),
                ),
            ],
        )

    # -- passports ------------------------------------------------------------------------------------

    def passports(self, request: Request, lang: Lang) -> Page:
        number = page_number(request.query_params.get("page"))
        with self.node.store.read() as tx:
            total = _count(tx, PassportRow)
            # Passports are listed by id (keyset in the service); a page is a slice of that order.
            stmt = select(PassportRow.id).order_by(PassportRow.id).offset(number * PAGE_SIZE).limit(PAGE_SIZE)
            ids = list(tx.session.execute(stmt).scalars())
            records = [passport_store.get_passport(tx, i) for i in ids]
        rows = tuple(
            (
                cell(p.id, href=passport_href(p.id, lang), code=True),
                cell(p.battery_identifier, code=True),
                cell(p.model_id, code=True),
                cell(p.state, tone="ok" if p.state == "original" else ""),
                cell(p.issued_at),
                cell(p.updated_at),
            )
            for p in records
            if p is not None
        )
        table = Table(
            text("sec.passports", lang),
            tuple(
                text(k, lang)
                for k in ("c.passport", "c.battery", "c.model", "c.status", "c.issued", "c.updated")
            ),
            rows,
            text("empty", lang),
        )
        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        base = f"/console/passports?lang={lang}&page="
        more = None
        if pages > 1:
            more = Pager(
                text("pager", lang),
                f"{base}{number - 1}" if number > 0 else None,
                f"{base}{number + 1}" if number + 1 < pages else None,
                f"{min(total, number * PAGE_SIZE + 1)}–{min(total, (number + 1) * PAGE_SIZE)} / {total}",
            )
        return self._page(
            "nav.passports",
            lang,
            [Section("passports", text("sec.passports", lang), tables=(table,), pager=more)],
        )

    # -- transparency log -----------------------------------------------------------------------------

    def log(self, request: Request, lang: Lang) -> Page:
        number = page_number(request.query_params.get("page"))
        log = self.node.log
        size = log.size()
        start, count = paging(size, number, PAGE_SIZE)
        entries = log.entries(start, start + count) if count else []
        checkpoint = log.latest_checkpoint()
        rows = tuple(
            (
                cell(e.index),
                cell(e.kind, code=True),
                cell(e.created_at),
                cell(summary(_event(e.payload)), code=True),
            )
            for e in reversed(entries)
        )
        table = Table(
            text("sec.entries", lang),
            tuple(text(k, lang) for k in ("c.index", "c.kind", "c.time", "c.payload")),
            rows,
            text("empty", lang),
        )
        base = f"/console/log?lang={lang}"
        return self._page(
            "nav.log",
            lang,
            [
                Section(
                    "checkpoint",
                    text("sec.checkpoint", lang),
                    facts=((text("f.log_size", lang), cell(size)),),
                    preformatted=checkpoint,
                    notice=None if checkpoint else text("log.none", lang),
                ),
                Section(
                    "entries",
                    text("sec.entries", lang),
                    tables=(table,),
                    pager=pager(text("pager", lang), base, size, number, PAGE_SIZE),
                ),
            ],
        )

    # -- app documents --------------------------------------------------------------------------------

    def apps(self, request: Request, lang: Lang) -> Page:
        stmt = (
            select(AppDocumentRow.app, AppDocumentRow.kind, func.count(), func.max(AppDocumentRow.updated_at))
            .group_by(AppDocumentRow.app, AppDocumentRow.kind)
            .order_by(AppDocumentRow.app, AppDocumentRow.kind)
        )
        with self.node.store.read() as tx:
            found = [(str(a), str(k), int(n), last) for a, k, n, last in tx.session.execute(stmt).all()]
        seen = {app for app, *_ in found}
        # The four apps always appear, with a zero, so "no documents yet" is visible rather than absent.
        rows = [(cell(app), cell(kind, code=True), cell(n), cell(last)) for app, kind, n, last in found]
        rows += [(cell(app), cell(None), cell(0), cell(None)) for app in _APPS if app not in seen]
        rows.sort(key=lambda r: (_APPS.index(r[0].text) if r[0].text in _APPS else len(_APPS), r[0].text))
        table = Table(
            text("sec.apps", lang),
            tuple(text(k, lang) for k in ("c.app", "c.document_kind", "c.count", "c.updated")),
            tuple(rows),
            text("empty", lang),
        )
        return self._page("nav.apps", lang, [Section("apps", text("sec.apps", lang), tables=(table,))])


def _address(address: Mapping[str, Any]) -> str:
    """The data address without secrets: its type and where it points, never headers or auth values."""
    shown = {k: address[k] for k in ("type", "baseUrl", "modelId", "contentType") if k in address}
    return summary(shown)


def _event(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A log leaf without the envelope fields shown in their own columns."""
    return {k: v for k, v in payload.items() if k not in {"v", "kind", "ts"}}


def _credential_row(token: str, types: list[str], issuer: str, valid_until: str | None) -> tuple[Cell, ...]:
    return (
        cell([t for t in types if t != "VerifiableCredential"] or types, code=True),
        cell(issuer, code=True),
        cell(_subject_claims(token)),
        cell(valid_until),
    )


def _subject_claims(token: str) -> str:
    """What the credential says about us (BPN, roles...), read unverified: it is our own wallet."""
    try:
        payload = unverified_claims(token)
    except InvalidInput:  # an unreadable entry shows a dash, never breaks the page
        return "—"
    credential = payload.get("vc", payload)
    subject = credential.get("credentialSubject") if isinstance(credential, Mapping) else None
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    if not isinstance(subject, Mapping):
        return "—"
    return summary({k: v for k, v in subject.items() if k != "id"})


def company_console_router(node: Node) -> APIRouter:
    pages = CompanyPages(node)
    listed: tuple[tuple[str, str, PageBuilder], ...] = (
        ("", "nav.overview", pages.overview),
        ("/assets", "nav.assets", pages.assets),
        ("/contracts", "nav.contracts", pages.contracts),
        ("/passports", "nav.passports", pages.passports),
        ("/log", "nav.log", pages.log),
        ("/apps", "nav.apps", pages.apps),
    )
    site = ConsoleSite(
        kind="company",
        owner=node.settings.name,
        owner_did=node.did,
        api_key=lambda: node.api_key,
        secret=node.session_secret,
        pages=listed,
        clock=node.ctx.clock,
        secure=node.settings.base_url.startswith("https://"),
    )
    return console_router(site)
