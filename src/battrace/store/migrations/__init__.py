"""Alembic migrations of the battrace store, run programmatically by `Store.migrate()`."""
