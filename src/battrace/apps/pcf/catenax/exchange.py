"""The Catena-X PCF exchange between nodes (PCF Exchange KIT; research pcf-ouranos.md §3): the node-side
service around the pure state machine in `flow.py`.

Each node offers one asset of `dct:type` `cx-taxo:PcfExchange` whose data address type (`ADDRESS_TYPE`)
routes data-plane calls to `PcfExchange.serve` after the connector's agreement, EDR and usage checks. The same
asset plays both KIT roles, as in the KIT, where every participant exposes one PCF exchange endpoint:

* **provider** — a consumer holding an agreement calls `GET /productIds/{productId}?requestId=&message=`
  → 202, kept as ``provided/<requestId>``. The provider's **operator** answers
  (`answer(requestId)`): the answer is a disclosure decision (which footprint, at which granularity, under
  which header), so it is not sent on its own when a footprint happens to exist. Answering negotiates for
  the consumer's exchange asset (found through the consumer's DID document → DSP `DataService` → version
  metadata) and `PUT`s the io.catenax.pcf 9.0.0 payload `?requestId=`. `update(key)` later `PUT`s the
  changed footprint without requestId, only to consumers that asked for the product before.
* **consumer** — `request(...)` negotiates for the provider's exchange asset, sends the GET (expects 202) and
  keeps ``requested/<requestId>``; the provider's PUT is accepted only for a requestId this node sent to
  that provider (else 404 / 403), must parse as a 9.0.0 Pcf for the product asked (else 400, nothing kept),
  and is kept as ``payload/<sha256>``; `disclosure(requestId)` is the received footprint as our
  `Disclosure` (convert.py), ready for a BOM line.
* **battery aspect** — to a consumer granted ``stages`` the provider sends, after the Pcf, the stage split as
  pcf_for_battery_component_supplier 1.0.0: a second PUT on the same resource and requestId keyed by the
  aspect's semantic id (`flow.SEMANTIC_ID_PARAM`; the KIT API has one payload per PUT). The consumer takes
  it only from the provider asked, only after the Pcf it goes with (else 409), schema-valid and matching
  that Pcf's unit and total and the provider's BPNL (else 400, nothing kept); it is kept beside that Pcf's
  payload, and the disclosure of the answer then carries the four stages.

Product ids on the wire are the footprint's product id (`ProductSpec.product_id`); the operator declares
which PcfService product keys are answered on the exchange, with the Catena-X header each needs
(`declare_product`, a `PactOffer`), and which granularity each consumer BPNL gets (``consumers``; the
offer's ``granularity`` for the others, total unless given). Documents live in ``app_documents`` (app
``pcf-exchange``); every change is logged (``pcf-exchange.*``, ids and SHA-256 only) in its transaction.

An answer becomes a BOM input with `keep(requestId, key)`: the latest payload is kept as the PcfService's
``received/<key>`` (source ``catenax:<requestId>``, its SHA-256 the roll-up's input digest); 409 while the
request has no answer.

What the consumer verifies of an answer, and what it does not:

* verified — the PUT came on this node's data plane with a live EDR token that this node's connector issued
  for an agreement on its exchange asset; the token's holder is the DID that negotiated that agreement
  (authenticated by its credentials in the DSP negotiation), and the backend is handed exactly that DID
  (`serve`'s ``caller_did``) and its BPNL from the trust registry. A PUT with a requestId is accepted only
  from the DID the request went to; one without (an update) only from a provider already asked for the
  product. Kept with each payload: ``provider`` (that DID) and ``agreementId``; the payload's SHA-256.
* not verified — that the provider signed these bytes: the Pcf body has no place for a signature and the
  data plane hands backends no request headers, so there is no provider signature over the payload and no
  delivery statement (``statement`` is null in ``received/<key>``, unlike a disclosure pulled with
  `PcfService.receive`). The EDR token is a bearer secret: whoever holds it speaks as its DID, and the
  consumer cannot prove to a third party what the provider sent (no non-repudiation). The numbers are
  taken as the provider declared them (no recomputation).

Deliberately not here: the KIT's BPN discovery and DTR lookup (peers are named by DSP address and DID), the
PCF roll-up itself (`PcfService`), and a signature over the PUT body (see above).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from battrace.apps.pcf.catenax.aspects import (
    BatteryDeclaration,
    battery_payload,
    check_answer,
    parse_declaration,
    sends_battery,
)
from battrace.apps.pcf.catenax.battery import ASPECT_URN as BATTERY_ASPECT
from battrace.apps.pcf.catenax.battery import parse_battery_aspect
from battrace.apps.pcf.catenax.convert import Envelope, from_catenax, to_catenax
from battrace.apps.pcf.catenax.flow import (
    Event,
    Exchange,
    Ledger,
    Message,
    Outcome,
    Role,
    State,
    apply,
    read_call,
    request_target,
    response_target,
    semantic_id_of,
)
from battrace.apps.pcf.catenax.ids import bpnl_urn
from battrace.apps.pcf.catenax.model import Pcf, parse_pcf
from battrace.apps.pcf.disclosure import digest, disclose
from battrace.apps.pcf.model import Disclosure, Granularity
from battrace.apps.pcf.node import PCF_USAGE, ConnectorFailed, PactOffer, PcfService, check_key, parse_wire
from battrace.client import Edr, ManagementError, NodeClient, first_offer
from battrace.clock import Clock
from battrace.connector.node import Node
from battrace.connector.records import Agreement, Asset
from battrace.connector.urls import check_peer_url
from battrace.dataplane import DataRequest, DataResponse, dpop
from battrace.errors import BattraceError, Conflict, Forbidden, InvalidInput, NotFound
from battrace.provenance import sha256_hex
from battrace.store.documents import delete_document, get_document, list_documents, put_document
from battrace.store.tx import Tx

APP = "pcf-exchange"
ADDRESS_TYPE = "BattracePcfExchange"  # data address type → `PcfExchange.serve`
ASSET_ID = "pcf-exchange"
# PCF Exchange KIT: the asset is found by `dct:type` `cx-taxo:PcfExchange`
DCT_TYPE = "http://purl.org/dc/terms/type"
PCF_EXCHANGE_TYPE = "https://w3id.org/catenax/taxonomy#PcfExchange"
EDC_NS = "https://w3id.org/edc/v0.0.1/ns/"
DSP_VERSION = "2025-1"
_BPNL = re.compile(r"^BPNL[A-Za-z0-9]{12}$")
_PAGE = 1000
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Answer:
    """What one consumer is sent for a product: the Pcf (and its SHA-256), and the battery aspect when the
    consumer is granted the stages."""

    sha256: str
    pcf: bytes
    battery: bytes | None


class PcfExchange:
    """One node's side of the exchange. ``management`` opens a client of this node's own management API."""

    def __init__(
        self,
        node: Node,
        *,
        management: Callable[[], NodeClient],
        pcf: PcfService,
        clock: Clock | None = None,
    ) -> None:
        self._node = node
        self._management = management
        self._pcf = pcf
        self._clock = clock or node.ctx.clock
        # EDRs to peers' exchange assets, reused while the data plane accepts them (the KIT's EDR cache);
        # in memory only: a token is a secret and a fresh one is one negotiation away
        self._edrs: dict[str, Edr] = {}
        self._lock = threading.Lock()

    # -- the asset both roles share ------------------------------------------------------------------------

    def offer_asset(self, bpn: str, partners: Sequence[str] = ()) -> dict[str, Any]:
        """Offer this node's exchange asset to active members (only ``partners``' BPNs when given) and keep
        this node's own BPNL, the identity the exchange records on both sides."""
        for value in (bpn, *partners):
            if not isinstance(value, str) or not _BPNL.match(value):
                raise InvalidInput(f"{str(value)[:40]!r} is not a BPNL (BPNL + 12)", reason="bpn")
        setup = {"bpn": bpn, "partners": sorted(set(partners)), "assetId": ASSET_ID}
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "setup", "self")
        if found is not None:
            if dict(found.body) != setup:
                raise Conflict("the exchange asset is already offered with other settings", reason="setup")
            return setup
        _managed(lambda: _create_asset(self._management, setup["partners"]), "publication")
        with self._node.store.transaction() as tx:
            put_document(tx, APP, "setup", "self", setup, self._clock())
            self._node.log.append(tx, "pcf-exchange.offered", {"assetId": ASSET_ID})
        return setup

    def own_bpn(self) -> str:
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "setup", "self")
        if found is None:
            raise Conflict("offer the exchange asset first (PUT .../pcf-exchange/asset)", reason="setup")
        return str(found.body["bpn"])

    def serve(
        self, asset: Asset, agreement: Agreement, caller_did: str, request: DataRequest
    ) -> DataResponse:
        """Data-plane backend: GET = a consumer's request to us, PUT = a provider's answer to us."""
        del asset
        target = "/" + request.path.lstrip("/") + (f"?{request.query}" if request.query else "")
        bpn = self._node.ctx.claims_for_did(caller_did).get("bpn")
        if not isinstance(bpn, str) or not _BPNL.match(bpn):
            raise Forbidden("the caller has no BPNL this node knows of (Edc-Bpn)", reason="bpn")
        if request.method == "PUT" and semantic_id_of(target) is not None:
            return self._receive_aspect(agreement, caller_did, bpn, target, request.body)
        if request.method == "PUT":
            return self._receive_answer(agreement, caller_did, bpn, target, request.body)
        message = read_call(request.method, target, sender_bpn=bpn)
        return self._receive_request(agreement, caller_did, message)

    # -- provider --------------------------------------------------------------------------------------------

    def _receive_request(self, agreement: Agreement, consumer_did: str, message: Message) -> DataResponse:
        with self._node.store.transaction() as tx:
            outcome = apply(_ledger(tx, "provided"), message)
            if not outcome.repeated:
                body = _exchange_json(outcome.exchange) | {
                    "consumerDid": consumer_did,
                    "openedAt": self._clock().isoformat(),
                }
                put_document(tx, APP, "provided", str(outcome.exchange.request_id), body, self._clock())
                event = {"requestId": str(outcome.exchange.request_id), "consumer": consumer_did}
                self._node.log.append(tx, "pcf-exchange.request_received", event)
        return DataResponse(outcome.status, "text/plain", b"", agreement.id)

    def declare_product(self, key: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Answer requests for this product's id with its footprint, cut and headed as ``body`` says: the
        header of a `PactOffer`, whose ``granularity`` (default total) every consumer gets unless
        ``consumers`` {BPNL: granularity} grants that consumer another one."""
        check_key(key, "product key")
        consumers = _grants(body.get("consumers", {}))
        battery = None if body.get("battery") is None else parse_declaration(body["battery"])
        header = {k: v for k, v in body.items() if k not in ("consumers", "battery")}
        offer = parse_wire(PactOffer, header, "exchange product")
        grants = {offer.granularity, *(Granularity(g) for g in consumers.values())}
        if battery is None and any(sends_battery(g) for g in grants):
            raise InvalidInput(
                "a consumer granted 'stages' gets them as pcf_for_battery_component_supplier 1.0.0: "
                "declare battery {siteIdentifier (BPNS), manufacturerPartId?, customerPartId?}",
                reason="battery",
            )
        product_id = self._pcf.product(key).product_id
        document = {"productId": product_id, "offer": offer.model_dump(mode="json", by_alias=True)}
        if consumers:
            document["consumers"] = consumers
        if battery is not None:
            document["battery"] = battery.model_dump(mode="json", by_alias=True, exclude_none=True)
        with self._node.store.transaction() as tx:
            put_document(tx, APP, "product", key, document, self._clock())
            event = {"product": key, "sha256": sha256_hex(_canonical(document))}
            self._node.log.append(tx, "pcf-exchange.product", event)
        return {"key": key, **document}

    def incoming(self) -> list[dict[str, Any]]:
        with self._node.store.transaction() as tx:
            return [dict(d.body) for d in _sorted(tx, "provided")]

    def answer(self, request_id: uuid.UUID) -> dict[str, Any]:
        """Send the product's current footprint as the response to one received request."""
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "provided", str(request_id))
        if found is None:
            raise NotFound(f"no received request {request_id}", reason="unknown_request")
        exchange = _exchange_of(found.body)
        answer = self._payload(self._key_for(exchange.product_id), exchange.consumer_bpn)
        message = Message(
            Event.RESPONSE,
            Role.PROVIDER,
            self.own_bpn(),
            exchange.product_id,
            request_id,
            None,
            answer.sha256,
        )
        return self._send(exchange, str(found.body["consumerDid"]), message, answer)

    def update(self, key: str) -> dict[str, Any]:
        """PUT the product's current footprint without requestId to every consumer that asked for it and was
        answered with another one (KIT: no proactive push, so only those)."""
        sha256 = self._payload(key, None).sha256
        product_id = self._declared(key)["productId"]
        with self._node.store.transaction() as tx:
            ledger = _ledger(tx, "provided")
            consumers = {
                str(d.body["consumerBpn"]): str(d.body["consumerDid"]) for d in _sorted(tx, "provided")
            }
        sent, unchanged = [], []
        for bpn, did in consumers.items():
            latest = ledger.latest_answered(bpn, product_id)
            if latest is None:
                continue
            answer = self._payload(key, bpn)  # each consumer at the granularity granted to it
            if latest.answers[-1] == answer.sha256:
                unchanged.append(bpn)
                continue
            message = Message(
                Event.UPDATE, Role.PROVIDER, self.own_bpn(), product_id, None, None, answer.sha256
            )
            self._send(latest, did, message, answer)
            sent.append(bpn)
        # sha256: the payload at the declared default granularity (a consumer granted another gets its own)
        return {"product": key, "sha256": sha256, "sent": sent, "unchanged": unchanged}

    def _send(
        self, exchange: Exchange, consumer_did: str, message: Message, answer: _Answer
    ) -> dict[str, Any]:
        """PUT the Pcf, then (a consumer granted stages) the battery aspect of the same answer. A failed
        aspect PUT fails the call; sending again repeats the Pcf unchanged (idempotent) and the aspect."""
        with self._node.store.transaction() as tx:  # checked before anything leaves: a refusal sends nothing
            apply(_ledger(tx, "provided"), message, consumer_bpn=exchange.consumer_bpn)
        dsp = self._dsp_of(consumer_did)
        self._put(dsp, consumer_did, response_target(message.product_id, message.request_id), answer.pcf)
        with self._node.store.transaction() as tx:
            outcome = apply(_ledger(tx, "provided"), message, consumer_bpn=exchange.consumer_bpn)
            if not outcome.repeated:
                _keep(tx, "provided", outcome, self._clock())
                event = {"requestId": str(outcome.exchange.request_id), "sha256": message.payload_sha256}
                self._node.log.append(tx, f"pcf-exchange.{message.event.value}_sent", event)
        sent: dict[str, Any] = {
            "requestId": str(outcome.exchange.request_id),
            "event": message.event.value,
            "sha256": message.payload_sha256,
            "repeated": outcome.repeated,
        }
        if answer.battery is None:
            return sent
        target = response_target(message.product_id, message.request_id, semantic_id=BATTERY_ASPECT)
        self._put(dsp, consumer_did, target, answer.battery)
        battery_sha256 = sha256_hex(answer.battery)
        with self._node.store.transaction() as tx:
            event = {"requestId": sent["requestId"], "sha256": battery_sha256, "pcf": message.payload_sha256}
            self._node.log.append(tx, "pcf-exchange.battery_sent", event)
        return sent | {"batterySha256": battery_sha256}

    def _put(self, dsp: str, consumer_did: str, target: str, payload: bytes) -> None:
        response = self._call(dsp, consumer_did, "PUT", target, payload)
        if response.status_code != 200:
            raise ConnectorFailed(
                f"the consumer answered the PUT with {response.status_code}: {response.text[:300]}",
                reason="consumer",
            )

    def _declared(self, key: str) -> Mapping[str, Any]:
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "product", key)
        if found is None:
            raise NotFound(
                f"product {key[:128]!r} is not declared for the exchange", reason="unknown_product"
            )
        return found.body

    def _key_for(self, product_id: str) -> str:
        with self._node.store.transaction() as tx:
            keys = [str(d.id) for d in _all(tx, "product") if d.body.get("productId") == product_id]
        if not keys:
            raise NotFound(
                f"no product with id {product_id[:128]!r} is declared for the exchange",
                reason="unknown_product",
            )
        return keys[0]

    def _payload(self, key: str, consumer_bpn: str | None) -> _Answer:
        """The 9.0.0 Pcf of the product's current footprint, cut to the granularity granted to the consumer
        (None: the declared default), and its battery aspect when that grant includes the stages. The Pcf is
        built once per footprint, cut and header and kept, so a resent answer carries the same bytes (and
        digest): the consumer sees a repeat, not a change. The aspect has no timestamp: rebuilt, it is the
        same bytes."""
        declared = self._declared(key)
        offer = PactOffer.model_validate(declared["offer"])
        granted = dict(declared.get("consumers", {})).get(consumer_bpn, offer.granularity.value)
        footprint, _ = self._pcf.footprint(key)
        disclosure = disclose(footprint, Granularity(granted))
        declaration = declared.get("battery")
        battery = battery_payload(
            disclosure,
            None if declaration is None else BatteryDeclaration.model_validate(declaration),
            provider_bpn=self.own_bpn(),
            valid_to=_validity_end(offer, disclosure),
        )
        # the grants are not in the seed: granting one consumer more leaves the others' bytes as they were
        header = {k: v for k, v in declared.items() if k != "consumers"}
        seed = f"{self._node.did}/pcf-exchange/{key}/{digest(disclosure)}/{sha256_hex(_canonical(header))}"
        pf_id = uuid.uuid5(uuid.NAMESPACE_URL, seed)
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "outgoing", str(pf_id))
        if found is not None:
            return _Answer(str(found.body["sha256"]), str(found.body["pcf"]).encode(), battery)
        pcf = to_catenax(disclosure, self._envelope(pf_id, offer, disclosure))
        payload = json.dumps(pcf.to_json(), separators=(",", ":"), ensure_ascii=False).encode()
        sha256 = sha256_hex(payload)
        with self._node.store.transaction() as tx:
            body = {"product": key, "sha256": sha256, "pcf": payload.decode()}
            put_document(tx, APP, "outgoing", str(pf_id), body, self._clock())
            self._node.log.append(tx, "pcf-exchange.prepared", {"pfId": str(pf_id), "sha256": sha256})
        return _Answer(sha256, payload, battery)

    def _envelope(self, pf_id: uuid.UUID, offer: PactOffer, disclosure: Disclosure) -> Envelope:
        return Envelope(
            pf_id=pf_id,
            created=self._clock(),
            company_name=offer.company_name or self._node.settings.name,
            company_ids=(bpnl_urn(self.own_bpn()), *offer.company_ids),
            product_name=offer.product_name,
            mass_per_declared_unit=offer.mass_per_declared_unit,
            validity_end=_validity_end(offer, disclosure),
        )

    # -- consumer --------------------------------------------------------------------------------------------

    def request(
        self, provider_dsp: str, provider_did: str, product_id: str, message: str | None = None
    ) -> dict[str, Any]:
        """Ask a provider for a product's PCF. Recorded before the GET leaves, because the answer may come
        back before the GET returns; removed again when the provider does not accept it with 202."""
        request_id = uuid.uuid4()
        sent = Message(Event.REQUEST, Role.CONSUMER, self.own_bpn(), product_id, request_id, message)
        with self._node.store.transaction() as tx:
            outcome = apply(_ledger(tx, "requested", provider=provider_did), sent)
            extra = {"providerDid": provider_did, "providerDsp": provider_dsp}
            body = _exchange_json(outcome.exchange) | extra | {"openedAt": self._clock().isoformat()}
            put_document(tx, APP, "requested", str(request_id), body, self._clock())
        target = request_target(product_id, request_id, message)
        try:
            response = self._call(provider_dsp, provider_did, "GET", target, None)
            if response.status_code != 202:
                raise ConnectorFailed(
                    f"the provider answered the request with {response.status_code}: {response.text[:300]}",
                    reason="provider",
                )
        except BattraceError:
            with self._node.store.transaction() as tx:
                delete_document(tx, APP, "requested", str(request_id))
            raise
        with self._node.store.transaction() as tx:
            event = {"requestId": str(request_id), "provider": provider_did}
            self._node.log.append(tx, "pcf-exchange.requested", event)
        return self.requested(request_id)

    def requests(self) -> list[dict[str, Any]]:
        with self._node.store.transaction() as tx:
            return [_public(d.body) for d in _sorted(tx, "requested")]

    def requested(self, request_id: uuid.UUID) -> dict[str, Any]:
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "requested", str(request_id))
            if found is None:
                raise NotFound(f"no request {request_id} sent by this node", reason="unknown_request")
            body = _public(found.body)
            if found.body["answers"]:
                latest = get_document(tx, APP, "payload", str(found.body["answers"][-1]))
                assert latest is not None  # kept in the transaction that recorded the answer
                body["pcf"] = json.loads(str(latest.body["pcf"]))
                if latest.body.get("battery") is not None:
                    body["battery"] = json.loads(str(latest.body["battery"]))
        return body

    def received_pcf(self, request_id: uuid.UUID) -> tuple[Pcf, str]:
        """The latest Pcf received for a request, and the SHA-256 of its bytes."""
        latest, sha256 = self._latest_answer(request_id, NotFound)
        return parse_pcf(str(latest["pcf"]).encode()), sha256

    def disclosure(self, request_id: uuid.UUID) -> tuple[Disclosure, str]:
        """The received footprint as our `Disclosure` (per one declared unit), for a BOM line: with the four
        stages when the provider sent the battery aspect with the latest Pcf."""
        latest, sha256 = self._latest_answer(request_id, NotFound)
        return _received_disclosure(latest), sha256

    def keep(self, request_id: uuid.UUID, key: str) -> dict[str, Any]:
        """Keep the latest answer to a request as the PcfService's ``received/<key>``, a BOM input: its
        disclosure (with the stage split when the battery aspect came with it), the payload bytes and their
        SHA-256, the aspect's bytes and SHA-256, the provider's DID and the agreement it PUT under. A request
        not answered yet is a conflict (409): there is nothing to keep."""
        latest, sha256 = self._latest_answer(request_id, Conflict)
        battery = {k: latest[k] for k in ("battery", "batterySha256") if latest.get(k) is not None}
        return self._pcf.keep_received(
            key,
            disclosure=_received_disclosure(latest),
            sha256=sha256,
            payload=str(latest["pcf"]).encode(),
            provider=str(latest["provider"]),
            source=f"catenax:{request_id}",
            agreement_id=str(latest["agreementId"]),
            extra=battery,
        )

    def _latest_answer(
        self, request_id: uuid.UUID, unanswered: type[NotFound] | type[Conflict]
    ) -> tuple[Mapping[str, Any], str]:
        """The kept payload of the latest answer to a request this node sent, and the Pcf's SHA-256."""
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "requested", str(request_id))
            if found is None:
                raise NotFound(f"no request {request_id} sent by this node", reason="unknown_request")
            answers = list(found.body["answers"])
            latest = get_document(tx, APP, "payload", str(answers[-1])) if answers else None
        if latest is None:
            raise unanswered(f"request {request_id} has no answer yet", reason="unanswered")
        return latest.body, str(answers[-1])

    def _receive_answer(
        self, agreement: Agreement, provider_did: str, bpn: str, target: str, body: bytes
    ) -> DataResponse:
        sha256 = sha256_hex(body)
        message = read_call("PUT", target, sender_bpn=bpn, payload_sha256=sha256)
        with self._node.store.transaction() as tx:
            self._check_sender(tx, message, provider_did)
        pcf = parse_pcf(body)  # 400 before anything is kept
        if message.product_id not in _product_ids(pcf):
            raise InvalidInput(
                f"the Pcf is not for product {message.product_id[:128]!r}", reason="productIds"
            )
        consumer_bpn = self.own_bpn()
        with self._node.store.transaction() as tx:
            outcome = apply(
                _ledger(tx, "requested", provider=provider_did), message, consumer_bpn=consumer_bpn
            )
            if not outcome.repeated:
                _keep(tx, "requested", outcome, self._clock())
                payload = {
                    "pcf": body.decode("utf-8"),
                    "requestId": str(outcome.exchange.request_id),
                    "provider": provider_did,
                    "agreementId": agreement.id,
                }
                put_document(tx, APP, "payload", sha256, payload, self._clock())
                event = {"requestId": str(outcome.exchange.request_id), "sha256": sha256}
                self._node.log.append(tx, f"pcf-exchange.{message.event.value}_received", event)
        return DataResponse(outcome.status, "text/plain", b"", agreement.id)

    def _receive_aspect(
        self, agreement: Agreement, provider_did: str, bpn: str, target: str, body: bytes
    ) -> DataResponse:
        """The battery aspect of an answer (`flow.SEMANTIC_ID_PARAM`): from the provider asked, after its Pcf,
        schema-valid and matching that Pcf (unit, total, legal entity), else refused with nothing kept."""
        if semantic_id_of(target) != BATTERY_ASPECT:
            raise InvalidInput(
                f"semanticId {str(semantic_id_of(target))[:120]!r}: the only second aspect taken is "
                f"{BATTERY_ASPECT}",
                reason="semanticId",
            )
        sha256 = sha256_hex(body)
        message = read_call("PUT", target, sender_bpn=bpn, payload_sha256=sha256)
        consumer_bpn = self.own_bpn()
        with self._node.store.transaction() as tx:
            self._check_sender(tx, message, provider_did)
            exchange = self._answered(tx, message, provider_did, consumer_bpn)
            pcf_sha256 = exchange.answers[-1]
            kept = get_document(tx, APP, "payload", pcf_sha256)
        assert kept is not None  # kept in the transaction that recorded the answer
        aspect = parse_battery_aspect(body)  # 400 (schema, then model) before anything is kept
        check_answer(aspect, parse_pcf(str(kept.body["pcf"]).encode()), bpn)
        with self._node.store.transaction() as tx:
            kept = get_document(tx, APP, "payload", pcf_sha256)
            assert kept is not None
            if kept.body.get("batterySha256") != sha256:
                battery = {"battery": body.decode("utf-8"), "batterySha256": sha256}
                put_document(tx, APP, "payload", pcf_sha256, dict(kept.body) | battery, self._clock())
                event = {"requestId": str(exchange.request_id), "sha256": sha256, "pcf": pcf_sha256}
                self._node.log.append(tx, "pcf-exchange.battery_received", event)
        return DataResponse(200, "text/plain", b"", agreement.id)

    def _answered(self, tx: Tx, message: Message, provider_did: str, consumer_bpn: str) -> Exchange:
        """The exchange an aspect belongs to: the request named (an update: the latest one this provider
        answered for the product), which must already hold the Pcf the aspect goes with (409 before)."""
        if message.request_id is None:
            latest = _ledger(tx, "requested", provider=provider_did).latest_answered(
                consumer_bpn, message.product_id
            )
            if latest is None:
                raise Forbidden(f"{message.product_id[:128]!r} was never requested from and answered by you")
            return latest
        found = get_document(tx, APP, "requested", str(message.request_id))
        assert found is not None  # _check_sender: the request exists and went to this provider
        exchange = _exchange_of(found.body)
        if exchange.product_id != message.product_id:
            raise Conflict(f"request {exchange.request_id} is for another product", reason="productId")
        if not exchange.answers:
            raise Conflict(f"request {exchange.request_id} has no Pcf yet: PUT it first", reason="unanswered")
        return exchange

    def _check_sender(self, tx: Tx, message: Message, provider_did: str) -> None:
        """A response comes from the provider the request went to; a stranger learns nothing (403 for
        an id someone else owns, 404 for one nobody owns)."""
        if message.request_id is None:
            return  # an update: the flow looks only at exchanges with this provider (no proactive push)
        found = get_document(tx, APP, "requested", str(message.request_id))
        if found is None:
            raise NotFound(f"no open request {message.request_id}", reason="unknown_request")
        if found.body["providerDid"] != provider_did:
            raise Forbidden(f"request {message.request_id} was not sent to this party", reason="not_asked")

    # -- the connector, driven through the management API --------------------------------------------------

    def _call(self, dsp: str, did: str, method: str, target: str, body: bytes | None) -> httpx.Response:
        """One call on a peer's exchange asset, through a cached EDR; a refused token is renewed once."""
        with self._lock:
            edr = self._edrs.get(did)
        if edr is not None:
            response = self._send_on(edr, method, target, body)
            if response.status_code not in (401, 403):
                return response
        fresh = self._open(dsp, did)
        with self._lock:
            self._edrs[did] = fresh
        return self._send_on(fresh, method, target, body)

    def _send_on(self, edr: Edr, method: str, target: str, body: bytes | None) -> httpx.Response:
        url = edr.endpoint.rstrip("/") + target
        # RFC 9449: the EDR token is bound to this node's key; each request carries a fresh proof by it
        proof = dpop.proof(
            self._node.keys,
            htm=method,
            htu=url,
            token=edr.token,
            now=self._clock(),
            jti=self._node.ctx.new_id(),
        )
        headers = {"Authorization": f"{dpop.SCHEME} {edr.token}", "DPoP": proof}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return _managed(
            lambda: self._node.http.request(method, url, content=body, headers=headers), "data plane"
        )

    def _open(self, dsp: str, did: str) -> Edr:
        """Catalog → the dataset of type PcfExchange → negotiation → transfer → EDR."""
        with self._management() as client:
            catalog = _managed(lambda: client.catalog(dsp, did), "catalog request")
            asset_id = exchange_dataset(catalog)
            offer, contexts = first_offer(catalog, asset_id)
            started = _managed(lambda: client.negotiate(dsp, did, asset_id, offer, contexts), "negotiation")
            negotiation = _managed(lambda: client.wait_negotiation(started), "negotiation")
            if negotiation.get("state") != "FINALIZED":
                raise Forbidden(f"the peer terminated the negotiation: {negotiation.get('errorDetail')}")
            agreement = str(negotiation["contractAgreementId"])
            transfer_id = _managed(lambda: client.transfer(dsp, agreement), "transfer")
            transfer = _managed(lambda: client.wait_transfer(transfer_id), "transfer")
            if transfer.get("state") != "STARTED":
                raise Forbidden(f"the peer did not start the transfer: {transfer.get('state')}")
            return _managed(lambda: client.edr(transfer_id), "endpoint data reference")

    def _dsp_of(self, did: str) -> str:
        """The peer's DSP endpoint: its DID document's `DataService` points at its version metadata
        (DSP 2025-1 §1.1, common/did-service-schema.json), whose `path` for 2025-1 is the DSP base."""
        document = self._node.resolver.resolve(did)
        services = document.get("service", [])
        urls = [
            s.get("serviceEndpoint")
            for s in services
            if isinstance(s, dict) and s.get("type") == "DataService"
        ]
        if not urls or not isinstance(urls[0], str):
            raise ConnectorFailed(f"{did} names no DataService in its DID document", reason="dsp")
        url = check_peer_url(
            urls[0], dev=self._node.settings.dev, allowed_hosts=self._node.settings.allowed_peer_hosts
        )
        versions = _managed(lambda: self._node.http.get(url).json(), "version metadata")
        paths = [
            v.get("path")
            for v in (versions.get("protocolVersions", []) if isinstance(versions, dict) else [])
            if isinstance(v, dict) and v.get("version") == DSP_VERSION
        ]
        if not paths or not isinstance(paths[0], str):
            raise ConnectorFailed(f"{did} speaks no DSP {DSP_VERSION}", reason="dsp")
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}{paths[0]}"


