"""Semantic checks on passport values, beyond what a JSON schema says.

Each ``check_*`` is a pure function raising InvalidInput whose message names the attribute and the rule, and
whose ``reason`` is a stable rule id. ``validate_passport`` runs them all over a flat mapping keyed by
attribute key and collects every problem instead of stopping at the first.
Pure module: no I/O.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from battrace.errors import InvalidInput
from battrace.passport.attributes import (
    ATTRIBUTES,
    Attribute,
    BatteryCategory,
    Requirement,
    ValueKind,
    attribute,
    mandatory_for,
)
from battrace.trust.identifiers import identifier_from_claim

# DIN DKE SPEC 99100 gives manufacturing and into-service dates as ISO 8601 YYYY-MM; a full date is accepted.
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?$")
# Annex XIII 1(m): warranty period in years and months, carried as an ISO 8601 duration (P5Y, P6M, P5Y6M).
_PERIOD = re.compile(r"^P(?=[0-9])(?:[0-9]+Y)?(?:[0-9]+M)?$")
# CAS Registry Number: 2-7 digits, 2 digits, 1 check digit.
_CAS = re.compile(r"^([0-9]{2,7})-([0-9]{2})-([0-9])$")
# Units in which a negative value is meaningful; every other quantity in Annex XIII is a magnitude or count.
_SIGNED_UNITS = frozenset({"°C"})
# Tolerance on the 100 % sum of a composition declared complete (rounding of the declared shares).
COMPLETE_TOLERANCE = 0.5
# Tolerance on the 100 % sum of the four Annex II life-cycle stage shares of the carbon footprint. The shares
# are shares of the declared total (carbon_footprint_per_functional_unit; the use stage is excluded by
# Annex II), so they add up to 100 %. They are usually published as whole percentages: each of the four may
# be off by up to 0.5 points through rounding, hence 4 x 0.5 = 2 points.
CARBON_FOOTPRINT_STAGE_TOLERANCE = 2.0


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a passport: the attribute key, a stable rule id and a readable message."""

    key: str
    rule: str
    message: str


def _fail(key: str, rule: str, message: str) -> InvalidInput:
    return InvalidInput(f"{key}: {message}", reason=rule, attribute=key)


def check_date(key: str, value: object) -> date:
    """A real calendar date (no 2025-02-30); YYYY-MM is read as the first of the month."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if match is None:
        raise _fail(key, "date_format", f"expected an ISO 8601 date YYYY-MM or YYYY-MM-DD, got {value!r}")
    year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
    try:
        return date(year, month, day)
    except ValueError:
        raise _fail(key, "date_real", f"{value!r} is not a calendar date") from None


def check_number(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(key, "kind_number", f"expected a finite number, got {value!r}")
    return float(value)


def check_non_negative(key: str, value: object) -> float:
    number = check_number(key, value)
    if number < 0:
        raise _fail(key, "non_negative", f"a quantity cannot be negative, got {number}")
    return number


def check_percentage(key: str, value: object) -> float:
    number = check_number(key, value)
    if not 0 <= number <= 100:
        raise _fail(key, "percentage_range", f"a percentage lies in 0-100, got {number}")
    return number


def check_unit(key: str, unit: object) -> None:
    """The unit stated with a value must be the catalogue's unit for that attribute (no silent conversion)."""
    expected = attribute(key).unit
    if unit != expected:
        raise _fail(key, "unit", f"unit must be {expected!r}, got {unit!r}")


def cas_check_digit(body: str) -> int:
    """CAS check digit: sum of each digit times its position counted from the right, mod 10."""
    return sum(int(d) * n for n, d in enumerate(reversed(body), start=1)) % 10


def check_cas_number(key: str, value: object) -> str:
    match = _CAS.match(value) if isinstance(value, str) else None
    if match is None:
        raise _fail(key, "cas_format", f"a CAS number is NNNNNNN-NN-N, got {value!r}")
    expected = cas_check_digit(match[1] + match[2])
    if int(match[3]) != expected:
        raise _fail(
            key, "cas_check_digit", f"CAS number {value} has check digit {match[3]}, expected {expected}"
        )
    return str(value)


