"""The v3 filter semantics and the in-memory repository (openapi_v3_0.yaml ListFootprints §Filtering)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from battrace.apps.pcf.pact.model import parse_footprint
from battrace.apps.pcf.pact.repository import FootprintFilter, InMemoryFootprintRepository, validity_period
from battrace.errors import Conflict

from .conftest import CELL, FOOTPRINTS, OLD_CELL, PACK

ALL = [parse_footprint(pf) for pf in FOOTPRINTS]


def ids(criteria: FootprintFilter) -> set[str]:
    return {str(pf.id) for pf in ALL if criteria.matches(pf)}


def test_no_criterion_matches_everything() -> None:
    assert ids(FootprintFilter()) == {pf["id"] for pf in FOOTPRINTS}
    assert FootprintFilter().is_empty()


def test_values_of_one_criterion_combine_with_or() -> None:
    criteria = FootprintFilter(geography=("DE", "JP-13"))
    assert ids(criteria) == {CELL["id"], PACK["id"]}


def test_criteria_combine_with_and() -> None:
    criteria = FootprintFilter(productId=(CELL["productIds"][0],), status=("Deprecated",))
    assert ids(criteria) == {OLD_CELL["id"]}


def test_a_missing_validity_period_defaults_to_three_years_from_the_reference_period_end() -> None:
    pack = parse_footprint(PACK)
    assert validity_period(pack) == (datetime(2025, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    assert PACK["id"] in ids(FootprintFilter(validOn=datetime(2027, 12, 31, tzinfo=UTC)))
    assert PACK["id"] not in ids(FootprintFilter(validOn=datetime(2028, 1, 2, tzinfo=UTC)))


def test_valid_on_includes_both_ends_and_after_before_exclude_them() -> None:
    start = datetime.fromisoformat(CELL["validityPeriodStart"])
    end = datetime.fromisoformat(CELL["validityPeriodEnd"])
    assert CELL["id"] in ids(FootprintFilter(validOn=start)) & ids(FootprintFilter(validOn=end))
    assert CELL["id"] not in ids(FootprintFilter(validAfter=start))
    assert CELL["id"] not in ids(FootprintFilter(validBefore=end))


def test_a_leap_day_reference_end_still_has_a_default_validity() -> None:
    leap = parse_footprint(
        {
            **PACK,
            "pcf": {
                **PACK["pcf"],
                "referencePeriodStart": "2023-03-01T00:00:00Z",
                "referencePeriodEnd": "2024-02-29T00:00:00Z",
            },
        }
    )
    assert validity_period(leap)[1] == datetime(2027, 2, 28, tzinfo=UTC)


def test_pages_are_stable_and_say_whether_more_follow() -> None:
    repository = InMemoryFootprintRepository(ALL)
    first, more = repository.find(FootprintFilter(), offset=0, limit=3)
    rest, more_after = repository.find(FootprintFilter(), offset=3, limit=3)
    assert more and not more_after
    assert [pf.id for pf in first + rest] == [pf.id for pf in ALL]
    assert repository.find(FootprintFilter(), offset=0, limit=3)[0] == first


def test_a_footprint_cannot_be_replaced_only_deprecated() -> None:
    repository = InMemoryFootprintRepository(ALL)
    with pytest.raises(Conflict, match="precedingPfIds"):
        repository.add(ALL[0])
    deprecated = repository.deprecate(ALL[0].id)
    assert deprecated.status == "Deprecated"
    assert repository.get(ALL[0].id) == deprecated
    assert repository.get(uuid.uuid4()) is None
