"""The closed loop: an element of a recycled battery traced through black mass, refining and a sale to a
material maker into a new battery model's recycled-content claim, with a mass balance at every hop.

Hops of element e for one claim (each moves at most what it received, within massbalance's tolerance):

    placed on market   e in the batteries            -> e in what was delivered for recycling
    shredded           e delivered                    -> e in the black mass (its assay)
    refined            e in the black mass            -> e recovered
    sold               e recovered                    -> e sold, all sales of e together
    claimed            e sold in this sale            -> e claimed from it, all claims together

A claim is post-consumer recycled content (Art. 8(1)): its material comes from waste batteries. Pure module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from battrace.apps.recycling.events import (
    Element,
    History,
    PlacedOnMarket,
    Records,
    Refined,
    Shredded,
    Sold,
    Stage,
)
from battrace.apps.recycling.massbalance import (
    ABSOLUTE_TOLERANCE_KG,
    RELATIVE_TOLERANCE,
    black_mass_element_kg,
    element_input_kg,
    within,
)
from battrace.apps.recycling.recycled_content import Origin, RecycledInput
from battrace.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Claim:
    """The material maker's statement that ``mass_kg`` of ``element`` bought in sale ``sale_id`` went into
    the production of battery ``model`` (as recycled content of its cells)."""

    model: str
    material_maker: str
    sale_id: str
    element: Element
    mass_kg: float


@dataclass(frozen=True)
class Hop:
    step: Stage | str  # a Stage, or "claimed" for the last hop into the new model
    party: str
    in_kg: float
    out_kg: float


@dataclass(frozen=True)
class Trace:
    claim: Claim
    subject: str
    hops: tuple[Hop, ...]


def _fail(claim: Claim, message: str, **extra: object) -> InvalidInput:
    return InvalidInput(f"claim on sale {claim.sale_id} for model {claim.model}: {message}", **extra)


def _find(records: Records, claim: Claim) -> tuple[History, Sold]:
    found = records.sale(claim.sale_id)
    if found is None:
        raise NotFound(f"claim for model {claim.model}: no recorded sale {claim.sale_id}")
    history, sold = found
    if sold.element is not claim.element:
        raise _fail(claim, f"the sale is of {sold.element}, the claim of {claim.element}", field="element")
    if sold.buyer != claim.material_maker:
        raise _fail(
            claim, f"the sale went to {sold.buyer}, not {claim.material_maker}", field="material_maker"
        )
    if not math.isfinite(claim.mass_kg) or claim.mass_kg < 0:
        raise _fail(claim, f"a mass cannot be negative, got {claim.mass_kg}", field="mass_kg")
    return history, sold


def _party(history: History, stage: Stage) -> str:
    return history.performer(stage) or "unknown"


def _hops(history: History, sold: Sold, claimed_kg: float) -> tuple[Hop, ...]:
    e = sold.element
    placed, shredded, refined = (
        history.detail(PlacedOnMarket),
        history.detail(Shredded),
        history.detail(Refined),
    )
    if placed is None or shredded is None or refined is None:  # a sale is recorded only after refining
        raise AssertionError(f"{history.subject}: sale without its chain")
    entered = element_input_kg(history).get(e, 0.0)
    in_black_mass = black_mass_element_kg(shredded).get(e, entered)
    recovered = refined.recovered_kg.get(e, 0.0)
    sold_in_all = sum(s.mass_kg for s in history.sales() if s.element is e)
    return (
        Hop(
            Stage.PLACED_ON_MARKET,
            _party(history, Stage.PLACED_ON_MARKET),
            placed.content_kg.get(e, 0.0),
            entered,
        ),
        Hop(Stage.SHREDDED, _party(history, Stage.SHREDDED), entered, in_black_mass),
        Hop(Stage.REFINED, _party(history, Stage.REFINED), in_black_mass, recovered),
        Hop(Stage.SOLD, _party(history, Stage.REFINED), recovered, sold_in_all),
        Hop("claimed", sold.buyer, sold.mass_kg, claimed_kg),
    )


def trace(records: Records, claim: Claim, *, all_claims: Sequence[Claim] = ()) -> Trace:
    """The hops of ``claim``'s element from the recycled battery to the new model. ``all_claims`` are every
    claim drawing on recorded sales (``claim`` is counted once whether listed or not): together they may not
    claim more from a sale than it sold. InvalidInput names the first hop whose balance breaks."""
    history, sold = _find(records, claim)
    claimed_kg = sum(c.mass_kg for c in all_claims if c.sale_id == claim.sale_id)
    if claim not in all_claims:
        claimed_kg += claim.mass_kg
    hops = _hops(history, sold, claimed_kg)
    for hop in hops:
        if not within(hop.out_kg, hop.in_kg):
            raise _fail(
                claim,
                f"hop {hop.step} by {hop.party} passes on {hop.out_kg:g} kg {claim.element} but received "
                f"{hop.in_kg:g} kg (tolerance {RELATIVE_TOLERANCE:.1%} + {ABSOLUTE_TOLERANCE_KG * 1000:g} g)",
                reason="mass_balance",
                hop=str(hop.step),
            )
    return Trace(claim, history.subject, hops)


def post_consumer_inputs(records: Records, claims: Sequence[Claim], model: str) -> tuple[RecycledInput, ...]:
    """The recycled inputs of ``model`` from its traced claims, every claim checked against all others."""
    inputs = []
    for claim in claims:
        traced = trace(records, claim, all_claims=claims)
        if claim.model == model:
            source = f"sale {claim.sale_id} of {traced.subject}"
            inputs.append(RecycledInput(claim.element, Origin.POST_CONSUMER, claim.mass_kg, source))
    return tuple(inputs)
