"""Sample passports and an in-memory PassportReader for the viewer tests (unit and browser).

The reader splits with the real functions (``battrace.passport.views.view_for_audiences``,
``battrace.passport.attributes.may_see``) and records status and measurements through the real
``PassportHistory``, so the viewer is tested against documents shaped exactly as the service hands them over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from battrace.errors import NotFound, Unauthenticated
from battrace.passport.attributes import ATTRIBUTES, Audience, BatteryCategory, attribute, may_see
from battrace.passport.identifiers import Gtin, Sgtin, UniqueIdentifier
from battrace.passport.lifecycle import DynamicValue, PassportEvent, PassportHistory
from battrace.passport.records import PassportDocument
from battrace.passport.views import view_for_audiences

OPERATOR = "did:web:cells.example"
ISSUED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EV_ID = "urn:uuid:6f1c2a50-0000-4000-8000-000000000001"
LMT_ID = "urn:uuid:6f1c2a50-0000-4000-8000-000000000002"
SECOND_LIFE_ID = "urn:uuid:6f1c2a50-0000-4000-8000-000000000003"
MARKED_ID = "urn:uuid:6f1c2a50-0000-4000-8000-0000000000ff"
EV_SGTIN = Sgtin(Gtin("4006381333931"), "EV-0001")
LMT_UI = UniqueIdentifier("LA", "ACME.EU", "B-0001")
RECYCLER_TOKEN = "token-recycler"
AUTHORITY_TOKEN = "token-authority"
RECYCLER_DID = "did:web:recycler.example"
AUTHORITY_DID = "did:web:msa.example"
TOKENS: Mapping[str, tuple[str, frozenset[Audience]]] = {
    RECYCLER_TOKEN: (RECYCLER_DID, frozenset({Audience.PUBLIC, Audience.LEGITIMATE_INTEREST})),
    AUTHORITY_TOKEN: (AUTHORITY_DID, frozenset({Audience.PUBLIC, Audience.AUTHORITY})),
}

# A realistic EV passport: one value of the right kind for each attribute used on an EV battery.
EV_VALUES: dict[str, object] = {
    "battery_passport_identifier": EV_ID,
    "battery_identifier": "(01)04006381333931(21)EV-0001",
    "operator_identifier": {"type": "bpn", "value": "BPNL000000000001"},
    "manufacturer_identifier": {"type": "bpn", "value": "BPNL000000000002", "name": "Cells Example GmbH"},
    "manufacturing_place": "Salzgitter, DE",
    "manufacturing_date": "2026-01",
    "warranty_period": "P8Y",
    "battery_category": "ev",
    "battery_mass": 412.5,
    "separate_collection_symbol": "https://cells.example/symbols/wheelie-bin.svg",
    "cadmium_lead_symbols": "https://cells.example/symbols/none.svg",
    "extinguishing_agent": "Water (large quantities)",
    "meaning_of_labels": "The crossed-out bin: collect separately.",
    "eu_declaration_of_conformity": "https://cells.example/doc/eu-doc-ev1.pdf",
    "compliance_test_reports": "https://cells.example/restricted/test-report-nb-7731.pdf",
    "carbon_footprint_per_functional_unit": 61.3,
    "carbon_footprint_raw_material_share": 58,
    "carbon_footprint_production_share": 34,
    "carbon_footprint_distribution_share": 3,
    "carbon_footprint_end_of_life_share": 5,
    "carbon_footprint_performance_class": "B",
    "carbon_footprint_study_link": "https://cells.example/cf-study-2026.pdf",
    "carbon_footprint_general_information": "Model EV-1, plant Salzgitter, 2026 declaration",
    "due_diligence_report": "https://cells.example/due-diligence-2025.pdf",
    "third_party_assurances": ["RMI RMAP conformant smelters", "IRMA 50"],
    # As battrace.apps.duediligence.passport.indices_text writes it.
    "supply_chain_indices": "\n".join(
        (
            "Supplier response rate: 75 %",
            "Smelter coverage (RMI id known): cobalt 80 %, lithium 50 %, nickel 100 %, natural graphite n/a",
            "Smelters with a conformant audit status: "
            "cobalt 60 %, lithium 50 %, nickel 0 %, natural graphite n/a",
            "Smelters with 100 % recycled feedstock: "
            "cobalt 20 %, lithium 0 %, nickel 0 %, natural graphite n/a",
            "CAHRA exposure: cobalt yes, lithium no, nickel unknown",
            "OECD due diligence steps met: 4 of 5",
        )
    ),
    "battery_chemistry": "NMC811 / graphite",
    "critical_raw_materials": ["Lithium", "Cobalt", "Natural graphite"],
    "electrode_electrolyte_materials": [
        {"name": "Nickel manganese cobalt oxide (cathode)", "cas": "346417-97-8", "share": 31.5},
        {"name": "Graphite (anode)", "cas": "7782-42-5", "share": 17.25},
    ],
    "hazardous_substances": [{"name": "Lithium hexafluorophosphate", "cas": "21324-40-3", "share": 1.2}],
    "impact_of_substances": "Electrolyte is corrosive and toxic if released.",
    "dismantling_information": "https://cells.example/restricted/dismantling-manual-ev1.pdf",
    "component_part_numbers": "https://cells.example/restricted/parts-ev1.pdf",
    "spare_part_sources": "Spare Parts Ltd, Osaka",
    "safety_measures": "https://cells.example/restricted/safety-ev1.pdf",
    "pre_consumer_recycled_nickel_share": 4,
    "pre_consumer_recycled_cobalt_share": 9.5,
    "pre_consumer_recycled_lithium_share": 2,
    "post_consumer_recycled_nickel_share": 6,
    "post_consumer_recycled_cobalt_share": 12,
    "post_consumer_recycled_lithium_share": 3.5,
    "renewable_content_share": 1.5,
    "end_user_waste_prevention": "https://cells.example/end-user/waste-prevention",
    "end_user_separate_collection": "https://cells.example/end-user/collection",
    "collection_second_life_treatment": "https://cells.example/end-user/take-back",
    "rated_capacity": 230,
    "capacity_fade": 2.5,
    "certified_usable_energy": 82,
    "minimum_voltage": 280,
    "nominal_voltage": 355.2,
    "maximum_voltage": 403,
    "original_power_capability": 210000,
    "power_fade": 1.75,
    "maximum_permitted_power": 250000,
    "initial_round_trip_efficiency": 95,
    "round_trip_efficiency_at_half_cycle_life": 92,
    "round_trip_efficiency_fade": 0.8,
    "initial_internal_resistance": 0.085,
    "internal_resistance_increase": 7.5,
    "expected_lifetime_years": 12,
    "expected_lifetime_cycles": 3000,
    "cycle_life_reference_test": "IEC 62660-1:2018 §7.6",
    "cycle_life_test_c_rate": 0.33,
    "capacity_threshold_for_exhaustion": 70,
    "idle_temperature_lower_boundary": -30,
    "idle_temperature_upper_boundary": 55,
    "accident_information": "https://cells.example/restricted/accidents-ev1.json",
}

# (key, unit, values) measured monthly from April 2026 by the vehicle's BMS (Art. 14).
EV_SERIES: tuple[tuple[str, str, tuple[float, ...]], ...] = (
    ("state_of_certified_energy", "%", (100, 99.2, 98.7, 98.1, 97.4)),
    ("state_of_charge", "%", (80, 55, 62, 90, 71)),
    ("full_cycles", "cycles", (12, 41, 77, 110, 139)),
    # Annex VII Part A(5), voluntary for an EV: the pack's ohmic resistance, rising with use.
    ("current_ohmic_resistance", "Ω", (0.08, 0.0804, 0.0809, 0.0813, 0.0818)),
)


def full_marked_values() -> dict[str, object]:
    """A value for every catalogue attribute, each naming its key: a leak is easy to spot in HTML."""
    return {a.key: f"value-of-{a.key}" for a in ATTRIBUTES}


@dataclass
class _Stored:
    category: BatteryCategory
    values: dict[str, object]
    history: PassportHistory
    predecessor: str | None = None
    successor: str | None = None
    signature: str | None = None


@dataclass
class MemoryReader:
    """``PassportReader`` over passports held in memory; splits each read with the real view functions."""

    passports: dict[str, _Stored] = field(default_factory=dict)
    calls: list[tuple[str, frozenset[Audience]]] = field(default_factory=list)

    def add(
        self, passport_id: str, category: BatteryCategory, values: dict[str, object], **links: str
    ) -> PassportHistory:
        history = PassportHistory.issue(passport_id, OPERATOR, at=ISSUED)
        self.passports[passport_id] = _Stored(category, dict(values), history, **links)
        return history

    def document(self, passport_id: str, audiences: frozenset[Audience]) -> PassportDocument:
        self.calls.append((passport_id, audiences))
        stored = self.passports.get(passport_id)
        if stored is None:
            raise NotFound(f"no passport {passport_id}")

        def visible(key: str) -> bool:
            return any(may_see(a, attribute(key).access) for a in audiences)

        values = dict(stored.values)
        series = {}
        for a in ATTRIBUTES:
            measured = stored.history.series(a.key) if a.dynamic and a.key != "battery_status" else ()
            if measured:
                values[a.key] = measured[-1]
                if visible(a.key):
                    series[a.key] = measured
        status_visible = visible("battery_status")
        if status_visible and stored.history.state is not None:
            values.setdefault("battery_status", stored.history.state.value)
        return PassportDocument(
            passport_id=passport_id,
            model_id="urn:battrace:model:sample",
            category=stored.category,
            responsible_operator=OPERATOR,
            issued_at=ISSUED,
            audiences=audiences,
            view=view_for_audiences(values, audiences),
            series=series,
            timeline=stored.history.events if status_visible else (),
            state=stored.history.state if status_visible else None,
            predecessor=stored.predecessor,
            successor=stored.successor,
            signature=stored.signature,
        )


def sample_reader() -> MemoryReader:
    """An EV passport with measurements and a repurposing, its second-life successor, an LMT passport
    without series, and a passport holding a marked value for every attribute."""
    reader = MemoryReader()
    history = reader.add(
        EV_ID, BatteryCategory.EV, EV_VALUES, successor=SECOND_LIFE_ID, signature="eyJhbGciOiJFZERTQSJ9..sig"
    )
    start = datetime(2026, 4, 1, tzinfo=UTC)
    for key, unit, values in EV_SERIES:
        for month, value in enumerate(values):
            history.append(
                key,
                DynamicValue(value, unit, start + timedelta(days=30 * month), "bms:vin-WVW0001"),
                writer=OPERATOR,
            )
    outcome = history.apply(
        PassportEvent.REPURPOSE,
        at=datetime(2026, 9, 15, tzinfo=UTC),
        actor=OPERATOR,
        successor_id=SECOND_LIFE_ID,
    )
    second = PassportHistory.issue(
        SECOND_LIFE_ID, OPERATOR, at=datetime(2026, 9, 16, tzinfo=UTC), predecessor=outcome
    )
    reader.passports[SECOND_LIFE_ID] = _Stored(
        BatteryCategory.STATIONARY_STORAGE,
        {"battery_passport_identifier": SECOND_LIFE_ID, "battery_category": "stationary_storage"},
        second,
        predecessor=EV_ID,
    )
    lmt = {
        k: v
        for k, v in EV_VALUES.items()
        if k not in ("certified_usable_energy", "capacity_threshold_for_exhaustion")
    }
    reader.add(
        LMT_ID, BatteryCategory.LMT, {**lmt, "battery_category": "lmt", "battery_passport_identifier": LMT_ID}
    )
    reader.add(MARKED_ID, BatteryCategory.EV, full_marked_values())
    return reader


def resolver(reader: MemoryReader) -> Callable[[Sgtin | UniqueIdentifier], str | None]:
    """Battery identifier -> passport id. An SGTIN is compared on its 14-digit GTIN and serial (one battery,
    one key, whatever GTIN length it was registered with); a unique identifier on its string, as
    ``PassportService.resolve`` does (the identification link does not say where its parts end)."""
    by_sgtin = {(EV_SGTIN.gtin.gtin14, EV_SGTIN.serial): EV_ID}
    by_ui = {str(LMT_UI): LMT_ID}

    def resolve(battery: Sgtin | UniqueIdentifier) -> str | None:
        if isinstance(battery, Sgtin):
            return by_sgtin.get((battery.gtin.gtin14, battery.serial))
        return by_ui.get(str(battery))

    return resolve


def authenticate(token: str) -> tuple[str, frozenset[Audience]]:
    """Stands in for the node's verification of a self-issued bearer token."""
    found = TOKENS.get(token)
    if found is None:
        raise Unauthenticated("token not recognised")
    return found
