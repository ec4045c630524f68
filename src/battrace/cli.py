"""`battrace` command line: serve one node, or run the demo supply chain."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from battrace.cli_space import app as space_app
from battrace.connector.config import NodeSettings, load_settings
from battrace.errors import BattraceError, InvalidInput

if TYPE_CHECKING:
    from battrace.connector.node import Node

app = typer.Typer(
    help="battrace: battery traceability data space.", no_args_is_help=True, pretty_exceptions_enable=False
)
console = Console()
log = logging.getLogger("battrace.refused")


@app.command()
def serve(
    name: Annotated[str | None, typer.Option(help="Node name (company short name).")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Keys and the SQLite database live here.")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="postgresql+psycopg://… instead of SQLite.")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with the same settings.")] = None,
    api_key: Annotated[str | None, typer.Option(help="X-Api-Key of the management API.")] = None,
    public_url: Annotated[str | None, typer.Option(help="Base URL peers use to reach this node.")] = None,
    dev: Annotated[
        bool | None, typer.Option("--dev", help="Allow loopback/private peers (tests, demo).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (PostgreSQL only; SQLite serves with one).")
    ] = 1,
) -> None:
    """Start one company node."""
    from battrace.connector.node import Node

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(
            config,
            {
                "name": name,
                "host": host,
                "port": port,
                "data_dir": data_dir,
                "database_url": database_url,
                "api_key": api_key,
                "public_url": public_url,
                "dev": dev,
            },
        )
        if workers > 1 and not settings.database().startswith("postgresql"):
            raise InvalidInput(
                f"--workers {workers} needs PostgreSQL (--database-url postgresql+psycopg://…): several "
                "processes writing one SQLite file is not supported; serve SQLite with one worker"
            )
        # Keys, the API key file, the viewer secret and the migration: once, here, before any worker starts.
        node = Node(settings)
    except BattraceError as error:
        console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(2) from error
    _release_leases(node)
    console.print(
        f"[bold]{settings.name}[/bold] {node.did} on {settings.base_url} "
        f"(management key in {settings.data_dir / 'management-api-key'} unless --api-key was given)"
        + (f", {workers} workers" if workers > 1 else "")
    )
    if workers == 1:
        from battrace.http.app import create_app

        _run_uvicorn(create_app(node), settings, log_level, _slow_client_guard(settings.request_read_timeout))
        return
    from battrace.http.app import SETTINGS_ENV, settings_to_environment

    node.http.close()
    node.store.dispose()
    os.environ[SETTINGS_ENV] = settings_to_environment(settings, log_level)
    # uvicorn spawns each worker from an import string: the app factory and this module's protocol class.
    _run_uvicorn(
        "battrace.http.app:app_from_environment",
        settings,
        log_level,
        "battrace.cli:SlowClientGuard",
        factory=True,
        workers=workers,
    )


def _release_leases(node: Node) -> None:
    """No worker runs yet: outbox leases left by processes that died are stale (battrace.store.store)."""
    from battrace.connector.dispatcher import LEASE

    if node.store.dialect == "postgresql":
        node.store.release_outbox_leases(node.ctx.clock(), LEASE)


def _run_uvicorn(app_or_path: Any, settings: NodeSettings, log_level: str, http: Any, **options: Any) -> None:
    import uvicorn

    uvicorn.run(
        app_or_path,
        host=settings.host,
        port=settings.port,
        log_level=log_level.lower(),
        access_log=log_level.lower() == "debug",
        http=http,
        timeout_keep_alive=int(max(1, settings.keep_alive_timeout)),
        h11_max_incomplete_event_size=16 * 1024,  # request line + headers; only used if h11 serves
        **options,
    )


def __getattr__(name: str) -> Any:
    """`battrace.cli:SlowClientGuard`, what uvicorn's worker processes load as their HTTP protocol: the
    slow-client guard with the read timeout of the settings `serve` handed over (a class built in a function
    cannot be sent to a spawned process, its import path can)."""
    if name == "SlowClientGuard":
        from battrace.http.app import settings_from_environment

        settings, _ = settings_from_environment()
        return _slow_client_guard(settings.request_read_timeout)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _slow_client_guard(read_timeout: float) -> type[Any]:
    """uvicorn's httptools protocol with a read deadline per request (issue 9, slow clients).

    uvicorn closes idle keep-alive connections but has no deadline for a request being received: a client
    dribbling its headers a byte at a time, or a body that never completes, holds a connection (and a
    request task waiting in ``receive()``) forever. Here the clock starts when the connection opens and at
    each request's first byte, and stops when the whole request is in; past ``read_timeout`` the connection
    is closed (an ASGI app still reading sees ``http.disconnect``).
    """
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class SlowClientGuard(HttpToolsProtocol):
        _read_deadline: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._read_deadline = self.loop.call_later(read_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._read_deadline is not None:
                self._read_deadline.cancel()
                self._read_deadline = None

        def _too_slow(self) -> None:
            self._read_deadline = None
            log.warning("slow client %s closed: request not received within %s s", self.client, read_timeout)
            self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return SlowClientGuard


@app.command()
def demo(
    base_port: Annotated[int, typer.Option(help="First loopback port; nodes take the next ones.")] = 8101,
    work_dir: Annotated[Path | None, typer.Option(help="Where the nodes keep their data.")] = None,
    keep_running: Annotated[bool, typer.Option(help="Leave the network up at the end.")] = False,
    seed: Annotated[
        int, typer.Option(help="Seed of the synthetic usage data (same seed, same figures).")
    ] = 2,
    fast: Annotated[bool, typer.Option(help="Fewer passports, for CI.")] = False,
) -> None:
    """Two data spaces, seven companies: a battery's life from refinery to recycling, over real HTTP."""
    from battrace.demo import run_demo

    code = run_demo(
        console, base_port=base_port, work_dir=work_dir, keep_running=keep_running, seed=seed, fast=fast
    )
    raise typer.Exit(code)


