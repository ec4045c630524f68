"""Evidence documents (audit reports, policies, child-labour assessments...) kept by SHA-256 and access level.

A declaration carries only ``EvidenceRef`` entries: the hash, the kind, a title, an optional link and who may
read the document (like the Ouranos ``cfpCertification`` file references, pcf-ouranos.md §6.4). The bytes stay
with the supplier (``EvidenceStore``) and are handed out by hash after the access check; a reader who got
them elsewhere checks them against the hash with ``verify``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from battrace.errors import Forbidden, InvalidInput, NotFound

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

EvidenceKind = Literal[
    "due_diligence_report",  # the public report of Art. 52(3)
    "policy",  # supply-chain policy, Art. 48(1) / OECD step 1
    "audit_report",  # smelter/refiner or site audit, OECD step 4
    "third_party_verification",  # notified body verification, Art. 48(2) and 51
    "child_labour_assessment",
    "risk_management_plan",  # Art. 50(1)(b), OECD step 3
    "grievance_procedure",  # Art. 49(1)(d)
    "other",
]


class Access(Enum):
    """Who may read a document. Art. 52: the report is public, downstream purchasers get the supplier's
    information, market surveillance authorities and notified bodies may ask for everything that is not
    internal."""

    PUBLIC = "public"
    RECIPIENTS = "recipients"  # recipients the supplier designated (disclosure.py)
    AUTHORITY = "authority"  # notified bodies and market surveillance authorities, on request
    PRIVATE = "private"  # the supplier only; the reference may be listed, the bytes are never handed out


Reader = Literal["public", "recipient", "authority", "owner"]

_READABLE: dict[Reader, frozenset[Access]] = {
    "public": frozenset({Access.PUBLIC}),
    "recipient": frozenset({Access.PUBLIC, Access.RECIPIENTS}),
    "authority": frozenset({Access.PUBLIC, Access.RECIPIENTS, Access.AUTHORITY}),
    "owner": frozenset(Access),
}


class EvidenceRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: Sha256
    kind: EvidenceKind
    title: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    access: Access
    media_type: str = "application/pdf"
    uri: str = ""
    issued: date | None = None


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def may_read(reader: Reader, ref: EvidenceRef) -> bool:
    return ref.access in _READABLE[reader]


def visible(refs: Iterable[EvidenceRef], reader: Reader) -> tuple[EvidenceRef, ...]:
    """The references ``reader`` may see; a reference is listed only where its document may be read."""
    return tuple(ref for ref in refs if may_read(reader, ref))


def verify(ref: EvidenceRef, content: bytes) -> None:
    """Refuse bytes that are not the referenced document."""
    actual = sha256_hex(content)
    if actual != ref.sha256:
        raise InvalidInput(
            f"evidence {ref.title!r}: content has SHA-256 {actual}, the reference says {ref.sha256}"
        )


class EvidenceStore:
    """The supplier's documents by hash, in memory. Adding the same bytes twice keeps one copy."""

    def __init__(self) -> None:
        self._documents: dict[str, tuple[EvidenceRef, bytes]] = {}

    def add(
        self,
        content: bytes,
        *,
        kind: EvidenceKind,
        title: str,
        access: Access,
        media_type: str = "application/pdf",
        uri: str = "",
        issued: date | None = None,
    ) -> EvidenceRef:
        if not content:
            raise InvalidInput(f"evidence {title!r}: empty document")
        ref = EvidenceRef(
            sha256=sha256_hex(content),
            kind=kind,
            title=title,
            access=access,
            media_type=media_type,
            uri=uri,
            issued=issued,
        )
        self._documents[ref.sha256] = (ref, content)
        return ref

    def refs(self, reader: Reader = "owner") -> tuple[EvidenceRef, ...]:
        return visible((ref for ref, _ in self._documents.values()), reader)

    def read(self, sha256: str, reader: Reader) -> bytes:
        """The document's bytes; NotFound for an unknown hash, Forbidden when ``reader`` may not read it."""
        entry = self._documents.get(sha256)
        if entry is None:
            raise NotFound(f"no evidence document with SHA-256 {sha256}")
        ref, content = entry
        if not may_read(reader, ref):
            raise Forbidden(
                f"evidence {ref.title!r} is {ref.access.value}; a {reader} reader may not read it"
            )
        return content
