"""``kalshi_async.H11Transport``, the async client's default transport, against a scripted server.

The server answers or hangs up per request as each test scripts it, so the pool's rules are
checked one by one on real loopback sockets, under asyncio and trio: stale connections are
replaced, a request cut off before any answer is reported (never resent by the pool), idle
connections expire, the pool's slot limit and its timeout hold, and an abandoned body
frees its slot.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

from kalshi_async import H11Transport

BODY = b'{"ok":true}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


class ScriptedServer:
    """Serves connection ``i`` by ``scripts[i]``: per request, ``"answer"``, ``"hangup"``
    (close without answering) or ``"answer+close"`` (answer, then close the idle connection)."""

    def __init__(self, scripts: list[list[str]]) -> None:
        self.scripts = scripts
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            script = self.scripts[self.connections] if self.connections < len(self.scripts) else []
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, list(script)), daemon=True).start()

    def _serve(self, conn: socket.socket, script: list[str]) -> None:
        buffer = b""
        with conn:
            for action in script:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                        while len(buffer) < length:
                            buffer += conn.recv(65536)
                        buffer = buffer[length:]
                self.requests.append(head.split(b" ")[0])
                if action == "hangup":
                    return
                conn.sendall(ANSWER)
                if action == "answer+close":
                    return
            # Script done: wait for the client to go away.
            while conn.recv(65536):
                pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def serve() -> Iterator[Callable[[list[list[str]]], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def make(scripts: list[list[str]]) -> ScriptedServer:
        servers.append(ScriptedServer(scripts))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def run(backend: str, fn: Callable[[httpx.AsyncClient, H11Transport], Any], **limits: Any) -> Any:
    async def main() -> Any:
        transport = H11Transport(limits=httpx.Limits(**limits) if limits else None)
        async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
            return await fn(client, transport)

    return anyio.run(main, backend=backend)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_hangup_before_the_answer_is_reported_not_resent(
    backend: str, serve: Any, method: str
) -> None:
    server = serve([["answer", "hangup"], ["answer"]])

    async def calls(client: httpx.AsyncClient, transport: H11Transport) -> int:
        assert (await client.request(method, server.url, content=b"{}")).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError, match="before answering"):
            await client.request(method, server.url, content=b"{}")
        # The dead connection was dropped: the next request opens a new one.
        return (await client.request(method, server.url, content=b"{}")).status_code

    assert run(backend, calls) == 200
    # Resending is the client's retry policy's call, never the pool's.
    assert server.requests == [method.encode()] * 3
    assert server.connections == 2


def test_connection_closed_while_idle_is_not_reused(backend: str, serve: Any) -> None:
    server = serve([["answer+close"], ["answer"]])

    async def calls(client: httpx.AsyncClient, transport: H11Transport) -> int:
        await client.get(server.url)
        await anyio.sleep(0.2)  # the server's close reaches the idle connection
        return (await client.post(server.url, content=b"{}")).status_code

    # A POST is never resent, so its success shows the dead connection was never used.
    assert run(backend, calls) == 200
    assert server.connections == 2
    assert server.requests == [b"GET", b"POST"]


def test_idle_connection_expires(backend: str, serve: Any) -> None:
    server = serve([["answer", "answer"], ["answer"]])

    async def calls(client: httpx.AsyncClient, transport: H11Transport) -> int:
        await client.get(server.url)
        await client.get(server.url)  # reused: within the expiry
        await anyio.sleep(0.3)
        await client.get(server.url)  # expired: a new connection
        return transport.connections_opened

    assert run(backend, calls, keepalive_expiry=0.2) == 2
    assert server.connections == 2


def test_pool_limit_and_timeout(backend: str, serve: Any) -> None:
    server = serve([["answer", "answer"]])

    async def calls(client: httpx.AsyncClient, transport: H11Transport) -> int:
        request = client.build_request("GET", server.url)
        held = await client.send(request, stream=True)  # holds the only slot, body unread
        started = time.monotonic()
        with pytest.raises(httpx.PoolTimeout):
            await client.get(server.url, timeout=httpx.Timeout(5.0, pool=0.2))
        assert 0.15 < time.monotonic() - started < 2
        await held.aread()  # reading to the end gives the slot (and connection) back
        await held.aclose()
        return (await client.get(server.url)).status_code

    assert run(backend, calls, max_connections=1) == 200
    assert server.connections == 1


def test_abandoned_body_frees_its_slot(backend: str, serve: Any) -> None:
    server = serve([["answer"], ["answer"]])

    async def calls(client: httpx.AsyncClient, transport: H11Transport) -> int:
        held = await client.send(client.build_request("GET", server.url), stream=True)
        await held.aclose()  # unread: the connection is closed, the slot freed
        return (await client.get(server.url, timeout=httpx.Timeout(5.0, pool=1.0))).status_code

    assert run(backend, calls, max_connections=1) == 200
    assert server.connections == 2


def test_unsupported_scheme_and_closed_transport(backend: str) -> None:
    async def calls(client: httpx.AsyncClient, transport: H11Transport) -> None:
        with pytest.raises(httpx.UnsupportedProtocol):
            await transport.handle_async_request(httpx.Request("GET", "ftp://127.0.0.1/x"))
        await transport.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1/x"))

    run(backend, calls)


def test_connect_error(backend: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed

    async def calls(client: httpx.AsyncClient, transport: H11Transport) -> None:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/x")

    run(backend, calls)


def _tls_pair() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1 and a client context trusting it."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kalshi-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = f"{tmp}/cert.pem", f"{tmp}/key.pem"
        with open(cert_path, "wb") as f:
            f.write(cert_pem)
        with open(key_path, "wb") as f:
            f.write(key_pem)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


def test_https_keeps_the_connection_alive(backend: str) -> None:
    server_ctx, client_ctx = _tls_pair()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    served: list[int] = []

    def serve() -> None:
        raw, _ = listener.accept()
        with server_ctx.wrap_socket(raw, server_side=True) as conn:
            buffer = b""
            for _ in range(2):
                while b"\r\n\r\n" not in buffer:
                    buffer += conn.recv(65536)
                _, _, buffer = buffer.partition(b"\r\n\r\n")
                conn.sendall(ANSWER)
                served.append(1)
            conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    async def main() -> list[bytes]:
        transport = H11Transport(verify=client_ctx)
        async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
            bodies = [(await client.get(f"https://127.0.0.1:{port}/x")).content for _ in range(2)]
            assert transport.connections_opened == 1
            return bodies

    assert anyio.run(main, backend=backend) == [BODY, BODY]
    listener.close()
    thread.join(10)  # the server counts an answer after sending it: let it finish
    assert served == [1, 1]


def test_https_refuses_an_untrusted_certificate(backend: str) -> None:
    server_ctx, _ = _tls_pair()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        raw, _ = listener.accept()
        try:
            server_ctx.wrap_socket(raw, server_side=True).close()
        except (ssl.SSLError, OSError):
            raw.close()

    threading.Thread(target=serve, daemon=True).start()

    async def main() -> None:
        async with httpx.AsyncClient(transport=H11Transport(), timeout=5.0) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"https://127.0.0.1:{port}/x")

    anyio.run(main, backend=backend)
    listener.close()