app.add_typer(space_app, name="space")
db_app = typer.Typer(help="The node's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    config: Annotated[Path | None, typer.Option("--config", help="The node's TOML file.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Keys and the SQLite database live here.")] = None,
    database_url: Annotated[str | None, typer.Option(help="postgresql+psycopg://…")] = None,
) -> None:
    """Apply the Alembic migrations up to head, then exit (`serve` does the same at start; run this first
    when an upgrade should be applied, and checked, before the new version takes traffic)."""
    from battrace.store import Store

    try:
        settings = load_settings(config, {"data_dir": data_dir, "database_url": database_url})
        store = Store(settings.database())
    except BattraceError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(2) from None
    try:
        store.migrate()
    finally:
        store.dispose()
    console.print(f"database at head ({store.dialect})")


log_app = typer.Typer(help="The node's transparency log.", no_args_is_help=True)
app.add_typer(log_app, name="log")
metering_app = typer.Typer(help="Usage counts for platform fees.", no_args_is_help=True)
app.add_typer(metering_app, name="metering")
# `battrace soh` runs battrace.apps.soh.cli, imported only when used: it loads numpy, which a node's start
# (`battrace serve`) should not pay for. Each command hands its arguments, --help included, to the real one.
soh_app = typer.Typer(
    help="State of health, remaining life and residual value (Annex VII).", no_args_is_help=True
)
app.add_typer(soh_app, name="soh")
_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def _soh(command: str, ctx: typer.Context) -> None:
    from battrace.apps.soh.cli import app as soh

    soh([command, *ctx.args], prog_name="battrace soh")


@soh_app.command("assess", context_settings=_PASS_THROUGH)
def soh_assess(ctx: typer.Context) -> None:
    """Assess a BMS/OBD export (CSV or JSON): parameters, remaining life, warnings, value, charts."""
    _soh("assess", ctx)


@soh_app.command("fleet", context_settings=_PASS_THROUGH)
def soh_fleet(ctx: typer.Context) -> None:
    """Write a seeded synthetic fleet export (CSV or JSON) with known ground truth."""
    _soh("fleet", ctx)


# `battrace chart` runs battrace.charts.cli, imported only when used (numpy, openpyxl), like `battrace soh`.
chart_app = typer.Typer(
    help="Charts as SVG or PNG files (state of health, recycling, due diligence).", no_args_is_help=True
)
app.add_typer(chart_app, name="chart")


def _chart(command: str, ctx: typer.Context) -> None:
    from battrace.charts.cli import app as charts

    charts([command, *ctx.args], prog_name="battrace chart")


@chart_app.command("soh", context_settings=_PASS_THROUGH)
def chart_soh(ctx: typer.Context) -> None:
    """State of health and resistance of one battery from a BMS export (--out file.svg|.png)."""
    _chart("soh", ctx)


@chart_app.command("recycling", context_settings=_PASS_THROUGH)
def chart_recycling(ctx: typer.Context) -> None:
    """Recovery rates and recycling efficiency against Annex XII from recycling event rows."""
    _chart("recycling", ctx)


@chart_app.command("duediligence", context_settings=_PASS_THROUGH)
def chart_duediligence(ctx: typer.Context) -> None:
    """Smelter coverage per mineral from a declaration (JSON or RMI workbook)."""
    _chart("duediligence", ctx)


