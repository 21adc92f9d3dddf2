"""Hostile answers for the loopback server: what a broken or malicious server (or proxy) sends.

``LoopbackServer`` hands a ``Fault`` of one of these kinds to ``apply``, which writes the
answer straight to the socket (bypassing h11 where the answer is not valid HTTP the way h11
would write it) and says whether the connection can be kept. The faults are built with
``Fault.endless_body``, ``huge_content_length``, ``gzip_bomb``, ``trickle``, ``lying_date``,
``deep_nesting`` and ``redirect`` (see ``kalshi_testing._faults``).
"""

from __future__ import annotations

import functools
import socket
import threading
import zlib
from collections.abc import Callable

import h11

from kalshi_core import Response
from kalshi_testing._faults import Fault

__all__ = ["KINDS", "apply"]

KINDS = frozenset(
    {
        "endless_body",
        "huge_content_length",
        "gzip_bomb",
        "trickle",
        "trickle_body",
        "lying_date",
        "deep_nesting",
        "redirect",
    }
)

_CHUNK = b'{"padding": "' + b"x" * 65000 + b'"}\n'


@functools.lru_cache(maxsize=4)
def gzip_bomb_body(inflated: int) -> bytes:
    """A gzip stream that inflates to ``inflated`` bytes of zeros (made once per size)."""
    block = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = []
    left = inflated
    while left > 0:
        piece = block if left >= len(block) else block[:left]
        parts.append(packer.compress(piece))
        left -= len(piece)
    parts.append(packer.flush())
    return b"".join(parts)


def _head(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} X".encode()]
    lines += [f"{k}: {v}".encode("latin-1") for k, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _render(conn_h11: h11.Connection, answer: Response, date: str | None) -> bytes:
    """``answer`` as HTTP/1.1 bytes, its Date replaced by ``date`` when given."""
    headers = [(k, v) for k, v in answer.headers if k.lower() not in ("content-length", "date")]
    if date is not None:
        headers.append(("date", date))
    headers.append(("content-length", str(len(answer.body))))
    data = conn_h11.send(h11.Response(status_code=answer.status, headers=headers)) or b""
    if answer.body:
        data += conn_h11.send(h11.Data(data=answer.body)) or b""
    data += conn_h11.send(h11.EndOfMessage()) or b""
    return data


def apply(
    fault: Fault,
    answer: Response | None,
    conn: socket.socket,
    conn_h11: h11.Connection,
    stopping: threading.Event,
    send: Callable[[socket.socket, h11.Connection, Response], None],
) -> bool:
    """Write the hostile answer for ``fault`` (``answer`` is the exchange's real one for the
    kinds that process the request); whether the connection stays usable."""
    kind = fault.kind
    if kind == "endless_body":
        conn.sendall(_head(200, [("content-type", "application/json")]))
        sent = 0
        while not stopping.is_set() and (not fault.size or sent < fault.size):
            conn.sendall(_CHUNK)
            sent += len(_CHUNK)
        return False
    if kind == "huge_content_length":
        conn.sendall(
            _head(
                200,
                [("content-type", "application/json"), ("content-length", str(fault.size))],
            )
        )
        # A kilobyte every 50 ms for at most a minute: a client that waits for the announced
        # terabyte fails its test instead of hanging it.
        for _ in range(1200):
            if stopping.wait(0.05):
                break
            conn.sendall(b" " * 1024)
        return False
    if kind == "gzip_bomb":
        body = fault.body or gzip_bomb_body(fault.size)
        conn.sendall(
            _head(
                200,
                [
                    ("content-type", "application/json"),
                    ("content-encoding", "gzip"),
                    ("content-length", str(len(body))),
                ],
            )
        )
        conn.sendall(body)
        return False
    if kind in ("trickle", "trickle_body"):
        assert answer is not None
        data = _render(conn_h11, answer, None)
        if kind == "trickle_body":
            split = data.index(b"\r\n\r\n") + 4
            conn.sendall(data[:split])
            data = data[split:]
        for i in range(len(data)):
            if stopping.wait(fault.seconds):
                return False
            conn.sendall(data[i : i + 1])
        return False
    if kind == "lying_date":
        date = fault.text or ""
        if answer is None:
            body = (
                b'{"error": {"code": "header_timestamp_expired", '
                b'"message": "request timestamp is outside the allowed window"}}'
            )
            answer = Response(
                fault.http_status or 401, (("content-type", "application/json"),), body
            )
        conn.sendall(_render(conn_h11, answer, date))
        return True
    if kind == "deep_nesting":
        send(
            conn,
            conn_h11,
            Response(fault.http_status, (("content-type", "application/json"),), fault.body or b""),
        )
        return True
    if kind == "redirect":
        send(
            conn,
            conn_h11,
            Response(fault.http_status, (("location", fault.text or "/"),), b""),
        )
        return True
    raise ValueError(f"unknown hostile fault {kind!r}")
