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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from kalshi_core.wire.values import Request

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    #: What ``private_key=`` accepts: PEM bytes or text, a path, or a loaded key.
    PrivateKeyInput: TypeAlias = (
        str | bytes | os.PathLike[str] | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    )

__all__ = [
    "Credentials",
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


def load_private_key(
    key: PrivateKeyInput, password: str | bytes | None = None
) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    """Load a private key from PEM bytes or text, a file path, or a loaded key object.

    ``password`` decrypts an encrypted PEM. Raises ``ValueError`` (never echoing the key) when
    the input is not a usable RSA or Ed25519 private key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    if isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        return key
    if isinstance(key, str) and "-----BEGIN" in key:
        data = key.encode()
    elif isinstance(key, bytes) and b"-----BEGIN" in key:
        data = key
    elif isinstance(key, (str, os.PathLike)):
        path = Path(key)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(
                f"cannot read private key file {str(path)!r}: {exc.strerror}"
            ) from None
    elif isinstance(key, bytes):
        data = key
    else:
        raise TypeError(
            "private_key must be PEM bytes or text, a path, or an RSAPrivateKey/Ed25519PrivateKey"
        )
    pw = password.encode() if isinstance(password, str) else password
    try:
        loaded = serialization.load_pem_private_key(data, password=pw)
    except TypeError as exc:
        raise ValueError(f"private key password problem: {exc}") from None
    except ValueError:
        raise ValueError(
            "private_key is not a readable PEM private key (wrong password, or not a key)"
        ) from None
    if not isinstance(loaded, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise ValueError("private_key must be an RSA or Ed25519 private key")
    return loaded


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
        if not key_id or not isinstance(key_id, str):
            raise ValueError("key_id must be a non-empty string")
        if (private_key is None) == (signer is None):
            raise ValueError("pass exactly one of private_key and signer")
        self.key_id = key_id
        if signer is None:
            assert private_key is not None
            signer = _signer_for(load_private_key(private_key, password))
        self._signer = signer

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """Credentials from ``KALSHI_API_KEY_ID`` plus ``KALSHI_PRIVATE_KEY_PATH`` or
        ``KALSHI_PRIVATE_KEY`` (PEM text), with ``KALSHI_PRIVATE_KEY_PASSWORD`` for an encrypted
        key. ``None`` when no key id is set; ``ValueError`` when a key id has no key.
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
        raise ValueError(
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


def signing_message(timestamp_ms: int, method: str, path: str) -> bytes:
    """The exact bytes Kalshi verifies: ``timestamp_ms + METHOD + path`` (no query string)."""
    return f"{timestamp_ms}{method.upper()}{path.split('?', 1)[0]}".encode()


def sign_request(request: Request, credentials: Credentials, now: float) -> Request:
    """``request`` with authentication headers for a signature made at ``now`` (Unix seconds)."""
    timestamp_ms = int(now * 1000)
    return request.with_headers(
        credentials.signature_headers(request.method, request.path, timestamp_ms)
    )
