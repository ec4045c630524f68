"""Where a node keeps the provenance statements it has verified or signed, by the SHA-256 they are about.

A store holds statements as their JWS only: the signed text is the record, so nothing can be edited without
breaking a signature a verifier can check. One hash may have several statements (the derivation that
produced a value, and each delivery of it). Adding the same JWS twice is a no-op.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from battrace.errors import InvalidInput
from battrace.provenance.digest import SHA256_HEX
from battrace.provenance.records import Provenance, parse_statement


class ProvenanceStore(Protocol):
    def add(self, record: Provenance) -> None:
        """Keep ``record`` (already verified by the caller); idempotent."""
        ...

    def records(self, sha256: str) -> Sequence[Provenance]:
        """Every statement about ``sha256``, in the order they were added; empty when none."""
        ...


class MemoryProvenanceStore:
    def __init__(self) -> None:
        self._records: dict[str, list[Provenance]] = {}
        self._lock = threading.Lock()

    def add(self, record: Provenance) -> None:
        _check_signed(record)
        with self._lock:
            kept = self._records.setdefault(record.sha256, [])
            if all(r.signature != record.signature for r in kept):
                kept.append(record)

    def records(self, sha256: str) -> Sequence[Provenance]:
        with self._lock:
            return tuple(self._records.get(sha256, ()))


class DirectoryProvenanceStore:
    """One JSON file per hash, ``<directory>/<sha256>.json`` = ``{"statements": [JWS, ...]}``.

    Files are replaced atomically, so a crash leaves the old or the new list, never half of one. One writer
    per directory (the lock is per process).
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)

    def add(self, record: Provenance) -> None:
        _check_signed(record)
        with self._lock:
            statements = self._read(record.sha256)
            if record.signature not in statements:
                self._write(record.sha256, [*statements, record.signature])

    def records(self, sha256: str) -> Sequence[Provenance]:
        with self._lock:
            statements = self._read(sha256)
        return tuple(parse_statement(s).record for s in statements)

    def _path(self, sha256: str) -> Path:
        # the hash becomes a file name: only 64 hex digits, so no path can escape the directory
        if not SHA256_HEX.match(sha256):
            raise InvalidInput(f"not a SHA-256 in lowercase hex: {sha256!r}")
        return self._directory / f"{sha256}.json"

    def _read(self, sha256: str) -> list[str]:
        path = self._path(sha256)
        if not path.exists():
            return []
        document = json.loads(path.read_text(encoding="utf-8"))
        statements = document.get("statements") if isinstance(document, dict) else None
        if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
            raise InvalidInput(f"{path} is not a provenance file")
        return statements

    def _write(self, sha256: str, statements: list[str]) -> None:
        path = self._path(sha256)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=self._directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"statements": statements}, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _check_signed(record: Provenance) -> None:
    # a store of unsigned claims would prove nothing; and the record must be what its JWS says
    if parse_statement(record.signature).record != record:
        raise InvalidInput("the record differs from the statement its signature carries")
