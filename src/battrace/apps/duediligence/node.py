"""Due diligence on a node (issue 7): a company keeps its declarations, discloses each one to a designated
recipient only, pulls its suppliers' declarations through the data space, and rolls them up into the
passport's due-diligence values.

* A declaration is imported as JSON (model.py) or as the RMI-style workbook (workbook.py) and kept as an app
  document (``duediligence``/``declaration``).
* Publishing makes one ``Stored`` asset per recipient whose access and usage policies admit only the
  recipient's BPN, so no one else even sees it in the catalog (Catena-X BPN access policy); the content is
  what disclosure.py lets that recipient see (full or summary). Asset, policies, contract definition, the
  publication record and its log entry are written in one transaction: all of it or nothing.
* Fetching a supplier's declaration runs the ordinary DSP consumer flow against the supplier's connector
  (catalog, negotiation, transfer, EDR pull) through this node's own management API, and keeps the payload
  only after its provenance signature checked out (client.verify_delivery).
* A full disclosure of a rolled-up declaration carries ``upstream`` counts (suppliers asked / answered
  further up), so the response rate downstream counts every tier without naming the upstream companies.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from battrace.apps.duediligence.cahra import CountryList, default_cahra_list, load_country_list
from battrace.apps.duediligence.disclosure import (
    Designation,
    DisclosurePolicy,
    Summary,
    View,
    disclose,
    receive,
)
from battrace.apps.duediligence.metrics import ConformantList, Results, parse_conformant_csv, results
from battrace.apps.duediligence.model import Declaration, parse_declaration
from battrace.apps.duediligence.passport import indices_text, passport_values
from battrace.apps.duediligence.rollup import Node as ChainNode
from battrace.apps.duediligence.rollup import RollUp, roll_up
from battrace.apps.partners import offer_records, recipient_bpn, save_offer
from battrace.client import ManagementError, NodeClient, first_offer
from battrace.connector.context import DSP_PATH
from battrace.connector.node import Node
from battrace.errors import BadGateway, BattraceError, Forbidden, InvalidInput, NotFound
from battrace.identity import did_web_document_url
from battrace.passport.checks import check_value
from battrace.store.documents import get_document, list_documents, put_document

APP = "duediligence"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DECLARATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ProviderUnavailable(BadGateway):
    """The supplier's connector did not complete the exchange (502: the fault is upstream, not the input)."""


@dataclass(frozen=True)
class Chain:
    """A declaration rolled up over the received ones, with how many suppliers were asked and answered in
    every tier (this node's direct suppliers plus the ``upstream`` counts their disclosures carry)."""

    rollup: RollUp
    requested: int
    responded: int


@dataclass(frozen=True)
class Computed:
    """A roll-up, its results and the passport values, as the management API returns them."""

    chain: Chain
    results: Results
    values: dict[str, object]


def upstream_counts(payload: Mapping[str, Any]) -> tuple[int, int]:
    """(asked, answered) further up, from a disclosure's ``upstream``; (0, 0) when it carries none."""
    upstream = payload.get("upstream")
    if upstream is None:
        return 0, 0
    asked = upstream.get("requested") if isinstance(upstream, dict) else None
    answered = upstream.get("responded") if isinstance(upstream, dict) else None
    if not (isinstance(asked, int) and isinstance(answered, int) and 0 <= answered <= asked):
        raise InvalidInput(
            "upstream must be {requested, responded} with 0 <= responded <= requested", reason="upstream"
        )
    return asked, answered


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def read_declaration(content: bytes, content_type: str) -> Declaration:
    """A declaration from an upload: the workbook (by its media type) or its JSON shape."""
    if content_type.split(";")[0].strip().lower() == XLSX:
        # openpyxl (and numpy behind it) costs a node ~30 MB and a tenth of its start: load it on first use
        from battrace.apps.duediligence.workbook import import_workbook

        return import_workbook(content)
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput(f"a declaration is JSON or an xlsx workbook ({XLSX})") from None
    return parse_declaration(document)


