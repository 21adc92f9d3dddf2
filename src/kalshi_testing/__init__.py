"""A fake Kalshi exchange for tests and demos: stateful, signature-checking, no network.

``FakeExchange`` is sans-IO (request value in, response value out). Serve it in-process with
``mock_transport`` (an ``httpx.MockTransport`` for the sync and async clients) or on a real
loopback socket with ``LoopbackServer``; ``python -m kalshi_testing`` starts the server from the
command line.
"""

from kalshi_testing import _orders, _portfolio, _ratelimit  # noqa: F401 - registers handlers
from kalshi_testing._exchange import ApiKey, Context, FakeError, FakeExchange, handler
from kalshi_testing._faults import Fault, FaultPlan
from kalshi_testing._ratelimit import FakeRateLimits
from kalshi_testing._server import LoopbackServer
from kalshi_testing._transport import mock_transport

__all__ = [
    "ApiKey",
    "Context",
    "FakeError",
    "FakeExchange",
    "FakeRateLimits",
    "Fault",
    "FaultPlan",
    "LoopbackServer",
    "handler",
    "mock_transport",
]
