"""Validation of DSP 2025-1 messages against the official JSON Schemas shipped in ``schemas/2025-1``.

DSP 2025-1 messages are compacted JSON-LD that "can be handled as plain JSON": the official schemas
(draft 2019-09) are the contract, so every inbound message is checked with them before it is parsed.
The schemas ``$ref`` each other by absolute ``$id``; all of them are registered in one
``referencing.Registry`` so nothing is ever fetched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from battrace.errors import InvalidInput
from battrace.jsonld import DSP_CONTEXT

if TYPE_CHECKING:
    from referencing import Registry

# jsonschema and referencing are imported on first use (jsonschema ships no type stubs; types-jsonschema is
# not a dependency): loading jsonschema's metaschemas is ~0.1–0.2 s of a node's start (issue 9, start time).

SCHEMA_BASE = "https://w3id.org/dspace/2025/1/"
_FOLDERS = ("catalog", "common", "negotiation", "transfer")
_MAX_REPORTED = 5

# @type -> schema $id (relative to SCHEMA_BASE). "VersionResponse" has no @type on the wire.
SCHEMA_BY_TYPE: Mapping[str, str] = {
    "CatalogRequestMessage": "catalog/catalog-request-message-schema.json",
    "DatasetRequestMessage": "catalog/dataset-request-message-schema.json",
    "Catalog": "catalog/catalog-schema.json",
    "Dataset": "catalog/dataset-schema.json",
    "CatalogError": "catalog/catalog-error-schema.json",
    "ContractRequestMessage": "negotiation/contract-request-message-schema.json",
    "ContractOfferMessage": "negotiation/contract-offer-message-schema.json",
    "ContractAgreementMessage": "negotiation/contract-agreement-message-schema.json",
    "ContractAgreementVerificationMessage": "negotiation/contract-agreement-verification-message-schema.json",
    "ContractNegotiationEventMessage": "negotiation/contract-negotiation-event-message-schema.json",
    "ContractNegotiationTerminationMessage":
        "negotiation/contract-negotiation-termination-message-schema.json",
    "ContractNegotiation": "negotiation/contract-negotiation-schema.json",
    "ContractNegotiationError": "negotiation/contract-negotiation-error-schema.json",
    "TransferRequestMessage": "transfer/transfer-request-message-schema.json",
    "TransferStartMessage": "transfer/transfer-start-message-schema.json",
    "TransferSuspensionMessage": "transfer/transfer-suspension-message-schema.json",
    "TransferCompletionMessage": "transfer/transfer-completion-message-schema.json",
    "TransferTerminationMessage": "transfer/transfer-termination-message-schema.json",
    "TransferProcess": "transfer/transfer-process-schema.json",
    "TransferError": "transfer/transfer-error-schema.json",
    "VersionResponse": "common/protocol-version-schema.json",
}


def _load_schema(text: str) -> dict[str, Any]:
    # Upstream defect: three transfer schemas $ref "...transfer-schema.json#definitions/..." (no "/"
    # after "#"). The Java validator tolerates it; `referencing` raises InvalidAnchor. Repair in memory.
    loaded: dict[str, Any] = json.loads(text.replace("#definitions/", "#/definitions/"))
    return loaded


@cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT201909

    root = resources.files("battrace.dsp").joinpath("schemas", "2025-1")
    resources_by_id: list[tuple[str, Resource[Any]]] = []
    for folder in _FOLDERS:
        for entry in root.joinpath(folder).iterdir():
            if entry.name.endswith("-schema.json"):
                schema = _load_schema(entry.read_text("utf-8"))
                resource = Resource.from_contents(schema, default_specification=DRAFT201909)
                resources_by_id.append((schema["$id"], resource))
    registry: Registry[Any] = Registry().with_resources(resources_by_id)
    return registry.crawl()


def schema_id(name: str) -> str:
    """Full ``$id`` for a full id, a ``<folder>/<file>`` name, or a local path ending in one."""
    if name.startswith(SCHEMA_BASE):
        return name
    folder, file = name.rstrip("/").split("/")[-2:]
    return f"{SCHEMA_BASE}{folder}/{file}"


@cache
def _validator(full_id: str) -> Any:
    from jsonschema import Draft201909Validator  # type: ignore[import-untyped]

    registry = _registry()
    try:
        schema = registry.contents(full_id)
    except LookupError:
        raise KeyError(f"no DSP 2025-1 schema with $id {full_id!r}") from None
    return Draft201909Validator(schema, registry=registry)


def iter_schema_errors(schema: str, body: Any) -> Iterator[Any]:
    """Schema errors (``jsonschema.ValidationError``) of ``body``, most relevant first (the jsonschema
    ``best_match`` ordering)."""
    from jsonschema.exceptions import relevance  # type: ignore[import-untyped]

    errors = _validator(schema_id(schema)).iter_errors(body)
    yield from sorted(errors, key=relevance, reverse=True)


def _describe(error: Any) -> str:
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{error.json_path}: {message} [{error.validator}]"


def validate_against(schema_id: str, body: Any) -> list[str]:
    """Error messages ``"<json path>: <message> [<keyword>]"``; empty when ``body`` is valid."""
    return [_describe(e) for e in iter_schema_errors(schema_id, body)]


def message_type(body: Mapping[str, Any]) -> str | None:
    """The DSP type of a message: its ``@type``, or "VersionResponse" for a version metadata body."""
    kind = body.get("@type")
    if kind is None and "protocolVersions" in body:
        return "VersionResponse"
    return kind if isinstance(kind, str) else None


def validate_message(body: Mapping[str, Any], expected_type: str | None = None) -> None:
    """Check a whole DSP message against the official schema picked by its ``@type``.

    Raises InvalidInput (400) when ``@type`` is missing, unknown or not ``expected_type``, or when the
    body violates the schema; the detail lists the first few errors (JSON path + message).
    """
    if not isinstance(body, Mapping):
        raise InvalidInput("a DSP message must be a JSON object")
    kind = message_type(body)
    if kind is None:
        raise InvalidInput("DSP message has no @type")
    if expected_type is not None and kind != expected_type:
        raise InvalidInput(f"expected a {expected_type}, got a {kind}")
    schema = SCHEMA_BY_TYPE.get(kind)
    if schema is None:
        raise InvalidInput(f"unsupported DSP message type {kind!r}")
    errors = validate_against(schema, dict(body))
    if errors:
        shown = errors[:_MAX_REPORTED]
        raise InvalidInput(
            f"{kind} does not conform to DSP 2025-1 schema {schema}: " + "; ".join(shown[:3]),
            errors=shown,
        )


# Keys whose schema type is an array of objects. EDC compacts a 1-element array to the bare object.
_OBJECT_LISTS = frozenset({
    "dataset", "catalog", "service", "distribution", "hasPolicy", "permission", "prohibition",
    "obligation", "constraint", "and", "or", "xone", "andSequence", "endpointProperties",
    "servesDataset", "protocolVersions",
})
# Keys whose schema type is an array of strings (a compacted @context is a single string: notes §6).
_STRING_LISTS = frozenset({"reason"})
# Policy rule lists that EDC sends empty ([]) although the schema demands minItems 1 when present.
_DROP_WHEN_EMPTY = frozenset({"prohibition", "obligation"})


def normalise_singletons(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``body`` with EDC's single objects wrapped into 1-element arrays, recursively.

    Only keys the 2025-1 schemas define as arrays are touched, and only with the item type the schema
    expects, so ``DatasetRequestMessage.dataset`` (a string id) stays a string. Empty ``prohibition``
    and ``obligation`` lists (EDC emits ``[]``) are dropped, since "absent" and "empty" mean the same.
    A string ``@context`` (what a JSON-LD compactor produces) becomes an array.
    """
    return {k: v for k, v in ((k, _normalise_value(k, v)) for k, v in body.items()) if v is not _DROP}


_DROP = object()


def _normalise_value(key: str, value: Any) -> Any:
    if key == "@context":  # never rewrite inside an (inline) context, only wrap a lone IRI
        return [value] if isinstance(value, str) else value
    wrap_object = key in _OBJECT_LISTS and isinstance(value, Mapping)
    if wrap_object or (key in _STRING_LISTS and isinstance(value, str)):
        value = [value]
    if key in _DROP_WHEN_EMPTY and value == []:
        return _DROP
    if isinstance(value, Mapping):
        return normalise_singletons(value)
    if isinstance(value, list):
        return [normalise_singletons(v) if isinstance(v, Mapping) else v for v in value]
    return value


def ensure_dsp_context(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose ``@context`` is an array containing the DSP 2025-1 context (appended last if absent)."""
    context = body.get("@context", [])
    contexts = [context] if isinstance(context, str) else list(context)
    if DSP_CONTEXT not in contexts:
        contexts.append(DSP_CONTEXT)
    return {**body, "@context": contexts}
