"""Expanded JSON-LD in, plain values out (private to ``battrace.management``).

Every Management API body is JSON-LD-expanded first so the short form (``@vocab`` = EDC), the ``edc:``
prefixed form, fully expanded IRIs and the DSP/Catena-X contexts all read the same. The readers below
turn an expanded node into Python values and raise :class:`InvalidInput` naming the field, never a
KeyError or TypeError.

Expansion and compaction go through ``battrace.jsonld`` (offline contexts, a private context resolver
per call against PyLD's shared-cache corruption, and a memo of results).
"""

from __future__ import annotations

import re
from typing import Any

from battrace import jsonld as battrace_jsonld
from battrace.errors import InvalidInput
from battrace.jsonld import (
    CX_POLICY_NS,
    DCAT_NS,
    DCT_NS,
    DSPACE_NS,
    EDC_NS,
    ODRL_NS,
    TX_AUTH_NS,
)

Node = dict[str, Any]

PREFIXES: dict[str, str] = {
    "edc": EDC_NS,
    "odrl": ODRL_NS,
    "dspace": DSPACE_NS,
    "dct": DCT_NS,
    "dcat": DCAT_NS,
    "cx-policy": CX_POLICY_NS,
    "tx-auth": TX_AUTH_NS,
}
_SIMPLE_TERM = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


def edc(name: str) -> str:
    return EDC_NS + name


def expand(document: Any) -> list[Node]:
    return battrace_jsonld.expand(document)


def compact(document: Any, context: list[Any]) -> Node:
    return battrace_jsonld.compact(document, context)


def expand_body(body: Any, what: str) -> Node:
    """Expand a request body that must describe exactly one JSON-LD node."""
    if not isinstance(body, dict):
        raise InvalidInput(f"{what}: the body must be a JSON object, got {_json_type(body)}")
    if "@context" not in body and any(":" not in str(key) for key in body if not str(key).startswith("@")):
        # Without a context such keys silently vanish on expansion; say so instead of ignoring them.
        raise InvalidInput(
            f"{what}: '@context' is missing, so terms like {_first_term(body)!r} are undefined; "
            f'send e.g. "@context": {{"@vocab": "{EDC_NS}"}}'
        )
    expanded = expand(body)
    if not expanded:
        return {}
    if len(expanded) != 1 or not is_node(expanded[0]):
        raise InvalidInput(f"{what}: the body must describe exactly one JSON-LD node, got {len(expanded)}")
    return expanded[0]


