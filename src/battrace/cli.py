"""`battrace` command line: serve one node, or run the demo supply chain."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from battrace.connector.config import load_settings
from battrace.errors import BattraceError

app = typer.Typer(
    help="battrace: battery traceability data space.", no_args_is_help=True, pretty_exceptions_enable=False
)
console = Console()


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
) -> None:
    """Start one company node."""
    import uvicorn

    from battrace.connector.node import Node
    from battrace.http.app import create_app

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
        node = Node(settings)
    except BattraceError as error:
        console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(2) from error
    console.print(
        f"[bold]{settings.name}[/bold] {node.did} on {settings.base_url} "
        f"(management key in {settings.data_dir / 'management-api-key'} unless --api-key was given)"
    )
    uvicorn.run(
        create_app(node),
        host=settings.host,
        port=settings.port,
        log_level=log_level.lower(),
        access_log=log_level.lower() == "debug",
    )


@app.command()
def demo(
    base_port: Annotated[int, typer.Option(help="First loopback port; nodes take the next ones.")] = 8101,
    work_dir: Annotated[Path | None, typer.Option(help="Where the nodes keep their data.")] = None,
    keep_running: Annotated[bool, typer.Option(help="Leave the nodes up at the end.")] = False,
) -> None:
    """Start company nodes on loopback and run catalog → negotiation → transfer → data fetch between them."""
    from battrace.demo import run_demo

    raise typer.Exit(run_demo(console, base_port=base_port, work_dir=work_dir, keep_running=keep_running))


if __name__ == "__main__":
    app()
