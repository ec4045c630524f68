from __future__ import annotations

import hashlib
import io

from rich.console import Console

from battrace.provenance import (
    MemoryProvenanceStore,
    Provenance,
    derive,
    provenance_tree,
    render_tree,
    sign_payload,
    verify_record,
)
from battrace.provenance.records import sign_statement

from .conftest import T0, Party


def text(tree: object) -> str:
    out = io.StringIO()
    Console(file=out, width=300, color_system=None).print(tree)
    return out.getvalue()


def test_the_rendering_names_signers_methods_and_cut_branches(provider: Party, other: Party) -> None:
    store = MemoryProvenanceStore()
    hidden = derive(b"secret", [], keys=other.keys, signer_did=other.did, method="measured", now=T0)
    total = derive(
        b"total",
        [hidden, hashlib.sha256(b"unseen").hexdigest()],
        keys=provider.keys,
        signer_did=provider.did,
        method="[bold]sum[/bold]",  # markup from another participant must print as itself
        now=T0,
    )
    store.add(hidden)
    store.add(total)
    rendered = text(
        render_tree(provenance_tree(total.sha256, store, may_see=lambda r: r.signer_did == provider.did))
    )
    assert total.sha256[:16] in rendered
    assert (
        f"derived by {provider.did} via [bold]sum[/bold] from 2 input(s) at 2025-06-01T12:00:07Z" in rendered
    )
    assert f"{hidden.sha256[:16]}  withheld" in rendered
    assert "no signed statement known" in rendered
    assert other.did not in rendered


def test_a_cycle_is_marked(provider: Party) -> None:
    a, b = hashlib.sha256(b"a").hexdigest(), hashlib.sha256(b"b").hexdigest()
    store = MemoryProvenanceStore()
    for sha, inputs in ((a, (b,)), (b, (a,))):
        store.add(
            sign_statement(
                Provenance(sha, provider.did, T0, "", "derivation", inputs=inputs, method="m"), provider.keys
            )
        )
    rendered = text(render_tree(provenance_tree(a, store, may_see=lambda _: True)))
    assert "cycle: already on this path" in rendered


def test_a_delivery_shows_asset_type_and_agreement(provider: Party) -> None:
    payload = sign_payload(
        b"x",
        keys=provider.keys,
        signer_did=provider.did,
        agreement_id="urn:uuid:agr",
        asset_id="pcf-1",
        content_type="application/json",
        now=T0,
    )
    store = MemoryProvenanceStore()
    store.add(verify_record(payload.signature, signer_document=provider.document))
    rendered = text(render_tree(provenance_tree(payload.sha256, store, may_see=lambda _: True)))
    assert (
        f"delivered by {provider.did}: asset pcf-1 (application/json) under agreement urn:uuid:agr"
        in rendered
    )
