"""did:web resolution with a bounded, thread-safe TTL cache; the fetch itself is injected (httpx, static)."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import httpx

from battrace.clock import Clock
from battrace.errors import BattraceError, Unauthenticated
from battrace.identity.did import did_web_document_url
from battrace.json_body import BodyRejected, read_json_object

DocumentFetcher = Callable[[str], Mapping[str, Any]]

# did:web §3.2.1 names application/did+json; plain JSON is what most static hosts send
_JSON_TYPES = ("application/json", "application/did+json", "application/did+ld+json", "application/ld+json")
_ACCEPT = "application/did+json, application/json;q=0.9"


class DidResolutionError(Unauthenticated):
    """The DID document could not be obtained or is not that DID's document (401: the caller is unknown)."""

    title = "DID not resolvable"


@dataclass(frozen=True)
class _Entry:
    document: Mapping[str, Any]
    fetched_at: datetime


class DidResolver:
    def __init__(
        self,
        fetch: DocumentFetcher,
        *,
        clock: Clock,
        ttl: timedelta = timedelta(minutes=5),
        allow_http: bool = False,
        max_entries: int = 10_000,
        min_refresh_interval: timedelta = timedelta(seconds=30),
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._allow_http = allow_http
        self._max_entries = max_entries
        self._min_refresh = min_refresh_interval
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, _Entry] = OrderedDict()

    def resolve(self, did: str) -> Mapping[str, Any]:
        """The DID document of ``did`` (read-only), from the cache while younger than ttl."""
        now = self._clock()
        with self._lock:
            entry = self._cache.get(did)
            if entry is not None and now - entry.fetched_at < self._ttl:
                self._cache.move_to_end(did)
                return entry.document
        # fetched outside the lock: one slow DID host must not stall every other caller; two threads racing
        # on the same DID just fetch twice
        document = self._load(did)
        self._store(did, _Entry(document, now))
        return document

    def invalidate(self, did: str) -> None:
        with self._lock:
            self._cache.pop(did, None)

    def refresh(self, did: str) -> Mapping[str, Any] | None:
        """Re-fetch after a verification failure (key rotation), unless the cached copy is younger than
        ``min_refresh_interval``: otherwise every forged token naming a victim's DID would make us hammer the
        victim's web server. Returns the new document, or None when no refresh was allowed."""
        now = self._clock()
        with self._lock:
            entry = self._cache.get(did)
            if entry is not None and now - entry.fetched_at < self._min_refresh:
                return None
            self._cache.pop(did, None)
        return self.resolve(did)

    def _load(self, did: str) -> Mapping[str, Any]:
        try:
            url = did_web_document_url(did, allow_http=self._allow_http)
        except BattraceError as error:
            raise DidResolutionError(f"cannot resolve {did!r}: {error.detail}") from error
        try:
            document = self._fetch(url)
        except DidResolutionError:
            raise
        except Exception as error:  # the fetcher is pluggable; any failure means "not resolvable"
            raise DidResolutionError(f"cannot fetch the DID document of {did} from {url}: {error}") from error
        if not isinstance(document, Mapping):
            raise DidResolutionError(f"the DID document of {did} is not a JSON object")
        # DID Core §7.1.2 / did:web §3.2: the resolved document must be about the DID that was asked for
        if document.get("id") != did:
            raise DidResolutionError(f"the document at {url} has id {document.get('id')!r}, expected {did}")
        # a private copy: the fetcher's object may be shared or mutated later, the cache must not change
        return MappingProxyType(copy.deepcopy(dict(document)))

    def _store(self, did: str, entry: _Entry) -> None:
        with self._lock:
            self._cache[did] = entry
            self._cache.move_to_end(did)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)  # least recently used


def static_fetcher(documents: Mapping[str, Mapping[str, Any]]) -> DocumentFetcher:
    """A fetcher over a fixed ``{url: document}`` map, for tests and fixed deployments."""

    def fetch(url: str) -> Mapping[str, Any]:
        try:
            return documents[url]
        except KeyError:
            raise DidResolutionError(f"no DID document at {url}") from None

    return fetch


def httpx_fetcher(client: httpx.Client, *, max_bytes: int = 64_000, timeout: float = 5.0) -> DocumentFetcher:
    """GET the document with a timeout, refusing redirects, non-200 answers, non-JSON types and bodies larger
    than ``max_bytes`` (read incrementally, so a huge body is never buffered)."""

    def fetch(url: str) -> Mapping[str, Any]:
        headers = {"Accept": _ACCEPT}
        with client.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=False) as response:
            if response.status_code != 200:
                raise DidResolutionError(f"GET {url} answered {response.status_code}")
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type not in _JSON_TYPES:
                raise DidResolutionError(f"GET {url} answered {media_type or 'no content type'}, not JSON")
            try:
                return read_json_object(response, max_bytes)
            except BodyRejected as error:
                raise DidResolutionError(f"GET {url} answered {error}") from error

    return fetch
