"""Mapping between our flat Annex XIII attributes and the Catena-X battery passport aspect
``urn:samm:io.catenax.battery.battery_pass:6.1.0`` (eclipse-tractusx/sldt-semantic-models, CC BY 4.0).

Only attributes with an exact counterpart are mapped (see ``MAPPING``); paths were derived from the
aspect's generated JSON schema. Not mapped (yet): recycled-content shares (Catena-X has one share per
element, no pre/post-consumer split), carbon footprint stages (free-text ``lifecycle``), documents,
organisations (BPNL/BPNA only) and dynamic values (Catena-X ``{value, time}`` needs a timestamp we do not
keep in the flat representation).

Import never drops a value silently: a value that is schema-valid but semantically wrong (e.g. a date such
as "7172-75-08", or a battery category that needs no passport) is reported in ``ImportResult.flags`` with
its Catena-X path and not imported. Pure module: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from battrace.errors import InvalidInput
from battrace.passport.checks import Problem, check_date, check_value

ASPECT_MODEL = "urn:samm:io.catenax.battery.battery_pass:6.1.0"

Converter = Callable[[str, object], object]

# Our battery categories (Art. 77(1)) <-> Catena-X CategoryEnumeration. Catena-X has no separate value for
# stationary battery energy storage systems; SLI/portable/incorporated batteries need no passport.
_CATEGORY_OUT = {"ev": "EV", "lmt": "LMT", "industrial": "industrial"}
_CATEGORY_IN = {v: k for k, v in _CATEGORY_OUT.items()}

# Catena-X MassUnitEnumeration (io.catenax.shared.quantity:2.0.0) -> factor to kilograms (exact ones only).
_MASS_TO_KG = {"unit:gram": 0.001, "unit:kilogram": 1.0, "unit:tonneMetricTon": 1000.0}


def _plain(value: object) -> object:
    """A quantity given as ``{value, unit}`` in the catalogue unit -> its number (check_value ran before)."""
    if isinstance(value, Mapping):
        return value.get("value")
    return value


def _same(key: str, value: object) -> object:
    return _plain(value)


def _date_in(key: str, value: object) -> object:
    check_date(key, value)
    return value


def _date_out(key: str, value: object) -> object:
    if not isinstance(value, str) or len(value) != 10:
        # Catena-X dates are YYYY-MM-DD; a YYYY-MM month cannot be represented without inventing a day.
        raise InvalidInput(
            f"{key}: Catena-X needs a full date YYYY-MM-DD, got {value!r}",
            reason="not_representable",
            attribute=key,
        )
    return value


def _category_out(key: str, value: object) -> object:
    found = _CATEGORY_OUT.get(str(value))
    if found is None:
        raise InvalidInput(
            f"{key}: battery category {value!r} has no Catena-X battery_pass 6.1.0 counterpart",
            reason="not_representable",
            attribute=key,
        )
    return found


def _category_in(key: str, value: object) -> object:
    found = _CATEGORY_IN.get(str(value))
    if found is None:
        raise InvalidInput(
            f"{key}: Catena-X category {value!r} is not a battery category needing a passport (Art. 77(1))",
            reason="choice",
            attribute=key,
        )
    return found


def _mass_out(key: str, value: object) -> object:
    return {"value": _plain(value), "unit": "unit:kilogram"}


def _mass_in(key: str, value: object) -> object:
    if not isinstance(value, Mapping) or value.get("unit") not in _MASS_TO_KG:
        raise InvalidInput(f"{key}: unsupported mass {value!r}", reason="unit", attribute=key)
    number = value.get("value")
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise InvalidInput(
            f"{key}: mass value is not a number: {number!r}", reason="kind_number", attribute=key
        )
    factor = _MASS_TO_KG[str(value["unit"])]
    return number if factor == 1.0 else round(number * factor, 12)


@dataclass(frozen=True)
class Mapped:
    key: str  # our catalogue key (battrace.passport.attributes)
    path: tuple[str, ...]  # object path in the Catena-X document
    to_cx: Converter = _same
    from_cx: Converter = _same
    required: bool = False  # the schema requires this path


def _m(
    key: str, path: str, *, to_cx: Converter = _same, from_cx: Converter = _same, req: bool = True
) -> Mapped:
    return Mapped(key, tuple(path.split(".")), to_cx, from_cx, req)


MAPPING: tuple[Mapped, ...] = (
    _m("battery_passport_identifier", "metadata.passportIdentifier"),
    _m("battery_category", "identification.category", to_cx=_category_out, from_cx=_category_in),
    _m("battery_chemistry", "identification.chemistry"),
    _m("manufacturing_date", "operation.manufacturer.manufacturingDate", to_cx=_date_out, from_cx=_date_in,
       req=False),
    _m("putting_into_service_date", "operation.intoServiceDate", to_cx=_date_out, from_cx=_date_in,
       req=False),
    _m("battery_mass", "characteristics.physicalDimension.weight", to_cx=_mass_out, from_cx=_mass_in),
    _m("battery_status", "sustainability.status"),  # same literals incl. "re-used"
    _m("rated_capacity", "performance.rated.capacity.value"),  # Ah
    _m("capacity_threshold_for_exhaustion", "performance.rated.capacity.thresholdExhaustion"),  # %
    _m("minimum_voltage", "performance.rated.voltage.min"),  # V
    _m("maximum_voltage", "performance.rated.voltage.max"),
    _m("nominal_voltage", "performance.rated.voltage.nominal"),
    _m("initial_round_trip_efficiency", "performance.rated.roundTripEfficiency.initial"),  # %
    _m("round_trip_efficiency_at_half_cycle_life", "performance.rated.roundTripEfficiency.50PercentLife"),
    _m("initial_self_discharge_rate", "performance.rated.selfDischargingRate"),  # % per month
    _m("idle_temperature_lower_boundary", "performance.rated.temperature.lower"),  # degC
    _m("idle_temperature_upper_boundary", "performance.rated.temperature.upper"),
    _m("expected_lifetime_years", "performance.rated.lifetime.expectedYears"),
    _m("expected_lifetime_cycles", "performance.rated.lifetime.cycleLifeTesting.cycles"),
)  # fmt: skip

MAPPED_KEYS: frozenset[str] = frozenset(m.key for m in MAPPING)


@dataclass
class ImportResult:
    values: dict[str, object] = field(default_factory=dict)
    flags: list[Problem] = field(default_factory=list)


_MISSING = object()


def _get(doc: Mapping[str, object], path: tuple[str, ...]) -> object:
    node: object = doc
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _set(doc: dict[str, object], path: tuple[str, ...], value: object) -> None:
    node = doc
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value


def _delete(doc: dict[str, object], path: tuple[str, ...]) -> None:
    node: object = doc
    for part in path[:-1]:
        if not isinstance(node, dict):
            return
        node = node.get(part)
    if isinstance(node, dict):
        node.pop(path[-1], None)


def from_catenax(doc: Mapping[str, object]) -> ImportResult:
    """Read the mapped attributes of a Catena-X battery_pass 6.1.0 document (assumed schema-valid).

    Values that break our semantic rules are flagged (naming the Catena-X path) and left out of ``values``.
    """
    result = ImportResult()
    for m in MAPPING:
        raw = _get(doc, m.path)
        if raw is _MISSING:
            continue
        where = ".".join(m.path)
        try:
            value = m.from_cx(m.key, raw)
            check_value(m.key, value)
        except InvalidInput as exc:
            rule = str(exc.extra.get("reason", "invalid"))
            result.flags.append(Problem(m.key, rule, f"{where} = {raw!r}: {exc.detail}"))
            continue
        result.values[m.key] = value
    return result


def to_catenax(
    values: Mapping[str, object], *, base: Mapping[str, object] | None = None
) -> dict[str, object]:
    """A Catena-X battery_pass 6.1.0 document holding the mapped attributes of ``values``.

    The aspect requires many fields we do not hold (metadata version/dates, BPNL identifiers, DMC, documents,
    materials...). They come from ``base``, an existing Catena-X document (e.g. the one imported); every path
    we map is cleared from ``base`` first, so only our values are emitted there. Raises InvalidInput (naming
    the attributes) when a value fails our rules, cannot be represented, or a schema-required attribute is
    missing.
    """
    if base is None:
        raise InvalidInput(
            "Catena-X battery_pass 6.1.0 requires fields we do not hold (metadata, identification.idDmc, "
            "BPNL/BPNA identifiers, documents, materials); pass them as base",
            reason="missing_envelope",
        )
    missing = sorted(m.key for m in MAPPING if m.required and m.key not in values)
    if missing:
        raise InvalidInput(
            f"attributes required by {ASPECT_MODEL} are missing: {', '.join(missing)}",
            reason="missing_required",
            attributes=missing,
        )
    doc: dict[str, object] = copy.deepcopy(dict(base))
    for m in MAPPING:
        _delete(doc, m.path)
    for m in MAPPING:
        if m.key not in values:
            continue
        value = values[m.key]
        check_value(m.key, value)
        _set(doc, m.path, m.to_cx(m.key, value))
    return doc
