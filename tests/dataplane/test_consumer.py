"""The consumer's node signs DPoP proofs for its own EDRs only (battrace.dataplane.consumer)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from battrace.connector.records import CONSUMER, PROVIDER, Transfer
from battrace.dataplane import dpop
from battrace.dataplane.consumer import edr_proof
from battrace.dsp import messages as dsp
from battrace.errors import InvalidInput, NotFound
from battrace.identity import MemoryReplayGuard, NodeKeys

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=UTC)
ENDPOINT = "http://provider.example:8101/api/public"
KEYS = NodeKeys.generate()
TRANSFER = Transfer(
    id="t-1",
    role=CONSUMER,
    state="STARTED",
    consumer_pid="c-1",
    provider_pid="p-1",
    agreement_id="a-1",
    format="HttpData-PULL",
    counterparty_did="did:web:provider.example%3A8101",
    counterparty_address=ENDPOINT,
    data_address=dsp.data_address_edr(ENDPOINT, "the-token", 600),
    error_detail=None,
    created_at=NOW,
    updated_at=NOW,
)


def test_the_headers_carry_the_edr_token_and_a_proof_the_provider_accepts() -> None:
    url = ENDPOINT + "/batteries/BAT-1"
    headers = edr_proof(TRANSFER, KEYS, htm="GET", htu=url, now=NOW, jti="j-1")
    assert headers["authorization"] == "DPoP the-token"
    jkt = dpop.thumbprint(KEYS.public_jwk())
    replay = MemoryReplayGuard(clock=lambda: NOW)
    dpop.check_proof(
        headers["dpop"], method="GET", url=url, token="the-token", jkt=jkt, now=NOW, replay=replay
    )


@pytest.mark.parametrize(
    "htu",
    [
        "http://rival.example:8101/api/public",
        "http://provider.example:8102/api/public",
        "http://provider.example:8101/management/v3/assets",
        "http://provider.example:8101/api/publicity",
        "http://[",
    ],
)
def test_no_proof_for_a_url_outside_the_edrs_endpoint(htu: str) -> None:
    with pytest.raises(InvalidInput):
        edr_proof(TRANSFER, KEYS, htm="GET", htu=htu, now=NOW, jti="j-2")


def test_no_proof_for_a_method_that_is_not_one() -> None:
    with pytest.raises(InvalidInput):
        edr_proof(TRANSFER, KEYS, htm="GET /admin", htu=ENDPOINT, now=NOW, jti="j-3")


def test_no_proof_for_a_transfer_without_an_edr_of_ours() -> None:
    for transfer in (replace(TRANSFER, role=PROVIDER), replace(TRANSFER, data_address=None)):
        with pytest.raises(NotFound):
            edr_proof(transfer, KEYS, htm="GET", htu=ENDPOINT, now=NOW, jti="j-4")
