"""A real ``redis-server`` for the test session: started on a free loopback port, with no
persistence, stopped at the end.

The binary is Debian's ``redis-server`` (``.ci/run`` installs it) or any ``redis-server`` on
``PATH`` (``REDIS_SERVER`` names another). When none is found the Redis tests skip with the
reason, except in CI (``CI=true``), where a missing Redis is a failure: the tests that prove
the shared budget must run there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

__all__ = ["find_redis_server", "free_port", "redis_server", "skip_or_fail"]


def find_redis_server() -> str | None:
    named = os.environ.get("REDIS_SERVER")
    if named:
        return named
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason`` on a developer's machine; fail in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run the Redis tests: .ci/run installs redis-server)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    """The URL of a fresh ``redis-server`` (``redis://127.0.0.1:PORT/0``; a free port unless
    ``port`` is given), stopped on exit."""
    binary = find_redis_server()
    if binary is None or not os.access(binary, os.X_OK):
        skip_or_fail(
            f"no redis-server found ({binary or 'not on PATH'}): apt-get install redis-server, "
            "or set REDIS_SERVER to one"
        )
        raise AssertionError("unreachable")
    with tempfile.TemporaryDirectory(prefix="kalshi-redis-") as workdir:
        port = port or free_port()
        proc = subprocess.Popen(
            [
                binary,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", workdir,
                "--daemonize", "no",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10.0
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                        conn.sendall(b"PING\r\n")
                        if conn.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    skip_or_fail(f"redis-server did not start: {err.strip()[:300]}")
                time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                proc.kill()
                proc.wait(5)
            if proc.stderr is not None:
                proc.stderr.close()
