"""`battrace serve` settings: a TOML file with the CLI's names; explicit options win."""

from __future__ import annotations

from pathlib import Path

import pytest

from battrace.connector.config import load_settings
from battrace.devnet import write_config
from battrace.errors import InvalidInput


def test_toml_file_gives_every_setting_and_cli_options_override(tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    write_config(
        config,
        {
            "name": "cell-maker",
            "port": 9001,
            "data_dir": str(tmp_path / "d"),
            "dev": True,
            "database_url": "postgresql+psycopg://db/battrace",
            "api_key": "k",
        },
        {
            "did:web:oem.example": {
                "bpn": "BPNL000000000OEM",
                "frameworkAgreements": {"DataExchangeGovernance": "1.0"},
            }
        },
    )
    settings = load_settings(config, {"port": 9002, "api_key": None})
    assert settings.name == "cell-maker"
    assert settings.port == 9002  # the CLI wins
    assert settings.api_key == "k"  # an option not given does not erase the file's value
    assert settings.database() == "postgresql+psycopg://db/battrace"
    assert settings.peers["did:web:oem.example"]["frameworkAgreements"] == {"DataExchangeGovernance": "1.0"}


def test_sqlite_file_in_the_data_dir_is_the_default_database(tmp_path: Path) -> None:
    settings = load_settings(None, {"data_dir": tmp_path})
    assert settings.database() == f"sqlite:///{(tmp_path / 'battrace.db').resolve()}"
    assert settings.dev is False  # production defaults: no loopback peers


@pytest.mark.parametrize(
    "text", ["port = 'eighty'", "nmae = 'typo'", "name = 'has space'", "port = 70000", "[[["]
)
def test_bad_configuration_is_a_clear_error(tmp_path: Path, text: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(InvalidInput):
        load_settings(config, {})


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read config file"):
        load_settings(tmp_path / "absent.toml", {})
