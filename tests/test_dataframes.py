"""``kalshi_core.models.to_dataframe``: records and pages as pandas DataFrames (``pandas`` extra).

One row per record; the declared fields any record has, then unknown keys; money stays
``Decimal`` (never float), enums their value, missing values ``None``. Over a real client on
every driver, the items of a paginated walk become one frame.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import errors, models
from kalshi_core.models._converter import structure

from .conftest import MARKET, Harness
from .test_legacy_roundtrip import CURRENT_FILL, SEED_FILL

pandas = pytest.importorskip("pandas")


def test_page_becomes_one_row_per_record_with_exact_money() -> None:
    page = structure(
        {"fills": [SEED_FILL, {**CURRENT_FILL, "tomorrow": 1}], "cursor": ""},
        models.GetFillsResponse,
    )
    frame = models.to_dataframe(page)
    assert len(frame) == 2
    assert list(frame.columns)[:3] == ["fill_id", "trade_id", "order_id"]
    assert frame.columns[-1] == "tomorrow"
    assert frame["tomorrow"].tolist() == [None, 1]
    assert frame["yes_price_dollars"].tolist() == [None, Decimal("0.56")]
    assert isinstance(frame["count_fp"][0], Decimal)
    assert frame["side"].tolist() == ["no", "yes"]
    assert type(frame["side"][0]) is str
    assert frame["price"][0] == Decimal("0.44")
    assert frame.dtypes["count_fp"] == "object"


def test_pages_with_several_lists_need_a_name() -> None:
    page = structure(
        {"market_positions": [], "event_positions": [{"event_ticker": "E"}]},
        models.GetPositionsResponse,
    )
    with pytest.raises(ValueError, match="list_name"):
        models.to_dataframe(page)
    frame = models.to_dataframe(page, list_name="event_positions")
    assert frame["event_ticker"].tolist() == ["E"]
    assert models.to_dataframe([]).shape == (0, 0)


def test_missing_pandas_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def refuse(name: str, *args: Any) -> Any:
        if name == "pandas":
            raise ImportError("no pandas here")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", refuse)
    with pytest.raises(errors.ConfigurationError, match=r"kalshi-trade-sdk\[pandas\]"):
        models.to_dataframe([])


def test_a_paginated_walk_becomes_a_frame(harness: Harness, client: Any) -> None:
    for price in ("0.40", "0.41", "0.42"):
        harness.run(
            lambda c, p=price: c.create_order_v2(
                ticker=MARKET,
                side="bid",
                price=p,
                count="1",
                time_in_force="good_till_canceled",
                self_trade_prevention_type="taker_at_cross",
            ),
            client,
        )
    orders = harness.collect(lambda c: c.get_orders.items(limit=2), client)
    frame = models.to_dataframe(orders)
    assert len(frame) == 3
    assert sorted(frame["yes_price_dollars"].tolist()) == [
        Decimal("0.40"),
        Decimal("0.41"),
        Decimal("0.42"),
    ]
