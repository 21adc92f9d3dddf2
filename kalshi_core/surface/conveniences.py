"""Hand-written client methods on top of the generated surface, shared by both clients.

``Surface`` (generated) inherits this class, so ``kalshi_sync.Client`` and
``kalshi_async.AsyncClient`` get these methods exactly like the generated ones: built from pure
core functions (``kalshi_core.trading``) with the same descriptors, no driver code.
"""

from __future__ import annotations

from kalshi_core import trading
from kalshi_core.surface.bound import operation, procedure

__all__ = ["Conveniences"]


class Conveniences:
    """Trading conveniences: intents on the YES book, and batches in compliant sizes."""

    __slots__ = ()

    #: Buy or sell YES or NO at a price (see ``kalshi_core.trading.order_intent``).
    place_order = operation(trading.order_intent)
    #: ``place_order(action="buy", ...)``: ``client.buy(ticker, "no", price=..., count=...)``.
    buy = operation(trading.buy)
    #: ``place_order(action="sell", ...)``.
    sell = operation(trading.sell)
    #: ``batch_create_orders_v2`` for any number of orders, 20 (or ``size``) at a time.
    create_orders_in_batches = procedure(trading.create_orders_in_batches)
    #: ``batch_cancel_orders_v2`` for any number of orders (ids or mappings), 20 at a time.
    cancel_orders_in_batches = procedure(trading.cancel_orders_in_batches)
    #: Run any plan of ``kalshi_core.trading`` (e.g. ``split_batches`` over a V1 builder).
    run_plan = procedure(trading.run_plan)
