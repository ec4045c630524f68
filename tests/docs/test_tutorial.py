"""docs/tutorial.md is executable: its ```bash tutorial blocks run, in order, in one bash shell against real
operator and node processes, and each ```text expected block lists lines the block before it must print.

The tutorial's ports (8101, 8102, 8201) are placeholders: the test swaps them for free loopback ports in the
commands and in the expected output alike, so the run never collides with a node already on the machine.
Every process the tutorial starts stays in the shell's own process group, which the test ends at the close.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
PORTS = ("8101", "8102", "8201")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
STEP_MARK = "=== tutorial step {} ==="


@dataclass
class Step:
    commands: str
    expected: list[str] = field(default_factory=list)


def tutorial_steps(markdown: str) -> list[Step]:
    """The ```bash tutorial blocks in order, each with the lines of the ```text expected block after it."""
    steps: list[Step] = []
    for match in FENCE.finditer(markdown):
        info, body = match.group(1).split(), match.group(2)
        if info == ["bash", "tutorial"]:
            steps.append(Step(body))
        elif info == ["text", "expected"]:
            assert steps, "an expected block before any tutorial block"
            steps[-1].expected.extend(line for line in body.splitlines() if line.strip())
    return steps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def with_free_ports(text: str, ports: dict[str, str]) -> str:
    return re.sub("|".join(ports), lambda m: ports[m.group(0)], text)


def script_of(steps: list[Step]) -> str:
    body = "\n".join(f"echo '{STEP_MARK.format(i)}'\n{step.commands}" for i, step in enumerate(steps))
    return "set -euo pipefail\n" + body + "\n"


def outputs_per_step(stdout: str, count: int) -> list[str]:
    parts = re.split(r"^=== tutorial step (\d+) ===$\n?", stdout, flags=re.MULTILINE)
    found = {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    return [found.get(i, "") for i in range(count)]


def test_the_tutorial_has_steps_with_expected_output() -> None:
    steps = tutorial_steps(TUTORIAL.read_text("utf-8"))
    assert len(steps) >= 10
    assert sum(1 for step in steps if step.expected) >= 10


NEEDS = ("bash", "curl", "jq")


@pytest.mark.skipif(not all(map(shutil.which, NEEDS)), reason="the tutorial needs bash, curl and jq")
def test_a_newcomer_following_the_tutorial_sees_what_it_promises(tmp_path: Path) -> None:
    ports = {port: str(free_port()) for port in PORTS}
    steps = [
        Step(with_free_ports(s.commands, ports), [with_free_ports(line, ports) for line in s.expected])
        for s in tutorial_steps(TUTORIAL.read_text("utf-8"))
    ]
    # `battrace` and `python` of the environment running the tests, as `. .venv/bin/activate` gives them.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    shell = subprocess.Popen(
        ["bash", "-c", script_of(steps)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # A bound, not a timing assertion: the run takes about 40 s on an idle machine.
        stdout, stderr = shell.communicate(timeout=180)
    finally:
        with contextlib.suppress(ProcessLookupError):  # the group is gone when every server stopped
            os.killpg(shell.pid, signal.SIGKILL)  # servers left running by a failed step
        shell.wait()
    logs = {p.name: p.read_text("utf-8", "replace")[-2000:] for p in tmp_path.glob("*.log")}
    assert shell.returncode == 0, f"stderr:\n{stderr}\nstdout:\n{stdout}\nlogs: {logs}"
    for number, (step, output) in enumerate(zip(steps, outputs_per_step(stdout, len(steps)), strict=True)):
        for line in step.expected:
            assert line in output, f"step {number}: expected {line!r} in:\n{output}\n---\n{step.commands}"
