"""The Catena-X PCF exchange (request GET -> 202, response/update PUT) between nodes (issue 6 item 5).
Being filled in."""

from __future__ import annotations

from fastapi import APIRouter

from battrace.connector.node import Node


def pcf_exchange_router(node: Node) -> APIRouter:
    del node
    return APIRouter()
