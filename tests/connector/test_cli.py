"""The command line fails cleanly on bad settings (no traceback) and documents its options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "battrace.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_serve_with_a_bad_config_exits_2_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text("port = 'eighty'\n")
    result = run("serve", "--config", str(config))
    assert result.returncode == 2
    assert "invalid settings" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_serve_help_lists_every_option_of_the_issue() -> None:
    help_text = run("serve", "--help").stdout
    for option in (
        "--name",
        "--host",
        "--port",
        "--data-dir",
        "--database-url",
        "--config",
        "--api-key",
        "--dev",
    ):
        assert option in help_text


def test_log_verify_names_an_edited_entry(tmp_path: Path) -> None:
    import sqlite3
    from datetime import UTC, datetime

    from battrace.identity import NodeKeys
    from battrace.ledger.log import TransparencyLog
    from battrace.ledger.note import NoteSigner
    from battrace.store import Store

    data_dir = tmp_path / "node"
    keys = NodeKeys.load_or_create(data_dir / "keys" / "node-ed25519.pem")
    store = Store.for_data_dir(data_dir)
    store.migrate()
    signer = NoteSigner("node.example/log", keys.private_key)
    log = TransparencyLog(store, signer, origin="node.example/log", clock=lambda: datetime.now(UTC))
    log.append_many([("contract.agreement", {"peer": f"did:web:p{i}.example", "n": i}) for i in range(10)])
    log.checkpoint()
    store.dispose()
    assert run("log", "verify", "--data-dir", str(data_dir), "--vkey", signer.vkey).returncode == 0

    db = sqlite3.connect(data_dir / "battrace.db")
    triggers = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    for name in triggers:  # an attacker with the database file can drop the append-only guards
        db.execute(f'DROP TRIGGER "{name}"')
    db.execute(
        "UPDATE log_entries SET payload = replace(payload, 'p3.example', 'evil.example') WHERE idx = 3"
    )
    db.commit()
    db.close()
    result = run("log", "verify", "--data-dir", str(data_dir), "--vkey", signer.vkey)
    assert result.returncode == 1
    assert "3" in result.stdout and "edited" in result.stdout.lower()


def test_provenance_shows_the_signed_inputs_behind_a_value_and_withholds_the_rest(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from battrace.identity import NodeKeys
    from battrace.provenance import DirectoryProvenanceStore, derive

    store = DirectoryProvenanceStore(tmp_path / "prov")
    now = datetime(2026, 11, 21, tzinfo=UTC)
    cathode = derive(
        b"12.5",
        [],
        keys=NodeKeys.generate(),
        signer_did="did:web:cathode.example",
        method="measured",
        now=now,
    )
    cell = derive(
        b"58.4",
        [cathode],
        keys=NodeKeys.generate(),
        signer_did="did:web:cell.example",
        method="own emissions + supplier totals",
        now=now,
    )
    store.add(cathode)
    store.add(cell)
    shown = run("provenance", cell.sha256, "--store", str(tmp_path / "prov"))
    assert shown.returncode == 0
    assert "did:web:cell.example" in shown.stdout and "did:web:cathode.example" in shown.stdout
    limited = run(
        "provenance", cell.sha256, "--store", str(tmp_path / "prov"), "--only-from", "did:web:cell.example"
    )
    assert "did:web:cathode.example" not in limited.stdout
    assert "withheld" in limited.stdout