class DueDiligenceService:
    def __init__(self, node: Node) -> None:
        self.node = node

    def _now(self) -> datetime:
        return self.node.ctx.clock()

    # -- own declarations ------------------------------------------------------------------------------

    def import_declaration(self, declaration_id: str, content: bytes, content_type: str) -> Declaration:
        if not _DECLARATION_ID.fullmatch(declaration_id):
            # The id names the published asset too (duediligence-<id>-<recipient hash>).
            raise InvalidInput(
                "a declaration id is 1-64 letters, digits, '.', '_' or '-'", reason="declarationId"
            )
        declaration = read_declaration(content, content_type)
        body = declaration.model_dump(mode="json")
        with self.node.store.transaction() as tx:
            put_document(tx, APP, "declaration", declaration_id, {"declaration": body}, self._now())
            event = {"declaration": declaration_id, "sha256": _digest(_canonical(body))}
            self.node.log.append(tx, "duediligence.declaration", event)
        return declaration

    def declaration(self, declaration_id: str) -> Declaration:
        with self.node.store.read() as tx:
            found = get_document(tx, APP, "declaration", declaration_id)
        if found is None:
            raise NotFound(f"no due-diligence declaration {declaration_id!r}", reason="declarationId")
        return Declaration.model_validate(found.body["declaration"])

    # -- disclosure to a designated recipient ----------------------------------------------------------

    def publish(
        self, declaration_id: str, recipient: str, view: View, *, bpn: str | None, rolled: bool
    ) -> str:
        """Offer the declaration (or its roll-up) to ``recipient`` alone; returns the asset id."""
        bpn = self._recipient_bpn(recipient, bpn)
        if rolled:
            chain = self.chain(declaration_id)
            payload = self._disclosure(chain.rollup.declaration, recipient, view)
            if view == "full":
                payload["upstream"] = {"requested": chain.requested, "responded": chain.responded}
        else:
            payload = self._disclosure(self.declaration(declaration_id), recipient, view)
        data = _canonical(payload)
        asset_id = f"duediligence-{declaration_id}-{_digest(recipient.encode())[:12]}"
        name = f"due-diligence declaration {declaration_id} ({view})"
        offer = offer_records(asset_id, name, bpn, data, _digest(data), self._now())
        publication = {"declarationId": declaration_id, "recipient": recipient, "bpn": bpn, "view": view,
                       "rolledUp": rolled, "assetId": asset_id}  # fmt: skip
        with self.node.store.transaction() as tx:
            save_offer(tx, offer)  # publishing again (a new version, another view) replaces the offer
            put_document(tx, APP, "publication", asset_id, publication, self._now())
            event = {"asset": asset_id, "recipient": recipient, "view": view, "sha256": _digest(data)}
            self.node.log.append(tx, "duediligence.publish", event)
        return asset_id

    def _recipient_bpn(self, recipient: str, given: str | None) -> str:
        return recipient_bpn(self.node, recipient, given)

    def _disclosure(self, declaration: Declaration, recipient: str, view: View) -> dict[str, Any]:
        policy = DisclosurePolicy(
            supplier=self.node.did, designations=(Designation(recipient=recipient, view=view),)
        )
        return disclose(declaration, policy, recipient)

    # -- suppliers ---------------------------------------------------------------------------------------

    def ask(self, supplier: str) -> None:
        """Record that ``supplier`` was asked for its declaration (an unanswered request counts in the
        response rate)."""
        _check_did(supplier)
        with self.node.store.transaction() as tx:
            if get_document(tx, APP, "supplier", supplier) is None:
                put_document(
                    tx, APP, "supplier", supplier, {"supplier": supplier, "payload": None}, self._now()
                )
                self.node.log.append(tx, "duediligence.ask", {"supplier": supplier})

    def fetch(self, supplier: str, asset_id: str, dsp: str | None = None) -> Declaration | Summary:
        """Pull ``asset_id`` from the supplier's connector through DSP, verify and keep it."""
        _check_did(supplier)
        address = dsp or _dsp_address(supplier, dev=self.node.settings.dev)
        payload, agreement_id, digest = self._pull(supplier, address, asset_id)
        received = receive(payload)
        upstream_counts(payload)
        if payload.get("supplier") != supplier:
            raise InvalidInput(
                f"the disclosure names {payload.get('supplier')!r} as its supplier, not {supplier}",
                reason="supplier",
            )
        record = {"supplier": supplier, "payload": payload, "assetId": asset_id, "agreementId": agreement_id}
        with self.node.store.transaction() as tx:
            put_document(tx, APP, "supplier", supplier, record, self._now())
            event = {"supplier": supplier, "asset": asset_id, "agreement": agreement_id, "sha256": digest}
            self.node.log.append(tx, "duediligence.receive", event)
        return received

    def _pull(self, supplier: str, address: str, asset_id: str) -> tuple[dict[str, Any], str, str]:
        """The consumer side of DSP through this node's own management API; failures upstream are 502,
        a dataset or contract refused to us is 403."""
        try:
            with NodeClient(self.node.settings.base_url, self.node.api_key, timeout=30.0) as me:
                agreement_id, response = self._negotiate_and_fetch(me, supplier, address, asset_id)
                try:
                    me.verify_delivery(response, supplier)
                    payload = json.loads(response.content)
                except (BattraceError, ValueError) as error:
                    raise InvalidInput(f"the delivery from {supplier} did not verify: {error}") from None
        except (ManagementError, TimeoutError, httpx.HTTPError) as error:
            raise ProviderUnavailable(f"the exchange with {supplier} failed: {error}") from None
        if not isinstance(payload, dict):
            raise InvalidInput(f"the delivery from {supplier} is not a disclosure object")
        return payload, agreement_id, _digest(response.content)

    @staticmethod
    def _negotiate_and_fetch(
        me: NodeClient, supplier: str, address: str, asset_id: str
    ) -> tuple[str, httpx.Response]:
        try:
            offer, contexts = first_offer(me.catalog(address, supplier), asset_id)
        except LookupError:
            raise Forbidden(f"{supplier} offers no dataset {asset_id!r} to this node") from None
        negotiation = me.wait_negotiation(me.negotiate(address, supplier, asset_id, offer, contexts))
        if negotiation.get("state") != "FINALIZED":
            raise Forbidden(f"{supplier} did not agree to the contract: {negotiation.get('errorDetail')}")
        agreement_id = str(negotiation["contractAgreementId"])
        transfer = me.wait_transfer(me.transfer(address, agreement_id))
        if transfer.get("state") != "STARTED":
            raise ProviderUnavailable(f"{supplier} did not start the transfer: {transfer.get('errorDetail')}")
        response = me.fetch(me.edr(str(transfer["@id"])))
        if response.status_code != 200:
            raise ProviderUnavailable(f"{supplier}'s data plane answered HTTP {response.status_code}")
        return agreement_id, response

    def suppliers(self) -> list[dict[str, Any]]:
        """Who was asked, and what each answered (the view received, the asset and agreement it came by)."""
        return [
            {
                "supplier": s["supplier"],
                "view": s["payload"]["view"] if s.get("payload") else None,
                "assetId": s.get("assetId"),
                "agreementId": s.get("agreementId"),
            }
            for s in self._suppliers()
        ]

    def _suppliers(self) -> list[Mapping[str, Any]]:
        with self.node.store.read() as tx:
            return [d.body for d in list_documents(tx, APP, "supplier", limit=10_000)]

    # -- roll-up and passport values -------------------------------------------------------------------

    def chain(self, declaration_id: str) -> Chain:
        """The declaration rolled up over every received supplier declaration. A summary view answers the
        request but adds nothing to the lists (it has none)."""
        own = self.declaration(declaration_id)
        suppliers = self._suppliers()
        me = self.node.did
        nodes = {me: ChainNode(me, own, tuple(str(s["supplier"]) for s in suppliers))}
        upstream_requested = upstream_responded = 0
        for record in suppliers:
            payload = record.get("payload")
            received = receive(payload) if payload is not None else None
            declaration = received if isinstance(received, Declaration) else None
            nodes[str(record["supplier"])] = ChainNode(str(record["supplier"]), declaration)
            if payload is not None:
                asked, answered = upstream_counts(payload)
                upstream_requested += asked
                upstream_responded += answered
        rolled = roll_up(me, nodes)
        answered = sum(1 for s in suppliers if s.get("payload") is not None)  # a summary answers too
        return Chain(rolled, len(rolled.requested) + upstream_requested, answered + upstream_responded)

    def compute(
        self,
        declaration_id: str,
        *,
        conformant: ConformantList | None = None,
        cahra: CountryList | None = None,
    ) -> Computed:
        """The roll-up, its results (response rate over every tier) and the passport's values."""
        chain = self.chain(declaration_id)
        computed = results(
            chain.rollup.declaration,
            cahra or default_cahra_list(),
            conformant or ConformantList("none", frozenset()),
        )
        rate = chain.responded / chain.requested if chain.requested else None
        computed = dataclasses.replace(computed, response_rate=rate)
        return Computed(chain, computed, _passport_values(self.declaration(declaration_id), computed))


