"""One WebSocket connection's subscriptions, without sockets: commands in, messages out.

``StreamSession`` is what the loopback server runs behind each upgraded connection. It parses
the client's commands (``subscribe``, ``unsubscribe``, ``list_subscriptions``,
``update_subscription``) and answers them as ``kalshi-asyncapi-2.0.0.yaml`` says
(``subscribed``, ``unsubscribed``, ``ok``, ``error`` with the spec's codes and texts); as an
engine listener it turns the engine's events into channel messages for the subscriptions
that cover them. Everything it produces lands in its outbox (``pop``), in order.

Sequence numbers: every subscription (sid) counts the messages published on it, from 1.
``orderbook_snapshot``, ``orderbook_delta`` and ``order_group_updates`` carry that count as
``seq`` (the spec's shapes; the other channels' messages have no ``seq``). ``ok`` and
``unsubscribed`` replies carry the sid's count so far without advancing it.

The outbox is bounded (``max_buffered`` messages): a channel message that finds it full ends
its subscription with error 25 ("Subscription buffer overflow", terminal), as Kalshi does with
a consumer that does not keep up; the sid's queued messages are dropped.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from kalshi_testing._events import (
    BookChanged,
    EngineEvent,
    FillMade,
    Flushed,
    GroupChanged,
    MarketChanged,
    OrderChanged,
    PositionChanged,
    TradeMade,
)
from kalshi_testing._stream_json import (
    Ladder,
    delta_msg,
    event_lifecycle_msg,
    fill_msg,
    group_msg,
    ladder,
    lifecycle_msg,
    position_msg,
    snapshot_msg,
    ticker_fields,
    ticker_msg,
    trade_msg,
    user_order_msg,
)

if TYPE_CHECKING:
    from kalshi_testing._exchange import FakeExchange

__all__ = ["CHANNELS", "ERRORS", "Outgoing", "StreamSession", "Subscription"]

#: Every channel of the AsyncAPI file a client may subscribe to.
CHANNELS = (
    "orderbook_delta",
    "ticker",
    "trade",
    "fill",
    "market_positions",
    "market_lifecycle_v2",
    "multivariate_market_lifecycle",
    "communications",
    "order_group_updates",
    "user_orders",
    "cfbenchmarks_value",
    "pyth_value",
)
#: Channels whose messages carry ``seq``.
SEQUENCED = frozenset({"orderbook_delta", "order_group_updates"})
#: Channels a subscription narrows by market (``market_ticker(s)``, ``market_id(s)``).
_MARKET_CHANNELS = frozenset(
    {"orderbook_delta", "ticker", "trade", "fill", "market_positions", "user_orders"}
)
_BY_ID = frozenset({"ticker", "trade"})

#: The spec's error codes and their texts.
ERRORS = {
    1: "Unable to process message",
    2: "Params required",
    3: "Channels required",
    4: "Subscription IDs required",
    5: "Unknown command",
    6: "Already subscribed",
    7: "Unknown subscription ID",
    8: "Unknown channel name",
    9: "Authentication required",
    10: "Channel error",
    11: "Invalid parameter",
    12: "Exactly one subscription ID is required",
    13: "Unsupported action",
    14: "Market Ticker required",
    15: "Action required",
    16: "Market not found",
    17: "Internal error",
    18: "Command timeout",
    19: "shard_factor must be > 0",
    20: "shard_factor is required when shard_key is set",
    21: "shard_key must be >= 0 and < shard_factor",
    22: "shard_factor must be <= 100",
    23: "Match IDs required",
    24: "Index IDs required",
    25: "Subscription buffer overflow",
    26: "Subscription market limit exceeded",
    27: "Too many requests",
    28: "Underlying tickers required",
}
TERMINAL = frozenset({10, 17, 25})
MAX_MARKETS = 10_000


class CommandError(Exception):
    def __init__(self, code: int, market_ticker: str | None = None) -> None:
        super().__init__(ERRORS[code])
        self.code = code
        self.market_ticker = market_ticker


@attrs.define(eq=False)
class Subscription:
    """One sid: its channel, the markets it covers (``None``: all) and its message count."""

    sid: int
    channel: str
    tickers: list[str] | None
    use_yes_price: bool = False
    skip_ticker_ack: bool = False
    seq: int = 0
    extra: list[str] = attrs.field(factory=list)
    _ticker_set: frozenset[str] | None = attrs.field(default=None, init=False)

    def covers(self, ticker: str) -> bool:
        if self.tickers is None:
            return True
        if self._ticker_set is None or len(self._ticker_set) != len(self.tickers):
            self._ticker_set = frozenset(self.tickers)
        return ticker in self._ticker_set

    def set_tickers(self, tickers: list[str]) -> None:
        self.tickers = tickers
        self._ticker_set = None


@attrs.frozen
class Outgoing:
    """One message for the client: the JSON object, the sid it belongs to (``None`` for a
    command reply), and, when the server records books, the market's ladder right after it."""

    data: dict[str, Any]
    sid: int | None = None
    ticker: str | None = None
    truth: Ladder | None = None

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))

    def encode(self) -> str:
        return json.dumps(self.data, separators=(",", ":"))


