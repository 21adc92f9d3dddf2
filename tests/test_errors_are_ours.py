"""Every failure is a ``KalshiError``; no error, repr, log or warning carries key material.

Configuration and credential errors are also ``ValueError``/``TypeError`` (what they were
before), key ids are validated before they reach a header, closed clients raise our error, a
TLS certificate that does not verify is not retried, ``from_env`` with nothing set names the
variables, and a ``base_url`` without the API prefix gets a hint. Every driver; over a real
socket where a server is involved.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import logging
import os
import socket
import ssl
import threading
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

import kalshi_async
import kalshi_sync
from kalshi_core import errors
from kalshi_core.wire.credentials import KeyFilePermissionWarning, load_private_key
from kalshi_testing import ApiKey, FakeExchange, LoopbackServer

from .conftest import Harness

# -- the hierarchy ---------------------------------------------------------------------------


def test_every_public_exception_is_a_kalshi_error() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, errors.KalshiError), name
    assert issubclass(errors.ConfigurationError, ValueError)
    assert issubclass(errors.CredentialsError, ValueError)
    assert issubclass(errors.ConfigurationTypeError, TypeError)
    assert issubclass(errors.ClientClosedError, RuntimeError)
    assert issubclass(errors.TLSError, errors.ConnectError)
    assert issubclass(errors.ResponseTooLargeError, errors.TransportError)


@pytest.mark.parametrize("package", [kalshi_sync, kalshi_async])
def test_errors_are_re_exported_by_both_drivers(package: Any) -> None:
    assert package.errors is errors
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert getattr(package, name) is obj, name
            assert name in package.__all__


@pytest.mark.parametrize(
    ("kwargs", "kind"),
    [
        ({"rate_limit": 5}, TypeError),
        ({"rate_limit": "platinum"}, ValueError),
        ({"base_url": "ftp://example.test/trade-api/v2"}, ValueError),
        ({"env": "staging"}, ValueError),
        ({"max_response_bytes": 0}, ValueError),
        ({"max_response_bytes": 1.5}, TypeError),
        ({"attempt_deadline": -1}, ValueError),
        ({"call_deadline": "soon"}, TypeError),
        ({"max_clock_offset": float("inf")}, ValueError),
        ({"http_client": object()}, TypeError),
        ({"key_id": "k"}, ValueError),
        ({"max_retries": -1}, ValueError),
    ],
)
def test_configuration_errors_are_ours_and_builtin(
    harness: Harness, kwargs: dict[str, Any], kind: type
) -> None:
    with pytest.raises(errors.ConfigurationError) as info:
        harness.client(**kwargs)
    assert isinstance(info.value, kind)


@pytest.mark.parametrize(
    "key_id",
    ["abc\r\nX-Injected: 1", "abc def", "ключ", "abc\x00", "k" * 300, ""],
)
def test_key_ids_are_validated_without_being_echoed(
    harness: Harness, rsa_key: rsa.RSAPrivateKey, key_id: str
) -> None:
    with pytest.raises(errors.CredentialsError) as info:
        harness.client(key_id=key_id, private_key=rsa_key)
    if len(key_id) > 3:
        assert key_id not in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.socket
def test_a_closed_client_raises_our_error(
    harness: Harness, server: LoopbackServer, account: ApiKey
) -> None:
    c = harness.client(
        key_id=account.key_id, private_key=account.private_key_pem, base_url=server.url
    )
    copy = c.with_options(max_retries=0)
    harness.run(lambda c: c.get_balance(), c)
    if harness.is_async:
        harness.run(lambda c: c.aclose(), c)
    else:
        c.close()
    for client in (c, copy):
        with pytest.raises(errors.ClientClosedError) as info:
            harness.run(lambda c: c.get_balance(), client)
        assert isinstance(info.value, RuntimeError)


@pytest.mark.socket
def test_a_closed_http_client_of_the_users_raises_our_error(
    harness: Harness, server: LoopbackServer, account: ApiKey
) -> None:
    own: Any = httpx.AsyncClient() if harness.is_async else httpx.Client()
    c = harness.client(
        key_id=account.key_id,
        private_key=account.private_key_pem,
        base_url=server.url,
        http_client=own,
    )
    if harness.is_async:
        harness.run(lambda h: h.aclose(), own)
    else:
        own.close()
    with pytest.raises(errors.ClientClosedError):
        harness.run(lambda c: c.get_balance(), c)


# -- secrets ---------------------------------------------------------------------------------


def _windows(pem: bytes, size: int = 16) -> set[str]:
    body = "".join(
        line for line in pem.decode().splitlines() if line and not line.startswith("-----")
    )
    return {body[i : i + size] for i in range(0, len(body) - size, 4)}


def _leaks(text: str, pem: bytes) -> bool:
    return any(w in text for w in _windows(pem))


def _everything_said(exc: BaseException, records: list[logging.LogRecord], caught: list[Any]):  # type: ignore[no-untyped-def]
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    # Not even a suppressed context (error reporters may show it) carries the input.
    parts += [repr(exc.__context__), repr(exc.__cause__)]
    parts += [r.getMessage() for r in records]
    parts += [str(w.message) for w in caught]
    return "\n".join(parts)


def _public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _body(pem: bytes) -> str:
    return "".join(line for line in pem.decode().splitlines() if not line.startswith("-----"))


WRONG_INPUTS = [
    "truncated-base64-body",
    "base64-body-with-spaces-broken",
    "public-key",
    "pem-without-end",
    "missing-path",
    "garbage-bytes",
]


def _wrong_input(name: str, pem: bytes, key: rsa.RSAPrivateKey, tmp: Path) -> Any:
    body = _body(pem)
    if name == "truncated-base64-body":
        return body[: len(body) // 2]
    if name == "base64-body-with-spaces-broken":
        return body[:-20] + " !!"
    if name == "public-key":
        return _public_pem(key).decode()
    if name == "pem-without-end":
        return pem.decode().split("-----END")[0]
    if name == "missing-path":
        return str(tmp / "no-such-key.pem")
    return pem.replace(b"M", b"\xff")


@pytest.mark.parametrize("name", WRONG_INPUTS)
def test_no_wrong_key_input_is_ever_echoed(
    harness: Harness,
    rsa_key: rsa.RSAPrivateKey,
    rsa_pem: bytes,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    wrong = _wrong_input(name, rsa_pem, rsa_key, tmp_path)
    with caplog.at_level(logging.DEBUG), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(errors.CredentialsError) as info:
            harness.client(key_id="key-1", private_key=wrong, private_key_password=None)
    said = _everything_said(info.value, caplog.records, caught)
    assert not _leaks(said, rsa_pem)
    assert not _leaks(said, _public_pem(rsa_key))
    if name == "public-key":
        assert "public key" in str(info.value)
    if name == "missing-path":
        assert "no-such-key.pem" in str(info.value)  # a real path is named


def test_a_key_pasted_as_key_id_is_not_echoed(harness: Harness, rsa_pem: bytes) -> None:
    with pytest.raises(errors.CredentialsError) as info:
        harness.client(key_id=rsa_pem.decode(), private_key=rsa_pem)
    assert not _leaks(_everything_said(info.value, [], []), rsa_pem)


@pytest.mark.socket
@pytest.mark.parametrize("form", ["escaped-newlines", "quoted-escaped", "base64-body", "der"])
def test_common_key_forms_are_accepted_and_sign(
    harness: Harness,
    fake: FakeExchange,
    rsa_key: rsa.RSAPrivateKey,
    rsa_pem: bytes,
    server: LoopbackServer,
    form: str,
) -> None:
    account = fake.add_user(balance="5", public_key=rsa_key.public_key())
    text = rsa_pem.decode()
    key: Any = {
        "escaped-newlines": text.replace("\n", "\\n"),
        "quoted-escaped": '"' + text.strip().replace("\n", "\\n") + '"',
        "base64-body": _body(rsa_pem),
        "der": base64.b64decode(_body(rsa_pem)),
    }[form]
    c = harness.client(key_id=account.key_id, private_key=key, base_url=server.url)
    assert harness.run(lambda c: c.get_balance(), c).balance == 500


def test_env_key_without_begin_end_is_accepted_or_refused_silently(
    harness: Harness, rsa_pem: bytes
) -> None:
    env = {"KALSHI_API_KEY_ID": "key-1", "KALSHI_PRIVATE_KEY": _body(rsa_pem)}
    cls = kalshi_async.AsyncClient if harness.is_async else kalshi_sync.Client
    client = cls.from_env(env)
    assert client.credentials is not None
    env["KALSHI_PRIVATE_KEY"] = _body(rsa_pem)[:300]
    with pytest.raises(errors.CredentialsError) as info:
        cls.from_env(env)
    assert not _leaks(_everything_said(info.value, [], []), rsa_pem)


def test_a_group_readable_key_file_warns_like_ssh(tmp_path: Path, rsa_pem: bytes) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(rsa_pem)
    os.chmod(path, 0o644)
    with pytest.warns(KeyFilePermissionWarning, match="chmod 600") as caught:
        load_private_key(path)
    assert not any(_leaks(str(w.message), rsa_pem) for w in caught)
    os.chmod(path, 0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_private_key(path)


# -- from_env and base_url -------------------------------------------------------------------


def test_from_env_with_nothing_set_names_the_variables(harness: Harness) -> None:
    cls = kalshi_async.AsyncClient if harness.is_async else kalshi_sync.Client
    with pytest.raises(errors.CredentialsError) as info:
        cls.from_env({})
    for name in ("KALSHI_API_KEY_ID", "KALSHI_PRIVATE_KEY_PATH", "KALSHI_PRIVATE_KEY"):
        assert name in str(info.value)
    assert "public=True" in str(info.value)
    assert cls.from_env({}, public=True).credentials is None


@pytest.mark.socket
def test_public_only_from_env_works(harness: Harness, server: LoopbackServer) -> None:
    cls = kalshi_async.AsyncClient if harness.is_async else kalshi_sync.Client
    c = cls.from_env({"KALSHI_BASE_URL": server.url}, public=True)
    harness._clients.append(c)
    # GetAccountEndpointCosts is public (no signature), and the fake answers it.
    answer = harness.run(lambda c: c.get_account_endpoint_costs(), c)
    assert type(answer).__name__ == "GetAccountEndpointCostsResponse"


@pytest.mark.socket
def test_a_base_url_without_the_api_prefix_gets_a_hint(
    harness: Harness, server: LoopbackServer
) -> None:
    root = server.url.removesuffix("/trade-api/v2")
    c = harness.client(base_url=root, max_retries=0)
    with pytest.raises(errors.NotFoundError) as info:
        harness.run(lambda c: c.get_exchange_status(), c)
    assert "does not end with /trade-api/v2" in str(info.value)


# -- TLS -------------------------------------------------------------------------------------


@contextlib.contextmanager
def tls_server() -> Iterator[tuple[int, list[int]]]:
    """A TLS listener with a self-signed certificate for localhost; counts handshakes."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = Path(tmp) / "c.pem", Path(tmp) / "k.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            with contextlib.suppress(OSError, ssl.SSLError):
                context.wrap_socket(conn, server_side=True).close()
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


@pytest.mark.socket
def test_a_certificate_that_does_not_verify_is_not_retried(harness: Harness) -> None:
    with tls_server() as (port, accepted):
        c = harness.client(
            base_url=f"https://localhost:{port}/trade-api/v2",
            max_retries=3,
            rate_limit=None,
        )
        with pytest.raises(errors.TLSError) as info:
            harness.run(lambda c: c.get_exchange_status(), c)
        assert info.value.attempts == 1
        assert len(accepted) == 1
