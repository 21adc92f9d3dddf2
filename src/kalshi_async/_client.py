"""The async driver: runs the core's calls over ``httpx.AsyncClient``.

This module is the source of ``kalshi_sync/_client.py``, which ``tools/unasync.py`` generates
from it; edit this one. It knows no endpoint: every operation comes from
``kalshi_core.Surface`` and reaches the network through ``_run``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx

from kalshi_core import Call, Credentials, Response, Surface
from kalshi_core._bound import AsyncRunner
from kalshi_core.credentials import PrivateKeyInput
from kalshi_core.environments import resolve_base_url
from kalshi_core.errors import APITimeoutError, ConnectError, TransportError

__all__ = ["DEFAULT_TIMEOUT", "AsyncClient"]

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0, pool=10.0)
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0
)


class AsyncClient(Surface, AsyncRunner):
    """A Kalshi Trade API v2 client; every operation is a method named by its operationId.

    Without ``key_id``/``private_key`` (or ``credentials``) only public endpoints work.
    ``base_url`` (or ``env``: ``"production"``, ``"demo"``...) picks the environment;
    production is the default. Hand it your own ``http_client`` or ``transport`` to route
    through a proxy, a mock or a test exchange; a client it did not create is not closed by it.
    ``clock`` returns Unix seconds for signatures (tests pin it; the default is ``time.time``).
    """

    def __init__(
        self,
        *,
        key_id: str | None = None,
        private_key: PrivateKeyInput | None = None,
        private_key_password: str | bytes | None = None,
        credentials: Credentials | None = None,
        base_url: str | None = None,
        env: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if credentials is None and (key_id is not None or private_key is not None):
            if key_id is None or private_key is None:
                raise ValueError("pass both key_id and private_key, or neither")
            credentials = Credentials(key_id, private_key, password=private_key_password)
        self._credentials = credentials
        self.base_url = resolve_base_url(base_url, env)
        self._timeout = timeout
        self._clock = clock
        self._owns_http = http_client is None
        if http_client is None:
            http_client = httpx.AsyncClient(
                transport=transport, timeout=timeout, limits=DEFAULT_LIMITS
            )
        elif transport is not None:
            raise ValueError("pass http_client or transport, not both")
        self._http = http_client
        self._closed = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> AsyncClient:
        """A client configured from ``KALSHI_API_KEY_ID``, ``KALSHI_PRIVATE_KEY_PATH`` or
        ``KALSHI_PRIVATE_KEY`` (PEM text), ``KALSHI_PRIVATE_KEY_PASSWORD``, and
        ``KALSHI_BASE_URL`` or ``KALSHI_ENV``. Keyword arguments override the environment."""
        env = os.environ if environ is None else environ
        kwargs.setdefault("credentials", Credentials.from_env(env))
        kwargs.setdefault("base_url", env.get("KALSHI_BASE_URL") or None)
        kwargs.setdefault("env", env.get("KALSHI_ENV") or None)
        return cls(**kwargs)

    @property
    def credentials(self) -> Credentials | None:
        return self._credentials

    def __repr__(self) -> str:
        key = self._credentials.key_id if self._credentials else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, key_id={key!r})"

    def __reduce__(self) -> str:
        raise TypeError("clients hold credentials and open connections and cannot be pickled")

    async def _run(self, call: Call[T]) -> T:
        """Sign ``call`` now, send it, and parse the answer."""
        request = call.to_request(self.base_url, self._credentials, self._clock())
        try:
            answer = await self._http.request(
                request.method,
                request.url,
                headers=request.headers,
                content=request.body or None,
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise APITimeoutError(
                f"timed out ({type(exc).__name__})", method=request.method, path=request.path
            ) from None
        except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
            raise ConnectError(
                f"connection failed ({type(exc).__name__}: {exc})",
                method=request.method,
                path=request.path,
            ) from None
        except httpx.TransportError as exc:
            raise TransportError(
                f"{type(exc).__name__}: {exc}", method=request.method, path=request.path
            ) from None
        response = Response(
            status=answer.status_code,
            headers=tuple(answer.headers.multi_items()),
            body=answer.content,
        )
        return call.parse(response)

    async def aclose(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if not self._closed:
            self._closed = True
            if self._owns_http:
                await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
