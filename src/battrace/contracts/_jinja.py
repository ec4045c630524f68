"""The two Jinja2 environments a contract is rendered with, and the rules clause sources must follow.

A clause source is written once and rendered twice: for Markdown (values escaped for Markdown) and for HTML
(values autoescaped). Its literal text is plain prose, so both outputs carry the same words; the block
structure (paragraphs, "- " list items) comes from the literal text only, because values cannot contain line
breaks (see parameters.py) and no line may start with a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

# Rendering context every clause may use besides its own parameters.
RESERVED_NAMES = frozenset({"provider", "consumer", "agreement_id", "effective"})
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# Inline Markdown syntax (CommonMark §2.4 backslash escapes); "&" only where it would start an entity.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])|&(?=#?\w+;)")
# Characters clause prose may not use: Markdown syntax (would differ between the two outputs) and HTML
# syntax (literal text is not autoescaped).
_FORBIDDEN_LITERAL = re.compile(r"[\\`*_\[\]<>|~#&{}]")


# At the start of a list item a value could open a block of its own: a heading, a nested list.
# "-" and "+" are escaped whatever follows ("---" is a thematic break), the others only as markers.
_MD_LEADING = re.compile(r"^(?:(#{1,6}(?=\s|$)|[+-])|(\d{1,9})([.)])(?=\s|$))")


def escape_markdown(text: str) -> str:
    escaped = _MD_SPECIAL.sub(lambda m: "\\" + (m.group(1) or "&"), text)
    return _MD_LEADING.sub(_escape_marker, escaped)


def _escape_marker(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


def long_date(value: date | str) -> str:
    """``1 March 2025``: spelled out so the text is unambiguous and independent of the process locale."""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def thousands(value: int | float) -> str:
    return f"{value:,}"


def _printable(value: Any) -> str:
    # Printing a bool, None or a sequence is a template bug ("True", "('a',)"): fail loudly instead.
    if isinstance(value, Markup):
        return value  # stays Markup, so that autoescape leaves it alone
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"a contract template printed a {type(value).__name__}: {value!r}")
    return str(value)


def _markdown_finalize(value: Any) -> str:
    text = _printable(value)
    # Markup marks text that is already formatted (a rendered clause inside the document frame)
    return text if isinstance(value, Markup) else escape_markdown(text)


def _environment(*, html: bool) -> ImmutableSandboxedEnvironment:
    finalize: Callable[[Any], str] = _printable if html else _markdown_finalize
    # The sandbox is defence in depth: templates are ours, but a future contract definition may bring its own.
    env = ImmutableSandboxedEnvironment(
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        finalize=finalize,
    )
    env.filters["longdate"] = long_date
    env.filters["thousands"] = thousands
    return env


MARKDOWN = _environment(html=False)
HTML = _environment(html=True)


def source_problems(source: str) -> list[str]:
    """Why ``source`` is not a valid clause template (empty when it is)."""
    problems: list[str] = []
    at_line_start = True
    for lineno, token, value in MARKDOWN.lex(source):
        if token == "data":
            for match in _FORBIDDEN_LITERAL.finditer(value):
                problems.append(f"line {lineno}: character {match.group()!r} in clause text")
            at_line_start = value.endswith("\n")
        elif token == "variable_begin" and at_line_start:
            problems.append(f"line {lineno}: a line starts with a value, which could change its structure")
        elif token in ("block_end", "variable_end"):
            at_line_start = token == "block_end"  # trim_blocks: a block tag ends its line
    return problems
