"""Time arguments: aware datetimes, ISO 8601 text, or Unix seconds where the spec takes them.

The spec's ``date-time`` fields (``propose_block_trade``'s ``expiration_ts``,
``get_milestones``' ``minimum_start_date``) are RFC 3339 text; its integer ``*_ts`` fields
(``min_ts``, ``max_ts``, ``start_ts``, V1 ``expiration_ts``...) are Unix seconds. Each takes
the forms users hold and refuses, naming the field, what has no timezone or is not a time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kalshi_core import builders, errors

from .conftest import MARKET, Harness
from .scripted import Scripted, scripted_client

NEW_YEAR = 1767225600  # 2026-01-01T00:00:00Z


def _block_trade(expiration: Any) -> Any:
    return builders.propose_block_trade(
        buyer_user_id="b",
        seller_user_id="s",
        market_ticker=MARKET,
        price_centi_cents=5000,
        centicount=100,
        maker_side="yes",
        expiration_ts=expiration,
    )


def _body(call: Any) -> Any:
    return json.loads(call.body)


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("2026-01-12T15:24:03Z", "2026-01-12T15:24:03Z"),
        ("2026-01-12T15:24:03+00:00", "2026-01-12T15:24:03Z"),
        (" 2026-01-12T15:24:03.250Z ", "2026-01-12T15:24:03.250000Z"),
        ("2026-01-12T20:24:03+05:00", "2026-01-12T20:24:03+05:00"),
        (datetime(2026, 1, 12, 15, 24, 3, tzinfo=UTC), "2026-01-12T15:24:03Z"),
    ],
)
def test_date_time_fields_take_aware_datetimes_and_iso_text(given: Any, sent: str) -> None:
    assert _body(_block_trade(given))["expiration_ts"] == sent


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("2026-01-12T15:24:03", "no timezone offset"),
        ("2026-01-12", "no timezone offset"),
        ("next tuesday", "not an ISO 8601 date-time"),
        (datetime(2026, 1, 12, 15, 24, 3), "naive datetime"),
        (1767225600, "expected an aware datetime or ISO 8601 text"),
    ],
)
def test_date_time_fields_refuse_what_has_no_zone_or_is_not_a_time(
    given: Any, message: str
) -> None:
    with pytest.raises(errors.ValidationError, match=message) as info:
        _block_trade(given)
    assert info.value.field == "expiration_ts"


@pytest.mark.parametrize(
    "given",
    [
        NEW_YEAR,
        float(NEW_YEAR) + 0.75,
        "2026-01-01T00:00:00Z",
        "2026-01-01T05:00:00+05:00",
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC),
        datetime(2025, 12, 31, 19, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_integer_timestamps_take_seconds_datetimes_and_iso_text(given: Any) -> None:
    call = builders.get_fills(min_ts=given, max_ts=given)
    assert call.query_value("min_ts") == str(NEW_YEAR)
    assert call.query_value("max_ts") == str(NEW_YEAR)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (NEW_YEAR * 1000, "looks like milliseconds"),
        (datetime(2026, 1, 1), "naive datetime"),
        ("2026-01-01T00:00:00", "no timezone offset"),
        ("1767225600", "not an ISO 8601 date-time"),
        (True, "expected Unix seconds"),
        (float("nan"), "is not a time"),
    ],
)
def test_integer_timestamps_refuse_milliseconds_naive_and_junk(given: Any, message: str) -> None:
    with pytest.raises(errors.ValidationError, match=message) as info:
        builders.get_trades(min_ts=given)
    assert info.value.field == "min_ts"


def test_a_body_timestamp_inside_a_batch_is_converted_and_named() -> None:
    with pytest.warns(DeprecationWarning, match="legacy"):
        call = builders.batch_create_orders(
            orders=[
                {
                    "ticker": MARKET,
                    "side": "yes",
                    "action": "buy",
                    "count": 1,
                    "yes_price": 40,
                    "expiration_ts": "2026-01-01T00:00:00Z",
                }
            ]
        )
    assert _body(call)["orders"][0]["expiration_ts"] == NEW_YEAR
    legacy = pytest.warns(DeprecationWarning, match="legacy")
    with legacy, pytest.raises(errors.ValidationError) as info:
        builders.batch_create_orders(
            orders=[
                {
                    "ticker": MARKET,
                    "side": "yes",
                    "action": "buy",
                    "count": 1,
                    "yes_price": 40,
                    "expiration_ts": datetime(2026, 1, 1),
                }
            ]
        )
    assert info.value.field == "orders[0].expiration_ts"


def test_time_arguments_reach_the_server_as_seconds(harness: Harness, wire: str) -> None:
    server = Scripted(lambda request: (200, {"fills": [], "cursor": ""}))
    with scripted_client(harness, wire, server) as client:
        harness.run(
            lambda c: c.get_fills(
                min_ts="2026-01-01T00:00:00Z", max_ts=datetime(2026, 1, 2, tzinfo=UTC)
            ),
            client,
        )
        with pytest.raises(errors.ValidationError):
            harness.run(lambda c: c.get_fills(min_ts=datetime(2026, 1, 1)), client)
    assert len(server.requests) == 1
    query = Scripted.query(server.requests[0])
    assert query["min_ts"] == str(NEW_YEAR)
    assert query["max_ts"] == str(NEW_YEAR + 86400)
