"""Optional py-spy sampling of both nodes while the benchmark runs, and a reader for its collapsed stacks.

py-spy attaches from outside (ptrace), so the node code runs unchanged. `--nonblocking` keeps it from
pausing the nodes at each sample: a profiled run's timings stay close to an unprofiled one, but quote the
unprofiled figures. Samples of idle threads are dropped (py-spy's default): the counts are CPU, not waiting.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import TracebackType

from _cluster import Cluster, pid_of


class Profiler:
    def __init__(self, nodes: Cluster, directory: Path, stamp: str, *, enabled: bool,
                 rate: int = 200) -> None:
        self._targets = {role: pid_of(node) for role, node in nodes.nodes().items()} if enabled else {}
        self._directory = directory
        self._stamp = stamp
        self._rate = rate
        self._running: list[subprocess.Popen[bytes]] = []
        self.outputs: dict[str, str] = {}

    def __enter__(self) -> Profiler:
        if not self._targets:
            return self
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self._directory.mkdir(parents=True, exist_ok=True)
        for role, pid in self._targets.items():
            out = self._directory / f"{self._stamp}-{role}.collapsed.txt"
            self._running.append(subprocess.Popen(
                [py_spy, "record", "--pid", str(pid), "--rate", str(self._rate), "--nonblocking",
                 "--format", "raw", "--output", str(out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.outputs[role] = str(out)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for process in self._running:
            process.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        for process in self._running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def read_collapsed(path: Path) -> Counter[tuple[str, ...]]:
    """`frame;frame;frame count` lines (outermost first) → sample counts per stack."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text("utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def inclusive(stacks: Counter[tuple[str, ...]], match: str) -> int:
    """Samples with a frame containing `match` anywhere on the stack (each stack counted once)."""
    return sum(count for stack, count in stacks.items() if any(match in frame for frame in stack))


def top_self(stacks: Counter[tuple[str, ...]], limit: int) -> list[tuple[str, int]]:
    leaves: Counter[str] = Counter()
    for stack, count in stacks.items():
        leaves[stack[-1]] += count
    return leaves.most_common(limit)
