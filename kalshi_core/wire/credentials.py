"""API credentials and Kalshi's request signature.

Kalshi signs ``timestamp_ms + METHOD + path`` (the full URL path including ``/trade-api/v2``,
without the query string) with the account's private key: RSA-PSS with SHA-256, MGF1(SHA-256)
and a 32-byte salt for RSA keys, plain Ed25519 for Ed25519 keys. The signature is base64 in
``KALSHI-ACCESS-SIGNATURE``, next to ``KALSHI-ACCESS-KEY`` and ``KALSHI-ACCESS-TIMESTAMP``.

A private key never appears in a ``repr``, an exception message or a pickle: ``Credentials``
refuses to be pickled and shows only the key id.

``cryptography`` is imported when a key is first loaded, not when this module is: importing
the SDK stays cheap, and a client without keys (public endpoints) never pays for it.
"""

from __future__ import annotations

import base64
import os
import re
import stat
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from kalshi_core.errors import ConfigurationTypeError, CredentialsError
from kalshi_core.wire.values import Request

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    #: What ``private_key=`` accepts: PEM bytes or text, a path, or a loaded key.
    PrivateKeyInput: TypeAlias = (
        str | bytes | os.PathLike[str] | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    )

__all__ = [
    "Credentials",
    "KeyFilePermissionWarning",
    "check_key_id",
    "Ed25519Signer",
    "PrivateKeyInput",
    "RsaPssSigner",
    "Signer",
    "load_private_key",
    "sign_request",
    "signing_message",
]



def __getattr__(name: str) -> Any:
    # ``PrivateKeyInput`` at run time (for ``typing.get_type_hints``), built on first use.
    if name == "PrivateKeyInput":
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

        alias = str | bytes | os.PathLike[str] | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
        globals()[name] = alias
        return alias
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

KEY_HEADER = "KALSHI-ACCESS-KEY"
TIMESTAMP_HEADER = "KALSHI-ACCESS-TIMESTAMP"
SIGNATURE_HEADER = "KALSHI-ACCESS-SIGNATURE"


class KeyFilePermissionWarning(UserWarning):
    """A private key file is readable by group or others (``chmod 600`` it)."""


@runtime_checkable
class Signer(Protocol):
    """Turns the message bytes into a signature (raw bytes, before base64)."""

    def sign(self, message: bytes) -> bytes: ...


class RsaPssSigner:
    """RSA-PSS, SHA-256, MGF1(SHA-256), salt length 32: Kalshi's default scheme."""

    __slots__ = ("_hash", "_key", "_padding")

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        self._key = key
        self._hash = hashes.SHA256()
        self._padding = padding.PSS(
            mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size
        )

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message, self._padding, self._hash)

    def __repr__(self) -> str:
        return "RsaPssSigner(<redacted>)"

    def __reduce__(self) -> str:
        raise TypeError("signers hold a private key and cannot be pickled")


class Ed25519Signer:
    """Ed25519, for accounts whose API key is an Ed25519 key."""

    __slots__ = ("_key",)

    def __init__(self, key: ed25519.Ed25519PrivateKey) -> None:
        self._key = key

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return "Ed25519Signer(<redacted>)"

    def __reduce__(self) -> str:
        raise TypeError("signers hold a private key and cannot be pickled")


_BASE64_BODY = re.compile(r"[A-Za-z0-9+/=\s]{40,}")
# Standard or URL-safe base64, 40 characters or more, no dot: more likely a key than a path
# (a path that happens to match is shown as "<not shown>", which is the safe side).
_KEYISH = re.compile(r"[A-Za-z0-9+/=_\-\s]{40,}")
_KEY_ID = re.compile(r"[\x21-\x7e]{1,200}")


def _looks_like_key_material(text: str) -> bool:
    """Whether ``text`` is more likely a key (a base64 body without its BEGIN/END lines, a
    PEM) than a file name: such text is never echoed in an error message."""
    return "-----" in text or "\n" in text or _KEYISH.fullmatch(text) is not None