# -- pure helpers --------------------------------------------------------------------------------------------


def exchange_dataset(catalog: Mapping[str, Any]) -> str:
    """The id of the catalog's dataset of type `cx-taxo:PcfExchange` (KIT: found by `dct:type`)."""
    datasets = catalog.get("dataset", [])
    for dataset in datasets if isinstance(datasets, list) else [datasets]:
        kinds = dataset.get(DCT_TYPE, dataset.get("dct:type"))
        for kind in kinds if isinstance(kinds, list) else [kinds]:
            value = kind.get("@id") if isinstance(kind, dict) else kind
            if value in (PCF_EXCHANGE_TYPE, "cx-taxo:PcfExchange"):
                return str(dataset["@id"])
    raise Forbidden(
        "the peer offers no PCF exchange asset (cx-taxo:PcfExchange) to this node", reason="not_offered"
    )


def _grants(value: Any) -> dict[str, str]:
    """``consumers`` of a product declaration: {BPNL: granularity}."""
    if not isinstance(value, dict):
        raise InvalidInput("consumers must be an object {BPNL: granularity}", reason="consumers")
    grants: dict[str, str] = {}
    for bpn, level in value.items():
        if not isinstance(bpn, str) or not _BPNL.match(bpn):
            raise InvalidInput(f"consumers: {str(bpn)[:40]!r} is not a BPNL (BPNL + 12)", reason="bpn")
        try:
            grants[bpn] = Granularity(level).value
        except ValueError:
            allowed = ", ".join(g.value for g in Granularity)
            raise InvalidInput(
                f"consumers.{bpn}: granularity must be one of {allowed}", reason="granularity"
            ) from None
    return dict(sorted(grants.items()))


