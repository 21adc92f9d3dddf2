"""Embedding the sans-IO core: Kalshi over h11 and a plain socket, no httpx anywhere.

``kalshi_core`` builds each signed request as a value and parses each response from bytes;
everything in between is yours. Here it is h11 over one keep-alive socket (TLS for an
``https`` base URL). With ``KALSHI_API_KEY_ID``/``KALSHI_PRIVATE_KEY_PATH``/``KALSHI_BASE_URL``
set it talks to that exchange; otherwise it starts the fake exchange on a loopback port.

    python docs/examples/embed_h11.py
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import time
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlsplit

import h11

from kalshi_core import Credentials, Paginator, Request, Response, builders


class H11Session:
    """One HTTP/1.1 keep-alive connection driven by h11: a ``Request`` in, a ``Response`` out."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        sock = socket.create_connection((parts.hostname, port), timeout=10)
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        self.sock = sock
        self.host = parts.netloc
        self.conn = h11.Connection(h11.CLIENT)

    def send(self, request: Request) -> Response:
        headers = [
            ("Host", self.host),
            *request.headers,
            ("Content-Length", str(len(request.body))),
        ]
        out = self.conn.send(
            h11.Request(method=request.method, target=request.target, headers=headers)
        )
        if request.body:
            out += self.conn.send(h11.Data(data=request.body))
        out += self.conn.send(h11.EndOfMessage())
        self.sock.sendall(out)
        status, response_headers, body = 0, [], bytearray()
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                response_headers = [(k.decode(), v.decode()) for k, v in event.headers]
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                break
        self.conn.start_next_cycle()
        return Response(status=status, headers=tuple(response_headers), body=bytes(body))

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def exchange() -> Iterator[tuple[str, Credentials]]:
    """The base URL and credentials to use: from the environment, or a local fake exchange."""
    credentials = Credentials.from_env()
    if credentials is not None and os.environ.get("KALSHI_BASE_URL"):
        yield os.environ["KALSHI_BASE_URL"], credentials
        return
    from kalshi_testing import FakeExchange, LoopbackServer

    fake = FakeExchange()
    fake.add_market("HIGHNY-24JAN01-T60")
    key = fake.add_user(balance=Decimal("250"))
    assert key.private_key_pem is not None
    with LoopbackServer(fake) as server:
        credentials = Credentials(key.key_id, key.private_key_pem)
        session = H11Session(server.url)
        try:
            for price in ("0.10", "0.11", "0.12"):
                call = builders.create_order_v2(
                    ticker="HIGHNY-24JAN01-T60",
                    side="bid",
                    price=price,
                    count="1",
                    time_in_force="good_till_canceled",
                    self_trade_prevention_type="taker_at_cross",
                )
                call.parse(session.send(call.to_request(server.url, credentials, time.time())))
        finally:
            session.close()
        yield server.url, credentials


def main() -> None:
    with exchange() as (base_url, credentials):
        session = H11Session(base_url)
        try:
            call = builders.get_balance()
            balance = call.parse(session.send(call.to_request(base_url, credentials, time.time())))
            print(f"balance: ${balance.balance_dollars}")

            paginator = Paginator(builders.get_orders(limit=2))
            while (page_call := paginator.next_call()) is not None:
                request = page_call.to_request(base_url, credentials, time.time())
                page = page_call.parse(session.send(request))
                paginator.feed(page)
                ids = [o.order_id for o in page.orders or []]
                print(f"page {paginator.pages}: {len(ids)} orders")
        finally:
            session.close()


if __name__ == "__main__":
    main()
