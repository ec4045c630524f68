"""The carbon-footprint app on a node (issue 6): products, received supplier disclosures, roll-up, offers.

What a company keeps here (``app_documents``, app ``pcf``), and who ever sees it:

* ``product/<key>`` — activity data and BOM lines (``ProductSpec``). Never leaves the node.
* ``received/<key>`` — a supplier's disclosure as pulled through the data space, with the provider's signed
  delivery statement; the statement's SHA-256 (of the payload bytes) is the input digest of the roll-up. Or
  one answered on the Catena-X exchange (``keep_received``, ``source`` ``catenax:<requestId>``): no signed
  statement there (``statement`` null), the payload's SHA-256 and the agreement it came under instead.
* ``footprint/<key>`` — the full result and its signed derivation statement. Never leaves the node.
* ``disclosure/<asset id>`` — what was published to one recipient: a ``Stored`` asset whose access policy
  admits only that recipient's BPN (Catena-X ``BusinessPartnerNumber``), at the granularity granted to it.
* ``pact/<uuid>`` and ``pact-client/<id>`` — footprints offered on the PACT v3 host and its clients (with
  the allow-listed event endpoint a client's RequestCreatedEvents are answered at, if the operator gave one).
* ``pact-audience/<uuid>`` — which clients may see an offered footprint (absent: every client).
* ``pact-outbox/<event id>`` — replies to RequestCreatedEvents: pending ones with attempt count, deadline and
  next due time (resumed after a restart), then the record of their delivery or abandonment.

Every change is logged (``pcf.*`` entries) in the transaction that makes it, with ids and SHA-256 only.
The app drives its own connector through the management API (``battrace.client.NodeClient``), exactly as a
company's own systems would, so it depends on no connector internals.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from battrace.apps.pcf.activity import Activity, ElectricityModel, own_emissions
from battrace.apps.pcf.battery_metric import (
    BatteryMetric,
    battery_metric,
    lifetime_energy_from_cycles,
    lifetime_energy_from_service_life,
)
from battrace.apps.pcf.catenax.convert import Envelope, to_pact
from battrace.apps.pcf.disclosure import canonical_json, digest, disclose, parse_disclosure, sign_footprint
from battrace.apps.pcf.factors import FactorSet, example_factors
from battrace.apps.pcf.model import (
    DQR,
    DeclaredUnit,
    Disclosure,
    Footprint,
    Granularity,
    Number,
    Stage,
    canonical_bytes,
)
from battrace.apps.pcf.pact.auth import ClientCredentials, IssuedToken
from battrace.apps.pcf.pact.callbacks import Recipient, normal_source
from battrace.apps.pcf.pact.model import ProductFootprint, describe, parse_footprint
from battrace.apps.pcf.pact.outbox import Delivery, State
from battrace.apps.pcf.pact.repository import FootprintFilter
from battrace.apps.pcf.rollup import SupplierInput, rollup
from battrace.client import ManagementError, NodeClient, first_offer
from battrace.clock import Clock
from battrace.connector.node import Node
from battrace.errors import BattraceError, Conflict, Forbidden, InvalidInput, NotFound
from battrace.passport.attributes import BatteryCategory
from battrace.passport.service import NewModel
from battrace.provenance import sha256_hex
from battrace.store.documents import delete_document, get_document, list_documents, put_document
from battrace.store.tx import Tx

APP = "pcf"
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_BPN = re.compile(r"^BPN[LSA][A-Z0-9]{12}$")  # Catena-X BPNL/BPNS/BPNA: 16 characters
# Catena-X PCF usage (Data Exchange Governance 1.0, purpose cx.pcf.base:1), as the PCF Exchange KIT offers it.
PCF_USAGE: list[dict[str, Any]] = [
    {
        "action": "use",
        "constraint": [
            {
                "and": [
                    {
                        "leftOperand": "FrameworkAgreement",
                        "operator": "eq",
                        "rightOperand": "DataExchangeGovernance:1.0",
                    },
                    {"leftOperand": "UsagePurpose", "operator": "isAnyOf", "rightOperand": ["cx.pcf.base:1"]},
                ]
            }
        ],
    }
]
_PAGE = 1000


class _Wire(BaseModel):
    model_config = ConfigDict(
        defer_build=True, frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class BomLine(_Wire):
    """``amount`` ``unit`` of a received supplier product per one declared unit of this product."""

    received: str = Field(min_length=1)  # key of a ``received`` disclosure
    amount: Number = Field(ge=0)
    unit: DeclaredUnit  # must be the supplier's declared unit: no silent conversion
    stage: Stage | None = None  # where a total disclosed without its stage split is booked


class ProductSpec(_Wire):
    product_id: str = Field(min_length=1)  # a URN, as PACT productIds
    declared_unit: DeclaredUnit
    reference_period: tuple[AwareDatetime, AwareDatetime]
    electricity_model: ElectricityModel = ElectricityModel.DRAFT_DELEGATED_ACT
    own_dqr: DQR | None = None
    activities: tuple[Activity, ...] = ()
    inputs: tuple[BomLine, ...] = ()


class Lifetime(_Wire):
    """Total energy over service life: given, from a declared cycle life, or by the draft delegated act."""

    lifetime_energy_kwh: Number | None = None
    capacity_kwh: Number | None = None
    cycles: Number | None = None
    depth_of_discharge: Number | None = None
    usable_energy_kwh: Number | None = None
    service_years: Number | None = None
    vehicle_category: str | None = None

    def energy(self) -> Decimal:
        if self.lifetime_energy_kwh is not None:
            return self.lifetime_energy_kwh
        if self.capacity_kwh is not None and self.cycles is not None and self.depth_of_discharge is not None:
            return lifetime_energy_from_cycles(self.capacity_kwh, self.cycles, self.depth_of_discharge)
        if self.usable_energy_kwh is not None and self.service_years is not None and self.vehicle_category:
            return lifetime_energy_from_service_life(
                self.usable_energy_kwh, self.service_years, self.vehicle_category
            )
        raise InvalidInput(
            "give lifetimeEnergyKwh, or capacityKwh + cycles + depthOfDischarge, or usableEnergyKwh + "
            "serviceYears + vehicleCategory (draft delegated act)",
            reason="lifetime",
        )


class PactOffer(_Wire):
    """What a PACT v3 footprint needs beyond the disclosure (its header, see ``catenax.convert.Envelope``).
    ``clients``: the PACT client ids that may see it; absent (None) means every client, as before."""

    granularity: Granularity = Granularity.TOTAL
    product_name: str = Field(min_length=1)
    mass_per_declared_unit: Number = Field(ge=0)  # kg per declared unit
    company_name: str | None = None
    company_ids: tuple[str, ...] = ()
    validity_end: AwareDatetime | None = None
    clients: tuple[str, ...] | None = None


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class PactCallback(_Wire):
    """Where a PACT client receives the replies to its RequestCreatedEvents (its own PACT host) and the
    credentials this node uses at that host's token endpoint. Registering it is the operator's allow-list:
    replies never go to the ``source`` an event names, only here."""

    base_url: str = Field(min_length=1, max_length=2048)
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    auth_base_url: str | None = Field(default=None, max_length=2048)
    source: str | None = Field(default=None, max_length=2048)  # the client's CloudEvents source; default base

    def checked(self) -> PactCallback:
        _check_callback_url(self.base_url, "baseUrl")
        if self.auth_base_url is not None:
            _check_callback_url(self.auth_base_url, "authBaseUrl")
        return self

    def recipient(self, client_id: str) -> Recipient:
        return Recipient(
            source=self.source or self.base_url,
            base_url=self.base_url.rstrip("/"),
            username=self.username,
            password=self.password,
            client_id=client_id,
            auth_base_url=self.auth_base_url,
        )


def _check_callback_url(url: str, what: str) -> None:
    """https, or plain http on a loopback host only (as the passport resolver base); no credentials,
    query or fragment in it (the credentials go in their own fields)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if not url.isascii() or not host or parts.username is not None or parts.query or parts.fragment:
        raise InvalidInput(
            f"{what} must be an ASCII URL with a host and no credentials, query or fragment", reason=what
        )
    if not (parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK_HOSTS)):
        raise InvalidInput(
            f"{what} must use https (plain http only on loopback), got {url[:100]!r}", reason=what
        )


