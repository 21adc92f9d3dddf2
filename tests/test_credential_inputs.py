"""Private keys as users actually hold them, and what the SDK says when one is wrong.

DESIGN.md: ``private_key`` is PEM bytes or text, a path, or a loaded key; a key never appears in
an exception. ``load_private_key``'s docstring adds the forms a ``.env`` file or a secrets
manager hands over (escaped newlines, quotes, a bare base64 body, raw DER) and the ssh-style
warning for a key file others can read.
"""

from __future__ import annotations

import base64
import os
import warnings
from pathlib import Path

import anyio
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import kalshi_async
import kalshi_sync
from kalshi_core import Credentials
from kalshi_core.errors import ConfigurationTypeError, CredentialsError
from kalshi_core.wire.credentials import KeyFilePermissionWarning, check_key_id, load_private_key

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
DER = KEY.private_bytes(
    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)


def same_key(loaded: object) -> bool:
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded.private_numbers() == KEY.private_numbers()


def test_pem_with_escaped_newlines_and_quotes_loads() -> None:
    escaped = PEM.strip().replace("\n", "\\n")
    assert "\n" not in escaped
    assert same_key(load_private_key(escaped))
    assert same_key(load_private_key(f'"{escaped}"'))
    assert same_key(load_private_key(f"'{escaped}'"))
    assert same_key(load_private_key(PEM.strip().replace("\n", "\\r\\n")))
    assert same_key(load_private_key(escaped.encode()))


def test_bare_base64_body_and_raw_der_load() -> None:
    body = base64.b64encode(DER).decode()
    assert same_key(load_private_key(body))
    wrapped = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    assert same_key(load_private_key(wrapped))
    assert same_key(load_private_key(DER))
    encrypted = KEY.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    assert same_key(load_private_key(encrypted, password="pw"))


def test_refused_keys_say_why_without_echoing_them() -> None:
    cases: list[tuple[object, str]] = [
        ("", "empty"),
        (b"   ", "empty"),
        ("A" * 41, "looks like base64 but does not decode"),
        (base64.b64encode(os.urandom(60)).decode(), "base64 of something else"),
        ("line one\nline two", "no -----BEGIN line"),
        ("-----END-----", "no -----BEGIN line"),
        (
            KEY.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode(),
            "is a public key",
        ),
    ]
    for key, words in cases:
        with pytest.raises(CredentialsError) as info:
            load_private_key(key)  # type: ignore[arg-type]
        assert words in str(info.value), (key, str(info.value))
        if isinstance(key, str) and len(key) > 8:
            assert key not in str(info.value)
    with pytest.raises(ConfigurationTypeError, match="private_key_password must be str or bytes"):
        load_private_key(PEM, password=5)  # type: ignore[arg-type]


def test_a_missing_key_file_is_named_unless_it_looks_like_a_key(tmp_path: Path) -> None:
    missing = tmp_path / "keys" / "kalshi_key.pem"
    with pytest.raises(CredentialsError) as info:
        load_private_key(missing)
    assert str(missing) in str(info.value)
    assert "No such file" in str(info.value)
    for secretish in (Path("A" * 60), Path("abc\ndef_key.pem"), Path("x-----y_key.pem")):
        with pytest.raises(CredentialsError) as info:
            load_private_key(secretish)
        assert "not shown" in str(info.value)
        assert str(secretish) not in str(info.value)
    with pytest.raises(CredentialsError, match="neither a PEM key nor a readable path"):
        load_private_key(Path("nul\0byte_key.pem"))


def test_paths_up_to_1024_characters_are_shown(tmp_path: Path) -> None:
    def path_of(length: int) -> Path:
        base = str(tmp_path / "d_")
        return Path(base + "_" * (length - len(base) - 4) + ".pem")

    for length, shown in ((1024, True), (1025, False)):
        path = path_of(length)
        assert len(str(path)) == length
        with pytest.raises(CredentialsError) as info:
            load_private_key(path)
        assert (str(path) in str(info.value)) is shown


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_file_others_can_read_warns_at_the_callers_line(tmp_path: Path) -> None:
    path = tmp_path / "kalshi.pem"
    path.write_text(PEM)
    path.chmod(0o644)
    with pytest.warns(KeyFilePermissionWarning, match="chmod 600") as record:
        credentials = Credentials("key-1", path)
    assert credentials.key_id == "key-1"
    assert "0644" in str(record[0].message)
    assert record[0].filename == __file__
    path.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert same_key(load_private_key(path))


