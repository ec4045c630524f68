"""Catalog protocol, provider side (DSP 2025-1 §2): a DCAT catalog generated per verified caller."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from battrace.connector.context import ConnectorContext
from battrace.connector.offers import OfferBook, OfferedContract
from battrace.errors import NotFound
from battrace.identity import VerifiedCaller
from battrace.jsonld import DSP_CONTEXT
from battrace.policy import policy_to_dsp

PULL = "HttpData-PULL"
PUSH = "HttpData-PUSH"
FORMATS = (PULL, PUSH)
EDC_NS = "https://w3id.org/edc/v0.0.1/ns/"


class CatalogService:
    def __init__(self, ctx: ConnectorContext) -> None:
        self._ctx = ctx

    @property
    def _service_id(self) -> str:
        return self._ctx.me.did + "#dsp"

    def catalog(self, caller: VerifiedCaller) -> dict[str, Any]:
        evaluation = self._ctx.evaluation(caller, "catalog")
        with self._ctx.store.read() as tx:
            offers = list(OfferBook(tx, self._ctx.operands, self._ctx.denials).visible(evaluation))
        self._record(caller, "CatalogRequestMessage", [o.offer_id for o in offers])
        datasets, contexts = self._datasets(offers)
        catalog: dict[str, Any] = {
            "@context": [*contexts, DSP_CONTEXT],
            "@id": self._ctx.new_id(),
            "@type": "Catalog",
            "participantId": self._ctx.me.did,
            "service": [self._data_service()],
        }
        if datasets:  # catalog-schema.json: dataset has minItems 1 when present
            catalog["dataset"] = datasets
        return catalog

    def dataset(self, caller: VerifiedCaller, dataset_id: str) -> dict[str, Any]:
        evaluation = self._ctx.evaluation(caller, "catalog")
        with self._ctx.store.read() as tx:
            offers = list(
                OfferBook(tx, self._ctx.operands, self._ctx.denials).visible(evaluation, asset_id=dataset_id)
            )
        self._record(caller, "DatasetRequestMessage", [o.offer_id for o in offers], dataset=dataset_id)
        if not offers:
            # An invisible dataset answers exactly like a missing one (DSP 2025-1 §2.1, TCK CAT:01-03).
            raise NotFound(f"dataset {dataset_id!r} not found", dataset=dataset_id)
        datasets, contexts = self._datasets(offers)
        return {"@context": [*contexts, DSP_CONTEXT], **datasets[0]}

    def _record(self, caller: VerifiedCaller, message_type: str, offers: list[str], **extra: str) -> None:
        """Catalog requests are DSP messages too: who looked, and which offers they were shown."""
        event = {"peer": caller.did, "type": message_type, "offers": offers, **extra}
        with self._ctx.store.transaction() as tx:
            self._ctx.log.append(tx, "dsp.catalog", event)

    def _data_service(self) -> dict[str, Any]:
        return {"@id": self._service_id, "@type": "DataService", "endpointURL": self._ctx.me.dsp_base}

    def _datasets(self, offers: Iterable[OfferedContract]) -> tuple[list[dict[str, Any]], list[str]]:
        by_asset: dict[str, dict[str, Any]] = {}
        contexts: list[str] = []
        for offered in offers:
            body, needed = policy_to_dsp(offered.policy)
            contexts.extend(c for c in needed if c not in contexts)
            offer = {**body, "@id": offered.offer_id, "@type": "Offer"}
            offer.pop(
                "target", None
            )  # dataset-schema.json: an Offer inside a Dataset must not carry a target
            dataset = by_asset.setdefault(offered.asset.id, self._dataset_shell(offered))
            dataset["hasPolicy"].append(offer)
        return list(by_asset.values()), contexts

    def _dataset_shell(self, offered: OfferedContract) -> dict[str, Any]:
        dataset: dict[str, Any] = {"@id": offered.asset.id, "@type": "Dataset", "hasPolicy": []}
        # Asset metadata outside the EDC management vocabulary (e.g. dct:type, cx-common:version per CX-0018
        # §2.5) is published as-is with full IRIs, which every JSON-LD reader understands.
        for key, value in offered.asset.properties.items():
            if key.startswith(("http://", "https://")) and not key.startswith(EDC_NS):
                dataset[key] = value
        dataset["distribution"] = [
            {"@type": "Distribution", "format": fmt, "accessService": self._service_id} for fmt in FORMATS
        ]
        return dataset
