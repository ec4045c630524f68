"""What `battrace serve --workers N` hands each spawned worker: settings, app factory, protocol class."""

from __future__ import annotations

from pathlib import Path

import pytest
from uvicorn.importer import import_from_string

from battrace.connector.config import NodeSettings
from battrace.http.app import SETTINGS_ENV, settings_from_environment, settings_to_environment


def test_a_worker_reads_the_resolved_settings_the_parent_handed_over(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = NodeSettings(
        name="oem",
        data_dir=Path("relative-data"),
        database_url="postgresql+psycopg://u@db/battrace",
        peers={"did:web:peer.example": {"bpn": "BPNL000000000001"}},
        spaces=("https://operator.example",),
        request_read_timeout=12.5,
    )
    monkeypatch.setenv(SETTINGS_ENV, settings_to_environment(settings, "warning"))
    received, level = settings_from_environment()
    # data_dir is absolute: a worker must not depend on sharing the parent's working directory
    assert received == settings.model_copy(update={"data_dir": tmp_path / "relative-data"})
    assert level == "warning"


def test_a_worker_loads_the_slow_client_guard_by_name_with_the_handed_over_timeout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = NodeSettings(data_dir=tmp_path, request_read_timeout=7.0)
    monkeypatch.setenv(SETTINGS_ENV, settings_to_environment(settings, "info"))
    guard = import_from_string("battrace.cli:SlowClientGuard")  # what uvicorn does in the worker
    assert guard.__name__ == "SlowClientGuard"
    deadline = [cell.cell_contents for cell in guard._arm.__closure__ or ()]
    assert deadline == [7.0]  # the read timeout the guard arms per request


def test_an_unknown_attribute_of_the_cli_module_is_still_an_attribute_error() -> None:
    import battrace.cli

    with pytest.raises(AttributeError):
        _ = battrace.cli.NoSuchThing
