"""What every passport mapping's import returns: the values it took and the values it refused, with why."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Flag:
    """A schema-valid value that is semantically wrong: reported, not imported."""

    path: str  # where in the external document, e.g. "recycledContent[0].preConsumerShare"
    attribute: str  # our catalogue key it would have filled
    reason: str
    value: object


@dataclass(frozen=True)
class ImportResult:
    aspect: str
    values: dict[str, object] = field(default_factory=dict)  # our flat representation
    flags: tuple[Flag, ...] = ()
    unmapped: tuple[str, ...] = ()  # document leaves our catalogue does not hold


# A mapping path: dotted segments; "name[3]" is a list position, "name[key=Value]" the list entry whose key
# equals Value (how the models keep one entry per element, stage or component).
SEGMENT = re.compile(r"^(?P<name>[A-Za-z0-9_]+)(?:\[(?:(?P<index>[0-9]+)|(?P<sk>\w+)=(?P<sv>\w+))\])?$")


def segments(path: str) -> Iterator[re.Match[str]]:
    for segment in path.split("."):
        match = SEGMENT.match(segment)
        assert match is not None, path
        yield match


def put(doc: dict[str, object], path: str, value: object) -> None:
    """Set ``value`` at ``path`` in ``doc``, creating the objects and selected list entries on the way."""
    target = doc
    matches = list(segments(path))
    for index, match in enumerate(matches):
        name, last = match["name"], index == len(matches) - 1
        if match["sk"] is not None:
            entries = target.setdefault(name, [])
            assert isinstance(entries, list)
            entry = next((e for e in entries if e.get(match["sk"]) == match["sv"]), None)
            if entry is None:
                entry = {match["sk"]: match["sv"]}
                entries.append(entry)
            target = entry
        elif last:
            target[name] = value
        else:
            child = target.setdefault(name, {})
            assert isinstance(child, dict)
            target = child


def leaves(node: object, prefix: str) -> list[str]:
    """The paths of every leaf under ``node`` (a list of plain strings counts as one leaf)."""
    if isinstance(node, Mapping):
        return [leaf for k, v in node.items() for leaf in leaves(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(node, list) and node and not all(isinstance(x, str) for x in node):
        return [leaf for i, v in enumerate(node) for leaf in leaves(v, f"{prefix}[{i}]")]
    return [prefix]