def _received_disclosure(latest: Mapping[str, Any]) -> Disclosure:
    """A kept answer as a disclosure: the Pcf, with the stage split of its battery aspect when one came."""
    pcf = parse_pcf(str(latest["pcf"]).encode())
    battery = latest.get("battery")
    return from_catenax(pcf, None if battery is None else parse_battery_aspect(str(battery)))


def _product_ids(pcf: Pcf) -> set[str]:
    infos = [p for info in pcf.companyAndProductInformation for p in info.productInformation or ()]
    return {i for product in infos for i in product.productIds}


def _exchange_json(exchange: Exchange) -> dict[str, Any]:
    return {
        "requestId": str(exchange.request_id),
        "consumerBpn": exchange.consumer_bpn,
        "productId": exchange.product_id,
        "state": exchange.state.value,
        "message": exchange.message,
        "answers": list(exchange.answers),
    }


def _exchange_of(body: Mapping[str, Any]) -> Exchange:
    return Exchange(
        request_id=uuid.UUID(str(body["requestId"])),
        consumer_bpn=str(body["consumerBpn"]),
        product_id=str(body["productId"]),
        state=State(body["state"]),
        message=body.get("message"),
        answers=tuple(str(a) for a in body.get("answers", ())),
    )


def _public(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "openedAt"} | {"openedAt": body.get("openedAt")}


