"""Walkthrough payloads (copied into tests/fixtures/management, see NOTICE.md) and hand-written bodies."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from battrace.jsonld import CX_POLICY_NS, DCT_NS, EDC_NS, ODRL_NS

FIXTURES = Path(__file__).parent.parent / "fixtures" / "management"

POLICY_DEFINITIONS = sorted(path.name for path in FIXTURES.glob("policydefinition-*.json"))
CONTRACT_REQUESTS = sorted(path.name for path in FIXTURES.glob("contract-request-*.json"))
CATALOG_REQUEST = "catalog-request-management-api.json"
T0 = datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text("utf-8"))
    return loaded


def from_epoch_millis(millis: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)


def asset_short() -> dict[str, Any]:
    return {
        "@context": {"@vocab": EDC_NS, "dct": DCT_NS},
        "@id": "battery-pass-1",
        "properties": {
            "name": "Battery passport",
            "contenttype": "application/json",
            "dct:type": {"@id": "https://w3id.org/catenax/taxonomy#Submodel"},
            "version": 3,
        },
        "privateProperties": {"owner": "team-a"},
        "dataAddress": {
            "@type": "DataAddress",
            "type": "HttpData",
            "baseUrl": "https://backend.example/passports",
            "proxyPath": "true",
            "proxyQueryParams": "true",
        },
    }


def asset_prefixed() -> dict[str, Any]:
    return {
        "@context": {"edc": EDC_NS, "dct": DCT_NS},
        "@id": "battery-pass-1",
        "edc:properties": {
            "edc:name": "Battery passport",
            "edc:contenttype": "application/json",
            "dct:type": {"@id": "https://w3id.org/catenax/taxonomy#Submodel"},
            "edc:version": 3,
        },
        "edc:privateProperties": {"edc:owner": "team-a"},
        "edc:dataAddress": {
            "@type": "edc:DataAddress",
            "edc:type": "HttpData",
            "edc:baseUrl": "https://backend.example/passports",
            "edc:proxyPath": "true",
            "edc:proxyQueryParams": "true",
        },
    }


def asset_expanded() -> dict[str, Any]:
    return {
        "@id": "battery-pass-1",
        EDC_NS + "properties": {
            EDC_NS + "name": "Battery passport",
            EDC_NS + "contenttype": "application/json",
            DCT_NS + "type": {"@id": "https://w3id.org/catenax/taxonomy#Submodel"},
            EDC_NS + "version": 3,
        },
        EDC_NS + "privateProperties": {EDC_NS + "owner": "team-a"},
        EDC_NS + "dataAddress": {
            "@type": EDC_NS + "DataAddress",
            EDC_NS + "type": "HttpData",
            EDC_NS + "baseUrl": "https://backend.example/passports",
            EDC_NS + "proxyPath": "true",
            EDC_NS + "proxyQueryParams": "true",
        },
    }


def _framework_purpose(prefix: str, cx: str, odrl: str) -> dict[str, Any]:
    """The walkthrough's framework+purpose usage policy with every term written as prefix/IRI."""
    return {
        "@type": f"{prefix}PolicyDefinition",
        "@id": "{{POLICY_ID}}",
        f"{prefix}policy": {
            "@type": f"{odrl}Set",
            f"{odrl}permission": [
                {
                    f"{odrl}action": {"@id": f"{odrl}use"},
                    f"{odrl}constraint": {
                        f"{odrl}and": [
                            {
                                f"{odrl}leftOperand": {"@id": f"{cx}FrameworkAgreement"},
                                f"{odrl}operator": {"@id": f"{odrl}eq"},
                                f"{odrl}rightOperand": "DataExchangeGovernance:1.0",
                            },
                            {
                                f"{odrl}leftOperand": {"@id": f"{cx}UsagePurpose"},
                                f"{odrl}operator": {"@id": f"{odrl}isAnyOf"},
                                f"{odrl}rightOperand": ["<value>"],
                            },
                        ]
                    },
                }
            ],
        },
    }


def policy_prefixed() -> dict[str, Any]:
    body = _framework_purpose("edc:", "cx-policy:", "odrl:")
    return {"@context": {"edc": EDC_NS, "odrl": ODRL_NS, "cx-policy": CX_POLICY_NS}, **body}


def policy_expanded() -> dict[str, Any]:
    return _framework_purpose(EDC_NS, CX_POLICY_NS, ODRL_NS)


def contract_definition_short() -> dict[str, Any]:
    return {
        "@context": {"@vocab": EDC_NS},
        "@id": "cd-1",
        "@type": "ContractDefinition",
        "accessPolicyId": "membership-deg",
        "contractPolicyId": "framework-purpose",
        "assetsSelector": [
            {
                "@type": "Criterion",
                "operandLeft": "https://w3id.org/edc/v0.0.1/ns/id",
                "operator": "in",
                "operandRight": ["battery-pass-1", "battery-pass-2"],
            },
            {
                "@type": "Criterion",
                "operandLeft": "edc:contenttype",
                "operator": "=",
                "operandRight": "application/json",
            },
        ],
    }


def transfer_request_short() -> dict[str, Any]:
    return {
        "@context": {"@vocab": EDC_NS},
        "@type": "TransferRequest",
        "counterPartyAddress": "https://provider-control.plane/api/v1/dsp/2025-1",
        "counterPartyId": "did:web:provider.example",
        "contractId": "agreement-1",
        "assetId": "battery-pass-1",
        "transferType": "HttpData-PULL",
        "protocol": "dataspace-protocol-http:2025-1",
        "callbackAddresses": [
            {"uri": "http://callback/url", "events": ["transfer.process"], "transactional": False}
        ],
    }


def deep(document: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(document)
