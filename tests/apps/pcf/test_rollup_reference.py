"""The fast paths (``own_emissions`` with its remembered line kinds and results, ``rollup_bom`` in one pass)
equal a straightforward reference computation written from the formulas, on random small inputs.

The reference computes the same figures the obvious way: every activity line's JSON built as a dict, every
contribution scaled to the product by the amounts multiplied along each path of the BOM. The inputs have few
digits, so every sum and product is exact under the 34-digit context and the two computations must agree
exactly, whatever order they add in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.apps.pcf import (
    DQR,
    STAGES,
    Activity,
    ElectricityModel,
    FactorSource,
    OwnEmissions,
    Stage,
    parse_factors,
)
from battrace.apps.pcf.activity import own_emissions
from battrace.apps.pcf.bom import Part, rollup_bom
from battrace.apps.pcf.factors import FactorSet
from battrace.apps.pcf.model import CONTEXT, canonical_bytes, decimal_text, ratio
from battrace.apps.pcf.rollup import PACT_DQI_THRESHOLD, SupplierInput
from battrace.errors import InvalidInput

from ._builders import PERIOD, received

FACTOR_CSV = (
    "key,kg_co2e_per_unit,unit,source,version,licence\n"
    "electricity:grid:PL,0.66193,kWh,Ember,2023,CC-BY-4.0\n"
    "electricity:contract:ppa-7,0.012,kWh,PPA certificate,2024,own\n"
    "fuel:diesel,2.7,l,Fuel set,v1,own\n"
    "fuel:diesel:kg,3.2,kg,Fuel set,v1,own\n"
    "transport:truck,0.1,t*km,Transport set,v2,own\n"
    "end_of_life:credit,-0.8,kg,Recycling credit,v1,own\n"
    'material:quoted,1E+1,kg,"Source, with ""quotes"" and é",v1,own\n'
)
FACTORS = parse_factors(FACTOR_CSV)
KEYS = [(key, FACTORS[key].unit) for key in FACTORS if not key.startswith("electricity:contract:")]

# few digits, some with exponents or trailing zeros: the digest and the digits must follow them exactly
amounts = st.decimals(min_value=0, max_value=10_000, places=3, allow_nan=False) | st.sampled_from(
    [Decimal("1E+2"), Decimal("2.50"), Decimal("0.000"), Decimal("0E+3"), Decimal("7")]
)
activities = st.builds(
    lambda key_unit, stage, amount, primary: Activity(
        stage=stage, factor=key_unit[0], amount=amount, unit=key_unit[1], primary=primary
    ),
    st.sampled_from(KEYS),
    st.sampled_from(STAGES),
    amounts,
    st.booleans(),
)


def reference_own(lines: list[Activity], factors: FactorSet) -> OwnEmissions:
    """Activity x factor per stage, summed in line order; the digest is of the lines as JSON dicts."""
    with localcontext(CONTEXT):
        stages = dict.fromkeys(STAGES, Decimal(0))
        primary = Decimal(0)
        documents = []
        for line in lines:
            factor = factors[line.factor]
            emission = line.amount * factor.value
            stages[line.stage] += emission
            if line.primary:
                primary += emission
            documents.append(
                {
                    "stage": line.stage.value,
                    "factor": factor.key,
                    "amount": decimal_text(line.amount),
                    "unit": line.unit,
                    "primary": line.primary,
                    "kg_co2e_per_unit": decimal_text(factor.value),
                    "source": factor.source,
                    "version": factor.version,
                }
            )
        sources = sorted({(factors[line.factor].source, factors[line.factor].version) for line in lines})
    return OwnEmissions(
        stages=stages,
        primary=primary,
        sha256=hashlib.sha256(canonical_bytes(documents)).hexdigest(),
        factor_sources=tuple(FactorSource(name=name, version=version) for name, version in sources),
    )


def _exactly(own: OwnEmissions) -> tuple[object, ...]:
    """Every figure with its exponent and sign (str), not only its value."""
    stages = tuple((stage, str(value)) for stage, value in own.stages.items())
    figures = (str(own.total), str(own.primary), tuple(map(str, own.by_stage)))
    return (stages, figures, own.sha256, own.factor_sources)


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(parts=st.lists(st.lists(activities, max_size=5), min_size=1, max_size=6))
def test_own_emissions_equal_the_reference_digit_for_digit(parts: list[list[Activity]]) -> None:
    factors = parse_factors(FACTOR_CSV)  # a fresh set: nothing remembered from other examples
    for lines in parts + parts:  # the second round meets remembered line kinds and results
        expected = _exactly(reference_own(lines, factors))
        assert _exactly(own_emissions(lines, factors)) == expected
        copies = [line.model_copy() for line in lines]  # equal lines in other objects
        assert _exactly(own_emissions(tuple(copies), factors)) == expected


def test_a_refused_line_is_refused_again_and_not_remembered() -> None:
    factors = parse_factors(FACTOR_CSV)
    good = Activity(stage=Stage.PRODUCTION, factor="fuel:diesel", amount=Decimal(1), unit="l")
    wrong_unit = good.model_copy(update={"unit": "kg"})
    ppa = Activity(stage=Stage.PRODUCTION, factor="electricity:contract:ppa-7", amount=Decimal(1), unit="kWh")
    for _ in range(3):
        assert own_emissions([good], factors).total == Decimal("2.7")
        with pytest.raises(InvalidInput, match="given in 'kg' but the factor is per 'l'"):
            own_emissions([good, wrong_unit], factors)
        with pytest.raises(InvalidInput, match=r"§2\.4\.1"):
            own_emissions([good, ppa], factors)
    # the same line under another electricity rule is its own kind: accepted there, still refused here
    assert own_emissions([ppa], factors, electricity=ElectricityModel.MARKET_BASED).total == Decimal("0.012")
    with pytest.raises(InvalidInput, match=r"§2\.4\.1"):
        own_emissions([ppa], factors)


# ---- the BOM ----


def _walk(parts: list[Part], index: int, multiplier: Decimal) -> Iterator[tuple[int, Decimal]]:
    """Every path from the product down: (part, amounts multiplied along the path)."""
    yield index, multiplier
    for child, amount in parts[index].children:
        yield from _walk(parts, child, multiplier * amount)


@dataclass
class _Contribution:
    emission: Decimal  # kg CO2e in one unit of the product
    rating: DQR | None


def reference_bom(parts: list[Part]) -> dict[str, object]:
    """The product's figures from the formulas of rollup.py, each contribution scaled to the product: a
    part's own emissions are one contribution however many paths lead to it (the units of the part in one
    product are the sum over the paths), as is each input it lists."""
    with localcontext(CONTEXT):
        per_product: dict[int, Decimal] = {}
        for index, multiplier in _walk(parts, len(parts) - 1, Decimal(1)):
            per_product[index] = per_product.get(index, Decimal(0)) + multiplier
        contributions: list[_Contribution] = []
        stages: dict[Stage, Decimal] | None = dict.fromkeys(STAGES, Decimal(0))
        primary = own = Decimal(0)
        for index, multiplier in per_product.items():
            part = parts[index]
            own += multiplier * part.own.total
            primary += multiplier * part.own.primary
            contributions.append(_Contribution(multiplier * part.own.total, part.own_dqr))
            for stage in STAGES:
                if stages is not None:
                    stages[stage] += multiplier * part.own.stages.get(stage, Decimal(0))
            for item in part.purchased:
                emission = multiplier * item.amount * item.disclosure.total
                contributions.append(_Contribution(emission, item.disclosure.dqr))
                if item.disclosure.primary_data_share is not None:
                    primary += emission * item.disclosure.primary_data_share / 100
                stages = _place(stages, item, multiplier)
        total = sum((c.emission for c in contributions), Decimal(0))
        size = sum((abs(c.emission) for c in contributions), Decimal(0))
        rated = [c for c in contributions if c.rating is not None and c.emission]
        pact = [c for c in rated if abs(c.emission) > PACT_DQI_THRESHOLD * size]
        return {
            "total": total,
            "stages": stages,
            "own": own,
            "purchased": total - own,
            "dqr": _weighted(rated),
            "dqr_coverage": ratio(100 * _weight(rated), size) if size else 0,
            "pact_dqi": _weighted(pact),
            "pact_dqi_coverage": ratio(100 * _weight(pact), size) if size else 0,
            "primary_data_share": max(0, min(ratio(100 * primary, total), 100)) if total > 0 else 0,
            "factor_sources": _sources(parts),
            "inputs": _inputs(parts),
        }


def _place(
    stages: dict[Stage, Decimal] | None, item: SupplierInput, multiplier: Decimal
) -> dict[Stage, Decimal] | None:
    if stages is None:
        return None
    if item.disclosure.stages is not None:
        for stage in STAGES:
            stages[stage] += multiplier * item.amount * item.disclosure.stages.get(stage, Decimal(0))
        return stages
    if item.stage is None:
        return None  # a total that cannot be placed: no split for the product
    stages[item.stage] += multiplier * item.amount * item.disclosure.total
    return stages


def _weight(contributions: list[_Contribution]) -> Decimal:
    return sum((abs(c.emission) for c in contributions), Decimal(0))


def _weighted(contributions: list[_Contribution]) -> DQR | None:
    weight = _weight(contributions)
    if not weight:
        return None
    te, ge, ti = (ratio(_rated_sum(contributions, name), weight) for name in ("TeR", "GeR", "TiR"))
    return DQR.model_construct(TeR=te, GeR=ge, TiR=ti)


def _rated_sum(contributions: list[_Contribution], name: str) -> Decimal:
    return sum((abs(c.emission) * getattr(c.rating, name) for c in contributions), Decimal(0))


def _sources(parts: list[Part]) -> tuple[FactorSource, ...]:
    sources = {source for part in parts for source in part.own.factor_sources}
    sources |= {s for part in parts for item in part.purchased for s in item.disclosure.factor_sources or ()}
    return tuple(sorted(sources, key=lambda s: (s.name, s.version)))


def _inputs(parts: list[Part]) -> tuple[str, ...]:
    structure = [
        [part.own.sha256, [[child, format(amount, "f")] for child, amount in part.children]] for part in parts
    ]
    received_inputs = dict.fromkeys(item.sha256 for part in parts for item in part.purchased)
    return (hashlib.sha256(canonical_bytes(structure)).hexdigest(), *received_inputs)


_FIGURES = (
    "total",
    "stages",
    "own",
    "purchased",
    "dqr",
    "dqr_coverage",
    "pact_dqi",
    "pact_dqi_coverage",
    "primary_data_share",
    "factor_sources",
    "inputs",
)

small = st.decimals(min_value=-50, max_value=200, places=2, allow_nan=False)
ratings = st.none() | st.builds(
    lambda te, ge, ti: DQR(TeR=te, GeR=ge, TiR=ti),
    *[st.decimals(min_value=1, max_value=5, places=1)] * 3,
)


@st.composite
def boms(draw: st.DrawFn) -> list[Part]:
    """Up to 7 parts, each child an earlier part (shared sub-parts make a DAG), received inputs with and
    without ratings, primary shares and stage splits, some shared between parts; own emissions made from
    activity lines, shared between parts or not."""
    factors = parse_factors(FACTOR_CSV)
    owns = draw(st.lists(st.lists(activities, max_size=3), min_size=1, max_size=3))
    made = [own_emissions(lines, factors) for lines in owns]
    bought = [
        received(
            str(draw(small)),
            str(draw(st.decimals(min_value=0, max_value=20, places=2))),
            quality=draw(ratings),
            pds=draw(st.none() | st.sampled_from(["0", "40", "100", "12.5"])),
            stages=draw(st.none() | st.fixed_dictionaries({stage: small for stage in STAGES})),
            stage=draw(st.sampled_from([None, *STAGES, Stage.RAW_MATERIAL])),
            name=f"supplier-{number}",
        )
        for number in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    parts: list[Part] = []
    for index in range(draw(st.integers(min_value=1, max_value=7))):
        children = draw(
            st.lists(
                st.tuples(st.integers(min_value=0, max_value=index - 1), st.sampled_from(_BOM_AMOUNTS)),
                max_size=3,
            )
            if index
            else st.just([])
        )
        parts.append(
            Part(
                own=draw(st.sampled_from(made)),
                own_dqr=draw(ratings),
                children=tuple(children),
                purchased=tuple(draw(st.lists(st.sampled_from(bought), max_size=2))) if bought else (),
            )
        )
    return parts


_BOM_AMOUNTS = [Decimal(x) for x in ("0", "1", "0.5", "2.50", "3", "1E+1", "0.125")]


@settings(deadline=None)  # a loaded CI machine must not turn slowness into failures
@given(parts=boms())
def test_the_one_pass_bom_roll_up_equals_the_reference_on_random_boms(parts: list[Part]) -> None:
    result = rollup_bom(parts, product_id="urn:test:p", declared_unit="piece", reference_period=PERIOD)
    assert {name: getattr(result, name) for name in _FIGURES} == reference_bom(parts)
