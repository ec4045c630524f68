"""The Ouranos-compatible data-transaction API mounted on a node (issue 6 item 6). Being filled in."""

from __future__ import annotations

from fastapi import APIRouter

from battrace.connector.node import Node


def ouranos_node_router(node: Node) -> APIRouter:
    del node
    return APIRouter()
