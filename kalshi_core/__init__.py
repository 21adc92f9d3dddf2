"""Kalshi Trade API v2, sans-IO: request values in, typed models out.

``kalshi_core`` builds signed requests and parses responses; it never opens a socket, sleeps or
reads the clock (callers pass ``now``). The drivers ``kalshi_sync`` and ``kalshi_async`` run
what it builds; anything else (an event loop of your own, h11 over a plain socket) can too::

    from kalshi_core import builders, Credentials, Response
    call = builders.get_balance()
    request = call.to_request(base_url, credentials, now=time.time())
    ...  # send request.method, request.url, request.headers, request.body
    balance = call.parse(Response(status, headers, body))
"""

from typing import TYPE_CHECKING, Any

from kalshi_core import builders, errors, models, trading
from kalshi_core._generated.surface import Surface
from kalshi_core.policy.pagination import Paginator
from kalshi_core.wire import environments
from kalshi_core.wire.call import Call
from kalshi_core.wire.credentials import Credentials, Signer, sign_request
from kalshi_core.wire.raw import RawResponse
from kalshi_core.wire.values import Request, Response

__all__ = [
    "Call",
    "Credentials",
    "Operation",
    "Paginator",
    "RawResponse",
    "Request",
    "Response",
    "Signer",
    "Surface",
    "builders",
    "environments",
    "errors",
    "models",
    "sign_request",
    "trading",
]

__version__ = "0.1.0"

if TYPE_CHECKING:
    from kalshi_core.wire.schema import Operation


def __getattr__(name: str) -> Any:
    # The operation table's vocabulary loads with the table (on the first call), not here.
    if name == "Operation":
        from kalshi_core.wire.schema import Operation

        return Operation
    raise AttributeError(f"module 'kalshi_core' has no attribute {name!r}")
