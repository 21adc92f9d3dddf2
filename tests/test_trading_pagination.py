"""Auto-pagination of every cursor-paginated operation of the trading and portfolio tags."""

from __future__ import annotations

from typing import Any

import pytest

from kalshi_core._generated.optable import OPERATIONS

from .conftest import Harness
from .scripted import Scripted, scripted_client

# operation -> (its list, the key that identifies an item, a filter it takes)
PAGINATED = {
    "get_orders": ("orders", "order_id", {"ticker": "T-1"}),
    "get_fills": ("fills", "fill_id", {"ticker": "T-1"}),
    "get_settlements": ("settlements", "ticker", {"event_ticker": "E-1"}),
    "get_positions": ("market_positions", "ticker", {"count_filter": "position"}),
    "get_deposits": ("deposits", "id", {}),
    "get_withdrawals": ("withdrawals", "id", {}),
    "get_subaccount_transfers": ("transfers", "transfer_id", {}),
    "get_intra_exchange_instance_transfers": ("transfers", "transfer_id", {}),
}


def test_every_cursor_paginated_operation_of_these_tags_is_covered() -> None:
    ops = {
        name
        for name, op in OPERATIONS.items()
        if op.tag in ("orders", "order-groups", "portfolio")
        and any(f.name == "cursor" for f in op.params)
    }
    assert ops == set(PAGINATED)
    for name, (items, _, _) in PAGINATED.items():
        assert OPERATIONS[name].items == items


def paging_server(name: str, total: int = 7) -> Scripted:
    items, key, _ = PAGINATED[name]

    def respond(request: Any) -> tuple[int, Any]:
        q = Scripted.query(request)
        limit = int(q.get("limit", "100"))
        start = int(q.get("cursor", "c0")[1:])
        chunk = list(range(start, min(start + limit, total)))
        end = start + len(chunk)
        body: dict[str, Any] = {items: [{key: f"{name}-{i}"} for i in chunk]}
        if name == "get_positions":
            body["event_positions"] = [{"event_ticker": f"E-{i}"} for i in chunk]
        if end < total:
            body["cursor"] = f"c{end}"
        elif name != "get_intra_exchange_instance_transfers":
            body["cursor"] = ""  # that one omits the cursor on its last page
        return 200, body

    return Scripted(respond)


@pytest.mark.parametrize("name", list(PAGINATED))
def test_items_walk_every_page_once(harness: Harness, name: str) -> None:
    _, key, filters = PAGINATED[name]
    server = paging_server(name)
    with scripted_client(harness, "mock", server) as client:
        walked = harness.collect(lambda c: getattr(c, name).items(limit=3, **filters), client)
        pages = harness.collect(lambda c: getattr(c, name).pages(limit=3, **filters), client)
    assert [getattr(item, key) for item in walked] == [f"{name}-{i}" for i in range(7)]
    assert len(pages) == 3
    first_walk = server.requests[:3]
    assert [Scripted.query(r).get("cursor") for r in first_walk] == [None, "c3", "c6"]
    for request in first_walk:
        q = Scripted.query(request)
        assert q["limit"] == "3"
        for k, v in filters.items():
            assert q[k] == v  # filters travel with every page


def test_positions_walk_both_lists(harness: Harness, wire: str) -> None:
    server = paging_server("get_positions")
    with scripted_client(harness, wire, server) as client:
        markets = harness.collect(lambda c: c.get_positions.items(limit=4), client)
        events = harness.collect(
            lambda c: c.get_positions.of("event_positions").items(limit=4), client
        )
        same = harness.collect(
            lambda c: c.get_positions.of("market_positions").items(limit=4), client
        )
    assert [p.ticker for p in markets] == [f"get_positions-{i}" for i in range(7)]
    assert [p.ticker for p in same] == [p.ticker for p in markets]
    assert [e.event_ticker for e in events] == [f"E-{i}" for i in range(7)]
    assert len(server.requests) == 6


def test_of_refuses_a_list_the_pages_do_not_carry(harness: Harness) -> None:
    with scripted_client(harness, "mock", Scripted(lambda r: (500, None))) as client:
        with pytest.raises(ValueError, match="market_positions, event_positions"):
            client.get_positions.of("fills")
        with pytest.raises(ValueError, match="carry orders"):
            client.get_orders.of("order")