@log_app.command("verify")
def log_verify(
    data_dir: Annotated[Path | None, typer.Option(help="The node's data directory (SQLite).")] = None,
    database_url: Annotated[str | None, typer.Option(help="Or the node's PostgreSQL URL.")] = None,
    vkey: Annotated[
        list[str] | None, typer.Option(help="Verifier key of the log (from the node's DID document).")
    ] = None,
    checkpoint: Annotated[
        list[Path] | None, typer.Option(help="Signed checkpoints kept elsewhere (witness, receipts).")
    ] = None,
) -> None:
    """Recompute the log from the database and check it against the signed checkpoints."""
    from battrace.ledger.verify import main as verify_main

    target = database_url or (str(data_dir) if data_dir else None)
    if target is None:
        console.print("[red]error:[/red] give --data-dir or --database-url")
        raise typer.Exit(2)
    keys = list(vkey or [])
    if not keys and data_dir is not None:
        keys = _local_vkeys(data_dir)
        console.print("[yellow]no --vkey given: trusting the key found in the data directory itself[/yellow]")
    raise typer.Exit(verify_main(target, keys, list(checkpoint or [])))


def _local_vkeys(data_dir: Path) -> list[str]:
    """The node's own log key: its Ed25519 key and the origin written in its stored checkpoints."""
    from sqlalchemy import text

    from battrace.identity import NodeKeys
    from battrace.ledger.note import NoteSigner
    from battrace.store import Store

    key_file = data_dir / "keys" / "node-ed25519.pem"
    if not key_file.exists():
        return []
    store = Store.for_data_dir(data_dir)
    try:
        with store.read() as tx:
            notes = tx.session.execute(text("SELECT note FROM log_checkpoints LIMIT 1")).scalars().all()
    finally:
        store.dispose()
    if not notes:
        return []
    origin = str(notes[0]).split("\n", 1)[0]
    return [NoteSigner(origin, NodeKeys.load_or_create(key_file).private_key).vkey]


@metering_app.command("report")
def metering_report(
    period: Annotated[str, typer.Argument(help="Calendar month, YYYY-MM.")],
    data_dir: Annotated[Path, typer.Option(help="The node's data directory.")] = Path("./battrace-data"),
    database_url: Annotated[str | None, typer.Option(help="Or the node's PostgreSQL URL.")] = None,
    did: Annotated[str | None, typer.Option(help="The node's DID (as in its DID document).")] = None,
    sign: Annotated[bool, typer.Option(help="Print the signed report (JWS) for the operator.")] = False,
    send_to: Annotated[
        str | None, typer.Option(help="Operator base URL: hand the signed report in (needs --did).")
    ] = None,
) -> None:
    """Per counterparty: agreements, transfers, data accesses and bytes served in a month, from the log."""
    from rich.table import Table

    from battrace.identity import NodeKeys
    from battrace.ledger.metering import COUNTERS, all_entries, compute, sign_report
    from battrace.store import Store
    from battrace.store import ledger as db

    store = Store(database_url) if database_url else Store.for_data_dir(data_dir)
    try:
        with store.read() as tx:
            size = db.read_head(tx)

        def page(start: int, end: int) -> list[db.LogEntry]:
            with store.read() as tx:
                return db.entries(tx, start, end)

        report = compute(did or "unknown", period, all_entries(page, size))
    finally:
        store.dispose()
    if sign or send_to:
        if send_to and not did:
            console.print(
                "[red]error:[/red] --send-to needs --did (the operator checks the report against it)"
            )
            raise typer.Exit(2)
        token = sign_report(report, NodeKeys.load_or_create(data_dir / "keys" / "node-ed25519.pem"))
        if not send_to:
            console.print(token)
            return
        import httpx

        response = httpx.post(send_to.rstrip("/") + "/space/metering", json={"report": token}, timeout=15)
        if response.status_code != 201:
            console.print(f"[red]refused by the operator ({response.status_code}):[/red] {response.text}")
            raise typer.Exit(1)
        console.print(f"report for {period} handed in to {send_to}")
        return
    table = Table(title=f"Metering {period} (log size {report.log_size})")
    table.add_column("counterparty")
    for name in COUNTERS:
        table.add_column(name, justify="right")
    for peer, usage in sorted(report.peers.items()):
        table.add_row(peer, *(str(v) for v in usage.as_dict().values()))
    console.print(table)


@app.command()
def provenance(
    sha256: Annotated[str, typer.Argument(help="SHA-256 (hex) of a value whose origin you want to see.")],
    store: Annotated[Path, typer.Option(help="Directory of verified provenance statements.")] = Path(
        "./battrace-provenance"
    ),
    only_from: Annotated[
        list[str] | None,
        typer.Option(help="Show statements of these signers only (DIDs); others are withheld."),
    ] = None,
) -> None:
    """The tree of signed inputs behind a value, as far as the viewer is entitled to see."""
    from battrace.provenance import DirectoryProvenanceStore, provenance_tree, render_tree

    allowed = set(only_from or [])
    tree = provenance_tree(
        sha256.lower(),
        DirectoryProvenanceStore(store),
        may_see=lambda record: not allowed or record.signer_did in allowed,
    )
    console.print(render_tree(tree))


if __name__ == "__main__":
    app()
