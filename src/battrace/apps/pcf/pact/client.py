"""An httpx client of a PACT v3 host: token, ListFootprints with pagination, GetFootprint, Events.

The bearer token is fetched lazily and fetched again once on a 401 (PACT v3: 401 means the token is invalid
or expired). Pagination follows the `Link: <…>; rel="next"` header (RFC 8288) and refuses a link to
another origin, so the token never leaves the host it was issued by.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from battrace.apps.pcf.pact.auth import basic_header
from battrace.apps.pcf.pact.events import CONTENT_TYPE
from battrace.apps.pcf.pact.model import ProductFootprint, parse_footprint
from battrace.errors import BattraceError

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


class PactClientError(BattraceError):
    """A PACT host answered with an error; `status` and the PACT `code` (if any) are kept."""

    status = 502
    title = "PACT host error"

    def __init__(self, detail: str, *, http_status: int, code: str | None = None) -> None:
        super().__init__(detail)
        self.http_status = http_status
        self.code = code


class PactClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        auth_base_url: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth_base = (auth_base_url or base_url).rstrip("/")
        self._client_id = client_id
        self._secret = client_secret
        self._http = http or httpx.Client(timeout=30.0)
        self._token: str | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PactClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- authentication ---------------------------------------------------------------------------

    def token_endpoint(self) -> str:
        """PACT §Authenticate: the OpenID discovery's `token_endpoint`, else `<AuthBase>/auth/token`."""
        try:
            response = self._http.get(f"{self._auth_base}/.well-known/openid-configuration")
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 200:
            endpoint = _json(response).get("token_endpoint")
            if isinstance(endpoint, str) and endpoint:
                return endpoint
        return f"{self._auth_base}/auth/token"

    def fetch_token(self) -> str:
        response = self._http.post(
            self.token_endpoint(),
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic_header(self._client_id, self._secret)},
        )
        body = _json(response)
        token = body.get("access_token")
        if response.status_code != 200 or not isinstance(token, str):
            detail = body.get("error_description") or body.get("error") or response.text[:200]
            raise PactClientError(f"token request failed: {detail}", http_status=response.status_code)
        self._token = token
        return token

    def _send(self, method: str, url: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        for attempt in (1, 2):
            token = self._token or self.fetch_token()
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
            response = self._http.request(method, url, headers=headers, **kwargs)
            if response.status_code != 401 or attempt == 2:
                return response
            self._token = None  # expired or revoked: one fresh token, then give up
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
        raise AssertionError("unreachable")  # pragma: no cover

    # -- footprints -------------------------------------------------------------------------------

    def list_page(
        self,
        url: str | None = None,
        *,
        limit: int | None = None,
        criteria: Mapping[str, str | Sequence[str]] | None = None,
    ) -> tuple[list[ProductFootprint], str | None]:
        """One page and the next page's link. `criteria` are the v3 filters (`productId=[…]`, `validOn=…`)."""
        if url is None:
            target = httpx.URL(f"{self.base_url}/3/footprints", params=_params(criteria or {}, limit))
        else:
            self._check_same_origin(url)
            target = httpx.URL(url)  # used as given: passing `params` would replace the link's query
        response = self._send("GET", target)
        body = self._expect(response, 200, 202)
        data = body.get("data")
        if not isinstance(data, list):
            raise PactClientError("ListFootprints answer has no data array", http_status=response.status_code)
        return [parse_footprint(item) for item in data], next_link(response.headers.get("link"))

    def list_footprints(
        self, *, limit: int | None = None, **criteria: str | Sequence[str]
    ) -> Iterator[ProductFootprint]:
        """Every matching footprint, following pagination links until there is none."""
        page, link = self.list_page(limit=limit, criteria=criteria)
        yield from page
        visited: set[str] = set()
        while link is not None:
            if link in visited:  # a host that links back would otherwise keep us here forever
                raise PactClientError(f"pagination link repeats: {link[:200]}", http_status=200)
            visited.add(link)
            page, link = self.list_page(link)
            yield from page

    def get_footprint(self, pf_id: uuid.UUID | str) -> ProductFootprint:
        response = self._send("GET", f"{self.base_url}/3/footprints/{pf_id}")
        data = self._expect(response, 200).get("data")
        return parse_footprint(data)

    def send_event(self, event: Mapping[str, Any]) -> None:
        response = self._send(
            "POST", f"{self.base_url}/3/events", json=dict(event), headers={"Content-Type": CONTENT_TYPE}
        )
        if not 200 <= response.status_code < 300:
            self._expect(response, 200)

    # -- helpers ----------------------------------------------------------------------------------

    def _expect(self, response: httpx.Response, *ok: int) -> dict[str, Any]:
        body = _json(response)
        if response.status_code not in ok:
            code = body.get("code") if isinstance(body.get("code"), str) else None
            message = body.get("message") or response.text[:200]
            raise PactClientError(
                f"{response.request.method} {response.request.url.path}: {response.status_code} {message}",
                http_status=response.status_code,
                code=code,
            )
        return body

    def _check_same_origin(self, url: str) -> None:
        mine, theirs = urlsplit(self.base_url), urlsplit(url)
        if (mine.scheme, mine.netloc) != (theirs.scheme, theirs.netloc):
            raise PactClientError(f"pagination link to another origin refused: {url[:200]}", http_status=200)


def _params(criteria: Mapping[str, str | Sequence[str]], limit: int | None) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    for name, value in criteria.items():
        values = [value] if isinstance(value, str) else list(value)
        params.extend((name, v) for v in values)  # explode: true — the parameter repeats
    if limit is not None:
        params.append(("limit", str(limit)))
    return params


def next_link(header: str | None) -> str | None:
    """The target of `rel="next"` in an RFC 8288 Link header, if any."""
    for target, params in _LINK.findall(header or ""):
        rels = re.findall(r'rel\s*=\s*"?([^";]+)"?', params)
        if any("next" in rel.split() for rel in rels):
            return str(target)
    return None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
