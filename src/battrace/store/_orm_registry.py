"""ORM rows of the digital twin registry (battrace.registry); declared on the store's one metadata.

Sized for 10 million shells: every lookup is an index range scan ordered by the shell's surrogate key `pk`,
so cursor paging is keyset paging (`pk > cursor`), never OFFSET. The shell row keeps the descriptor as sent
(without its submodel descriptors, which have their own rows); the two asset-id tables are indexes over it:
`registry_specific_asset_ids` for the owner (one row per specificAssetId) and `registry_asset_id_readers` for
partners (one row per specificAssetId and reader: a BPN or PUBLIC_READABLE), so a partner's lookup is as
index-only as the owner's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from battrace.store._orm import Base, BigId, JsonType


class RegistryShellRow(Base):
    __tablename__ = "registry_shells"
    __table_args__ = ({"sqlite_autoincrement": True},)
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    aas_id: Mapped[str] = mapped_column(unique=True)
    global_asset_id: Mapped[str | None] = mapped_column(index=True)
    asset_kind: Mapped[str | None]
    asset_type: Mapped[str | None]
    created_at: Mapped[datetime]
    descriptor: Mapped[dict[str, Any]]


class RegistrySpecificAssetIdRow(Base):
    __tablename__ = "registry_specific_asset_ids"
    __table_args__ = (Index(None, "name", "value", "shell_pk"), {"sqlite_autoincrement": True})
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shell_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("registry_shells.pk", ondelete="CASCADE"), index=True
    )
    name: Mapped[str]
    value: Mapped[str]
    external_subject_ids: Mapped[list[Any]] = mapped_column(JsonType)


class RegistryAssetIdReaderRow(Base):
    __tablename__ = "registry_asset_id_readers"
    __table_args__ = (
        Index(None, "name", "value", "reader", "shell_pk"),
        Index(None, "shell_pk", "reader"),
        {"sqlite_autoincrement": True},
    )
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shell_pk: Mapped[int] = mapped_column(BigId, ForeignKey("registry_shells.pk", ondelete="CASCADE"))
    name: Mapped[str]
    value: Mapped[str]
    reader: Mapped[str]


class RegistrySubmodelRow(Base):
    __tablename__ = "registry_submodel_descriptors"
    __table_args__ = (UniqueConstraint("shell_pk", "submodel_id"), {"sqlite_autoincrement": True})
    pk: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    shell_pk: Mapped[int] = mapped_column(BigId, ForeignKey("registry_shells.pk", ondelete="CASCADE"))
    submodel_id: Mapped[str]
    descriptor: Mapped[dict[str, Any]]
