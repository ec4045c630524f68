"""Roll-up over a company's own multi-level bill of materials in one pass (issue 6 item 8 benchmark).

Inside one company nothing needs to be disclosed between the levels of its own BOM (Ouranos
``partsStructure``): every figure of ``rollup`` except the PACT 5 % rule is linear in the amounts, so each
part carries one vector of sums (total, four stages, primary part, DQR-weighted sums) up to its parents, and
the root's shares and ratings are divided out once. The PACT rule needs each contribution's size at the
root, so a second, top-down pass multiplies the amounts along the paths. Only purchased parts come from
outside, as received supplier disclosures. Both passes are O(parts + edges); no per-part model is built.
Pure module: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext
from itertools import repeat
from operator import add, mul

from battrace.apps.pcf.activity import OwnEmissions
from battrace.apps.pcf.model import (
    CONTEXT,
    DQR,
    STAGES,
    DeclaredUnit,
    FactorSource,
    Footprint,
    check_period,
    ratio,
)
from battrace.apps.pcf.rollup import PACT_DQI_THRESHOLD, SupplierInput
from battrace.errors import InvalidInput
from battrace.provenance import sha256_hex
from battrace.provenance.digest import SHA256_HEX

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
# positions in a part's vector of sums
_TOTAL, _STAGE0, _PRIMARY, _WEIGHT, _TE, _GE, _TI, _SIZE = 0, 1, 5, 6, 7, 8, 9, 10
_STAGE_INDEX = {stage: offset for offset, stage in enumerate(STAGES)}


@dataclass(frozen=True)
class Part:
    """One part of the BOM: its own emissions, ``children`` as (index of an earlier part, amount per one
    unit of this part), and ``purchased`` inputs received from suppliers."""

    own: OwnEmissions
    own_dqr: DQR | None = None
    children: tuple[tuple[int, Decimal], ...] = ()
    purchased: tuple[SupplierInput, ...] = ()


def rollup_bom(
    parts: Sequence[Part],
    *,
    product_id: str,
    declared_unit: DeclaredUnit,
    reference_period: tuple[datetime, datetime],
) -> Footprint:
    """The footprint of the last part (the product) per declared unit; children are listed before parents."""
    check_period(*reference_period)
    if not parts:
        raise InvalidInput("a bill of materials needs at least one part")
    parts = tuple(parts)  # held until the end: ``_bottom_up`` remembers objects by id
    with localcontext(CONTEXT):
        sums, staged = _bottom_up(parts)
        root = sums[-1]
        per_product = _multipliers(parts)
        own = _own_total(parts, per_product)
        pact_dqi, pact_weight = _pact_dqi(parts, per_product, root[_SIZE])
        return Footprint(
            product_id=product_id,
            declared_unit=declared_unit,
            total=root[_TOTAL],
            reference_period_start=reference_period[0],
            reference_period_end=reference_period[1],
            stages=dict(zip(STAGES, root[_STAGE0:_PRIMARY], strict=True)) if staged[-1] else None,
            own=own,
            purchased=root[_TOTAL] - own,
            dqr=_rating(root[_TE], root[_GE], root[_TI], root[_WEIGHT]),
            dqr_coverage=ratio(_HUNDRED * root[_WEIGHT], root[_SIZE]) if root[_SIZE] else _ZERO,
            pact_dqi=pact_dqi,
            pact_dqi_coverage=ratio(_HUNDRED * pact_weight, root[_SIZE]) if root[_SIZE] else _ZERO,
            primary_data_share=_primary(root),
            factor_sources=_sources(parts),
            inputs=_inputs(parts),
        )


def _bottom_up(parts: Sequence[Part]) -> tuple[list[tuple[Decimal, ...]], list[bool]]:
    # Vectors are kept as tuples: a tuple of Decimals is untracked by the garbage collector, a list never is,
    # and 100 000 tracked lists make every full collection during a large roll-up cost more.
    sums: list[tuple[Decimal, ...]] = []
    staged: list[bool] = []
    # A BOM built from templates shares its received inputs between many parts: what one adds to a vector
    # is worked out once per object (``parts`` is a tuple held until the end, so ids stay unique). An own
    # vector is cheap: it is only reused from the part before (remembering 100 000 distinct ones costs more).
    bought: dict[int, _Additions] = {}
    own: OwnEmissions | None = None
    rating: DQR | None = None
    base: tuple[Decimal, ...] = ()
    for index, part in enumerate(parts):
        if part.own is not own or part.own_dqr is not rating:
            own, rating = part.own, part.own_dqr
            base = _own_vector(own, rating)
        vector = base
        ok = True
        for child, amount in part.children:
            if not 0 <= child < index:
                raise InvalidInput(f"part {index}: child {child} must be an earlier part")
            ok = ok and staged[child]
            # vector[k] + amount * child[k] for every k: the same operations as an index loop, iterated in C
            vector = tuple(map(add, vector, map(mul, repeat(amount), sums[child])))
        if part.purchased:
            added = list(vector)
            for item in part.purchased:
                found = bought.get(id(item))
                if found is None:
                    found = bought[id(item)] = _purchased(item)
                additions, placed = found
                for position, value in additions:
                    added[position] += value
                ok = placed and ok
            vector = tuple(added)
        sums.append(vector)
        staged.append(ok)
    return sums, staged


def _own_vector(own: OwnEmissions, rating: DQR | None) -> tuple[Decimal, ...]:
    total = own.total
    if rating is None or not total:
        return (total, *own.by_stage, own.primary, _ZERO, _ZERO, _ZERO, _ZERO, abs(total))
    weight = abs(total)
    rated = (weight * rating.TeR, weight * rating.GeR, weight * rating.TiR)
    return (total, *own.by_stage, own.primary, weight, *rated, weight)


def _rated(emission: Decimal, rating: DQR | None) -> list[Decimal]:
    if rating is None or not emission:
        return [_ZERO, _ZERO, _ZERO, _ZERO]
    weight = abs(emission)
    return [weight, weight * rating.TeR, weight * rating.GeR, weight * rating.TiR]


# (position in the vector, value added there) in order, and whether the input's total has a stage
_Additions = tuple[tuple[tuple[int, Decimal], ...], bool]


def _purchased(item: SupplierInput) -> _Additions:
    """What adding one received input does to a part's vector; placed False when its total cannot be put
    in a stage. Every addition is listed, zeros too: adding 0 can change a Decimal's exponent."""
    emission, disclosure = item.emission, item.disclosure
    additions = [(_TOTAL, emission)]
    placed = True
    if disclosure.stages is not None:
        for offset, stage in enumerate(STAGES):
            additions.append((_STAGE0 + offset, item.amount * disclosure.stages.get(stage, _ZERO)))
    elif item.stage is not None:
        additions.append((_STAGE0 + _STAGE_INDEX[item.stage], emission))
    else:
        placed = False
    if disclosure.primary_data_share is not None:
        additions.append((_PRIMARY, emission * disclosure.primary_data_share / _HUNDRED))
    additions.extend(
        (_WEIGHT + offset, value) for offset, value in enumerate(_rated(emission, disclosure.dqr))
    )
    additions.append((_SIZE, abs(emission)))
    return tuple(additions), placed


