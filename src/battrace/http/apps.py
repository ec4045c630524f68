"""Due diligence, recycling and state-of-health applications over HTTP (issue 7): filled in by their node
integration."""

from __future__ import annotations

from fastapi import APIRouter

from battrace.connector.node import Node


def apps_router(node: Node) -> APIRouter:
    return APIRouter()