_WireT = TypeVar("_WireT", bound=_Wire)
_T = TypeVar("_T")


def parse_wire(model: type[_WireT], body: Mapping[str, Any], what: str) -> _WireT:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise InvalidInput(f"not a valid {what}: {describe(error)}", reason=what) from None


def check_key(key: str, what: str) -> str:
    if not _KEY.match(key):
        raise InvalidInput(f"{what} {key[:60]!r} must be 1-128 letters, digits, '.', '_', ':' or '-'")
    return key


class PcfService:
    """The node's carbon-footprint app. ``management`` opens a client of this node's own management API."""

    def __init__(
        self,
        node: Node,
        *,
        management: Callable[[], NodeClient],
        factors: FactorSet | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._node = node
        self._management = management
        self._factors = factors if factors is not None else example_factors()
        self._clock = clock or node.ctx.clock

    # -- products --------------------------------------------------------------------------------------------

    def put_product(self, key: str, body: Mapping[str, Any]) -> ProductSpec:
        check_key(key, "product key")
        spec = parse_wire(ProductSpec, body, "product")
        document = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        with self._node.store.transaction() as tx:
            put_document(tx, APP, "product", key, document, self._clock())
            event = {"product": key, "sha256": sha256_hex(canonical_bytes(document))}
            self._node.log.append(tx, "pcf.product", event)
        return spec

    def product(self, key: str) -> ProductSpec:
        with self._node.store.transaction() as tx:
            return ProductSpec.model_validate(_body(tx, "product", key))

    # -- receiving a supplier's disclosure through the data space --------------------------------------------

    def receive(self, key: str, *, provider_dsp: str, provider_did: str, asset_id: str) -> dict[str, Any]:
        """Negotiate for the supplier's disclosure asset, pull it, check the delivery statement, keep it.
        A provider that does not offer the asset to this node (its access policy names another BPN) shows no
        such dataset, and a negotiation it refuses ends TERMINATED: both are a 403 here."""
        check_key(key, "received key")
        with self._management() as client:
            agreement_id = _agreement(client, provider_dsp, provider_did, asset_id)
            response = _pull(client, provider_dsp, agreement_id)
            statement = _managed(lambda: client.verify_delivery(response, provider_did), "verification")
        disclosure = parse_disclosure(response.content)
        extra = {"statement": statement.signature, "assetId": asset_id}
        sha256, payload = statement.sha256, response.content
        return self._keep(key, disclosure, sha256, payload, provider_did, agreement_id, extra)

    def keep_received(
        self,
        key: str,
        *,
        disclosure: Disclosure,
        sha256: str,
        payload: bytes,
        provider: str,
        source: str,
        agreement_id: str,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Keep a disclosure that reached this node another way (a Catena-X exchange answer, ``source``
        ``catenax:<requestId>``) as ``received/<key>``, so a BOM line can name it. There is no signed delivery
        statement (``statement`` None): the sender is known by the agreement and EDR it called under.
        ``extra``: what else came with the payload and is kept for an audit (the Catena-X battery aspect
        whose stage split the disclosure carries: ``battery``, ``batterySha256``)."""
        check_key(key, "received key")
        if sha256 != sha256_hex(payload):
            raise InvalidInput("sha256 is not the SHA-256 of the payload", reason="sha256")
        kept: dict[str, Any] = {**(extra or {}), "statement": None, "source": source}
        return self._keep(key, disclosure, sha256, payload, provider, agreement_id, kept)

    def _keep(
        self,
        key: str,
        disclosure: Disclosure,
        sha256: str,
        payload: bytes,
        provider: str,
        agreement_id: str,
        extra: Mapping[str, Any],
    ) -> dict[str, Any]:
        document = {
            "disclosure": disclosure.model_dump(mode="json", exclude_none=True),
            "sha256": sha256,
            # the bytes as received (and signed, when a statement came with them), for a later audit
            "payload": payload.decode("utf-8"),
            "provider": provider,
            "agreementId": agreement_id,
            **extra,
        }
        with self._node.store.transaction() as tx:
            put_document(tx, APP, "received", key, document, self._clock())
            self._node.log.append(tx, "pcf.received", {"received": key, "sha256": sha256})
        return {"id": key, "sha256": sha256, "disclosure": document["disclosure"]}

    def received(self, key: str) -> tuple[Disclosure, str]:
        with self._node.store.transaction() as tx:
            body = _body(tx, "received", key)
        return Disclosure.model_validate(body["disclosure"]), str(body["sha256"])

    # -- computing -------------------------------------------------------------------------------------------

    def compute(self, key: str) -> Footprint:
        """own emissions + Σ amount × supplier total (``rollup``), signed as a derivation of its inputs."""
        spec = self.product(key)
        own = own_emissions(spec.activities, self._factors, electricity=spec.electricity_model)
        inputs = [self._input(line) for line in spec.inputs]
        footprint = rollup(
            product_id=spec.product_id,
            declared_unit=spec.declared_unit,
            own=own,
            inputs=inputs,
            own_dqr=spec.own_dqr,
            reference_period=spec.reference_period,
        )
        self._store_footprint(key, footprint, origin="activities")
        return footprint

    def adopt(self, key: str, footprint: Footprint, *, origin: str) -> Footprint:
        """Keep a footprint computed elsewhere on this node (e.g. by the Ouranos-compatible API) as the
        result for ``key``, signed and logged exactly like a computed one, so every exchange (DSP
        disclosures, PACT, Catena-X) serves the same numbers. ``origin`` names where it came from."""
        check_key(key, "product key")
        self._store_footprint(key, footprint, origin=origin)
        return footprint

    def _store_footprint(self, key: str, footprint: Footprint, *, origin: str) -> None:
        statement = sign_footprint(
            footprint, keys=self._node.keys, signer_did=self._node.did, now=self._clock()
        )
        document = {
            "footprint": footprint.model_dump(mode="json", exclude_none=True),
            "sha256": digest(footprint),
            "statement": statement.signature,
            "origin": origin,
        }
        with self._node.store.transaction() as tx:
            put_document(tx, APP, "footprint", key, document, self._clock())
            event = {"product": key, "sha256": document["sha256"], "inputs": list(footprint.inputs)}
            self._node.log.append(tx, "pcf.computed", event)

    def _input(self, line: BomLine) -> SupplierInput:
        disclosure, sha256 = self.received(line.received)
        return SupplierInput(
            amount=line.amount, unit=line.unit, disclosure=disclosure, sha256=sha256, stage=line.stage
        )

    def footprint(self, key: str) -> tuple[Footprint, str]:
        """The last computed result and its signed derivation statement (compact JWS)."""
        with self._node.store.transaction() as tx:
            body = _body(tx, "footprint", key, hint="compute it first")
        return Footprint.model_validate(body["footprint"]), str(body["statement"])

    # -- publishing to one recipient -------------------------------------------------------------------------

    def publish(self, key: str, *, recipient_bpn: str, granularity: Granularity) -> dict[str, Any]:
        """The footprint cut to ``granularity`` as a Stored asset only ``recipient_bpn`` is admitted to."""
        if not _BPN.match(recipient_bpn):
            raise InvalidInput(f"recipientBpn {recipient_bpn[:40]!r} is not a BPN (BPNL + 12)", reason="bpn")
        footprint, _ = self.footprint(key)
        payload = canonical_json(disclose(footprint, granularity))
        sha256 = sha256_hex(payload)
        asset_id = f"pcf-{key}-{sha256_hex(f'{recipient_bpn}|{sha256}'.encode())[:16]}"
        published = {"assetId": asset_id, "sha256": sha256, "granularity": granularity.value}
        with self._node.store.transaction() as tx:
            if get_document(tx, APP, "disclosure", asset_id) is not None:
                return published  # the same disclosure to the same recipient: already offered
        with self._management() as client:
            _offer(client, asset_id, payload, recipient_bpn)
        with self._node.store.transaction() as tx:
            body = {**published, "product": key, "recipientBpn": recipient_bpn}
            put_document(tx, APP, "disclosure", asset_id, body, self._clock())
            self._node.log.append(tx, "pcf.disclosed", {k: published[k] for k in ("assetId", "sha256")})
        return published

    # -- the battery passport --------------------------------------------------------------------------------

    def metric(self, key: str, lifetime: Lifetime) -> BatteryMetric:
        """Art. 7 figures of one battery of this product (declared per piece) over its lifetime energy."""
        footprint, _ = self.footprint(key)
        return battery_metric(footprint, lifetime.energy())

    def register_passport_model(
        self, key: str, lifetime: Lifetime, *, model_id: str, category: str, values: Mapping[str, Any]
    ) -> str:
        """A passport model whose carbon-footprint values are this product's (model values are immutable
        once registered, so they go in now; the values given must not set them)."""
        metric_values = self.metric(key, lifetime).passport_values()
        clash = sorted(set(values) & set(metric_values))
        if clash:
            raise InvalidInput(f"values {clash} come from the computed footprint; leave them out")
        try:
            parsed = BatteryCategory(category)
        except ValueError:
            allowed = ", ".join(c.value for c in BatteryCategory)
            raise InvalidInput(f"category must be one of {allowed}", reason="category") from None
        model = NewModel(check_key(model_id, "modelId"), parsed, {**values, **metric_values})
        return self._node.passports.register_model(model).id

    # -- PACT v3 host ----------------------------------------------------------------------------------------

    def offer_on_pact(self, key: str, offer: PactOffer) -> ProductFootprint:
        """The footprint, cut to ``offer.granularity``, as a PACT v3 footprint served to the PACT clients
        ``offer.clients`` (every client when None). Offering the same footprint again adds its clients."""
        footprint, _ = self.footprint(key)
        disclosure = disclose(footprint, offer.granularity)
        sha256 = digest(disclosure)
        pf_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{self._node.did}/pcf/{key}/{sha256}")
        clients = None if offer.clients is None else [check_key(c, "clientId") for c in offer.clients]
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "pact", str(pf_id))
            if found is not None:
                self._widen_audience(tx, pf_id, clients)
                return parse_footprint(found.body)
        envelope = Envelope(
            pf_id=pf_id,
            created=self._clock(),
            company_name=offer.company_name or self._node.settings.name,
            company_ids=offer.company_ids or (f"urn:battrace:node:{self._node.settings.name}",),
            product_name=offer.product_name,
            mass_per_declared_unit=offer.mass_per_declared_unit,
            validity_end=offer.validity_end or _plus_three_years(footprint.reference_period_end),
        )
        pf = to_pact(disclosure, envelope)
        with self._node.store.transaction() as tx:
            put_document(tx, APP, "pact", str(pf_id), pf.to_json(), self._clock())
            if clients is not None:
                put_document(
                    tx, APP, "pact-audience", str(pf_id), {"clients": sorted(set(clients))}, self._clock()
                )
            event: dict[str, Any] = {"pfId": str(pf_id), "sha256": sha256}
            if clients is not None:
                event["clients"] = sorted(set(clients))
            self._node.log.append(tx, "pcf.pact_offered", event)
        return pf

    def _widen_audience(self, tx: Tx, pf_id: uuid.UUID, clients: list[str] | None) -> None:
        """An existing footprint offered again: its audience becomes the union (None: every client)."""
        audience = get_document(tx, APP, "pact-audience", str(pf_id))
        if audience is None:
            return  # already visible to every client
        if clients is None:
            delete_document(tx, APP, "pact-audience", str(pf_id))
            self._node.log.append(tx, "pcf.pact_audience", {"pfId": str(pf_id), "clients": "all"})
            return
        widened = sorted(set(audience.body["clients"]) | set(clients))
        if widened != audience.body["clients"]:
            put_document(tx, APP, "pact-audience", str(pf_id), {"clients": widened}, self._clock())
            self._node.log.append(tx, "pcf.pact_audience", {"pfId": str(pf_id), "clients": widened})

    def register_pact_client(self, client_id: str, callback: PactCallback | None = None) -> str:
        """A data recipient of the PACT host; its secret is derived from the node's API key (see
        ``pact_secret``), so no secret is stored and rotating the API key rotates every client's. With a
        ``callback`` the client's RequestCreatedEvents are answered at that (allow-listed) PACT host;
        registering again replaces the callback."""
        check_key(client_id, "clientId")
        body: dict[str, Any] = {"clientId": client_id}
        if callback is not None:
            body["callback"] = callback.checked().model_dump(mode="json", by_alias=True, exclude_none=True)
        with self._node.store.transaction() as tx:
            put_document(tx, APP, "pact-client", client_id, body, self._clock())
            event = {"clientId": client_id}
            if callback is not None:
                event["callbackSha256"] = sha256_hex(callback.base_url.encode())
            self._node.log.append(tx, "pcf.pact_client", event)
        return pact_secret(self._node.api_key, client_id)

    def pact_clients(self) -> dict[str, str]:
        with self._node.store.transaction() as tx:
            ids = [d.id for d in _all(tx, "pact-client")]
        return {client_id: pact_secret(self._node.api_key, client_id) for client_id in ids}

    def pact_callback(self, client_id: str) -> PactCallback | None:
        """The event endpoint registered for a PACT client, if any."""
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "pact-client", client_id)
        if found is None or "callback" not in found.body:
            return None
        return PactCallback.model_validate(found.body["callback"])

    def pact_footprint(self, pf_id: uuid.UUID) -> ProductFootprint | None:
        with self._node.store.transaction() as tx:
            found = get_document(tx, APP, "pact", str(pf_id))
        return None if found is None else parse_footprint(found.body)

    def pact_footprints(self) -> list[ProductFootprint]:
        with self._node.store.transaction() as tx:
            return [parse_footprint(d.body) for d in _all(tx, "pact")]

    def pact_audiences(self) -> dict[str, frozenset[str]]:
        """pfId -> the clients that may see it, for the footprints not offered to every client."""
        with self._node.store.transaction() as tx:
            return {d.id: frozenset(d.body["clients"]) for d in _all(tx, "pact-audience")}

    # -- the PACT reply outbox -------------------------------------------------------------------------------

    def save_pact_delivery(self, delivery: Delivery) -> None:
        """One step of a reply's delivery, with its log entry, in one transaction."""
        body = delivery.to_json()
        with self._node.store.transaction() as tx:
            put_document(tx, APP, "pact-outbox", delivery.event_id, body, self._clock())
            event = {
                "eventId": delivery.event_id,
                "clientId": delivery.recipient,
                "attempt": delivery.attempt,
                "sha256": sha256_hex(canonical_bytes(delivery.event)),
            }
            self._node.log.append(tx, f"pcf.pact_reply_{delivery.state.value}", event)

    def pact_deliveries(self, *, state: State | None = None) -> list[Delivery]:
        with self._node.store.transaction() as tx:
            found = [Delivery.from_json(d.body) for d in _all(tx, "pact-outbox")]
        return [d for d in found if state is None or d.state is state]


