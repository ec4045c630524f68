"""PACT v3 events: CloudEvents 1.0 in structured JSON mode (openapi_v3_0.yaml `BaseEvent` and its four kinds).

Parsing only — no I/O. `parse_event` turns a decoded body into one of the four frozen models or raises
`InvalidInput` (PACT v3 §Action Events: "A host system MUST validate the event and return an HTTP 4xx").
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from battrace.apps.pcf.pact.model import ProductFootprint, describe
from battrace.apps.pcf.pact.repository import FootprintFilter
from battrace.errors import InvalidInput

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
PREFIX = "org.wbcsd.pact.ProductFootprint."
REQUEST_CREATED = PREFIX + "RequestCreatedEvent.3"
REQUEST_FULFILLED = PREFIX + "RequestFulfilledEvent.3"
REQUEST_REJECTED = PREFIX + "RequestRejectedEvent.3"
PUBLISHED = PREFIX + "PublishedEvent.3"
ErrorCode = Literal[
    "BadRequest", "AccessDenied", "TokenExpired", "NotFound", "InternalError", "NotImplemented"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True, extra="ignore")


class RequestCriteria(_Frozen):
    """`RequestCreatedEvent.data`: the ListFootprints criteria, as arrays (status too), plus a comment."""

    productId: tuple[str, ...] = ()
    companyId: tuple[str, ...] = ()
    geography: tuple[str, ...] = ()
    classification: tuple[str, ...] = ()
    validOn: AwareDatetime | None = None
    validAfter: AwareDatetime | None = None
    validBefore: AwareDatetime | None = None
    status: tuple[Literal["Active", "Deprecated"], ...] = ()
    comment: str | None = None

    def to_filter(self) -> FootprintFilter:
        return FootprintFilter(
            productId=self.productId,
            companyId=self.companyId,
            geography=self.geography,
            classification=self.classification,
            status=self.status,
            validOn=self.validOn,
            validAfter=self.validAfter,
            validBefore=self.validBefore,
        )


class PublishedData(_Frozen):
    pfIds: Annotated[tuple[uuid.UUID, ...], Field(min_length=1)]


class FulfilledData(_Frozen):
    requestEventId: Annotated[str, Field(min_length=1)]
    pfs: Annotated[tuple[ProductFootprint, ...], Field(min_length=1)]


class EventError(_Frozen):
    code: ErrorCode
    message: str


class RejectedData(_Frozen):
    requestEventId: Annotated[str, Field(min_length=1)]
    error: EventError


class _Base(_Frozen):
    specversion: Literal["1.0"]
    id: Annotated[str, Field(min_length=1)]
    source: Annotated[str, Field(min_length=1)]
    time: AwareDatetime


class RequestCreated(_Base):
    type: Literal["org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"]
    data: RequestCriteria


class RequestFulfilled(_Base):
    type: Literal["org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3"]
    data: FulfilledData


class RequestRejected(_Base):
    type: Literal["org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3"]
    data: RejectedData


class Published(_Base):
    type: Literal["org.wbcsd.pact.ProductFootprint.PublishedEvent.3"]
    data: PublishedData


Event = RequestCreated | RequestFulfilled | RequestRejected | Published
_KINDS: dict[str, type[RequestCreated | RequestFulfilled | RequestRejected | Published]] = {
    REQUEST_CREATED: RequestCreated,
    REQUEST_FULFILLED: RequestFulfilled,
    REQUEST_REJECTED: RequestRejected,
    PUBLISHED: Published,
}


def parse_event(body: Any) -> Event:
    if not isinstance(body, dict):
        raise InvalidInput("a PACT event must be a JSON object (CloudEvents structured mode)")
    kind_name = body.get("type")
    kind = _KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        raise InvalidInput(
            f"unknown event type {str(body.get('type'))[:100]!r}; expected one of {sorted(_KINDS)}"
        )
    try:
        return kind.model_validate(body)
    except ValidationError as error:
        raise InvalidInput(f"invalid {body['type']}: {describe(error)}") from None


def _envelope(kind: str, event_id: str, source: str, time: datetime) -> dict[str, Any]:
    return {
        "type": kind,
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "time": time.isoformat().replace("+00:00", "Z"),
    }


def fulfilled(
    request_id: str, pfs: list[ProductFootprint], *, event_id: str, source: str, time: datetime
) -> dict[str, Any]:
    if not pfs:
        # v3 §RequestFulfilledEvent: "If there are no product footprints … MUST send a RequestRejectedEvent".
        raise ValueError("a RequestFulfilledEvent needs at least one footprint")
    body = _envelope(REQUEST_FULFILLED, event_id, source, time)
    body["data"] = {"requestEventId": request_id, "pfs": [pf.to_json() for pf in pfs]}
    return body


def rejected(
    request_id: str, code: ErrorCode, message: str, *, event_id: str, source: str, time: datetime
) -> dict[str, Any]:
    body = _envelope(REQUEST_REJECTED, event_id, source, time)
    body["data"] = {"requestEventId": request_id, "error": {"code": code, "message": message}}
    return body


def published(pf_ids: list[uuid.UUID], *, event_id: str, source: str, time: datetime) -> dict[str, Any]:
    body = _envelope(PUBLISHED, event_id, source, time)
    body["data"] = {"pfIds": [str(i) for i in pf_ids]}
    return body


def request_created(
    criteria: dict[str, Any], *, event_id: str, source: str, time: datetime
) -> dict[str, Any]:
    body = _envelope(REQUEST_CREATED, event_id, source, time)
    body["data"] = criteria
    return body