class StreamSession:
    """The subscriptions of one connection for ``user_id``; see the module docstring.

    Thread-safety: :meth:`receive` and the engine's events run under the exchange's lock;
    :meth:`pop` may be called from any thread.
    """

    def __init__(
        self,
        exchange: FakeExchange,
        user_id: str,
        *,
        max_buffered: int = 100_000,
        record_books: bool = False,
    ) -> None:
        self.exchange = exchange
        self.user_id = user_id
        self.max_buffered = max_buffered
        self.record_books = record_books
        self.subscriptions: dict[int, Subscription] = {}
        self._next_sid = 1
        self._outbox: deque[Outgoing] = deque()
        self._ready = threading.Condition()
        self._tickers_sent: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self.closed = False
        #: ``(sid, seq) -> Ladder`` for orderbook messages, when ``record_books``.
        self.books_after: dict[tuple[int, int], Ladder] = {}

    # -- the outbox -----------------------------------------------------------------------------
    def pop(self, timeout: float | None = None) -> Outgoing | None:
        """The next message to send, waiting up to ``timeout`` seconds (``None`` if none)."""
        with self._ready:
            if not self._outbox and not self.closed:
                self._ready.wait(timeout)
            return self._outbox.popleft() if self._outbox else None

    def pending(self) -> int:
        with self._ready:
            return len(self._outbox)

    def close(self) -> None:
        with self._ready:
            self.closed = True
            self._ready.notify_all()

    def _put(self, item: Outgoing) -> None:
        with self._ready:
            self._outbox.append(item)
            self._ready.notify()

    def _reply(self, data: dict[str, Any]) -> None:
        self._put(Outgoing(data))

    def _publish(self, sub: Subscription, kind: str, msg: Any, ticker: str | None = None) -> None:
        if self.closed or sub.sid not in self.subscriptions:
            return
        with self._ready:
            full = len(self._outbox) >= self.max_buffered
        if full:
            self.terminate(sub.sid, 25)
            return
        sub.seq += 1
        data: dict[str, Any] = {"type": kind, "sid": sub.sid}
        if sub.channel in SEQUENCED:
            data["seq"] = sub.seq
        data["msg"] = msg
        truth = None
        if self.record_books and sub.channel == "orderbook_delta" and ticker is not None:
            truth = ladder(self.exchange.engine.books[ticker], use_yes_price=sub.use_yes_price)
            self.books_after[(sub.sid, sub.seq)] = truth
        self._put(Outgoing(data, sub.sid, ticker, truth))

    def terminate(self, sid: int, code: int) -> None:
        """End subscription ``sid`` with a terminal error (10, 17 or 25): its queued messages
        are dropped and an ``error`` naming the sid is sent (the spec's error has no sid; the
        fake adds it so a client with several subscriptions knows which one ended)."""
        if code not in TERMINAL:
            raise ValueError(f"error {code} is not terminal (10, 17 or 25)")
        if self.subscriptions.pop(sid, None) is None:
            return
        with self._ready:
            self._outbox = deque(o for o in self._outbox if o.sid != sid)
        self._reply({"type": "error", "sid": sid, "msg": {"code": code, "msg": ERRORS[code]}})

    # -- commands -------------------------------------------------------------------------------
    def receive(self, text: str | bytes) -> None:
        """Handle one text frame from the client."""
        with self.exchange._lock:
            command_id: int | None = None
            try:
                try:
                    command = json.loads(text)
                except ValueError:
                    raise CommandError(1) from None
                if not isinstance(command, dict):
                    raise CommandError(1)
                raw_id = command.get("id")
                if isinstance(raw_id, int) and not isinstance(raw_id, bool) and raw_id > 0:
                    command_id = raw_id
                elif raw_id not in (None, 0):
                    raise CommandError(11)
                cmd = command.get("cmd")
                handler = {
                    "subscribe": self._subscribe,
                    "unsubscribe": self._unsubscribe,
                    "update_subscription": self._update,
                    "list_subscriptions": self._list,
                }.get(cmd if isinstance(cmd, str) else "")
                if handler is None:
                    raise CommandError(5)
                params = command.get("params")
                if params is None and cmd != "list_subscriptions":
                    raise CommandError(2)
                if params is not None and not isinstance(params, dict):
                    raise CommandError(2)
                handler(command_id, params or {})
            except CommandError as exc:
                body: dict[str, Any] = {"code": exc.code, "msg": ERRORS[exc.code]}
                if exc.market_ticker is not None:
                    body["market_ticker"] = exc.market_ticker
                self._reply(_with_id(command_id, {"type": "error", "msg": body}))

    def _markets(self, params: dict[str, Any], channel: str | None) -> list[str] | None:
        """The tickers a command names (``None`` when it names none)."""
        keys = [
            k for k in ("market_ticker", "market_tickers", "market_id", "market_ids") if k in params
        ]
        if not keys:
            return None
        if len(keys) > 1:
            raise CommandError(11)
        key = keys[0]
        if key.startswith("market_id") and channel is not None and channel not in _BY_ID:
            raise CommandError(11)
        value = params[key]
        values = value if key.endswith("s") else [value]
        if not isinstance(values, list) or not values:
            raise CommandError(11)
        if not all(isinstance(v, str) and v for v in values):
            raise CommandError(11)
        markets = self.exchange.engine.markets
        tickers: list[str] = []
        for v in values:
            if key.startswith("market_id"):
                found = next((m.ticker for m in markets.values() if m.market_id == v), None)
                if found is None:
                    raise CommandError(16)
                ticker = found
            else:
                if v not in markets:
                    raise CommandError(16, v)
                ticker = v
            if ticker not in tickers:
                tickers.append(ticker)
        return tickers

    def _subscribe(self, command_id: int | None, params: dict[str, Any]) -> None:
        channels = params.get("channels")
        if not channels:
            raise CommandError(3)
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise CommandError(11)
        for channel in channels:
            if channel not in CHANNELS:
                raise CommandError(8)
        for flag in ("send_initial_snapshot", "skip_ticker_ack", "use_yes_price"):
            if flag in params and not isinstance(params[flag], bool):
                raise CommandError(11)
        if "communications" in channels:
            _check_shards(params)
        for name in ("index_ids", "underlying_tickers"):
            if name in params and not (
                isinstance(params[name], list)
                and params[name]
                and all(isinstance(v, str) for v in params[name])
            ):
                raise CommandError(11)
        plans: list[tuple[str, list[str] | None]] = []
        for channel in channels:
            tickers = self._markets(params, channel) if channel in _MARKET_CHANNELS else None
            if channel == "orderbook_delta" and tickers is None:
                raise CommandError(14)
            if tickers is not None and len(tickers) > MAX_MARKETS:
                raise CommandError(26)
            if self._overlaps(channel, tickers) or channels.count(channel) > 1:
                raise CommandError(6)
            plans.append((channel, tickers))
        created: list[Subscription] = []
        for channel, tickers in plans:
            sub = Subscription(
                self._next_sid,
                channel,
                tickers,
                use_yes_price=bool(params.get("use_yes_price", False)),
                skip_ticker_ack=bool(params.get("skip_ticker_ack", False)),
            )
            if channel == "cfbenchmarks_value":
                sub.extra = list(params.get("index_ids", []))
            elif channel == "pyth_value":
                sub.extra = list(params.get("underlying_tickers", []))
            self._next_sid += 1
            self.subscriptions[sub.sid] = sub
            created.append(sub)
            self._reply(
                _with_id(
                    command_id, {"type": "subscribed", "msg": {"channel": channel, "sid": sub.sid}}
                )
            )
        for sub in created:  # every reply first, then the initial data
            if sub.channel == "orderbook_delta":
                for ticker in sub.tickers or ():
                    self._snapshot(sub, ticker)
            elif sub.channel == "ticker" and params.get("send_initial_snapshot") and sub.tickers:
                for ticker in sub.tickers:
                    self._ticker(sub, ticker)

    def _overlaps(self, channel: str, tickers: list[str] | None) -> bool:
        for sub in self.subscriptions.values():
            if sub.channel != channel:
                continue
            if sub.tickers is None or tickers is None or set(sub.tickers) & set(tickers):
                return True
        return False

    def _unsubscribe(self, command_id: int | None, params: dict[str, Any]) -> None:
        sids = params.get("sids")
        if not sids:
            raise CommandError(4)
        if not isinstance(sids, list) or not all(_is_int(s) for s in sids):
            raise CommandError(11)
        for sid in sids:
            if sid not in self.subscriptions:
                raise CommandError(7)
        for sid in sids:
            sub = self.subscriptions.pop(sid)
            with self._ready:
                self._outbox = deque(o for o in self._outbox if o.sid != sid)
            reply: dict[str, Any] = {"id": command_id, "sid": sid}
            if sub.seq:
                reply["seq"] = sub.seq
            reply["type"] = "unsubscribed"
            if command_id is None:
                del reply["id"]
            self._reply(reply)

    def _list(self, command_id: int | None, params: dict[str, Any]) -> None:
        subs = [{"channel": s.channel, "sid": s.sid} for s in self.subscriptions.values()]
        self._reply(_with_id(command_id, {"type": "ok", "msg": subs}))

    def _update(self, command_id: int | None, params: dict[str, Any]) -> None:
        has_sid, has_sids = "sid" in params, "sids" in params
        if has_sid == has_sids:
            raise CommandError(12)
        if has_sids:
            sids = params["sids"]
            if not isinstance(sids, list) or len(sids) != 1:
                raise CommandError(12)
            sid = sids[0]
        else:
            sid = params["sid"]
        if not _is_int(sid):
            raise CommandError(11)
        action = params.get("action")
        if not action:
            raise CommandError(15)
        sub = self.subscriptions.get(sid)
        if sub is None:
            raise CommandError(7)
        if sub.channel in ("cfbenchmarks_value", "pyth_value"):
            self._update_feed(command_id, sub, action, params)
            return
        if action not in ("add_markets", "delete_markets", "get_snapshot"):
            raise CommandError(13)
        if sub.channel not in _MARKET_CHANNELS:
            raise CommandError(13)
        if action == "get_snapshot" and sub.channel != "orderbook_delta":
            raise CommandError(13)
        tickers = self._markets(params, sub.channel)
        if tickers is None:
            raise CommandError(14)
        if action == "add_markets":
            added = [t for t in tickers if sub.tickers is not None and t not in sub.tickers]
            if sub.tickers is not None:
                if len(sub.tickers) + len(added) > MAX_MARKETS:
                    raise CommandError(26)
                sub.set_tickers([*sub.tickers, *added])
            self._ok(command_id, sub)
            if sub.channel == "orderbook_delta":
                for ticker in added:
                    self._snapshot(sub, ticker)
            elif sub.channel == "ticker" and params.get("send_initial_snapshot"):
                for ticker in added:
                    self._ticker(sub, ticker)
        elif action == "delete_markets":
            if sub.tickers is not None:
                sub.set_tickers([t for t in sub.tickers if t not in tickers])
            self._ok(command_id, sub)
        else:
            for ticker in tickers:
                if not sub.covers(ticker):
                    raise CommandError(11, ticker)
            self._ok(command_id, sub)
            for ticker in tickers:
                self._snapshot(sub, ticker)

    def _update_feed(
        self, command_id: int | None, sub: Subscription, action: str, params: dict[str, Any]
    ) -> None:
        """cfbenchmarks_value and pyth_value: the fake has no price feeds, so the lists are
        empty and nothing is ever published, but the commands answer as the spec says."""
        index = sub.channel == "cfbenchmarks_value"
        listing, add, remove, key, missing = (
            ("indexlist", "subscribe_indices", "unsubscribe_indices", "index_ids", 24)
            if index
            else (
                "underlying_list",
                "subscribe_underlyings",
                "unsubscribe_underlyings",
                "underlying_tickers",
                28,
            )
        )
        if action == listing:
            sub.seq += 1
            kind = "cfbenchmarks_value_indexlist" if index else "pyth_value_underlying_list"
            self._reply(
                _with_id(
                    command_id, {"type": kind, "sid": sub.sid, "seq": sub.seq, "msg": {key: []}}
                )
            )
            return
        if action not in (add, remove):
            raise CommandError(13)
        names = params.get(key)
        if not names:
            raise CommandError(missing)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise CommandError(11)
        if action == add:
            sub.extra.extend(n for n in names if n not in sub.extra)
        else:
            sub.extra[:] = [n for n in sub.extra if n not in names]
        self._ok(command_id, sub, include_markets=False)

    def _ok(
        self, command_id: int | None, sub: Subscription, *, include_markets: bool = True
    ) -> None:
        reply: dict[str, Any] = {"id": command_id, "sid": sub.sid}
        if sub.seq:
            reply["seq"] = sub.seq
        reply["type"] = "ok"
        if include_markets and not sub.skip_ticker_ack and sub.tickers is not None:
            reply["msg"] = {"market_tickers": list(sub.tickers)}
        if command_id is None:
            del reply["id"]
        self._reply(reply)

    # -- publishing -----------------------------------------------------------------------------
    def _snapshot(self, sub: Subscription, ticker: str) -> None:
        engine = self.exchange.engine
        msg = snapshot_msg(
            engine.markets[ticker], engine.books[ticker], use_yes_price=sub.use_yes_price
        )
        self._publish(sub, "orderbook_snapshot", msg, ticker)

    def _ticker(self, sub: Subscription, ticker: str) -> None:
        engine = self.exchange.engine
        fields = ticker_fields(
            engine.markets[ticker], engine.books[ticker], engine.open_interest(ticker)
        )
        self._tickers_sent[ticker] = fields
        self._publish(sub, "ticker", ticker_msg(fields, self.exchange._clock()), ticker)

    def _subs(self, channel: str, ticker: str | None = None) -> Iterable[Subscription]:
        for sub in list(self.subscriptions.values()):
            if sub.channel == channel and (ticker is None or sub.covers(ticker)):
                yield sub

    def __call__(self, event: EngineEvent) -> None:
        """The engine listener: publish ``event`` on every subscription that covers it."""
        if self.closed:
            return
        engine = self.exchange.engine
        mine = self.user_id
        if isinstance(event, BookChanged):
            market = engine.markets[event.ticker]
            for sub in self._subs("orderbook_delta", event.ticker):
                msg = delta_msg(market, event, use_yes_price=sub.use_yes_price, user_id=mine)
                self._publish(sub, "orderbook_delta", msg, event.ticker)
            self._dirty.add(event.ticker)
        elif isinstance(event, TradeMade):
            trade = event.trade
            for sub in self._subs("trade", trade.ticker):
                self._publish(sub, "trade", trade_msg(trade), trade.ticker)
            self._dirty.add(trade.ticker)
        elif isinstance(event, FillMade):
            fill = event.fill
            if fill.user_id == mine:
                order = engine.orders[fill.order_id]
                for sub in self._subs("fill", fill.ticker):
                    self._publish(sub, "fill", fill_msg(fill, order, event.post_position))
            self._dirty.add(fill.ticker)
        elif isinstance(event, OrderChanged):
            if event.order.user_id == mine:
                for sub in self._subs("user_orders", event.order.ticker):
                    self._publish(sub, "user_order", user_order_msg(event.order))
        elif isinstance(event, PositionChanged):
            if event.position.user_id == mine:
                for sub in self._subs("market_positions", event.position.ticker):
                    self._publish(sub, "market_position", position_msg(event.position))
            self._dirty.add(event.position.ticker)
        elif isinstance(event, GroupChanged):
            if event.group.user_id == mine:
                msg = group_msg(event.group, event.event_type, event.ts)
                for sub in self._subs("order_group_updates"):
                    self._publish(sub, "order_group_updates", msg)
        elif isinstance(event, MarketChanged):
            for sub in self._subs("market_lifecycle_v2"):
                if event.event_type == "created" and event.new_event:
                    event_record = engine.events[event.market.event_ticker]
                    self._publish(sub, "event_lifecycle", event_lifecycle_msg(event_record))
                msg = lifecycle_msg(event.market, event.event_type, event.ts)
                self._publish(sub, "market_lifecycle_v2", msg)
            self._dirty.add(event.market.ticker)
        elif isinstance(event, Flushed):
            self._flush_tickers(event.ts)

    def _flush_tickers(self, ts: float) -> None:
        """Publish a ticker for every market whose ticker fields changed."""
        if not self._dirty:
            return
        engine = self.exchange.engine
        dirty, self._dirty = self._dirty, set()
        for ticker in sorted(dirty):
            subs = list(self._subs("ticker", ticker))
            if not subs:
                self._tickers_sent.pop(ticker, None)
                continue
            fields = ticker_fields(
                engine.markets[ticker], engine.books[ticker], engine.open_interest(ticker)
            )
            if self._tickers_sent.get(ticker) == fields:
                continue
            self._tickers_sent[ticker] = fields
            for sub in subs:
                self._publish(sub, "ticker", ticker_msg(fields, ts), ticker)


def _with_id(command_id: int | None, data: dict[str, Any]) -> dict[str, Any]:
    return data if command_id is None else {"id": command_id, **data}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_shards(params: dict[str, Any]) -> None:
    factor = params.get("shard_factor")
    key = params.get("shard_key")
    if factor is not None:
        if not _is_int(factor):
            raise CommandError(11)
        if factor <= 0:
            raise CommandError(19)
        if factor > 100:
            raise CommandError(22)
    if key is not None:
        if factor is None:
            raise CommandError(20)
        if not _is_int(key) or not 0 <= key < factor:
            raise CommandError(21)