def _check_did(value: str) -> None:
    if not value.startswith("did:") or len(value) > 2048:
        raise InvalidInput(f"a supplier is named by its DID, not {value[:80]!r}", reason="supplier")


def _passport_values(own: Declaration, computed: Results) -> dict[str, object]:
    """The passport's due-diligence values: the report from the evidence (hash, public access checked by
    passport.py), else the programme's report link as stated."""
    report = next((ref for ref in own.evidence if ref.kind == "due_diligence_report"), None)
    if report is not None:
        return passport_values(report, computed, own.evidence)
    if not own.programme.report_url:
        raise InvalidInput(
            "the declaration names no public due diligence report (Art. 52(3)): add it to the evidence "
            "or give programme.report_url",
            reason="due_diligence_report",
        )
    values: dict[str, object] = {
        "due_diligence_report": own.programme.report_url,
        "supply_chain_indices": indices_text(computed),
    }
    for key, value in values.items():
        check_value(key, value)
    return values


def conformant_from(body: Mapping[str, Any]) -> ConformantList | None:
    text = body.get("conformantCsv")
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidInput(
            "conformantCsv must be the CSV text of a conformant smelter list", reason="conformantCsv"
        )
    source = body.get("conformantSource", "user import")
    return parse_conformant_csv(text, str(source))


def cahra_from(body: Mapping[str, Any]) -> CountryList | None:
    document = body.get("cahraList")
    return None if document is None else load_country_list(document)


def _dsp_address(did: str, *, dev: bool) -> str:
    """The DSP endpoint of a battrace node known by its did:web (its DID document sits at the node's root)."""
    try:
        url = did_web_document_url(did, allow_http=dev)
    except (ValueError, BattraceError):
        raise InvalidInput(
            f"{did!r} is not a did:web; give the supplier's 'dsp' address", reason="dsp"
        ) from None
    return url.removesuffix("/.well-known/did.json") + DSP_PATH
