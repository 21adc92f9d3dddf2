"""The streaming surface both drivers share: one ``subscribe_*`` method per channel.

``ChannelSurface`` turns each channel's method into a call of the driver's one ``subscribe``
(a coroutine in ``kalshi_async``, a plain call in ``kalshi_sync``); ``SubscriptionSurface``
turns ``add_markets``/``delete_markets``/``get_snapshot`` into the driver's one ``update``.
So the drivers know no channel, as they know no endpoint, and the two surfaces cannot drift.
The channel names and their parameters are the AsyncAPI file's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["ChannelSurface", "SubscriptionSurface"]


def _ids(values: Sequence[str] | None) -> list[str] | None:
    if isinstance(values, str):
        raise TypeError("pass a sequence of ids, not a string")
    return list(values) if values is not None else None


class ChannelSurface:
    """One method per channel; each returns what the driver's ``subscribe`` returns."""

    __slots__ = ()

    def subscribe(
        self,
        channel: str,
        *,
        market_tickers: Sequence[str] | None = None,
        manage_books: bool = False,
        on_message: Callable[[Any], None] | None = None,
        **params: Any,
    ) -> Any:
        raise NotImplementedError

    def subscribe_orderbook(
        self,
        market_tickers: Sequence[str],
        *,
        use_yes_price: bool | None = None,
        manage_books: bool = True,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``orderbook_delta`` for ``market_tickers``: a snapshot, then deltas. With
        ``manage_books`` (the default) each market gets a managed ``OrderBook`` kept in sync;
        ``use_yes_price`` has Kalshi report NO levels in YES-leg pricing (the book handles
        both)."""
        return self.subscribe(
            "orderbook_delta",
            market_tickers=market_tickers,
            manage_books=manage_books,
            use_yes_price=use_yes_price,
            on_message=on_message,
        )

    def subscribe_ticker(
        self,
        market_tickers: Sequence[str] | None = None,
        *,
        send_initial_snapshot: bool | None = None,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``ticker``: price, volume and open interest (every market when ``None``)."""
        return self.subscribe(
            "ticker",
            market_tickers=market_tickers,
            send_initial_snapshot=send_initial_snapshot,
            on_message=on_message,
        )

    def subscribe_trades(
        self,
        market_tickers: Sequence[str] | None = None,
        *,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``trade``: public trades (every market when ``None``)."""
        return self.subscribe("trade", market_tickers=market_tickers, on_message=on_message)

    def subscribe_fills(
        self,
        market_tickers: Sequence[str] | None = None,
        *,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``fill``: your fills."""
        return self.subscribe("fill", market_tickers=market_tickers, on_message=on_message)

    def subscribe_market_positions(
        self,
        market_tickers: Sequence[str] | None = None,
        *,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``market_positions``: your positions as they change."""
        return self.subscribe(
            "market_positions", market_tickers=market_tickers, on_message=on_message
        )

    def subscribe_user_orders(
        self,
        market_tickers: Sequence[str] | None = None,
        *,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``user_orders``: your orders as they are created, filled and canceled."""
        return self.subscribe("user_orders", market_tickers=market_tickers, on_message=on_message)

    def subscribe_order_groups(self, *, on_message: Callable[[Any], None] | None = None) -> Any:
        """``order_group_updates``: your order groups' lifecycle and limits."""
        return self.subscribe("order_group_updates", on_message=on_message)

    def subscribe_lifecycle(self, *, on_message: Callable[[Any], None] | None = None) -> Any:
        """``market_lifecycle_v2``: market and event lifecycle, every market."""
        return self.subscribe("market_lifecycle_v2", on_message=on_message)

    def subscribe_multivariate_lifecycle(
        self, *, on_message: Callable[[Any], None] | None = None
    ) -> Any:
        """``multivariate_market_lifecycle``: lifecycle of multivariate markets."""
        return self.subscribe("multivariate_market_lifecycle", on_message=on_message)

    def subscribe_communications(
        self,
        *,
        shard_factor: int | None = None,
        shard_key: int | None = None,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``communications``: RFQs and quotes (optionally sharded)."""
        return self.subscribe(
            "communications", shard_factor=shard_factor, shard_key=shard_key, on_message=on_message
        )

    def subscribe_cfbenchmarks(
        self,
        index_ids: Sequence[str] | None = None,
        *,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``cfbenchmarks_value`` for ``index_ids`` (``["all"]`` for every index)."""
        return self.subscribe(
            "cfbenchmarks_value", index_ids=_ids(index_ids), on_message=on_message
        )

    def subscribe_pyth(
        self,
        underlying_tickers: Sequence[str] | None = None,
        *,
        on_message: Callable[[Any], None] | None = None,
    ) -> Any:
        """``pyth_value`` for ``underlying_tickers`` (``["all"]`` for every underlying)."""
        return self.subscribe(
            "pyth_value", underlying_tickers=_ids(underlying_tickers), on_message=on_message
        )


class SubscriptionSurface:
    """The ``update_subscription`` actions of a subscription handle; each returns what the
    driver's ``update`` returns."""

    __slots__ = ()

    def update(
        self, action: str, market_tickers: Sequence[str] | None = None, **params: Any
    ) -> Any:
        raise NotImplementedError

    def add_markets(self, market_tickers: Sequence[str]) -> Any:
        """Add markets to the subscription (``add_markets``)."""
        return self.update("add_markets", market_tickers)

    def delete_markets(self, market_tickers: Sequence[str]) -> Any:
        """Remove markets from the subscription (``delete_markets``); their books close."""
        return self.update("delete_markets", market_tickers)

    def get_snapshot(self, market_tickers: Sequence[str] | None = None) -> Any:
        """Fresh order book snapshots without resubscribing (``get_snapshot``; every market
        of the subscription when ``None``)."""
        return self.update("get_snapshot", market_tickers)
