"""The attribute catalogue: Annex XIII / Battery Pass longlist v1.2 (93 attributes) plus the Annex XIII values
the longlist leaves out, and Art. 77(2) access."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from battrace.errors import InvalidInput
from battrace.passport.attributes import (
    ADDITIONS,
    ATTRIBUTES,
    LONGLIST,
    AccessLevel,
    Audience,
    BatteryCategory,
    Granularity,
    Requirement,
    attribute,
    attributes_for,
    mandatory_for,
    may_see,
)

# CC BY-NC reference table kept outside the repository (never copied in); the cross-check skips without it.
_CSV = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "reference"
    / "passport"
    / "eu-battery-regulation"
    / "annex-xiii-attributes.csv"
)
_CSV_ACCESS = {
    "public": AccessLevel.PUBLIC,
    "legitimate_interest": AccessLevel.LEGITIMATE_INTEREST_ONLY,
    "legitimate_interest_and_commission(+nb_msa)": AccessLevel.LEGITIMATE_INTEREST,
    "nb_msa_commission": AccessLevel.AUTHORITY,
}
_CSV_GRANULARITY = {"Battery model": Granularity.MODEL, "Individual battery": Granularity.ITEM}


def test_catalogue_holds_all_93_attributes_of_the_longlist_then_the_additions() -> None:
    assert len(LONGLIST) == 93
    assert ATTRIBUTES == LONGLIST + ADDITIONS
    assert [a.key for a in ADDITIONS] == ["current_ohmic_resistance"]
    assert len({a.key for a in ATTRIBUTES}) == 94


def test_the_current_ohmic_resistance_is_an_annex_vii_state_of_health_series() -> None:
    # Annex VII Part A(5), "where possible": encoded like remaining power capability (Part A(2), also
    # "where possible"): x for LMT and stationary storage, voluntary for EV and industrial batteries.
    entry = attribute("current_ohmic_resistance")
    power = attribute("remaining_power_capability")
    assert entry.applicability == power.applicability == "o/x/o/x"
    assert entry.access is power.access is AccessLevel.LEGITIMATE_INTEREST_ONLY
    assert entry.dynamic and entry.granularity is Granularity.ITEM
    assert entry.unit == "Ω" and entry.annex == "Annex XIII 4(b) [VII-A(5)]"


def test_keys_are_stable_snake_case_ids() -> None:
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", a.key) for a in ATTRIBUTES)


def test_access_levels_split_as_in_the_notes_60_27_5_1() -> None:
    counts = Counter(a.access for a in LONGLIST)
    assert counts == {
        AccessLevel.PUBLIC: 60,
        AccessLevel.LEGITIMATE_INTEREST_ONLY: 27,
        AccessLevel.LEGITIMATE_INTEREST: 5,
        AccessLevel.AUTHORITY: 1,
    }


def test_73_static_and_20_dynamic_attributes_in_the_longlist_21_with_the_resistance() -> None:
    assert sum(a.dynamic for a in LONGLIST) == 20
    assert sum(a.dynamic for a in ATTRIBUTES) == 21


def test_test_reports_are_the_only_authority_attribute() -> None:
    assert [a.key for a in ATTRIBUTES if a.access is AccessLevel.AUTHORITY] == ["compliance_test_reports"]
    assert attribute("compliance_test_reports").annex == "Annex XIII 3"


def test_battery_status_admits_exactly_the_five_statuses_of_annex_xiii_4c() -> None:
    status = attribute("battery_status")
    assert status.choices == ("original", "repurposed", "re-used", "remanufactured", "waste")
    assert status.dynamic and status.granularity is Granularity.ITEM


def test_capacity_threshold_for_exhaustion_applies_to_ev_only() -> None:
    entry = attribute("capacity_threshold_for_exhaustion")
    assert entry.requirement(BatteryCategory.EV) is Requirement.MANDATORY
    for other in (BatteryCategory.LMT, BatteryCategory.INDUSTRIAL, BatteryCategory.STATIONARY_STORAGE):
        assert entry.requirement(other) is Requirement.NOT_APPLICABLE


def test_regulation_units_are_kept_rated_capacity_in_ah_power_in_w() -> None:
    assert attribute("rated_capacity").unit == "Ah"
    assert attribute("original_power_capability").unit == "W"
    assert attribute("carbon_footprint_per_functional_unit").unit == "kgCO2e/kWh"


def test_unknown_key_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown passport attribute 'colour'"):
        attribute("colour")


def test_public_audience_never_sees_authority_or_legitimate_interest_attributes() -> None:
    for category in BatteryCategory:
        seen = attributes_for(category, Audience.PUBLIC)
        assert seen
        assert {a.access for a in seen} == {AccessLevel.PUBLIC}


def test_legitimate_interest_audience_sees_both_legitimate_interest_blocks_but_not_test_reports() -> None:
    seen = {a.key for a in attributes_for(BatteryCategory.LMT, Audience.LEGITIMATE_INTEREST)}
    assert {"rated_capacity", "battery_status", "dismantling_information"} <= seen
    assert "compliance_test_reports" not in seen


def test_audiences_are_not_a_ladder_authorities_see_test_reports_but_not_item_use_data() -> None:
    for category in BatteryCategory:
        public = set(attributes_for(category, Audience.PUBLIC))
        interest = set(attributes_for(category, Audience.LEGITIMATE_INTEREST))
        authority = set(attributes_for(category, Audience.AUTHORITY))
        assert public < interest and public < authority
        assert {a.access for a in interest - authority} == {AccessLevel.LEGITIMATE_INTEREST_ONLY}
        assert {a.access for a in authority - interest} == {AccessLevel.AUTHORITY}
    assert may_see(Audience.AUTHORITY, AccessLevel.LEGITIMATE_INTEREST)
    assert not may_see(Audience.AUTHORITY, AccessLevel.LEGITIMATE_INTEREST_ONLY)
    assert not may_see(Audience.LEGITIMATE_INTEREST, AccessLevel.AUTHORITY)


def test_attributes_for_leaves_out_attributes_not_applicable_to_the_category() -> None:
    ev = {a.key for a in attributes_for(BatteryCategory.EV, Audience.LEGITIMATE_INTEREST)}
    lmt = {a.key for a in attributes_for(BatteryCategory.LMT, Audience.LEGITIMATE_INTEREST)}
    assert "state_of_certified_energy" in ev and "state_of_certified_energy" not in lmt
    assert "energy_throughput" in lmt and "energy_throughput" not in ev


def test_mandatory_set_excludes_voluntary_attributes() -> None:
    keys = {a.key for a in mandatory_for(BatteryCategory.EV)}
    assert "absolute_carbon_footprint" not in keys
    assert "battery_passport_identifier" in keys


def test_catalogue_matches_the_reference_csv_row_by_row() -> None:
    if not _CSV.is_file():
        pytest.skip(f"reference table {_CSV} not present (CC BY-NC, kept outside the repository)")
    with _CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(LONGLIST)
    for row, entry in zip(rows, LONGLIST, strict=True):
        assert _CSV_ACCESS[row["access"]] is entry.access, entry.key
        assert (row["static_dynamic"] == "Dynamic") is entry.dynamic, entry.key
        assert _CSV_GRANULARITY[row["granularity"]] is entry.granularity, entry.key
        # The CSV leaves "not applicable" cells empty where the notes write "-".
        marks = "/".join(row[c] or "-" for c in ("EV", "LMT", "IND_gt2kWh", "STAT_gt2kWh"))
        assert marks == entry.applicability, entry.key
