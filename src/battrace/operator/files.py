"""The space directory on disk: every file is replaced atomically (temporary file + ``os.replace``) and every
read-modify-write happens under an exclusive ``flock``, so the server and the ``battrace space`` commands can
administer the same space at the same time without losing an update.

Layout::

    space.toml                  SpaceConfig
    management-api-key          X-Api-Key of the management routes (0600)
    keys/operator-ed25519.pem   operator key (signs the trust list and recognitions)
    keys/certification-ed25519.pem  certification body key (signs credentials and the status list)
    trust-list.jws              the signed trust list
    directory.json              participants as recorded
    credentials.json            revocation bitstring + issued credentials by jti (CredentialLedger)
    recognitions.json           recognition records
    keys/witness-ed25519.pem    witness key (cosigns members' log checkpoints, tlog-cosignature)
    witness.json                the witness's last verified checkpoint per member, and its alarms
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from battrace.errors import BattraceError, Conflict, InvalidInput, NotFound
from battrace.identity import NodeKeys
from battrace.operator.records import CredentialLedger, Participant, RecognitionRecord, SpaceConfig
from battrace.trust.trustlist import validation_detail

CONFIG = "space.toml"
API_KEY = "management-api-key"
TRUST_LIST = "trust-list.jws"
DIRECTORY = "directory.json"
CREDENTIALS = "credentials.json"
RECOGNITIONS = "recognitions.json"
WITNESS = "witness.json"
LOCK = ".lock"


class SpaceFiles:
    """Typed access to one space directory. Reads need no lock (files are only ever replaced whole)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # ---- creation ----------------------------------------------------------------------------------

    def exists(self) -> bool:
        return (self.root / CONFIG).exists()

    def refuse_existing(self) -> None:
        if self.exists():
            raise Conflict(f"{self.root} already holds a data space ({CONFIG}); refusing to overwrite it")

    @property
    def operator_key_file(self) -> Path:
        return self.root / "keys" / "operator-ed25519.pem"

    @property
    def certification_key_file(self) -> Path:
        return self.root / "keys" / "certification-ed25519.pem"

    @property
    def witness_key_file(self) -> Path:
        return self.root / "keys" / "witness-ed25519.pem"

    # ---- reads -------------------------------------------------------------------------------------

    def config(self) -> SpaceConfig:
        path = self.root / CONFIG
        if not path.exists():
            raise NotFound(f"no data space in {self.root} (run `battrace space init`)")
        try:
            return SpaceConfig.model_validate(tomllib.loads(path.read_text("utf-8")))
        except (tomllib.TOMLDecodeError, ValidationError) as error:
            detail = validation_detail(error) if isinstance(error, ValidationError) else str(error)
            raise InvalidInput(f"{path} is not a valid space configuration: {detail}") from error

    def operator_keys(self) -> NodeKeys:
        return _existing_keys(self.operator_key_file)

    def certification_keys(self) -> NodeKeys:
        return _existing_keys(self.certification_key_file)

    def witness_keys(self) -> NodeKeys:
        """The witness key, made on first use: spaces created before the witness existed have none, and a
        witness key names no one (members learn it from the operator's DID document at every check)."""
        if not self.witness_key_file.exists():
            with self.locked():
                return NodeKeys.load_or_create(self.witness_key_file)
        return NodeKeys.load_or_create(self.witness_key_file)

    def witness_state(self) -> Any:
        """The witness state as stored (raw JSON; ``battrace.operator.witness`` gives it its type)."""
        return self._json(WITNESS, {})

    def api_key(self) -> str:
        return (self.root / API_KEY).read_text("utf-8").strip()

    def trust_list(self) -> str:
        return (self.root / TRUST_LIST).read_text("ascii").strip()

    def directory(self) -> dict[str, Participant]:
        raw = self._json(DIRECTORY, {})
        return {did: Participant.model_validate(entry) for did, entry in raw.items()}

    def ledger(self) -> CredentialLedger:
        return CredentialLedger.model_validate(self._json(CREDENTIALS, None))

    def recognitions(self) -> list[RecognitionRecord]:
        return [RecognitionRecord.model_validate(r) for r in self._json(RECOGNITIONS, [])]

    def _json(self, name: str, default: Any) -> Any:
        path = self.root / name
        if not path.exists():
            if default is None:
                raise NotFound(f"{path} is missing: the space directory is incomplete")
            return default
        try:
            return json.loads(path.read_text("utf-8"))
        except ValueError as error:
            raise BattraceError(f"{path} is corrupt: {error}") from error

    # ---- writes (call under ``locked()``) ----------------------------------------------------------

    def write_config(self, config: SpaceConfig) -> None:
        lines = [f"{key} = {_toml(value)}" for key, value in config.model_dump().items()]
        atomic_write(self.root / CONFIG, ("\n".join(lines) + "\n").encode("utf-8"))

    def write_api_key(self, key: str) -> None:
        atomic_write(self.root / API_KEY, key.encode("utf-8") + b"\n")

    def write_trust_list(self, token: str) -> None:
        atomic_write(self.root / TRUST_LIST, token.encode("ascii") + b"\n")

    def write_directory(self, directory: dict[str, Participant]) -> None:
        self._write_json(
            DIRECTORY, {did: p.model_dump(mode="json", by_alias=True) for did, p in sorted(directory.items())}
        )

    def write_ledger(self, ledger: CredentialLedger) -> None:
        self._write_json(CREDENTIALS, ledger.model_dump(mode="json", by_alias=True))

    def write_recognitions(self, records: list[RecognitionRecord]) -> None:
        self._write_json(RECOGNITIONS, [r.model_dump(mode="json", by_alias=True) for r in records])

    def write_witness_state(self, value: Any) -> None:
        self._write_json(WITNESS, value)

    def _write_json(self, name: str, value: Any) -> None:
        atomic_write(self.root / name, json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8"))

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes AND threads: each call opens its own file description."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a 0600 temporary file beside ``path``, fsync, then rename: readers see the old or the new
    file, never a torn one, even after ``kill -9``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _existing_keys(path: Path) -> NodeKeys:
    # load_or_create would silently mint a new key if the file were lost: a new key is a new identity
    if not path.exists():
        raise NotFound(f"{path} is missing: the space's signing key is gone")
    return NodeKeys.load_or_create(path)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string
