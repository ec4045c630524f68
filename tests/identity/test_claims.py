from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from battrace.identity import ChainedClaims, ClaimsSource, StaticClaims, VerifiedCaller

from .conftest import T0

ALICE = "did:web:alice.example"
BOB = "did:web:bob.example"
CONFIG: dict[str, Any] = {
    ALICE: {
        "bpn": "BPNL000000000001",
        "membership": "active",
        "frameworkAgreements": {"traceability": "1.0"},
        "purposes": ["cx.pcf.base:1"],
    }
}


def caller(did: str) -> VerifiedCaller:
    return VerifiedCaller(did, "j", T0 + timedelta(minutes=2), {"iss": did})


def test_static_claims_are_looked_up_by_did() -> None:
    assert StaticClaims(CONFIG).claims_for(caller(ALICE)) == CONFIG[ALICE]


def test_unknown_did_gets_the_defaults_or_nothing() -> None:
    assert StaticClaims(CONFIG).claims_for(caller(BOB)) == {}
    source = StaticClaims(CONFIG, defaults={"membership": "none"})
    assert source.claims_for(caller(BOB)) == {"membership": "none"}
    assert "membership" in source.claims_for(caller(ALICE))
    assert source.claims_for(caller(ALICE))["membership"] == "active"  # defaults do not leak into known DIDs


def test_static_claims_are_read_only_and_isolated_from_the_configuration() -> None:
    config = {ALICE: {"purposes": ["a"]}}
    source = StaticClaims(config)
    claims = source.claims_for(caller(ALICE))
    with pytest.raises(TypeError):
        claims["bpn"] = "x"  # type: ignore[index]
    claims["purposes"].append("smuggled")
    config[ALICE]["purposes"].append("edited later")
    assert source.claims_for(caller(ALICE)) == {"purposes": ["a"]}


class _CredentialClaims:
    """Stand-in for the future verifiable-credential source: anything with claims_for plugs in."""

    def claims_for(self, caller: VerifiedCaller) -> Mapping[str, Any]:
        return {"membership": "verified-by-vc", "credentials": ["MembershipCredential"]}


def test_chained_claims_merge_in_order_later_sources_win() -> None:
    chained = ChainedClaims(StaticClaims(CONFIG), _CredentialClaims())
    merged = chained.claims_for(caller(ALICE))
    assert merged["bpn"] == "BPNL000000000001"
    assert merged["membership"] == "verified-by-vc"
    assert merged["credentials"] == ["MembershipCredential"]
    with pytest.raises(TypeError):
        merged["bpn"] = "x"  # type: ignore[index]


def test_sources_satisfy_the_claims_source_protocol() -> None:
    sources: list[ClaimsSource] = [StaticClaims({}), ChainedClaims(), _CredentialClaims()]
    assert all(source.claims_for(caller(BOB)) is not None for source in sources)
