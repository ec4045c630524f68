"""A shipped example: one EV battery lot from placing on the market to recovered cobalt and nickel sold to a
cathode maker and claimed in a new cell model, plus three portable lots for a collection rate. Every expected
figure below is worked out by hand in its comment (tests compare the computed values against them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final

from battrace.apps.recycling.chart import rates_chart
from battrace.apps.recycling.events import Chemistry, Element, Records
from battrace.apps.recycling.loop import Claim, post_consumer_inputs
from battrace.apps.recycling.massbalance import record_rows
from battrace.apps.recycling.rates import Rate, recovery_rates, recycling_efficiency, treated
from battrace.apps.recycling.recycled_content import ModelContent, Origin, RecycledInput

CARMAKER = "did:web:carmaker.example"
TOOLMAKER = "did:web:toolmaker.example"
COLLECTOR = "did:web:collector.example"
RECYCLER = "did:web:recycler.example"  # dismantles and shreds
REFINER = "did:web:refiner.example"
CATHODE_MAKER = "did:web:cathode.example"
EV_LOT = "urn:battrace:lot:ev-2021-0042"
NEW_MODEL = "NMC-CELL-2"
PLANT = "Plant Saxony-1"
YEAR = 2029  # the recycling year: Annex XII Part C 2027 targets (90 %, Li 50 %), Part B 2025 (Li-based 65 %)
CLAIM_DATE = date(2031, 12, 31)  # Art. 8(2) minimum shares apply from 18 August 2031


def _ev_rows() -> list[dict[str, object]]:
    lot = {"subject": EV_LOT}
    return [
        {**lot, "stage": "placed_on_market", "performed_by": CARMAKER, "at": "2021-03-01T00:00:00+00:00",
         "model": "EVP-75", "category": "ev", "chemistry": "lithium_based", "mass_kg": 1000,
         "content_kg": {"cobalt": 20, "nickel": 60, "lithium": 15, "copper": 40}},
        {**lot, "stage": "collected", "performed_by": COLLECTOR, "at": "2029-05-10T08:00:00+00:00",
         "mass_kg": 1000},
        {**lot, "stage": "delivered", "performed_by": RECYCLER, "at": "2029-06-01T08:00:00+00:00",
         "mass_kg": 1000},
        {**lot, "stage": "dismantled", "performed_by": RECYCLER, "at": "2029-06-10T08:00:00+00:00",
         "input_kg": 1000, "to_shredding_kg": 600, "fractions_kg": {"steel": 200, "aluminium": 120}},
        {**lot, "stage": "shredded", "performed_by": RECYCLER, "at": "2029-06-20T08:00:00+00:00",
         "input_kg": 600, "black_mass_kg": 300, "fractions_kg": {"copper_aluminium_foil": 150},
         "composition_percent": {"cobalt": 6.4, "nickel": 19.2, "lithium": 4.5, "copper": 12.0}},
        {**lot, "stage": "refined", "performed_by": REFINER, "at": "2029-08-01T08:00:00+00:00",
         "input_kg": 300, "fractions_kg": {"graphite": 80},
         "recovered_kg": {"cobalt": 18.6, "nickel": 55.2, "lithium": 12.0, "copper": 34.0}},
        {**lot, "stage": "sold", "performed_by": REFINER, "at": "2029-09-01T08:00:00+00:00",
         "sale_id": "S-2029-017", "buyer": CATHODE_MAKER, "element": "cobalt", "mass_kg": 18.0},
        {**lot, "stage": "sold", "performed_by": REFINER, "at": "2029-09-01T08:00:00+00:00",
         "sale_id": "S-2029-018", "buyer": CATHODE_MAKER, "element": "nickel", "mass_kg": 50.0},
    ]  # fmt: skip


def _portable_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for year, placed, collected in ((2025, 1000, 700), (2026, 1200, 200), (2027, 1400, None)):
        subject = f"urn:battrace:lot:portable-{year}"
        rows.append({"subject": subject, "stage": "placed_on_market", "performed_by": TOOLMAKER,
                     "at": f"{year}-02-01T00:00:00+00:00", "model": "AA-alkaline", "category": "portable",
                     "chemistry": "other", "mass_kg": placed, "content_kg": {}})  # fmt: skip
        if collected is not None:
            rows.append({"subject": subject, "stage": "collected", "performed_by": COLLECTOR,
                         "at": "2027-09-01T00:00:00+00:00", "mass_kg": collected})  # fmt: skip
    return rows


def example_rows() -> list[dict[str, object]]:
    return _ev_rows() + _portable_rows()


def with_parties(rows: list[dict[str, object]], parties: Mapping[str, str]) -> list[dict[str, object]]:
    """The rows with the example's DIDs replaced by real ones (``performed_by`` and ``buyer``), to run the
    example between nodes; a DID not in ``parties`` stays."""
    return [
        {
            k: (parties.get(v, v) if k in ("performed_by", "buyer") and isinstance(v, str) else v)
            for k, v in r.items()
        }
        for r in rows
    ]


def example_records() -> Records:
    return record_rows(Records(), example_rows())


def example_claims() -> tuple[Claim, ...]:
    return (
        Claim(NEW_MODEL, CATHODE_MAKER, "S-2029-017", Element.COBALT, 18.0),
        Claim(NEW_MODEL, CATHODE_MAKER, "S-2029-018", Element.NICKEL, 50.0),
    )


def example_model_content(records: Records) -> ModelContent:
    """NMC-CELL-2 made in 2031: the traced post-consumer cobalt and nickel plus pre-consumer scrap declared
    by the cathode maker (manufacturing waste of its own cell plant, not traced here)."""
    declared = (
        RecycledInput(Element.COBALT, Origin.PRE_CONSUMER, 9.0, "declaration CM-2031-3"),
        RecycledInput(Element.NICKEL, Origin.PRE_CONSUMER, 20.0, "declaration CM-2031-3"),
        RecycledInput(Element.LITHIUM, Origin.PRE_CONSUMER, 4.0, "declaration CM-2031-3"),
    )
    traced = post_consumer_inputs(records, example_claims(), NEW_MODEL)
    totals = MappingProxyType({Element.COBALT: 150.0, Element.NICKEL: 1000.0, Element.LITHIUM: 200.0})
    return ModelContent(NEW_MODEL, PLANT, 2031, totals, (*declared, *traced))


def example_chart() -> str:
    """The example's material recovery per element and recycling efficiency against Annex XII, as SVG."""
    histories = treated(example_records(), RECYCLER, YEAR)
    bars: dict[str, Rate] = {e.value: r for e, r in recovery_rates(histories, YEAR).items()}
    bars["recycling efficiency"] = recycling_efficiency(histories, Chemistry.LITHIUM_BASED, YEAR)
    return rates_chart(
        bars, title=f"Recovery and recycling efficiency {YEAR} against Annex XII", ident="example"
    )


