"""PACT (WBCSD Partnership for Carbon Transparency) Tech Specs v3.0: model, host, client, v2.3 reader.

Research: shared/research/pcf-ouranos.md §1. Reference: openapi_v3_0.yaml (spec 3.0.4).
"""

from battrace.apps.pcf.pact.auth import ClientCredentials
from battrace.apps.pcf.pact.callbacks import CallbackDispatcher, Recipient, RecipientDirectory
from battrace.apps.pcf.pact.client import PactClient, PactClientError
from battrace.apps.pcf.pact.host import pact_router
from battrace.apps.pcf.pact.model import CarbonFootprint, ProductFootprint, parse_footprint
from battrace.apps.pcf.pact.outbox import Delivery, InMemoryOutbox, OutboxStore
from battrace.apps.pcf.pact.repository import (
    ClientScopedRepository,
    FootprintFilter,
    FootprintRepository,
    InMemoryFootprintRepository,
)
from battrace.apps.pcf.pact.v2 import V2Reading, read_v2

__all__ = [
    "CallbackDispatcher",
    "CarbonFootprint",
    "ClientCredentials",
    "ClientScopedRepository",
    "Delivery",
    "FootprintFilter",
    "FootprintRepository",
    "InMemoryFootprintRepository",
    "InMemoryOutbox",
    "OutboxStore",
    "PactClient",
    "PactClientError",
    "ProductFootprint",
    "Recipient",
    "RecipientDirectory",
    "V2Reading",
    "pact_router",
    "parse_footprint",
    "read_v2",
]
