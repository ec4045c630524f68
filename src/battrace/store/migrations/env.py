"""Alembic environment. `Store.migrate()` hands over its own open connection in `config.attributes`.

To write the next revision, autogenerate it against a database migrated to head, e.g.:
    cfg = Config(); cfg.set_main_option("script_location", "src/battrace/store/migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message="...", autogenerate=True, rev_id="0002")
then replace the ORM types by the plain ones used in 0001 (migrations must not import battrace).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from battrace.store._orm import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection: Connection | None = config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:  # the alembic command line, with sqlalchemy.url in its ini file
    _engine = create_engine(config.get_main_option("sqlalchemy.url", ""))
    with _engine.begin() as _conn:
        _run(_conn)
    _engine.dispose()