def _ledger(tx: Tx, kind: str, *, provider: str | None = None) -> Ledger:
    """A side's ledger, oldest first (so `latest_answered` is the latest); a consumer's per provider."""
    ledger = Ledger.EMPTY
    for document in _sorted(tx, kind):
        if provider is None or document.body.get("providerDid") == provider:
            ledger = ledger.with_exchange(_exchange_of(document.body))
    return ledger


def _keep(tx: Tx, kind: str, outcome: Outcome, now: datetime) -> None:
    found = get_document(tx, APP, kind, str(outcome.exchange.request_id))
    assert found is not None  # the flow found the exchange in this very ledger
    put_document(tx, APP, kind, found.id, dict(found.body) | _exchange_json(outcome.exchange), now)


def _sorted(tx: Tx, kind: str) -> list[Any]:
    return sorted(_all(tx, kind), key=lambda d: (str(d.body.get("openedAt", "")), d.id))


def _all(tx: Tx, kind: str) -> list[Any]:
    found: list[Any] = []
    after: str | None = None
    while True:
        page = list_documents(tx, APP, kind, after=after, limit=_PAGE)
        found.extend(page)
        if len(page) < _PAGE:
            return found
        after = page[-1].id


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _validity_end(offer: PactOffer, disclosure: Disclosure) -> datetime:
    return offer.validity_end or _plus_three_years(disclosure.reference_period_end)


