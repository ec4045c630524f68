"""Reader views of a passport: Art. 77(2) split at the source, and credential claims -> audience."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.passport.attributes import ATTRIBUTES, AccessLevel, Audience, attribute, may_see
from battrace.passport.views import (
    ROLE_AUDIENCES,
    PassportView,
    audience_from_claims,
    audiences_from_claims,
    view_for,
    view_for_audiences,
)

KEYS = tuple(a.key for a in ATTRIBUTES)


def _full_passport() -> dict[str, object]:
    """A value for every catalogue attribute; each value names its key so a leak is easy to spot."""
    return {key: f"value-of-{key}" for key in KEYS}


def _keys_at(level: AccessLevel) -> set[str]:
    return {a.key for a in ATTRIBUTES if a.access is level}


@dataclass(eq=False)
class Secret:
    """An arbitrary payload compared by identity, so equal payloads are still distinct objects."""

    payload: object


# -- view_for ----------------------------------------------------------------------------------------------


def test_public_view_never_contains_a_restricted_attribute() -> None:
    view = view_for(_full_passport(), Audience.PUBLIC)
    assert set(view.values) == _keys_at(AccessLevel.PUBLIC)
    assert all(attribute(k).access is AccessLevel.PUBLIC for k in view.values)


def test_authority_does_not_see_item_level_use_data() -> None:
    view = view_for(_full_passport(), Audience.AUTHORITY)
    assert "battery_status" not in view.values  # Annex XIII 4(c)
    assert not _keys_at(AccessLevel.LEGITIMATE_INTEREST_ONLY) & set(view.values)
    assert "compliance_test_reports" in view.values  # Annex XIII 3
    assert _keys_at(AccessLevel.LEGITIMATE_INTEREST) <= set(view.values)  # Annex XIII 2


def test_legitimate_interest_does_not_see_test_reports() -> None:
    view = view_for(_full_passport(), Audience.LEGITIMATE_INTEREST)
    assert "compliance_test_reports" not in view.values
    assert "battery_status" in view.values
    assert view.withheld == (AccessLevel.AUTHORITY.value,)


def test_unknown_keys_never_leave_the_node() -> None:
    values = {"battery_identifier": "X1", "internal_cost_price": 1234, "": "blank", "Battery_Identifier": "y"}
    for audience in Audience:
        view = view_for(values, audience)
        assert view.values == {"battery_identifier": "X1"}
        assert view.withheld == ()
    assert view_for_audiences(values, set(Audience)).values == {"battery_identifier": "X1"}


def test_withheld_names_levels_not_values() -> None:
    values = {"battery_identifier": "X1", "battery_status": "original", "compliance_test_reports": "r.pdf"}
    view = view_for(values, Audience.PUBLIC)
    assert view == PassportView(
        {"battery_identifier": "X1"},
        (AccessLevel.AUTHORITY.value, AccessLevel.LEGITIMATE_INTEREST_ONLY.value),
    )
    assert not {"battery_status", "compliance_test_reports", "original", "r.pdf"} & set(view.withheld)


def test_withheld_only_names_levels_that_held_data() -> None:
    assert view_for({"battery_identifier": "X1"}, Audience.PUBLIC).withheld == ()
    assert view_for({"battery_status": "waste"}, Audience.PUBLIC).withheld == (
        AccessLevel.LEGITIMATE_INTEREST_ONLY.value,
    )
    assert view_for(_full_passport(), Audience.PUBLIC).withheld == (
        AccessLevel.LEGITIMATE_INTEREST.value,
        AccessLevel.AUTHORITY.value,
        AccessLevel.LEGITIMATE_INTEREST_ONLY.value,
    )


def test_view_does_not_alias_the_stored_mapping() -> None:
    values = _full_passport()
    view = view_for(values, Audience.PUBLIC)
    view.values["battery_status"] = "leaked"
    assert values["battery_status"] == "value-of-battery_status"


def test_union_of_audiences_sees_everything_each_would() -> None:
    both = view_for_audiences(_full_passport(), {Audience.LEGITIMATE_INTEREST, Audience.AUTHORITY})
    assert set(both.values) == set(KEYS)
    assert both.withheld == ()


def test_no_audience_sees_nothing() -> None:
    view = view_for_audiences(_full_passport(), ())
    assert view.values == {}
    assert len(view.withheld) == len(AccessLevel)


# -- claims -> audience ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([], Audience.PUBLIC),
        (["CellMaker", "VehicleOem"], Audience.PUBLIC),
        (["Recycler"], Audience.LEGITIMATE_INTEREST),
        (["Repairer", "CellMaker"], Audience.LEGITIMATE_INTEREST),
        (["ReuseOperator"], Audience.LEGITIMATE_INTEREST),
        (["MarketSurveillanceAuthority"], Audience.AUTHORITY),
        (["NotifiedBody"], Audience.AUTHORITY),
    ],
)
def test_audience_from_role_claims(roles: list[str], expected: Audience) -> None:
    assert audience_from_claims({"roles": roles, "bpn": "BPNL000000000001"}) is expected


def test_no_roles_claim_is_public() -> None:
    assert audience_from_claims({}) is Audience.PUBLIC
    assert audiences_from_claims({"bpn": "BPNL000000000001"}) == {Audience.PUBLIC}


def test_role_names_are_case_sensitive_and_unknown_roles_grant_nothing() -> None:
    assert audiences_from_claims({"roles": ["recycler", "Admin", "authority"]}) == {Audience.PUBLIC}


def test_both_rights_give_the_union_not_a_guess() -> None:
    claims: dict[str, object] = {"roles": ["Recycler", "NotifiedBody"]}
    assert audiences_from_claims(claims) == set(Audience)
    with pytest.raises(InvalidInput):
        audience_from_claims(claims)


@pytest.mark.parametrize("roles", ["Recycler", ["Recycler", 7], {"Recycler": True}, 1])
def test_malformed_roles_claim_is_refused(roles: object) -> None:
    with pytest.raises(InvalidInput):
        audiences_from_claims({"roles": roles})


def test_role_table_uses_the_trust_role_names() -> None:
    from battrace.trust.subjects import Role

    names = {r.value for r in Role}
    assert {"Recycler", "Repairer", "ReuseOperator", "NotifiedBody", "MarketSurveillanceAuthority"} <= names
    assert Audience.PUBLIC not in ROLE_AUDIENCES.values()


# -- property ----------------------------------------------------------------------------------------------

_passports = st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=12),
    st.builds(Secret, st.none() | st.integers() | st.text(max_size=8)),
    max_size=40,
)


@given(values=_passports, audiences=st.sets(st.sampled_from(tuple(Audience))))
def test_view_only_holds_what_some_audience_may_see(
    values: dict[str, object], audiences: set[Audience]
) -> None:
    view = view_for_audiences(values, audiences)
    known = {k: v for k, v in values.items() if k in KEYS}
    for key, value in view.values.items():
        assert key in KEYS
        assert value is values[key]
        assert any(may_see(a, attribute(key).access) for a in audiences)
    hidden = [v for k, v in known.items() if k not in view.values]
    shown = list(view.values.values())
    assert not any(h is s for h in hidden for s in shown)
    visible_known = {k for k in known if any(may_see(a, attribute(k).access) for a in audiences)}
    assert set(view.values) == visible_known
    assert set(view.withheld) == {attribute(k).access.value for k in known if k not in visible_known}


@given(values=_passports, audience=st.sampled_from(tuple(Audience)))
def test_view_for_is_the_single_audience_union(values: dict[str, object], audience: Audience) -> None:
    assert view_for(values, audience) == view_for_audiences(values, {audience})


def test_every_role_a_certification_body_can_issue_is_either_mapped_or_deliberately_public() -> None:
    from battrace.trust.subjects import Role

    public_only = {Role.MATERIAL_SUPPLIER, Role.CELL_MAKER, Role.VEHICLE_OEM}
    for role in Role:
        assert (role.value in ROLE_AUDIENCES) != (role in public_only), role