# -- the connector, driven through the management API --------------------------------------------------------


def _agreement(client: NodeClient, provider_dsp: str, provider_did: str, asset_id: str) -> str:
    catalog = _managed(lambda: client.catalog(provider_dsp, provider_did), "catalog request")
    try:
        offer, contexts = first_offer(catalog, asset_id)
    except LookupError:
        raise Forbidden(
            f"the provider offers no dataset {asset_id!r} to this node", reason="not_offered"
        ) from None
    negotiation_id = _managed(
        lambda: client.negotiate(provider_dsp, provider_did, asset_id, offer, contexts), "negotiation"
    )
    negotiation = _waited(lambda: client.wait_negotiation(negotiation_id), "negotiation")
    if negotiation.get("state") != "FINALIZED":
        raise Forbidden(
            f"the provider terminated the negotiation for {asset_id!r}: {negotiation.get('errorDetail')}",
            reason="negotiation_terminated",
        )
    return str(negotiation["contractAgreementId"])


def _pull(client: NodeClient, provider_dsp: str, agreement_id: str) -> httpx.Response:
    transfer_id = _managed(lambda: client.transfer(provider_dsp, agreement_id), "transfer")
    transfer = _waited(lambda: client.wait_transfer(transfer_id), "transfer")
    if transfer.get("state") != "STARTED":
        state = transfer.get("state")
        raise Forbidden(f"the provider did not start the transfer: {state}", reason="transfer")
    edr = _managed(lambda: client.edr(transfer_id), "endpoint data reference")
    response = _managed(lambda: client.fetch(edr), "data-plane pull")
    if response.status_code != 200:
        raise Forbidden(f"the provider's data plane answered {response.status_code}", reason="data_plane")
    return response


