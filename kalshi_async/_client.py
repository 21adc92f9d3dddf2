"""The async driver: runs the core's calls over ``httpx.AsyncClient``.

This module is the source of ``kalshi_sync/_client.py``, which ``tools/unasync.py`` generates
from it; edit this one. It knows no endpoint: every operation comes from
``kalshi_core.Surface`` and reaches the network through ``_run``, whose loop only sleeps and
sends. Every decision (retry, wait for the rate limiter, clock correction, exactly-once
recovery) is made by a sans-IO policy in ``kalshi_core``.
"""

from __future__ import annotations

import functools
import logging
import os
import ssl
import time
import warnings
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from kalshi_core import Call, Credentials, Request, Response, Surface
from kalshi_core.errors import (
    APITimeoutError,
    ClientClosedError,
    ConfigurationError,
    ConfigurationTypeError,
    ConnectError,
    ConnectionClosedError,
    CredentialsError,
    KalshiError,
    NotFoundError,
    TLSError,
    TransportError,
)
from kalshi_core.policy.bucket_store import AsyncBucketStore
from kalshi_core.policy.clock import MAX_OFFSET, ClockOffset
from kalshi_core.policy.idempotency import Lookup, recovery_after_decode_error
from kalshi_core.policy.ratelimit import RateLimiter, discovery_calls
from kalshi_core.policy.retry import (
    GIVE_UP,
    Attempt,
    Failure,
    Recover,
    Resend,
    RetryPolicy,
    RetryState,
)
from kalshi_core.surface.bound import AsyncRunner
from kalshi_core.wire import raw as _raw
from kalshi_core.wire.body import ACCEPT_ENCODING, DEFAULT_MAX_RESPONSE_BYTES, BodyReader
from kalshi_core.wire.environments import base_url_hint, resolve_base_url
from kalshi_core.wire.values import redacted_headers

from . import _backend

if TYPE_CHECKING:
    from kalshi_core.wire.credentials import PrivateKeyInput

    from .stream import Stream

__all__ = [
    "DEFAULT_ATTEMPT_DEADLINE",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "AsyncClient",
]

T = TypeVar("T")

#: Connect 5 s; read, write and pool 10 s.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0, pool=10.0)
#: At most 100 connections, all of which may be kept alive (idle ones close after 30 s). Keeping
#: fewer alive than the pool holds makes a burst churn connections: httpx closes the idle
#: surplus before handing connections to queued requests, which then open new ones.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=100, keepalive_expiry=30.0
)

#: Seconds one attempt may take in all (connect, send, the whole answer), however the server
#: paces its bytes; the phase timeouts above bound each wait, this bounds their sum.
DEFAULT_ATTEMPT_DEADLINE = 60.0

#: The request extension the sync transport reads its deadline from (``time.monotonic()``).
DEADLINE_EXTENSION = "kalshi.deadline"

logger = logging.getLogger("kalshi")
_DEBUG = logging.DEBUG
_UNSET: Any = object()

