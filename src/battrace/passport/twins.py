"""A passport's digital twin in the registry (AAS Part 2 shell descriptor, Tractus-X DTR conventions).

Each issued passport gets a shell whose id and ``globalAssetId`` are the passport id (Catena-X uses the
twin's ``urn:uuid`` as its global asset id), with the battery's identifier as ``partInstanceId`` (owner
only: serials are not published in the registry) and the model id as ``manufacturerPartId`` (public, as the
DTR allows for part types). Its one submodel descriptor points at the passport document: on the data plane
under the model's ``BattracePassport`` dataset when one is offered (DSP subprotocol, Tractus-X style), else
at the participant API. Pure module: no I/O.
"""

from __future__ import annotations

from typing import Any

from battrace.registry.model import PUBLIC_READABLE

# The passport document this node serves (battrace.http.passports.document_json): our own shape, so our own
# semantic id rather than a borrowed SAMM URN it would not validate against.
PASSPORT_SEMANTIC_ID = "urn:battrace:passport:1.0.0#PassportDocument"


def shell_descriptor(
    passport_id: str,
    battery_identifier: str,
    model_id: str,
    *,
    base_url: str,
    dsp_endpoint: str,
    asset_id: str | None,
) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "href": f"{base_url}/passports/{passport_id}",
        "endpointProtocol": "HTTP",
        "endpointProtocolVersion": ["1.1"],
        "securityAttributes": [{"type": "NONE", "key": "NONE", "value": "NONE"}],
    }
    if asset_id is not None:
        endpoint.update(
            href=f"{base_url}/api/public/{passport_id}",
            subprotocol="DSP",
            subprotocolBody=f"id={asset_id};dspEndpoint={dsp_endpoint}",
            subprotocolBodyEncoding="plain",
        )
    return {
        "id": passport_id,
        "idShort": "BatteryPassport",
        "globalAssetId": passport_id,
        "assetKind": "Instance",
        "specificAssetIds": [
            {"name": "partInstanceId", "value": battery_identifier},
            {
                "name": "manufacturerPartId",
                "value": model_id,
                "externalSubjectId": {
                    "type": "ExternalReference",
                    "keys": [{"type": "GlobalReference", "value": PUBLIC_READABLE}],
                },
            },
        ],
        "submodelDescriptors": [
            {
                "id": f"{passport_id}#passport",
                "idShort": "BatteryPassport",
                "semanticId": {
                    "type": "ExternalReference",
                    "keys": [{"type": "Submodel", "value": PASSPORT_SEMANTIC_ID}],
                },
                "endpoints": [{"interface": "SUBMODEL-3.0", "protocolInformation": endpoint}],
            }
        ],
    }