def _offer(client: NodeClient, asset_id: str, payload: bytes, recipient_bpn: str) -> None:
    """Asset, access policy (members with this BPN only), usage policy, contract definition."""
    access = [
        {
            "action": "access",
            "constraint": [
                {
                    "and": [
                        {"leftOperand": "Membership", "operator": "eq", "rightOperand": "active"},
                        {
                            "leftOperand": "BusinessPartnerNumber",
                            "operator": "isAnyOf",
                            "rightOperand": [recipient_bpn],
                        },
                    ]
                }
            ],
        }
    ]

    def offer() -> None:
        client.create_asset(asset_id, payload, properties={"name": "product carbon footprint"})
        client.create_policy(f"{asset_id}-access", access)
        client.create_policy(f"{asset_id}-usage", PCF_USAGE)
        client.create_contract_definition(
            f"{asset_id}-definition", f"{asset_id}-access", f"{asset_id}-usage", [asset_id]
        )

    _managed(offer, "publication")


class ConnectorFailed(BattraceError):
    """This node's connector (or the peer behind it) did not do what the app asked of it."""

    status = 502
    title = "Bad gateway"


def _managed(call: Callable[[], _T], what: str) -> _T:
    try:
        return call()
    except ManagementError as error:
        if error.status == 409:
            raise Conflict(f"{what}: {error.body}") from None
        raise ConnectorFailed(f"{what} failed: HTTP {error.status} {error.body}", reason=what) from None
    except httpx.HTTPError as error:
        raise ConnectorFailed(f"{what} failed: {error}", reason=what) from None


