"""``kalshi_sync.H11Transport``, the sync client's default transport: the same pool rules as the
async one (``test_h11_transport.py``), on blocking sockets, against the same scripted server."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from typing import Any

import httpx
import pytest

from kalshi_sync import H11Transport

from .test_h11_transport import ANSWER, BODY, _tls_pair, serve

__all__ = ["serve"]


def client(**limits: Any) -> tuple[httpx.Client, H11Transport]:
    transport = H11Transport(limits=httpx.Limits(**limits) if limits else None)
    return httpx.Client(transport=transport, timeout=5.0), transport


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_hangup_before_the_answer_is_reported_not_resent(serve: Any, method: str) -> None:
    server = serve([["answer", "hangup"], ["answer"]])
    c, _ = client()
    with c:
        assert c.request(method, server.url, content=b"{}").status_code == 200
        with pytest.raises(httpx.RemoteProtocolError, match="before answering"):
            c.request(method, server.url, content=b"{}")
        assert c.request(method, server.url, content=b"{}").status_code == 200
    assert server.requests == [method.encode()] * 3
    assert server.connections == 2


def test_connection_closed_while_idle_is_not_reused(serve: Any) -> None:
    server = serve([["answer+close"], ["answer"]])
    c, _ = client()
    with c:
        c.get(server.url)
        time.sleep(0.2)
        assert c.post(server.url, content=b"{}").status_code == 200
    assert server.connections == 2
    assert server.requests == [b"GET", b"POST"]


def test_idle_connection_expires(serve: Any) -> None:
    server = serve([["answer", "answer"], ["answer"]])
    c, transport = client(keepalive_expiry=0.2)
    with c:
        c.get(server.url)
        c.get(server.url)
        time.sleep(0.3)
        c.get(server.url)
        assert transport.connections_opened == 2
    assert server.connections == 2


def test_pool_limit_and_timeout(serve: Any) -> None:
    server = serve([["answer", "answer"]])
    c, _ = client(max_connections=1)
    with c:
        held = c.send(c.build_request("GET", server.url), stream=True)
        started = time.monotonic()
        with pytest.raises(httpx.PoolTimeout):
            c.get(server.url, timeout=httpx.Timeout(5.0, pool=0.2))
        assert 0.15 < time.monotonic() - started < 2
        held.read()
        held.close()
        assert c.get(server.url).status_code == 200
    assert server.connections == 1


def test_abandoned_body_frees_its_slot(serve: Any) -> None:
    server = serve([["answer"], ["answer"]])
    c, _ = client(max_connections=1)
    with c:
        c.send(c.build_request("GET", server.url), stream=True).close()
        assert c.get(server.url, timeout=httpx.Timeout(5.0, pool=1.0)).status_code == 200
    assert server.connections == 2


def test_threads_share_the_pool(serve: Any) -> None:
    # How the 20 calls spread over the connections depends on the scheduler: on a loaded
    # machine the threads may barely overlap, and the pool reuses the most recently used idle
    # connection, so one connection may carry every call. Each scripted connection therefore
    # answers all 20 (a budget of 10 left the 11th call on a busy connection unanswered, a
    # ReadTimeout that was the test's, not the pool's).
    server = serve([["answer"] * 20 for _ in range(4)])
    c, transport = client(max_connections=4)
    statuses: list[int] = []
    start = threading.Barrier(4)
    with c:

        def work() -> None:
            start.wait()
            for _ in range(5):
                statuses.append(c.get(server.url).status_code)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert transport.connections_opened <= 4
    assert statuses == [200] * 20
    assert server.requests == [b"GET"] * 20
    assert server.connections <= 4


def test_threads_one_after_another_reuse_one_connection(serve: Any) -> None:
    # The schedule a loaded machine may produce for the test above, made deterministic: the
    # most recently used idle connection carries every call.
    server = serve([["answer"] * 20])
    c, transport = client(max_connections=4)
    statuses: list[int] = []
    with c:

        def work() -> None:
            for _ in range(5):
                statuses.append(c.get(server.url).status_code)

        for _ in range(4):
            t = threading.Thread(target=work)
            t.start()
            t.join()
        assert transport.connections_opened == 1
    assert statuses == [200] * 20
    assert server.connections == 1


def test_errors_and_closed_transport() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c, transport = client()
    with pytest.raises(httpx.ConnectError):
        c.get(f"http://127.0.0.1:{port}/x")
    with pytest.raises(httpx.UnsupportedProtocol):
        transport.handle_request(httpx.Request("GET", "ftp://127.0.0.1/x"))
    c.close()
    with pytest.raises(RuntimeError, match="closed"):
        transport.handle_request(httpx.Request("GET", "http://127.0.0.1/x"))


def test_https_keeps_the_connection_alive_and_checks_the_certificate() -> None:
    server_ctx, client_ctx = _tls_pair()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_tls() -> None:
        raw, _ = listener.accept()
        with server_ctx.wrap_socket(raw, server_side=True) as conn:
            buffer = b""
            for _ in range(2):
                while b"\r\n\r\n" not in buffer:
                    buffer += conn.recv(65536)
                _, _, buffer = buffer.partition(b"\r\n\r\n")
                conn.sendall(ANSWER)
            conn.recv(65536)
        raw, _ = listener.accept()  # the untrusting client's attempt
        try:
            server_ctx.wrap_socket(raw, server_side=True).close()
        except (OSError, ssl.SSLError):
            raw.close()

    threading.Thread(target=serve_tls, daemon=True).start()
    transport = H11Transport(verify=client_ctx)
    with httpx.Client(transport=transport, timeout=5.0) as c:
        assert [c.get(f"https://127.0.0.1:{port}/x").content for _ in range(2)] == [BODY, BODY]
        assert transport.connections_opened == 1
    with (
        httpx.Client(transport=H11Transport(), timeout=5.0) as c,
        pytest.raises(httpx.ConnectError),
    ):
        c.get(f"https://127.0.0.1:{port}/x")
    listener.close()
