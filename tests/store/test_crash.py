"""Store contract: a process killed with SIGKILL keeps what it committed and nothing else."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from battrace.store import Store

from .factories import negotiation

_VICTIM = textwrap.dedent(
    """
    import os, signal, sys
    sys.path[:0] = [{tests!r}]
    from store.factories import message, negotiation
    from battrace.store import Store

    store = Store({url!r})
    with store.transaction() as tx:
        tx.insert_negotiation(negotiation("committed", consumer_pid="c1", provider_pid="p1"))
        tx.enqueue(message("committed"))
    with store.transaction() as tx:
        tx.insert_negotiation(negotiation("in-flight", consumer_pid="c2", provider_pid="p2"))
        tx.enqueue(message("in-flight"))
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_killed_writer_leaves_committed_state_and_no_lock(store: Store) -> None:
    url = store._engine.url.render_as_string(hide_password=False)
    tests_dir = str(Path(__file__).parents[1])
    victim = subprocess.run(
        [sys.executable, "-c", _VICTIM.format(url=url, tests=tests_dir)], capture_output=True, timeout=60
    )
    assert victim.returncode == -9, victim.stderr.decode()
    with store.transaction() as tx:  # a write lock is available again at once
        assert tx.get_negotiation("committed") == negotiation(
            "committed", consumer_pid="c1", provider_pid="p1"
        )
        assert tx.get_negotiation("in-flight") is None
        assert [m.process_id for m in tx.due_messages(negotiation().created_at)] == ["committed"]
        tx.insert_negotiation(negotiation("after", consumer_pid="c3", provider_pid="p3"))
