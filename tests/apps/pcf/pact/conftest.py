"""PACT test support: hand-written battery footprints, the v3 OpenAPI schemas, TLS and real uvicorn servers.

Servers run in a thread of the test process on a free loopback port, over HTTPS with a throw-away
self-signed certificate (conformance cases #9–#11 and #17 need plain HTTP to fail).
"""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from jsonschema import Draft202012Validator, FormatChecker

FIXTURES = Path(__file__).parents[3] / "fixtures" / "pcf_pact"
SHARED_PCF = Path(__file__).parents[5] / "shared" / "reference" / "pcf"
UTC = dt.UTC


class TestClock:
    """A settable clock: the token lifetime and event times follow it, not the wall."""

    __test__ = False

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


# -- footprints ------------------------------------------------------------------------------------

CELL: dict[str, Any] = {
    "id": "5e1d6a3c-2f0b-4c39-9a57-0d3b6f2a1c01",
    "specVersion": "3.0.0",
    "created": "2025-02-01T09:00:00Z",
    "status": "Active",
    "validityPeriodStart": "2025-01-01T00:00:00Z",
    "validityPeriodEnd": "2027-12-31T00:00:00Z",
    "companyName": "Example Cell Works GmbH",
    "companyIds": ["urn:bpn:id:BPNL00000000CELL", "urn:pact:cells.example.com:company-id:ECW"],
    "productDescription": "NMC811 pouch cell, 60 Ah",
    "productIds": ["urn:pact:cells.example.com:product-id:NMC811-P60", "urn:gtin:4012345000016"],
    "productClassifications": ["urn:pact:cells.example.com:classification:li-ion-cell"],
    "productNameCompany": "P60 cell",
    "pcf": {
        "declaredUnitOfMeasurement": "piece",
        "declaredUnitAmount": "1",
        "productMassPerDeclaredUnit": "0.88",
        "referencePeriodStart": "2024-01-01T00:00:00Z",
        "referencePeriodEnd": "2025-01-01T00:00:00Z",
        "geographyCountry": "DE",
        "pcfExcludingBiogenicUptake": "21.4",
        "pcfIncludingBiogenicUptake": "21.4",
        "fossilGhgEmissions": "21.1",
        "fossilCarbonContent": "0.12",
        "biogenicCO2Uptake": "0",
        "packagingEmissionsIncluded": True,
        "packagingGhgEmissions": "0.3",
        "ipccCharacterizationFactors": ["AR6"],
        "crossSectoralStandards": ["ISO14067", "PACT-3.0"],
        "exemptedEmissionsPercent": "0.8",
        "primaryDataShare": "62.5",
        "dqi": {"technologicalDQR": "1.6", "geographicalDQR": "2", "temporalDQR": "1.2"},
    },
}


def _variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    pf = copy.deepcopy(base)
    pcf_changes = changes.pop("pcf", {})
    pf.update(changes)
    pf["pcf"].update(pcf_changes)
    pf["pcf"] = {k: v for k, v in pf["pcf"].items() if v is not None}
    return {k: v for k, v in pf.items() if v is not None}


# A pack from Japan without a declared validity period (defaults to referencePeriodEnd + 3 years).
PACK = _variant(
    CELL,
    id="5e1d6a3c-2f0b-4c39-9a57-0d3b6f2a1c02",
    created="2025-03-01T09:00:00Z",
    validityPeriodStart=None,
    validityPeriodEnd=None,
    companyName="Example Pack KK",
    companyIds=["urn:pact:houjin-bangou.nta.go.jp:company-id:1234567890123"],
    productDescription="96-cell traction battery pack",
    productIds=["urn:pact:packs.example.jp:product-id:TP-96"],
    productClassifications=["urn:pact:packs.example.jp:classification:traction-pack"],
    productNameCompany="TP-96",
    pcf={
        "declaredUnitOfMeasurement": "kilogram",
        "declaredUnitAmount": "450",
        "productMassPerDeclaredUnit": "450",
        "geographyCountry": None,
        "geographyCountrySubdivision": "JP-13",
        "pcfExcludingBiogenicUptake": "36000",
        "pcfIncludingBiogenicUptake": "36000",
        "fossilGhgEmissions": "35800",
        "packagingGhgEmissions": "120",
    },
)
# The cell's earlier calculation, deprecated, European region.
OLD_CELL = _variant(
    CELL,
    id="5e1d6a3c-2f0b-4c39-9a57-0d3b6f2a1c03",
    created="2024-02-01T09:00:00Z",
    status="Deprecated",
    validityPeriodStart="2024-01-01T00:00:00Z",
    validityPeriodEnd="2026-06-30T00:00:00Z",
    pcf={
        "geographyCountry": None,
        "geographyRegionOrSubregion": "Europe",
        "referencePeriodStart": "2023-01-01T00:00:00Z",
        "referencePeriodEnd": "2024-01-01T00:00:00Z",
        "pcfExcludingBiogenicUptake": "24.9",
        "pcfIncludingBiogenicUptake": "24.9",
    },
)
MODULE = _variant(
    CELL,
    id="5e1d6a3c-2f0b-4c39-9a57-0d3b6f2a1c04",
    created="2025-04-01T09:00:00Z",
    productIds=["urn:pact:cells.example.com:product-id:M12"],
    productClassifications=None,
    productNameCompany="M12 module",
    productDescription="12-cell module",
    pcf={"geographyCountry": "PL", "declaredUnitAmount": "1"},
)
FOOTPRINTS: list[dict[str, Any]] = [CELL, PACK, OLD_CELL, MODULE]


@pytest.fixture
def cell() -> dict[str, Any]:
    return copy.deepcopy(CELL)


# -- schemas ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    with (FIXTURES / "openapi_v3_0.yaml").open(encoding="utf-8") as f:
        doc: dict[str, Any] = yaml.safe_load(f)
    return doc


def schema_validator(openapi: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator for `components/schemas/<name>`; `$ref`s resolve inside the OpenAPI document."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": openapi["components"]}
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(openapi: dict[str, Any], name: str, value: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in schema_validator(openapi, name).iter_errors(value)
    ]


# -- TLS and servers -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "battrace pact test")])
    now = dt.datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.fixture(scope="session")
def trust(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tls_files[0]))


class Server:
    """uvicorn serving `app` over HTTPS on a free 127.0.0.1 port, in a daemon thread."""

    def __init__(self, app: FastAPI, tls_files: tuple[Path, Path]) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            ssl_certfile=str(tls_files[0]),
            ssl_keyfile=str(tls_files[1]),
            log_level="warning",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> Server:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def https_client(trust: ssl.SSLContext) -> httpx.Client:
    return httpx.Client(verify=trust, timeout=10.0)


@pytest.fixture
def http(trust: ssl.SSLContext) -> Iterator[httpx.Client]:
    with https_client(trust) as client:
        yield client
