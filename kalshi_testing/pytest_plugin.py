"""pytest fixtures for testing your code against the fake exchange.

Installed with the package as a pytest plugin (entry point ``kalshi_testing``), so the fixtures
are available in any test suite without imports:

``kalshi_fake``
    A fresh ``FakeExchange`` with the market ``HIGHNY-24JAN01-T60`` open.
``kalshi_account``
    An ``ApiKey`` for a user with $1,000 and a freshly generated RSA key
    (``.key_id``, ``.private_key_pem``, ``.user_id``).
``kalshi_client``
    A ``kalshi_sync.Client`` signed in as ``kalshi_account``, talking to ``kalshi_fake``
    in-process (``mock_transport``), with client-side rate limiting off.
``kalshi_server``
    A ``LoopbackServer`` serving ``kalshi_fake`` on 127.0.0.1; give ``kalshi_server.url`` to
    any client (sync or async) to cross a real socket. It serves the WebSocket API too, at
    ``kalshi_server.ws_url``, and records the book after every order-book message
    (``kalshi_server.book_after(sid, seq)``).

The plugin costs nothing until a fixture is used: this module imports only pytest, and each
fixture imports the SDK when it first runs (a pytest run in an environment where the package is
merely installed never loads it; ``bench/fig_import.py`` measures this).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kalshi_sync import Client
    from kalshi_testing._exchange import ApiKey, FakeExchange
    from kalshi_testing._server import LoopbackServer

__all__ = ["kalshi_account", "kalshi_client", "kalshi_fake", "kalshi_server"]

DEFAULT_MARKET = "HIGHNY-24JAN01-T60"


@pytest.fixture
def kalshi_fake() -> FakeExchange:
    """A fresh fake exchange with one open market (``HIGHNY-24JAN01-T60``)."""
    from kalshi_testing._exchange import FakeExchange

    exchange = FakeExchange()
    exchange.add_market(DEFAULT_MARKET)
    return exchange


@pytest.fixture
def kalshi_account(kalshi_fake: FakeExchange) -> ApiKey:
    """A user with $1,000 and a freshly generated RSA key."""
    return kalshi_fake.add_user(balance=Decimal("1000"))


@pytest.fixture
def kalshi_server(kalshi_fake: FakeExchange) -> Iterator[LoopbackServer]:
    """The fake exchange on a loopback port (REST and WebSocket), stopped after the test."""
    from kalshi_testing._server import LoopbackServer

    with LoopbackServer(kalshi_fake, record_books=True) as server:
        yield server


@pytest.fixture
def kalshi_client(kalshi_fake: FakeExchange, kalshi_account: ApiKey) -> Iterator[Client]:
    """A sync client for ``kalshi_account`` on the in-process fake exchange."""
    from kalshi_sync import Client
    from kalshi_testing._transport import mock_transport

    with Client(
        key_id=kalshi_account.key_id,
        private_key=kalshi_account.private_key_pem,
        base_url="http://fake-exchange.test/trade-api/v2",
        transport=mock_transport(kalshi_fake),
        rate_limit=None,
    ) as client:
        yield client
