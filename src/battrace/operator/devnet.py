"""A real operator node on loopback, for the demo and the integration tests: `battrace space serve` in its
own process over its own space directory, like `battrace.devnet.NodeProcess` for company nodes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from battrace.clock import system_clock
from battrace.operator.files import SpaceFiles
from battrace.operator.service import init_space, space_dids


@dataclass
class OperatorProcess:
    name: str
    port: int
    work_dir: Path
    api_key: str = "battrace-dev-key"
    log_level: str = "warning"
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def did(self) -> str:
        return space_dids(self.base_url)[0]

    @property
    def certification_did(self) -> str:
        return space_dids(self.base_url)[1]

    @property
    def space_dir(self) -> Path:
        return self.work_dir / self.name

    def init(self) -> OperatorProcess:
        """Create the space unless it exists (a restart keeps its keys, credentials and recognitions)."""
        if not SpaceFiles(self.space_dir).exists():
            init_space(
                self.space_dir, name=self.name, public_url=self.base_url, api_key=self.api_key,
                clock=system_clock, dev=True,
            )  # fmt: skip
        return self

    def start(self, timeout: float = 90.0) -> OperatorProcess:
        self.init()
        log = (self.space_dir / "operator.log").open("ab")
        command = [sys.executable, "-m", "battrace.cli_space", "serve", "--dir", str(self.space_dir)]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", self.log_level]
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
        log.close()  # the child holds its own copy
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"operator {self.name} exited with {self.process.returncode}; "
                    f"see {self.space_dir}/operator.log"
                )
            try:
                if httpx.get(self.base_url + "/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(
            f"operator {self.name} not healthy after {timeout} s; see {self.space_dir}/operator.log"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, exactly like a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
