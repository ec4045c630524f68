"""`battrace db upgrade` brings a node's database to the newest migration before it starts (deploy.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

import battrace.store.store as store_module
from battrace.cli import app


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(store_module._MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def _revision(db: Path) -> str:
    with sqlite3.connect(db) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(revision)


def test_db_upgrade_migrates_an_empty_data_dir_to_head_and_is_idempotent(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert _revision(tmp_path / "battrace.db") == _head()
    again = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert again.exit_code == 0 and "database at head" in again.output


def test_db_upgrade_with_a_bad_config_says_why_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text('surprise = "not a setting"\n')
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 2
    assert "surprise" in result.output
