"""The node's own credentials and its DCP Credential Service (research notes §7.1 steps 3–5).

* ``Wallet``: VC-JWT strings issued *to* this node, one file each under ``<data_dir>/credentials/`` (atomic
  writes, so a crash never leaves half a credential), selected by DCP scope.
* ``CredentialService``: answers a ``PresentationQueryMessage`` (DCP 1.0 presentation protocol §5.4). The
  caller authenticates with its self-issued ID token whose ``token`` claim is an access token *this node*
  issued to that caller when it made its own DSP request; only the scopes that grant covers are served,
  wrapped in a VP-JWT signed by this node for that caller.
* ``credential_service_entry``: the DID document service entry that tells verifiers where to ask.

HTTP lives in ``battrace.trust.http``; this module only touches the wallet directory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from battrace.clock import Clock, IdFactory
from battrace.errors import InvalidInput
from battrace.identity.did import did_document
from battrace.identity.keys import NodeKeys
from battrace.identity.tokens import VerifiedCaller
from battrace.trust.credentials import decode_credential_jwt
from battrace.trust.dcp import (
    HeldCredential,
    Scope,
    access_token_of,
    issue_presentation,
    parse_presentation_query,
    presentation_response,
    select_credentials,
    verify_access_token,
)

CREDENTIAL_SERVICE_TYPE = "CredentialService"  # DCP 1.0 base protocol §4.4 (DID service type)
CREDENTIAL_SERVICE_FRAGMENT = "credential-service"
CREDENTIAL_SERVICE_PATH = "/api/credentials"
QUERY_PATH = "/presentations/query"  # DCP 1.0 presentation protocol §5.4: relative to the service endpoint
MAX_CREDENTIAL_BYTES = 64 * 1024  # a VC-JWT is a few KB; the cap keeps a bad upload out of every VP
_SUFFIX = ".jwt"


def credential_service_entry(did: str, base_url: str) -> dict[str, str]:
    """The ``service`` entry of our DID document (DCP 1.0 base protocol §4.4): verifiers POST
    ``<serviceEndpoint>/presentations/query``."""
    return {
        "id": f"{did}#{CREDENTIAL_SERVICE_FRAGMENT}",
        "type": CREDENTIAL_SERVICE_TYPE,
        "serviceEndpoint": base_url.rstrip("/") + CREDENTIAL_SERVICE_PATH,
    }


@dataclass(frozen=True)
class StoredCredential:
    """A wallet entry: the VC-JWT and what the management API shows of it (read, not verified: ours)."""

    key: str  # file stem: SHA-256 of the JWT, so adding the same credential twice is one entry
    held: HeldCredential
    issuer: str
    valid_until: str | None

    def summary(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "id": self.held.id,
            "type": sorted(self.held.types),
            "issuer": self.issuer,
            "holder": list(self.held.subject_ids),
            "validUntil": self.valid_until,
            "credential": self.held.token,
        }


class Wallet:
    """The credentials issued to ``owner_did``, kept as ``<directory>/<sha256>.jwt``."""

    def __init__(self, directory: Path, owner_did: str) -> None:
        self._dir = directory
        self._owner = owner_did
        self._lock = threading.Lock()

    @property
    def owner_did(self) -> str:
        return self._owner

    def add(self, token: str) -> StoredCredential:
        """Store a VC-JWT after checking it is one and is about this node (InvalidInput otherwise).
        The issuer's signature is the verifier's business: a bad one only makes our presentations fail."""
        entry = _read(token.strip() if isinstance(token, str) else token)
        if entry.held.subject_ids != (self._owner,):
            about = ", ".join(entry.held.subject_ids) or "nobody"
            raise InvalidInput(f"the credential is issued to {about}, not to this node ({self._owner})")
        with self._lock:
            self._dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(self._dir / f"{entry.key}{_SUFFIX}", entry.held.token)
        return entry

    def all(self) -> tuple[StoredCredential, ...]:
        """Every stored credential, in file name order; an unreadable file is skipped, never served."""
        if not self._dir.is_dir():
            return ()
        entries: list[StoredCredential] = []
        for path in sorted(self._dir.glob(f"*{_SUFFIX}")):
            try:
                entry = _read(path.read_text("ascii").strip())
            except (OSError, UnicodeError, InvalidInput):
                continue
            if entry.held.subject_ids == (self._owner,):
                entries.append(entry)
        return tuple(entries)

    def remove(self, key: str) -> bool:
        if not key.isalnum():
            raise InvalidInput(f"not a wallet key: {key!r}")
        with self._lock:
            try:
                (self._dir / f"{key}{_SUFFIX}").unlink()
            except FileNotFoundError:
                return False
        return True

    def select(self, scopes: Iterable[Scope | str]) -> tuple[HeldCredential, ...]:
        wanted = [s if isinstance(s, Scope) else Scope.parse(s) for s in scopes]
        return select_credentials((e.held for e in self.all()), wanted)


def _read(token: Any) -> StoredCredential:
    if not isinstance(token, str) or not token:
        raise InvalidInput("a credential must be a VC-JWT string")
    if len(token) > MAX_CREDENTIAL_BYTES or not token.isascii():
        raise InvalidInput(f"a VC-JWT is ASCII and at most {MAX_CREDENTIAL_BYTES} bytes")
    parsed = decode_credential_jwt(token)
    held = HeldCredential.from_jwt(token)
    until = parsed.credential.valid_until
    return StoredCredential(
        key=hashlib.sha256(token.encode("ascii")).hexdigest(),
        held=held,
        issuer=parsed.credential.issuer,
        valid_until=None if until is None else until.isoformat(),
    )


def _atomic_write(path: Path, text: str) -> None:
    # write beside the target, fsync, then rename: readers see the old file or the whole new one
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=_SUFFIX)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class CredentialService:
    """DCP 1.0 Credential Service of this node: who may read which of our credentials, as a VP-JWT."""

    def __init__(
        self,
        wallet: Wallet,
        keys: NodeKeys,
        *,
        authenticate: Callable[[str | None], VerifiedCaller],
        clock: Clock,
        new_id: IdFactory,
        presentation_lifetime: timedelta = timedelta(minutes=5),
    ) -> None:
        """``authenticate`` verifies the caller's self-issued token (the node's ``TokenVerifier.verify``:
        audience = us, signature, replay)."""
        self._wallet = wallet
        self._keys = keys
        self._authenticate = authenticate
        self._clock = clock
        self._new_id = new_id
        self._lifetime = presentation_lifetime
        # our access tokens are checked against our own key, never against a fetched copy of our document
        self._own_document = did_document(wallet.owner_did, keys)

    def answer(self, authorization: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
        """The PresentationResponseMessage for an authenticated, entitled query; raises Unauthenticated
        (401) for a missing or foreign access token, InvalidInput (400) for a malformed query."""
        caller = self._authenticate(authorization)
        now = self._clock()
        # DCP 1.0 base protocol §4.3.1: the "token" claim is the access token we issued to this caller
        grant = verify_access_token(
            access_token_of(caller), self._own_document, caller_did=caller.did, now=now
        )
        query = parse_presentation_query(body)
        # unentitled scopes are dropped, not refused (DCP 1.0 §5.4.2: fewer presentations)
        chosen = self._wallet.select(grant.entitled(query))
        vp = issue_presentation(
            self._keys,
            self._wallet.owner_did,
            caller.did,
            [c.token for c in chosen],
            now=now,
            jti=self._new_id(),
            lifetime=self._lifetime,
        )
        return presentation_response([vp])
