"""Schemathesis against the node's published OpenAPI, pact surface (see harness.py): generated requests,
authenticated as the surface expects, never get a 5xx; answers match their declared schemas; errors are
problem documents where the surface promises them. Bounded CI profile: fixed examples, derandomized."""

from __future__ import annotations

from typing import Any

import schemathesis

from .harness import call_and_check, ci_settings, node_schema, surface

SURFACE = surface("pact")
schema = node_schema("pact")


@schema.parametrize()
@ci_settings()
def test_no_pact_request_gets_a_server_error(case: schemathesis.Case[Any]) -> None:
    call_and_check(case, SURFACE)
