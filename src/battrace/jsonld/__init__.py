"""JSON-LD processing with contexts served from local files only.

Why: a remote context fetch at run time makes a connector fail when w3id.org is slow or down
(eclipse-edc/Connector #3687). Every context battrace understands is shipped in ``contexts/``;
an unknown remote context is an input error, never a network call.

Pitfalls this module exists for (research/dataspace-protocol.md §6):
* The DSP 2025-1 context is ``@protected``: the Catena-X policy context must come *before* it in an
  ``@context`` array, never after.
* ``@vocab``-typed values that are not defined terms (``format: "HttpData-PULL"``) become relative IRIs;
  expand with ``base=None`` so they stay as written.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from functools import cache
from importlib import resources
from typing import Any

import rfc8785

from battrace.errors import InvalidInput

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
DSP_ODRL_PROFILE = "https://w3id.org/dspace/2025/1/odrl-profile.jsonld"
CX_POLICY_CONTEXT = "https://w3id.org/catenax/2025/9/policy/context.jsonld"
CX_ODRL = "https://w3id.org/catenax/2025/9/policy/odrl.jsonld"
TX_AUTH_CONTEXT = "https://w3id.org/tractusx/auth/v1.0.0"
EDC_DSPACE_CONTEXT = "https://w3id.org/edc/dspace/v0.0.1"
EDC_MANAGEMENT_CONTEXT = "https://w3id.org/edc/connector/management/v0.0.1"

EDC_NS = "https://w3id.org/edc/v0.0.1/ns/"
DSPACE_NS = "https://w3id.org/dspace/2025/1/"
ODRL_NS = "http://www.w3.org/ns/odrl/2/"
CX_POLICY_NS = "https://w3id.org/catenax/2025/9/policy/"
TX_AUTH_NS = "https://w3id.org/tractusx/auth/"
DCAT_NS = "http://www.w3.org/ns/dcat#"
DCT_NS = "http://purl.org/dc/terms/"

_LOCAL_FILES: dict[str, str] = {
    DSP_CONTEXT: "dspace-2025-1.jsonld",
    DSP_ODRL_PROFILE: "odrl-profile-2025-1.jsonld",
    CX_POLICY_CONTEXT: "catenax-policy-2025-9.jsonld",
    CX_ODRL: "odrl-profile-2025-1.jsonld",
    # Tractus-X and EDC publish these names but no stable document; ours define the same prefixes.
    TX_AUTH_CONTEXT: "battrace-tractusx-auth.jsonld",
    EDC_DSPACE_CONTEXT: "battrace-edc-management.jsonld",
    EDC_MANAGEMENT_CONTEXT: "battrace-edc-management.jsonld",
    # battrace's own policy operands (battrace.policy.operands.BATTRACE_POLICY_CONTEXT).
    "https://w3id.org/battrace/policy/v1/context.jsonld": "battrace-policy.jsonld",
    # W3C VC data model contexts and the credential vocabularies battrace.trust reads and signs.
    "https://www.w3.org/2018/credentials/v1": "w3c-credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/v2": "w3c-credentials-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "w3c-credentials-examples-v2.jsonld",
    "https://w3id.org/catenax/credentials/v1.0.0": "catenax-credentials-v1.0.0.jsonld",
    "https://w3id.org/battrace/credentials/v1": "battrace-credentials-v1.jsonld",
    # Gaia-X shaped self-descriptions (battrace.trust.selfdescription): the gx and bt prefixes.
    "https://w3id.org/battrace/gaia-x/v1": "battrace-gaiax-v1.jsonld",
}


@cache
def _context_document(filename: str) -> dict[str, Any]:
    text = resources.files("battrace.jsonld").joinpath("contexts", filename).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def known_contexts() -> tuple[str, ...]:
    return tuple(_LOCAL_FILES)


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD document loader that serves only the shipped contexts."""
    filename = _LOCAL_FILES.get(url.rstrip("#"))
    if filename is None:
        from pyld import jsonld

        raise jsonld.JsonLdError(
            f"remote context {url!r} is not available offline",
            "jsonld.LoadDocumentError",
            code="loading remote context failed",
        )
    # PyLD mutates what it is given; hand out a copy of the cached document.
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_context_document(filename))}


