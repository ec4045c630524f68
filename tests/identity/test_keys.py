from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from battrace.errors import InvalidInput
from battrace.identity import NodeKeys


def test_public_jwk_is_the_rfc8037_okp_form_of_the_raw_key() -> None:
    keys = NodeKeys.generate()
    jwk = keys.public_jwk()
    assert set(jwk) == {"kty", "crv", "x"}
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    assert "=" not in jwk["x"]
    raw = base64.urlsafe_b64decode(jwk["x"] + "=")
    assert raw == keys.private_key.public_key().public_bytes_raw()


def test_generated_keys_differ() -> None:
    assert NodeKeys.generate().public_jwk() != NodeKeys.generate().public_jwk()


def test_load_or_create_persists_and_reloads_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "nested" / "node.pem"
    created = NodeKeys.load_or_create(path)
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    reloaded = NodeKeys.load_or_create(path)
    assert reloaded.public_jwk() == created.public_jwk()
    assert reloaded.key_id == "key-1"


def test_key_file_is_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "node.pem"
    NodeKeys.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_file_creation_leaves_no_temporary_files(tmp_path: Path) -> None:
    NodeKeys.load_or_create(tmp_path / "node.pem")
    assert [p.name for p in tmp_path.iterdir()] == ["node.pem"]


def test_a_key_file_holding_another_key_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    ec = generate_private_key(SECP256R1())
    path.write_bytes(ec.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    with pytest.raises(InvalidInput, match="Ed25519"):
        NodeKeys.load_or_create(path)


@pytest.mark.parametrize("key_id", ["", "#key-1", "key 1"])
def test_key_id_must_be_a_bare_fragment(key_id: str) -> None:
    with pytest.raises(InvalidInput, match="fragment"):
        NodeKeys.generate(key_id)