def _first_term(body: dict[Any, Any]) -> str:
    return next(str(key) for key in body if ":" not in str(key) and not str(key).startswith("@"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def is_node(item: Any) -> bool:
    return isinstance(item, dict) and "@value" not in item and "@list" not in item


def check_type(node: Node, allowed: set[str], what: str) -> None:
    types = node.get("@type", [])
    if types and not allowed.intersection(types):
        expected = " or ".join(sorted(_short(t) for t in allowed))
        raise InvalidInput(f"{what}: @type must be {expected}, got {', '.join(map(str, types))}")


def _short(iri: str) -> str:
    return iri[len(EDC_NS) :] if iri.startswith(EDC_NS) else iri


def one(node: Node, iri: str, field: str) -> Any:
    values = node.get(iri, [])
    if len(values) > 1:
        raise InvalidInput(f"{field}: expected a single value, got {len(values)}")
    return values[0] if values else None


def string(node: Node, iri: str, field: str, *, required: bool = False) -> str | None:
    item = one(node, iri, field)
    if item is None:
        if required:
            raise InvalidInput(f"{field} is required")
        return None
    if isinstance(item, dict) and isinstance(item.get("@value"), str):
        return str(item["@value"])
    if isinstance(item, dict) and set(item) == {"@id"}:
        return str(item["@id"])
    raise InvalidInput(f"{field}: expected a string, got {_json_type(plain_item(item))}")


def required_string(node: Node, iri: str, field: str) -> str:
    value = string(node, iri, field, required=True)
    assert value is not None  # guaranteed by required=True
    if not value.strip():
        raise InvalidInput(f"{field} must not be blank")
    return value


def integer(node: Node, iri: str, field: str, default: int) -> int:
    item = one(node, iri, field)
    if item is None:
        return default
    value = item.get("@value") if isinstance(item, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: expected an integer, got {_json_type(plain_item(item))}")
    return value


def boolean(node: Node, iri: str, field: str, default: bool) -> bool:
    item = one(node, iri, field)
    if item is None:
        return default
    value = item.get("@value") if isinstance(item, dict) else None
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise InvalidInput(f"{field}: expected a boolean, got {_json_type(plain_item(item))}")
    return value


def strings(node: Node, iri: str, field: str) -> tuple[str, ...]:
    out: list[str] = []
    for index, item in enumerate(node.get(iri, [])):
        if not (isinstance(item, dict) and isinstance(item.get("@value"), str)):
            raise InvalidInput(f"{field}[{index}]: expected a string")
        out.append(item["@value"])
    return tuple(out)


def child(node: Node, iri: str, field: str, *, required: bool = False) -> Node | None:
    item = one(node, iri, field)
    if item is None:
        if required:
            raise InvalidInput(f"{field} is required")
        return None
    if not is_node(item):
        raise InvalidInput(f"{field}: expected an object, got {_json_type(plain_item(item))}")
    node_item: Node = item
    return node_item


def children(node: Node, iri: str, field: str) -> list[Node]:
    items = node.get(iri, [])
    for index, item in enumerate(items):
        if not is_node(item):
            raise InvalidInput(f"{field}[{index}]: expected an object, got {_json_type(plain_item(item))}")
    return list(items)


def plain_values(values: list[Any]) -> Any:
    """Expanded values of one property as plain JSON: a single value unwrapped, several as a list."""
    items = [plain_item(value) for value in values]
    return items[0] if len(items) == 1 else items


def plain_item(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    if "@value" in item:
        return item["@value"]
    if "@list" in item:
        return [plain_item(value) for value in item["@list"]]
    return plain_node(item)


def plain_node(node: Node) -> dict[str, Any]:
    """A node object as plain JSON keyed by expanded IRIs (``@id``/``@type`` kept, other keywords dropped)."""
    out: dict[str, Any] = {}
    if "@id" in node:
        out["@id"] = node["@id"]
    if "@type" in node:
        types = node["@type"]
        out["@type"] = types[0] if len(types) == 1 else list(types)
    for key, values in node.items():
        if not key.startswith("@"):
            out[key] = plain_values(values)
    return out


def edc_short_node(node: Node) -> dict[str, Any]:
    """Plain JSON with keys in the EDC namespace shortened (``type``, ``baseUrl``, ``proxyPath`` …)."""
    return {short_edc_key(key): value for key, value in plain_node(node).items() if not key.startswith("@")}


def short_edc_key(iri: str) -> str:
    local = iri[len(EDC_NS) :]
    if iri.startswith(EDC_NS) and _SIMPLE_TERM.match(local) and local not in PREFIXES:
        return local
    return iri


def compact_key(iri: str) -> str:
    """Key for the renderers' context (``@vocab`` = EDC, prefixes ``edc``/``odrl``/``dspace``)."""
    if iri.startswith("@"):
        return iri
    short = short_edc_key(iri)
    if short != iri:
        return short
    for prefix in ("odrl", "dspace"):
        namespace = PREFIXES[prefix]
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and _SIMPLE_TERM.match(local):
            return f"{prefix}:{local}"
    return iri


def expand_name(name: str) -> str:
    """``edc:id`` / ``id`` → the EDC IRI; a known prefix is expanded; anything else is kept as given."""
    prefix, separator, local = name.partition(":")
    if separator and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    if _SIMPLE_TERM.match(name):
        return EDC_NS + name
    return name


def mentions(value: Any, namespace: str) -> bool:
    """True when any key or string anywhere in ``value`` starts with ``namespace``."""
    if isinstance(value, str):
        return value.startswith(namespace)
    if isinstance(value, dict):
        return any(mentions(key, namespace) or mentions(item, namespace) for key, item in value.items())
    if isinstance(value, list):
        return any(mentions(item, namespace) for item in value)
    return False
