"""Recycling on a node (issue 7): each party records the life-cycle events it performs, exchanges them with
its partners through the data space, and computes what the regulation asks of it.

* Recording: rows are checked as one batch against everything recorded before (massbalance.record_rows: the
  state machine and the mass balance of each step); a batch is kept whole or refused whole, with its log
  entry in the same transaction. Rows typed in over the management API are the node's own account.
* Events of another party arrive through the data space, not typed in again: a party publishes the rows it
  performed to one partner (``publish_events``: a DSP asset for the partner's BPN alone) and the partner
  imports them (``import_events``: pulled, delivery statement verified, only rows performed by the provider
  kept, rows already recorded skipped). A producer offers its placings on the market to the recycler; the
  recycler reports its collection and treatment of the producer's batteries back (sales excepted: a sale goes
  to its buyer alone, as a statement).
* Rates: a treatment facility's Annex XII rates over the lots delivered to it; a producer's Annex XI
  collection rate from its own placings and the collection reported back to it.
* Passports: a recycler that treated a battery closes its passport on the producer's node as a mandated
  party (Annex XIII 4(c) "waste" then "recycled"; Art. 77(4), 77(8)) over the participant API with its own
  token. The passport writes happen before the batch is kept, so a refusal keeps nothing here; a retry skips
  what is already closed.
* The closed loop: the recycler offers a sale statement (the sale and the lot's whole history) to the buyer;
  the buyer imports it (mass balances re-checked) and claims the material as post-consumer recycled content of
  a new model (loop.trace, over every claim it ever made on that sale); the claim's Art. 8 shares become the
  new passport model's values, the statements' SHA-256 its evidence.

Not here: HTTP (battrace.http.apps), the connector plumbing (dataspace), the payloads (exchange).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from battrace.apps.partners import offer_records, recipient_bpn, save_offer
from battrace.apps.recycling import dataspace, exchange
from battrace.apps.recycling.events import (
    Category,
    Chemistry,
    Element,
    History,
    PlacedOnMarket,
    Records,
    Stage,
)
from battrace.apps.recycling.loop import Claim, trace
from battrace.apps.recycling.massbalance import record_rows
from battrace.apps.recycling.rates import (
    Rate,
    producer_collection_rate,
    recovery_rates,
    recycling_efficiency,
    treated,
)
from battrace.apps.recycling.recycled_content import (
    ModelContent,
    Origin,
    RecycledInput,
    passport_values,
    shares,
)
from battrace.connector.node import Node
from battrace.connector.urls import check_peer_url
from battrace.errors import BadGateway, BattraceError, Conflict, Forbidden, InvalidInput, NotFound
from battrace.identity import did_web_document_url
from battrace.passport.attributes import BatteryCategory
from battrace.passport.service import NewModel
from battrace.store.documents import get_document, list_documents, put_document
from battrace.store.tx import Tx

APP = "recycling"
MAX_ROWS = 10_000
TREATMENT = (Stage.DISMANTLED, Stage.SHREDDED, Stage.REFINED)


class PassportNodeFailed(BadGateway):
    """The passport node did not take the status change for a reason that is not ours to fix (502)."""


def _rows(tx: Tx) -> list[Mapping[str, object]]:
    rows: list[Mapping[str, object]] = []
    after = None
    while batch := list_documents(tx, APP, "batch", after=after, limit=500):
        for document in batch:
            rows.extend(document.body["rows"])
        after = batch[-1].id
    return rows


def _all(tx: Tx, kind: str) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    after = None
    while page := list_documents(tx, APP, kind, after=after, limit=500):
        found.extend(d.body for d in page)
        after = page[-1].id
    return found


def rate_json(rate: Rate) -> dict[str, Any]:
    return {"percent": round(rate.percent, 4), "target": rate.target, "meets": rate.meets, "note": rate.note}


def check_rows(rows: object) -> list[Mapping[str, object]]:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InvalidInput("rows must be a non-empty array of event objects", reason="rows")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"at most {MAX_ROWS} rows per batch", reason="too_many")
    return rows


class RecyclingService:
    def __init__(self, node: Node) -> None:
        self.node = node

    def _now(self) -> datetime:
        return self.node.ctx.clock()

    # -- recording -------------------------------------------------------------------------------------

    def record(
        self,
        rows: object,
        *,
        passport_node: str | None = None,
        passports: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Record a batch of event rows (all or none); returns the batch id and how many rows it held.
        ``passports`` ({subject: passport id} on ``passport_node``): close those passports as treated by
        this node once the batch shows the treatment; a refused closure keeps nothing of the batch."""
        batch = check_rows(rows)
        with self.node.store.read() as tx:
            after = record_rows(record_rows(Records(), _rows(tx)), batch)  # InvalidInput names row, field
        closed = self._close_all(after, passport_node, passports or {})
        with self.node.store.transaction() as tx:
            batch_id = self._keep(tx, batch, {"source": "management"})
            self._keep_closures(tx, closed)
        own = sum(1 for r in batch if r.get("performed_by") == self.node.did)
        return {"batchId": batch_id, "recorded": len(batch), "own": own, "closed": closed}

    def _keep(self, tx: Tx, batch: Sequence[Mapping[str, object]], source: Mapping[str, Any]) -> str:
        """One batch on top of what ``tx`` sees (checked again inside the transaction), with its log entry."""
        previous = _rows(tx)
        record_rows(record_rows(Records(), previous), batch)
        batch_id = f"{len(previous):012d}"  # ordered ids: replaying batches in order rebuilds the records
        put_document(tx, APP, "batch", batch_id, {"rows": list(batch), **source}, self._now())
        digest = exchange.sha256(exchange.canonical(list(batch)))
        self.node.log.append(
            tx, "recycling.events", {"batch": batch_id, "rows": len(batch), "sha256": digest}
        )
        return batch_id

    def records(self) -> Records:
        with self.node.store.read() as tx:
            return record_rows(Records(), _rows(tx))

    def _all_rows(self) -> list[Mapping[str, object]]:
        with self.node.store.read() as tx:
            return _rows(tx)

    # -- exchange of events through the data space ------------------------------------------------------

    def publish_events(
        self, recipient: str, subjects: Sequence[str] | None = None, *, bpn: str | None = None
    ) -> dict[str, Any]:
        """Offer the rows this node performed to ``recipient`` alone. Without ``subjects``: the subjects
        placed on the market by the recipient (reporting back to a producer) or by this node (a producer
        informing its recycler). Sales are never included (a sale goes to its buyer as a statement)."""
        bpn = recipient_bpn(self.node, recipient, bpn)
        me, rows = self.node.did, self._all_rows()
        records = record_rows(Records(), rows)
        wanted = set(subjects) if subjects is not None else {
            s for s, h in records.histories.items() if h.performer(Stage.PLACED_ON_MARKET) in (me, recipient)
        }  # fmt: skip
        mine = [
            r for r in rows
            if r.get("performed_by") == me and r.get("subject") in wanted and r.get("stage") != Stage.SOLD
        ]  # fmt: skip
        if not mine:
            raise InvalidInput(f"no events of this node to report to {recipient}", reason="nothing_to_report")
        data = exchange.canonical(exchange.events_payload(me, recipient, mine))
        digest = exchange.sha256(data)
        asset_id = f"recycling-events-{exchange.sha256(recipient.encode())[:12]}"
        offer = offer_records(asset_id, "life-cycle events", bpn, data, digest, self._now())
        with self.node.store.transaction() as tx:
            save_offer(tx, offer)
            publication = {"assetId": asset_id, "recipient": recipient, "rows": len(mine), "sha256": digest}
            put_document(tx, APP, "publication", asset_id, publication, self._now())
            self.node.log.append(tx, "recycling.publish", publication)
        return publication

    def import_events(self, provider: str, asset_id: str, dsp: str | None = None) -> dict[str, Any]:
        """Pull ``provider``'s events through the data space and record the ones not recorded yet."""
        pulled = dataspace.pull(self.node, provider, asset_id, dsp)
        rows = exchange.received_rows(pulled.payload, provider, self.node.did)
        source = {"source": {"provider": provider, "assetId": asset_id, "agreementId": pulled.agreement_id,
                             "sha256": pulled.sha256}}  # fmt: skip
        with self.node.store.transaction() as tx:
            known = {exchange.row_key(r) for r in _rows(tx)}
            new = [r for r in rows if exchange.row_key(r) not in known]
            batch_id = self._keep(tx, new, source) if new else None
            event = {"provider": provider, "asset": asset_id, "agreement": pulled.agreement_id,
                     "sha256": pulled.sha256}  # fmt: skip
            self.node.log.append(tx, "recycling.import", event)
        return {"provider": provider, "assetId": asset_id, "received": len(rows), "recorded": len(new),
                "batchId": batch_id, "sha256": pulled.sha256}  # fmt: skip

    # -- rates -----------------------------------------------------------------------------------------

    def rates(self, year: int, facility: str | None = None) -> dict[str, Any]:
        """Annex XII Part B (recycling efficiency per chemistry) and Part C (recovery per element) for the
        lots delivered to ``facility`` (this node unless named) in ``year`` and refined."""
        who = facility or self.node.did
        histories = treated(self.records(), who, year)
        if not histories:
            raise InvalidInput(f"no lot delivered to {who} in {year} has been refined yet", reason="no_input")
        chemistries = sorted(
            {placed.chemistry for h in histories if (placed := h.detail(PlacedOnMarket)) is not None}
        )
        return {
            "facility": who,
            "year": year,
            "lots": sorted(h.subject for h in histories),
            "recyclingEfficiency": {
                str(c): rate_json(recycling_efficiency(histories, Chemistry(c), year)) for c in chemistries
            },
            "recovery": {str(e): rate_json(r) for e, r in recovery_rates(histories, year).items()},
        }

    def collection_rate(self, year: int, category: str) -> dict[str, Any]:
        """Annex XI: this node as producer, from its placings and the collections reported back to it."""
        try:
            kind = Category(category)
        except ValueError:
            allowed = [c.value for c in Category]
            raise InvalidInput(f"category must be one of {allowed}", reason="category") from None
        rate = producer_collection_rate(self.records(), self.node.did, kind, year)
        return {"producer": self.node.did, "category": kind.value, "year": year, **rate_json(rate)}

    # -- closing passports -------------------------------------------------------------------------------

    def close(self, subject: str, passport_node: str, passport_id: str) -> dict[str, Any]:
        """Close a passport for a subject this node already recorded as treated."""
        closed = self._close_all(self.records(), passport_node, {subject: passport_id})
        with self.node.store.transaction() as tx:
            self._keep_closures(tx, closed)
        return closed[0]

    def _close_all(
        self, records: Records, passport_node: str | None, passports: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        if not passports:
            return []
        if passport_node is None:
            raise InvalidInput("passportNode names the node holding the passports", reason="passportNode")
        base = self._base_url(passport_node)
        plans = [self._closure(records.history(s), p) for s, p in passports.items()]  # all checked first
        return [self._send_closure(base, passport_node, plan) for plan in plans]

    def _closure(self, history: History, passport_id: str) -> dict[str, Any]:
        treatment = next(
            (e for e in history.events if e.stage in TREATMENT and e.performed_by == self.node.did), None
        )
        delivered = history.when(Stage.DELIVERED)
        if treatment is None or delivered is None:
            raise InvalidInput(
                f"{history.subject}: no treatment by this node is recorded, so it cannot close passport "
                f"{passport_id}",
                reason="not_treated",
            )
        return {"subject": history.subject, "passportId": passport_id, "wasteAt": delivered.isoformat(),
                "recycledAt": treatment.at.isoformat()}  # fmt: skip

    def _base_url(self, did: str) -> str:
        try:
            url = did_web_document_url(did, allow_http=self.node.settings.dev)
        except (ValueError, BattraceError):
            raise InvalidInput(f"passportNode {did!r} is not a did:web", reason="passportNode") from None
        settings = self.node.settings
        base = url.removesuffix("/.well-known/did.json")
        return check_peer_url(base, dev=settings.dev, allowed_hosts=settings.allowed_peer_hosts)

    def _send_closure(self, base: str, owner: str, plan: dict[str, Any]) -> dict[str, Any]:
        """Annex XIII 4(c): "waste" from delivery to the facility, "recycled" at treatment (lifecycle.py);
        a passport already in one of them skips that step, so a retry is harmless."""
        url = f"{base}/passports/{quote(str(plan['passportId']), safe=':@')}"
        read = self.node.peers.get_json(url, owner)
        self._check_outcome(read.status, read.detail, owner, plan, ok=200)
        state = (read.body or {}).get("state")
        if state != "closed":
            if state != "waste":
                self._status(url, owner, plan, "declare_waste", plan["wasteAt"])
            self._status(url, owner, plan, "recycle", plan["recycledAt"])
        return {**plan, "passportNode": owner, "state": "closed"}

    def _status(self, url: str, owner: str, plan: Mapping[str, Any], event: str, at: str) -> None:
        outcome = self.node.peers.post_json(f"{url}/status", {"event": event, "at": at}, owner)
        self._check_outcome(outcome.status, outcome.detail, owner, plan, ok=200)

    @staticmethod
    def _check_outcome(
        status: int | None, detail: str, owner: str, plan: Mapping[str, Any], *, ok: int
    ) -> None:
        if status == ok:
            return
        where = f"passport {plan['passportId']} of {plan['subject']}"
        if status == 403:
            raise Forbidden(
                f"{owner} refused to let this node close {where}: {detail}", reason="not_mandated"
            )
        if status == 404:
            raise NotFound(f"{owner} has no {where}", reason="unknown_passport")
        if status in (400, 409):
            raise Conflict(f"{owner} refused the status change of {where}: {detail}", reason="passport_state")
        raise PassportNodeFailed(f"{owner} did not take the status change of {where}: {detail}")

    def _keep_closures(self, tx: Tx, closed: Sequence[Mapping[str, Any]]) -> None:
        for item in closed:
            key = f"{item['passportNode']}|{item['passportId']}"
            put_document(tx, APP, "closure", exchange.sha256(key.encode()), dict(item), self._now())
            event = {"subject": item["subject"], "passport": item["passportId"], "node": item["passportNode"]}
            self.node.log.append(tx, "recycling.closed", event)

    # -- the closed loop: sale statements and recycled-content claims -----------------------------------

    def offer_statement(self, sale_id: str, *, buyer_bpn: str | None = None) -> dict[str, Any]:
        """Offer the statement of one of this node's sales to its buyer alone."""
        rows = self._all_rows()
        records = record_rows(Records(), rows)
        found = records.sale(sale_id)
        if found is None:
            raise NotFound(f"no recorded sale {sale_id!r}", reason="unknown_sale")
        history, sold = found
        seller = next(e.performed_by for e in history.events if e.detail == sold)
        if seller != self.node.did:
            raise Forbidden(f"sale {sale_id} was made by {seller}, not by this node", reason="not_seller")
        bpn = recipient_bpn(self.node, sold.buyer, buyer_bpn)
        lot = [r for r in rows if r.get("subject") == history.subject]
        data = exchange.canonical(exchange.statement_payload(seller, sold, history.subject, lot))
        digest = exchange.sha256(data)
        asset_id = f"recycling-sale-{exchange.sha256(sale_id.encode())[:16]}"
        offer = offer_records(asset_id, f"sale statement {sale_id}", bpn, data, digest, self._now())
        published = {"assetId": asset_id, "saleId": sale_id, "buyer": sold.buyer, "sha256": digest}
        with self.node.store.transaction() as tx:
            save_offer(tx, offer)
            put_document(tx, APP, "statement-offer", asset_id, published, self._now())
            self.node.log.append(tx, "recycling.statement", published)
        return published

    def receive_statement(self, seller: str, asset_id: str, dsp: str | None = None) -> dict[str, Any]:
        """Pull a sale statement, check it (parties, sale, every mass balance of the lot) and keep it."""
        pulled = dataspace.pull(self.node, seller, asset_id, dsp)
        statement = exchange.read_statement(pulled.payload, seller, self.node.did)
        sale_id = statement.sale.sale_id
        kept = {"seller": seller, "saleId": sale_id, "assetId": asset_id, "agreementId": pulled.agreement_id,
                "sha256": pulled.sha256, "payload": pulled.payload}  # fmt: skip
        with self.node.store.transaction() as tx:
            earlier = get_document(tx, APP, "statement", sale_id)
            if earlier is not None and earlier.body["seller"] != seller:
                raise Conflict(f"sale {sale_id} is already stated by {earlier.body['seller']}", reason="sale")
            put_document(tx, APP, "statement", sale_id, kept, self._now())
            event = {"sale": sale_id, "seller": seller, "asset": asset_id, "sha256": pulled.sha256}
            self.node.log.append(tx, "recycling.statement.received", event)
        sold = statement.sale
        return {"saleId": sale_id, "seller": seller, "element": sold.element.value, "massKg": sold.mass_kg,
                "subject": statement.subject, "sha256": pulled.sha256}  # fmt: skip

    def claim(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A new passport model whose Art. 8 recycled-content values come from traced sales (post-consumer)
        and declared inputs (pre-consumer); refused whole, with nothing written, when any claim breaks a
        mass balance (more claimed from a sale than it sold, over every claim this node made on it)."""
        request = parse_claim_request(body, self.node.did)
        with self.node.store.read() as tx:
            statements = {str(s["saleId"]): s for s in _all(tx, "statement")}
            earlier = [c for d in _all(tx, "claim") for c in d["claims"]]
            if get_document(tx, APP, "claim", request.model_id) is not None:
                raise Conflict(f"recycled content of {request.model_id} is already claimed", reason="model")
        everyone = [*(_claim_of(c) for c in earlier), *request.claims]
        traced, evidence = [], []
        for claim in request.claims:
            kept = statements.get(claim.sale_id)
            if kept is None:
                raise NotFound(f"no sale statement {claim.sale_id!r} received", reason="unknown_sale")
            statement = exchange.read_statement(kept["payload"], str(kept["seller"]), self.node.did)
            lot = trace(statement.records, claim, all_claims=everyone)  # InvalidInput names the hop
            source = f"sale {claim.sale_id} of {lot.subject}"
            traced.append(RecycledInput(claim.element, Origin.POST_CONSUMER, claim.mass_kg, source))
            evidence.append({"saleId": claim.sale_id, "seller": kept["seller"], "sha256": kept["sha256"]})
        content = ModelContent(request.model_id, request.plant, request.year, request.total_kg,
                               (*request.pre_consumer, *traced))  # fmt: skip
        values = passport_values(content, request.on)
        clash = sorted(set(values) & set(request.values))
        if clash:
            raise InvalidInput(f"values {clash} come from the recycled-content claim; leave them out")
        model = NewModel(request.model_id, request.category, {**request.values, **values})
        self.node.passports.register_model(model)  # its own transaction; validated before anything is kept
        record = {"modelId": request.model_id, "passportValues": values, "evidence": evidence,
                  "claims": [_claim_json(c) for c in request.claims],
                  "shares": _shares_json(content, request.on)}  # fmt: skip
        with self.node.store.transaction() as tx:
            put_document(tx, APP, "claim", request.model_id, record, self._now())
            event = {"model": request.model_id, "sales": [e["saleId"] for e in evidence],
                     "sha256": [e["sha256"] for e in evidence]}  # fmt: skip
            self.node.log.append(tx, "recycling.claim", event)
        return record

    def claimed(self, model_id: str) -> Mapping[str, Any]:
        with self.node.store.read() as tx:
            found = get_document(tx, APP, "claim", model_id)
        if found is None:
            raise NotFound(f"no recycled-content claim for {model_id!r}", reason="unknown_model")
        return found.body


# -- the claim request ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRequest:
    """A parsed claim request (see parse_claim_request)."""

    model_id: str
    category: BatteryCategory
    plant: str
    year: int
    on: date  # the Art. 8 targets in force on this day
    total_kg: Mapping[Element, float]
    claims: tuple[Claim, ...]
    pre_consumer: tuple[RecycledInput, ...]
    values: Mapping[str, object]


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > 256:
        raise InvalidInput(f"{name} must be a non-empty string", reason=name)
    return value


def _kg(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{where} must be a non-negative number of kg, got {value!r}", reason=where)
    return float(value)


def _element(value: object, where: str) -> Element:
    try:
        return Element(str(value))
    except ValueError:
        raise InvalidInput(f"{where} must be one of {[e.value for e in Element]}", reason=where) from None


def _items(body: Mapping[str, Any], name: str, *, required: bool) -> list[Mapping[str, Any]]:
    value = body.get(name, None if required else [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value) or (required and not value):
        raise InvalidInput(
            f"{name} must be {'a non-empty' if required else 'an'} array of objects", reason=name
        )
    return value


def parse_claim_request(body: Mapping[str, Any], maker: str) -> ClaimRequest:
    """``{modelId, category, plant, year, on, totalKg: {element: kg}, claims: [{saleId, element, massKg}],
    preConsumer: [{element, massKg, source}], values: {other model values}}``; ``maker`` (this node) is
    the material maker of every claim."""
    model_id = _text(body, "modelId")
    try:
        category = BatteryCategory(body.get("category"))
    except ValueError:
        raise InvalidInput(
            f"category must be one of {[c.value for c in BatteryCategory]}", reason="category"
        ) from None
    year = body.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise InvalidInput("year must be the production year", reason="year")
    try:
        on = date.fromisoformat(_text(body, "on"))
    except ValueError:
        raise InvalidInput(
            "on must be an ISO 8601 date (the Art. 8 targets in force then)", reason="on"
        ) from None
    totals = body.get("totalKg")
    if not isinstance(totals, dict) or not totals:
        raise InvalidInput("totalKg must map elements to their mass in the production", reason="totalKg")
    total_kg = {_element(k, "totalKg"): _kg(v, f"totalKg.{k}") for k, v in totals.items()}
    claims = tuple(
        Claim(model_id, maker, _text(c, "saleId"), _element(c.get("element"), f"claims.{n}.element"),
              _kg(c.get("massKg"), f"claims.{n}.massKg"))
        for n, c in enumerate(_items(body, "claims", required=True))
    )  # fmt: skip
    pre = tuple(
        RecycledInput(_element(p.get("element"), f"preConsumer.{n}.element"), Origin.PRE_CONSUMER,
                      _kg(p.get("massKg"), f"preConsumer.{n}.massKg"), _text(p, "source"))
        for n, p in enumerate(_items(body, "preConsumer", required=False))
    )  # fmt: skip
    values = body.get("values", {})
    if not isinstance(values, dict):
        raise InvalidInput("values must be an object of the model's other passport values", reason="values")
    return ClaimRequest(model_id, category, _text(body, "plant"), year, on, total_kg, claims, pre, values)


def _claim_json(claim: Claim) -> dict[str, Any]:
    return {"model": claim.model, "materialMaker": claim.material_maker, "saleId": claim.sale_id,
            "element": claim.element.value, "massKg": claim.mass_kg}  # fmt: skip


def _claim_of(item: Mapping[str, Any]) -> Claim:
    element = Element(item["element"])
    return Claim(str(item["model"]), str(item["materialMaker"]), str(item["saleId"]), element,
                 float(item["massKg"]))  # fmt: skip


def _shares_json(content: ModelContent, on: date) -> dict[str, Any]:
    return {
        e.value: {"pre": s.pre_percent, "post": s.post_percent, "target": s.target, "meets": s.meets}
        for e, s in shares(content, on).items()
    }
