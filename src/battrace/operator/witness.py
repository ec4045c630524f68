"""The data-space operator as the witness of its members' transparency logs (issue 4 item 3; trust-ecosystem
notes §9.4, c2sp.org/tlog-cosignature).

Every round, for every participant in the directory: read the log its DID document publishes (a
``TransparencyLog`` service), verify the signed checkpoint with the member's log key and compare it with the
last checkpoint this witness verified:

* same size, other root: SPLIT VIEW (the member signed two different histories of the same length);
* smaller size: SHRINK (entries were removed);
* larger size: the member must prove that the old tree is a prefix of the new one (RFC 9162 §2.1.4); a proof
  that is refused, malformed or does not verify: INCONSISTENT.

Only a checkpoint that passed is cosigned and handed back to the member (``POST <log>/cosignatures``) and
becomes the new reference; after an alarm the reference stays the last good checkpoint. An alarm keeps both
signed notes: two notes signed by the member's own key are evidence that needs no trust in the witness.

A member that cannot be reached or serves a checkpoint its key does not verify is not an alarm (the network
or an impostor may be at fault, not the member); its status says so and the next round tries again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import AwareDatetime, Field

from battrace.clock import Clock, IdFactory
from battrace.connector.urls import check_peer_url
from battrace.errors import BattraceError, InvalidInput
from battrace.identity import DidResolver, httpx_fetcher
from battrace.ledger.exchange import PeerLog, peer_log
from battrace.ledger.merkle import verify_consistency
from battrace.ledger.note import (
    Checkpoint,
    CosignatureSigner,
    NoteVerifier,
    b64decode_strict,
    b64encode,
    cosign,
    open_checkpoint,
)
from battrace.operator.files import SpaceFiles
from battrace.operator.records import SpaceConfig
from battrace.trust.trustlist import WireModel

log = logging.getLogger("battrace.operator.witness")

WITNESS_SERVICE_TYPE = "TransparencyWitness"
MAX_CHECKPOINT_BYTES = 64 * 1024  # a checkpoint is ~100 bytes plus at most 100 signature lines
MAX_PROOF_BYTES = 64 * 1024  # a consistency proof has at most ~2·64 hashes


class AlarmKind(StrEnum):
    SPLIT_VIEW = "split-view"
    SHRINK = "shrink"
    INCONSISTENT = "inconsistent"


class MemberStatus(StrEnum):
    PENDING = "pending"  # in the directory, not polled yet
    OK = "ok"  # the latest checkpoint verified, was consistent and was cosigned
    UNREACHABLE = "unreachable"  # DID document, checkpoint or cosignature delivery failed in transit
    INVALID = "invalid"  # the served checkpoint does not verify with the member's published key
    ALARM = "alarm"  # the latest checkpoint contradicts the last verified one


class SeenCheckpoint(WireModel):
    size: int = Field(ge=0)
    root: str  # standard base64, as in the checkpoint text
    note: str  # the signed note as the member served it
    seen_at: AwareDatetime


class Alarm(WireModel):
    id: str
    kind: AlarmKind
    member: str
    raised_at: AwareDatetime
    detail: str
    last_verified: SeenCheckpoint
    observed: SeenCheckpoint


class MemberRecord(WireModel):
    did: str
    status: MemberStatus
    polled_at: AwareDatetime | None = None
    checkpoint: SeenCheckpoint | None = None  # the last VERIFIED checkpoint: the reference for the next round
    cosigned: bool = False  # the member accepted our cosignature of ``checkpoint``
    error: str | None = None


class WitnessState(WireModel):
    members: dict[str, MemberRecord] = Field(default_factory=dict)
    alarms: list[Alarm] = Field(default_factory=list)


class MemberUnreachable(BattraceError):
    status = 502
    title = "Member log unreachable"


class MemberLogs(Protocol):
    """How the witness reaches members (HTTP in production, in-process fakes in tests)."""

    def log_of(self, did: str) -> PeerLog: ...

    def checkpoint(self, endpoint: str) -> str: ...

    def consistency(self, endpoint: str, first: int, second: int) -> list[bytes]: ...

    def deliver(self, endpoint: str, cosigned: str) -> None: ...


def witness_name(public_url: str) -> str:
    """Key name of the space's witness: ``<host:port>/witness`` (signed-note key names have no scheme)."""
    return urlsplit(public_url).netloc + "/witness"


