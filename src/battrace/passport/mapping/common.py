"""What every passport mapping's import returns: the values it took and the values it refused, with why."""

from __future__ import annotations

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