def _multipliers(parts: Sequence[Part]) -> list[Decimal]:
    """How many units of each part one unit of the product contains (sum over all paths)."""
    factor = [_ZERO] * len(parts)
    factor[-1] = Decimal(1)
    for index in range(len(parts) - 1, -1, -1):
        if factor[index]:
            for child, amount in parts[index].children:
                factor[child] += factor[index] * amount
    return factor


def _pact_dqi(
    parts: Sequence[Part], per_product: Sequence[Decimal], size: Decimal
) -> tuple[DQR | None, Decimal]:
    """PACT: the weighting over contributions above 5 % of the product's emissions, sized at the root."""
    if not size:
        return None, _ZERO
    floor = PACT_DQI_THRESHOLD * size
    sums = [_ZERO, _ZERO, _ZERO, _ZERO]
    for part, factor in zip(parts, per_product, strict=True):
        if not factor:
            continue  # a part the product does not contain contributes nothing (0 is never above 5 %)
        scaled = factor * part.own.total
        if abs(scaled) > floor:
            _add_rated(sums, scaled, part.own_dqr)
        for item in part.purchased:
            scaled = factor * item.emission
            if abs(scaled) > floor:
                _add_rated(sums, scaled, item.disclosure.dqr)
    return _rating(sums[1], sums[2], sums[3], sums[0]), sums[0]


def _add_rated(sums: list[Decimal], emission: Decimal, rating: DQR | None) -> None:
    for offset, value in enumerate(_rated(emission, rating)):
        sums[offset] += value


def _rating(te: Decimal, ge: Decimal, ti: Decimal, weight: Decimal) -> DQR | None:
    if not weight:
        return None
    return DQR.model_construct(TeR=ratio(te, weight), GeR=ratio(ge, weight), TiR=ratio(ti, weight))


def _primary(root: tuple[Decimal, ...]) -> Decimal:
    if root[_TOTAL] <= 0:
        return _ZERO
    return max(_ZERO, min(ratio(_HUNDRED * root[_PRIMARY], root[_TOTAL]), _HUNDRED))


def _own_total(parts: Sequence[Part], per_product: Sequence[Decimal]) -> Decimal:
    """Emissions of the company's own activities in one unit of the product (all levels of its BOM)."""
    return sum((factor * part.own.total for part, factor in zip(parts, per_product, strict=True)), _ZERO)


def _sources(parts: Sequence[Part]) -> tuple[FactorSource, ...]:
    # gather by identity first: the parts share a few FactorSource objects, and hashing a pydantic model
    # 100 000 times costs more than the roll-up
    gathered: dict[int, FactorSource] = {}
    tuples: set[int] = set()  # own_emissions hands equal source lists out as one tuple: look at it once
    for part in parts:
        sources = part.own.factor_sources
        if id(sources) not in tuples:
            tuples.add(id(sources))
            for source in sources:
                gathered[id(source)] = source
        for item in part.purchased:
            for source in item.disclosure.factor_sources or ():
                gathered[id(source)] = source
    return tuple(sorted(set(gathered.values()), key=lambda s: (s.name, s.version)))


def _inputs(parts: Sequence[Part]) -> tuple[str, ...]:
    """One digest for the internal BOM (its structure and own activity digests), then every received input."""
    # canonical_bytes([[own sha256, [[child, amount text], ...]], ...]) written out directly: hex digests and
    # plain decimal texts need no JSON escaping, and integers print as themselves
    checked: set[str] = set()  # parts share digests (equal activity lines): check each once
    pieces: list[str] = []
    for part in parts:
        digest = part.own.sha256
        if digest not in checked:
            if not SHA256_HEX.match(digest):
                raise InvalidInput(f"own emissions digest {digest[:80]!r} is not a SHA-256 in lowercase hex")
            checked.add(digest)
        if part.children:
            children = ",".join([f'[{child},"{amount:f}"]' for child, amount in part.children])
            pieces.append(f'["{digest}",[{children}]]')
        else:
            pieces.append(f'["{digest}",[]]')
    structure = ",".join(pieces)
    received = dict.fromkeys(item.sha256 for part in parts for item in part.purchased)
    return (sha256_hex(f"[{structure}]".encode()), *received)
