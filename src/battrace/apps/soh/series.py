"""What a battery management system (BMS) or on-board diagnostics (OBD) export says about a fleet, held as
columns: one row per battery, one column per reading, NaN where a battery has fewer readings or a field was
not reported. Every estimator in this package works on these arrays, so one battery and 100 000 batteries take
the same code path.

The fields are the Annex VII quantities of Regulation (EU) 2023/1542 (shared/research/battery-passport.md
§2.7) plus what a BMS reports beside them (fast charges, storage conditions after first life). Each field has
one unit, the passport catalogue's where the passport has the attribute; files state units and a different
one is refused, never converted (the rule of battrace.passport.checks.check_unit).
Pure module: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from battrace.errors import InvalidInput
from battrace.passport.attributes import BatteryCategory

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.intp]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Field:
    name: str
    unit: str
    counter: bool  # cumulative since first use: may never decrease (Annex VII Part B counts and throughputs)
    required: bool = False
    upper: float | None = None  # largest physically possible value, where there is one
    signed: bool = False


# Order is the CSV column order the fleet generator writes.
FIELDS: tuple[Field, ...] = (
    Field("capacity", "Ah", counter=False, required=True),  # Annex VII A(1) remaining capacity
    Field("resistance", "Ω", counter=False),  # Annex VII A(5) ohmic resistance (pack)
    Field("power_capability", "W", counter=False),  # Annex VII A(2)
    Field("usable_energy", "kWh", counter=False),  # measured usable energy, the SOCE numerator (UN GTR 22)
    Field("soh", "%", counter=False, upper=100.0),  # the BMS's own state of health, cross-checked
    Field("self_discharge_rate", "%/month", counter=False, upper=100.0),  # Annex VII A(4)
    Field("capacity_throughput", "Ah", counter=True, required=True),  # Annex VII B(3), discharged Ah
    Field("energy_charged", "kWh", counter=True),
    Field("energy_discharged", "kWh", counter=True),  # Annex VII B(2) energy throughput
    Field("full_cycles", "cycles", counter=True),  # Annex VII B(5)
    Field("fast_charges", "count", counter=True),
    Field("deep_discharges", "count", counter=True),  # Annex VII B(4) negative events
    Field("time_above_temperature", "min", counter=True),  # Annex VII B(4)
    Field("time_below_temperature", "min", counter=True),
    Field("charging_time_above_temperature", "min", counter=True),
    Field("charging_time_below_temperature", "min", counter=True),
    Field("storage_temperature", "°C", counter=False, signed=True),  # after first life, while stored
    Field("storage_soc", "%", counter=False, upper=100.0),
)
FIELD_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}


@dataclass(frozen=True)
class Nameplate:
    """The static passport values the estimators need (Annex XIII 1(g)-(k), 1(o), Annex IV)."""

    category: BatteryCategory
    rated_capacity_ah: float
    nominal_voltage_v: float
    capacity_threshold_for_exhaustion: float = 80.0  # % of rated capacity; Annex XIII 1(k)
    initial_internal_resistance_ohm: float | None = None
    original_power_capability_w: float | None = None
    certified_usable_energy_kwh: float | None = None
    initial_self_discharge_rate: float | None = None  # %/month
    service_start: date | None = None  # putting into service (Annex VII B(1)); else the first reading

    def __post_init__(self) -> None:
        for name in ("rated_capacity_ah", "nominal_voltage_v"):
            if not getattr(self, name) > 0:
                raise InvalidInput(f"nameplate {name} must be positive", reason="nameplate", field=name)
        # Annex XIII 1(k) gives the exhaustion threshold per model; 50-95 % spans every published value.
        if not 50.0 <= self.capacity_threshold_for_exhaustion <= 95.0:
            raise InvalidInput(
                "capacity_threshold_for_exhaustion must lie in 50-95 %",
                reason="nameplate",
                field="capacity_threshold_for_exhaustion",
            )


def _quantity(values: Mapping[str, object], key: str) -> float | None:
    value = values.get(key)
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def nameplate_from_passport(values: Mapping[str, object]) -> Nameplate:
    """A Nameplate from a flat passport (attribute key -> value, as battrace.passport stores it)."""
    rated, voltage = _quantity(values, "rated_capacity"), _quantity(values, "nominal_voltage")
    if rated is None or voltage is None:
        raise InvalidInput(
            "the passport lacks rated_capacity or nominal_voltage, which the state of health needs",
            reason="nameplate",
        )
    start = values.get("putting_into_service_date") or values.get("manufacturing_date")
    try:
        category = BatteryCategory(str(values.get("battery_category", "ev")))
        # DIN DKE SPEC 99100 dates are YYYY-MM (read as the first of the month) or YYYY-MM-DD.
        service_start = date.fromisoformat(f"{start}-01"[:10]) if isinstance(start, str) else None
    except ValueError as exc:
        raise InvalidInput(
            f"the passport's category or service date is not valid: {exc}", reason="nameplate"
        ) from None
    return Nameplate(
        category=category,
        rated_capacity_ah=rated,
        nominal_voltage_v=voltage,
        capacity_threshold_for_exhaustion=_quantity(values, "capacity_threshold_for_exhaustion") or 80.0,
        initial_internal_resistance_ohm=_quantity(values, "initial_internal_resistance"),
        original_power_capability_w=_quantity(values, "original_power_capability"),
        certified_usable_energy_kwh=_quantity(values, "certified_usable_energy"),
        initial_self_discharge_rate=_quantity(values, "initial_self_discharge_rate"),
        service_start=service_start,
    )


@dataclass(frozen=True, eq=False)
class Readings:
    """B batteries x T readings. ``days`` is days since 1970-01-01 UTC; a battery with fewer than T readings
    has NaN in its trailing columns. ``columns`` maps a FIELDS name to its (B, T) array."""

    battery_ids: tuple[str, ...]
    nameplates: tuple[Nameplate, ...]
    days: FloatArray
    columns: Mapping[str, FloatArray]
    # Derived arrays are asked for many times per assessment; the readings never change, so each is computed
    # once (init=False: dataclasses.replace starts a fresh cache).
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def _cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def valid(self) -> BoolArray:
        """Where a reading exists (its time and capacity are known)."""
        found: BoolArray = self._cached(
            "valid", lambda: ~np.isnan(self.days) & ~np.isnan(self.columns["capacity"])
        )
        return found

    def column(self, name: str) -> FloatArray:
        """A field's (B, T) array; all NaN when no battery reported it."""
        found = self.columns.get(name)
        return found if found is not None else np.full(self.days.shape, np.nan)

    def per_battery(self, attribute: str) -> FloatArray:
        """A nameplate number per battery, NaN where unknown."""
        found: FloatArray = self._cached(
            f"plate:{attribute}",
            lambda: np.array([_or_nan(getattr(n, attribute)) for n in self.nameplates], dtype=np.float64),
        )
        return found

    def service_start_days(self) -> FloatArray:
        """Days since epoch of putting into service: the nameplate's date, else the first reading."""
        first = np.nanmin(self.days, axis=1)
        stated = np.array(
            [np.nan if n.service_start is None else _epoch_days(n.service_start) for n in self.nameplates]
        )
        return np.where(np.isnan(stated), first, stated)

    def years_in_service(self) -> FloatArray:
        found: FloatArray = self._cached(
            "years", lambda: np.asarray((self.days - self.service_start_days()[:, None]) / DAYS_PER_YEAR)
        )
        return found

    def last_index(self) -> npt.NDArray[np.intp]:
        """Column of each battery's latest reading."""
        found: npt.NDArray[np.intp] = self._cached(
            "last", lambda: np.asarray(self.valid.shape[1] - 1 - np.argmax(self.valid[:, ::-1], axis=1))
        )
        return found


def _or_nan(value: object) -> float:
    return float(value) if isinstance(value, int | float) else np.nan


def _epoch_days(day: date) -> float:
    return (datetime(day.year, day.month, day.day, tzinfo=UTC) - EPOCH).total_seconds() / 86400.0


def to_datetime(days: float) -> datetime:
    """An epoch-day number back to an aware datetime (UTC), to the second."""
    return EPOCH + timedelta(seconds=round(days * 86400.0))


def to_days(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds() / 86400.0


def last_values(readings: Readings, name: str) -> FloatArray:
    """Each battery's value of ``name`` at its latest reading."""
    index = readings.last_index()
    return np.asarray(readings.column(name)[np.arange(index.size), index])
