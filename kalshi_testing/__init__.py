"""A fake Kalshi exchange for tests and demos: stateful, signature-checking, no network.

``FakeExchange`` is sans-IO (request value in, response value out). Serve it in-process with
``mock_transport`` (an ``httpx.MockTransport`` for the sync and async clients) or on a real
loopback socket with ``LoopbackServer``; ``python -m kalshi_testing`` starts the server from the
command line.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kalshi_testing._activity import MarketActivity
    from kalshi_testing._engine import Ledger
    from kalshi_testing._events import EventLog
    from kalshi_testing._exchange import ApiKey, Context, FakeError, FakeExchange, handler
    from kalshi_testing._faults import Fault, FaultPlan, StreamFault
    from kalshi_testing._ratelimit import FakeRateLimits
    from kalshi_testing._server import LoopbackServer
    from kalshi_testing._stream_json import Ladder
    from kalshi_testing._transport import mock_transport
    from kalshi_testing._ws import StreamConnection

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

# Where each public name lives. Nothing is imported until a name is asked for: the pytest
# plugin lives in this package, and a pytest run that never uses its fixtures must not pay
# for the SDK (the fake imports the whole operation table and every model). httpx, too, is
# imported only for ``mock_transport``, so code that embeds the core without httpx can use the
# fake exchange.
_HOMES = {
    "ApiKey": "_exchange",
    "Context": "_exchange",
    "FakeError": "_exchange",
    "FakeExchange": "_exchange",
    "handler": "_exchange",
    "Fault": "_faults",
    "FaultPlan": "_faults",
    "StreamFault": "_faults",
    "EventLog": "_events",
    "Ladder": "_stream_json",
    "MarketActivity": "_activity",
    "StreamConnection": "_ws",
    "FakeRateLimits": "_ratelimit",
    "Ledger": "_engine",
    "LoopbackServer": "_server",
    "mock_transport": "_transport",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kalshi_testing' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"kalshi_testing.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
