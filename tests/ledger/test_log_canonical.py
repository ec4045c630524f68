"""The fast canonical-JSON path writes exactly RFC 8785 (rfc8785.dumps), or refuses exactly when it does."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import rfc8785
from hypothesis import example, given
from hypothesis import strategies as st

from battrace.errors import InvalidInput
from battrace.ledger.log import _plain, canonical_json, leaf_data

SAFE = 2**53 - 1

# Every code point, lone surrogates included, with the boundaries that matter drawn more often.
tricky_chars = st.sampled_from(
    ["\x00", "\x1f", "\x7f", '"', "\\", "\u2028", "\ud7ff", "\ue000", "\uffff", "😀"]
)
texts = st.text(st.characters(codec=None) | tricky_chars, max_size=8)
safe_ints = st.integers(-SAFE, SAFE) | st.sampled_from([-SAFE, SAFE, 0, -1])
scalars = st.none() | st.booleans() | safe_ints | texts


def json_like(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=3).map(tuple)
            | st.dictionaries(texts, inner, max_size=4)
        ),
        max_leaves=12,
    )


anything = json_like(scalars | st.floats() | st.integers() | st.sampled_from([SAFE + 1, -SAFE - 1]))


def reference(value: Any) -> bytes | type[Exception]:
    try:
        return bytes(rfc8785.dumps(value))
    except Exception as exc:  # the exception type is what is compared
        return type(exc)


def ours(value: Any) -> bytes | type[Exception]:
    try:
        return canonical_json(value)
    except Exception as exc:
        return type(exc)


@given(anything)
@example({"\ue000": 1, "\U0001f600": 2})  # UTF-16 puts the surrogate pair first, code points the other way
@example({"a": 1.0, "b": -0.0, "c": 1e21})  # floats: ECMAScript number formatting
@example({"n": SAFE + 1})
@example({"s": "\ud800"})  # lone surrogate: not UTF-8
@example({"\ud800": 1})
@example({"c": '\x00\x08\x09\x0a\x0b\x0c\x0d\x1f\x7f"\\/\u2028'})
def test_canonical_json_is_byte_identical_to_rfc8785_for_any_json_like_value(value: Any) -> None:
    assert ours(value) == reference(value)


@given(json_like(scalars))
def test_float_free_values_with_low_keys_take_the_fast_path(value: Any) -> None:
    # The property above would pass if the fast path were never used; this one makes sure it is.
    def low_keys(v: Any) -> bool:
        if isinstance(v, dict):
            return all(max(k, default="a") < "\ud800" and low_keys(x) for k, x in v.items())
        if isinstance(v, list | tuple):
            return all(low_keys(x) for x in v)
        return True

    if low_keys(value):
        assert _plain(value)


class Colour(enum.IntEnum):
    RED = 1


class Name(enum.StrEnum):
    ALICE = "alice"


@pytest.mark.parametrize(
    "value",
    [
        {"x": 1.5},
        {"x": SAFE + 1},
        {"x": Colour.RED},
        {"x": Name.ALICE},
        {Name.ALICE: 1},
        {"\uffff": 0},
        {1: "int key"},
    ],
)
def test_values_the_stdlib_might_write_differently_are_left_to_rfc8785(value: Any) -> None:
    assert not _plain(value)
    assert ours(value) == reference(value)


def test_leaf_data_refuses_what_rfc8785_refuses() -> None:
    with pytest.raises(InvalidInput, match="not canonical-JSON serialisable"):
        leaf_data("k", "2026-03-01T00:00:00Z", {"n": 2**53})
    with pytest.raises(InvalidInput):
        leaf_data("k", "2026-03-01T00:00:00Z", {"s": "\udc00"})
    with pytest.raises(InvalidInput):
        leaf_data("k", "2026-03-01T00:00:00Z", {"when": object()})
