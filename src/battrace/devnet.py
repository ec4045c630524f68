"""Real node processes on loopback, for the demo, the integration tests and the benchmark.

Each node is its own `battrace serve` process with its own data directory and database, exactly what a
company runs; nothing is mocked and nothing is shared but the loopback network.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from battrace.client import NodeClient
from battrace.identity import did_web


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def write_config(path: Path, settings: Mapping[str, Any], peers: Mapping[str, Mapping[str, Any]]) -> None:
    lines = [f"{key} = {_toml_value(value)}" for key, value in settings.items()]
    for did, claims in peers.items():
        lines.append(f"\n[peers.{_toml_value(did)}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in claims.items())
    path.write_text("\n".join(lines) + "\n", "utf-8")


@dataclass
class NodeProcess:
    name: str
    port: int
    work_dir: Path
    api_key: str = "battrace-dev-key"
    database_url: str | None = None
    peers: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    log_level: str = "warning"
    # `battrace serve --workers N` (PostgreSQL only above 1): the workers are children of `process`.
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def did(self) -> str:
        return did_web("127.0.0.1", self.port)

    @property
    def dsp(self) -> str:
        return self.base_url + "/api/dsp/2025-1"

    @property
    def data_dir(self) -> Path:
        return self.work_dir / self.name

    def client(self) -> NodeClient:
        return NodeClient(self.base_url, self.api_key)

    def start(self, timeout: float = 90.0) -> NodeProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "node.toml"
        settings: dict[str, Any] = {
            "name": self.name,
            "host": "127.0.0.1",
            "port": self.port,
            "data_dir": str(self.data_dir),
            "api_key": self.api_key,
            "dev": True,
            **self.extra,
        }
        if self.database_url:
            settings["database_url"] = self.database_url
        write_config(config, settings, self.peers)
        log = (self.data_dir / "node.log").open("ab")
        command = [sys.executable, "-m", "battrace.cli", "serve", "--config", str(config)]
        command += ["--log-level", self.log_level]
        if self.workers != 1:
            command += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # Workers get a process group of their own, so that `kill` ends them with the parent.
            start_new_session=self.workers != 1,
        )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"node {self.name} exited with {self.process.returncode}; see {self.data_dir}/node.log"
                )
            try:
                if httpx.get(self.base_url + "/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"node {self.name} not healthy after {timeout} s; see {self.data_dir}/node.log")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, exactly like a crash (of every worker too)."""
        if self.process is not None and self.process.poll() is None:
            if self.workers != 1:
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:  # uvicorn's parent first stops its workers, each finishing its requests
                self.process.wait(timeout=10 if self.workers == 1 else 60)
            except subprocess.TimeoutExpired:
                self.kill()
