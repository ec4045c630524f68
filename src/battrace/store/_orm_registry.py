"""ORM rows of the digital twin registry (battrace.registry); declared on the store's one metadata."""

from __future__ import annotations
