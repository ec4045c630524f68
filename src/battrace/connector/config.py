"""Node settings: one TOML file, the same names as the `battrace serve` options (CLI wins over the file)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from battrace.errors import InvalidInput


class NodeSettings(BaseModel):
    """Everything one company node needs to run. Defaults give a working local node."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "node"
    host: str = "127.0.0.1"
    port: int = Field(default=8101, ge=0, le=65535)
    data_dir: Path = Path("./battrace-data")
    database_url: str | None = None
    api_key: str | None = None
    # dev = loopback and private peer addresses allowed (tests, demo); refused otherwise (SSRF guard).
    dev: bool = False
    # The base URL peers use to reach this node; defaults to http(s)://host:port.
    public_url: str | None = None
    # did:web host part; defaults to host:port of public_url.
    did: str | None = None
    # Seconds an EDR bearer token stays valid (Tractus-X raised EDC's 600 s because of refresh churn, #927).
    edr_token_ttl: int = Field(default=600, ge=5, le=30 * 24 * 3600)
    # EDR tokens are bound to the consumer's DID key (RFC 9449 DPoP proofs). True also accepts a plain
    # `Authorization: <token>` without a proof, for consumers that cannot sign one (e.g. an EDC): interop at
    # the price of bearer semantics (a copied token reads until it expires). docs/security.md.
    dataplane_bearer_tokens: bool = False
    # Claims about peers, keyed by DID, until verifiable credentials provide them (trust layer).
    peers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # The provider agrees, finalizes and starts transfers on its own when the policies allow (EDC's way).
    # False: each of those waits for an operator decision through the management API.
    auto_approve: bool = True
    # Data spaces this node belongs to (their operators' base URLs): their signed trust lists and recognitions
    # decide whose credentials count. Empty: claims come from `peers` only.
    spaces: tuple[str, ...] = ()
    # Node-wide connect permission (BASC §5.1 ②), e.g. {minSecurityProfile = "TRUST"}, {participants = [..]}:
    # gates every DSP request and every data-plane call, on top of each asset's own access policy.
    connect: dict[str, Any] = Field(default_factory=dict)
    # How long trust lists, recognitions, status lists and verified claims are reused (issue 3: ≤ 60 s).
    trust_refresh_seconds: float = Field(default=60.0, ge=0, le=3600)
    # Optional allow-list of peer hosts; empty = any public host.
    allowed_peer_hosts: tuple[str, ...] = ()
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Slow clients (slowloris): a request's head and body must arrive within this many seconds of its first
    # byte (or of the connection), else the connection is closed; uvicorn itself has no such deadline.
    request_read_timeout: float = Field(default=30.0, ge=0.5, le=3600)
    # Idle keep-alive connections are closed after this many seconds (uvicorn's timeout_keep_alive).
    keep_alive_timeout: float = Field(default=5.0, ge=0.5, le=300)
    max_upload_bytes: int = Field(default=20 * 1_048_576, ge=1024)

    @field_validator("name")
    @classmethod
    def _name_is_simple(cls, value: str) -> str:
        if not value or len(value) > 64 or not all(c.isalnum() or c in "-_." for c in value):
            raise ValueError("name must be 1-64 characters of letters, digits, '-', '_' or '.'")
        return value

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'battrace.db').resolve()}"


def load_settings(config_file: Path | None, overrides: dict[str, Any]) -> NodeSettings:
    """File values first, then every override that is not None (the CLI's explicit options)."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            values.update(tomllib.loads(config_file.read_text("utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InvalidInput(f"cannot read config file {config_file}: {error}") from error
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return NodeSettings(**values)
    except ValidationError as error:
        raise InvalidInput(f"invalid settings: {error}") from error
