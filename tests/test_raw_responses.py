"""``client.with_raw_response``: status, headers, request id, timing and the model, per call.

On every driver, over MockTransport and a real loopback socket: a call through the raw view
answers a ``RawResponse`` whose body is the JSON the model was parsed from; a retried call
reports its attempts and the request id of the answer that succeeded.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kalshi_core import RawResponse, Request, Response, models
from kalshi_core.policy.retry import RetryPolicy

from .conftest import Harness
from .scripted import Scripted, scripted_client


def test_raw_balance_carries_status_headers_and_the_model(harness: Harness, client: Any) -> None:
    raw = harness.run(lambda c: c.with_raw_response.get_balance(), client)
    assert isinstance(raw, RawResponse)
    assert raw.status == 200
    assert raw.header("Content-Type") is not None
    assert "json" in (raw.header("content-type") or "")
    assert isinstance(raw.parsed, models.GetBalanceResponse)
    assert raw.parse() is raw.parsed
    # The body is what the model was parsed from, and the model goes back to it.
    assert json.loads(raw.body) == raw.parsed.to_dict()
    assert raw.parsed.balance == 100_000
    assert raw.elapsed >= 0.0
    assert raw.attempts == 1
    assert raw.recovered is False
    assert raw.request.method == "GET"
    assert raw.request.path.endswith("/portfolio/balance")
    assert "<redacted>" in repr(raw.request) or "KALSHI-ACCESS-SIGNATURE" not in repr(raw.request)


def test_raw_view_fetches_one_page_of_a_paginated_operation(harness: Harness, client: Any) -> None:
    raw = harness.run(lambda c: c.with_raw_response.get_orders(limit=5), client)
    assert raw.status == 200
    assert isinstance(raw.parsed, models.GetOrdersResponse)
    assert "limit=5" in raw.request.url


def test_raw_view_refuses_multi_request_procedures(harness: Harness, client: Any) -> None:
    with pytest.raises(AttributeError, match="single calls"):
        _ = client.with_raw_response.create_orders_in_batches


class _WithRequestId(Scripted):
    """Answers 503 once, then the balance with an ``x-request-id`` header."""

    def handle(self, request: Request, now: float) -> Response:
        response = super().handle(request, now)
        n = len(self.requests)
        return Response(
            status=response.status,
            headers=(*response.headers, ("x-request-id", f"req-{n}")),
            body=response.body,
        )


def test_retried_call_reports_attempts_and_the_request_id(harness: Harness, wire: str) -> None:
    def answer(request: Request) -> tuple[int, Any]:
        if len(server.requests) == 1:
            return 503, {"error": {"code": "service_unavailable", "message": "busy"}}
        return 200, {"balance": 5, "portfolio_value": 7, "updated_ts": 1}

    server = _WithRequestId(answer)
    with scripted_client(harness, wire, server) as client:
        policy = RetryPolicy(max_retries=2, backoff_base=0.0, backoff_cap=0.0)
        fast = client.with_options(retry=policy)
        raw = harness.run(lambda c: c.with_raw_response.get_balance(), fast)
    assert raw.attempts == 2
    assert raw.request_id == "req-2"
    assert raw.parsed.portfolio_value == 7
    assert "req-2" in repr(raw)
