"""`battrace space`: create and run a data space's operator node, certify participants, revoke credentials,
recognise other data spaces. The administration commands work on the space directory directly, so they work
whether or not `battrace space serve` is running (the server re-reads the files on every request).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from battrace.errors import BattraceError

app = typer.Typer(
    help="Operate a data space: trust list, certification, revocation, mutual recognition.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)

SpaceDir = Annotated[Path, typer.Option("--dir", help="The space directory (holds space.toml).")]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except BattraceError as error:
        console.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(2) from error


def _with_operator(space_dir: Path, action: Callable[[Any], Any]) -> Any:
    from battrace.operator.client import operator_for

    with _errors(), _peer_client(space_dir) as http:
        return action(operator_for(space_dir, http))


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="The data space's name, e.g. eu-battery.")],
    space_dir: SpaceDir,
    public_url: Annotated[
        str, typer.Option(help="Where the operator is reached, e.g. http://127.0.0.1:8201.")
    ],
    api_key: Annotated[
        str | None, typer.Option(help="X-Api-Key of the management routes (else random).")
    ] = None,
    dev: Annotated[
        bool | None,
        typer.Option("--dev/--no-dev", help="Fetch loopback/private DIDs over http (default: http URL)."),
    ] = None,
) -> None:
    """Create a data space: operator and certification body keys and DIDs, signed trust list, empty
    directory and revocation list. Refuses to overwrite an existing space."""
    from battrace.clock import system_clock
    from battrace.operator.service import init_space

    with _errors():
        config = init_space(
            space_dir, name=name, public_url=public_url, api_key=api_key, clock=system_clock, dev=dev
        )
    print(json.dumps(config.model_dump(mode="json", by_alias=True), indent=2))
    console.print(
        f"space [bold]{name}[/bold] in {space_dir} (management key in {space_dir}/management-api-key)"
    )


@app.command()
def serve(
    space_dir: SpaceDir,
    host: Annotated[str | None, typer.Option(help="Interface (default: space.toml).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default: space.toml).")] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning")] = "info",
) -> None:
    """Serve the space: DID documents, trust list, directory, status list, recognitions, management, and
    the witness of the members' logs (a round every `witness_interval_seconds` of space.toml; 0 = off)."""
    import uvicorn

    from battrace.clock import system_clock, urn_uuid
    from battrace.operator.client import operator_for
    from battrace.operator.http import create_app
    from battrace.operator.witness import WitnessLoop, http_witness

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with _errors(), _peer_client(space_dir) as http, _peer_client(space_dir) as witness_http:
        operator = operator_for(space_dir, http)
        config = operator.config
        witness = http_witness(operator.files, witness_http, clock=system_clock, ids=urn_uuid)
        interval = config.witness_interval_seconds
        loop = WitnessLoop(witness, interval).start() if interval > 0 else None
        console.print(f"[bold]{config.name}[/bold] operator {config.operator_did} on {config.public_url}")
        try:
            uvicorn.run(
                create_app(operator, witness),
                host=host or config.host,
                port=port or config.port,
                log_level=log_level.lower(),
                access_log=log_level.lower() == "debug",
            )
        finally:
            if loop is not None:
                loop.stop()


@app.command()
def witness(
    space_dir: SpaceDir,
    alarms: Annotated[bool, typer.Option("--alarms", help="List the alarms instead of polling.")] = False,
) -> None:
    """Run one witness round over the members' logs now (also beside a running server) and print each
    member's status; with --alarms print the alarms raised so far. Exit 1 when there are alarms."""
    from battrace.clock import system_clock, urn_uuid
    from battrace.operator.files import SpaceFiles
    from battrace.operator.witness import http_witness

    with _errors(), _peer_client(space_dir) as http:
        watcher = http_witness(SpaceFiles(space_dir), http, clock=system_clock, ids=urn_uuid)
        if alarms:
            print(json.dumps(watcher.alarms(), indent=2))
        else:
            watcher.poll_once()
            print(json.dumps(watcher.members(), indent=2))
        raised = watcher.alarms()
    for alarm in raised:
        console.print(f"[red]alarm[/red] {alarm['kind']} {alarm['member']}: {alarm['detail']}")
    if raised:
        raise typer.Exit(1)