RateLimitSetting = str | RateLimiter | None
# What one call came to: model, 2xx response, request, latency, attempts, recovered.
_Outcome = tuple[Any, Response, Request, float, int, bool]
_NOTHING = Response(status=200)
_NO_REQUEST = Request(method="GET", url="")


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client this module creates: building one costs
    tens of milliseconds (it loads the CA bundle), and a context is safe to share."""
    return httpx.create_ssl_context()


def _limiter_from(setting: RateLimitSetting | bool) -> RateLimiter | None:
    if setting is None or setting is False:
        return None
    if isinstance(setting, RateLimiter):
        return setting
    if isinstance(setting, str):
        return RateLimiter.for_tier(setting)
    raise ConfigurationTypeError(
        "rate_limit must be a tier name, a RateLimiter, or None to switch it off"
    )


_TLS_REFUSALS = (
    "CERTIFICATE_VERIFY_FAILED",
    "SSLCertVerificationError",
    "certificate verify failed",
    "WRONG_VERSION_NUMBER",
    "TLSV1_ALERT",
    "SSLV3_ALERT",
)


def _tls_refused(exc: BaseException) -> bool:
    """Whether a connect failure is a TLS refusal (a certificate that does not verify, a
    server that does not speak TLS): permanent, so never retried."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        text = f"{type(seen).__name__}: {seen}"
        if any(marker in text for marker in _TLS_REFUSALS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _deadline_timeout(method: str, path: str, seconds: float | None) -> APITimeoutError:
    within = f" of {seconds:g} s" if seconds is not None else ""
    return APITimeoutError(
        f"the deadline{within} passed before the answer was complete",
        method=method,
        path=path,
        phase="deadline",
    )


def _foreign(exc: BaseException, method: str, path: str) -> TransportError:
    """Any other exception from httpx or a user's transport, as ours (not retried)."""
    return TransportError(f"{type(exc).__name__}: {exc}", method=method, path=path)


def _failure(
    exc: httpx.TransportError, method: str, path: str, deadline: float | None = None
) -> tuple[Failure | None, KalshiError]:
    """The core's name for a transport failure, and the SDK exception that reports it."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connect",
            httpx.ReadTimeout: "read",
            httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "pool",
        }.get(type(exc), "read")
        if deadline is not None and time.monotonic() >= deadline - 0.005:
            phase = "deadline"
        error = APITimeoutError(f"{phase} timeout ({name})", method=method, path=path, phase=phase)
        return (Failure.NOT_SENT if phase in ("connect", "pool") else Failure.TIMEOUT), error
    if isinstance(exc, httpx.ConnectError):
        if _tls_refused(exc):
            return None, TLSError(
                f"TLS refused ({name}: {exc}); not retried", method=method, path=path
            )
        return Failure.NOT_SENT, ConnectError(
            f"connection failed ({name}: {exc})", method=method, path=path
        )
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return Failure.DISCONNECTED, ConnectionClosedError(
            f"connection closed ({name}: {exc})", method=method, path=path
        )
    return None, TransportError(f"{name}: {exc}", method=method, path=path)


def _check_cap(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationTypeError("max_response_bytes must be an int (bytes) or None")
    if value < 1:
        raise ConfigurationError("max_response_bytes must be at least 1")
    return value


def _check_seconds(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationTypeError(f"{name} must be a number of seconds or None")
    if not value > 0 or value != value or value == float("inf"):
        raise ConfigurationError(f"{name} must be a finite number of seconds > 0")
    return float(value)


class AsyncClient(Surface, AsyncRunner):
    """A Kalshi Trade API v2 client; every operation is a method named by its operationId.

    Without ``key_id``/``private_key`` (or ``credentials``) only public endpoints work.
    ``base_url`` (or ``env``: ``"production"``, ``"demo"``...) picks the environment;
    production is the default. Hand it your own ``http_client`` or ``transport`` to route
    through a proxy, a mock or a test exchange; a client it did not create is not closed by it.

    Transport options: ``timeout`` (seconds, or an ``httpx.Timeout`` with connect/read/write/
    pool), ``max_retries`` (retries after the first attempt) or a whole ``retry`` policy,
    ``limits`` (the connection pool), ``rate_limit`` (a tier name, a ``RateLimiter``, or
    ``None`` to switch the client-side limiter off; ``"basic"`` by default),
    ``rate_limit_store`` (where the limiter's buckets live: ``None``, the default, keeps them in
    this process; an ``AsyncRedisBuckets`` shares one account's budget among processes and
    machines, see ``docs/fleet.md``), ``on_attempt``
    (called with an ``Attempt`` after every attempt) and ``clock`` (Unix seconds for
    signatures; tests pin it). ``with_options`` returns a copy with other options that shares
    the connection pool, the limiter and the clock correction.

    Bounds that hold against any server (``docs/security.md``): ``max_response_bytes`` caps an
    answer, compressed and decompressed (``ResponseTooLargeError``; ``None`` lifts the cap);
    ``attempt_deadline`` bounds one attempt in all, however slowly the server sends its bytes,
    and ``call_deadline`` (off by default) a whole call across its retries (both raise
    ``APITimeoutError`` with ``phase="deadline"``); ``max_clock_offset`` is the largest
    correction the signing clock takes from a server's ``Date`` header. Redirects are never
    followed, whatever ``http_client`` says: signed headers go to ``base_url`` only.
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
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
        rate_limit: RateLimitSetting = "basic",
        rate_limit_store: AsyncBucketStore | None = None,
        on_attempt: Callable[[Attempt], None] | None = None,
        clock: Callable[[], float] = time.time,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        attempt_deadline: float | None = DEFAULT_ATTEMPT_DEADLINE,
        call_deadline: float | None = None,
        max_clock_offset: float = MAX_OFFSET,
    ) -> None:
        self._owns_http = False
        self._closed = True
        self._max_response_bytes = _check_cap(max_response_bytes)
        self._attempt_deadline = _check_seconds("attempt_deadline", attempt_deadline)
        self._call_deadline = _check_seconds("call_deadline", call_deadline)
        if credentials is None and (key_id is not None or private_key is not None):
            if key_id is None or private_key is None:
                raise CredentialsError("pass both key_id and private_key, or neither")
            credentials = Credentials(key_id, private_key, password=private_key_password)
        self._credentials = credentials
        self.base_url = resolve_base_url(base_url, env)
        self._base_hint = base_url_hint(self.base_url)
        self._timeout = timeout
        policy = retry or RetryPolicy()
        if max_retries is not None:
            policy = policy.with_max_retries(max_retries)
        self._retry = policy
        self._limiter = _limiter_from(rate_limit)
        self._store: AsyncBucketStore | None = _backend.check_store(rate_limit_store)
        self._limit_lock = _backend.ThreadLock()
        self._offset = ClockOffset(max_offset=max_clock_offset)
        self._on_attempt = on_attempt
        self._clock = clock
        self._parent: AsyncClient | None = None
        if http_client is None:
            http_client = httpx.AsyncClient(
                transport=transport or _backend.default_transport(limits, _ssl_context()),
                timeout=timeout,
                limits=limits,
            )
            self._owns_http = True
        elif transport is not None:
            raise ConfigurationError("pass http_client or transport, not both")
        elif not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationTypeError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}"
            )
        self._http = http_client
        # Requests in flight never outnumber the pool's connections (see _backend.Slots).
        self._slots = _backend.Slots(limits.max_connections or 100)
        self._closed = False

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, public: bool = False, **kwargs: Any
    ) -> AsyncClient:
        """A client configured from ``KALSHI_API_KEY_ID``, ``KALSHI_PRIVATE_KEY_PATH`` or
        ``KALSHI_PRIVATE_KEY`` (PEM text, ``\\n``-escaped newlines accepted),
        ``KALSHI_PRIVATE_KEY_PASSWORD``, and ``KALSHI_BASE_URL`` or ``KALSHI_ENV``. Keyword
        arguments override the environment.

        Without a key id in the environment it raises ``CredentialsError`` naming the
        variables, rather than building a client whose first private call fails; pass
        ``public=True`` for a client of public endpoints only (credentials are then ignored).
        """
        env = os.environ if environ is None else environ
        if public:
            kwargs.setdefault("credentials", None)
        elif "credentials" not in kwargs and "key_id" not in kwargs:
            found = Credentials.from_env(env)
            if found is None:
                raise CredentialsError(
                    "no credentials in the environment: set KALSHI_API_KEY_ID and "
                    "KALSHI_PRIVATE_KEY_PATH (or KALSHI_PRIVATE_KEY with the PEM text), or call "
                    "from_env(public=True) for public endpoints only"
                )
            kwargs["credentials"] = found
        kwargs.setdefault("base_url", env.get("KALSHI_BASE_URL") or None)
        kwargs.setdefault("env", env.get("KALSHI_ENV") or None)
        return cls(**kwargs)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = _UNSET,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: RateLimitSetting = _UNSET,
        rate_limit_store: AsyncBucketStore | None = _UNSET,
        on_attempt: Callable[[Attempt], None] | None = _UNSET,
        max_response_bytes: int | None = _UNSET,
        attempt_deadline: float | None = _UNSET,
        call_deadline: float | None = _UNSET,
    ) -> AsyncClient:
        """A cheap copy with other per-call options, sharing this client's connection pool,
        rate limiter and clock correction (``client.with_options(timeout=2).get_fills()``).
        Closing the copy does nothing; close the original."""
        new = object.__new__(type(self))
        state = {k: v for k, v in self.__dict__.items() if k.startswith("_")}
        new.__dict__.update(state)
        new.base_url = self.base_url
        new._owns_http = False
        new._parent = self
        if timeout is not _UNSET:
            new._timeout = timeout
        if retry is not None:
            new._retry = retry
        if max_retries is not None:
            new._retry = new._retry.with_max_retries(max_retries)
        if rate_limit is not _UNSET:
            new._limiter = _limiter_from(rate_limit)
        if rate_limit_store is not _UNSET:
            new._store = _backend.check_store(rate_limit_store)
        if on_attempt is not _UNSET:
            new._on_attempt = on_attempt
        if max_response_bytes is not _UNSET:
            new._max_response_bytes = _check_cap(max_response_bytes)
        if attempt_deadline is not _UNSET:
            new._attempt_deadline = _check_seconds("attempt_deadline", attempt_deadline)
        if call_deadline is not _UNSET:
            new._call_deadline = _check_seconds("call_deadline", call_deadline)
        return new

    @property
    def credentials(self) -> Credentials | None:
        return self._credentials

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The client-side limiter (``None`` when switched off)."""
        return self._limiter

    @property
    def clock_offset(self) -> float:
        """Seconds added to the local clock when signing (learned from the server's Date)."""
        return self._offset.offset

    @property
    def rate_limit_store(self) -> AsyncBucketStore | None:
        """Where the limiter's buckets live (``None``: in this process)."""
        return self._store

    def rate_limit_levels(self) -> dict[str, float] | None:
        """The limiter's current token levels ``{"read": ..., "write": ...}`` (``None`` if off).
        With a ``rate_limit_store``, the levels the store last reported (the in-process level,
        full, for a bucket this client has not used yet)."""
        limiter = self._limiter
        if limiter is None:
            return None
        with self._limit_lock:
            levels = limiter.levels(time.monotonic())
        if self._store is not None:
            levels.update(self._store.levels_seen())
        return levels

    async def configure_rate_limits(self) -> RateLimiter | None:
        """Fetch the account's budgets and endpoint costs (``GetAccountApiLimits``,
        ``GetAccountEndpointCosts``) and adopt them in the limiter; returns it."""
        limiter = self._limiter
        if limiter is None:
            return None
        limits_call, costs_call = discovery_calls()
        limits = await self._run(limits_call)
        costs = await self._run(costs_call)
        with self._limit_lock:
            limiter.configure(limits, costs)
        return limiter

    def __repr__(self) -> str:
        key = self._credentials.key_id if self._credentials else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, key_id={key!r})"

    def __reduce__(self) -> Any:
        raise TypeError(f"{type(self).__name__} holds credentials and sockets; cannot be pickled")

    @property
    def with_raw_response(self) -> _raw.AsyncRawView:
        """Every operation, answering a ``RawResponse`` (status, headers, request id, body,
        elapsed time, attempts, and the parsed model as ``.parsed``) instead of the model:
        ``raw = await client.with_raw_response.get_exchange_status()``. Per-call options
        apply as usual (``client.with_options(timeout=2).with_raw_response...``)."""
        return _raw.AsyncRawView(self)

    async def _run(self, call: Call[T]) -> T:
        """Send ``call`` until it succeeds or the retry policy gives up; parse the answer."""
        result: T = (await self._drive(call))[0]
        return result

    async def _run_raw(self, call: Call[T]) -> _raw.RawResponse[T]:
        """``_run``, answering the ``RawResponse`` of the attempt that succeeded."""
        result, response, request, latency, attempts, recovered = await self._drive(call)
        return _raw.RawResponse(response, request, result, latency, attempts, recovered)

    async def _drive(self, call: Call[T]) -> _Outcome:
        """The loop behind ``_run``: the model, the 2xx response and request it came from, the
        latency of that attempt, the number of attempts, and whether it was recovered (then
        the response is the recovery lookup's last)."""
        if self._closed or (self._parent is not None and self._parent._closed):
            raise ClientClosedError(f"{type(self).__name__} is closed")
        limiter = self._limiter
        offset = self._offset
        state: RetryState | None = None
        attempt = 0
        call_end = None if self._call_deadline is None else time.monotonic() + self._call_deadline
        while True:
            if limiter is not None:
                store = self._store
                with self._limit_lock:
                    if store is None:
                        wait = limiter.acquire(call, time.monotonic())
                    else:
                        take = limiter.plan(call)
                if store is not None:
                    wait = await store.take(take)
                if wait > 0.0:
                    await _backend.sleep(wait)
            attempt += 1
            response: Response | None = None
            failure: Failure | None = None
            error: KalshiError | None = None
            budget = self._attempt_deadline
            if call_end is not None:
                left = call_end - time.monotonic()
                if left <= 0.0:
                    exc = _deadline_timeout(call.operation.method, call.path, self._call_deadline)
                    exc.attempts = attempt - 1
                    raise exc
                budget = left if budget is None else min(budget, left)
            slots = self._slots
            if not slots.try_acquire():
                await slots.acquire()
            try:
                # Signed only once a connection slot is ours, so the timestamp is fresh.
                signed_at = offset.now(self._clock())
                request = call.to_request(self.base_url, self._credentials, signed_at)
                started = time.monotonic()
                deadline = None if budget is None else started + budget
                try:
                    with _backend.fail_after(budget):
                        response = await self._exchange(request, call.path, deadline)
                except KalshiError as exc:
                    exc.attempts = attempt
                    raise
                except httpx.TransportError as exc:
                    failure, error = _failure(exc, request.method, call.path, deadline)
                except TimeoutError:
                    failure, error = (
                        Failure.TIMEOUT,
                        _deadline_timeout(request.method, call.path, budget),
                    )
                except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                    error = _foreign(exc, request.method, call.path)
                except RuntimeError as exc:
                    if self._http.is_closed:
                        raise ClientClosedError(
                            f"{type(self).__name__}'s HTTP client is closed"
                        ) from None
                    error = _foreign(exc, request.method, call.path)
                except (OSError, ValueError) as exc:  # a user's transport let a socket error out
                    error = _foreign(exc, request.method, call.path)
                else:
                    if not offset.sampled:
                        offset.observe(response.header("date"), self._clock())
                latency = time.monotonic() - started
            finally:
                slots.release()
            if response is not None and 200 <= response.status < 300:
                if self._on_attempt is not None or logger.isEnabledFor(_DEBUG):
                    self._observe(request, response, None, attempt, latency, None)
                try:
                    result = call.parse(response)
                except KalshiError as exc:
                    exc.attempts = attempt
                    # A create the exchange accepted but answered unreadably: find the order.
                    first = state.first_sent if state is not None else signed_at
                    unreadable = recovery_after_decode_error(call, exc, first)
                    if unreadable is None:
                        raise
                    return await self._recover_or_raise(unreadable, exc, attempt)
                if state is not None:
                    repair = state.after_success(result)
                    if repair is not None:
                        return await self._recover(repair.lookup, attempt)
                return result, response, request, latency, attempt, False
            if state is None:
                state = self._retry.start(call, signed_at, offset)
            if response is not None:
                decision = state.next(response, self._clock())
            elif failure is not None:
                decision = state.next(failure, self._clock())
            else:
                decision = GIVE_UP
            if (
                isinstance(decision, Resend)
                and call_end is not None
                and time.monotonic() + decision.delay >= call_end
            ):
                decision = GIVE_UP  # the call's deadline would pass before the resend
            if limiter is not None and response is not None and response.status == 429:
                if self._store is None:
                    with self._limit_lock:
                        limiter.penalize(call, time.monotonic())
                else:
                    with self._limit_lock:
                        take = limiter.plan(call)
                    await self._store.drain(take)
            self._observe(request, response, error, attempt, latency, decision)
            if isinstance(decision, Resend):
                if decision.delay > 0.0:
                    await _backend.sleep(decision.delay)
                continue
            if isinstance(decision, Recover):
                logger.info(
                    "%s %s: an earlier attempt reached the exchange; recovering its result",
                    request.method,
                    call.path,
                )
                return await self._recover(decision.lookup, attempt)
            if response is not None:
                try:
                    call.parse(response)
                except KalshiError as exc:
                    exc.attempts = attempt
                    if isinstance(exc, NotFoundError) and self._base_hint:
                        exc.args = (f"{exc.args[0]}. Hint: {self._base_hint}",)
                    raise
            assert error is not None
            error.attempts = attempt
            raise error

    async def _exchange(self, request: Request, path: str, deadline: float | None) -> Response:
        """Send ``request`` (never following a redirect) and read its answer under the size
        cap, checking ``deadline`` (``time.monotonic()``) between chunks."""
        extensions: dict[str, Any] = {}
        timeout: Any = self._timeout
        if deadline is not None:
            extensions[DEADLINE_EXTENSION] = deadline
        outgoing = self._http.build_request(
            request.method,
            request.url,
            headers=(*request.headers, ("Accept-Encoding", ACCEPT_ENCODING)),
            content=request.body or None,
            timeout=timeout,
            extensions=extensions,
        )
        wire_path = outgoing.url.raw_path.partition(b"?")[0]
        if wire_path != request.path.encode("utf-8"):
            raise ConfigurationError(
                f"the URL would go out with the path {wire_path.decode('ascii', 'replace')!r} "
                f"but was signed for {request.path!r}; check base_url for dot segments or "
                "characters that need encoding"
            )
        answer = await self._http.send(outgoing, stream=True, follow_redirects=False)
        try:
            headers = answer.headers
            # A transport that answered with the body in memory (httpx.MockTransport) has had
            # it read, and decoded, already.
            in_memory = answer.is_stream_consumed
            reader = BodyReader(
                limit=self._max_response_bytes,
                method=request.method,
                path=path,
                content_encoding=None if in_memory else headers.get("content-encoding"),
                content_length=None if in_memory else headers.get("content-length"),
                status=answer.status_code,
            )
            if in_memory:
                reader.feed(answer.content)
            else:
                async for chunk in answer.aiter_raw():
                    reader.feed(chunk)
                    if deadline is not None and time.monotonic() > deadline:
                        raise TimeoutError
            body = reader.finish()
        finally:
            await answer.aclose()
        return Response(status=answer.status_code, headers=tuple(headers.multi_items()), body=body)

    async def _recover(self, lookup: Lookup[T], attempts: int) -> _Outcome:
        """Run a recovery lookup's calls; the answer it synthesises, with the last lookup
        call's response (``attempts`` are those of the call being recovered)."""
        last: _Outcome | None = None
        while (lookup_call := lookup.next_call()) is not None:
            last = await self._drive(lookup_call)
            lookup.feed(last[0])
        result = lookup.result()
        if last is None:  # a lookup that needed no call: nothing came over the wire
            return result, _NOTHING, _NO_REQUEST, 0.0, attempts, True
        return result, last[1], last[2], last[3], attempts, True

    async def _recover_or_raise(
        self, lookup: Lookup[T], error: KalshiError, attempts: int
    ) -> _Outcome:
        """``_recover``, raising ``error`` instead if the lookup fails or finds nothing."""
        try:
            return await self._recover(lookup, attempts)
        except KalshiError:
            raise error from None

    def _observe(
        self,
        request: Any,
        response: Response | None,
        error: BaseException | None,
        attempt: int,
        latency: float,
        decision: Any,
    ) -> None:
        """Log the attempt (headers redacted) and call the ``on_attempt`` hook."""
        status = response.status if response is not None else None
        level = _DEBUG if decision is None or not isinstance(decision, Resend) else logging.INFO
        if logger.isEnabledFor(level):
            outcome = status if status is not None else type(error).__name__
            note = (
                f"; retrying in {decision.delay:.3f}s ({decision.reason})"
                if isinstance(decision, Resend)
                else ""
            )
            logger.log(
                level,
                "%s %s -> %s (attempt %d, %.1f ms)%s",
                request.method,
                request.path,
                outcome,
                attempt,
                latency * 1000,
                note,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "attempt": attempt,
                    "latency": latency,
                    "headers": redacted_headers(request.headers),
                },
            )
        hook = self._on_attempt
        if hook is not None:
            hook(Attempt(request, response, error, attempt, latency, decision))

    def stream(self, **options: Any) -> Stream:
        """A WebSocket stream on this client's credentials, environment and clock, to use as
        ``async with client.stream() as stream``; ``options`` are those of
        ``kalshi_async.stream.Stream`` (``heartbeat_timeout``, ``queue_size``, ``verify``...)."""
        from .stream import Stream

        return Stream.from_client(self, **options)

    async def aclose(self) -> None:
        """Close the connection pool (only if this client created it)."""
        if not self._closed:
            self._closed = True
            if self._owns_http:
                await self._http.aclose()

    def __del__(self) -> None:
        if getattr(self, "_owns_http", False) and not getattr(self, "_closed", True):
            warnings.warn(
                f"{type(self).__name__} was garbage-collected without being closed; use it as a "
                "context manager or call aclose()",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
