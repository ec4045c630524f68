from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from battrace.identity import NodeKeys, did_document, did_web

T0 = datetime(2025, 6, 1, 12, 0, 7, 123456, tzinfo=UTC)
PROVIDER = did_web("provider.example")
OTHER = did_web("other.example")
CONSUMER = did_web("consumer.example")


@dataclass(frozen=True)
class Party:
    did: str
    keys: NodeKeys

    @property
    def document(self) -> dict[str, Any]:
        return did_document(self.did, self.keys)


# session-wide parties: the tests never mutate them, and hypothesis reuses them across examples
_KEYS = {did: NodeKeys.generate() for did in (PROVIDER, OTHER, CONSUMER)}


@pytest.fixture(scope="session")
def provider() -> Party:
    return Party(PROVIDER, _KEYS[PROVIDER])


@pytest.fixture(scope="session")
def other() -> Party:
    return Party(OTHER, _KEYS[OTHER])


@pytest.fixture(scope="session")
def consumer() -> Party:
    return Party(CONSUMER, _KEYS[CONSUMER])