@app.command()
def certify(
    space_dir: SpaceDir,
    participant: Annotated[str, typer.Option(help="The participant's DID.")],
    credential_type: Annotated[
        list[str], typer.Option("--type", help="Membership, ConnectorCertification, Role, AppCertification.")
    ],
    name: Annotated[
        str | None, typer.Option(help="Company name (default: as recorded, else the DID).")
    ] = None,
    bpn: Annotated[str | None, typer.Option(help="Catena-X BPNL.")] = None,
    corporate_number: Annotated[
        str | None, typer.Option(help="Japanese corporate number (13 digits).")
    ] = None,
    role: Annotated[list[str] | None, typer.Option(help="Role for a RoleCredential, e.g. CellMaker.")] = None,
    security_profile: Annotated[str | None, typer.Option(help="IDS security profile.")] = None,
    certification_level: Annotated[str | None, typer.Option(help="IDS certification level.")] = None,
    app_json: Annotated[
        str | None, typer.Option("--app", help='{"appId","name","version","certifiedFunction"} as JSON.')
    ] = None,
    valid_days: Annotated[int, typer.Option(help="Validity in days.")] = 365,
    out: Annotated[
        Path | None, typer.Option(help="Write the VC-JWTs here (one per line), not stdout.")
    ] = None,
) -> None:
    """Issue credentials to a participant (each on the revocation list) and record it in the directory."""
    from battrace.operator.records import CertifyRequest

    def run(operator: Any) -> Any:
        recorded = operator.files.directory().get(participant)
        body: dict[str, Any] = {
            "participant": participant,
            "name": name or (recorded.name if recorded else participant),
            "types": credential_type,
            "bpn": bpn,
            "corporateNumber": corporate_number,
            "roles": role or [],
            "securityProfile": security_profile,
            "certificationLevel": certification_level,
            "app": _json_option(app_json, "--app"),
            "validDays": valid_days,
        }
        return operator.certify(CertifyRequest.parse(body))

    issued = _with_operator(space_dir, run)
    tokens = "".join(i.token + "\n" for i in issued)
    if out is None:
        print(tokens, end="")
    else:
        out.write_text(tokens, "ascii")
    for i in issued:
        console.print(f"{i.record.credential_type} {i.record.id} (status index {i.record.status_list_index})")


def _json_option(value: str | None, option: str) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError as error:
        console.print(f"[red]error:[/red] {option} is not JSON: {error}")
        raise typer.Exit(2) from error


@app.command()
def revoke(
    space_dir: SpaceDir,
    credential: Annotated[str, typer.Option(help="The credential id (jti).")],
) -> None:
    """Flip the credential's bit on the revocation list (idempotent)."""
    record = _with_operator(space_dir, lambda operator: operator.revoke(credential))
    console.print(f"revoked {record.id} (status index {record.status_list_index})")


@app.command()
def metering(
    space_dir: SpaceDir,
    period: Annotated[str, typer.Argument(help="Calendar month, YYYY-MM.")],
) -> None:
    """Per member: the usage its signed reports declare for the month (agreements, transfers, bytes)."""
    from rich.table import Table

    from battrace.ledger.metering import COUNTERS
    from battrace.operator.metering import MeteringDesk

    def totals(operator: Any) -> dict[str, dict[str, int]]:
        members = {p["did"] for p in operator.directory()}
        return MeteringDesk(operator.files, operator.resolve, lambda: members).totals(period)

    table = Table(title=f"Metering {period}")
    table.add_column("member")
    for name in COUNTERS:
        table.add_column(name, justify="right")
    for member, counts in _with_operator(space_dir, totals).items():
        table.add_row(member, *(str(counts[name]) for name in COUNTERS))
    console.print(table)


@app.command()
def recognize(
    space_dir: SpaceDir,
    foreign_operator: Annotated[str, typer.Option(help="DID of the recognised space's operator.")],
    credential_type: Annotated[list[str], typer.Option("--type", help="Credential types recognised.")],
    foreign_trust_list_url: Annotated[
        str | None, typer.Option(help="Where its trust list is served.")
    ] = None,
    foreign_trust_list: Annotated[
        Path | None, typer.Option(help="Or a file holding the trust list JWS.")
    ] = None,
    valid_days: Annotated[int, typer.Option(help="Validity in days.")] = 365,
) -> None:
    """Sign a recognition of another data space's certification bodies for the given types."""
    from battrace.operator.records import RecognizeRequest

    body = {
        "foreignOperatorDid": foreign_operator,
        "credentialTypes": credential_type,
        "foreignTrustListUrl": foreign_trust_list_url,
        "foreignTrustList": foreign_trust_list.read_text("ascii").strip() if foreign_trust_list else None,
        "validDays": valid_days,
    }
    record = _with_operator(space_dir, lambda operator: operator.recognize(RecognizeRequest.parse(body)))
    print(record.id)
    console.print(f"recognised {record.foreign_operator_did} as {record.id}")


@app.command()
def withdraw(
    space_dir: SpaceDir,
    recognition: Annotated[str, typer.Option(help="The recognition id.")],
    reason: Annotated[str, typer.Option(help="Why (published in the withdrawal).")] = "",
) -> None:
    """Withdraw a recognition from now on (idempotent)."""
    record = _with_operator(space_dir, lambda operator: operator.withdraw(recognition, reason))
    console.print(f"withdrew {record.id}")


def _peer_client(space_dir: Path) -> httpx.Client:
    """The client for applicants' and members' URLs (did:web documents, logs): each connection goes to an
    address checked when it is made, as a node's peer client (DNS rebinding, issue 9); dev allows loopback."""
    from battrace.connector.peer_transport import PeerTransport
    from battrace.operator.files import SpaceFiles

    dev = SpaceFiles(space_dir).config().dev
    return httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0), transport=PeerTransport(dev=dev))


if __name__ == "__main__":
    app()
