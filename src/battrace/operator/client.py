"""Reading a data space from the outside: its signed trust list with the recognitions attached, its status
lists, its DID documents, over HTTP. What a connector (or a test) needs to verify a participant's credential
exactly as a relying party would, and the downloaders the operator itself uses for foreign spaces.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from battrace.clock import Clock, system_clock, urn_uuid
from battrace.errors import BattraceError, InvalidInput
from battrace.identity import DidResolver, httpx_fetcher
from battrace.operator.files import SpaceFiles
from battrace.operator.service import SpaceOperator, space_dids
from battrace.trust.recognition import Recognition
from battrace.trust.trustlist import TrustDecision, TrustList, verify_trust_list

log = logging.getLogger("battrace.operator")
# an empty 131 072-entry status list is ~100 bytes gzipped and trust lists are small: 4 MiB is generous
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
IsTrusted = Callable[[str, str, datetime], "Decision"]


def http_download(
    client: httpx.Client, *, max_bytes: int = MAX_DOCUMENT_BYTES, timeout: float = 5.0
) -> Callable[[str], str]:
    """GET ``url`` as text: 200 only, no redirects, at most ``max_bytes`` (read incrementally)."""

    def download(url: str) -> str:
        with client.stream("GET", url, timeout=timeout, follow_redirects=False) as response:
            if response.status_code != 200:
                raise InvalidInput(f"GET {url} answered {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(f"GET {url} answered more than {max_bytes} bytes")
                chunks.append(chunk)
        try:
            return b"".join(chunks).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput(f"GET {url} answered non-UTF-8 content") from error

    return download


def http_resolver(client: httpx.Client, *, clock: Clock, dev: bool) -> DidResolver:
    """did:web resolution over ``client``; ``dev`` allows http:// for loopback and private hosts only."""
    return DidResolver(httpx_fetcher(client), clock=clock, allow_http=dev)


@dataclass(frozen=True)
class Decision:
    """A trust decision in the shape ``battrace.trust.verify_credential`` reads (``allowed``, ``reasons``).

    ``TrustList.is_trusted`` answers a ``TrustDecision`` whose flag is called ``trusted``; the verifier looks
    for ``allowed``, so the decision is carried over here rather than passed through as is."""

    allowed: bool
    reasons: tuple[str, ...]
    via: str | None

    @classmethod
    def of(cls, decision: TrustDecision) -> Decision:
        return cls(decision.trusted, decision.reasons, decision.via)


def trust_predicate(trust_list: TrustList) -> IsTrusted:
    """``is_trusted`` for ``verify_credential`` backed by ``trust_list`` (and its recognitions)."""

    def is_trusted(issuer: str, credential_type: str, at: datetime) -> Decision:
        return Decision.of(trust_list.is_trusted(issuer, credential_type, at))

    return is_trusted


def trust_view(
    trust_list_jws: str,
    recognitions: Sequence[Mapping[str, Any]],
    *,
    operator_document: Mapping[str, Any],
    resolve: Callable[[str], Mapping[str, Any]],
) -> TrustList:
    """The space's trust list, verified with its operator's DID document, consulting every recognition the
    same operator signed. The list itself must verify (else nothing is trusted); a recognition that cannot be
    verified (forged, or its foreign operator unreachable) is left out and logged, so one foreign space
    going offline withdraws only the trust that came through it, never the space's own."""
    own = verify_trust_list(trust_list_jws, operator_document)
    attached: list[Recognition] = []
    for record in recognitions:
        try:
            attached.append(_recognition(record, operator_document, resolve))
        except BattraceError as error:
            log.warning("recognition %s left out: %s", record.get("id"), error.detail)
    return own.with_recognitions(*attached)


def _recognition(
    record: Mapping[str, Any],
    operator_document: Mapping[str, Any],
    resolve: Callable[[str], Mapping[str, Any]],
) -> Recognition:
    withdrawal = record.get("withdrawal")
    if withdrawal is not None and not isinstance(withdrawal, str):
        raise InvalidInput("a recognition's withdrawal must be a JWS string or null")
    return Recognition.verify(
        _text(record, "statement"),
        _text(record, "foreignTrustList"),
        recognizer_document=operator_document,
        foreign_operator_document=resolve(_text(record, "foreignOperatorDid")),
        withdrawal_jws=withdrawal,
    )


def _text(record: Mapping[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str):
        raise InvalidInput(f"a recognition record has no {name}")
    return value


class SpaceClient:
    """The operator's HTTP API (public routes; the management ones when ``api_key`` is given)."""

    def __init__(self, base_url: str, http: httpx.Client, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._api_key = api_key

    def trust_list(self) -> str:
        return self._get("/space/trust-list").text

    def recognitions(self) -> list[dict[str, Any]]:
        return list(self._get("/space/recognitions").json())

    def directory(self) -> list[dict[str, Any]]:
        return list(self._get("/space/directory").json())

    def trust_view(self, resolver: DidResolver) -> TrustList:
        operator_did = resolver_did(self.base_url)
        return trust_view(
            self.trust_list(),
            self.recognitions(),
            operator_document=resolver.resolve(operator_did),
            resolve=resolver.resolve,
        )

    def certify(self, body: Mapping[str, Any]) -> list[str]:
        return list(self._post("/space/certify", body)["credentials"])

    def revoke(self, credential_id: str) -> dict[str, Any]:
        return self._post("/space/revoke", {"credentialId": credential_id})

    def recognize(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._post("/space/recognitions", body)

    def withdraw(self, recognition_id: str, reason: str = "") -> dict[str, Any]:
        return self._post(f"/space/recognitions/{recognition_id}/withdraw", {"reason": reason})

    def _get(self, path: str) -> httpx.Response:
        response = self._http.get(self.base_url + path, timeout=10.0)
        _raise_for_problem(response)
        return response

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        headers = {"X-Api-Key": self._api_key or ""}
        response = self._http.post(self.base_url + path, json=dict(body), headers=headers, timeout=10.0)
        _raise_for_problem(response)
        result: dict[str, Any] = response.json()
        return result


def resolver_did(base_url: str) -> str:
    """The operator DID of a space served at ``base_url`` (did:web of its host and port)."""
    return space_dids(base_url)[0]


class SpaceError(BattraceError):
    """The operator answered with a problem document (its status in ``upstream_status``)."""

    status = 502
    title = "Operator error"

    def __init__(self, detail: str, upstream_status: int) -> None:
        super().__init__(detail, upstreamStatus=upstream_status)
        self.upstream_status = upstream_status


def _raise_for_problem(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        detail = str(response.json().get("detail", response.text))
    except ValueError:
        detail = response.text
    where = f"{response.request.method} {response.request.url}"
    raise SpaceError(f"{where} → {response.status_code}: {detail}", response.status_code)


def operator_for(root: Path, http: httpx.Client) -> SpaceOperator:
    """The operator of the space in ``root`` on the system clock, with random ids and HTTP for foreign
    spaces (the edges: the CLI and the server)."""
    dev = SpaceFiles(root).config().dev
    resolver = http_resolver(http, clock=system_clock, dev=dev)
    return SpaceOperator(
        root, clock=system_clock, ids=urn_uuid, resolve=resolver.resolve, download=http_download(http)
    )
