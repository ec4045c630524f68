"""Catena-X PCF exchange (issue 6 items 5 and 7): the io.catenax.pcf 9.0.0 aspect, the battery-supplier stage
split, the PACT v3 / Catena-X / Ouranos bridge, and the PCF Exchange KIT request/response state machine.

Research: shared/research/pcf-ouranos.md §3, §4.4. Pure: no I/O (the node wires `flow` to HTTP and the EDC).
"""

from battrace.apps.pcf.catenax.battery import (
    BatterySupplierInfo,
    PcfForBatteryComponentSupplier,
    parse_battery_aspect,
    to_battery_aspect,
)
from battrace.apps.pcf.catenax.cfp import CfpModel, from_ouranos, to_ouranos
from battrace.apps.pcf.catenax.convert import (
    STAGE_SPLIT_SCHEMA,
    Envelope,
    catenax_to_pact,
    envelope_of_catenax,
    envelope_of_pact,
    from_catenax,
    from_pact,
    pact_to_catenax,
    to_catenax,
    to_pact,
)
from battrace.apps.pcf.catenax.flow import Event, Ledger, Message, Role, State, apply
from battrace.apps.pcf.catenax.ids import bpnl_urn, part_id_urn, trace_id_urn
from battrace.apps.pcf.catenax.model import Pcf, parse_pcf

__all__ = [
    "STAGE_SPLIT_SCHEMA",
    "BatterySupplierInfo",
    "CfpModel",
    "Envelope",
    "Event",
    "Ledger",
    "Message",
    "Pcf",
    "PcfForBatteryComponentSupplier",
    "Role",
    "State",
    "apply",
    "bpnl_urn",
    "catenax_to_pact",
    "envelope_of_catenax",
    "envelope_of_pact",
    "from_catenax",
    "from_ouranos",
    "from_pact",
    "pact_to_catenax",
    "parse_battery_aspect",
    "parse_pcf",
    "part_id_urn",
    "to_battery_aspect",
    "to_catenax",
    "to_ouranos",
    "to_pact",
    "trace_id_urn",
]
