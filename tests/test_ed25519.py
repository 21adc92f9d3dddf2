"""Ed25519 API keys: the client signs with the Ed25519 signer and the fake exchange verifies it."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from kalshi_core import errors
from kalshi_core.wire.credentials import Credentials, Ed25519Signer, signing_message
from kalshi_testing import FakeExchange, LoopbackServer, mock_transport

from .conftest import Harness


def _pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_credentials_pick_the_ed25519_signer() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    creds = Credentials("ed-key", _pem(key))
    headers = dict(creds.signature_headers("GET", "/trade-api/v2/portfolio/balance", 1700000000000))
    signature = base64.b64decode(headers["KALSHI-ACCESS-SIGNATURE"])
    assert len(signature) == 64
    key.public_key().verify(
        signature, signing_message(1700000000000, "GET", "/trade-api/v2/portfolio/balance")
    )
    assert "redacted" in repr(Ed25519Signer(key))


@pytest.mark.parametrize("wire", ["mock", "socket"])
def test_ed25519_key_is_accepted(harness: Harness, fake: FakeExchange, wire: str) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    account = fake.add_user(balance=Decimal("250"), public_key=_public_pem(key))
    kwargs: dict[str, Any] = {"key_id": account.key_id, "private_key": _pem(key)}
    if wire == "socket":
        with LoopbackServer(fake) as server:
            client = harness.client(base_url=server.url, **kwargs)
            balance = harness.run(lambda c: c.get_balance(), client)
    else:
        client = harness.client(
            base_url="http://fake.test/trade-api/v2", transport=mock_transport(fake), **kwargs
        )
        balance = harness.run(lambda c: c.get_balance(), client)
    assert balance.balance_dollars == Decimal("250")


def test_wrong_ed25519_key_is_refused(harness: Harness, fake: FakeExchange) -> None:
    registered = ed25519.Ed25519PrivateKey.generate()
    other = ed25519.Ed25519PrivateKey.generate()
    account = fake.add_user(balance=Decimal("1"), public_key=_public_pem(registered))
    client = harness.client(
        key_id=account.key_id,
        private_key=_pem(other),
        base_url="http://fake.test/trade-api/v2",
        transport=mock_transport(fake),
    )
    with pytest.raises(errors.AuthenticationError) as info:
        harness.run(lambda c: c.get_balance(), client)
    assert info.value.status == 401
