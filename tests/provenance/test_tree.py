from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from battrace.provenance import (
    MemoryProvenanceStore,
    Provenance,
    Tree,
    derive,
    provenance_tree,
    sign_payload,
    verify_record,
)
from battrace.provenance.records import sign_statement

from .conftest import T0, Party


def h(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def everything(_: Provenance) -> bool:
    return True


def claimed(party: Party, sha256: str, inputs: list[str]) -> Provenance:
    """A derivation statement about an arbitrary hash: what a confused or lying signer can produce."""
    unsigned = Provenance(
        sha256, party.did, T0, "", kind="derivation", inputs=tuple(inputs), method="claimed"
    )
    return sign_statement(unsigned, party.keys)


def delivery(party: Party, data: bytes, agreement: str) -> Provenance:
    payload = sign_payload(
        data,
        keys=party.keys,
        signer_did=party.did,
        agreement_id=agreement,
        asset_id="pcf",
        content_type="application/json",
        now=T0,
    )
    return verify_record(payload.signature, signer_document=party.document)


@dataclass
class Chain:
    store: MemoryProvenanceStore
    cell: Provenance  # provider's delivery
    module: Provenance  # other's delivery
    total: Provenance  # consumer's derivation from cell, module and an unknown input


@pytest.fixture
def chain(provider: Party, other: Party, consumer: Party) -> Chain:
    store = MemoryProvenanceStore()
    cell = delivery(provider, b"cell 12.5", "urn:uuid:agreement-provider")
    module = delivery(other, b"module 30.0", "urn:uuid:agreement-other")
    total = derive(
        b"42.5",
        [cell, module, h("never seen")],
        keys=consumer.keys,
        signer_did=consumer.did,
        method="sum",
        now=T0,
    )
    for record in (cell, module, total):
        store.add(record)
    return Chain(store, cell, module, total)


def statuses(tree: Tree) -> dict[str, str]:
    found: dict[str, str] = {tree.sha256: tree.status}
    for child in tree.children:
        found.update(statuses(child))
    return found


def test_the_tree_shows_every_signed_input_behind_a_value(chain: Chain) -> None:
    tree = provenance_tree(chain.total.sha256, chain.store, may_see=everything)
    assert tree.status == "shown" and tree.records == (chain.total,)
    assert [c.sha256 for c in tree.children] == [chain.cell.sha256, chain.module.sha256, h("never seen")]
    assert [c.status for c in tree.children] == ["shown", "shown", "unknown"]
    assert tree.children[0].records == (chain.cell,)
    assert tree.children[0].children == ()  # a delivery names no inputs


def test_branches_the_viewer_may_not_see_are_withheld_not_dropped(chain: Chain, other: Party) -> None:
    tree = provenance_tree(chain.total.sha256, chain.store, may_see=lambda r: r.signer_did != other.did)
    withheld = tree.children[1]
    assert (withheld.sha256, withheld.status, withheld.records, withheld.children) == (
        chain.module.sha256,
        "withheld",
        (),
        (),
    )
    assert tree.children[0].status == "shown"


def test_a_root_the_viewer_may_not_see_is_withheld_entirely(chain: Chain, consumer: Party) -> None:
    tree = provenance_tree(chain.total.sha256, chain.store, may_see=lambda r: r.signer_did != consumer.did)
    assert tree == Tree(chain.total.sha256, "withheld")


def test_entitlement_is_judged_per_statement(chain: Chain, provider: Party) -> None:
    # the same value delivered under two agreements: the viewer sees only the one it is party to
    again = delivery(provider, b"cell 12.5", "urn:uuid:agreement-elsewhere")
    chain.store.add(again)
    tree = provenance_tree(
        chain.cell.sha256, chain.store, may_see=lambda r: r.agreement_id != "urn:uuid:agreement-elsewhere"
    )
    assert tree.records == (chain.cell,)


def test_a_hidden_derivation_does_not_leak_its_inputs(provider: Party, consumer: Party) -> None:
    store = MemoryProvenanceStore()
    public = claimed(provider, h("value"), [h("public input")])
    secret = claimed(consumer, h("value"), [h("secret input")])
    store.add(public)
    store.add(secret)
    tree = provenance_tree(h("value"), store, may_see=lambda r: r.signer_did == provider.did)
    assert [c.sha256 for c in tree.children] == [h("public input")]


def test_a_cycle_of_claims_is_cut_where_it_closes(provider: Party, other: Party) -> None:
    store = MemoryProvenanceStore()
    store.add(claimed(provider, h("a"), [h("b")]))
    store.add(claimed(other, h("b"), [h("c")]))
    store.add(claimed(other, h("c"), [h("a")]))
    tree = provenance_tree(h("a"), store, may_see=everything)
    b = tree.children[0]
    c = b.children[0]
    assert [tree.status, b.status, c.status] == ["shown", "shown", "shown"]
    assert c.children == (Tree(h("a"), "cycle"),)


def test_an_input_shared_by_two_branches_is_expanded_once(provider: Party) -> None:
    store = MemoryProvenanceStore()
    store.add(claimed(provider, h("top"), [h("left"), h("right")]))
    store.add(claimed(provider, h("left"), [h("shared")]))
    store.add(claimed(provider, h("right"), [h("shared")]))
    store.add(claimed(provider, h("shared"), [h("leaf")]))
    tree = provenance_tree(h("top"), store, may_see=everything)
    left, right = tree.children
    assert left.children[0].status == "shown" and left.children[0].children[0].sha256 == h("leaf")
    assert right.children == (Tree(h("shared"), "repeated"),)


def test_a_diamond_ladder_stays_linear(provider: Party) -> None:
    # 30 stacked diamonds would be 2**30 nodes if shared inputs were expanded every time
    store = MemoryProvenanceStore()
    for level in range(30):
        store.add(claimed(provider, h(f"{level}"), [h(f"{level}L"), h(f"{level}R")]))
        store.add(claimed(provider, h(f"{level}L"), [h(f"{level + 1}")]))
        store.add(claimed(provider, h(f"{level}R"), [h(f"{level + 1}")]))
    tree = provenance_tree(h("0"), store, may_see=everything, max_depth=1000)
    assert len(statuses(tree)) == 3 * 30 + 1


def test_a_tree_deeper_than_the_limit_is_truncated(provider: Party) -> None:
    store = MemoryProvenanceStore()
    for level in range(10):
        store.add(claimed(provider, h(f"{level}"), [h(f"{level + 1}")]))
    tree = provenance_tree(h("0"), store, may_see=everything, max_depth=3)
    node = tree
    for _ in range(3):
        node = node.children[0]
    assert node.status == "truncated" and node.children == () and node.records


def test_an_unknown_root_is_unknown() -> None:
    assert provenance_tree(h("?"), MemoryProvenanceStore(), may_see=everything) == Tree(h("?"), "unknown")


def test_the_json_shape_carries_claims_and_jws(chain: Chain, other: Party) -> None:
    shape = provenance_tree(
        chain.total.sha256, chain.store, may_see=lambda r: r.signer_did != other.did
    ).to_dict()
    assert shape["status"] == "shown"
    assert shape["statements"][0]["inputs"] == list(chain.total.inputs)
    assert shape["statements"][0]["jws"] == chain.total.signature
    assert [i["status"] for i in shape["inputs"]] == ["shown", "withheld", "unknown"]
    assert shape["inputs"][0]["statements"][0]["agreement_id"] == "urn:uuid:agreement-provider"


@st.composite
def graphs(draw: st.DrawFn) -> tuple[dict[int, list[int]], set[int]]:
    size = draw(st.integers(1, 7))
    nodes = range(size)
    # a node without an entry has no statement; inputs may point anywhere, cycles included
    edges = draw(st.dictionaries(st.sampled_from(nodes), st.lists(st.sampled_from(nodes), max_size=3)))
    edges = {node: [i for i in dict.fromkeys(inputs) if i != node] for node, inputs in edges.items()}
    visible = draw(st.sets(st.sampled_from(nodes)))
    return edges, visible


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_any_claim_graph_gives_a_finite_honest_tree(
    provider: Party, graph: tuple[dict[int, list[int]], set[int]]
) -> None:
    edges, visible = graph
    store = MemoryProvenanceStore()
    for node, inputs in edges.items():
        store.add(claimed(provider, h(str(node)), [h(str(i)) for i in inputs]))
    names = {h(str(n)): n for n in range(8)}
    tree = provenance_tree(h("0"), store, may_see=lambda r: names[r.sha256] in visible)
    shown: list[int] = []

    def check(node: Tree, ancestors: tuple[int, ...]) -> None:
        n = names[node.sha256]
        expected = "unknown" if n not in edges else "withheld" if n not in visible else None
        if node.status in ("unknown", "withheld"):
            assert node.status == expected and not node.children and not node.records
        elif node.status == "cycle":
            assert n in ancestors
        elif node.status == "shown":
            assert expected is None
            shown.append(n)
            assert [names[c.sha256] for c in node.children] == edges[n]
        else:
            assert node.status == "repeated" and n in shown
        for child in node.children:
            check(child, (*ancestors, n))

    check(tree, ())
    assert len(shown) == len(set(shown))