def _waited(call: Callable[[], dict[str, Any]], what: str) -> dict[str, Any]:
    try:
        return _managed(call, what)
    except TimeoutError as error:
        raise ConnectorFailed(f"{what} did not settle: {error}", reason="timeout") from None


# -- documents -----------------------------------------------------------------------------------------------


def _body(tx: Tx, kind: str, key: str, *, hint: str = "") -> Mapping[str, Any]:
    found = get_document(tx, APP, kind, key)
    if found is None:
        raise NotFound(f"no {kind} {key[:128]!r}" + (f"; {hint}" if hint else ""), reason=f"unknown_{kind}")
    return found.body


def _all(tx: Tx, kind: str) -> Iterator[Any]:
    after: str | None = None
    while True:
        page = list_documents(tx, APP, kind, after=after, limit=_PAGE)
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].id


def _plus_three_years(moment: datetime) -> datetime:
    """PACT v3 §validity-period: by default three years from the reference period end."""
    try:
        return moment.replace(year=moment.year + 3)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 3, day=28)


def pact_secret(api_key: str, client_id: str) -> str:
    """HMAC-SHA256(api key, client id): a per-client secret only the node's operator can compute."""
    mac = hmac.new(api_key.encode(), b"battrace pact client\0" + client_id.encode(), hashlib.sha256)
    return mac.hexdigest()


