"""Kalshi's signature, as DESIGN.md states it, checked with the public key on every driver."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from kalshi_core import errors
from kalshi_testing import FakeExchange, LoopbackServer

from .conftest import Harness

NOW = 1_767_225_600.123  # 2026-01-01T00:00:00.123Z


def _pss_verify(public: rsa.RSAPublicKey, signature: bytes, message: bytes) -> None:
    public.verify(
        signature,
        message,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )


def test_signature_covers_timestamp_method_and_full_path_without_query(harness: Harness) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"orders": [], "cursor": ""})

    client = harness.client(
        key_id="key-123",
        private_key=key,
        base_url="https://external-api.kalshi.com/trade-api/v2",
        transport=httpx.MockTransport(handler),
        clock=lambda: NOW,
    )
    harness.run(lambda c: c.get_orders(limit=5, status="resting"), client)
    (request,) = seen
    assert request.url.query == b"status=resting&limit=5"
    assert request.headers["KALSHI-ACCESS-KEY"] == "key-123"
    assert request.headers["KALSHI-ACCESS-TIMESTAMP"] == "1767225600123"
    signature = base64.b64decode(request.headers["KALSHI-ACCESS-SIGNATURE"])
    assert len(signature) == 256
    _pss_verify(key.public_key(), signature, b"1767225600123GET/trade-api/v2/portfolio/orders")
    with pytest.raises(Exception):
        _pss_verify(
            key.public_key(),
            signature,
            b"1767225600123GET/trade-api/v2/portfolio/orders?status=resting&limit=5",
        )


def test_each_request_is_signed_at_send_time(harness: Harness) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stamps: list[str] = []
    now = [100.0]

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(request.headers["KALSHI-ACCESS-TIMESTAMP"])
        return httpx.Response(200, json={"balance": 1, "balance_dollars": "0.01"})

    client = harness.client(
        key_id="k",
        private_key=key,
        base_url="https://x.test/trade-api/v2",
        transport=httpx.MockTransport(handler),
        clock=lambda: now[0],
    )
    harness.run(lambda c: c.get_balance(), client)
    now[0] = 200.5
    harness.run(lambda c: c.get_balance(), client)
    assert stamps == ["100000", "200500"]


def test_ed25519_key_signs_and_fake_verifies(harness: Harness, fake: FakeExchange) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = fake.add_user(balance=Decimal(7), public_key=public_pem)
    with LoopbackServer(fake) as server:
        client = harness.client(key_id=key.key_id, private_key=private, base_url=server.url)
        balance = harness.run(lambda c: c.get_balance(), client)
    assert balance.balance_dollars == Decimal(7)


def test_a_stale_clock_is_corrected_from_the_server_date(
    harness: Harness, fake: FakeExchange
) -> None:
    key = fake.add_user(balance=Decimal(3))
    with LoopbackServer(fake) as server:
        client = harness.client(
            key_id=key.key_id,
            private_key=key.private_key_pem,
            base_url=server.url,
            clock=lambda: __import__("time").time() - 60,
        )
        # The first attempt meets 401 header_timestamp_expired; the client learns the offset
        # from the Date header and signs the one retry with the corrected time.
        balance = harness.run(lambda c: c.get_balance(), client)
    assert balance.balance_dollars == Decimal(3)
    assert 58 <= client.clock_offset <= 62


@pytest.mark.parametrize(
    ("mutate", "code", "details"),
    [
        ("wrong_key", "authentication_error", "INCORRECT_API_KEY_SIGNATURE"),
        ("unknown_id", "authentication_error", "NOT_FOUND"),
    ],
)
def test_fake_rejects_bad_authentication_over_socket(
    harness: Harness, fake: FakeExchange, mutate: str, code: str, details: str | None
) -> None:
    key = fake.add_user(balance=Decimal(1))
    kwargs: dict[str, Any] = {"key_id": key.key_id, "private_key": key.private_key_pem}
    if mutate == "wrong_key":
        kwargs["private_key"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        kwargs["key_id"] = "not-a-registered-key"
    with LoopbackServer(fake) as server:
        client = harness.client(base_url=server.url, **kwargs)
        with pytest.raises(errors.AuthenticationError) as info:
            harness.run(lambda c: c.get_balance(), client)
    assert info.value.status == 401
    assert info.value.code == code
    assert info.value.details == details
    assert "BEGIN" not in str(info.value)