@dataclass(frozen=True)
class Expected:
    recovery_percent: Mapping[Element, float]
    recycling_efficiency_percent: float
    collection_percent: float
    passport_values: Mapping[str, float]
    cobalt_hops_kg: tuple[tuple[float, float], ...]


# Hand-checked expectations.
EXPECTED: Final = Expected(
    # Annex XII Part C, 2029 (2027 targets): recovered / contained at delivery (1000 of 1000 kg: scale 1)
    recovery_percent=MappingProxyType(
        {
            Element.COBALT: 93.0,  # 18.6 / 20 = 0.93; target 90 -> meets
            Element.NICKEL: 92.0,  # 55.2 / 60 = 0.92; target 90 -> meets
            Element.LITHIUM: 80.0,  # 12.0 / 15 = 0.80; target 50 -> meets
            Element.COPPER: 85.0,  # 34.0 / 40 = 0.85; target 90 -> misses
        }
    ),
    # Annex XII Part B: outputs (steel 200 + aluminium 120) + foil 150 + graphite 80
    # + recovered (18.6 + 55.2 + 12.0 + 34.0 = 119.8) = 669.8 kg of 1000 kg in -> 66.98 %, target 65
    recycling_efficiency_percent=66.98,
    # Annex XI, portable, 2027: collected 700 + 200 = 900 kg; sales (1000 + 1200 + 1400) / 3 = 1200 kg
    # -> 900 / 1200 = 75 %, target 63 % (end 2027)
    collection_percent=75.0,
    # Art. 8 for NMC-CELL-2, 2031 (on 2031-12-31 the 2031 minima apply):
    # cobalt: pre 9 / 150 = 6 %, post 18 / 150 = 12 %, total 18 % >= 16 -> meets
    # nickel: pre 20 / 1000 = 2 %, post 50 / 1000 = 5 %, total 7 % >= 6 -> meets
    # lithium: pre 4 / 200 = 2 %, post 0 %, total 2 % < 6 -> misses
    passport_values=MappingProxyType(
        {
            "pre_consumer_recycled_cobalt_share": 6.0,
            "post_consumer_recycled_cobalt_share": 12.0,
            "pre_consumer_recycled_nickel_share": 2.0,
            "post_consumer_recycled_nickel_share": 5.0,
            "pre_consumer_recycled_lithium_share": 2.0,
            "post_consumer_recycled_lithium_share": 0.0,
        }
    ),
    # the cobalt loop, kg: in the batteries 20 -> delivered 20 -> black mass 300 x 6.4 % = 19.2
    # -> recovered 18.6 -> sold 18.0 -> claimed 18.0
    cobalt_hops_kg=((20.0, 20.0), (20.0, 19.2), (19.2, 18.6), (18.6, 18.0), (18.0, 18.0)),
)


# The sales of the example's recovered material to the cathode maker, and what it claims from them.
COBALT_SALE, NICKEL_SALE = "S-2029-017", "S-2029-018"
EXAMPLE_CLAIMS: tuple[dict[str, object], ...] = (
    {"saleId": COBALT_SALE, "element": "cobalt", "massKg": 18.0},
    {"saleId": NICKEL_SALE, "element": "nickel", "massKg": 50.0},
)


def claim_body(
    model_id: str, claims: Sequence[Mapping[str, object]], values: Mapping[str, object]
) -> dict[str, object]:
    """The recycled-content claim of NMC-CELL-2 (``POST /management/v3/recycling/claims``): made in 2031
    with 150 kg Co, 1000 kg Ni, 200 kg Li in its active materials, plus pre-consumer scrap declared by the
    cathode maker (9 kg Co, 20 kg Ni, 4 kg Li); ``values`` are the new model's other passport values."""
    computed = {
        f"{o}_consumer_recycled_{e}_share" for o in ("pre", "post") for e in ("cobalt", "nickel", "lithium")
    }
    declared = [
        {"element": e, "massKg": kg, "source": "declaration CM-2031-3"}
        for e, kg in (("cobalt", 9.0), ("nickel", 20.0), ("lithium", 4.0))
    ]
    return {
        "modelId": model_id,
        "category": "ev",
        "plant": "Plant Saxony-1",
        "year": 2031,
        "on": "2031-12-31",
        "totalKg": {"cobalt": 150, "nickel": 1000, "lithium": 200},
        "claims": [dict(c) for c in claims],
        "preConsumer": declared,
        "values": {k: v for k, v in values.items() if k not in computed},
    }