def check_composition_shares(key: str, shares: Sequence[float], complete: bool) -> None:
    """Material shares add up to at most 100 %, and to 100 % (within COMPLETE_TOLERANCE) when declared
    complete (Annex XIII 1(b), 2(a): material composition)."""
    total = sum(shares)
    if total > 100 + 1e-9:
        raise _fail(key, "composition_over_100", f"material shares add up to {total} %, more than 100 %")
    if complete and abs(total - 100) > COMPLETE_TOLERANCE:
        raise _fail(
            key, "composition_incomplete", f"composition declared complete but shares add up to {total} %"
        )


def _check_text(key: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, "kind_text", f"expected a non-empty string, got {value!r}")


def _check_period(key: str, value: object) -> None:
    if not isinstance(value, str) or not _PERIOD.match(value):
        raise _fail(
            key, "period_format", f"expected an ISO 8601 period in years and months (P5Y6M), got {value!r}"
        )


def _check_list(key: str, value: object) -> None:
    if not isinstance(value, list) or not value:
        raise _fail(key, "kind_list", f"expected a non-empty list, got {value!r}")
    for entry in value:
        _check_text(key, entry)


def _check_organisation(key: str, value: object) -> None:
    # Operators and manufacturers carry the typed company identifiers of battrace.trust.identifiers.
    if not isinstance(value, Mapping):
        raise _fail(key, "kind_organisation", f"expected an identifier claim {{type, value}}, got {value!r}")
    try:
        identifier_from_claim(value)
    except InvalidInput as exc:
        raise _fail(key, "organisation_identifier", exc.detail) from None


def _check_quantity(entry: Attribute, value: object) -> None:
    """A bare number in the catalogue unit, or ``{"value": n, "unit": u}`` with u the catalogue unit."""
    if isinstance(value, Mapping):
        check_unit(entry.key, value.get("unit"))
        value = value.get("value")
    if entry.kind is ValueKind.PERCENTAGE:
        check_percentage(entry.key, value)
    elif entry.unit in _SIGNED_UNITS:
        check_number(entry.key, value)
    else:
        check_non_negative(entry.key, value)


def _check_component(key: str, component: object) -> float:
    if not isinstance(component, Mapping):
        raise _fail(key, "kind_composition", f"a component is a mapping with a name, got {component!r}")
    _check_text(key, component.get("name"))
    if component.get("cas") is not None:
        check_cas_number(key, component["cas"])
    share = component.get("share")
    return 0.0 if share is None else check_percentage(key, share)


def _check_composition(key: str, value: object) -> None:
    complete = False
    if isinstance(value, Mapping):
        complete = value.get("complete") is True
        value = value.get("components")
    if not isinstance(value, list) or not value:
        raise _fail(key, "kind_composition", f"expected a non-empty list of components, got {value!r}")
    check_composition_shares(key, [_check_component(key, c) for c in value], complete)


def _check_choice(entry: Attribute, value: object) -> None:
    if value not in entry.choices:
        raise _fail(entry.key, "choice", f"must be one of {list(entry.choices)}, got {value!r}")


_BY_KIND: dict[ValueKind, Callable[[Attribute, object], object]] = {
    ValueKind.TEXT: lambda a, v: _check_text(a.key, v),
    ValueKind.IDENTIFIER: lambda a, v: _check_text(a.key, v),
    ValueKind.DOCUMENT: lambda a, v: _check_text(a.key, v),
    ValueKind.ORGANISATION: lambda a, v: _check_organisation(a.key, v),
    ValueKind.DATE: lambda a, v: check_date(a.key, v),
    ValueKind.PERIOD: lambda a, v: _check_period(a.key, v),
    ValueKind.NUMBER: _check_quantity,
    ValueKind.PERCENTAGE: _check_quantity,
    ValueKind.CHOICE: _check_choice,
    ValueKind.LIST: lambda a, v: _check_list(a.key, v),
    ValueKind.COMPOSITION: lambda a, v: _check_composition(a.key, v),
}


def check_value(key: str, value: object) -> None:
    """Every rule for one attribute value; raises InvalidInput on the first broken one."""
    entry = attribute(key)
    _BY_KIND[entry.kind](entry, value)


def _problem(key: str, exc: InvalidInput) -> Problem:
    return Problem(key, str(exc.extra.get("reason", "invalid")), exc.detail)


# Rules spanning several attributes. Each is a pure function of the attributes that passed their per-value
# checks (missing and invalid values are absent, so a rule with a missing input yields nothing) and of today.
CrossRule = Callable[[Mapping[str, object], date], Iterator[Problem]]

