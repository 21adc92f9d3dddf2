"""Fault plans for the loopback server: what goes wrong with which request.

``LoopbackServer(exchange, faults=FaultPlan(...))`` consults the plan for every request it
reads; the first queued ``Fault`` whose ``method``/``path`` match is used up and applied
instead of (or after) the normal answer. Requests no fault matches are served normally.

=======================  =========================================================  ==========
fault                    what the client sees                                      processed?
=======================  =========================================================  ==========
``reset_before()``       the connection is reset before any answer                  no
``reset_after()``        the exchange runs the request, then the connection resets  yes
``stall(s)``             no answer for ``s`` seconds, then the connection closes    yes
``status(503, ...)``     an error status in Kalshi's shape, optional Retry-After    no
``html(502)``            an HTML error page from a proxy                            no
``truncate()``           the answer's body is cut off mid-way, then a close         yes
``malformed_json()``     the real status with a body that is not valid JSON         yes
=======================  =========================================================  ==========

The WebSocket endpoint takes ``StreamFault`` values from the same plan. ``stop_heartbeat`` is used
up by the next connection to open; the others by the next outgoing message that matches
(``on``: the message's ``type``, e.g. ``"orderbook_delta"``; none: any channel message),
after letting ``after`` matching messages through first:

===============================  ===========================================================
stream fault                     what the client sees
===============================  ===========================================================
``StreamFault.drop()``           the connection closes (TCP FIN; ``reset=True``: RST), no
                                 close frame, instead of the message
``StreamFault.skip()``           the message is never sent: its ``seq`` is missing
``StreamFault.duplicate()``      the message twice (same ``seq``)
``StreamFault.reorder()``        the message after the next one of the same subscription
``StreamFault.terminal_error()`` instead of the message, ``error`` code 10, 17 or 25 for its
                                 sid; the subscription is over (resubscribe)
``StreamFault.stall(s)``         nothing for ``s`` seconds: no frames, no pings, and the
                                 server reads nothing; a subscription whose messages overflow
                                 the server's buffer meanwhile ends with error 25
``StreamFault.stop_heartbeat()`` no Ping frames on the next connection
===============================  ===========================================================
"""

from __future__ import annotations

import json
import threading

import attrs

from kalshi_core import Request

__all__ = ["Fault", "FaultPlan", "StreamFault"]