def _plus_three_years(moment: datetime) -> datetime:
    """PACT v3 §validity-period default, as `PcfService.offer_on_pact` uses it: three years after the end."""
    try:
        return moment.replace(year=moment.year + 3)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 3, day=28)


def _create_asset(management: Callable[[], NodeClient], partners: Sequence[str]) -> None:
    """Asset (dct:type cx-taxo:PcfExchange), access policy (active members, the partners' BPNs when named),
    the Catena-X PCF usage policy, and the contract definition."""
    members: list[dict[str, Any]] = [
        {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"}
    ]
    if partners:
        members.append(
            {"leftOperand": "BusinessPartnerNumber", "operator": "isAnyOf", "rightOperand": list(partners)}
        )
    asset = {
        "@context": {
            "@vocab": EDC_NS,
            "dct": "http://purl.org/dc/terms/",
            "cx-taxo": "https://w3id.org/catenax/taxonomy#",
        },
        "@id": ASSET_ID,
        "properties": {"name": "PCF exchange endpoint", "dct:type": {"@id": "cx-taxo:PcfExchange"}},
        "dataAddress": {"type": ADDRESS_TYPE},
    }
    access = [{"action": "access", "constraint": [{"and": members}]}]
    with management() as client:
        steps: list[Callable[[], object]] = [
            lambda: client.call("POST", "/management/v3/assets", asset, expect=(200, 201)),
            lambda: client.create_policy(f"{ASSET_ID}-access", access),
            lambda: client.create_policy(f"{ASSET_ID}-usage", PCF_USAGE),
            lambda: client.create_contract_definition(
                f"{ASSET_ID}-definition", f"{ASSET_ID}-access", f"{ASSET_ID}-usage", [ASSET_ID]
            ),
        ]
        for step in steps:
            try:
                step()
            except ManagementError as error:
                # 409: created by an earlier attempt that stopped before the setup was kept; carry on
                if error.status != 409:
                    raise


def _managed(call: Callable[[], _T], what: str) -> _T:
    try:
        return call()
    except ManagementError as error:
        if error.status == 409:
            raise Conflict(f"{what}: {error.body}") from None
        raise ConnectorFailed(f"{what} failed: HTTP {error.status} {error.body}", reason=what) from None
    except (httpx.HTTPError, ValueError) as error:
        raise ConnectorFailed(f"{what} failed: {error}", reason=what) from None
    except TimeoutError as error:
        raise ConnectorFailed(f"{what} did not settle: {error}", reason="timeout") from None
