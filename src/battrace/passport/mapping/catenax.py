"""Mapping between our flat Annex XIII attributes and the Catena-X battery passport aspect
``urn:samm:io.catenax.battery.battery_pass:6.1.0`` (eclipse-tractusx/sldt-semantic-models, CC BY 4.0).

Only attributes with an exact counterpart are mapped (see ``MAPPING``); paths were derived from the
aspect's generated JSON schema. Shapes (notes shared/research/battery-passport.md §4.2, §4.4):

* dynamic values (``performance.dynamic``) are ``{value, time}``; ours are
  ``{"value", "unit", "measured_at"}`` (the shape of :class:`battrace.passport.lifecycle.DynamicValue`):
  export needs ``measured_at``;
* documents are lists of ``{contentType, header, content}``; ours are one web link (a list of links for
  ``third_party_assurances``). We emit ``contentType`` "URL" with the catalogue name of the attribute as
  header; an import takes the links, and flags a list of several documents where we hold one;
* the rated internal resistance is the pack's (ours is one value, Annex XIII 1(o)).

Not mapped, no exact counterpart: recycled content (one ``recycled`` share per element, no pre/post-consumer
split, Art. 8(1)); carbon footprint stages (``lifecycle`` is free text, with no defined total entry);
organisations and places (BPNL/BPNA only); warranty (``{lifeValue, lifeUnit}`` with cycles and hours);
materials (no share of the battery); events and temperatures (documents only); ``rated.power`` (the DIN's
maximum permitted power is only "closest").

Import never drops a value silently: a value that is schema-valid but semantically wrong (e.g. a date such
as "7172-75-08", or a battery category that needs no passport) is reported in ``ImportResult.flags`` with
its Catena-X path and not imported; leaves we do not map are listed in ``ImportResult.unmapped``.
Pure module: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from battrace.errors import InvalidInput
from battrace.passport.attributes import attribute
from battrace.passport.checks import check_date, check_value
from battrace.passport.mapping.common import Flag, ImportResult, leaves

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


def _not_representable(key: str, message: str) -> InvalidInput:
    return InvalidInput(f"{key}: {message}", reason="not_representable", attribute=key)


def _dynamic_out(key: str, value: object) -> object:
    when = value.get("measured_at") if isinstance(value, Mapping) else None
    try:
        aware = isinstance(when, str) and "T" in when and datetime.fromisoformat(when).tzinfo is not None
    except ValueError:
        aware = False
    if not aware:
        raise _not_representable(
            key,
            "Catena-X dynamic values are {value, time}: give "
            f'{{"value", "unit", "measured_at": <ISO 8601 date-time with offset>}}, got {value!r}',
        )
    return {"value": _plain(value), "time": when}


def _dynamic_in(key: str, value: object) -> object:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{key}: expected {{value, time}}, got {value!r}", reason="shape", attribute=key)
    return {"value": value.get("value"), "unit": attribute(key).unit, "measured_at": value.get("time")}


_WEB = ("https://", "http://")


def _document(key: str, link: object) -> dict[str, object]:
    if not isinstance(link, str) or not link.lower().startswith(_WEB):
        raise _not_representable(key, f"a Catena-X document here is a web link, got {link!r}")
    return {"contentType": "URL", "header": attribute(key).name[:100], "content": link}


def _documents_out(key: str, value: object) -> object:
    return [_document(key, link) for link in (value if isinstance(value, list) else [value])]


def _links_in(key: str, value: object) -> list[str]:
    links = [d.get("content") for d in value if isinstance(d, Mapping)] if isinstance(value, list) else []
    for link in links:
        if not isinstance(link, str) or not link.lower().startswith(_WEB):
            raise InvalidInput(
                f"{key}: document content {link!r} is not a web link",
                reason="document_link_not_web",
                attribute=key,
            )
    return [str(link) for link in links]


def _document_in(key: str, value: object) -> object:
    links = _links_in(key, value)
    if len(links) != 1:
        raise InvalidInput(
            f"{key}: we hold one document link, the list has {len(links)}",
            reason="document_count",
            attribute=key,
        )
    return links[0]


def _documents_in(key: str, value: object) -> object:
    return _links_in(key, value)


@dataclass(frozen=True)
class Mapped:
    key: str  # our catalogue key (battrace.passport.attributes)
    path: tuple[str, ...]  # object path in the Catena-X document
    to_cx: Converter = _same
    from_cx: Converter = _same
    required: bool = False  # the schema requires this path
    documents: bool = False  # a required document list: emitted empty when we hold no link


def _m(
    key: str, path: str, *, to_cx: Converter = _same, from_cx: Converter = _same, req: bool = True
) -> Mapped:
    return Mapped(key, tuple(path.split(".")), to_cx, from_cx, req)


def _dyn(key: str, path: str, *, req: bool = True) -> Mapped:
    return _m(key, f"performance.dynamic.{path}", to_cx=_dynamic_out, from_cx=_dynamic_in, req=req)


def _doc(key: str, path: str, *, many: bool = False) -> Mapped:
    from_cx = _documents_in if many else _document_in
    return Mapped(key, tuple(path.split(".")), _documents_out, from_cx, required=False, documents=True)


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
    _m("certified_usable_energy", "performance.rated.energy.value", req=False),  # kWh
    _m("initial_internal_resistance", "performance.rated.resistance.pack"),  # ohm
    # performance.dynamic: {value, time} pairs (the current self-discharging rate is a bare number)
    _dyn("state_of_charge", "stateOfCharge"),  # %
    _dyn("full_cycles", "fullCycles"),
    _dyn("remaining_capacity", "capacity.capacity"),  # Ah
    _dyn("capacity_fade", "capacity.fade"),  # %
    _dyn("capacity_throughput", "capacity.throughput"),  # Ah
    _dyn("remaining_usable_energy", "energy.remaining"),  # kWh
    _dyn("state_of_certified_energy", "energy.soce"),  # %
    _dyn("energy_throughput", "energy.throughput", req=False),  # kWh
    _dyn("remaining_power_capability", "power.remaining"),  # W
    _dyn("power_fade", "power.fade"),  # %
    _dyn("remaining_round_trip_efficiency", "roundTripEfficiency.remaining"),  # %
    _dyn("round_trip_efficiency_fade", "roundTripEfficiency.fade"),  # %
    _dyn("internal_resistance_increase", "resistance.increase.pack"),  # % (ours: the pack's)
    # Annex VII Part A(5) ohmic resistance; the aspect requires remaining.pack (and .cell, from base)
    _dyn("current_ohmic_resistance", "resistance.remaining.pack"),  # ohm
    _m("current_self_discharge_rate", "performance.dynamic.selfDischargingRate"),
    # documents
    _doc("eu_declaration_of_conformity", "conformity.declarationOfConformity"),
    _doc("compliance_test_reports", "conformity.resultOfTestReport"),
    _doc("third_party_assurances", "conformity.thirdPartyAssurance", many=True),
    _doc("end_user_separate_collection", "sustainability.documents.separateCollection"),
    _doc("end_user_waste_prevention", "sustainability.documents.wastePrevention"),
    _doc("safety_measures", "safety.safetyMeasures"),
    _doc("dismantling_information", "safety.dismantling"),
)  # fmt: skip

MAPPED_KEYS: frozenset[str] = frozenset(m.key for m in MAPPING)


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


def _import(m: Mapped, where: str, raw: object) -> tuple[object, Flag | None]:
    try:
        value = m.from_cx(m.key, raw)
        check_value(m.key, value)
    except InvalidInput as exc:
        return raw, Flag(where, m.key, str(exc.extra.get("reason", "invalid")), raw)
    return value, None


def from_catenax(doc: object) -> ImportResult:
    """Read the mapped attributes of a Catena-X battery_pass 6.1.0 document (assumed schema-valid).

    Values that break our semantic rules are flagged (naming the Catena-X path) and left out of ``values``;
    an empty document list is no value. Leaves we do not map are listed in ``unmapped``.
    """
    if not isinstance(doc, Mapping):
        raise InvalidInput("a Catena-X battery_pass document is a JSON object", reason="catenax_shape")
    values: dict[str, object] = {}
    flags: list[Flag] = []
    read: list[str] = []
    for m in MAPPING:
        raw = _get(doc, m.path)
        if raw is _MISSING or (m.documents and raw == []):
            continue
        where = ".".join(m.path)
        read.append(where)
        value, flag = _import(m, where, raw)
        if flag is not None:
            flags.append(flag)
        else:
            values[m.key] = value
    prefixes = tuple(p + tail for p in read for tail in (".", "["))
    unmapped = tuple(leaf for leaf in leaves(doc, "") if leaf not in read and not leaf.startswith(prefixes))
    return ImportResult(ASPECT_MODEL, values, tuple(flags), unmapped)


def to_catenax(
    values: Mapping[str, object], *, base: Mapping[str, object] | None = None
) -> dict[str, object]:
    """A Catena-X battery_pass 6.1.0 document holding the mapped attributes of ``values``.

    The aspect requires many fields we do not hold (metadata version/dates, BPNL identifiers, DMC,
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
            if m.documents:
                _set(doc, m.path, [])  # the schema requires the list; we hold no document for it
            continue
        value = values[m.key]
        check_value(m.key, value)
        _set(doc, m.path, m.to_cx(m.key, value))
    return doc
