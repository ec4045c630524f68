"""Schemathesis against the data-space operator's OpenAPI (trust list, directory, certification, witness,
metering), in-process, with the space's X-Api-Key: no 5xx, declared schemas hold, errors are RFC 9457 problem
documents. Bounded CI profile: fixed examples, derandomized."""

from __future__ import annotations

from typing import Any

import schemathesis

from .harness import OPERATOR_SURFACE, call_and_check, ci_settings, operator_schema

schema = operator_schema()


@schema.parametrize()
@ci_settings()
def test_no_operator_request_gets_a_server_error(case: schemathesis.Case[Any]) -> None:
    call_and_check(case, OPERATOR_SURFACE)
