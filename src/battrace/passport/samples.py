"""A realistic EV battery model and its items, for the demo, the benchmarks and the tests.

The figures are plausible for a 2026 NMC811 passenger-car pack (about 77 kWh, 400 V class), not a real
product. Every value passes ``checks.validate_passport``; the tests hold the module to that.
"""

from __future__ import annotations

from collections.abc import Mapping

from battrace.passport.identifiers import Gtin, Sgtin

LITHIUM, COBALT, NICKEL, MANGANESE = "7439-93-2", "7440-48-4", "7440-02-0", "7439-96-5"
GRAPHITE, ALUMINIUM, COPPER = "7782-42-5", "7429-90-5", "7440-50-8"
LIPF6 = "21324-40-3"

SAMPLE_GTIN = "04012345000016"
DOCS = "https://docs.battrace.example/models/ev-pack-77"


def ev_model_values(*, manufacturer_gln: str = "4012345000009") -> dict[str, object]:
    """Model-level Annex XIII values of an EV pack (granularity model)."""
    return {
        "manufacturer_identifier": {"type": "GLN", "value": manufacturer_gln},
        "manufacturing_place": "Battery plant Sendai, 1-2-3 Kita, Sendai, Miyagi, Japan",
        "warranty_period": "P8Y",
        "battery_category": "ev",
        "battery_mass": 452.0,
        "separate_collection_symbol": f"{DOCS}/labels/crossed-out-wheeled-bin.svg",
        "cadmium_lead_symbols": f"{DOCS}/labels/no-cd-pb.txt",
        "carbon_footprint_label": f"{DOCS}/labels/carbon-footprint-class-b.svg",
        "meaning_of_labels": (
            "Separate collection; carbon footprint performance class B; no Cd or Pb above limits."
        ),
        "eu_declaration_of_conformity": f"{DOCS}/eu-declaration-of-conformity.pdf",
        "compliance_test_reports": f"{DOCS}/restricted/test-reports-un38.3-iec62660.pdf",
        "carbon_footprint_per_functional_unit": 61.4,
        "carbon_footprint_raw_material_share": 63.0,
        "carbon_footprint_production_share": 31.5,
        "carbon_footprint_distribution_share": 1.5,
        "carbon_footprint_end_of_life_share": 4.0,
        "carbon_footprint_performance_class": "B",
        "carbon_footprint_study_link": f"{DOCS}/carbon-footprint-study.pdf",
        "carbon_footprint_general_information": (
            "Per the Commission delegated regulation on the battery carbon footprint; functional unit: "
            "1 kWh of total energy provided over the service life."
        ),
        "absolute_carbon_footprint": 4.73,
        "due_diligence_report": f"{DOCS}/due-diligence-report-2026.pdf",
        "third_party_assurances": ["IRMA 75 (lithium)", "RMI RMAP conformant smelters (cobalt)"],
        "supply_chain_indices": "Cobalt traced to RMAP-conformant refiners; lithium from IRMA-audited mines.",
        "battery_chemistry": "NMC811 cathode, graphite anode, LiPF6 electrolyte",
        "critical_raw_materials": ["cobalt", "lithium", "natural graphite", "nickel", "manganese"],
        "electrode_electrolyte_materials": {
            "components": [
                {"name": "nickel", "cas": NICKEL, "share": 23.0},
                {"name": "graphite", "cas": GRAPHITE, "share": 20.5},
                {"name": "aluminium", "cas": ALUMINIUM, "share": 15.0},
                {"name": "copper", "cas": COPPER, "share": 11.0},
                {"name": "cobalt", "cas": COBALT, "share": 2.9},
                {"name": "manganese", "cas": MANGANESE, "share": 2.7},
                {"name": "lithium", "cas": LITHIUM, "share": 2.6},
                {"name": "lithium hexafluorophosphate", "cas": LIPF6, "share": 1.8},
            ],
            "complete": False,
        },
        "hazardous_substances": [
            {"name": "cobalt", "cas": COBALT},
            {"name": "lithium hexafluorophosphate", "cas": LIPF6},
        ],
        "impact_of_substances": "Cobalt: carcinogenic category 1B; LiPF6: releases HF in a fire.",
        "dismantling_information": f"{DOCS}/restricted/dismantling-manual-v3.pdf",
        "component_part_numbers": f"{DOCS}/restricted/spare-part-list.pdf",
        "spare_part_sources": "Authorised service network, parts portal https://parts.battrace.example",
        "safety_measures": f"{DOCS}/restricted/safety-instructions.pdf",
        "pre_consumer_recycled_nickel_share": 4.0,
        "pre_consumer_recycled_cobalt_share": 9.0,
        "pre_consumer_recycled_lithium_share": 3.0,
        "pre_consumer_recycled_lead_share": 0.0,
        "post_consumer_recycled_nickel_share": 3.0,
        "post_consumer_recycled_cobalt_share": 8.0,
        "post_consumer_recycled_lithium_share": 4.0,
        "post_consumer_recycled_lead_share": 0.0,
        "renewable_content_share": 1.2,
        "end_user_waste_prevention": f"{DOCS}/end-user/waste-prevention.pdf",
        "end_user_separate_collection": f"{DOCS}/end-user/separate-collection.pdf",
        "collection_second_life_treatment": f"{DOCS}/end-user/collection-second-life.pdf",
        "rated_capacity": 206.0,
        "capacity_fade": 20.0,
        "certified_usable_energy": 74.0,
        "minimum_voltage": 270.0,
        "maximum_voltage": 403.2,
        "nominal_voltage": 374.0,
        "original_power_capability": 250000.0,
        "power_fade": 15.0,
        "maximum_permitted_power": 270000.0,
        "power_energy_ratio": 3.3,
        "initial_round_trip_efficiency": 95.0,
        "round_trip_efficiency_at_half_cycle_life": 93.0,
        "round_trip_efficiency_fade": 2.0,
        "initial_internal_resistance": 0.072,
        "internal_resistance_increase": 30.0,
        "expected_lifetime_years": 12,
        "expected_lifetime_cycles": 2000,
        "cycle_life_reference_test": "IEC 62660-1:2018 cycle life test, 25 °C, 100 % DoD",
        "cycle_life_test_c_rate": 0.33,
        "capacity_threshold_for_exhaustion": 70.0,
        "idle_temperature_lower_boundary": -30.0,
        "idle_temperature_upper_boundary": 55.0,
    }


def sample_battery(serial: int | str) -> Sgtin:
    return Sgtin(Gtin(SAMPLE_GTIN), f"P{serial}" if isinstance(serial, int) else serial)


def ev_item_values(serial: int | str, *, manufactured: str = "2026-09-14") -> dict[str, object]:
    """Item-level static values of one pack; its identifier is the SGTIN of ``serial``."""
    battery = sample_battery(serial)
    return {
        "battery_identifier": f"(01){battery.gtin.gtin14}(21){battery.serial}",
        "operator_identifier": {"type": "GLN", "value": "4012345000009"},
        "manufacturing_date": manufactured,
        "extinguishing_agent": "Water in large quantities; class D powder for cell fires",
    }


def merged(model: Mapping[str, object], item: Mapping[str, object]) -> dict[str, object]:
    return {**model, **item}
