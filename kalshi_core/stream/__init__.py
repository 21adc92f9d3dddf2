"""Kalshi's WebSocket API, sans-IO: the second protocol beside REST.

* ``handshake``: the WebSocket URL of each environment and the signed upgrade request;
* ``connection``: the WebSocket state machine on wsproto (bytes in, events and bytes out);
* ``session``: commands and their replies, subscriptions, ``seq`` checks and recovery;
* ``book``: the managed order book that refuses to be read while out of sync;
* ``messages`` and ``models``: typed messages generated from the AsyncAPI file;
* ``errors``: typed errors, one class per error-code family;
* ``reconnect``: exponential backoff with full jitter.

None of it touches a socket, a clock or an event loop: ``kalshi_async.stream`` and
``kalshi_sync.stream`` drive it, and so can any loop of your own.
"""

from kalshi_core.stream import errors, models
from kalshi_core.stream.book import Depth, Level, OrderBook
from kalshi_core.stream.connection import (
    Closed,
    Connection,
    Liveness,
    Opened,
    PingReceived,
    PongReceived,
    TextFrame,
)
from kalshi_core.stream.handshake import HandshakeRequest, handshake_request, websocket_url
from kalshi_core.stream.messages import UnknownMessage, encode_command, parse_message
from kalshi_core.stream.reconnect import Backoff
from kalshi_core.stream.session import (
    CHANNEL_NAMES,
    Command,
    CommandDone,
    Data,
    Dropped,
    Gap,
    Resubscribe,
    Resync,
    ServerError,
    Session,
    Subscription,
    SubscriptionEnded,
)

__all__ = [
    "CHANNEL_NAMES",
    "Backoff",
    "Closed",
    "Command",
    "CommandDone",
    "Connection",
    "Data",
    "Depth",
    "Dropped",
    "Gap",
    "HandshakeRequest",
    "Level",
    "Liveness",
    "Opened",
    "OrderBook",
    "PingReceived",
    "PongReceived",
    "Resubscribe",
    "Resync",
    "ServerError",
    "Session",
    "Subscription",
    "SubscriptionEnded",
    "TextFrame",
    "UnknownMessage",
    "encode_command",
    "errors",
    "handshake_request",
    "models",
    "parse_message",
    "websocket_url",
]
