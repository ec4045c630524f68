"""Server-rendered consoles (issue 8): the operator's at /console on an operator node, a company's own at
/console on a company node. Being filled in."""

from __future__ import annotations

from fastapi import APIRouter

from battrace.connector.node import Node


def company_console_router(node: Node) -> APIRouter:
    del node
    return APIRouter()
