"""The data-space operator's workflow: create a space, certify participants, revoke credentials, recognise
other spaces and withdraw recognitions. The HTTP app and the ``battrace space`` commands both call this, on
the same files, so a stopped operator can be administered and a running one sees the change at its next
request (every read goes to the files).

Time, identifiers, status-index choice, DID resolution and downloads are injected: no I/O but the space
directory happens here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from battrace.clock import Clock, IdFactory
from battrace.errors import BattraceError, Conflict, InvalidInput, NotFound
from battrace.identity import NodeKeys, did_document, did_web
from battrace.operator.files import SpaceFiles
from battrace.operator.records import (
    CERTIFIED_TYPES,
    ROLE,
    CertifyRequest,
    CredentialLedger,
    IssuedCredential,
    RecognitionRecord,
    RecognizeRequest,
    SpaceConfig,
    directory_entry,
)
from battrace.operator.witness import witness_service
from battrace.trust.credentials import issue_credential, issue_status_list_credential
from battrace.trust.recognition import (
    RecognitionStatement,
    Withdrawal,
    sign_recognition,
    sign_withdrawal,
    verify_recognition,
)
from battrace.trust.status import StatusEntry, set_status
from battrace.trust.trustlist import (
    CertificationBody,
    TrustList,
    sign_trust_list,
    validation_detail,
    verify_trust_list,
)

CERTIFICATION_PATH = "certification"
# a served status list is re-signed on every request; its short life bounds how long a stale copy (one that
# hides a revocation) could be replayed to a verifier
STATUS_LIST_LIFETIME = timedelta(hours=1)

Resolve = Callable[[str], Mapping[str, Any]]  # DID → DID document
Download = Callable[[str], str]  # URL → body text
ChooseIndex = Callable[[int], int]  # n → an integer in [0, n)


def space_dids(public_url: str) -> tuple[str, str, str, int]:
    """(operator DID, certification body DID, host, port) for a space served at ``public_url``.

    did:web §3.2: ``http://127.0.0.1:8201`` → ``did:web:127.0.0.1%3A8201`` (document at
    ``/.well-known/did.json``) and the body ``did:web:127.0.0.1%3A8201:certification`` (document at
    ``/certification/did.json``)."""
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"public URL must be http(s)://host[:port], got {public_url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidInput(f"public URL must have no path, query or fragment, got {public_url!r}")
    try:
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"invalid port in {public_url!r}") from error
    host = parts.hostname
    operator = did_web(host, port)
    return operator, did_web(host, port, CERTIFICATION_PATH), host, port or _default_port(parts.scheme)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def init_space(
    root: Path, *, name: str, public_url: str, api_key: str | None, clock: Clock, dev: bool | None = None
) -> SpaceConfig:
    """A new space in ``root``: keys, DIDs, the signed trust list naming the certification body, an empty
    directory and revocation list. Refuses (409) to touch a directory that already holds a space."""
    files = SpaceFiles(root)
    with files.locked():
        files.refuse_existing()
        public_url = public_url.rstrip("/")
        operator_did, body_did, _host, port = space_dids(public_url)
        config = SpaceConfig(
            name=name,
            public_url=public_url,
            operator_did=operator_did,
            certification_did=body_did,
            port=port,
            dev=public_url.startswith("http://") if dev is None else dev,
        )
        operator_keys = NodeKeys.load_or_create(files.operator_key_file)
        NodeKeys.load_or_create(files.certification_key_file)
        NodeKeys.load_or_create(files.witness_key_file)
        now = clock()
        body = CertificationBody(
            did=body_did, name=f"{name} certification body", credential_types=CERTIFIED_TYPES, valid_from=now
        )
        trust_list = TrustList(space=name, operator_did=operator_did, issued_at=now, bodies=(body,))
        files.write_trust_list(sign_trust_list(trust_list, operator_keys))
        files.write_directory({})
        files.write_ledger(CredentialLedger.empty())
        files.write_recognitions([])
        files.write_api_key(api_key or secrets.token_urlsafe(32))
        files.write_config(config)  # last: a space exists only once everything else is in place
    return config


@dataclass(frozen=True)
class Issued:
    record: IssuedCredential
    token: str


class SpaceOperator:
    def __init__(
        self,
        root: Path,
        *,
        clock: Clock,
        ids: IdFactory,
        resolve: Resolve,
        download: Download,
        choose_index: ChooseIndex = secrets.randbelow,
    ) -> None:
        self.files = SpaceFiles(root)
        self._clock = clock
        self._ids = ids
        self._resolve = resolve
        self._download = download
        self._choose = choose_index

    @property
    def clock(self) -> Clock:
        """The clock every expiry is judged by (the console judges credentials by it too)."""
        return self._clock

    @property
    def config(self) -> SpaceConfig:
        return self.files.config()

    # ---- public views ------------------------------------------------------------------------------

    def operator_document(self) -> dict[str, Any]:
        config = self.config
        document = did_document(config.operator_did, self.files.operator_keys())
        # members accept a cosignature of their log only from a witness their space's operator names here
        document.setdefault("service", []).append(witness_service(self.files, config))
        return document

    def certification_document(self) -> dict[str, Any]:
        return did_document(self.config.certification_did, self.files.certification_keys())

    def trust_list(self) -> str:
        return self.files.trust_list()

    def status_list_credential(self) -> str:
        """The revocation list as a VC-JWT signed by the certification body, the issuer of the credentials
        it covers (a verifier refuses a list signed by anyone else)."""
        config, now = self.config, self._clock()
        return issue_status_list_credential(
            self.files.certification_keys(),
            config.certification_did,
            config.status_list_url,
            self.files.ledger().status_list,
            now=now,
            valid_until=now + STATUS_LIST_LIFETIME,
        )

    def resolve(self, did: str) -> Mapping[str, Any]:
        """A DID document, as this operator resolves them (did:web over HTTP)."""
        return self._resolve(did)

    def directory(self) -> list[dict[str, Any]]:
        now, ledger = self._clock(), self.files.ledger()
        bits = ledger.status_list
        active = {
            jti
            for jti, c in ledger.issued.items()
            if c.valid_until > now and not bits.get(c.status_list_index)
        }
        issued = list(ledger.issued.values())
        return [directory_entry(p, issued, active) for _, p in sorted(self.files.directory().items())]

    def recognitions(self) -> list[dict[str, Any]]:
        return [r.public() for r in self.files.recognitions()]

    # ---- certification -----------------------------------------------------------------------------

    def certify(self, request: CertifyRequest) -> list[Issued]:
        """One credential per requested type, each with its own entry on the revocation list; the
        participant is (re-)recorded in the directory. Everything is validated before anything is written."""
        config, now = self.config, self._clock()
        participant = request.participant_record()
        subjects = request.subjects(config.name, now)
        until = now + timedelta(days=request.valid_days)
        keys = self.files.certification_keys()
        with self.files.locked():
            ledger = self.files.ledger()
            used = ledger.used_indexes()
            issued: list[Issued] = []
            for subject in subjects:
                jti, index = self._new_jti(ledger), self._free_index(used, ledger)
                used.add(index)
                status = StatusEntry(config.status_list_url, index)
                token = issue_credential(
                    keys, config.certification_did, request.participant, subject,
                    valid_from=now, valid_until=until, status=status, now=now, jti=jti,
                )  # fmt: skip
                roles = (
                    tuple(r.value for r in request.parsed_roles()) if subject.credential_type == ROLE else ()
                )
                record = IssuedCredential(
                    id=jti, participant=request.participant, credential_type=subject.credential_type,
                    status_list_index=index, issued_at=now, valid_until=until, roles=roles,
                )  # fmt: skip
                issued.append(Issued(record, token))
            new = {i.record.id: i.record for i in issued}
            # the ledger first: a crash before the directory write leaves an unused index, never a credential
            # whose status nobody can flip
            self.files.write_ledger(ledger.model_copy(update={"issued": {**ledger.issued, **new}}))
            directory = self.files.directory()
            directory[participant.did] = participant
            self.files.write_directory(directory)
        return issued

    def _new_jti(self, ledger: CredentialLedger) -> str:
        jti = self._ids()
        if jti in ledger.issued:
            raise Conflict(f"credential id {jti} was already issued")
        return jti

    def _free_index(self, used: set[int], ledger: CredentialLedger) -> int:
        # Bitstring Status List v1.0 §6.1 (herd privacy): indexes are assigned at random, not in sequence
        size = ledger.status_list.size
        if len(used) >= size:
            raise Conflict(f"the revocation list is full ({size} entries)")
        while True:
            index = self._choose(size)
            if index not in used:
                return index

    def revoke(self, jti: str) -> IssuedCredential:
        """Set the credential's revocation bit (idempotent); unknown ids are 404."""
        with self.files.locked():
            ledger = self.files.ledger()
            record = ledger.issued.get(jti)
            if record is None:
                raise NotFound(f"no credential {jti!r} was issued in this space")
            bits = ledger.status_list
            if not bits.get(record.status_list_index):
                revoked = set_status(bits, record.status_list_index, True)
                self.files.write_ledger(ledger.model_copy(update={"encoded_list": revoked.encode()}))
        return record

    def is_revoked(self, jti: str) -> bool:
        ledger = self.files.ledger()
        if jti not in ledger.issued:
            raise NotFound(f"no credential {jti!r} was issued in this space")
        return ledger.is_revoked(jti)

    # ---- recognition -------------------------------------------------------------------------------

    def recognize(self, request: RecognizeRequest) -> RecognitionRecord:
        """Sign a recognition of the space whose trust list is given (or fetched), after checking that list
        against its operator's DID document, so a forged or foreign-signed list is never recognised."""
        config, now = self.config, self._clock()
        token = request.foreign_trust_list or self._fetch(str(request.foreign_trust_list_url))
        foreign = verify_trust_list(token, self._foreign_document(request.foreign_operator_did))
        try:
            statement = RecognitionStatement(
                id=self._ids(), recognizer_did=config.operator_did, recognizer_space=config.name,
                recognized_space=foreign.space, recognized_operator_did=foreign.operator_did,
                credential_types=request.credential_types, valid_from=now,
                valid_until=now + timedelta(days=request.valid_days), issued_at=now,
            )  # fmt: skip
        except ValidationError as error:
            raise InvalidInput(f"invalid recognition: {validation_detail(error)}") from error
        record = RecognitionRecord(
            id=statement.id,
            statement=sign_recognition(statement, self.files.operator_keys()),
            foreign_trust_list=token,
            foreign_operator_did=foreign.operator_did,
            foreign_trust_list_url=request.foreign_trust_list_url,
        )
        with self.files.locked():
            records = self.files.recognitions()
            if any(r.id == record.id for r in records):
                raise Conflict(f"recognition {record.id} exists already")
            self.files.write_recognitions([*records, record])
        return record

    def withdraw(self, recognition_id: str, reason: str = "") -> RecognitionRecord:
        """Sign a withdrawal effective now (idempotent: an existing withdrawal is returned unchanged)."""
        config, keys = self.config, self.files.operator_keys()
        with self.files.locked():
            records = self.files.recognitions()
            found = next((r for r in records if r.id == recognition_id), None)
            if found is None:
                raise NotFound(f"no recognition {recognition_id!r} in this space")
            if found.withdrawal is not None:
                return found
            statement = verify_recognition(found.statement, did_document(config.operator_did, keys))
            withdrawal = Withdrawal(
                id=self._ids(), statement_id=statement.id, recognizer_did=config.operator_did,
                effective_at=self._clock(), reason=reason,
            )  # fmt: skip
            updated = found.model_copy(update={"withdrawal": sign_withdrawal(withdrawal, keys)})
            self.files.write_recognitions([updated if r.id == recognition_id else r for r in records])
        return updated

    def _fetch(self, url: str) -> str:
        try:
            return self._download(url).strip()
        except BattraceError as error:
            raise InvalidInput(f"cannot fetch the foreign trust list at {url}: {error.detail}") from error
        except Exception as error:  # the downloader is pluggable: any failure is the caller's bad input
            raise InvalidInput(f"cannot fetch the foreign trust list at {url}: {error}") from error

    def _foreign_document(self, did: str) -> Mapping[str, Any]:
        try:
            return self._resolve(did)
        except BattraceError as error:
            raise InvalidInput(f"cannot resolve the foreign operator {did}: {error.detail}") from error
        except Exception as error:
            raise InvalidInput(f"cannot resolve the foreign operator {did}: {error}") from error
