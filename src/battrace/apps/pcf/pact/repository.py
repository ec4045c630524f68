"""Where a PACT host keeps its footprints; the v3 filter criteria of ListFootprints and RequestCreatedEvent.

Filtering (openapi_v3_0.yaml, `ListFootprints` §Filtering): OR within one criterion, AND across criteria;
`productId`, `companyId`, `geography`, `classification` and `status` match case-insensitively. The validity
period of a footprint without one is [referencePeriodEnd, referencePeriodEnd + 3 years] (§validity-period).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from battrace.apps.pcf.pact.model import ProductFootprint
from battrace.errors import Conflict


@dataclass(frozen=True)
class FootprintFilter:
    """The v3 filter criteria. An empty tuple or None means "not filtered on"."""

    productId: tuple[str, ...] = ()
    companyId: tuple[str, ...] = ()
    geography: tuple[str, ...] = ()
    classification: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    validOn: datetime | None = None
    validAfter: datetime | None = None
    validBefore: datetime | None = None

    def is_empty(self) -> bool:
        return self == FootprintFilter()

    def matches(self, pf: ProductFootprint) -> bool:
        return (
            _any_of(self.productId, pf.productIds)
            and _any_of(self.companyId, pf.companyIds)
            and _any_of(self.geography, pf.pcf.geographies())
            and _any_of(self.classification, pf.productClassifications or ())
            and _any_of(self.status, (pf.status,))
            and self._validity_matches(pf)
        )

    def _validity_matches(self, pf: ProductFootprint) -> bool:
        start, end = validity_period(pf)
        if self.validOn is not None and not start <= self.validOn <= end:
            return False
        if self.validAfter is not None and not start > self.validAfter:
            return False
        return self.validBefore is None or end < self.validBefore


def _any_of(wanted: tuple[str, ...], actual: Sequence[str]) -> bool:
    if not wanted:
        return True
    have = {value.casefold() for value in actual}
    return any(value.casefold() in have for value in wanted)


def validity_period(pf: ProductFootprint) -> tuple[datetime, datetime]:
    """The declared validity period, or its default: from the reference period end, three years long."""
    reference_end = pf.pcf.referencePeriodEnd
    start = pf.validityPeriodStart or reference_end
    end = pf.validityPeriodEnd or _plus_years(reference_end, 3)
    return start, end


def _plus_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a common year
        return moment.replace(year=moment.year + years, day=28)


class FootprintRepository(Protocol):
    """What the PACT host reads. Order must be stable so that offset pagination links repeat their page."""

    def get(self, pf_id: uuid.UUID) -> ProductFootprint | None: ...

    def find(
        self, criteria: FootprintFilter, *, offset: int, limit: int
    ) -> tuple[list[ProductFootprint], bool]:
        """One page of the matching footprints and whether more follow it."""
        ...


@runtime_checkable
class ClientScopedRepository(Protocol):
    """A repository whose footprints are not all offered to every client."""

    def for_client(self, client_id: str) -> FootprintRepository:
        """What ``client_id`` may see; anything else is absent from it, exactly like a missing footprint."""
        ...


def visible_to(repository: FootprintRepository, client_id: str) -> FootprintRepository:
    """The footprints one authenticated client may see (all of them unless the repository scopes them)."""
    if isinstance(repository, ClientScopedRepository):
        return repository.for_client(client_id)
    return repository


class InMemoryFootprintRepository:
    """Footprints in insertion order, thread-safe (v3: footprints are immutable except deprecation)."""

    def __init__(self, footprints: Sequence[ProductFootprint] = ()) -> None:
        self._lock = threading.Lock()
        self._items: dict[uuid.UUID, ProductFootprint] = {}
        for pf in footprints:
            self.add(pf)

    def add(self, pf: ProductFootprint) -> None:
        with self._lock:
            if pf.id in self._items:
                # v3 §lifecycle: a footprint never changes; a new calculation is a new id.
                raise Conflict(
                    f"footprint {pf.id} exists; publish a new footprint with precedingPfIds instead"
                )
            self._items[pf.id] = pf

    def deprecate(self, pf_id: uuid.UUID) -> ProductFootprint:
        """The one mutation v3 allows: status Active → Deprecated."""
        with self._lock:
            pf = self._items[pf_id]
            deprecated = pf.model_copy(update={"status": "Deprecated"})
            self._items[pf_id] = deprecated
            return deprecated

    def get(self, pf_id: uuid.UUID) -> ProductFootprint | None:
        with self._lock:
            return self._items.get(pf_id)

    def find(
        self, criteria: FootprintFilter, *, offset: int, limit: int
    ) -> tuple[list[ProductFootprint], bool]:
        with self._lock:
            matching = [pf for pf in self._items.values() if criteria.matches(pf)]
        return matching[offset : offset + limit], len(matching) > offset + limit
