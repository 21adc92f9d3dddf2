"""The fake exchange behind ``httpx.MockTransport``, for both the sync and the async client."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from kalshi_core import Request
from kalshi_testing._exchange import FakeExchange

__all__ = ["mock_transport"]


def mock_transport(
    exchange: FakeExchange, *, clock: Callable[[], float] = time.time
) -> httpx.MockTransport:
    """An httpx transport (sync and async) that answers from ``exchange`` in-process.

    Fast, but it crosses no socket: tests that must prove the wire use ``LoopbackServer``.
    """

    def handle(request: httpx.Request) -> httpx.Response:
        value = Request(
            method=request.method,
            url=str(request.url),
            headers=tuple(request.headers.multi_items()),
            body=request.read(),
        )
        answer = exchange.handle(value, clock())
        return httpx.Response(answer.status, headers=list(answer.headers), content=answer.body)

    return httpx.MockTransport(handle)
