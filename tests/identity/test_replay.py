from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from battrace.identity import MemoryReplayGuard, ReplayCacheFull

from .conftest import T0, FakeClock


def test_first_use_is_accepted_and_second_refused() -> None:
    guard = MemoryReplayGuard(clock=FakeClock())
    assert guard.check_and_record("did:web:a", "j1", T0 + timedelta(minutes=2))
    assert not guard.check_and_record("did:web:a", "j1", T0 + timedelta(minutes=2))


def test_jti_is_scoped_per_issuer() -> None:
    guard = MemoryReplayGuard(clock=FakeClock())
    assert guard.check_and_record("did:web:a", "j1", T0 + timedelta(minutes=2))
    assert guard.check_and_record("did:web:b", "j1", T0 + timedelta(minutes=2))


def test_expired_entries_are_evicted() -> None:
    clock = FakeClock()
    guard = MemoryReplayGuard(clock=clock)
    for n in range(10):
        guard.check_and_record("did:web:a", f"j{n}", T0 + timedelta(seconds=n + 1))
    clock.advance(timedelta(seconds=5))
    guard.check_and_record("did:web:a", "later", T0 + timedelta(minutes=1))
    assert len(guard) == 6  # j5..j9 and "later"


def test_full_guard_refuses_instead_of_forgetting_live_tokens() -> None:
    clock = FakeClock()
    guard = MemoryReplayGuard(clock=clock, max_entries=2)
    guard.check_and_record("did:web:a", "j1", T0 + timedelta(minutes=1))
    guard.check_and_record("did:web:a", "j2", T0 + timedelta(minutes=1))
    with pytest.raises(ReplayCacheFull) as raised:
        guard.check_and_record("did:web:a", "j3", T0 + timedelta(minutes=1))
    assert raised.value.status == 503
    assert not guard.check_and_record("did:web:a", "j1", T0 + timedelta(minutes=1))
    clock.advance(timedelta(minutes=1))
    assert guard.check_and_record("did:web:a", "j3", T0 + timedelta(minutes=2))


def test_concurrent_uses_of_one_jti_succeed_exactly_once() -> None:
    guard = MemoryReplayGuard(clock=FakeClock())
    barrier = threading.Barrier(16)
    results: list[bool] = []

    def use() -> None:
        barrier.wait()
        results.append(guard.check_and_record("did:web:a", "shared", T0 + timedelta(minutes=1)))

    threads = [threading.Thread(target=use) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]
