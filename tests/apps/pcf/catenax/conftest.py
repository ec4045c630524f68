"""Catena-X test support: the official schemas and examples, one battery-cell footprint, and validators."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker

from battrace.apps.pcf import DQR, Disclosure, FactorSource, Granularity, Stage
from battrace.apps.pcf.catenax import BatterySupplierInfo, Envelope, bpnl_urn, part_id_urn, trace_id_urn

FIXTURES = Path(__file__).parents[3] / "fixtures"
CATENAX = FIXTURES / "pcf_catenax"
PLATFORM = "ouranos.example.jp"
TRACE_ID = uuid.UUID("d9a38406-cae2-4679-b052-15a75f5531f6")
CELL_MAKER_BPNL = "BPNL00000003CELL"
PERIOD = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


def load(name: str) -> Any:
    return json.loads((CATENAX / name).read_text(encoding="utf-8"))


def errors(schema_file: str, value: Any) -> list[str]:
    """Draft-04 validation against an official generated schema (the files declare draft-04)."""
    validator = Draft4Validator(load(schema_file), format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


def pact_errors(value: Any) -> list[str]:
    with (FIXTURES / "pcf_pact" / "openapi_v3_0.yaml").open(encoding="utf-8") as f:
        openapi = yaml.safe_load(f)
    schema = {"$ref": "#/components/schemas/ProductFootprint", "components": openapi["components"]}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]


def cell_disclosure(**changes: Any) -> Disclosure:
    """A Japanese cell maker's footprint of one cell (kg CO2e per piece), at the stage-split level.

    Numbers chosen by hand: raw material 12.34567 + production 45.6789 = 58.02457 kg CO2e per cell."""
    values: dict[str, Any] = {
        "granularity": Granularity.STAGES,
        "product_id": trace_id_urn(PLATFORM, TRACE_ID),
        "declared_unit": "piece",
        "total": Decimal("58.02457"),
        "reference_period_start": PERIOD[0],
        "reference_period_end": PERIOD[1],
        "stages": {
            Stage.RAW_MATERIAL: Decimal("12.34567"),
            Stage.PRODUCTION: Decimal("45.6789"),
            Stage.DISTRIBUTION: Decimal(0),
            Stage.END_OF_LIFE: Decimal(0),
        },
        "dqr": DQR(TeR=Decimal("2.1"), GeR=Decimal("1.5"), TiR=Decimal("3")),
        "pact_dqi": DQR(TeR=Decimal("2"), GeR=Decimal("1.25"), TiR=Decimal("2.75")),
        "primary_data_share": Decimal("62.5"),
        "factor_sources": (FactorSource(name="Ember", version="2025"),),
    }
    return Disclosure(**(values | changes))


def envelope(**changes: Any) -> Envelope:
    values: dict[str, Any] = {
        "pf_id": uuid.UUID("3893bb5d-da16-4dc1-9185-11d97476c254"),
        "created": datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
        "company_name": "Example Cell Works K.K.",
        "company_ids": (
            bpnl_urn(CELL_MAKER_BPNL),
            "urn:pact:houjin-bangou.nta.go.jp:company-id:1234567890123",
        ),
        "product_name": "NMC811 pouch cell 60 Ah",
        "mass_per_declared_unit": Decimal("0.85"),
        "validity_end": datetime(2027, 1, 1, tzinfo=UTC),
        "product_ids": (part_id_urn("cells.example.jp", "C60-811"),),
        "product_description": "Lithium-ion pouch cell, NMC811/graphite",
        "country": "JP",
        "region": "Eastern Asia",
    }
    return Envelope(**(values | changes))


BATTERY_INFO = BatterySupplierInfo(
    manufacturer_part_id="C60-811",
    customer_part_id="PRT-12345",
    legal_identifier=CELL_MAKER_BPNL,
    site_identifier="BPNS00000003SITE",
)


@pytest.fixture
def cell() -> Disclosure:
    return cell_disclosure()
