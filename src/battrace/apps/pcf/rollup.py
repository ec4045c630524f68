"""Confidential roll-up (issue 6 item 2; notes §4.3 Ouranos and §8).

    PCF_n = E_own,n + Σ_i q_i · PCF_i                       kg CO2e per declared unit of n
    DQR_x = Σ_j |e_j| · DQR_x,j / Σ_j |e_j|        x ∈ TeR, GeR, TiR; Ouranos: all j, PACT: e_j/PCF_n > 5 %
    PDS_n = 100 · (E_own,n^primary + Σ_i q_i · PCF_i · PDS_i / 100) / PCF_n

j runs over the own emissions (one contribution, rated ``own_dqr``) and each input. Ouranos weights by the
emission itself; here the weight is its absolute value, which is the same for the non-negative values Ouranos
allows and keeps the rating inside the 1-5 scale when an end-of-life credit is negative. A contribution whose
DQR the supplier did not disclose is left out of the weighting and out of the coverage figure; an undisclosed
primary-data share counts as 0 (nothing is claimed as primary that was not declared so).
Pure module: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext

from battrace.apps.pcf.activity import OwnEmissions
from battrace.apps.pcf.model import (
    CONTEXT,
    DQR,
    STAGES,
    DeclaredUnit,
    Disclosure,
    FactorSource,
    Footprint,
    Stage,
    check_period,
    ratio,
)
from battrace.errors import InvalidInput
from battrace.provenance.digest import SHA256_HEX

PACT_DQI_THRESHOLD = Decimal("0.05")  # PACT v2 dqi: "inputs representing >5% of PCF emissions"
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class SupplierInput:
    """``amount`` of a supplier's declared unit per one declared unit of this product, and what the supplier
    disclosed for it (received signed through the data space; ``sha256`` is of the payload as received)."""

    amount: Decimal
    unit: DeclaredUnit
    disclosure: Disclosure
    sha256: str
    stage: Stage | None = None  # where the total goes when the supplier does not disclose its stage split
    # kg CO2e this input brings into one declared unit of the product (set once: a large BOM reads it often)
    emission: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount < 0:
            raise InvalidInput(f"input amount must be a non-negative number, got {self.amount}")
        if self.unit != self.disclosure.declared_unit:
            raise InvalidInput(
                f"input {self.disclosure.product_id}: amount given per {self.unit!r} but the supplier "
                f"declares per {self.disclosure.declared_unit!r}"
            )
        if not SHA256_HEX.match(self.sha256):
            raise InvalidInput(f"input sha256 {self.sha256!r} is not a SHA-256 in lowercase hex")
        with localcontext(CONTEXT):
            object.__setattr__(self, "emission", self.amount * self.disclosure.total)


@dataclass(frozen=True)
class _Contribution:
    emission: Decimal
    dqr: DQR | None


def rollup(
    *,
    product_id: str,
    declared_unit: DeclaredUnit,
    own: OwnEmissions,
    inputs: Sequence[SupplierInput] = (),
    own_dqr: DQR | None = None,
    reference_period: tuple[datetime, datetime],
) -> Footprint:
    """The product's footprint per declared unit from its own emissions and its suppliers' disclosures."""
    check_period(*reference_period)
    with localcontext(CONTEXT):
        return _rollup(product_id, declared_unit, own, inputs, own_dqr, reference_period)


def _rollup(
    product_id: str,
    declared_unit: DeclaredUnit,
    own: OwnEmissions,
    inputs: Sequence[SupplierInput],
    own_dqr: DQR | None,
    reference_period: tuple[datetime, datetime],
) -> Footprint:
    purchased = Decimal(0)
    for item in inputs:
        purchased += item.emission
    total = own.total + purchased
    contributions = [_Contribution(own.total, own_dqr)]
    contributions.extend(_Contribution(item.emission, item.disclosure.dqr) for item in inputs)
    size = sum((abs(c.emission) for c in contributions), Decimal(0))  # = total unless there are credits
    dqr, dqr_weight = _weighted(contributions)
    pact_dqi, pact_weight = _weighted(_above_threshold(contributions, size))
    return Footprint(
        product_id=product_id,
        declared_unit=declared_unit,
        total=total,
        reference_period_start=reference_period[0],
        reference_period_end=reference_period[1],
        stages=_stages(own, inputs),
        own=own.total,
        purchased=purchased,
        dqr=dqr,
        dqr_coverage=_share(dqr_weight, size),
        pact_dqi=pact_dqi,
        pact_dqi_coverage=_share(pact_weight, size),
        primary_data_share=_primary_share(own, inputs, total),
        factor_sources=_sources(own, inputs),
        inputs=(own.sha256, *(item.sha256 for item in inputs)),
    )


def _stages(own: OwnEmissions, inputs: Sequence[SupplierInput]) -> dict[Stage, Decimal] | None:
    """Ouranos: preComponent = Σ a_i · pre_i, mainComponent = Σ a_i · main_i, added to the own stages."""
    stages = dict(own.stages)
    for item in inputs:
        if item.disclosure.stages is not None:
            for stage in STAGES:
                stages[stage] += item.amount * item.disclosure.stages.get(stage, Decimal(0))
        elif item.stage is not None:
            stages[item.stage] += item.emission
        else:
            return None  # a total that cannot be placed: no stage split rather than a wrong one
    return stages


def _weighted(contributions: Sequence[_Contribution]) -> tuple[DQR | None, Decimal]:
    """The emission-weighted DQR over the contributions with a rating, and the weight it covers."""
    weight = te = ge = ti = Decimal(0)
    for c in contributions:
        if c.dqr is not None and c.emission:
            w = abs(c.emission)
            weight += w
            te += w * c.dqr.TeR
            ge += w * c.dqr.GeR
            ti += w * c.dqr.TiR
    if not weight:
        return None, weight
    # a weighted mean of ratings in 1-5 lies in 1-5: no need to validate it again
    return DQR.model_construct(TeR=ratio(te, weight), GeR=ratio(ge, weight), TiR=ratio(ti, weight)), weight


def _above_threshold(contributions: Sequence[_Contribution], size: Decimal) -> list[_Contribution]:
    if not size:
        return []
    return [c for c in contributions if abs(c.emission) > PACT_DQI_THRESHOLD * size]


def _share(weight: Decimal, size: Decimal) -> Decimal:
    return ratio(_HUNDRED * weight, size) if size else Decimal(0)


def _primary_share(own: OwnEmissions, inputs: Sequence[SupplierInput], total: Decimal) -> Decimal:
    primary = own.primary
    for item in inputs:
        share = item.disclosure.primary_data_share
        if share is not None:
            primary += item.emission * share / _HUNDRED
    if total <= 0:
        return Decimal(0)
    return max(Decimal(0), min(ratio(_HUNDRED * primary, total), _HUNDRED))


def _sources(own: OwnEmissions, inputs: Sequence[SupplierInput]) -> tuple[FactorSource, ...]:
    sources = set(own.factor_sources)
    for item in inputs:
        sources.update(item.disclosure.factor_sources or ())
    return tuple(sorted(sources, key=lambda s: (s.name, s.version)))
