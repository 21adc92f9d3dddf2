"""A scripted server for tests of answers the fake exchange does not produce.

``Scripted(answer)`` has the fake's sans-IO entry point, ``handle(request, now)``, so it serves
both ``mock_transport`` and ``LoopbackServer``; ``answer(request)`` returns ``(status, json)``
(``json`` may be ``bytes`` for a raw body, or ``None`` for none). Every request is recorded.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_core import Request, Response
from kalshi_testing import LoopbackServer, mock_transport

Answer = Callable[[Request], tuple[int, Any]]


class Scripted:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[Request] = []

    def handle(self, request: Request, now: float) -> Response:
        self.requests.append(request)
        status, payload = self.answer(request)
        if payload is None:
            body = b""
        elif isinstance(payload, bytes):
            body = payload
        else:
            body = json.dumps(payload).encode()
        headers = (("content-type", "application/json"), ("content-length", str(len(body))))
        return Response(status=status, headers=headers, body=body)

    @staticmethod
    def query(request: Request) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(request.url).query).items()}

    @staticmethod
    def json(request: Request) -> Any:
        return json.loads(request.body) if request.body else None


@functools.cache
def _private_pem() -> bytes:
    """One key for every scripted test: the scripted server does not check signatures."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class _Account:
    key_id = "scripted-key"

    @property
    def private_key_pem(self) -> bytes:
        return _private_pem()


@contextlib.contextmanager
def scripted_client(harness: Any, wire: str, server: Scripted) -> Iterator[Any]:
    """A client of the harness's driver talking to ``server`` over ``wire``."""
    account = _Account()
    with contextlib.ExitStack() as stack:
        if wire == "socket":
            srv = stack.enter_context(LoopbackServer(server))  # type: ignore[arg-type]
            yield harness.client(
                key_id=account.key_id, private_key=account.private_key_pem, base_url=srv.url
            )
        else:
            yield harness.client(
                key_id=account.key_id,
                private_key=account.private_key_pem,
                base_url="http://fake.test/trade-api/v2",
                transport=mock_transport(server),  # type: ignore[arg-type]
            )


def never_called(request: Request) -> tuple[int, Any]:
    raise AssertionError(f"nothing should have been sent, got {request.method} {request.url}")
