"""In-process members for the witness tests (no tests here): each member's log is a MemoryTree signed with its
own key, and the test can make it lie (fork, truncate, rewrite, refuse or forge proofs, go offline,
refuse cosignatures).

(No ``__init__.py`` here: a test package named ``operator`` would shadow the standard library.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from battrace.errors import InvalidInput
from battrace.ledger.exchange import PeerLog
from battrace.ledger.merkle import MemoryTree, consistency_proof
from battrace.ledger.note import Checkpoint, CosignatureSigner, NoteSigner
from battrace.operator.files import SpaceFiles
from battrace.operator.records import Participant
from battrace.operator.witness import MemberUnreachable


def tree_of(entries: list[bytes]) -> MemoryTree:
    tree = MemoryTree()
    for entry in entries:
        tree.append(entry)
    return tree


@dataclass
class FakeMember:
    did: str
    origin: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    entries: list[bytes] = field(default_factory=list)
    offline: bool = False
    refuse_cosignatures: bool = False
    proof_override: list[bytes] | None = None
    refuse_proofs: bool = False
    received: list[str] = field(default_factory=list)  # cosigned notes delivered to us
    proofs_asked: list[tuple[int, int]] = field(default_factory=list)

    @property
    def signer(self) -> NoteSigner:
        return NoteSigner(self.origin, self.key)

    @property
    def peer_log(self) -> PeerLog:
        cosigner = CosignatureSigner(self.origin, self.key)
        return PeerLog(f"https://{self.did}/log", self.signer.vkey, cosigner.vkey)

    def append(self, count: int, tag: str = "honest") -> None:
        start = len(self.entries)
        self.entries += [f"{tag}-{i}".encode() for i in range(start, start + count)]

    def checkpoint(self) -> str:
        tree = tree_of(self.entries)
        return self.signer.sign(Checkpoint(self.origin, tree.size, tree.root()).text())

    def consistency(self, first: int, second: int) -> list[bytes]:
        self.proofs_asked.append((first, second))
        if self.refuse_proofs:
            raise InvalidInput(f"GET proof answered 400 for {first}..{second}")
        if self.proof_override is not None:
            return self.proof_override
        return consistency_proof(first, second, tree_of(self.entries))


class FakeMembers:
    """MemberLogs over in-process FakeMembers, addressed by the endpoint their PeerLog names."""

    def __init__(self) -> None:
        self.by_did: dict[str, FakeMember] = {}

    def add(self, member: FakeMember) -> FakeMember:
        self.by_did[member.did] = member
        return member

    def _at(self, endpoint: str) -> FakeMember:
        member = next(m for m in self.by_did.values() if m.peer_log.endpoint == endpoint)
        if member.offline:
            raise MemberUnreachable(f"{endpoint}: connection refused")
        return member

    def log_of(self, did: str) -> PeerLog:
        member = self.by_did[did]
        if member.offline:
            raise MemberUnreachable(f"cannot resolve {did}: connection refused")
        return member.peer_log

    def checkpoint(self, endpoint: str) -> str:
        return self._at(endpoint).checkpoint()

    def consistency(self, endpoint: str, first: int, second: int) -> list[bytes]:
        return self._at(endpoint).consistency(first, second)

    def deliver(self, endpoint: str, cosigned: str) -> None:
        member = self._at(endpoint)
        if member.refuse_cosignatures:
            raise MemberUnreachable(f"POST {endpoint}/cosignatures answered 503")
        member.received.append(cosigned)


def enrol(root: Path, *members: FakeMember) -> None:
    """Record members in the space's directory, as certification does."""
    files = SpaceFiles(root)
    with files.locked():
        directory = files.directory()
        for member in members:
            directory[member.did] = Participant(did=member.did, name=member.did)
        files.write_directory(directory)