def _key_file(path: Path) -> bytes:
    """The bytes of a key file; warns (as ssh does) when group or others may read it."""
    shown = str(path)
    if _looks_like_key_material(shown) or len(shown) > 1024:
        shown = "<not shown: it looks like key material, not a path>"
    # Errors are raised outside the ``except`` blocks: the OSError names the "path", which may
    # be key material, and must not ride along as ``__context__``.
    problem = None
    data = b""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problem = f"cannot read private key file {shown}: {exc.strerror or type(exc).__name__}"
    except ValueError:  # an embedded NUL: not a path at all
        problem = "private_key is neither a PEM key nor a readable path"
    if problem is not None:
        raise CredentialsError(problem)
    try:
        mode = path.stat().st_mode
    except OSError:  # pragma: no cover - read a moment ago
        mode = 0
    if os.name == "posix" and mode & 0o077:
        warnings.warn(
            f"private key file {shown} is readable by group or others (mode "
            f"{stat.S_IMODE(mode):04o}); restrict it with chmod 600",
            KeyFilePermissionWarning,
            stacklevel=_outside_sdk(),
        )
    return data


def _outside_sdk() -> int:
    """The stack level of the first caller outside this SDK, for warnings."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        ("kalshi_core", "kalshi_sync", "kalshi_async")
    ):
        frame = frame.f_back
        level += 1
    return level


def _unescape_pem(text: str) -> str:
    """A PEM pasted into a ``.env`` file often arrives with literal ``\\n`` for its newlines
    (and sometimes in quotes): restore them."""
    text = text.strip().strip("'\"")
    if "\\n" in text and "\n" not in text.strip():
        text = text.replace("\\r", "").replace("\\n", "\n")
    return text


def load_private_key(
    key: PrivateKeyInput, password: str | bytes | None = None
) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    """Load a private key from PEM bytes or text, a file path, or a loaded key object.

    PEM text whose newlines were escaped (``\\n``, as a ``.env`` file holds it) is accepted,
    and so is a bare base64 body (PKCS#8 or PKCS#1 DER without the BEGIN/END lines).
    ``password`` decrypts an encrypted PEM. Raises ``CredentialsError`` (a ``ValueError``;
    ``ConfigurationTypeError`` for a wrong type) that never echoes the key, nor a "path" that
    looks like key material. Warns with ``KeyFilePermissionWarning`` when a key file is readable
    by group or others.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    if isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        return key
    if isinstance(key, (str, bytes)) and not key.strip():
        raise CredentialsError("private_key is empty")
    der: bytes | None = None
    data = b""
    text: str | None = None
    if isinstance(key, bytes):
        try:
            text = key.decode("ascii")
        except UnicodeDecodeError:
            der = key  # raw DER bytes
    elif isinstance(key, str):
        text = key
    if der is not None:
        pass
    elif text is not None and "-----BEGIN" in text:
        data = _unescape_pem(text).encode("ascii", "replace")
    elif text is not None and _BASE64_BODY.fullmatch(text.strip()):
        try:
            der = base64.b64decode("".join(text.split()), validate=True)
        except ValueError:
            der = None
        if der is None:
            raise CredentialsError(
                "private_key looks like base64 but does not decode; pass the PEM file's path "
                "or its whole text, BEGIN/END lines included"
            )
    elif isinstance(key, bytes):
        data = key  # not PEM, not base64: refused below without being echoed
    elif isinstance(key, (str, os.PathLike)):
        if isinstance(key, str) and ("\n" in key.strip() or "-----" in key):
            raise CredentialsError(
                "private_key is neither a PEM key (no -----BEGIN line) nor a path"
            )
        data = _key_file(Path(key))
    else:
        raise ConfigurationTypeError(
            "private_key must be PEM bytes or text, a path, or an RSAPrivateKey/Ed25519PrivateKey"
        )
    pw = password.encode() if isinstance(password, str) else password
    if pw is not None and not isinstance(pw, bytes):
        raise ConfigurationTypeError("private_key_password must be str or bytes")
    loaded: object = None
    problem = None
    try:
        if der is not None:
            loaded = serialization.load_der_private_key(der, password=pw)
        elif b"-----BEGIN" in data:
            loaded = serialization.load_pem_private_key(data, password=pw)
        else:
            problem = _why_not_a_key(data, der)
    except TypeError as exc:
        # cryptography's wording ("Password was not given but private key is encrypted") names
        # no key material.
        problem = f"private key password problem: {exc}"
    except (ValueError, UnsupportedAlgorithm):
        problem = _why_not_a_key(data, der)
    if problem is not None:  # raised here, with no key-parsing exception as its context
        raise CredentialsError(problem)
    if not isinstance(loaded, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise CredentialsError("private_key must be an RSA or Ed25519 private key")
    return loaded


def _why_not_a_key(data: bytes, der: bytes | None) -> str:
    if b"PUBLIC KEY-----" in data:
        return (
            "private_key is a public key: pass the private key whose public half you registered "
            "with Kalshi"
        )
    if der is not None:
        return "private_key is not a readable private key (base64 of something else?)"
    return "private_key is not a readable PEM private key (wrong password, or not a key)"


def _signer_for(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> Signer:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(key)
    return RsaPssSigner(key)


class Credentials:
    """An API key id and the signer that holds its private key.

    ``private_key`` accepts PEM bytes or text, a path, or a loaded key; ``signer`` accepts any
    object with ``sign(message) -> bytes`` instead (an HSM, a remote signer).
    """

    __slots__ = ("_signer", "key_id")

    def __init__(
        self,
        key_id: str,
        private_key: PrivateKeyInput | None = None,
        *,
        password: str | bytes | None = None,
        signer: Signer | None = None,
    ) -> None:
        check_key_id(key_id)
        if (private_key is None) == (signer is None):
            raise CredentialsError("pass exactly one of private_key and signer")
        self.key_id = key_id
        if signer is None:
            assert private_key is not None
            signer = _signer_for(load_private_key(private_key, password))
        self._signer = signer

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """Credentials from ``KALSHI_API_KEY_ID`` plus ``KALSHI_PRIVATE_KEY_PATH`` or
        ``KALSHI_PRIVATE_KEY`` (PEM text), with ``KALSHI_PRIVATE_KEY_PASSWORD`` for an encrypted
        key. ``None`` when no key id is set; ``CredentialsError`` when a key id has no key.
        """
        env = os.environ if environ is None else environ
        key_id = env.get("KALSHI_API_KEY_ID")
        if not key_id:
            return None
        password = env.get("KALSHI_PRIVATE_KEY_PASSWORD") or None
        if env.get("KALSHI_PRIVATE_KEY_PATH"):
            return cls(key_id, Path(env["KALSHI_PRIVATE_KEY_PATH"]), password=password)
        if env.get("KALSHI_PRIVATE_KEY"):
            return cls(key_id, env["KALSHI_PRIVATE_KEY"], password=password)
        raise CredentialsError(
            "KALSHI_API_KEY_ID is set but neither KALSHI_PRIVATE_KEY_PATH nor KALSHI_PRIVATE_KEY is"
        )

    def signature_headers(
        self, method: str, path: str, timestamp_ms: int
    ) -> tuple[tuple[str, str], ...]:
        """The three authentication headers for a request signed at ``timestamp_ms``."""
        message = signing_message(timestamp_ms, method, path)
        signature = base64.b64encode(self._signer.sign(message)).decode("ascii")
        return (
            (KEY_HEADER, self.key_id),
            (TIMESTAMP_HEADER, str(timestamp_ms)),
            (SIGNATURE_HEADER, signature),
        )

    def __repr__(self) -> str:
        return f"Credentials(key_id={self.key_id!r}, private_key=<redacted>)"

    def __reduce__(self) -> str:
        raise TypeError("Credentials hold a private key and cannot be pickled")


def check_key_id(key_id: object) -> str:
    """``key_id`` if it can go into a header: 1 to 200 printable ASCII characters, no spaces or
    line breaks (Kalshi's ids are UUIDs). Raises ``CredentialsError`` (or
    ``ConfigurationTypeError``) without echoing it: a key pasted into the wrong place must not
    end up in a log."""
    if not isinstance(key_id, str):
        raise ConfigurationTypeError(f"key_id must be a str, not {type(key_id).__name__}")
    if not key_id:
        raise CredentialsError("key_id must be a non-empty string")
    if _KEY_ID.fullmatch(key_id) is None:
        if len(key_id) > 200:
            problem = "is longer than 200 characters (a private key in the wrong argument?)"
        else:
            problem = "contains spaces, line breaks, control or non-ASCII characters"
        raise CredentialsError(f"key_id {problem}; Kalshi's key ids are UUIDs")
    return key_id


def signing_message(timestamp_ms: int, method: str, path: str) -> bytes:
    """The exact bytes Kalshi verifies: ``timestamp_ms + METHOD + path`` (no query string)."""
    return f"{timestamp_ms}{method.upper()}{path.split('?', 1)[0]}".encode()


def sign_request(request: Request, credentials: Credentials, now: float) -> Request:
    """``request`` with authentication headers for a signature made at ``now`` (Unix seconds)."""
    timestamp_ms = int(now * 1000)
    return request.with_headers(
        credentials.signature_headers(request.method, request.path, timestamp_ms)
    )
