"""Arbitrary JSON into every parser gives a value or InvalidInput, never KeyError/TypeError/anything else."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.jsonld import EDC_NS
from battrace.management import (
    Criterion,
    matches,
    parse_asset,
    parse_catalog_request,
    parse_contract_definition,
    parse_contract_request,
    parse_edr_request,
    parse_policy_definition,
    parse_query_spec,
    parse_terminate,
    parse_transfer_request,
)

from ._fixtures import (
    CATALOG_REQUEST,
    CONTRACT_REQUESTS,
    POLICY_DEFINITIONS,
    asset_expanded,
    asset_prefixed,
    asset_short,
    contract_definition_short,
    load,
    policy_prefixed,
    transfer_request_short,
)

KEYWORDS = [
    "@context",
    "@id",
    "@type",
    "@value",
    "@list",
    "@set",
    "@vocab",
    "@graph",
    "@reverse",
    "@language",
    "@index",
    "@nest",
    "@included",
    "@json",
    "@base",
    "@import",
    "@protected",
    "@propagate",
    "@version",
    "@container",
    "@direction",
]
KEYS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(KEYWORDS),
    st.sampled_from(["edc:type", "odrl:action", "and", "policy", "permission", "properties"]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from([EDC_NS, "https://example.com/ctx.jsonld", "edc:id", "@id", "@vocab"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=15,
)


def _bases() -> list[dict[str, Any]]:
    walkthrough = [load(name) for name in [*POLICY_DEFINITIONS, *CONTRACT_REQUESTS, CATALOG_REQUEST]]
    written = [
        asset_short(),
        asset_prefixed(),
        asset_expanded(),
        policy_prefixed(),
        contract_definition_short(),
        transfer_request_short(),
        {"@context": {"@vocab": EDC_NS}, "@type": "TerminateNegotiation", "reason": "x"},
    ]
    return walkthrough + written


BASES = _bases()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


@st.composite
def near_valid(draw: st.DrawFn) -> Any:
    """A real body with one subtree replaced by arbitrary JSON or removed."""
    document: Any = copy.deepcopy(draw(st.sampled_from(BASES)))
    path = draw(st.sampled_from(list(_paths(document))))
    if not path:
        return draw(JSON)
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if draw(st.booleans()):
        parent[path[-1]] = draw(JSON)
    else:
        del parent[path[-1]]
    return document


BODIES = st.one_of(JSON, near_valid(), near_valid())
PARSERS: list[Callable[[Any], object]] = [
    parse_asset,
    parse_policy_definition,
    parse_contract_definition,
    parse_query_spec,
    parse_catalog_request,
    parse_contract_request,
    parse_transfer_request,
    parse_terminate,
    parse_edr_request,
]


@pytest.mark.parametrize("parse", PARSERS, ids=lambda parse: parse.__name__)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES)
def test_parser_returns_a_value_or_raises_invalid_input(parse: Callable[[Any], object], body: Any) -> None:
    try:
        parse(body)
    except InvalidInput as error:
        assert error.detail


@settings(max_examples=300, deadline=None)
@given(
    left=st.text(max_size=10),
    operator=st.sampled_from(["=", "!=", "in", "like", "ilike", "contains", "<", "<=", ">", ">=", "~"]),
    right=JSON,
    properties=st.dictionaries(st.sampled_from(["a", "edc:a", EDC_NS + "a", "b"]), JSON, max_size=3),
)
def test_matches_returns_a_boolean_for_any_json(
    left: str, operator: str, right: Any, properties: dict[str, Any]
) -> None:
    try:
        result = matches(Criterion(left, operator, right), properties)
    except InvalidInput:
        assert operator == "~"
    else:
        assert isinstance(result, bool)


def test_a_list_where_an_operator_belongs_is_invalid_input_not_a_crash() -> None:
    # Found by the fuzz test above in CI: an unhashable operator crashed the DSP re-shaping step.
    body = {
        "@context": [
            "https://w3id.org/dspace/2025/1/odrl-profile.jsonld",
            "https://w3id.org/catenax/2025/9/policy/context.jsonld",
            {"@vocab": "https://w3id.org/edc/v0.0.1/ns/"},
        ],
        "@type": "PolicyDefinition",
        "@id": "membership-deg",
        "policy": {
            "@type": "Set",
            "permission": [
                {
                    "action": "access",
                    "constraint": [
                        {
                            "and": [
                                {"leftOperand": "Membership", "operator": ["", ""], "rightOperand": "active"}
                            ]
                        }
                    ],
                }
            ],
        },
    }
    with contextlib.suppress(InvalidInput):
        parse_policy_definition(body)
