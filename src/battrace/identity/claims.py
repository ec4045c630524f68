"""Where verified callers get their attributes (BPN, membership, framework agreements, purposes).

Today the attributes come from configuration (StaticClaims). The trust layer will add a ClaimsSource built
from verified credentials (DCP presentation query); ChainedClaims composes them, so policy code never changes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

from battrace.identity.tokens import VerifiedCaller


class ClaimsSource(Protocol):
    def claims_for(self, caller: VerifiedCaller) -> Mapping[str, Any]: ...


def _read_only(claims: Mapping[str, Any]) -> Mapping[str, Any]:
    # a deep copy so that a policy evaluator mutating a nested list cannot change the configuration
    return MappingProxyType(copy.deepcopy(dict(claims)))


class StaticClaims:
    """Claims per DID from configuration, e.g. ``{"did:web:a": {"bpn": "BPNL…", "membership": "active",
    "frameworkAgreements": {"traceability": "1.0"}, "purposes": ["cx.pcf.base:1"]}}``. Unknown DIDs get
    ``defaults`` (empty when not given) — defaults are not merged into known DIDs' claims."""

    def __init__(
        self, by_did: Mapping[str, Mapping[str, Any]], *, defaults: Mapping[str, Any] | None = None
    ) -> None:
        self._by_did = {did: copy.deepcopy(dict(claims)) for did, claims in by_did.items()}
        self._defaults = copy.deepcopy(dict(defaults or {}))

    def claims_for(self, caller: VerifiedCaller) -> Mapping[str, Any]:
        return _read_only(self._by_did.get(caller.did, self._defaults))


class ChainedClaims:
    """Merges sources in order; a later source's key replaces an earlier one's (shallow merge)."""

    def __init__(self, *sources: ClaimsSource) -> None:
        self._sources = sources

    def claims_for(self, caller: VerifiedCaller) -> Mapping[str, Any]:
        merged: dict[str, Any] = {}
        for source in self._sources:
            merged.update(source.claims_for(caller))
        return _read_only(merged)
