"""A rich rendering of a provenance tree, for ``battrace provenance HASH``.

Every label is a ``rich.text.Text``, never markup: method names, asset ids and DIDs come from other
participants, and a method called "[blink]..." must print as itself.
"""

from __future__ import annotations

import rich.tree
from rich.text import Text

from battrace.clock import iso
from battrace.provenance.records import Provenance
from battrace.provenance.tree import Tree

_STATUS_NOTE = {
    "withheld": ("withheld: you are not entitled to see its provenance", "yellow"),
    "unknown": ("no signed statement known", "dim"),
    "cycle": ("cycle: already on this path", "red"),
    "repeated": ("shown above", "dim"),
    "truncated": ("too deep; inputs not shown", "yellow"),
}


def render_tree(tree: Tree) -> rich.tree.Tree:
    root = rich.tree.Tree(_label(tree), guide_style="dim")
    _add_children(root, tree)
    return root


def _add_children(branch: rich.tree.Tree, tree: Tree) -> None:
    for child in tree.children:
        _add_children(branch.add(_label(child)), child)


def _label(tree: Tree) -> Text:
    label = Text(tree.sha256[:16], style="bold cyan")
    note = _STATUS_NOTE.get(tree.status)
    if note is not None:
        label.append(f"  {note[0]}", style=note[1])
    for record in tree.records:
        label.append("\n")
        label.append_text(_statement(record))
    return label


def _statement(record: Provenance) -> Text:
    line = Text("  ")
    if record.kind == "derivation":
        line.append("derived", style="green")
        line.append(f" by {record.signer_did} via {record.method!s}")
        line.append(f" from {len(record.inputs)} input(s)")
    else:
        line.append("delivered", style="blue")
        line.append(f" by {record.signer_did}: asset {record.asset_id!s} ({record.content_type!s})")
        line.append(f" under agreement {record.agreement_id!s}")
    line.append(f" at {iso(record.signed_at)}", style="dim")
    return line
