from __future__ import annotations

from datetime import date

import pytest

from battrace.contracts import Parties, Party, RenderedContract, load_example, render_contract

TEMPLATE_IDS = ("battery-data-exchange-v1", "battery-supply-v1")
PROVIDER = Party("Example Cells Ltd.", "did:web:cells.example.com", bpn="BPNL000000000001")
CONSUMER = Party("Example Motors AG", "did:web:motors.example.com", bpn="BPNL000000000002")
PARTIES = Parties(PROVIDER, CONSUMER)
AGREEMENT = "urn:uuid:00000000-0000-4000-8000-000000000001"
EFFECTIVE = date(2025, 3, 1)


def render_example(template_id: str) -> RenderedContract:
    example = load_example(template_id)
    return render_contract(
        example.template_id,
        example.parameters,
        parties=example.parties,
        agreement_id=example.agreement_id,
        effective=example.effective,
    )


def render_with(template_id: str, **changes: object) -> RenderedContract:
    """The example of ``template_id`` with some parameters changed, for the fixed parties above."""
    parameters = {**load_example(template_id).parameters, **changes}
    return render_contract(
        template_id, parameters, parties=PARTIES, agreement_id=AGREEMENT, effective=EFFECTIVE
    )


@pytest.fixture(scope="module")
def supply() -> RenderedContract:
    return render_example("battery-supply-v1")


@pytest.fixture(scope="module")
def data_exchange() -> RenderedContract:
    return render_example("battery-data-exchange-v1")
