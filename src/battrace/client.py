"""A small client for a node's management API and data plane: what a company's own systems, the demo, the
integration tests and the benchmark use to drive a node. It speaks the EDC Management API v3 shapes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from battrace.identity import did_web_document_url
from battrace.provenance import (
    DIGEST_HEADER,
    SIGNATURE_HEADER,
    Provenance,
    ProvenanceStore,
    verify_payload,
)

EDC_CONTEXT: dict[str, Any] = {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"}
CX_POLICY_CONTEXT = "https://w3id.org/catenax/2025/9/policy/context.jsonld"
ODRL_PROFILE = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"


class ManagementError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Edr:
    endpoint: str
    token: str
    expires_in: int
    # The consumer transfer it belongs to: the node signs the DPoP proof of each request on it (RFC 9449).
    transfer_id: str | None = None


class NodeClient:
    def __init__(
        self, base_url: str, api_key: str, *, timeout: float = 15.0, http: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.Client(timeout=timeout)
        self._headers = {"X-Api-Key": api_key}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing
    def call(self, method: str, path: str, body: Any = None, *, expect: Iterable[int] = (200, 204)) -> Any:
        response = self._http.request(method, self.base_url + path, json=body, headers=self._headers)
        parsed = response.json() if response.content else None
        if response.status_code not in tuple(expect):
            raise ManagementError(response.status_code, parsed)
        return parsed

    def did(self) -> str:
        return str(self._http.get(self.base_url + "/.well-known/did.json").json()["id"])

    @property
    def dsp_base(self) -> str:
        return self.base_url + "/api/dsp/2025-1"

    # ---- provider side: publishing
    def create_asset(
        self,
        asset_id: str,
        content: Any,
        *,
        properties: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> str:
        """A `Stored` asset: its bytes are uploaded as they are (no JSON-LD processing of the content)."""
        body = {
            "@context": EDC_CONTEXT,
            "@id": asset_id,
            "properties": dict(properties or {}),
            "dataAddress": {"type": "Stored", "contentType": content_type},
        }
        created = str(self.call("POST", "/management/v3/assets", body)["@id"])
        data = content if isinstance(content, bytes) else json.dumps(content).encode()
        response = self._http.put(
            f"{self.base_url}/management/v3/assets/{created}/content",
            content=data,
            headers={**self._headers, "Content-Type": content_type},
        )
        if response.status_code != 204:
            raise ManagementError(response.status_code, response.text)
        return created

    def create_http_asset(self, asset_id: str, base_url: str, *, proxy_path: bool = True) -> str:
        body = {
            "@context": EDC_CONTEXT,
            "@id": asset_id,
            "properties": {},
            "dataAddress": {
                "type": "HttpData",
                "baseUrl": base_url,
                "proxyPath": str(proxy_path).lower(),
                "proxyQueryParams": "true",
            },
        }
        return str(self.call("POST", "/management/v3/assets", body)["@id"])

    def create_policy(
        self,
        policy_id: str,
        permission: list[dict[str, Any]],
        *,
        prohibition: list[dict[str, Any]] | None = None,
        obligation: list[dict[str, Any]] | None = None,
    ) -> str:
        policy: dict[str, Any] = {"@type": "Set", "permission": permission}
        if prohibition:
            policy["prohibition"] = prohibition
        if obligation:
            policy["obligation"] = obligation
        body = {
            "@context": [ODRL_PROFILE, CX_POLICY_CONTEXT, EDC_CONTEXT],
            "@type": "PolicyDefinition",
            "@id": policy_id,
            "policy": policy,
        }
        return str(self.call("POST", "/management/v3/policydefinitions", body)["@id"])

    def create_contract_definition(
        self,
        definition_id: str,
        access_policy_id: str,
        contract_policy_id: str,
        asset_ids: Iterable[str] = (),
    ) -> str:
        selector = [
            {"operandLeft": "https://w3id.org/edc/v0.0.1/ns/id", "operator": "=", "operandRight": a}
            for a in asset_ids
        ]
        body = {
            "@context": EDC_CONTEXT,
            "@id": definition_id,
            "accessPolicyId": access_policy_id,
            "contractPolicyId": contract_policy_id,
            "assetsSelector": selector,
        }
        return str(self.call("POST", "/management/v3/contractdefinitions", body)["@id"])

    # ---- consumer side: catalog, negotiation, transfer
    def catalog(self, provider_dsp: str, provider_did: str) -> dict[str, Any]:
        body = {
            "@context": EDC_CONTEXT,
            "@type": "CatalogRequest",
            "counterPartyAddress": provider_dsp,
            "counterPartyId": provider_did,
            "protocol": "dataspace-protocol-http:2025-1",
        }
        result: dict[str, Any] = self.call("POST", "/management/v3/catalog/request", body)
        return result

    def negotiate(
        self,
        provider_dsp: str,
        provider_did: str,
        dataset_id: str,
        offer: Mapping[str, Any],
        contexts: list[Any] | None = None,
    ) -> str:
        policy = {k: v for k, v in offer.items() if k != "@context"}
        policy.update({"@type": "Offer", "target": dataset_id, "assigner": provider_did})
        extra = [c for c in (contexts or [CX_POLICY_CONTEXT]) if c != ODRL_PROFILE]
        body = {
            "@context": [ODRL_PROFILE, *extra, EDC_CONTEXT],
            "@type": "ContractRequest",
            "counterPartyAddress": provider_dsp,
            "counterPartyId": provider_did,
            "protocol": "dataspace-protocol-http:2025-1",
            "policy": policy,
        }
        return str(self.call("POST", "/management/v3/contractnegotiations", body)["@id"])

    def counter(
        self,
        negotiation_id: str,
        verb: str,
        dataset_id: str,
        offer: Mapping[str, Any],
        assigner: str,
        contexts: list[Any] | None = None,
    ) -> dict[str, Any]:
        """battrace extension: provider counter-offer (`verb="offer"`) or consumer counter-request."""
        policy = {k: v for k, v in offer.items() if k != "@context"}
        policy.update({"@type": "Offer", "target": dataset_id, "assigner": assigner})
        extra = [c for c in (contexts or [CX_POLICY_CONTEXT]) if c != ODRL_PROFILE]
        body = {
            "@context": [ODRL_PROFILE, *extra, EDC_CONTEXT],
            "@type": "ContractRequest",
            "counterPartyAddress": "urn:battrace:unchanged",
            "protocol": "dataspace-protocol-http:2025-1",
            "policy": policy,
        }
        result: dict[str, Any] = self.call(
            "POST", f"/management/v3/contractnegotiations/{negotiation_id}/{verb}", body
        )
        return result

    def act(self, kind: str, process_id: str, verb: str) -> Any:
        """POST /management/v3/{contractnegotiations|transferprocesses}/{id}/{verb} (agree, accept, terminate,
        suspend, resume, complete)."""
        return self.call("POST", f"/management/v3/{kind}/{process_id}/{verb}")

    def negotiations(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("POST", "/management/v3/contractnegotiations/request")
        return result

    def negotiation(self, negotiation_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", f"/management/v3/contractnegotiations/{negotiation_id}")
        return result

    def wait_negotiation(
        self, negotiation_id: str, states: Iterable[str] = ("FINALIZED", "TERMINATED"), timeout: float = 20.0
    ) -> dict[str, Any]:
        return self._wait(lambda: self.negotiation(negotiation_id), set(states), timeout)

    def transfer(
        self,
        provider_dsp: str,
        agreement_id: str,
        *,
        transfer_type: str = "HttpData-PULL",
        destination: Mapping[str, Any] | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "@context": EDC_CONTEXT,
            "@type": "TransferRequest",
            "counterPartyAddress": provider_dsp,
            "contractId": agreement_id,
            "transferType": transfer_type,
            "protocol": "dataspace-protocol-http:2025-1",
        }
        if destination is not None:
            body["dataDestination"] = dict(destination)
        return str(self.call("POST", "/management/v3/transferprocesses", body)["@id"])

    def transfer_process(self, transfer_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("GET", f"/management/v3/transferprocesses/{transfer_id}")
        return result

    def wait_transfer(
        self,
        transfer_id: str,
        states: Iterable[str] = ("STARTED", "COMPLETED", "TERMINATED"),
        timeout: float = 20.0,
    ) -> dict[str, Any]:
        return self._wait(lambda: self.transfer_process(transfer_id), set(states), timeout)

    def edr(self, transfer_id: str) -> Edr:
        address = self.call("GET", f"/management/v3/edrs/{transfer_id}/dataaddress")
        return Edr(
            str(address["endpoint"]),
            str(address["authorization"]),
            int(address.get("tx-auth:expiresIn", 0)),
            transfer_id,
        )

    def fetch(self, edr: Edr, path: str = "") -> httpx.Response:
        url = edr.endpoint.rstrip("/") + ("/" + path.lstrip("/") if path else "")
        return self._http.get(url, headers=self.data_headers(edr, "GET", url))

    def data_headers(self, edr: Edr, method: str, url: str) -> dict[str, str]:
        """The headers of one data-plane request: `Authorization: DPoP <token>` and a fresh `DPoP` proof
        signed by this client's node (RFC 9449; one proof per request, it cannot be reused). An EDR without
        its transfer id (not from `edr()`) goes as a plain token, for providers that accept bearer tokens."""
        if edr.transfer_id is None:
            return {"Authorization": edr.token}
        body = {"htm": method, "htu": url}
        path = f"/management/v3/edrs/{edr.transfer_id}/dpop"
        headers = self.call("POST", path, body, expect=(201,))
        return {"Authorization": str(headers["authorization"]), "DPoP": str(headers["dpop"])}

    def verify_delivery(
        self, response: httpx.Response, provider_did: str, *, keep_in: ProvenanceStore | None = None
    ) -> Provenance:
        """Check a data-plane response before keeping it: bytes match the Content-Digest and the provider's
        signed delivery statement, verified with the key in the provider's DID document."""
        document = self._http.get(did_web_document_url(provider_did, allow_http=True)).json()
        record = verify_payload(
            response.content,
            digest_header=response.headers.get(DIGEST_HEADER, ""),
            signature=response.headers.get(SIGNATURE_HEADER, ""),
            signer_document=document,
        )
        if keep_in is not None:  # verified first: a store only ever holds statements that checked out
            keep_in.add(record)
        return record

    # ---- battery passports (battrace extension of the management API)
    def register_passport_model(self, model_id: str, category: str, values: Mapping[str, Any]) -> str:
        body = {"modelId": model_id, "category": category, "values": dict(values)}
        return str(self.call("POST", "/management/v3/passport-models", body, expect=(201,))["modelId"])

    def issue_passports(self, passports: Iterable[Mapping[str, Any]]) -> list[str]:
        """Issue a batch (all or none); each item ``{modelId, values, passportId?, mandated?, ...}``."""
        body = {"passports": [dict(p) for p in passports]}
        return list(self.call("POST", "/management/v3/passports", body, expect=(201,))["passportIds"])

    def passport(self, passport_id: str) -> dict[str, Any]:
        """The whole passport, as its issuer sees it."""
        return dict(self.call("GET", f"/management/v3/passports/{passport_id}"))

    def record_measurements(self, passport_id: str, measurements: Iterable[Mapping[str, Any]]) -> int:
        body = {"measurements": [dict(m) for m in measurements]}
        path = f"/management/v3/passports/{passport_id}/measurements"
        return int(self.call("POST", path, body, expect=(201,))["recorded"])

    def change_passport_status(self, passport_id: str, event: str, **extra: Any) -> str:
        path = f"/management/v3/passports/{passport_id}/status"
        return str(self.call("POST", path, {"event": event, **extra})["state"])

    def token_for(self, audience_did: str) -> str:
        """This node's self-issued ``Authorization`` value for calling ``audience_did``'s participant APIs."""
        body = {"audience": audience_did}
        return str(self.call("POST", "/management/v3/identity/tokens", body, expect=(201,))["authorization"])

    @staticmethod
    def _wait(read: Any, states: set[str], timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            current: dict[str, Any] = read()
            if current.get("state") in states:
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(f"still {current.get('state')} after {timeout} s: {current}")
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def first_offer(catalog: Mapping[str, Any], dataset_id: str) -> tuple[dict[str, Any], list[Any]]:
    """The first offer for a dataset in a DSP catalog, and the catalog's @context (to read its terms)."""
    datasets = catalog.get("dataset", [])
    for dataset in datasets if isinstance(datasets, list) else [datasets]:
        if dataset.get("@id") == dataset_id:
            policies = dataset["hasPolicy"]
            offer = policies[0] if isinstance(policies, list) else policies
            context = catalog.get("@context", [])
            return dict(offer), [
                c
                for c in (context if isinstance(context, list) else [context])
                if c != "https://w3id.org/dspace/2025/1/context.jsonld"
            ]
    raise LookupError(f"dataset {dataset_id!r} is not in the catalog")