_VOLTAGES = ("minimum_voltage", "nominal_voltage", "maximum_voltage")
_CARBON_FOOTPRINT_STAGES = (
    "carbon_footprint_raw_material_share",
    "carbon_footprint_production_share",
    "carbon_footprint_distribution_share",
    "carbon_footprint_end_of_life_share",
)
_RECYCLED_METALS = ("nickel", "cobalt", "lithium", "lead")


def _number(value: object) -> float:
    """The number of an already valid quantity: bare, or ``{"value": n, "unit": u}``."""
    if isinstance(value, Mapping):
        value = value["value"]
    assert isinstance(value, int | float)
    return float(value)


def _date_parts(value: object) -> tuple[int, ...]:
    """(year, month) or (year, month, day) of an already valid date, keeping its precision."""
    match = _DATE.match(str(value))
    assert match is not None
    return tuple(int(part) for part in match.groups() if part is not None)


def _not_after(earlier: tuple[int, ...], later: tuple[int, ...]) -> bool:
    """Compare at the coarser precision: 2027-03-20 is not after 2027-03."""
    n = min(len(earlier), len(later))
    return earlier[:n] <= later[:n]


def _voltage_order(values: Mapping[str, object], today: date) -> Iterator[Problem]:
    """Annex XIII 1(h): minimum <= nominal <= maximum voltage; one problem naming the out-of-order pair."""
    present = [(key, _number(values[key])) for key in _VOLTAGES if key in values]
    for (low_key, low), (high_key, high) in itertools.pairwise(present):
        if low > high:
            yield Problem(
                low_key,
                "voltage_order",
                f"{low_key}: {low} V is above {high_key} {high} V (minimum <= nominal <= maximum)",
            )
            return


def _idle_temperature_range(values: Mapping[str, object], today: date) -> Iterator[Problem]:
    """Annex XIII 1(l): the idle temperature range's lower boundary is not above its upper boundary."""
    low_key, high_key = "idle_temperature_lower_boundary", "idle_temperature_upper_boundary"
    if low_key in values and high_key in values:
        low, high = _number(values[low_key]), _number(values[high_key])
        if low > high:
            yield Problem(
                low_key,
                "temperature_range_order",
                f"{low_key}: {low} °C is above {high_key} {high} °C",
            )


def _carbon_footprint_stages(values: Mapping[str, object], today: date) -> Iterator[Problem]:
    """Art. 7(1)(e), Annex II: the life-cycle stage shares of the declared total add up to 100 %."""
    if all(key in values for key in _CARBON_FOOTPRINT_STAGES):
        total = sum(_number(values[key]) for key in _CARBON_FOOTPRINT_STAGES)
        if abs(total - 100) > CARBON_FOOTPRINT_STAGE_TOLERANCE:
            key = _CARBON_FOOTPRINT_STAGES[0]
            yield Problem(
                key,
                "carbon_footprint_stages_sum",
                f"{key}: the stage shares {', '.join(_CARBON_FOOTPRINT_STAGES)} add up to {total} %, "
                f"not 100 % (tolerance {CARBON_FOOTPRINT_STAGE_TOLERANCE} points)",
            )


# Rated capacity is the declared minimum (IEC 62660-1), and new cells routinely measure a few per cent above
# it, so only a remaining capacity clearly above the rated one is reported: that points to a unit mix-up
# (kWh given for Ah, a known Battery Pass 1.2 pitfall) or a wrong rating rather than to a good battery.
REMAINING_CAPACITY_HEADROOM = 1.10


def _remaining_capacity(values: Mapping[str, object], today: date) -> Iterator[Problem]:
    """Annex VII Part A(1): the remaining capacity (Ah) is not clearly above the rated capacity (Ah).
    capacity_fade is a model-level Annex IV value, not the item's fade, so it is not compared here."""
    if "remaining_capacity" in values and "rated_capacity" in values:
        remaining, rated = _number(values["remaining_capacity"]), _number(values["rated_capacity"])
        if remaining > rated * REMAINING_CAPACITY_HEADROOM:
            yield Problem(
                "remaining_capacity",
                "remaining_above_rated_capacity",
                f"remaining_capacity: {remaining} Ah is more than {REMAINING_CAPACITY_HEADROOM:.0%} of "
                f"rated_capacity {rated} Ah (a unit mix-up?)",
            )


