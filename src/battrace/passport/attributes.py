"""The battery passport attribute catalogue: Annex XIII of Regulation (EU) 2023/1542 as itemised by the
Battery Pass longlist v1.2 / DIN DKE SPEC 99100 (93 attributes, ``LONGLIST``), followed by the Annex XIII
values the longlist leaves out (``ADDITIONS``: the current ohmic resistance of Annex VII Part A(5)).

Written from our research notes (shared/research/battery-passport.md §2.4, §3); names are paraphrased.
Pure module: no I/O.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum

from battrace.errors import InvalidInput


class AccessLevel(Enum):
    """Who may read an attribute (Art. 77(2) with Annex XIII points 1-4)."""

    PUBLIC = "public"  # Annex XIII 1: battery model, publicly accessible
    LEGITIMATE_INTEREST_ONLY = "legitimate_interest"  # Annex XIII 4 (and longlist "PLI" rows)
    LEGITIMATE_INTEREST = "legitimate_interest_and_commission"  # Annex XIII 2: PLI + Commission (+NB/MSA)
    AUTHORITY = "notified_bodies_market_surveillance_commission"  # Annex XIII 3


class Audience(Enum):
    """Who is asking: the three reader groups of Art. 77(2)."""

    PUBLIC = "public"
    LEGITIMATE_INTEREST = "legitimate_interest"  # repairers, re-users, recyclers... (Art. 77(2)(c), 77(9))
    AUTHORITY = "authority"  # notified bodies, market surveillance authorities, the Commission


# Art. 77(2) is not a ladder: point 1 is public; point 2 goes to persons with a legitimate interest and to the
# Commission (and NB/MSA); point 3 (test reports) only to NB/MSA/Commission; point 4 (the individual battery's
# use data) only to persons with a legitimate interest. So an authority does not see point 4 and a person with
# a legitimate interest does not see point 3.
_VISIBLE: dict[Audience, frozenset[AccessLevel]] = {
    Audience.PUBLIC: frozenset({AccessLevel.PUBLIC}),
    Audience.LEGITIMATE_INTEREST: frozenset(
        {AccessLevel.PUBLIC, AccessLevel.LEGITIMATE_INTEREST, AccessLevel.LEGITIMATE_INTEREST_ONLY}
    ),
    Audience.AUTHORITY: frozenset(
        {AccessLevel.PUBLIC, AccessLevel.LEGITIMATE_INTEREST, AccessLevel.AUTHORITY}
    ),
}


def may_see(audience: Audience, level: AccessLevel) -> bool:
    """Whether ``audience`` may read an attribute classified ``level`` (Art. 77(2))."""
    return level in _VISIBLE[audience]


class Granularity(Enum):
    MODEL = "model"
    MODEL_PER_PLANT = "model_per_plant"  # IDTA-02035 Part 3; the longlist itself only uses model / item
    BATCH = "batch"
    ITEM = "item"


class BatteryCategory(Enum):
    """The categories that need a passport, Art. 77(1)."""

    EV = "ev"
    LMT = "lmt"
    INDUSTRIAL = "industrial"  # industrial battery > 2 kWh other than stationary storage
    STATIONARY_STORAGE = "stationary_storage"  # stationary battery energy storage system > 2 kWh


class Requirement(Enum):
    MANDATORY = "x"
    VOLUNTARY = "o"
    NOT_APPLICABLE = "-"


class ValueKind(Enum):
    TEXT = "text"
    IDENTIFIER = "identifier"  # a unique identifier string (Art. 77(3), Annex VI Part A(2))
    ORGANISATION = "organisation"  # a company identifier claim, battrace.trust.identifiers
    DATE = "date"  # ISO 8601 YYYY-MM (DIN) or YYYY-MM-DD
    PERIOD = "period"  # ISO 8601 duration in years and months, e.g. P5Y6M
    NUMBER = "number"
    PERCENTAGE = "percentage"  # 0-100
    CHOICE = "choice"
    LIST = "list"  # list of text entries
    COMPOSITION = "composition"  # materials with optional CAS number and share in %
    DOCUMENT = "document"  # link to a PDF, graphic or web page


_CATEGORY_ORDER = (
    BatteryCategory.EV,
    BatteryCategory.LMT,
    BatteryCategory.INDUSTRIAL,
    BatteryCategory.STATIONARY_STORAGE,
)

# Annex XIII 4(c): the only admitted battery statuses.
BATTERY_STATUSES = ("original", "repurposed", "re-used", "remanufactured", "waste")


@dataclass(frozen=True)
class Attribute:
    key: str
    name: str
    annex: str
    access: AccessLevel
    dynamic: bool
    unit: str | None
    granularity: Granularity
    applicability: str  # "EV/LMT/IND/STAT" with x mandatory, o voluntary, - not applicable
    kind: ValueKind
    choices: tuple[str, ...] = ()

    def requirement(self, category: BatteryCategory) -> Requirement:
        marks = self.applicability.split("/")
        return Requirement(marks[_CATEGORY_ORDER.index(category)])


_P, _LI, _LIC, _AU = (
    AccessLevel.PUBLIC,
    AccessLevel.LEGITIMATE_INTEREST_ONLY,
    AccessLevel.LEGITIMATE_INTEREST,
    AccessLevel.AUTHORITY,
)
_M, _I = Granularity.MODEL, Granularity.ITEM
_K = ValueKind
_ALL = "x/x/x/x"
_OPT = "o/o/o/o"
_CATEGORY_NAMES = tuple(c.value for c in BatteryCategory)


def _a(
    key: str,
    name: str,
    annex: str,
    access: AccessLevel,
    dynamic: bool,
    unit: str | None,
    granularity: Granularity,
    applicability: str,
    kind: ValueKind,
    choices: tuple[str, ...] = (),
) -> Attribute:
    return Attribute(key, name, annex, access, dynamic, unit, granularity, applicability, kind, choices)


# Order = the longlist / notes §3 table (rows 1-93). Annex references name the Annex XIII point; "[...]" is
# the point it reaches through (Annex VI Part A, Art. 7, Art. 8, Art. 74, Annex IV/VII).
LONGLIST: tuple[Attribute, ...] = (
    # Identifiers and product data (Annex XIII 1(a) via Annex VI Part A, Art. 77(3))
    _a("battery_passport_identifier", "Battery passport identifier",
       "Art. 77(3)", _P, False, None, _I, _ALL, _K.IDENTIFIER),
    _a("battery_identifier", "Battery identifier",
       "Annex XIII 1(a) [VI-A(2)]", _P, False, None, _I, _ALL, _K.IDENTIFIER),
    _a("operator_identifier", "Operator identifier and information",
       "ESPR Annex III(h)", _P, False, None, _I, _OPT, _K.ORGANISATION),
    _a("manufacturer_identifier", "Manufacturer identifier and information",
       "Annex XIII 1(a) [VI-A(1)]", _P, False, None, _M, _ALL, _K.ORGANISATION),
    _a("manufacturing_place", "Manufacturing place",
       "Annex XIII 1(a) [VI-A(3)]", _P, False, None, _M, _ALL, _K.TEXT),
    _a("manufacturing_date", "Manufacturing date",
       "Annex XIII 1(a) [VI-A(4)]", _P, False, None, _I, _ALL, _K.DATE),
    _a("putting_into_service_date", "Date of putting the battery into service",
       "Annex XIII 4(a)/(b) [VII-B(1)]", _LI, False, None, _I, "-/x/-/x", _K.DATE),
    _a("warranty_period", "Warranty period of the battery",
       "Annex XIII 1(m)", _P, False, None, _M, _ALL, _K.PERIOD),
    _a("battery_category", "Battery category",
       "Annex XIII 1(a) [VI-A(2)]", _P, False, None, _M, _ALL, _K.CHOICE, _CATEGORY_NAMES),
    _a("battery_mass", "Battery mass", "Annex XIII 1(a) [VI-A(5)]", _P, False, "kg", _M, _ALL, _K.NUMBER),
    _a("battery_status", "Battery status",
       "Annex XIII 4(c)", _LI, True, None, _I, _ALL, _K.CHOICE, BATTERY_STATUSES),
    # Symbols, labels and conformity (Annex XIII 1(q)-(s), 3)
    _a("separate_collection_symbol", "Separate collection symbol",
       "Annex XIII 1(q) [Art. 13(4)]", _P, False, None, _M, _ALL, _K.DOCUMENT),
    _a("cadmium_lead_symbols", "Symbols for cadmium and lead",
       "Annex XIII 1(q) [Art. 13(5)]", _P, False, None, _M, _ALL, _K.DOCUMENT),
    _a("carbon_footprint_label", "Carbon footprint label",
       "Annex XIII 1(c) [Art. 7(2)]", _P, False, None, _M, _OPT, _K.DOCUMENT),
    _a("extinguishing_agent", "Extinguishing agent",
       "Annex XIII 1(a) [VI-A(9)]", _P, False, None, _I, _ALL, _K.TEXT),
    _a("meaning_of_labels", "Meaning of labels and symbols",
       "Annex XIII 1(s) [Art. 74(1)(e)]", _P, False, None, _M, _ALL, _K.TEXT),
    _a("eu_declaration_of_conformity", "EU declaration of conformity",
       "Annex XIII 1(r)", _P, False, None, _M, _ALL, _K.DOCUMENT),
    _a("compliance_test_reports", "Results of test reports proving compliance",
       "Annex XIII 3", _AU, False, None, _M, _ALL, _K.DOCUMENT),
    # Carbon footprint (Annex XIII 1(c) -> Art. 7)
    _a("carbon_footprint_per_functional_unit", "Battery carbon footprint per functional unit",
       "Annex XIII 1(c) [Art. 7(1)(d)]", _P, False, "kgCO2e/kWh", _M, _ALL, _K.NUMBER),
    _a("carbon_footprint_raw_material_share", "Contribution of raw material acquisition and pre-processing",
       "Annex XIII 1(c) [Art. 7(1)(e)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("carbon_footprint_production_share", "Contribution of main product production stage",
       "Annex XIII 1(c) [Art. 7(1)(e)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("carbon_footprint_distribution_share", "Contribution of distribution stage",
       "Annex XIII 1(c) [Art. 7(1)(e)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("carbon_footprint_end_of_life_share", "Contribution of end of life and recycling stage",
       "Annex XIII 1(c) [Art. 7(1)(e)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("carbon_footprint_performance_class", "Carbon footprint performance class",
       "Annex XIII 1(c) [Art. 7(2)]", _P, False, None, _M, _ALL, _K.TEXT),
    _a("carbon_footprint_study_link", "Web link to public carbon footprint study",
       "Annex XIII 1(c) [Art. 7(1)(g)]", _P, False, None, _M, _ALL, _K.DOCUMENT),
    _a("carbon_footprint_general_information", "General battery and manufacturer information for CF",
       "Annex XIII 1(c) [Art. 7(1)(a)-(c),(f)]", _P, False, None, _M, _ALL, _K.TEXT),
    _a("absolute_carbon_footprint", "Absolute battery carbon footprint",
       "voluntary", _P, False, "tCO2e", _M, _OPT, _K.NUMBER),
    # Supply-chain due diligence (Annex XIII 1(d) -> Art. 52(3))
    _a("due_diligence_report", "Information of the due diligence report",
       "Annex XIII 1(d) [Art. 52(3)]", _P, False, None, _M, _ALL, _K.DOCUMENT),
    _a("third_party_assurances", "Third party assurances of recognised schemes",
       "voluntary [Art. 49(d), 53]", _P, False, None, _M, _OPT, _K.LIST),
    _a("supply_chain_indices", "Supply chain indices", "voluntary", _P, False, None, _M, _OPT, _K.TEXT),
    # Materials and composition (Annex XIII 1(b), 2(a))
    _a("battery_chemistry", "Battery chemistry",
       "Annex XIII 1(b) [VI-A(7)]", _P, False, None, _M, _ALL, _K.TEXT),
    _a("critical_raw_materials", "Critical raw materials",
       "Annex XIII 1(b) [VI-A(10)]", _P, False, None, _M, _ALL, _K.LIST),
    _a("electrode_electrolyte_materials", "Materials used in cathode, anode and electrolyte",
       "Annex XIII 2(a)", _LIC, False, None, _M, _ALL, _K.COMPOSITION),
    _a("hazardous_substances", "Hazardous substances",
       "Annex XIII 1(b) [VI-A(8)]", _P, False, None, _M, _ALL, _K.COMPOSITION),
    _a("impact_of_substances", "Impact of substances on the environment, human health and safety",
       "Annex XIII 1(s) [Art. 74(1)(f)]", _P, False, None, _M, _ALL, _K.TEXT),
    # Circularity (Annex XIII 1(e), 1(f), 1(s), 2(b)-(d))
    _a("dismantling_information", "Dismantling information",
       "Annex XIII 2(c)", _LIC, False, None, _M, _ALL, _K.DOCUMENT),
    _a("component_part_numbers", "Part numbers for components",
       "Annex XIII 2(b)", _LIC, False, None, _M, _ALL, _K.DOCUMENT),
    _a("spare_part_sources", "Information on sources of spare parts",
       "Annex XIII 2(b)", _LIC, False, None, _M, _ALL, _K.TEXT),
    _a("safety_measures", "Safety measures", "Annex XIII 2(d)", _LIC, False, None, _M, _ALL, _K.DOCUMENT),
    _a("pre_consumer_recycled_nickel_share", "Pre-consumer recycled nickel share",
       "Annex XIII 1(e) [Art. 8(1)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("pre_consumer_recycled_cobalt_share", "Pre-consumer recycled cobalt share",
       "Annex XIII 1(e) [Art. 8(1)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("pre_consumer_recycled_lithium_share", "Pre-consumer recycled lithium share",
       "Annex XIII 1(e) [Art. 8(1)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("pre_consumer_recycled_lead_share", "Pre-consumer recycled lead share",
       "Annex XIII 1(e) [Art. 8(1)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("post_consumer_recycled_nickel_share", "Post-consumer recycled nickel share",
       "Annex XIII 1(e) [Art. 8(1)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("post_consumer_recycled_cobalt_share", "Post-consumer recycled cobalt share",
       "Annex XIII 1(e) [Art. 8(1)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("post_consumer_recycled_lithium_share", "Post-consumer recycled lithium share",
       "Annex XIII 1(e) [Art. 8(1)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("post_consumer_recycled_lead_share", "Post-consumer recycled lead share",
       "Annex XIII 1(e) [Art. 8(1)]", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("renewable_content_share", "Renewable content share",
       "Annex XIII 1(f)", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("end_user_waste_prevention", "Role of end-users in waste prevention",
       "Annex XIII 1(s) [Art. 74(1)(a)]", _P, False, None, _M, _ALL, _K.DOCUMENT),
    _a("end_user_separate_collection", "Role of end-users in separate collection of waste batteries",
       "Annex XIII 1(s) [Art. 74(1)(b)]", _P, False, None, _M, _ALL, _K.DOCUMENT),
    _a("collection_second_life_treatment", "Collection, second life preparation and end-of-life treatment",
       "Annex XIII 1(s) [Art. 74(1)(c)]", _P, False, None, _M, _ALL, _K.DOCUMENT),
    # Performance and durability: capacity and energy (Annex XIII 1(g), 4(a)/(b), Annex IV, Annex VII)
    _a("rated_capacity", "Rated capacity", "Annex XIII 1(g)", _P, False, "Ah", _M, _ALL, _K.NUMBER),
    _a("remaining_capacity", "Remaining capacity",
       "Annex XIII 4(b) [VII-A(1)]", _LI, True, "Ah", _I, "o/x/o/x", _K.NUMBER),
    _a("capacity_fade", "Capacity fade",
       "Annex XIII 4(a) [IV-A(1)]", _LI, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("certified_usable_energy", "Certified usable battery energy",
       "voluntary [UN GTR 22]", _P, False, "kWh", _M, "o/-/-/-", _K.NUMBER),
    _a("remaining_usable_energy", "Remaining usable battery energy",
       "voluntary", _LI, True, "kWh", _I, "o/-/-/-", _K.NUMBER),
    _a("state_of_certified_energy", "State of certified energy (SOCE)",
       "Annex XIII 4(b) [VII-A]", _LI, True, "%", _I, "x/-/-/-", _K.PERCENTAGE),
    _a("state_of_charge", "State of charge", "Annex XIII 4(d)", _LI, True, "%", _I, _ALL, _K.PERCENTAGE),
    _a("minimum_voltage", "Minimum voltage", "Annex XIII 1(h)", _P, False, "V", _M, _ALL, _K.NUMBER),
    _a("maximum_voltage", "Maximum voltage", "Annex XIII 1(h)", _P, False, "V", _M, _ALL, _K.NUMBER),
    _a("nominal_voltage", "Nominal voltage", "Annex XIII 1(h)", _P, False, "V", _M, _ALL, _K.NUMBER),
    # Power capability (Annex XIII 1(i), Annex IV Part B(4))
    _a("original_power_capability", "Original power capability at 80 % and 20 % state of charge",
       "Annex XIII 1(i) [IV-B(4)]", _P, False, "W", _M, _ALL, _K.NUMBER),
    _a("remaining_power_capability", "Remaining power capability",
       "Annex XIII 4(b) [VII-A(2)]", _LI, True, "W", _I, "o/x/o/x", _K.NUMBER),
    _a("power_fade", "Power fade", "Annex XIII 4(a) [IV-A(2)]", _LI, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("maximum_permitted_power", "Maximum permitted battery power",
       "Annex XIII 1(i)", _P, False, "W", _M, _ALL, _K.NUMBER),
    _a("power_energy_ratio", "Ratio of nominal battery power to battery energy",
       "voluntary [IV-B(2)]", _P, False, "W/Wh", _M, _OPT, _K.NUMBER),
    # Round-trip efficiency and self-discharge (Annex XIII 1(n), 4(a)/(b))
    _a("initial_round_trip_efficiency", "Initial round trip energy efficiency",
       "Annex XIII 1(n)", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("round_trip_efficiency_at_half_cycle_life", "Round trip energy efficiency at 50 % of cycle life",
       "Annex XIII 1(n)", _P, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("remaining_round_trip_efficiency", "Remaining round trip energy efficiency",
       "Annex XIII 4(b) [VII-A(3)]", _LI, True, "%", _I, "-/x/-/x", _K.PERCENTAGE),
    _a("round_trip_efficiency_fade", "Energy round trip efficiency fade",
       "Annex XIII 4(a) [IV-A(4)]", _LI, False, "%", _M, _ALL, _K.PERCENTAGE),
    _a("initial_self_discharge_rate", "Initial self-discharge rate",
       "voluntary", _LI, False, "%/month", _M, "-/o/-/o", _K.NUMBER),
    _a("current_self_discharge_rate", "Current self-discharge rate",
       "voluntary", _LI, True, "%/month", _I, "-/o/-/o", _K.NUMBER),
    _a("self_discharge_evolution", "Evolution of self-discharge rates",
       "Annex XIII 4(b) [VII-A(4)]", _LI, True, "%", _I, "-/-/-/x", _K.PERCENTAGE),
    # Internal resistance (Annex XIII 1(o), 4(a)); an increase is a number, not a share: it may exceed 100 %.
    _a("initial_internal_resistance", "Initial internal resistance of cell and pack",
       "Annex XIII 1(o)", _P, False, "Ω", _M, _ALL, _K.NUMBER),
    _a("internal_resistance_increase", "Internal resistance increase of the pack",
       "Annex XIII 4(a) [IV-A(3)]", _LI, False, "%", _M, _ALL, _K.NUMBER),
    # Lifetime (Annex XIII 1(j), 1(k), 1(p), 4(a)/(b)/(d))
    _a("expected_lifetime_years", "Expected lifetime in calendar years",
       "Annex XIII 4(a) [IV-A(5)]", _LI, False, "years", _M, _ALL, _K.NUMBER),
    _a("expected_lifetime_cycles", "Expected lifetime in charge-discharge cycles",
       "Annex XIII 1(j)", _P, False, "cycles", _M, _ALL, _K.NUMBER),
    _a("full_cycles", "Number of full charging and discharging cycles",
       "Annex XIII 4(d) [VII-B(5)]", _LI, True, "cycles", _I, _ALL, _K.NUMBER),
    _a("cycle_life_reference_test", "Cycle-life reference test",
       "Annex XIII 1(j)", _P, False, None, _M, _ALL, _K.TEXT),
    _a("cycle_life_test_c_rate", "C-rate of the relevant cycle-life test",
       "Annex XIII 1(p)", _P, False, "A/Ah", _M, _ALL, _K.NUMBER),
    _a("energy_throughput", "Energy throughput",
       "Annex XIII 4(b) [VII-B(2)]", _LI, True, "kWh", _I, "-/x/-/x", _K.NUMBER),
    _a("capacity_throughput", "Capacity throughput",
       "Annex XIII 4(b) [VII-B(3)]", _LI, True, "Ah", _I, "-/x/-/x", _K.NUMBER),
    _a("capacity_threshold_for_exhaustion", "Capacity threshold for exhaustion",
       "Annex XIII 1(k)", _P, False, "%", _M, "x/-/-/-", _K.PERCENTAGE),
    # Temperature conditions (Annex XIII 1(l), 4(b)/(d), Annex VII Part B(4))
    _a("temperature_information", "Temperature information",
       "Annex XIII 4(d)", _LI, True, "°C", _I, _ALL, _K.NUMBER),
    _a("idle_temperature_lower_boundary", "Temperature range in idle state, lower boundary",
       "Annex XIII 1(l)", _P, False, "°C", _M, _ALL, _K.NUMBER),
    _a("idle_temperature_upper_boundary", "Temperature range in idle state, upper boundary",
       "Annex XIII 1(l)", _P, False, "°C", _M, _ALL, _K.NUMBER),
    _a("time_above_temperature_boundary", "Time spent in extreme temperatures above boundary",
       "Annex XIII 4(b) [VII-B(4)]", _LI, True, "min", _I, "-/x/x/x", _K.NUMBER),
    _a("time_below_temperature_boundary", "Time spent in extreme temperatures below boundary",
       "Annex XIII 4(b) [VII-B(4)]", _LI, True, "min", _I, "-/x/x/x", _K.NUMBER),
    _a("charging_time_above_temperature_boundary", "Time charging in extreme temperatures above boundary",
       "Annex XIII 4(b) [VII-B(4)]", _LI, True, "min", _I, "-/x/x/x", _K.NUMBER),
    _a("charging_time_below_temperature_boundary", "Time charging in extreme temperatures below boundary",
       "Annex XIII 4(b) [VII-B(4)]", _LI, True, "min", _I, "-/x/x/x", _K.NUMBER),
    # Negative events (Annex XIII 4(d))
    _a("deep_discharge_events", "Number of deep discharge events",
       "Annex XIII 4(b)/(d) [VII-B(4)]", _LI, True, "count", _I, "o/x/o/x", _K.NUMBER),
    _a("overcharge_events", "Number of overcharge events",
       "voluntary", _LI, True, "count", _I, _OPT, _K.NUMBER),
    _a("accident_information", "Information on accidents",
       "Annex XIII 4(d)", _LI, True, None, _I, _ALL, _K.DOCUMENT),
)  # fmt: skip

# Annex XIII values the longlist does not itemise. Annex VII Part A(5) asks, "where possible", for the ohmic
# resistance of a stationary or LMT battery as a state-of-health parameter; the longlist keeps only the
# initial resistance and the model-level increase. Encoded like the other "where possible" Part A values
# (remaining power capability): x for LMT and stationary storage, voluntary for EV and industrial batteries;
# the pack's value, as the Catena-X aspect's ``resistance.remaining.pack`` (Ω).
ADDITIONS: tuple[Attribute, ...] = (
    _a("current_ohmic_resistance", "Current ohmic resistance of the pack",
       "Annex XIII 4(b) [VII-A(5)]", _LI, True, "Ω", _I, "o/x/o/x", _K.NUMBER),
)  # fmt: skip

ATTRIBUTES: tuple[Attribute, ...] = LONGLIST + ADDITIONS

_BY_KEY: dict[str, Attribute] = {a.key: a for a in ATTRIBUTES}


def attribute(key: str) -> Attribute:
    """The catalogue entry with this key; InvalidInput when there is none."""
    found = _BY_KEY.get(key)
    if found is None:
        raise InvalidInput(f"unknown passport attribute {key!r}", reason="unknown_attribute")
    return found


def attributes_for(
    category: BatteryCategory, audience: Audience, *, include_voluntary: bool = True
) -> tuple[Attribute, ...]:
    """Attributes that apply to ``category`` and that ``audience`` may see (Art. 77(2)), catalogue order."""
    admitted = (
        {Requirement.MANDATORY, Requirement.VOLUNTARY} if include_voluntary else {Requirement.MANDATORY}
    )
    return tuple(a for a in ATTRIBUTES if a.requirement(category) in admitted and may_see(audience, a.access))


@functools.cache
def mandatory_for(category: BatteryCategory) -> tuple[Attribute, ...]:
    """Attributes every passport of ``category`` must carry (longlist "x"); the catalogue is constant, so the
    answer is computed once per category (issuance asks for every passport)."""
    return tuple(a for a in ATTRIBUTES if a.requirement(category) is Requirement.MANDATORY)
