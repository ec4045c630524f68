"""LCA-CO2 app: product carbon footprints computed per node and rolled up confidentially (issue 6).

The surface a PACT, Catena-X or Ouranos adapter builds on:

* ``own_emissions(activities, factors)`` — activity data × emission factors per Annex II stage;
  ``load_factors(path)`` for a user's CSV factor set, ``shipped_factors()`` for the open ones;
* ``rollup(...)`` — own emissions + Σ amount × supplier total, DQR weighted by emissions (Ouranos over all
  contributions, PACT over those above 5 %), primary-data share, input digests → ``Footprint``;
* ``rollup_bom(parts, ...)`` — the same over a company's own multi-level BOM in one pass;
* ``disclose(footprint, granularity)`` → ``Disclosure``, the only thing that leaves the company;
  ``parse_disclosure`` reads one received from a supplier; ``sign_footprint`` signs a result's provenance;
* ``battery_metric(footprint, lifetime_energy)`` — kg CO2e/kWh, stage shares, performance class, and the
  flat passport values.

All values are kg CO2e per one declared unit, as ``decimal.Decimal`` (see ``model``).
"""

from battrace.apps.pcf.activity import Activity, ElectricityModel, OwnEmissions, own_emissions
from battrace.apps.pcf.battery_metric import (
    DRAFT_DA_CYCLES_PER_YEAR,
    ILLUSTRATIVE_CLASS_BOUNDS,
    BatteryMetric,
    MetricConfig,
    battery_metric,
    lifetime_energy_from_cycles,
    lifetime_energy_from_service_life,
)
from battrace.apps.pcf.bom import Part, rollup_bom
from battrace.apps.pcf.disclosure import canonical_json, digest, disclose, parse_disclosure, sign_footprint
from battrace.apps.pcf.factors import (
    EmissionFactor,
    FactorSet,
    example_factors,
    load_factors,
    parse_factors,
    shipped_factors,
)
from battrace.apps.pcf.model import (
    DQR,
    STAGES,
    DeclaredUnit,
    Disclosure,
    FactorSource,
    Footprint,
    Granularity,
    Stage,
)
from battrace.apps.pcf.rollup import SupplierInput, rollup

__all__ = [
    "DQR",
    "DRAFT_DA_CYCLES_PER_YEAR",
    "ILLUSTRATIVE_CLASS_BOUNDS",
    "STAGES",
    "Activity",
    "BatteryMetric",
    "DeclaredUnit",
    "Disclosure",
    "ElectricityModel",
    "EmissionFactor",
    "FactorSet",
    "FactorSource",
    "Footprint",
    "Granularity",
    "MetricConfig",
    "OwnEmissions",
    "Part",
    "Stage",
    "SupplierInput",
    "battery_metric",
    "canonical_json",
    "digest",
    "disclose",
    "example_factors",
    "lifetime_energy_from_cycles",
    "lifetime_energy_from_service_life",
    "load_factors",
    "own_emissions",
    "parse_disclosure",
    "parse_factors",
    "rollup",
    "rollup_bom",
    "shipped_factors",
    "sign_footprint",
]
