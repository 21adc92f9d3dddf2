"""Keys in every form DESIGN.md promises, from_env, and secrets kept out of reprs and pickles."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import kalshi_async
import kalshi_sync
from kalshi_core import Credentials, builders
from kalshi_core.wire import environments
from kalshi_core.wire.credentials import load_private_key

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
ENCRYPTED = KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.BestAvailableEncryption(b"hunter2"),
)


def _same_key(loaded: object) -> bool:
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded.private_numbers() == KEY.private_numbers()


def test_pem_bytes_text_path_and_object(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(PEM)
    path.chmod(0o600)
    assert _same_key(load_private_key(PEM))
    assert _same_key(load_private_key(PEM.decode()))
    assert _same_key(load_private_key(path))
    assert _same_key(load_private_key(str(path)))
    assert load_private_key(KEY) is KEY


def test_encrypted_pem_needs_its_password() -> None:
    assert _same_key(load_private_key(ENCRYPTED, password="hunter2"))
    with pytest.raises(ValueError, match="password"):
        load_private_key(ENCRYPTED)
    with pytest.raises(ValueError) as info:
        load_private_key(ENCRYPTED, password="wrong")
    assert "BEGIN" not in str(info.value)


def test_unreadable_inputs_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read private key file"):
        load_private_key(tmp_path / "missing.pem")
    with pytest.raises(ValueError, match="not a readable PEM"):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")


def _signs_with_key(credentials: Credentials) -> None:
    """The credentials sign with ``KEY``: the public half verifies their signature."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    headers = dict(credentials.signature_headers("GET", "/trade-api/v2/portfolio/balance", 1))
    KEY.public_key().verify(
        base64.b64decode(headers["KALSHI-ACCESS-SIGNATURE"]),
        b"1GET/trade-api/v2/portfolio/balance",
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )


def test_from_env_reads_path_or_text(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(ENCRYPTED)
    path.chmod(0o600)
    by_path = Credentials.from_env(
        {
            "KALSHI_API_KEY_ID": "abc",
            "KALSHI_PRIVATE_KEY_PATH": str(path),
            "KALSHI_PRIVATE_KEY_PASSWORD": "hunter2",
        }
    )
    assert by_path is not None
    assert by_path.key_id == "abc"
    _signs_with_key(by_path)
    by_text = Credentials.from_env({"KALSHI_API_KEY_ID": "xyz", "KALSHI_PRIVATE_KEY": PEM.decode()})
    assert by_text is not None
    assert by_text.key_id == "xyz"
    _signs_with_key(by_text)
    # The path wins when both are set; an empty variable counts as unset.
    both = Credentials.from_env(
        {
            "KALSHI_API_KEY_ID": "abc",
            "KALSHI_PRIVATE_KEY_PATH": str(path),
            "KALSHI_PRIVATE_KEY": "not a key",
            "KALSHI_PRIVATE_KEY_PASSWORD": "hunter2",
        }
    )
    assert both is not None
    _signs_with_key(both)
    assert (
        Credentials.from_env({"KALSHI_API_KEY_ID": "", "KALSHI_PRIVATE_KEY": PEM.decode()}) is None
    )
    assert Credentials.from_env({}) is None
    with pytest.raises(ValueError, match="KALSHI_PRIVATE_KEY"):
        Credentials.from_env({"KALSHI_API_KEY_ID": "abc"})


@pytest.mark.parametrize("cls", [kalshi_sync.Client, kalshi_async.AsyncClient])
def test_client_from_env_picks_environment(cls: type, tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(PEM)
    path.chmod(0o600)
    env = {"KALSHI_API_KEY_ID": "id-1", "KALSHI_PRIVATE_KEY_PATH": str(path), "KALSHI_ENV": "demo"}
    client = cls.from_env(env)
    assert client.base_url == environments.DEMO
    assert client.credentials.key_id == "id-1"
    url = "http://127.0.0.1:9/trade-api/v2"
    assert cls.from_env({**env, "KALSHI_BASE_URL": url}).base_url == url
    assert cls.from_env({}, public=True).credentials is None
    assert cls().base_url == environments.PRODUCTION
    with pytest.raises(ValueError, match="unknown Kalshi environment"):
        cls(env="staging")


def test_secrets_never_in_repr_or_pickle() -> None:
    creds = Credentials("key-id-1", PEM)
    client = kalshi_sync.Client(credentials=creds)
    signed = builders.get_balance().to_request(environments.DEMO, creds, now=1.0)
    signature = signed.header("KALSHI-ACCESS-SIGNATURE")
    assert signature
    body = PEM.decode().splitlines()[1]
    for text in (repr(creds), str(creds), repr(client), repr(signed), str(signed)):
        assert body not in text
        assert signature not in text
        assert "BEGIN" not in text
    assert "key-id-1" in repr(creds)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(creds)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(client)
    client.close()
