"""A fake Kalshi exchange for tests and demos: stateful, signature-checking, no network.

``FakeExchange`` is sans-IO (request value in, response value out). Serve it in-process with
``mock_transport`` (an ``httpx.MockTransport`` for the sync and async clients) or on a real
loopback socket with ``LoopbackServer``; ``python -m kalshi_testing`` starts the server from the
command line.
"""

from typing import TYPE_CHECKING, Any

from kalshi_testing import (  # noqa: F401 - handlers
    _groups,
    _legacy,
    _market_data,
    _orders,
    _portfolio,
)
from kalshi_testing._activity import MarketActivity
from kalshi_testing._engine import Ledger
from kalshi_testing._events import EventLog
from kalshi_testing._exchange import ApiKey, Context, FakeError, FakeExchange, handler
from kalshi_testing._faults import Fault, FaultPlan, StreamFault
from kalshi_testing._ratelimit import FakeRateLimits
from kalshi_testing._server import LoopbackServer
from kalshi_testing._stream_json import Ladder
from kalshi_testing._ws import StreamConnection

if TYPE_CHECKING:
    from kalshi_testing._transport import mock_transport

__all__ = [
    "ApiKey",
    "Context",
    "EventLog",
    "FakeError",
    "FakeExchange",
    "FakeRateLimits",
    "Fault",
    "FaultPlan",
    "Ladder",
    "Ledger",
    "LoopbackServer",
    "MarketActivity",
    "StreamConnection",
    "StreamFault",
    "handler",
    "mock_transport",
]


def __getattr__(name: str) -> Any:
    # httpx is imported only when the MockTransport adapter is asked for, so code that embeds
    # the core without httpx (h11 over a socket) can still use the fake exchange.
    if name == "mock_transport":
        from kalshi_testing._transport import mock_transport

        return mock_transport
    raise AttributeError(f"module 'kalshi_testing' has no attribute {name!r}")
