"""Replay protection for self-issued tokens: a ``jti`` is accepted once per issuer until the token expires."""

from __future__ import annotations

import heapq
import threading
from datetime import datetime
from typing import ClassVar, Protocol

from battrace.clock import Clock
from battrace.errors import BattraceError


class ReplayCacheFull(BattraceError):
    """Too many live tokens to remember. Refusing is the only safe answer: forgetting a live jti early would
    let it be replayed."""

    status: ClassVar[int] = 503
    title: ClassVar[str] = "Service unavailable"


class ReplayGuard(Protocol):
    def check_and_record(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        """Record (issuer, jti) until ``expires_at``; False when already recorded and not yet expired."""
        ...


class MemoryReplayGuard:
    """In-process, thread-safe guard. Expired entries are dropped; when full it raises ReplayCacheFull."""

    def __init__(self, *, clock: Clock, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._clock = clock
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], datetime] = {}
        self._expiries: list[tuple[datetime, tuple[str, str]]] = []  # min-heap, may hold stale pairs

    def check_and_record(self, issuer: str, jti: str, expires_at: datetime) -> bool:
        key = (issuer, jti)
        with self._lock:
            now = self._clock()
            self._evict(now)
            known = self._seen.get(key)
            if known is not None and known > now:
                return False
            if len(self._seen) >= self._max_entries:
                raise ReplayCacheFull(f"replay cache holds {self._max_entries} live tokens")
            self._seen[key] = expires_at
            heapq.heappush(self._expiries, (expires_at, key))
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def _evict(self, now: datetime) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            expires_at, key = heapq.heappop(self._expiries)
            if self._seen.get(key) == expires_at:
                del self._seen[key]
