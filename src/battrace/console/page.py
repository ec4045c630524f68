"""What a console page is made of, independent of HTML: sections with facts, tables and pagers.

The builders (``company``, ``operator``) turn node or space state into these values; one Jinja2 template
renders them all, so headings, captions, ``scope`` attributes and escaping are right in one place. Every
text here is plain text (the template escapes it); nothing is ever marked safe. Pure module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Tone = Literal["", "ok", "warn", "alarm", "muted"]
_SUMMARY_CHARS = 240


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None  # only ever a path on this origin, built by our code
    tone: Tone = ""
    code: bool = False  # identifiers and hashes: monospace, may wrap anywhere


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str  # said instead of an empty table


@dataclass(frozen=True)
class Pager:
    label: str
    previous: str | None
    next: str | None
    position: str  # e.g. "1–20 of 45"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    facts: tuple[tuple[str, Cell], ...] = ()
    tables: tuple[Table, ...] = ()
    notice: str | None = None
    notice_tone: Tone = "warn"
    pager: Pager | None = None
    preformatted: str | None = None  # e.g. a signed checkpoint note, shown as it is


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    current: bool


@dataclass(frozen=True)
class Page:
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    nav: tuple[NavItem, ...] = field(default=())


def text(value: Any) -> str:
    """Any stored value as display text: None as an em dash, datetimes in UTC to the second."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(text(v) for v in value) or "—"
    return str(value)


def when(value: datetime | str | None) -> str:
    """A moment as ``2026-03-01 09:00:00 UTC`` (RFC 3339 §5.6 allows the space; it lets a narrow column
    wrap between date and time). An ISO 8601 string (as the witness stores them) is read first; anything
    unreadable is shown as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:  # stored naive means UTC in this project (SQLite drops the offset)
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def cell(value: Any, *, href: str | None = None, tone: Tone = "", code: bool = False) -> Cell:
    return Cell(text(value), href, tone, code)


def summary(payload: Mapping[str, Any] | Sequence[Any] | None) -> str:
    """A compact one-line JSON of ``payload``, cut at 240 characters (a table cell, not a document)."""
    if payload is None:
        return "—"
    shown = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return shown if len(shown) <= _SUMMARY_CHARS else shown[: _SUMMARY_CHARS - 1] + "…"


def row(*cells: Cell) -> tuple[Cell, ...]:
    return cells


def paging(total: int, page: int, size: int) -> tuple[int, int]:
    """``(offset, count)`` of page ``page`` (0 = newest) over ``total`` items stored oldest first.

    Worked example: 45 items, size 20: page 0 is offsets 25..44, page 1 is 5..24, page 2 is 0..4.
    """
    end = max(0, total - page * size)
    start = max(0, end - size)
    return start, end - start


def pager(label: str, base: str, total: int, page: int, size: int, *, key: str = "page") -> Pager | None:
    """Links to the newer and older pages of ``base`` (None when everything fits on one page)."""
    if total <= size:
        return None
    pages = (total + size - 1) // size
    sep = "&" if "?" in base else "?"
    newer = f"{base}{sep}{key}={page - 1}" if page > 0 else None
    older = f"{base}{sep}{key}={page + 1}" if page + 1 < pages else None
    start, count = paging(total, page, size)
    # Shown newest first: the first row of page 0 is item ``total``.
    position = f"{total - start - count + 1}–{total - start} / {total}"
    return Pager(label, newer, older, position)


def page_number(raw: str | None, limit: int = 10_000) -> int:
    """A ``?page=`` value: a small non-negative integer, anything else is the first page."""
    if raw is None or not raw.isdigit() or len(raw) > 6:
        return 0
    return min(int(raw), limit)
