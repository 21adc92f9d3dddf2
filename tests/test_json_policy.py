"""One JSON policy whichever backend decodes: the same values, or the same refusal.

``kalshi_core.models._json`` decodes with orjson when it is installed and with the standard
library otherwise; both must agree on depth bombs, non-finite numbers, numbers out of range,
big integers and lone surrogates, and a refusal is always a ``ValueError`` (a ``DecodeError``
or a status error by the time it reaches the caller), never a ``RecursionError``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kalshi_core import Response, builders, errors
from kalshi_core.models import _json

BODIES = [
    b'{"a": 1}',
    b"[NaN]",
    b"[Infinity]",
    b"[-Infinity]",
    b"[1e400]",
    b"[-1e400]",
    b"[1.5e300]",
    b"[123456789012345678901234567890]",
    b"[-9223372036854775809]",
    b"[18446744073709551615]",
    b"[-9223372036854775808]",
    b'["\\ud800"]',
    b'["\\ud83d\\ude00"]',
    b'{"a": "[[[[["}',
    b"[" * 900 + b"]" * 900,
    b"[" * 1024 + b"]" * 1024,
    b"[" * 1025 + b"]" * 1025,
    b"[" * 100_000 + b"]" * 100_000,
    b"[" * 100_000,
    b"\xef\xbb\xbf{}",
    b'"\xff"',
    b"[1,]",
]


def _outcome(loads: Any, body: bytes) -> Any:
    try:
        value = loads(body)
    except ValueError:
        return "refused"
    return ("ok", repr(value) if len(body) < 200 else "deep")


@pytest.mark.parametrize("body", BODIES, ids=lambda b: repr(b[:24]))
def test_both_backends_agree(body: bytes) -> None:
    orjson = pytest.importorskip("orjson")
    assert _outcome(_json.stdlib_loads, body) == _outcome(orjson.loads, body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[NaN]", "refused"),
        (b"[1e400]", "refused"),
        (b"[" * 1025 + b"]" * 1025, "refused"),
        (b"[" * 1024 + b"]" * 1024, "deep"),
        (b"[123456789012345678901234567890]", ("ok", "[1.2345678901234568e+29]")),
    ],
)
def test_the_stdlib_backend_follows_the_policy(body: bytes, expected: Any) -> None:
    got = _outcome(_json.stdlib_loads, body)
    assert got == expected or (expected == "deep" and got == ("ok", "deep"))


@pytest.fixture(params=["orjson", "json"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "json":
        monkeypatch.setattr(_json, "loads", _json.stdlib_loads)
    elif _json.BACKEND != "orjson":
        pytest.skip("orjson is not installed")
    return str(request.param)


@pytest.mark.parametrize(
    "body",
    [
        b'{"balance": NaN, "portfolio_value": 1, "updated_ts": 1}',
        b'{"balance": Infinity, "portfolio_value": 1, "updated_ts": 1}',
        b'{"balance": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
)
def test_a_bad_success_body_is_a_decode_error_on_either_backend(backend: str, body: bytes) -> None:
    with pytest.raises(errors.DecodeError):
        builders.get_balance().parse(Response(200, (), body))


def test_a_deep_error_body_is_a_status_error_on_either_backend(backend: str) -> None:
    body = b'{"error": {"code": "x", "details": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"
    with pytest.raises(errors.BadRequestError) as info:
        builders.get_balance().parse(Response(400, (), body))
    assert info.value.status == 400