def _recycled_content(values: Mapping[str, object], today: date) -> Iterator[Problem]:
    """Art. 8(1): pre- and post-consumer recycled shares of one metal together are at most 100 %
    (each alone is already a 0-100 percentage)."""
    for metal in _RECYCLED_METALS:
        pre, post = f"pre_consumer_recycled_{metal}_share", f"post_consumer_recycled_{metal}_share"
        if pre in values and post in values:
            total = _number(values[pre]) + _number(values[post])
            if total > 100 + 1e-9:
                yield Problem(
                    pre,
                    "recycled_shares_over_100",
                    f"{pre}: together with {post} the recycled {metal} shares add up to {total} %",
                )


def _manufacture_before_service(values: Mapping[str, object], today: date) -> Iterator[Problem]:
    """Annex VI Part A(4), VII Part B(1): a battery is not put into service before it is manufactured."""
    made, service = "manufacturing_date", "putting_into_service_date"
    if (
        made in values
        and service in values
        and not _not_after(_date_parts(values[made]), _date_parts(values[service]))
    ):
        yield Problem(
            made, "manufacture_after_service", f"{made}: {values[made]} is after {service} {values[service]}"
        )


def _dates_not_in_future(values: Mapping[str, object], today: date) -> Iterator[Problem]:
    """Manufacturing and putting into service are past events: neither date lies after today."""
    now = (today.year, today.month, today.day)
    for key in ("manufacturing_date", "putting_into_service_date"):
        if key in values and not _not_after(_date_parts(values[key]), now):
            yield Problem(key, "date_in_future", f"{key}: {values[key]} is after today {today.isoformat()}")


_KNOWN = frozenset(a.key for a in ATTRIBUTES)

CROSS_RULES: tuple[CrossRule, ...] = (
    _voltage_order,
    _idle_temperature_range,
    _carbon_footprint_stages,
    _remaining_capacity,
    _recycled_content,
    _manufacture_before_service,
    _dates_not_in_future,
)


def validate_passport(
    values: Mapping[str, object], category: BatteryCategory, *, today: date | None = None
) -> list[Problem]:
    """All problems of a flat passport (attribute key -> value) for a battery of ``category``; the rules
    spanning several attributes (CROSS_RULES) run on the values that passed their own checks.
    ``today`` (default: the system date) bounds manufacturing and putting-into-service dates."""
    problems = value_problems(values, category)
    problems.extend(missing_mandatory(values, category))
    problems.extend(cross_problems(values, problems, today))
    return problems


def value_problems(values: Mapping[str, object], category: BatteryCategory) -> list[Problem]:
    """Per-value problems: unknown keys, attributes not applicable to ``category``, values breaking their
    attribute's rules, a battery_category other than ``category``."""
    problems: list[Problem] = []
    for key, value in values.items():
        if key not in _KNOWN:
            problems.append(Problem(key, "unknown_attribute", f"{key}: not an attribute of the catalogue"))
            continue
        if attribute(key).requirement(category) is Requirement.NOT_APPLICABLE:
            problems.append(
                Problem(key, "not_applicable", f"{key}: does not apply to {category.value} batteries")
            )
            continue
        try:
            check_value(key, value)
        except InvalidInput as exc:
            problems.append(_problem(key, exc))
    if values.get("battery_category", category.value) != category.value:
        problems.append(
            Problem(
                "battery_category",
                "category_mismatch",
                f"battery_category: passport validated as {category.value}",
            )
        )
    return problems


def missing_mandatory(values: Mapping[str, object], category: BatteryCategory) -> list[Problem]:
    return [
        Problem(a.key, "missing_mandatory", f"{a.key}: mandatory for {category.value} batteries ({a.annex})")
        for a in mandatory_for(category)
        if a.key not in values
    ]


def cross_problems(
    values: Mapping[str, object], known: Sequence[Problem], today: date | None = None
) -> list[Problem]:
    """The CROSS_RULES over the values not already named in ``known`` problems."""
    flagged = {p.key for p in known}
    valid = {key: value for key, value in values.items() if key not in flagged}
    reference = today if today is not None else date.today()
    return [problem for rule in CROSS_RULES for problem in rule(valid, reference)]
