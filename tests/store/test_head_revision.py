"""Start time (issue 9 item 6): a database already at the newest revision is opened without Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

import battrace.store.store as store_module
from battrace.store import Store


def test_head_revision_constant_is_the_head_of_the_migration_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(config).get_heads() == [store_module.HEAD_REVISION]


def test_a_new_database_is_migrated_to_head(tmp_path: Path) -> None:
    store = Store.for_data_dir(tmp_path)
    try:
        assert store.revision() is None
        store.migrate()
        assert store.revision() == store_module.HEAD_REVISION
    finally:
        store.dispose()


def test_opening_a_database_at_head_does_not_import_alembic(tmp_path: Path) -> None:
    store = Store.for_data_dir(tmp_path)
    store.migrate()
    store.dispose()
    # A fresh interpreter: this one imported Alembic above.
    probe = (
        "import sys; from pathlib import Path; from battrace.store import Store\n"
        f"s = Store.for_data_dir(Path({str(tmp_path)!r})); s.migrate(); s.dispose()\n"
        "print('alembic' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
