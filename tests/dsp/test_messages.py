"""Outbound builders: every message validates against its official schema and parses back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from battrace.dsp import messages as m
from battrace.dsp.parse import parse_message
from battrace.dsp.states import NegotiationState, TransferState
from battrace.dsp.validation import validate_message
from battrace.errors import InvalidInput
from battrace.jsonld import CX_POLICY_CONTEXT, DSP_CONTEXT, EDC_NS, TX_AUTH_NS

OFFER = {
    "@id": "urn:uuid:offer-1",
    "@type": "Offer",
    "target": "urn:uuid:dataset-1",
    "permission": [
        {
            "action": "use",
            "constraint": [
                {
                    "leftOperand": "FrameworkAgreement",
                    "operator": "eq",
                    "rightOperand": "DataExchangeGovernance:1.0",
                }
            ],
        }
    ],
}
AGREEMENT = {
    "@id": "urn:uuid:agreement-1",
    "@type": "Agreement",
    "target": "urn:uuid:dataset-1",
    "assigner": "did:web:provider.example",
    "assignee": "did:web:consumer.example",
    "timestamp": "2025-01-01T00:00:00Z",
    "permission": [{"action": "use"}],
}
EDR = m.data_address_edr("https://dp.example/api/public", "tok", 600)

pids = st.text(min_size=1, max_size=40)
texts = st.text(max_size=30)
reasons = st.lists(texts, max_size=3)

BUILDERS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "request-initial": lambda c, p: m.contract_request(c, OFFER, callback_address="https://c.example/cb"),
    "request-counter": lambda c, p: m.contract_request(c, OFFER, provider_pid=p),
    "offer-initial": lambda c, p: m.contract_offer(p, OFFER, callback_address="https://p.example/cb"),
    "offer-counter": lambda c, p: m.contract_offer(p, OFFER, consumer_pid=c),
    "agreement": lambda c, p: m.contract_agreement(p, c, AGREEMENT),
    "verification": lambda c, p: m.agreement_verification(p, c),
    "accepted": lambda c, p: m.negotiation_event(p, c, "ACCEPTED"),
    "finalized": lambda c, p: m.negotiation_event(p, c, "FINALIZED"),
    "negotiation-termination": lambda c, p: m.negotiation_termination(p, c, "X", ["why"]),
    "negotiation-termination-bare": lambda c, p: m.negotiation_termination(p, c),
    "negotiation-ack": lambda c, p: m.negotiation_ack(p, c, NegotiationState.REQUESTED),
    "negotiation-error": lambda c, p: m.negotiation_error(p, c, "400", ["bad"]),
    "transfer-request-pull": lambda c, p: m.transfer_request(
        c, "urn:uuid:a", "HttpData-PULL", "https://c/cb"
    ),
    "transfer-request-push": lambda c, p: m.transfer_request(
        c, "urn:uuid:a", "HttpData-PUSH", "https://c/cb", EDR
    ),
    "transfer-start-pull": lambda c, p: m.transfer_start(p, c, EDR),
    "transfer-start-push": lambda c, p: m.transfer_start(p, c),
    "transfer-suspension": lambda c, p: m.transfer_suspension(p, c, "S", ["pause"]),
    "transfer-completion": lambda c, p: m.transfer_completion(p, c),
    "transfer-termination": lambda c, p: m.transfer_termination(p, c, reason=["done"]),
    "transfer-ack": lambda c, p: m.transfer_ack(p, c, TransferState.STARTED),
    "transfer-error": lambda c, p: m.transfer_error(p, c, "404", ["unknown"]),
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builder_output_is_valid_against_its_official_schema_and_parses(name: str) -> None:
    body = BUILDERS[name]("urn:uuid:consumer-pid", "urn:uuid:provider-pid")
    validate_message(body)
    parsed = parse_message(body)
    assert getattr(parsed, "consumer_pid", "urn:uuid:consumer-pid") in ("urn:uuid:consumer-pid", None)
    assert body["@context"] == [DSP_CONTEXT]


@pytest.mark.parametrize("name", list(BUILDERS))
@given(consumer_pid=pids, provider_pid=pids)
def test_builder_output_stays_valid_for_any_process_ids(
    name: str, consumer_pid: str, provider_pid: str
) -> None:
    validate_message(BUILDERS[name](consumer_pid, provider_pid))


@given(code=st.none() | texts, reason=reasons)
def test_termination_and_error_bodies_are_valid_for_any_code_and_reason(
    code: str | None, reason: list[str]
) -> None:
    validate_message(m.negotiation_termination("p", "c", code, reason))
    validate_message(m.transfer_termination("p", "c", code, reason))
    validate_message(m.transfer_suspension("p", "c", code, reason))
    validate_message(m.catalog_error(code or "", reason))


@pytest.mark.parametrize("state", list(NegotiationState))
def test_negotiation_ack_is_valid_in_every_state(state: NegotiationState) -> None:
    assert parse_message(m.negotiation_ack("p", "c", state)).state is state  # type: ignore[union-attr]


@pytest.mark.parametrize("state", list(TransferState))
def test_transfer_ack_is_valid_in_every_state(state: TransferState) -> None:
    assert parse_message(m.transfer_ack("p", "c", state)).state is state  # type: ignore[union-attr]


def test_catalog_error_is_valid() -> None:
    validate_message(m.catalog_error("404", ["no such dataset"]), expected_type="CatalogError")


def test_extra_contexts_come_before_the_protected_dsp_context() -> None:
    body = m.contract_request(
        "c", OFFER, callback_address="https://cb", contexts=[CX_POLICY_CONTEXT, DSP_CONTEXT]
    )
    assert body["@context"] == [CX_POLICY_CONTEXT, DSP_CONTEXT]
    assert (
        m.contract_agreement("p", "c", AGREEMENT, contexts=[CX_POLICY_CONTEXT])["@context"][-1] == DSP_CONTEXT
    )


def test_initial_request_has_no_provider_pid_and_counter_request_no_callback() -> None:
    initial = m.contract_request("c", OFFER, callback_address="https://cb")
    counter = m.contract_request("c", OFFER, provider_pid="p")
    assert "providerPid" not in initial and initial["callbackAddress"] == "https://cb"
    assert "callbackAddress" not in counter and counter["providerPid"] == "p"


@pytest.mark.parametrize("kwargs", [{}, {"callback_address": "https://cb", "provider_pid": "p"}])
def test_request_with_both_or_neither_of_callback_and_provider_pid_is_a_programming_error(
    kwargs: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        m.contract_request("c", OFFER, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"callback_address": "https://cb", "consumer_pid": "c"}])
def test_offer_with_both_or_neither_of_callback_and_consumer_pid_is_a_programming_error(
    kwargs: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        m.contract_offer("p", OFFER, **kwargs)


def test_negotiation_event_refuses_other_event_types() -> None:
    with pytest.raises(ValueError):
        m.negotiation_event("p", "c", "AGREED")  # type: ignore[arg-type]


def test_builders_do_not_share_the_callers_offer() -> None:
    offer = dict(OFFER)
    body = m.contract_request("c", offer, callback_address="https://cb")
    body["offer"]["@id"] = "changed"
    assert offer["@id"] == OFFER["@id"]


# --- version metadata and EDR -----------------------------------------------------------------------


def test_version_response_lists_2025_1_with_path_and_https_binding() -> None:
    body = m.version_response("/api/dsp/2025-1")
    validate_message(body, expected_type="VersionResponse")
    assert body["protocolVersions"] == [
        {"version": "2025-1", "path": "/api/dsp/2025-1", "binding": "HTTPS", "identifierType": "did:web"}
    ]


def test_edr_uses_the_catena_x_property_iris() -> None:
    edr = m.data_address_edr(
        "https://dp/x", "tok", 300, refresh_endpoint="https://dp/refresh", refresh_token="r"
    )
    assert edr["endpointType"] == "https://w3id.org/idsa/v4.1/HTTP"
    props = {p["name"]: p["value"] for p in edr["endpointProperties"]}
    assert props == {
        f"{EDC_NS}authorization": "tok",
        f"{EDC_NS}authType": "bearer",
        f"{TX_AUTH_NS}expiresIn": "300",
        f"{TX_AUTH_NS}refreshToken": "r",
        f"{TX_AUTH_NS}refreshEndpoint": "https://dp/refresh",
    }
    validate_message(m.transfer_start("p", "c", edr))


@given(endpoint=st.text(min_size=1), token=st.text(), expires_in=st.integers(min_value=0, max_value=10**9))
def test_read_edr_returns_what_data_address_edr_wrote(endpoint: str, token: str, expires_in: int) -> None:
    assert m.read_edr(m.data_address_edr(endpoint, token, expires_in)) == (endpoint, token, expires_in)


def test_read_edr_accepts_the_short_property_names_of_the_dsp_examples() -> None:
    address = {
        "@type": "DataAddress",
        "endpointType": "https://w3id.org/idsa/v4.1/HTTP",
        "endpoint": "http://e",
        "endpointProperties": [
            {"@type": "EndpointProperty", "name": "authorization", "value": "T"},
            {"@type": "EndpointProperty", "name": "tx-auth:expiresIn", "value": "60"},
        ],
    }
    assert m.read_edr(address) == ("http://e", "T", 60)


@pytest.mark.parametrize(
    "address",
    [
        {"endpointProperties": []},
        {"endpoint": "http://e", "endpointProperties": []},
        {"endpoint": "http://e", "endpointProperties": [{"name": "authorization", "value": "T"}]},
        {
            "endpoint": "http://e",
            "endpointProperties": [
                {"name": "authorization", "value": "T"},
                {"name": "expiresIn", "value": "soon"},
            ],
        },
    ],
    ids=["no-endpoint", "no-token", "no-expiry", "expiry-not-a-number"],
)
def test_incomplete_edr_is_invalid_input(address: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        m.read_edr(address)
