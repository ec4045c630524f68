"""`battrace demo` — the product's first impression — runs the whole two-data-space scenario and exits 0."""

from __future__ import annotations

import random
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def free_base_port() -> int:
    """A base port whose demo ports (base..base+2, base+100, base+101) are all free right now."""
    for _ in range(50):
        base = random.randrange(20000, 30000)
        try:
            for port in (base, base + 1, base + 2, base + 100, base + 101):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range")


def test_demo_runs_the_battery_supply_chain_across_two_data_spaces() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "battrace.cli", "demo", "--base-port", str(free_base_port())],
        capture_output=True,
        text=True,
        timeout=240,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "verified against the cell maker's signature" in out
    assert "OEM received 58.4 kg CO2e per kWh" in out
    assert "Signed checkpoint: 127.0.0.1:" in out
    assert "refused, as the trust lists say" in out
    assert "Battery passports: 50 issued" in out
    assert "state-of-health readings" in out and "/passport/urn:uuid:" in out
