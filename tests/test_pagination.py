"""The cursor paginator: a state machine on its own, and on every driver."""

from __future__ import annotations

import httpx
import pytest

from kalshi_core import Paginator, builders, errors, models

from .conftest import Harness


def _page(cursor: str, *ids: str) -> models.GetOrdersResponse:
    return models.GetOrdersResponse(orders=[models.Order(order_id=i) for i in ids], cursor=cursor)


def test_state_machine_follows_cursors_and_stops_on_empty() -> None:
    paginator = Paginator(builders.get_orders(limit=2, ticker="T"))
    first = paginator.next_call()
    assert first is not None
    assert first.query_value("cursor") is None
    paginator.feed(_page("c1", "a", "b"))
    second = paginator.next_call()
    assert second is not None
    assert second.query == (("ticker", "T"), ("limit", "2"), ("cursor", "c1"))
    paginator.feed(_page("", "c"))
    assert paginator.next_call() is None
    assert paginator.done
    assert paginator.pages == 2


def test_state_machine_refuses_a_repeated_cursor() -> None:
    paginator = Paginator(builders.get_orders())
    paginator.feed(_page("c1"))
    paginator.feed(_page("c2"))
    with pytest.raises(errors.PaginationError, match="c1"):
        paginator.feed(_page("c1"))
    assert paginator.next_call() is None


def test_feed_without_outstanding_page_is_a_bug() -> None:
    paginator = Paginator(builders.get_orders())
    paginator.feed(_page(""))
    with pytest.raises(RuntimeError):
        paginator.feed(_page(""))


def test_client_stops_instead_of_looping_on_a_repeated_cursor(harness: Harness) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params.get("cursor", ""))
        return httpx.Response(
            200, json={"orders": [{"order_id": str(len(calls))}], "cursor": "same"}
        )

    client = harness.client(
        key_id="k",
        private_key=_KEY,
        base_url="http://x.test/trade-api/v2",
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(errors.PaginationError):
        harness.collect(lambda c: c.get_orders.items(), client)
    assert calls == ["", "same"]


from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
