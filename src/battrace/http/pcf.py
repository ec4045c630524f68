"""Carbon footprint application over HTTP (issue 6): filled in by the PCF node integration."""

from __future__ import annotations

from fastapi import APIRouter

from battrace.connector.node import Node


def pcf_router(node: Node) -> APIRouter:
    return APIRouter()