# PyLD is not hardened against arbitrary JSON (a number where a context is expected raises TypeError deep
# inside); any of these from PyLD means the client sent a malformed document.
_PYLD_CRASHES = (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)


def _options() -> dict[str, Any]:
    from pyld.context_resolver import ContextResolver

    # A fresh resolver per call: PyLD's process-wide resolved-context cache is mutated when the DSP context
    # @imports the ODRL profile, after which documents starting with that profile fail to expand.
    return {
        "documentLoader": document_loader,
        "base": None,
        "contextResolver": ContextResolver({}, document_loader),
    }


class _Memo:
    """A small thread-safe LRU of JSON-LD results keyed by the canonical JSON (RFC 8785) of the input.

    Why: a connector sees the same few policies and offers over and over (catalog, request, agreement,
    every transfer), and JSON-LD processing is the dominant CPU cost of a negotiation. Results are copied
    in and out, so callers may mutate what they get.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(*parts: Any) -> str | None:
        try:
            return hashlib.sha256(rfc8785.dumps(list(parts))).hexdigest()
        except Exception:  # not canonicalisable (NaN, huge ints): just don't cache
            return None

    def get(self, key: str | None) -> Any:
        if key is None:
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
        return copy.deepcopy(value) if value is not None else None

    def put(self, key: str | None, value: Any) -> None:
        if key is None:
            return
        stored = copy.deepcopy(value)
        with self._lock:
            self._items[key] = stored
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_memo = _Memo(4096)


def expand(document: dict[str, Any] | list[Any]) -> list[dict[str, Any]]:
    """Expand with local contexts only; a JSON-LD error becomes an InvalidInput (a 400 at the edge)."""
    key = _memo.key("expand", document)
    cached = _memo.get(key)
    if cached is not None:
        return list(cached)
    from pyld import jsonld  # on first use: PyLD and the requests stack it imports are ~0.1 s of a start

    try:
        expanded: list[dict[str, Any]] = jsonld.expand(document, _options())
    except jsonld.JsonLdError as error:
        raise InvalidInput(f"JSON-LD expansion failed: {_root_cause(error)}") from error
    except _PYLD_CRASHES as error:
        raise InvalidInput(
            f"JSON-LD expansion failed: malformed document ({type(error).__name__})"
        ) from error
    _memo.put(key, expanded)
    return expanded


def compact(
    document: dict[str, Any] | list[Any], context: list[Any] | dict[str, Any] | str
) -> dict[str, Any]:
    key = _memo.key("compact", document, context)
    cached = _memo.get(key)
    if cached is not None:
        return dict(cached)
    from pyld import jsonld

    try:
        compacted: dict[str, Any] = jsonld.compact(document, context, _options())
    except jsonld.JsonLdError as error:
        raise InvalidInput(f"JSON-LD compaction failed: {_root_cause(error)}") from error
    except _PYLD_CRASHES as error:
        raise InvalidInput(
            f"JSON-LD compaction failed: malformed document ({type(error).__name__})"
        ) from error
    _memo.put(key, compacted)
    return compacted


def _root_cause(error: BaseException) -> str:
    """The innermost PyLD error message (e.g. our loader's "not available offline", not PyLD's wrapper)."""
    from pyld import jsonld

    cause: BaseException = error
    while isinstance(cause, jsonld.JsonLdError):
        details = cause.details if isinstance(cause.details, dict) else {}
        inner = cause.cause or details.get("cause")
        if not isinstance(inner, BaseException):
            break
        cause = inner
    message = cause.args[0] if cause.args else type(cause).__name__
    return str(message).splitlines()[0][:300]