# -- what the PACT host reads --------------------------------------------------------------------------------


class NodeFootprints:
    """``FootprintRepository`` over the footprints this node offered on PACT, in id order (stable pages);
    ``for_client`` narrows it to what one client may see."""

    def __init__(self, service: PcfService, client_id: str | None = None) -> None:
        self._service = service
        self._client_id = client_id

    def for_client(self, client_id: str) -> NodeFootprints:
        return NodeFootprints(self._service, client_id)

    def get(self, pf_id: uuid.UUID) -> ProductFootprint | None:
        pf = self._service.pact_footprint(pf_id)
        if pf is None or self._client_id is None:
            return pf
        audience = self._service.pact_audiences().get(str(pf_id))
        return pf if audience is None or self._client_id in audience else None

    def find(
        self, criteria: FootprintFilter, *, offset: int, limit: int
    ) -> tuple[list[ProductFootprint], bool]:
        audiences = self._service.pact_audiences() if self._client_id is not None else {}
        matching = [
            pf
            for pf in self._service.pact_footprints()
            if criteria.matches(pf) and self._client_id in audiences.get(str(pf.id), {self._client_id})
        ]
        return matching[offset : offset + limit], len(matching) > offset + limit


class NodeRecipients:
    """``RecipientDirectory`` over the registered PACT clients' callbacks: a client may name only its own
    registered ``source`` (its callback base URL unless another was registered)."""

    def __init__(self, service: PcfService) -> None:
        self._service = service

    def recipient_for(self, source: str, caller: str) -> Recipient | None:
        callback = self._service.pact_callback(caller)
        if callback is None:
            return None
        recipient = callback.recipient(caller)
        return recipient if normal_source(recipient.source) == normal_source(source) else None

    def by_key(self, key: str) -> Recipient | None:
        callback = self._service.pact_callback(key)
        return None if callback is None else callback.recipient(key)


class NodeOutbox:
    """``OutboxStore`` in the node's ``app_documents`` (kind ``pact-outbox``)."""

    def __init__(self, service: PcfService) -> None:
        self._service = service

    def save(self, delivery: Delivery) -> None:
        self._service.save_pact_delivery(delivery)

    def pending(self) -> list[Delivery]:
        return self._service.pact_deliveries(state=State.PENDING)


class NodeClients(ClientCredentials):
    """PACT client credentials read from the node's registered clients at every token request, so a client
    registered through management can ask for a token at once (``ClientCredentials`` keeps a fixed map)."""

    def __init__(self, service: PcfService, *, clock: Clock, secret: bytes | None = None) -> None:
        super().__init__({}, clock=clock, secret=secret)  # the node's secret: every worker's tokens alike
        self._service = service

    def issue(self, authorization: str | None, grant_type: str | None) -> IssuedToken:
        self._clients = self._service.pact_clients()
        return super().issue(authorization, grant_type)
