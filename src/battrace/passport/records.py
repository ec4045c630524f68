"""What the passport service hands to its readers (HTTP API, DSP data plane, web viewer).

A ``PassportDocument`` is already split for one caller (``battrace.passport.views``): the values, the dynamic
series and the status timeline it carries are exactly what that caller may see. Readers serialise it; they
never filter it again and never see the stored passport itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from battrace.passport.attributes import Audience, BatteryCategory
from battrace.passport.lifecycle import DynamicValue, PassportState, StatusEvent
from battrace.passport.views import PassportView


@dataclass(frozen=True)
class PassportDocument:
    """One passport as one caller may see it.

    * ``view``: static and latest dynamic values visible to the caller, and the access levels withheld.
    * ``series``: time series of the dynamic attributes the caller may see (oldest first).
    * ``timeline``: the status history, empty unless the caller may see ``battery_status`` (Annex XIII 4(c)
      is a legitimate-interest attribute).
    * ``state``: likewise ``None`` unless the caller may see ``battery_status``.
    * ``predecessor`` / ``successor``: the linked passports of Art. 77(7) (ids only; they are public, since a
      second-life battery's public view must say it has a past).
    * ``model_id``: the battery model whose shared values the passport carries.
    * ``signature``: the issuer's detached JWS (Ed25519) over the canonical static values as issued, so a
      reader can check who issued it; only on documents whose view is the complete issued set.
    """

    passport_id: str
    model_id: str
    category: BatteryCategory
    responsible_operator: str
    issued_at: datetime
    audiences: frozenset[Audience]
    view: PassportView
    series: Mapping[str, tuple[DynamicValue, ...]] = field(default_factory=dict)
    timeline: tuple[StatusEvent, ...] = ()
    state: PassportState | None = None
    predecessor: str | None = None
    successor: str | None = None
    signature: str | None = None


class PassportReader(Protocol):
    """The read side of the passport service, as the viewer and the APIs use it."""

    def document(self, passport_id: str, audiences: frozenset[Audience]) -> PassportDocument:
        """The passport split for ``audiences``; NotFound when there is no such passport."""
        ...
