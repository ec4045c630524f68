"""Store contract tests (one suite, every backend)."""
