from __future__ import annotations

import pytest

from battrace.apps.duediligence.rollup import Node, roll_up, weakest
from battrace.errors import InvalidInput

from .example import answers, declaration


def test_weakest_answer_orders_yes_over_unknown_over_no() -> None:
    assert weakest(["No", "Unknown", "No"]) == "Unknown"
    assert weakest(["No", "Yes", "Unknown"]) == "Yes"
    assert weakest([]) == "No"


def test_a_cahra_yes_three_tiers_up_reaches_the_root() -> None:
    nodes = {
        "root": Node("root", declaration("Root", [answers("cobalt")], []), ("t1",)),
        "t1": Node("t1", declaration("T1", [answers("cobalt")], []), ("t2",)),
        "t2": Node("t2", declaration("T2", [answers("cobalt")], []), ("t3",)),
        "t3": Node("t3", declaration("T3", [answers("cobalt", cahra="Yes")], ["S1"])),
    }
    rolled = roll_up("root", nodes)
    assert rolled.declaration.answers("cobalt").cahra == "Yes"  # type: ignore[union-attr]
    assert [s.smelter_id for s in rolled.declaration.smelters] == ["CID900001"]


def test_a_supplier_reached_twice_is_counted_once() -> None:
    # Diamond: root <- a, b; a <- shared; b <- shared.
    nodes = {
        "root": Node("root", declaration("Root", [answers("cobalt")], []), ("a", "b")),
        "a": Node("a", declaration("A", [answers("cobalt")], []), ("shared",)),
        "b": Node("b", declaration("B", [answers("cobalt")], []), ("shared",)),
        "shared": Node("shared", declaration("Shared", [answers("cobalt")], ["S1", "S2"])),
    }
    rolled = roll_up("root", nodes)
    assert rolled.requested == {"a", "b", "shared"}
    assert len(rolled.declaration.smelters) == 2


def test_a_supplier_unknown_to_the_chain_counts_as_not_responding() -> None:
    nodes = {"root": Node("root", declaration("Root", [answers("cobalt")], []), ("ghost",))}
    rolled = roll_up("root", nodes)
    assert rolled.requested == {"ghost"}
    assert rolled.responded == frozenset()


def test_supplier_minerals_outside_the_roots_declaration_stay_out() -> None:
    nodes = {
        "root": Node("root", declaration("Root", [answers("nickel")], ["S3"]), ("s",)),
        "s": Node("s", declaration("S", [answers("cobalt", cahra="Yes"), answers("nickel")], ["S1", "S3"])),
    }
    rolled = roll_up("root", nodes)
    assert [a.mineral for a in rolled.declaration.minerals] == ["nickel"]
    assert {s.mineral for s in rolled.declaration.smelters} == {"nickel"}


def test_a_cycle_in_the_supply_chain_is_refused_with_its_company() -> None:
    nodes = {
        "root": Node("root", declaration("Root", [answers("cobalt")], []), ("a",)),
        "a": Node("a", declaration("A", [answers("cobalt")], []), ("b",)),
        "b": Node("b", declaration("B", [answers("cobalt")], []), ("a",)),
    }
    with pytest.raises(InvalidInput, match="cycle through 'a'"):
        roll_up("root", nodes)


def test_a_root_without_declaration_cannot_be_rolled_up() -> None:
    with pytest.raises(InvalidInput, match="no declaration of the root"):
        roll_up("root", {"root": Node("root", None, ())})


def test_a_deep_chain_does_not_hit_the_recursion_limit() -> None:
    depth = 3000
    nodes = {
        f"c{i}": Node(
            f"c{i}", declaration(f"C{i}", [answers("cobalt")], []), (f"c{i + 1}",) if i < depth else ()
        )
        for i in range(depth + 1)
    }
    assert len(roll_up("c0", nodes).requested) == depth
