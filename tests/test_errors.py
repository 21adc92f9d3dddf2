"""Error statuses and bodies in every shape Kalshi uses; 2xx bodies that are not answers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kalshi_core import Response, builders, errors

from .conftest import Harness


def answer(status: int, body: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(status=status, headers=headers, body=raw)


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message", "details"),
    [
        (
            401,
            {
                "error": {
                    "code": "authentication_error",
                    "message": "authentication error",
                    "details": "INCORRECT_API_KEY_SIGNATURE",
                    "service": "api",
                }
            },
            errors.InvalidSignatureError,
            "authentication_error",
            "authentication error",
            "INCORRECT_API_KEY_SIGNATURE",
        ),
        (
            429,
            {"error": "too many requests"},
            errors.RateLimitError,
            None,
            "too many requests",
            None,
        ),
        (
            400,
            {"code": "invalid_parameters", "message": "invalid parameters"},
            errors.BadRequestError,
            "invalid_parameters",
            "invalid parameters",
            None,
        ),
        (
            503,
            {"msg": "trading is paused"},
            errors.ServiceUnavailableError,
            None,
            "trading is paused",
            None,
        ),
        (
            409,
            {"error": {"code": "order_already_exists", "message": "order already exists"}},
            errors.OrderAlreadyExistsError,
            "order_already_exists",
            "order already exists",
            None,
        ),
        (
            403,
            {"error": {"code": "trading_is_paused", "message": "paused"}},
            errors.PermissionDeniedError,
            "trading_is_paused",
            "paused",
            None,
        ),
        (500, {}, errors.InternalServerError, None, None, None),
        (418, {"code": "teapot"}, errors.APIStatusError, "teapot", None, None),
    ],
)
def test_every_error_shape_parses(
    status: int,
    body: Any,
    cls: type[errors.APIStatusError],
    code: str | None,
    message: str | None,
    details: str | None,
) -> None:
    call = builders.get_order("ord-1")
    with pytest.raises(cls) as info:
        call.parse(answer(status, body, (("X-Request-Id", "req-9"),)))
    err = info.value
    assert type(err) is cls
    assert (err.status, err.code, err.message, err.details) == (status, code, message, details)
    assert (err.method, err.path) == ("GET", "/portfolio/orders/ord-1")
    assert err.request_id == "req-9"
    assert isinstance(err, errors.KalshiError)


def test_html_from_a_proxy_is_a_status_error_with_a_snippet() -> None:
    call = builders.get_balance()
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    with pytest.raises(errors.ServiceUnavailableError) as info:
        call.parse(Response(status=502, body=html))
    assert "502 Bad Gateway" in (info.value.message or "")


def test_2xx_with_error_is_not_a_success() -> None:
    with pytest.raises(errors.APIStatusError) as info:
        builders.get_balance().parse(answer(200, {"error": {"code": "internal", "message": "x"}}))
    assert info.value.code == "internal"


@pytest.mark.parametrize("body", [b"", b"not json", b"<html></html>", b"[1, 2]", b"\xff\xfe"])
def test_2xx_that_is_not_a_json_object_is_a_decode_error(body: bytes) -> None:
    with pytest.raises(errors.DecodeError) as info:
        builders.get_orders().parse(Response(status=200, body=body))
    assert info.value.status == 200
    assert info.value.method == "GET"
    assert info.value.path == "/portfolio/orders"


def test_wrong_shape_names_the_field() -> None:
    body = {"orders": [{"order_id": "a", "created_time": "yesterday"}], "cursor": ""}
    with pytest.raises(errors.DecodeError, match=r"created_time"):
        builders.get_orders().parse(answer(200, body))
    with pytest.raises(errors.DecodeError, match=r"orders"):
        builders.get_orders().parse(answer(200, {"orders": "nope", "cursor": ""}))


def test_list_response_without_its_list_raises() -> None:
    with pytest.raises(errors.DecodeError, match="lacks orders"):
        builders.get_orders().parse(answer(200, {"cursor": ""}))


def test_write_ack_without_order_id_raises_and_malformed_ack_keeps_order_id() -> None:
    call = builders.create_order_v2(
        ticker="T",
        side="bid",
        price="0.5",
        count="1",
        time_in_force="good_till_canceled",
        self_trade_prevention_type="maker",
    )
    with pytest.raises(errors.DecodeError, match="lacks order_id"):
        call.parse(answer(201, {"fill_count": "0.00", "remaining_count": "1.00", "ts_ms": 1}))
    with pytest.raises(errors.DecodeError) as info:
        call.parse(answer(201, {"order_id": "ord-7", "fill_count": "lots", "ts_ms": 1}))
    assert info.value.order_id == "ord-7"


def test_required_fields_missing_parse_as_none_not_zero() -> None:
    balance = builders.get_balance().parse(answer(200, {"balance": 1234}))
    assert balance.balance == 1234
    assert balance.balance_dollars is None
    assert balance.portfolio_value is None


def test_transport_failure_is_our_error(harness: Harness) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = harness.client(
        base_url="http://x.test/trade-api/v2", transport=httpx.MockTransport(refuse)
    )
    with pytest.raises(errors.ConnectError) as info:
        harness.run(lambda c: c.get_exchange_status(), client)
    assert info.value.path == "/exchange/status"
    assert isinstance(info.value, errors.TransportError)


def test_read_timeout_is_our_timeout(harness: Harness) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = harness.client(
        base_url="http://x.test/trade-api/v2", transport=httpx.MockTransport(slow)
    )
    with pytest.raises(errors.APITimeoutError):
        harness.run(lambda c: c.get_exchange_status(), client)
