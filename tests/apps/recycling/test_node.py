"""The claim request the cell maker sends (parsing only; the node flows run in
tests/integration/test_recycling_loop.py)."""

from __future__ import annotations

from typing import Any

import pytest

from battrace.apps.recycling.events import Element
from battrace.apps.recycling.node import parse_claim_request
from battrace.apps.recycling.recycled_content import Origin
from battrace.errors import InvalidInput

MAKER = "did:web:cathode.example"


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "modelId": "urn:battrace:model:nmc-cell-2",
        "category": "ev",
        "plant": "Plant Saxony-1",
        "year": 2031,
        "on": "2031-12-31",
        "totalKg": {"cobalt": 150, "nickel": 1000},
        "claims": [{"saleId": "S-2029-017", "element": "cobalt", "massKg": 18}],
        "preConsumer": [{"element": "cobalt", "massKg": 9, "source": "declaration CM-2031-3"}],
    }
    return body | changes


def test_a_claim_request_names_this_node_as_the_material_maker_of_every_claim() -> None:
    request = parse_claim_request(_body(), MAKER)
    (claim,) = request.claims
    assert (claim.model, claim.material_maker, claim.element, claim.mass_kg) == (
        "urn:battrace:model:nmc-cell-2", MAKER, Element.COBALT, 18.0,
    )  # fmt: skip
    (pre,) = request.pre_consumer
    assert (pre.origin, pre.mass_kg) == (Origin.PRE_CONSUMER, 9.0)
    assert request.total_kg == {Element.COBALT: 150.0, Element.NICKEL: 1000.0}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"claims": []}, "claims"),
        ({"claims": [{"saleId": "S-1", "element": "cobalt", "massKg": -1}]}, "claims.0.massKg"),
        ({"claims": [{"saleId": "S-1", "element": "gold", "massKg": 1}]}, "claims.0.element"),
        ({"totalKg": {}}, "totalKg"),
        ({"on": "31/12/2031"}, "on"),
        ({"category": "portable"}, "category"),
        ({"year": True}, "year"),
    ],
)
def test_a_bad_claim_request_names_the_field(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_claim_request(_body(**changes), MAKER)
    assert refused.value.extra.get("reason") == reason
