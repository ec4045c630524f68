"""Helpers for the credential tests: an issuer with a DID document, a trust list stub, a fixed clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from battrace.errors import NotFound
from battrace.trust import IssuerKey

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ISSUER = "did:web:issuer.example"
HOLDER = "did:web:cellmaker.example"


@dataclass
class Directory:
    """DID documents by DID; an unknown DID raises like a resolver would."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, did: str, *keys: IssuerKey, assertion: bool = True) -> None:
        methods = [k.verification_method(did) for k in keys]
        ids = [m["id"] for m in methods]
        self.documents[did] = {
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": did,
            "verificationMethod": methods,
            "authentication": ids,
            "assertionMethod": ids if assertion else [],
        }

    def __call__(self, did: str) -> Mapping[str, Any]:
        if did not in self.documents:
            raise NotFound(f"no DID document for {did}")
        return self.documents[did]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...] = ()


def trusting(*issuers: str) -> Any:
    def is_trusted(issuer: str, credential_type: str, at: datetime) -> Decision:
        if issuer in issuers:
            return Decision(True, (f"{issuer} is on the trust list for {credential_type}",))
        return Decision(False, (f"{issuer} is not on the trust list",))

    return is_trusted


def later(**kwargs: float) -> datetime:
    return NOW + timedelta(**kwargs)