_STATUS_CODES = {
    408: "request_timeout",
    429: "too_many_requests",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


@attrs.frozen
class Fault:
    """One injected fault; build them with the class methods."""

    kind: str
    http_status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0
    process: bool = False
    body: bytes | None = None
    method: str | None = None
    path: str | None = None
    #: Hostile answers: a byte count (body, length, inflated size) and a header value.
    size: int = 0
    text: str | None = None

    @classmethod
    def reset_before(cls, method: str | None = None, path: str | None = None) -> Fault:
        return cls("reset_before", method=method, path=path)

    @classmethod
    def reset_after(cls, method: str | None = None, path: str | None = None) -> Fault:
        return cls("reset_after", process=True, method=method, path=path)

    @classmethod
    def stall(
        cls,
        seconds: float,
        *,
        process: bool = True,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        return cls("stall", seconds=seconds, process=process, method=method, path=path)

    @classmethod
    def status(
        cls,
        status: int,
        retry_after: str | None = None,
        body: bytes | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        if body is None:
            if status == 429:
                body = json.dumps({"error": "too many requests"}).encode()
            else:
                code = _STATUS_CODES.get(status, "error")
                body = json.dumps(
                    {"error": {"code": code, "message": code.replace("_", " ")}}
                ).encode()
        return cls(
            "status",
            http_status=status,
            retry_after=retry_after,
            body=body,
            method=method,
            path=path,
        )

    @classmethod
    def html(cls, status: int = 502, method: str | None = None, path: str | None = None) -> Fault:
        page = (
            f"<html><head><title>{status} Bad Gateway</title></head><body><center>"
            f"<h1>{status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
        ).encode()
        return cls("html", http_status=status, body=page, method=method, path=path)

    @classmethod
    def truncate(cls, method: str | None = None, path: str | None = None) -> Fault:
        return cls("truncate", process=True, method=method, path=path)

    @classmethod
    def malformed_json(cls, method: str | None = None, path: str | None = None) -> Fault:
        return cls("malformed_json", process=True, method=method, path=path)

    # -- hostile answers (applied by kalshi_testing._hostile; see the table there) -------------
    @classmethod
    def endless_body(
        cls, total: int | None = None, method: str | None = None, path: str | None = None
    ) -> Fault:
        """A 200 without a length whose body never ends (or ends after ``total`` bytes)."""
        return cls("endless_body", size=total or 0, method=method, path=path)

    @classmethod
    def huge_content_length(
        cls, length: int = 10**12, method: str | None = None, path: str | None = None
    ) -> Fault:
        """A 200 announcing ``length`` bytes, then sending them slowly (a body that never
        finishes in a test's time)."""
        return cls("huge_content_length", size=length, method=method, path=path)

    @classmethod
    def gzip_bomb(
        cls, inflated: int = 1 << 30, method: str | None = None, path: str | None = None
    ) -> Fault:
        """A 200 with ``Content-Encoding: gzip`` whose body inflates to ``inflated`` bytes of
        JSON-ish padding (1 GiB from about 1 MB on the wire by default)."""
        from kalshi_testing._hostile import gzip_bomb_body  # made here, not while answering

        body = gzip_bomb_body(inflated)
        return cls("gzip_bomb", size=inflated, body=body, method=method, path=path)

    @classmethod
    def trickle(
        cls,
        interval: float = 1.0,
        *,
        head: bool = True,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """An answer sent one byte every ``interval`` seconds (the head too, with ``head``):
        each read succeeds within any read timeout, the whole never arrives."""
        kind = "trickle" if head else "trickle_body"
        return cls(kind, seconds=interval, process=True, method=method, path=path)

    @classmethod
    def lying_date(
        cls,
        date: str = "Fri, 01 Jan 2100 00:00:00 GMT",
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """The real answer (the request is processed), with its ``Date`` header replaced by
        ``date``; with ``status`` (e.g. 401) an error answer carrying that date instead."""
        return cls(
            "lying_date",
            text=date,
            http_status=status or 0,
            process=status is None,
            method=method,
            path=path,
        )

    @classmethod
    def deep_nesting(
        cls,
        depth: int = 100_000,
        status: int = 200,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """An answer whose JSON body nests ``depth`` arrays deep (inside Kalshi's error shape
        for an error ``status``)."""
        if status >= 400:
            body = b'{"error": {"code": "x", "details": ' + b"[" * depth + b"]" * depth + b"}}"
        else:
            body = b'{"balance": ' + b"[" * depth + b"]" * depth + b"}"
        return cls("deep_nesting", http_status=status, body=body, method=method, path=path)

    @classmethod
    def redirect(
        cls, location: str, status: int = 307, method: str | None = None, path: str | None = None
    ) -> Fault:
        """A redirect to ``location`` (another origin, say), as a hostile or misconfigured
        proxy would answer."""
        return cls("redirect", http_status=status, text=location, method=method, path=path)

    def matches(self, request: Request) -> bool:
        if self.method is not None and request.method != self.method:
            return False
        return self.path is None or self.path in request.path


@attrs.frozen
class StreamFault:
    """One fault on the WebSocket endpoint; build them with the class methods (see the module
    docstring for what each does)."""

    kind: str
    on: str | None = None
    after: int = 0
    code: int = 0
    seconds: float = 0.0
    reset: bool = False

    @classmethod
    def drop(cls, *, on: str | None = None, after: int = 0, reset: bool = False) -> StreamFault:
        return cls("drop", on=on, after=after, reset=reset)

    @classmethod
    def skip(cls, *, on: str | None = None, after: int = 0) -> StreamFault:
        return cls("skip", on=on, after=after)

    @classmethod
    def duplicate(cls, *, on: str | None = None, after: int = 0) -> StreamFault:
        return cls("duplicate", on=on, after=after)

    @classmethod
    def reorder(cls, *, on: str | None = None, after: int = 0) -> StreamFault:
        return cls("reorder", on=on, after=after)

    @classmethod
    def terminal_error(
        cls, code: int = 10, *, on: str | None = None, after: int = 0
    ) -> StreamFault:
        if code not in (10, 17, 25):
            raise ValueError("terminal error codes are 10, 17 and 25")
        return cls("terminal_error", on=on, after=after, code=code)

    @classmethod
    def stall(cls, seconds: float, *, on: str | None = None, after: int = 0) -> StreamFault:
        return cls("stall", on=on, after=after, seconds=seconds)

    @classmethod
    def stop_heartbeat(cls) -> StreamFault:
        return cls("stop_heartbeat")

    def matches(self, message_type: str, sid: int | None) -> bool:
        if self.on is None:
            return sid is not None
        return self.on == message_type


class FaultPlan:
    """A thread-safe queue of faults; ``served`` logs ``(method, path, kind)`` per request
    (``kind`` is ``"ok"`` when no fault applied) and ``streamed`` logs ``(type, sid, kind)``
    per stream fault applied."""

    def __init__(self, *faults: Fault | StreamFault) -> None:
        self._queue: list[Fault | StreamFault] = list(faults)
        self._seen: dict[int, int] = {}
        self._lock = threading.Lock()
        self.served: list[tuple[str, str, str]] = []
        self.streamed: list[tuple[str, int | None, str]] = []

    def add(self, *faults: Fault | StreamFault) -> FaultPlan:
        with self._lock:
            self._queue.extend(faults)
        return self

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def take(self, request: Request) -> Fault | None:
        """The fault for ``request`` (used up), or ``None`` to serve it normally."""
        with self._lock:
            for i, fault in enumerate(self._queue):
                if isinstance(fault, Fault) and fault.matches(request):
                    del self._queue[i]
                    self.served.append((request.method, request.path, fault.kind))
                    return fault
            self.served.append((request.method, request.path, "ok"))
            return None

    def take_connection(self) -> StreamFault | None:
        """The connection-level stream fault (``stop_heartbeat``) for a new connection."""
        with self._lock:
            for i, fault in enumerate(self._queue):
                if isinstance(fault, StreamFault) and fault.kind == "stop_heartbeat":
                    del self._queue[i]
                    self.streamed.append(("", None, fault.kind))
                    return fault
            return None

    def take_stream(self, message_type: str, sid: int | None) -> StreamFault | None:
        """The stream fault for an outgoing message (used up), or ``None`` to send it."""
        with self._lock:
            for i, fault in enumerate(self._queue):
                if not isinstance(fault, StreamFault) or fault.kind == "stop_heartbeat":
                    continue
                if not fault.matches(message_type, sid):
                    continue
                seen = self._seen.get(id(fault), 0)
                if seen < fault.after:
                    self._seen[id(fault)] = seen + 1
                    continue
                del self._queue[i]
                self._seen.pop(id(fault), None)
                self.streamed.append((message_type, sid, fault.kind))
                return fault
            return None
