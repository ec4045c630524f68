"""The EU battery carbon-footprint metric (Reg. (EU) 2023/1542 Art. 7, Annex II; notes §5; issue 6 item 3).

    CF [kg CO2e/kWh] = (E_raw + E_production + E_distribution + E_end_of_life) / E_total
    E_total [kWh]    = capacity × full cycles × depth of discharge            (declared cycle life), or
                     = E_d × FEqC_year × Y_service                             (draft delegated act §5.2)

Everything the delegated act may still change is configuration: the cycles per year by vehicle category
(draft Ares(2024)3131389 values as reported by secondary sources, **[verify]**) and the performance-class
bounds, which the act has not published — ``ILLUSTRATIVE_CLASS_BOUNDS`` are placeholders for demos only.
The passport values are floats because battrace.passport.checks reads JSON numbers.
Pure module: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from battrace.apps.pcf.model import CONTEXT, STAGES, Footprint, Stage
from battrace.errors import InvalidInput

# full equivalent cycles per year by vehicle category, draft DA (notes §5.2, [verify] against the adopted act)
DRAFT_DA_CYCLES_PER_YEAR: Mapping[str, int] = MappingProxyType(
    {"M1": 60, "N1": 60, "L": 20, "M2": 250, "M3": 250, "N2": 250, "N3": 250}
)
# (class, upper bound in kg CO2e/kWh inclusive; None = open-ended). Placeholders: the act defines the classes.
ILLUSTRATIVE_CLASS_BOUNDS: tuple[tuple[str, Decimal | None], ...] = (
    ("A", Decimal("0.05")),
    ("B", Decimal("0.08")),
    ("C", Decimal("0.12")),
    ("D", Decimal("0.2")),
    ("E", None),
)
# passport attribute per stage (battrace.passport.attributes, Annex XIII 1(c) -> Art. 7(1)(e))
PASSPORT_SHARE_KEYS: Mapping[Stage, str] = MappingProxyType(
    {
        Stage.RAW_MATERIAL: "carbon_footprint_raw_material_share",
        Stage.PRODUCTION: "carbon_footprint_production_share",
        Stage.DISTRIBUTION: "carbon_footprint_distribution_share",
        Stage.END_OF_LIFE: "carbon_footprint_end_of_life_share",
    }
)
_PER_KWH_PLACES = Decimal("0.0001")
_SHARE_PLACES = Decimal("0.01")
_TONNE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class MetricConfig:
    class_bounds: tuple[tuple[str, Decimal | None], ...] = ILLUSTRATIVE_CLASS_BOUNDS
    cycles_per_year: Mapping[str, int] = field(default_factory=lambda: DRAFT_DA_CYCLES_PER_YEAR)

    def __post_init__(self) -> None:
        bounds = [upper for _, upper in self.class_bounds]
        if not bounds or any(upper is None for upper in bounds[:-1]):
            raise InvalidInput("class bounds: at least one class, and only the last may be open-ended")
        closed = [upper for upper in bounds if upper is not None]
        if closed != sorted(set(closed)):
            raise InvalidInput("class bounds must increase strictly from the best class to the worst")


def lifetime_energy_from_cycles(
    capacity_kwh: Decimal, cycles: Decimal, depth_of_discharge: Decimal
) -> Decimal:
    """Total energy over service life from a declared cycle life: capacity × cycles × depth of discharge."""
    _positive("capacity", capacity_kwh)
    _positive("cycles", cycles)
    if not 0 < depth_of_discharge <= 1:
        raise InvalidInput(f"depth of discharge is a fraction in (0, 1], got {depth_of_discharge}")
    return CONTEXT.multiply(CONTEXT.multiply(capacity_kwh, cycles), depth_of_discharge)


def lifetime_energy_from_service_life(
    usable_energy_kwh: Decimal,
    service_years: Decimal,
    vehicle_category: str,
    config: MetricConfig | None = None,
) -> Decimal:
    """E_total = E_d × FEqC_year × Y_service, FEqC_year from the configured defaults per vehicle category."""
    table = (config or MetricConfig()).cycles_per_year
    if vehicle_category not in table:
        raise InvalidInput(
            f"no default cycles per year for vehicle category {vehicle_category!r}: {sorted(table)}"
        )
    _positive("usable energy", usable_energy_kwh)
    _positive("service years", service_years)
    return CONTEXT.multiply(
        CONTEXT.multiply(usable_energy_kwh, Decimal(table[vehicle_category])), service_years
    )


@dataclass(frozen=True)
class BatteryMetric:
    per_kwh: Decimal  # kg CO2e per kWh of total energy over service life
    shares: dict[Stage, Decimal]  # % of the declared total
    performance_class: str
    absolute_t: Decimal  # t CO2e per battery

    def passport_values(self) -> dict[str, object]:
        """The flat passport carbon-footprint values, keyed as battrace.passport.attributes."""
        values: dict[str, object] = {
            "carbon_footprint_per_functional_unit": float(self.per_kwh),
            "carbon_footprint_performance_class": self.performance_class,
            "absolute_carbon_footprint": float(self.absolute_t),
        }
        values.update({PASSPORT_SHARE_KEYS[stage]: float(share) for stage, share in self.shares.items()})
        return values


def battery_metric(
    footprint: Footprint, lifetime_energy_kwh: Decimal, config: MetricConfig | None = None
) -> BatteryMetric:
    """The Art. 7 figures of one battery from its footprint per piece and its lifetime energy."""
    if footprint.declared_unit != "piece":
        raise InvalidInput(
            f"the battery footprint must be per piece (one battery), not {footprint.declared_unit}"
        )
    if footprint.stages is None:
        raise InvalidInput("Art. 7(1)(e) needs the life-cycle stage split; an input's stages are unknown")
    _positive("lifetime energy", lifetime_energy_kwh)
    if footprint.total <= 0:
        raise InvalidInput(f"the battery's total footprint must be positive, got {footprint.total} kg CO2e")
    negative = [stage.value for stage in STAGES if footprint.stages[stage] < 0]
    if negative:
        # the passport's stage attributes are percentages in 0-100 (battrace.passport.checks)
        raise InvalidInput(f"stages {negative} are negative (credits); a 0-100 % share cannot carry them")
    per_kwh = CONTEXT.divide(footprint.total, lifetime_energy_kwh).quantize(_PER_KWH_PLACES, context=CONTEXT)
    return BatteryMetric(
        per_kwh=per_kwh,
        shares=_shares(footprint),
        performance_class=_performance_class(per_kwh, config or MetricConfig()),
        absolute_t=CONTEXT.divide(footprint.total, Decimal(1000)).quantize(_TONNE_PLACES, context=CONTEXT),
    )


def _shares(footprint: Footprint) -> dict[Stage, Decimal]:
    assert footprint.stages is not None
    return {
        stage: CONTEXT.divide(
            CONTEXT.multiply(Decimal(100), footprint.stages[stage]), footprint.total
        ).quantize(_SHARE_PLACES, context=CONTEXT)
        for stage in STAGES
    }


def _performance_class(per_kwh: Decimal, config: MetricConfig) -> str:
    for label, upper in config.class_bounds:
        if upper is None or per_kwh <= upper:
            return label
    raise InvalidInput(f"{per_kwh} kg CO2e/kWh is above every configured class bound")


def _positive(name: str, value: Decimal) -> None:
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{name} must be a positive number, got {value}")
