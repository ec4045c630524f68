"""Injectable time and identifiers: domain code never calls datetime.now() or uuid4() itself."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def system_clock() -> datetime:
    return datetime.now(UTC)


def urn_uuid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def iso(ts: datetime) -> str:
    """xsd:dateTime in UTC with a Z suffix, as the DSP schemas' timestamp regex expects."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
