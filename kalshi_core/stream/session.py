"""The streaming session: commands out, replies matched, subscriptions and books kept.

``Session`` is sans-IO and survives reconnects. The driver:

1. after the upgrade, calls ``connection_made()`` (which queues a ``subscribe`` for every live
   subscription: a reconnect resubscribes everything);
2. sends every text ``commands_to_send()`` returns, after every call into the session;
3. feeds every text frame to ``receive(text)`` and acts on the events it returns;
4. calls ``connection_lost()`` when the connection ends.

Users act through ``subscribe``, ``unsubscribe``, ``update_subscription`` and
``list_subscriptions``; each returns a ``Command`` that completes (``done``, ``error``,
``result``) when its reply arrives (``CommandDone`` event).

What the session decides on its own (all of it visible as events):

* ``seq`` is checked per subscription. A repeated or older ``seq`` is dropped (``Dropped``). A
  gap (``Gap``) invalidates the subscription's order books and queues ``get_snapshot`` for its
  markets (``Resync``); deltas that arrive before the fresh snapshot are not applied.
* A terminal error (codes 10, 17, 25) ends the subscription: its books are invalidated and a
  new ``subscribe`` with the same parameters is queued (``Resubscribe``), at most
  ``max_resubscribes`` times in a row without a message in between.
* A failed ``get_snapshot`` falls back to resubscribing.
* ``connection_lost()`` invalidates every book (``"disconnected"``); ``connection_made()``
  resubscribes, and the initial snapshots resync the books.

Managed books (``manage_books=True`` on an ``orderbook_delta`` subscription) are kept by the
session as frames arrive, so a slow reader never makes a book stale: it only misses
notifications.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from kalshi_core.stream._generated import messages as m
from kalshi_core.stream.book import OrderBook
from kalshi_core.stream.errors import (
    StreamClosedError,
    StreamError,
    SubscriptionError,
    error_class_for,
)
from kalshi_core.stream.messages import encode_command, parse_message

__all__ = [
    "CHANNEL_NAMES",
    "Command",
    "CommandDone",
    "Data",
    "Dropped",
    "Gap",
    "Resubscribe",
    "Resync",
    "ServerError",
    "Session",
    "Subscription",
    "SubscriptionEnded",
]

CHANNEL_NAMES = tuple(m.CHANNELS)

_SNAPSHOT = m.OrderbookSnapshot
_DELTA = m.OrderbookDelta


@attrs.define(eq=False, repr=False)
class Subscription:
    """One channel subscription, stable across reconnects (its ``sid`` changes).

    ``state`` is ``"pending"`` (sent, or waiting to be resent), ``"active"``, ``"failed"``
    (refused: ``error``) or ``"closed"`` (unsubscribed). ``market_tickers`` is what it covers
    (``None``: every market the channel sends). ``books`` holds its managed order books by
    ticker. ``dropped`` counts messages a driver discarded for a slow reader.
    """

    key: int
    channel: str
    params: dict[str, Any]
    manage_books: bool = False
    sid: int | None = None
    state: str = "pending"
    error: StreamError | None = None
    last_seq: int | None = None
    books: dict[str, OrderBook] = attrs.Factory(dict)
    dropped: int = 0
    resubscribes: int = 0
    resyncing: bool = False

    @property
    def market_tickers(self) -> list[str] | None:
        tickers = self.params.get("market_tickers")
        return list(tickers) if tickers is not None else None

    @property
    def use_yes_price(self) -> bool:
        return bool(self.params.get("use_yes_price", False))

    def book(self, market_ticker: str) -> OrderBook:
        """The managed book of ``market_ticker`` (created, awaiting its snapshot, if new)."""
        book = self.books.get(market_ticker)
        if book is None:
            book = self.books[market_ticker] = OrderBook(
                market_ticker, use_yes_price=self.use_yes_price
            )
        return book

    def __repr__(self) -> str:
        return f"Subscription({self.channel!r}, sid={self.sid}, {self.state})"


@attrs.define(eq=False, repr=False)
class Command:
    """A command sent to the server, done when its reply arrives.

    ``result`` is the reply's payload (the ``subscribed`` sids, the ``ok`` message, the list of
    subscriptions); ``error`` the ``SubscriptionError`` (or ``StreamClosedError``) it failed
    with. ``internal`` commands are the session's own (recovery).
    """

    id: int
    cmd: str
    params: dict[str, Any] | None
    subscriptions: list[Subscription]
    text: str
    internal: bool = False
    waiting: set[Any] = attrs.Factory(set)
    done: bool = False
    result: Any = None
    error: StreamError | None = None

    def __repr__(self) -> str:
        state = "done" if self.done else "pending"
        return f"Command({self.id}, {self.cmd!r}, {state})"


# -- events ---------------------------------------------------------------------------------
@attrs.frozen
class Data:
    """A data message of a subscription; ``book`` is the managed book it updated, if any."""

    subscription: Subscription
    message: Any
    book: OrderBook | None = None


@attrs.frozen
class CommandDone:
    """A command completed (check ``command.error``)."""

    command: Command


@attrs.frozen
class Dropped:
    """A message was not delivered: ``reason`` ``"duplicate"`` (a ``seq`` seen before),
    ``"stale"`` (a delta older than its book's snapshot, or for a book out of sync) or
    ``"unknown_sid"``."""

    subscription: Subscription | None
    message: Any
    reason: str


@attrs.frozen
class Gap:
    """Messages were lost on a subscription: ``expected`` was due, ``got`` came."""

    subscription: Subscription
    expected: int
    got: int


@attrs.frozen
class Resync:
    """The session asked for fresh snapshots of ``market_tickers`` (``get_snapshot``)."""

    subscription: Subscription
    market_tickers: tuple[str, ...]
    reason: str


@attrs.frozen
class Resubscribe:
    """The session queued a new ``subscribe`` for an ended subscription."""

    subscription: Subscription
    reason: str


@attrs.frozen
class SubscriptionEnded:
    """A subscription ended: by a terminal error (``error``), by the server, or for good
    (``final``: no resubscription will follow)."""

    subscription: Subscription
    error: StreamError | None
    final: bool


@attrs.frozen
class ServerError:
    """An error frame that answered no command we know of."""

    error: SubscriptionError


Event = Data | CommandDone | Dropped | Gap | Resync | Resubscribe | SubscriptionEnded | ServerError


class Session:
    """The protocol state of a stream (see the module docstring)."""

    def __init__(self, *, auto_recover: bool = True, max_resubscribes: int = 5) -> None:
        self.auto_recover = auto_recover
        self.max_resubscribes = max_resubscribes
        self.connected = False
        self.subscriptions: list[Subscription] = []
        self._ids = itertools.count(1)
        self._keys = itertools.count(1)
        self._pending: dict[int, Command] = {}
        self._by_sid: dict[int, Subscription] = {}
        self._outbox: list[Command] = []

    # -- commands ---------------------------------------------------------------------------
    def _command(
        self,
        cmd: str,
        params: dict[str, Any] | None,
        subs: list[Subscription],
        *,
        internal: bool = False,
        waiting: Iterable[Any] = (),
    ) -> Command:
        cid = next(self._ids)
        command = Command(
            cid,
            cmd,
            params,
            subs,
            encode_command(cid, cmd, params),
            internal=internal,
            waiting=set(waiting),
        )
        self._pending[cid] = command
        self._outbox.append(command)
        return command

    def commands_to_send(self) -> list[str]:
        """The texts of the commands queued since the last call (empty while disconnected:
        they wait for ``connection_made``)."""
        if not self.connected or not self._outbox:
            return []
        out = [c.text for c in self._outbox]
        self._outbox.clear()
        return out

    def subscribe(
        self,
        channel: str,
        *,
        market_tickers: Sequence[str] | None = None,
        manage_books: bool = False,
        **params: Any,
    ) -> tuple[Subscription, Command]:
        """Subscribe to one channel; ``params`` are the AsyncAPI subscribe params
        (``send_initial_snapshot``, ``use_yes_price``, ``market_ids``, ``index_ids``,
        ``underlying_tickers``, ``shard_factor``...; ``None`` values are left out).
        ``manage_books`` keeps an ``OrderBook`` per market (``orderbook_delta`` only)."""
        if channel not in m.CHANNELS:
            raise ValueError(f"unknown channel {channel!r} (known: {', '.join(m.CHANNELS)})")
        if manage_books and channel != "orderbook_delta":
            raise ValueError("manage_books applies to the orderbook_delta channel only")
        clean = {k: v for k, v in params.items() if v is not None}
        if market_tickers is not None:
            if isinstance(market_tickers, str):
                raise TypeError("market_tickers must be a sequence of tickers, not a string")
            clean["market_tickers"] = list(market_tickers)
        sub = Subscription(next(self._keys), channel, clean, manage_books=manage_books)
        self.subscriptions.append(sub)
        return sub, self._send_subscribe(sub, internal=False)

    def _send_subscribe(self, sub: Subscription, *, internal: bool) -> Command:
        sub.state = "pending"
        sub.sid = None
        sub.last_seq = None
        params = {"channels": [sub.channel], **sub.params}
        return self._command("subscribe", params, [sub], internal=internal, waiting=[sub.channel])

    def unsubscribe(self, subs: Sequence[Subscription]) -> Command:
        """Unsubscribe; a subscription without a sid yet is closed at once."""
        live = [s for s in subs if s.state != "closed"]
        with_sid = [s for s in live if s.sid is not None]
        for sub in live:
            if sub.sid is None:
                self._close(sub, "unsubscribed")
        if not with_sid:
            command = Command(0, "unsubscribe", None, list(subs), "", done=True)
            return command
        sids = [s.sid for s in with_sid]
        return self._command("unsubscribe", {"sids": sids}, with_sid, waiting=sids)

    def update_subscription(
        self,
        sub: Subscription,
        action: str,
        *,
        market_tickers: Sequence[str] | None = None,
        **params: Any,
    ) -> Command:
        """``update_subscription`` on one subscription: ``action`` ``"add_markets"``,
        ``"delete_markets"``, ``"get_snapshot"`` (or a channel's own: ``"subscribe_indices"``,
        ``"underlying_list"``...)."""
        if sub.sid is None:
            raise StreamError(f"{sub!r} has no sid yet: wait until it is active")
        if action == "get_snapshot" and market_tickers is None:
            market_tickers = sub.market_tickers or list(sub.books)
        body: dict[str, Any] = {"sids": [sub.sid], "action": action}
        if market_tickers is not None:
            if isinstance(market_tickers, str):
                raise TypeError("market_tickers must be a sequence of tickers, not a string")
            body["market_tickers"] = list(market_tickers)
        body.update({k: v for k, v in params.items() if v is not None})
        if action == "get_snapshot" and sub.manage_books:
            for ticker in market_tickers or sub.books:
                sub.book(ticker)
        return self._command("update_subscription", body, [sub])

    def list_subscriptions(self) -> Command:
        """Ask the server for its list of this connection's subscriptions."""
        return self._command("list_subscriptions", None, [])

    # -- connection -------------------------------------------------------------------------
    def connection_made(self) -> None:
        """A fresh connection is open: every live subscription is (re)subscribed (a user's
        subscribe still unanswered is sent again as it was, so its ``Command`` completes)."""
        self.connected = True
        others = [c for c in self._outbox if c.cmd != "subscribe"]
        self._outbox = []
        covered: set[int] = set()
        for command in list(self._pending.values()):
            if command.cmd == "subscribe" and not command.internal and not command.done:
                command.waiting = {s.channel for s in command.subscriptions}
                self._outbox.append(command)
                covered.update(id(s) for s in command.subscriptions)
        for sub in self.subscriptions:
            if sub.state in ("pending", "active") and id(sub) not in covered:
                self._send_subscribe(sub, internal=True)
        self._outbox.extend(others)

    def connection_lost(self) -> list[Event]:
        """The connection ended: books go out of sync (``"disconnected"``), commands in flight
        fail with ``StreamClosedError`` (a user's subscribe waits for the next connection;
        an unsubscribe counts as done: the server forgets the subscription anyway)."""
        self.connected = False
        events: list[Event] = []
        for sub in self.subscriptions:
            if sub.state == "active":
                sub.state = "pending"
            sub.sid = None
            sub.last_seq = None
            for book in sub.books.values():
                book.invalidate("disconnected")
        self._by_sid.clear()
        self._outbox = [c for c in self._outbox if c.cmd == "subscribe" and not c.internal]
        for command in list(self._pending.values()):
            if command.cmd == "subscribe" and not command.internal:
                continue
            if command.internal:
                self._pending.pop(command.id, None)
                continue
            if command.cmd == "unsubscribe":
                for sub in command.subscriptions:
                    self._close(sub, "unsubscribed")
            else:
                command.error = StreamClosedError("the connection closed before the reply")
            events.append(self._finish(command))
        return events

    def close(self) -> None:
        """The stream is being closed for good: every subscription ends."""
        for sub in self.subscriptions:
            self._close(sub, "unsubscribed")
        self.connected = False

    def _close(self, sub: Subscription, reason: str) -> None:
        sub.state = "closed"
        if sub.sid is not None:
            self._by_sid.pop(sub.sid, None)
        sub.sid = None
        for book in sub.books.values():
            book.invalidate(reason)

    def _finish(self, command: Command) -> CommandDone:
        command.done = True
        self._pending.pop(command.id, None)
        return CommandDone(command)

    # -- frames -----------------------------------------------------------------------------
    def receive(self, text: str | bytes) -> list[Event]:
        """Handle one text frame; ``StreamDecodeError`` if it is malformed (the session's
        state is unchanged then)."""
        return self.receive_message(parse_message(text))

    def receive_message(self, msg: Any) -> list[Event]:
        """Handle one parsed message (``parse_message``)."""
        cls = msg.__class__
        if cls is _DELTA or cls is _SNAPSHOT:
            return self._book_message(msg)
        kind = msg.type
        if kind == "subscribed":
            return self._subscribed(msg)
        if kind == "ok":
            return self._ok(msg)
        if kind == "unsubscribed":
            return self._unsubscribed(msg)
        if kind == "error":
            return self._error(msg)
        return self._data(msg)

    def _sequence(self, sub: Subscription, msg: Any, events: list[Event]) -> bool:
        """Check ``seq``; False when the message must be dropped."""
        seq = getattr(msg, "seq", None)
        if seq is None:
            return True
        last = sub.last_seq
        if last is None or seq == last + 1:
            sub.last_seq = seq
            return True
        if seq <= last:
            events.append(Dropped(sub, msg, "duplicate"))
            return False
        sub.last_seq = seq
        events.append(Gap(sub, last + 1, seq))
        if sub.manage_books or sub.channel == "orderbook_delta":
            self._resync(sub, "gap", events)
        return True

    def _resync(self, sub: Subscription, reason: str, events: list[Event]) -> None:
        tickers = tuple(sub.market_tickers or sub.books)
        for book in sub.books.values():
            book.invalidate(reason)
        if not self.auto_recover or sub.sid is None or not tickers:
            return
        self._command(
            "update_subscription",
            {"sids": [sub.sid], "market_tickers": list(tickers), "action": "get_snapshot"},
            [sub],
            internal=True,
        )
        events.append(Resync(sub, tickers, reason))

    def _book_message(self, msg: Any) -> list[Event]:
        sub = self._by_sid.get(msg.sid)
        if sub is None:
            return [Dropped(None, msg, "unknown_sid")]
        events: list[Event] = []
        if not self._sequence(sub, msg, events):
            return events
        sub.resubscribes = 0
        if msg.__class__ is _SNAPSHOT:
            sub.resyncing = False
        book = None
        if sub.manage_books:
            body = msg.msg
            if body is None or not body.market_ticker:
                events.append(Dropped(sub, msg, "stale"))
                return events
            book = sub.book(body.market_ticker)
            if msg.__class__ is _SNAPSHOT:
                book.apply_snapshot(body, msg.seq)
            elif not book.apply_delta(body, msg.seq):
                if book.reason == "inconsistent":
                    self._resync(sub, "inconsistent", events)
                events.append(Dropped(sub, msg, "stale"))
                return events
        events.append(Data(sub, msg, book))
        return events

    def _data(self, msg: Any) -> list[Event]:
        sid = getattr(msg, "sid", None)
        sub = self._by_sid.get(sid) if sid is not None else None
        if sub is None:
            return [Dropped(None, msg, "unknown_sid")]
        events: list[Event] = []
        if self._sequence(sub, msg, events):
            sub.resubscribes = 0
            events.append(Data(sub, msg))
        cid = getattr(msg, "id", None)
        if cid and cid in self._pending:  # indexlist / underlying_list replies
            command = self._pending[cid]
            command.result = msg
            events.append(self._finish(command))
        return events

    def _subscribed(self, msg: Any) -> list[Event]:
        body = msg.msg
        command = self._pending.get(msg.id) if msg.id else None
        if command is None or body is None or body.sid is None:
            return []
        for sub in command.subscriptions:
            if sub.channel == body.channel and sub.sid is None:
                if sub.state == "closed":
                    # Unsubscribed while the subscribe was in flight: undo it on the server.
                    self._command("unsubscribe", {"sids": [body.sid]}, [], internal=True)
                    break
                sub.sid = body.sid
                sub.state = "active"
                sub.last_seq = None
                sub.error = None
                self._by_sid[body.sid] = sub
                break
        command.waiting.discard(body.channel)
        command.result = [s.sid for s in command.subscriptions]
        if command.waiting:
            return []
        return [self._finish(command)]

    def _ok(self, msg: Any) -> list[Event]:
        events: list[Event] = []
        sub = self._by_sid.get(msg.sid) if getattr(msg, "sid", None) is not None else None
        seq = getattr(msg, "seq", None)
        # The file gives a reply's ``seq`` without saying whether it advances the count: the
        # next number is taken as one more message, the current one as the count so far; only
        # a jump is a gap. A reply is never dropped.
        if sub is not None and seq is not None and sub.last_seq is not None and seq > sub.last_seq:
            self._sequence(sub, msg, events)
        command = self._pending.get(msg.id) if msg.id else None
        if command is None:
            return events
        command.result = msg.msg
        if command.cmd == "update_subscription" and command.params:
            self._apply_update(command, msg.msg)
        events.append(self._finish(command))
        return events

    def _apply_update(self, command: Command, body: Any) -> None:
        params = command.params or {}
        action = params.get("action")
        for sub in command.subscriptions:
            if action == "add_markets" or action == "delete_markets":
                listed = getattr(body, "market_tickers", None)
                if listed is not None:
                    sub.params["market_tickers"] = list(listed)
                    continue
                current = sub.market_tickers or []
                change = list(params.get("market_tickers") or ())
                if action == "add_markets":
                    sub.params["market_tickers"] = current + [t for t in change if t not in current]
                else:
                    sub.params["market_tickers"] = [t for t in current if t not in change]
            if action == "delete_markets":
                for ticker in params.get("market_tickers") or ():
                    book = sub.books.pop(ticker, None)
                    if book is not None:
                        book.invalidate("unsubscribed")

    def _unsubscribed(self, msg: Any) -> list[Event]:
        events: list[Event] = []
        sub = self._by_sid.get(msg.sid) if msg.sid is not None else None
        command = self._pending.get(msg.id) if msg.id else None
        if sub is not None:
            self._close(sub, "unsubscribed")
            if command is None:
                events.append(SubscriptionEnded(sub, None, final=True))
        if command is not None:
            command.waiting.discard(msg.sid)
            if not command.waiting:
                events.append(self._finish(command))
        return events

    def _error(self, msg: Any) -> list[Event]:
        body = msg.msg
        code = body.code if body is not None and body.code is not None else 1
        text = body.msg if body is not None and body.msg else ""
        command = self._pending.get(msg.id) if msg.id else None
        sid = _error_sid(msg)
        error = error_class_for(code)(
            code,
            text,
            market_ticker=body.market_ticker if body is not None else None,
            market_id=body.market_id if body is not None else None,
            command=command.text if command is not None else None,
            sid=sid,
        )
        events: list[Event] = []
        if error.terminal:
            targets = self._terminal_targets(command, sid, error.market_ticker)
            if command is not None and command.cmd == "subscribe":
                # The subscribe itself was refused: it failed, it did not end.
                targets = [s for s in targets if s not in command.subscriptions]
                events.extend(self._fail(command, error))
            elif command is not None:
                command.error = error
                events.append(self._finish(command))
            for sub in targets:
                events.extend(self._ended(sub, error))
            if not targets and command is None:
                events.append(ServerError(error))
            return events
        if command is None:
            return [ServerError(error)]
        if command.internal and command.cmd == "update_subscription":
            # A recovery snapshot was refused: start the subscription over instead.
            self._pending.pop(command.id, None)
            for sub in command.subscriptions:
                events.extend(self._ended(sub, error))
            return events
        return self._fail(command, error)

    def _fail(self, command: Command, error: SubscriptionError) -> list[Event]:
        command.error = error
        if command.cmd == "subscribe":
            for sub in command.subscriptions:
                if sub.sid is None and sub.state != "closed":
                    sub.state = "failed"
                    sub.error = error
                    for book in sub.books.values():
                        book.invalidate("failed")
        return [self._finish(command)]

    def _terminal_targets(
        self, command: Command | None, sid: int | None, ticker: str | None
    ) -> list[Subscription]:
        if sid is not None:
            sub = self._by_sid.get(sid)
            return [sub] if sub is not None else []
        if command is not None:
            return [s for s in command.subscriptions if s.state == "active"]
        active = [s for s in self.subscriptions if s.state == "active"]
        if ticker:
            covering = [s for s in active if ticker in (s.market_tickers or ())]
            if covering:
                return covering
        return active

    def _ended(self, sub: Subscription, error: StreamError) -> list[Event]:
        if sub.sid is not None:
            self._by_sid.pop(sub.sid, None)
        sub.sid = None
        sub.last_seq = None
        sub.error = error
        for book in sub.books.values():
            book.invalidate("terminal")
        if not self.auto_recover or sub.resubscribes >= self.max_resubscribes:
            sub.state = "failed"
            return [SubscriptionEnded(sub, error, final=True)]
        sub.resubscribes += 1
        self._send_subscribe(sub, internal=True)
        return [SubscriptionEnded(sub, error, final=False), Resubscribe(sub, "terminal")]

    # -- slow consumers ---------------------------------------------------------------------
    def discarded(self, sub: Subscription, count: int = 1) -> list[Event]:
        """A driver discarded ``count`` delivered messages of ``sub`` for a slow reader.

        A managed book is not affected (it was updated before delivery). An order-book
        subscription whose reader applies the deltas itself (``manage_books=False``) has lost
        data, though: fresh snapshots are requested for its markets (``Resync`` with reason
        ``"dropped"``; one request at a time until a snapshot arrives), so the reader's book
        is put right by the next snapshot it reads."""
        sub.dropped += count
        events: list[Event] = []
        if sub.channel == "orderbook_delta" and not sub.manage_books and not sub.resyncing:
            sub.resyncing = True
            self._resync(sub, "dropped", events)
        return events

    # -- introspection ----------------------------------------------------------------------
    def subscription_for_sid(self, sid: int) -> Subscription | None:
        return self._by_sid.get(sid)

    @property
    def pending_commands(self) -> Mapping[int, Command]:
        return dict(self._pending)


def _error_sid(msg: Any) -> int | None:
    """The sid an error frame names, if any (the AsyncAPI file lists none, but a terminal error
    about one subscription may carry it)."""
    raw = getattr(msg, "sid", None)
    return raw if isinstance(raw, int) else None