def test_key_ids_are_printable_ascii_up_to_200_characters() -> None:
    assert check_key_id("a" * 200) == "a" * 200
    with pytest.raises(CredentialsError, match="longer than 200 characters"):
        check_key_id("a" * 201)
    for bad in ("two words", "line\nbreak", "caf\u00e9"):
        with pytest.raises(CredentialsError, match="spaces, line breaks") as info:
            check_key_id(bad)
        assert bad not in str(info.value)
    with pytest.raises(CredentialsError, match="non-empty"):
        check_key_id("")
    with pytest.raises(ConfigurationTypeError, match="must be a str, not int"):
        check_key_id(5)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("cls", [kalshi_sync.Client, kalshi_async.AsyncClient])
def test_a_client_given_a_loose_key_file_warns_at_the_callers_line(
    cls: type, tmp_path: Path
) -> None:
    path = tmp_path / "kalshi.pem"
    path.write_text(PEM)
    path.chmod(0o640)
    with pytest.warns(KeyFilePermissionWarning) as record:
        client = cls(key_id="key-1", private_key=path, base_url="http://x.test/trade-api/v2")
    assert record[0].filename == __file__
    if cls is kalshi_sync.Client:
        client.close()
    else:
        anyio.run(client.aclose)


def test_pem_text_with_a_stray_non_ascii_character_is_refused_cleanly() -> None:
    damaged = PEM.replace("-----END", "\u00e9-----END")
    with pytest.raises(CredentialsError):
        load_private_key(damaged)


def test_private_key_input_is_a_runtime_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    # DESIGN.md: ``private_key`` is PEM bytes or text, a path, or a loaded key; the module
    # exports that union as ``PrivateKeyInput``, made on first use (for ``get_type_hints``).
    from typing import get_args

    from cryptography.hazmat.primitives.asymmetric import ed25519

    import kalshi_core.wire.credentials as module

    monkeypatch.delitem(vars(module), "PrivateKeyInput", raising=False)
    alias = module.PrivateKeyInput
    assert set(get_args(alias)) == {
        str,
        bytes,
        os.PathLike[str],
        rsa.RSAPrivateKey,
        ed25519.Ed25519PrivateKey,
    }
    assert module.PrivateKeyInput == alias  # and the same one on later uses
    with pytest.raises(AttributeError, match="no attribute 'PrivateKeyInputs'"):
        module.PrivateKeyInputs  # noqa: B018
    assert not hasattr(module, "privatekeyinput")


def test_a_key_id_of_200_characters_with_a_space_is_refused_for_the_space() -> None:
    # Within the 200-character limit, the problem to report is the space.
    with pytest.raises(CredentialsError, match="contains spaces") as info:
        check_key_id("a" * 199 + " ")
    assert "200" not in str(info.value)
    with pytest.raises(CredentialsError, match="non-ASCII"):
        check_key_id("caf\u00e9")


def test_base64_with_padding_in_the_middle_does_not_decode() -> None:
    # Strict base64: padding only at the end. A lax decoder would stop at the first ``==`` and
    # hand a few zero bytes to the DER parser.
    body = "AAAA" * 10 + "AA==" + "AAAA"
    with pytest.raises(CredentialsError, match="looks like base64 but does not decode"):
        load_private_key(body)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_key_file_whose_mode_cannot_be_read_loads_without_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ssh-style warning is for a mode known to be loose; an unknown one says nothing.
    path = tmp_path / "kalshi.pem"
    path.write_text(PEM)
    path.chmod(0o600)

    def no_stat(self: Path, **_: object) -> os.stat_result:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "stat", no_stat)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert same_key(load_private_key(path))
