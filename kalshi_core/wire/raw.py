"""Raw answers: the HTTP response of a call beside the model parsed from it.

``client.with_raw_response.get_balance()`` (sync) or ``await
client.with_raw_response.get_balance()`` (async) returns a ``RawResponse``: the status, the
headers, Kalshi's request id, the body bytes, how long the answering attempt took, how many
attempts the call needed, and the parsed model (``.parsed``, or ``.parse()``). The views here
are core values: they only hand each call to their client's ``_run_raw``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from kalshi_core._generated.surface import Surface
from kalshi_core.surface.bound import AsyncRawRunner, SyncRawRunner
from kalshi_core.wire.error_bodies import REQUEST_ID_HEADERS
from kalshi_core.wire.values import Headers, Request, Response, find_header

if TYPE_CHECKING:
    from kalshi_core.wire.call import Call

__all__ = ["AsyncRawView", "RawResponse", "SyncRawView"]

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class RawResponse(Generic[T]):
    """One call's answer as it came over the wire, and its model.

    ``response`` is the 2xx answer the model was parsed from; ``request`` the signed request
    that got it (its signature redacted in ``repr``); ``elapsed`` the seconds that attempt
    took (send to last body byte); ``attempts`` how many attempts the call made (retries
    included). ``recovered`` is true when the SDK synthesised the answer from a lookup after
    an ambiguous failure (exactly-once recovery): ``response`` is then the lookup's answer.
    """

    response: Response
    request: Request
    parsed: T
    elapsed: float
    attempts: int = 1
    recovered: bool = False

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return self.response.status

    @property
    def headers(self) -> Headers:
        """The response headers, as received (name, value) pairs."""
        return self.response.headers

    @property
    def body(self) -> bytes:
        """The response body bytes."""
        return self.response.body

    @property
    def request_id(self) -> str | None:
        """The request id the server put on the answer (``x-request-id`` and kin), if any."""
        for name in REQUEST_ID_HEADERS:
            value = self.response.header(name)
            if value:
                return value
        return None

    def header(self, name: str) -> str | None:
        """The first value of response header ``name`` (case-insensitive), or ``None``."""
        return find_header(self.response.headers, name)

    def parse(self) -> T:
        """The parsed model (the same object every time)."""
        return self.parsed

    def __repr__(self) -> str:
        return (
            f"RawResponse(status={self.status}, request_id={self.request_id!r}, "
            f"elapsed={self.elapsed:.4f}, attempts={self.attempts}, "
            f"parsed={type(self.parsed).__name__})"
        )


class SyncRawView(Surface, SyncRawRunner):
    """Every operation of a sync client, answering ``RawResponse`` instead of the model."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _run(self, call: Call[T]) -> RawResponse[T]:
        raw: RawResponse[T] = self._client._run_raw(call)
        return raw

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._client!r}>"


class AsyncRawView(Surface, AsyncRawRunner):
    """Every operation of an async client, answering ``RawResponse`` instead of the model."""

    def __init__(self, client: Any) -> None:
        self._client = client

    async def _run(self, call: Call[T]) -> RawResponse[T]:
        raw: RawResponse[T] = await self._client._run_raw(call)
        return raw

    def __repr__(self) -> str:
        return f"<with_raw_response of {self._client!r}>"