def witness_signer(files: SpaceFiles, config: SpaceConfig) -> CosignatureSigner:
    return CosignatureSigner(witness_name(config.public_url), files.witness_keys().private_key)


def witness_service(files: SpaceFiles, config: SpaceConfig) -> dict[str, Any]:
    """The operator DID document's service entry by which members recognise our cosignatures."""
    return {
        "id": config.operator_did + "#witness",
        "type": WITNESS_SERVICE_TYPE,
        "serviceEndpoint": config.public_url + "/space/witness",
        "cosignatureVkey": witness_signer(files, config).vkey,
    }


def witness_vkeys(operator_document: Mapping[str, Any]) -> list[str]:
    """The witness cosignature keys an operator's DID document publishes."""
    found: list[str] = []
    for service in operator_document.get("service", []) or []:
        if isinstance(service, Mapping) and service.get("type") == WITNESS_SERVICE_TYPE:
            vkey = service.get("cosignatureVkey")
            if isinstance(vkey, str):
                found.append(vkey)
    return found


class _Verdict(Exception):
    """The new checkpoint contradicts the reference (internal control flow of ``Witness._judge``)."""

    def __init__(self, kind: AlarmKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Witness:
    def __init__(self, files: SpaceFiles, members: MemberLogs, *, clock: Clock, ids: IdFactory) -> None:
        self._files = files
        self._members = members
        self._clock = clock
        self._ids = ids
        self._round = threading.Lock()  # the background loop and POST /space/witness/poll never interleave

    # ---- reading -----------------------------------------------------------------------------------

    def state(self) -> WitnessState:
        return WitnessState.model_validate(self._files.witness_state())

    def members(self) -> list[dict[str, Any]]:
        """Every directory participant (and any member polled before): last checkpoint and status."""
        known = self.state().members
        dids = sorted(set(self._files.directory()) | set(known))
        records = [known.get(did) or MemberRecord(did=did, status=MemberStatus.PENDING) for did in dids]
        return [r.model_dump(mode="json", by_alias=True) for r in records]

    def alarms(self) -> list[dict[str, Any]]:
        return [a.model_dump(mode="json", by_alias=True) for a in self.state().alarms]

    # ---- polling -----------------------------------------------------------------------------------

    def poll_once(self) -> list[MemberRecord]:
        """One round over the directory; every member's outcome is stored before the next is polled."""
        with self._round:
            return [self._poll_guarded(did) for did in sorted(self._files.directory())]

    def _poll_guarded(self, did: str) -> MemberRecord:
        try:
            return self._poll(did)
        except Exception as error:  # a defect met with one member must not leave the others unwatched
            log.exception("witness: polling %s failed", did)
            previous = self.state().members.get(did)
            record = MemberRecord(
                did=did, status=MemberStatus.UNREACHABLE, polled_at=self._clock(),
                checkpoint=previous.checkpoint if previous else None,
                cosigned=previous.cosigned if previous else False, error=f"internal error: {error}",
            )  # fmt: skip
            return self._save(record)

    def _poll(self, did: str) -> MemberRecord:
        now = self._clock()
        previous = self.state().members.get(did)
        reference = previous.checkpoint if previous else None
        cosigned = previous.cosigned if previous else False
        base = MemberRecord(
            did=did, status=MemberStatus.OK, polled_at=now, checkpoint=reference, cosigned=cosigned
        )
        try:
            member_log = self._members.log_of(did)
            note = self._members.checkpoint(member_log.endpoint)
        except BattraceError as error:
            return self._save(
                base.model_copy(update={"status": MemberStatus.UNREACHABLE, "error": error.detail})
            )
        try:
            checkpoint = open_checkpoint(note, [NoteVerifier.from_vkey(member_log.vkey)])
        except InvalidInput as error:
            detail = f"the checkpoint does not verify with the member's key: {error.detail}"
            return self._save(base.model_copy(update={"status": MemberStatus.INVALID, "error": detail}))
        observed = SeenCheckpoint(
            size=checkpoint.size, root=b64encode(checkpoint.root), note=note, seen_at=now
        )
        try:
            self._judge(reference, checkpoint, member_log)
        except _Verdict as verdict:
            return self._alarm(base, verdict, observed)
        except MemberUnreachable as error:
            return self._save(
                base.model_copy(update={"status": MemberStatus.UNREACHABLE, "error": error.detail})
            )
        return self._save(self._cosign(base, reference, observed, member_log))

    def _judge(self, reference: SeenCheckpoint | None, new: Checkpoint, member_log: PeerLog) -> None:
        """Raise _Verdict when ``new`` contradicts ``reference``; the first checkpoint seen is trusted on
        first use (a witness can only vouch for what happened after it started watching)."""
        if reference is None:
            return
        old_root = b64decode_strict(reference.root)
        if new.size == reference.size:
            if new.root != old_root:
                raise _Verdict(AlarmKind.SPLIT_VIEW, f"two different checkpoints of size {new.size}")
            return
        if new.size < reference.size:
            raise _Verdict(AlarmKind.SHRINK, f"the log shrank from {reference.size} to {new.size} entries")
        if reference.size == 0:
            return  # RFC 9162 §2.1.4: the empty tree is a prefix of every tree, there is nothing to prove
        try:
            proof = self._members.consistency(member_log.endpoint, reference.size, new.size)
        except MemberUnreachable:
            raise
        except BattraceError as error:
            raise _Verdict(
                AlarmKind.INCONSISTENT,
                f"no consistency proof from {reference.size} to {new.size}: {error.detail}",
            ) from error
        if not verify_consistency(reference.size, new.size, old_root, new.root, proof):
            raise _Verdict(
                AlarmKind.INCONSISTENT,
                f"the consistency proof from {reference.size} to {new.size} does not verify",
            )

    def _cosign(
        self,
        base: MemberRecord,
        reference: SeenCheckpoint | None,
        observed: SeenCheckpoint,
        member_log: PeerLog,
    ) -> MemberRecord:
        """Cosign a checkpoint that passed and hand it to the member; an unchanged checkpoint the member
        already holds our cosignature of is left alone (no new cosignature every round)."""
        unchanged = reference is not None and (reference.size, reference.root) == (
            observed.size,
            observed.root,
        )
        if unchanged and base.cosigned:
            return base.model_copy(update={"error": None})
        config = self._files.config()
        cosigned = cosign(observed.note, witness_signer(self._files, config), int(self._clock().timestamp()))
        try:
            self._members.deliver(member_log.endpoint, cosigned)
        except BattraceError as error:
            # verified all the same: the reference moves on; the delivery is retried at the next round
            update = {
                "checkpoint": observed,
                "cosigned": False,
                "error": f"cosignature not delivered: {error.detail}",
            }
            return base.model_copy(update=update)
        return base.model_copy(update={"checkpoint": observed, "cosigned": True, "error": None})

    def _alarm(self, base: MemberRecord, verdict: _Verdict, observed: SeenCheckpoint) -> MemberRecord:
        assert base.checkpoint is not None  # a verdict needs a reference
        record = base.model_copy(
            update={"status": MemberStatus.ALARM, "error": f"{verdict.kind}: {verdict.detail}"}
        )
        alarm = Alarm(
            id=self._ids(),
            kind=verdict.kind,
            member=base.did,
            raised_at=observed.seen_at,
            detail=verdict.detail,
            last_verified=base.checkpoint,
            observed=observed,
        )
        return self._save(record, alarm)

    def _save(self, record: MemberRecord, alarm: Alarm | None = None) -> MemberRecord:
        with self._files.locked():
            state = self.state()
            alarms = state.alarms
            if alarm is not None and not any(_same_alarm(alarm, a) for a in alarms):
                # one alarm per contradiction, not one per round in which the member keeps contradicting
                alarms = [*alarms, alarm]
                log.warning(
                    "WITNESS ALARM %s for %s: %s (last verified size %d, now size %d)",
                    alarm.kind, alarm.member, alarm.detail, alarm.last_verified.size, alarm.observed.size,
                )  # fmt: skip
            members = {**state.members, record.did: record}
            updated = WitnessState(members=members, alarms=alarms)
            self._files.write_witness_state(updated.model_dump(mode="json", by_alias=True))
        return record


def _same_alarm(a: Alarm, b: Alarm) -> bool:
    return (a.member, a.kind, a.observed.size, a.observed.root, a.last_verified.size) == (
        b.member, b.kind, b.observed.size, b.observed.root, b.last_verified.size,
    )  # fmt: skip


# ---- the members over HTTP ----------------------------------------------------------------------------


class HttpMembers:
    """Members' DID documents and logs over HTTP. ``check_url`` vets every member-chosen log endpoint (an
    SSRF guard: a member writes its own DID document)."""

    def __init__(
        self,
        http: httpx.Client,
        resolve: Callable[[str], Mapping[str, Any]],
        *,
        check_url: Callable[[str], object],
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._resolve = resolve
        self._check_url = check_url
        self._timeout = timeout

    def log_of(self, did: str) -> PeerLog:
        try:
            document = self._resolve(did)
        except BattraceError as error:
            raise MemberUnreachable(f"cannot resolve {did}: {error.detail}") from error
        member_log = peer_log(document)
        self._check_url(member_log.endpoint)
        return member_log

    def checkpoint(self, endpoint: str) -> str:
        return self._get(endpoint + "/checkpoint", MAX_CHECKPOINT_BYTES).decode("utf-8", errors="replace")

    def consistency(self, endpoint: str, first: int, second: int) -> list[bytes]:
        url = f"{endpoint}/proof/consistency?first={first}&second={second}"
        raw = self._get(url, MAX_PROOF_BYTES)
        try:
            hashes = json.loads(raw)["hashes"]
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidInput(f"malformed consistency proof from {url}: {error}") from error
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
            raise InvalidInput(f"malformed consistency proof from {url}: hashes must be base64 strings")
        return [b64decode_strict(h) for h in hashes]

    def deliver(self, endpoint: str, cosigned: str) -> None:
        url = endpoint + "/cosignatures"
        try:
            response = self._http.post(url, json={"cosigned": cosigned}, timeout=self._timeout)
        except httpx.HTTPError as error:
            raise MemberUnreachable(f"POST {url} failed: {error}") from error
        if response.status_code != 200:
            raise MemberUnreachable(f"POST {url} answered {response.status_code}: {response.text[:300]}")

    def _get(self, url: str, limit: int) -> bytes:
        """200 and at most ``limit`` bytes; transport failure: MemberUnreachable, refusal: InvalidInput."""
        try:
            with self._http.stream("GET", url, timeout=self._timeout, follow_redirects=False) as response:
                if response.status_code != 200:
                    raise InvalidInput(f"GET {url} answered {response.status_code}")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise InvalidInput(f"GET {url} answered more than {limit} bytes")
                    chunks.append(chunk)
        except httpx.HTTPError as error:
            raise MemberUnreachable(f"GET {url} failed: {error}") from error
        return b"".join(chunks)


def http_witness(files: SpaceFiles, http: httpx.Client, *, clock: Clock, ids: IdFactory) -> Witness:
    """The space's witness over HTTP (the edges: ``battrace space serve`` and ``battrace space witness``);
    ``dev`` spaces may watch members on loopback and private hosts."""
    dev = files.config().dev
    resolver = DidResolver(httpx_fetcher(http), clock=clock, allow_http=dev)
    members = HttpMembers(http, resolver.resolve, check_url=lambda url: check_peer_url(url, dev=dev))
    return Witness(files, members, clock=clock, ids=ids)


# ---- the background loop ------------------------------------------------------------------------------


class WitnessLoop:
    """Runs ``poll_once`` every ``interval`` seconds in a daemon thread until ``stop()``."""

    def __init__(self, witness: Witness, interval: float) -> None:
        self._witness = witness
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="witness", daemon=True)

    def start(self) -> WitnessLoop:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._witness.poll_once()
            except Exception:  # one failed round (say, a corrupt directory file) must not end the witness
                log.exception("witness round failed")
