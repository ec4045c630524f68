"""The command line fails cleanly on bad settings (no traceback) and documents its options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "battrace.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_serve_with_a_bad_config_exits_2_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text("port = 'eighty'\n")
    result = run("serve", "--config", str(config))
    assert result.returncode == 2
    assert "invalid settings" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_serve_help_lists_every_option_of_the_issue() -> None:
    help_text = run("serve", "--help").stdout
    for option in (
        "--name",
        "--host",
        "--port",
        "--data-dir",
        "--database-url",
        "--config",
        "--api-key",
        "--dev",
    ):
        assert option in help_text
