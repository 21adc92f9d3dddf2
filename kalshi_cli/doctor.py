"""``kalshi doctor``: the setup checks, each with a verdict and, when it is not a pass, the fix.

Checks run in order and later ones are skipped (with the reason) when what they need failed:
the key id, the key file or text (present, private, permissions, parses, RSA or Ed25519), the
environment and its host (reachable, answers as the Trade API), the clock against the
server's ``Date``, the key against the server (a signed call), the account's rate-limit tier,
and the WebSocket handshake (a signed upgrade through ``kalshi_core.stream``). Nothing here
prints key material: a key is described by its type and size only.
"""

from __future__ import annotations

import enum
import os
import re
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import attrs
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from kalshi_core import Credentials
from kalshi_core.errors import (
    APIStatusError,
    InvalidSignatureError,
    KalshiError,
    TimestampExpiredError,
    TransportError,
    UnknownApiKeyError,
)
from kalshi_core.wire.environments import ENVIRONMENTS, resolve_base_url

__all__ = ["Check", "Status", "run_checks"]

#: Clock skew (seconds) still called a pass; beyond ``SKEW_FAIL`` it is a failure.
SKEW_PASS = 2.0
SKEW_FAIL = 10.0
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Status(enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@attrs.frozen
class Check:
    """One verdict: ``name``, ``status``, what was found, and the fix when it is not a pass."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status.value, "detail": self.detail,
                "fix": self.fix}


@attrs.define
class _State:
    environ: Mapping[str, str]
    base_url: str | None = None
    pem: bytes | None = None
    credentials: Credentials | None = None
    reachable: bool = False
    skew: float | None = None


def run_checks(
    environ: Mapping[str, str],
    *,
    clock: Callable[[], float] = time.time,
    http: httpx.Client | None = None,
    websocket_check: Callable[[str, Credentials], str] | None = None,
) -> Iterator[Check]:
    """Yield every check's verdict, in order (see the module docstring).

    ``http`` is used for the unsigned probe of the host (a new client when ``None``);
    ``websocket_check(base_url, credentials)`` returns a description of a successful
    handshake or raises ``KalshiError``.
    """
    state = _State(environ=environ)
    yield _key_id(state)
    yield _key_material(state)
    yield from _permissions(state)
    yield _key_type(state)
    yield _environment(state)
    owned = http is None
    client = http or httpx.Client(timeout=10)
    try:
        yield _reachable(state, client, clock)
        yield _clock(state)
    finally:
        if owned:
            client.close()
    yield from _signed(state)
    if websocket_check is not None:
        yield _websocket(state, websocket_check)


def _key_id(state: _State) -> Check:
    key_id = state.environ.get("KALSHI_API_KEY_ID", "")
    if not key_id:
        return Check(
            "key id",
            Status.FAIL,
            "KALSHI_API_KEY_ID is not set",
            "export KALSHI_API_KEY_ID=<the id Kalshi shows beside your API key> "
            "(or pass --key-id)",
        )
    if key_id != key_id.strip() or any(c.isspace() for c in key_id) or not key_id.isprintable():
        return Check(
            "key id",
            Status.FAIL,
            "KALSHI_API_KEY_ID contains spaces or control characters",
            "copy the key id again, without quotes, spaces or line breaks",
        )
    if not _UUID.match(key_id):
        return Check(
            "key id",
            Status.WARN,
            f"{key_id!r} is not shaped like Kalshi's key ids (a UUID)",
            "check that this is the key id, not the key itself or another account id",
        )
    return Check("key id", Status.PASS, key_id)


def _key_material(state: _State) -> Check:
    path = state.environ.get("KALSHI_PRIVATE_KEY_PATH", "")
    text = state.environ.get("KALSHI_PRIVATE_KEY", "")
    if path:
        p = Path(path).expanduser()
        if "BEGIN" in path or len(path) > 512:
            return Check(
                "key file",
                Status.FAIL,
                "KALSHI_PRIVATE_KEY_PATH holds key text, not a path",
                "put the PEM text in KALSHI_PRIVATE_KEY, or save it to a file and point "
                "KALSHI_PRIVATE_KEY_PATH at the file",
            )
        if not p.exists():
            return Check(
                "key file",
                Status.FAIL,
                f"{p} does not exist",
                "point KALSHI_PRIVATE_KEY_PATH (or --private-key) at the .pem file Kalshi "
                "gave you when you created the key",
            )
        try:
            state.pem = p.read_bytes()
        except OSError as exc:
            return Check(
                "key file",
                Status.FAIL,
                f"{p} cannot be read ({exc.strerror})",
                f"make it readable by this user: chmod 600 {p}",
            )
        return Check("key file", Status.PASS, f"{p} ({len(state.pem)} bytes)")
    if text:
        state.pem = text.replace("\\n", "\n").encode()
        return Check("key file", Status.PASS, "PEM text from KALSHI_PRIVATE_KEY")
    return Check(
        "key file",
        Status.FAIL,
        "neither KALSHI_PRIVATE_KEY_PATH nor KALSHI_PRIVATE_KEY is set",
        "export KALSHI_PRIVATE_KEY_PATH=/path/to/your-key.pem",
    )


def _permissions(state: _State) -> Iterator[Check]:
    path = state.environ.get("KALSHI_PRIVATE_KEY_PATH", "")
    if not path or state.pem is None or os.name != "posix":
        return
    p = Path(path).expanduser()
    mode = stat.S_IMODE(p.stat().st_mode)
    if mode & 0o077:
        yield Check(
            "key permissions",
            Status.WARN,
            f"{p} is readable by others (mode {mode:o})",
            f"chmod 600 {p}",
        )
    else:
        yield Check("key permissions", Status.PASS, f"mode {mode:o}")


def _key_type(state: _State) -> Check:
    if state.pem is None:
        return Check("key type", Status.SKIP, "no key to read")
    pem = state.pem
    if b"PUBLIC KEY" in pem and b"PRIVATE KEY" not in pem:
        return Check(
            "key type",
            Status.FAIL,
            "this is a public key",
            "use the private key file Kalshi let you download when you created the API key",
        )
    if b"-----BEGIN" not in pem:
        return Check(
            "key type",
            Status.FAIL,
            "not a PEM file (no -----BEGIN line)",
            "the key must be the whole PEM, including its BEGIN and END lines",
        )
    password = state.environ.get("KALSHI_PRIVATE_KEY_PASSWORD")
    try:
        key = serialization.load_pem_private_key(
            pem, password=password.encode() if password else None
        )
    except TypeError:
        if password:
            return Check(
                "key type",
                Status.FAIL,
                "a password was given but the key is not encrypted",
                "unset KALSHI_PRIVATE_KEY_PASSWORD",
            )
        return Check(
            "key type",
            Status.FAIL,
            "the key is encrypted and no password was given",
            "export KALSHI_PRIVATE_KEY_PASSWORD=<its password>",
        )
    except (ValueError, OverflowError):
        return Check(
            "key type",
            Status.FAIL,
            "the PEM does not hold a private key this SDK can read (or the password is wrong)",
            "download the key again, or check KALSHI_PRIVATE_KEY_PASSWORD",
        )
    if isinstance(key, rsa.RSAPrivateKey):
        kind = f"RSA {key.key_size}-bit"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        kind = "Ed25519"
    else:
        return Check(
            "key type",
            Status.FAIL,
            f"{type(key).__name__.removeprefix('_')} keys are not accepted by Kalshi",
            "create an RSA or Ed25519 API key on Kalshi",
        )
    key_id = state.environ.get("KALSHI_API_KEY_ID", "")
    if key_id:
        state.credentials = Credentials(key_id.strip(), key)
    return Check("key type", Status.PASS, kind)


def _environment(state: _State) -> Check:
    try:
        base = resolve_base_url(
            state.environ.get("KALSHI_BASE_URL") or None, state.environ.get("KALSHI_ENV") or None
        )
    except (KalshiError, ValueError) as exc:
        names = ", ".join(sorted(ENVIRONMENTS))
        return Check("environment", Status.FAIL, str(exc), f"use one of: {names}")
    state.base_url = base
    named = [name for name, url in ENVIRONMENTS.items() if url == base]
    label = f"{named[0]} ({base})" if named else base
    if not base.rstrip("/").endswith("/trade-api/v2"):
        return Check(
            "environment",
            Status.FAIL,
            f"{base} does not end in /trade-api/v2",
            f"use {base.rstrip('/')}/trade-api/v2",
        )
    return Check("environment", Status.PASS, label)


def _reachable(state: _State, http: httpx.Client, clock: Callable[[], float]) -> Check:
    if state.base_url is None:
        return Check("host", Status.SKIP, "no environment")
    url = f"{state.base_url}/exchange/status"
    host = httpx.URL(url).host
    try:
        sent = clock()
        answer = http.get(url)
        received = clock()
    except httpx.HTTPError as exc:
        return Check(
            "host",
            Status.FAIL,
            f"cannot reach {host}: {type(exc).__name__}: {exc}",
            "check the network, a proxy (HTTPS_PROXY), or KALSHI_BASE_URL/KALSHI_ENV",
        )
    if answer.status_code == 404:
        return Check(
            "host",
            Status.FAIL,
            f"{host} answered 404 for /exchange/status",
            "the base URL must end in /trade-api/v2",
        )
    date = answer.headers.get("date")
    if date:
        try:
            server = parsedate_to_datetime(date).timestamp()
            state.skew = server - (sent + received) / 2
        except (TypeError, ValueError):
            state.skew = None
    state.reachable = answer.status_code < 500
    if not state.reachable:
        return Check(
            "host",
            Status.FAIL,
            f"{host} answered {answer.status_code}",
            "Kalshi may be down or in maintenance; try again later",
        )
    ms = (received - sent) * 1000
    return Check("host", Status.PASS, f"{host} answered {answer.status_code} in {ms:.0f} ms")


def _clock(state: _State) -> Check:
    if state.skew is None:
        if not state.reachable:
            return Check("clock", Status.SKIP, "the host was not reached")
        return Check("clock", Status.WARN, "the server sent no usable Date header")
    skew = state.skew
    # Date has a one-second resolution: half a second of the difference is rounding.
    shown = f"{abs(skew):.1f} s {'behind' if skew > 0 else 'ahead of'} the server"
    if abs(skew) <= SKEW_PASS:
        return Check("clock", Status.PASS, f"within {SKEW_PASS:.0f} s of the server")
    fix = "turn on network time (e.g. `timedatectl set-ntp true`, or your OS's time settings)"
    if abs(skew) <= SKEW_FAIL:
        return Check("clock", Status.WARN, f"this machine's clock is {shown}", fix)
    return Check(
        "clock",
        Status.FAIL,
        f"this machine's clock is {shown}; Kalshi refuses signatures with stale timestamps",
        fix,
    )


def _refusal(exc: KalshiError, host: str) -> Check:
    """The authentication verdict for a signed call that failed with ``exc``."""
    if isinstance(exc, UnknownApiKeyError):
        detail = f"{host} does not know this key id"
        fix: str | None = (
            "demo and production keys differ: use a key made on this environment, or "
            "set KALSHI_ENV to the environment the key belongs to"
        )
    elif isinstance(exc, InvalidSignatureError):
        detail = "the server refused the signature: the private key does not match the key id"
        fix = "use the private key downloaded together with this key id"
    elif isinstance(exc, TimestampExpiredError):
        detail = "the server refused the request's timestamp"
        fix = "fix the clock (see the clock check)"
    else:
        detail, fix = f"a signed call failed: {exc}", None
    return Check("authentication", Status.FAIL, detail, fix)


def _signed(state: _State) -> Iterator[Check]:
    from kalshi_sync import Client

    no_key = Check("rate limits", Status.SKIP, "needs an accepted key")
    if state.credentials is None or state.base_url is None or not state.reachable:
        yield Check("authentication", Status.SKIP, "needs a readable key and a reachable host")
        yield no_key
        return
    with Client(credentials=state.credentials, base_url=state.base_url, max_retries=1) as client:
        try:
            balance = client.get_balance()
        except (APIStatusError, TransportError) as exc:
            yield _refusal(exc, httpx.URL(state.base_url).host)
            yield no_key
            return
        money = balance.balance_dollars
        shown = f"; balance ${money:,.2f}" if money is not None else ""
        yield Check("authentication", Status.PASS, f"key accepted{shown}")
        try:
            limits = client.get_account_api_limits()
        except KalshiError as exc:
            yield Check(
                "rate limits",
                Status.WARN,
                f"could not read the account's limits: {exc}",
                "the SDK assumes the Basic tier; pass rate_limit= to the client",
            )
            return
        tier = limits.usage_tier or "unknown"
        read = _budget(limits.read, limits.read_limit)
        write = _budget(limits.write, limits.write_limit)
        yield Check("rate limits", Status.PASS, f"tier {tier}: read {read}, write {write}")


def _budget(bucket: Any, legacy: Any) -> str:
    rate = getattr(bucket, "refill_rate", None)
    if rate is None:
        rate = legacy
    return f"{rate}/s" if rate is not None else "?"


def _websocket(state: _State, check: Callable[[str, Credentials], str]) -> Check:
    if state.credentials is None or state.base_url is None or not state.reachable:
        return Check("websocket", Status.SKIP, "needs a readable key and a reachable host")
    try:
        detail = check(state.base_url, state.credentials)
    except KalshiError as exc:
        return Check(
            "websocket",
            Status.FAIL,
            f"the WebSocket handshake failed: {exc}",
            "a network or proxy that blocks WebSocket upgrades; or the key (see above)",
        )
    return Check("websocket", Status.PASS, detail)
