"""What spec 3.34 adds over the vendored 3.31, as ``spec/additions-3.34.0.yaml`` records it.

``POST /fcm/positions/transfers`` (``create_fcm_position_transfer``): five required body
fields, ``price_centicents`` within 0..10000, a 201 answer carrying ``position_transfer_id``
(without it the answer is not meaningful). ``client_transfer_id`` on intra-exchange transfers;
``price_level_structure``/``price_ranges`` on multivariate event collections;
``settlement_status`` on ``get_positions``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from kalshi_core import Request, Response, builders, errors, models
from kalshi_core.models._converter import structure

from .conftest import MARKET, Harness
from .scripted import Scripted, scripted_client

TRANSFER = {
    "source_subtrader_id": "fcm_acct_7",
    "target_subtrader_id": "err123_desk1",
    "market_ticker": MARKET,
    "position_centicount": -500,
    "price_centicents": 7000,
}


def test_position_transfer_call_is_a_signed_post_with_the_five_fields() -> None:
    call = builders.create_fcm_position_transfer(**TRANSFER)  # type: ignore[arg-type]
    assert call.operation.method == "POST"
    assert call.path == "/fcm/positions/transfers"
    assert call.operation.auth is True
    assert call.operation.success == (201,)
    assert json.loads(call.body or b"") == TRANSFER


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price_centicents": 10001}, "price_centicents"),
        ({"price_centicents": -1}, "price_centicents"),
        ({"position_centicount": "5"}, "position_centicount"),
        ({"market_ticker": None}, "market_ticker"),
    ],
)
def test_position_transfer_arguments_are_validated(change: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.ValidationError) as info:
        builders.create_fcm_position_transfer(**{**TRANSFER, **change})
    assert info.value.field == field


def test_position_transfer_answer_without_its_id_is_a_decode_error() -> None:
    call = builders.create_fcm_position_transfer(**TRANSFER)  # type: ignore[arg-type]
    ok = call.parse(Response(201, (), b'{"position_transfer_id": "pt-1"}'))
    assert isinstance(ok, models.CreateFCMPositionTransferResponse)
    assert ok.position_transfer_id == "pt-1"
    with pytest.raises(errors.DecodeError, match="position_transfer_id"):
        call.parse(Response(201, (), b"{}"))


def test_position_transfer_over_every_driver(harness: Harness, wire: str) -> None:
    def answer(request: Request) -> tuple[int, Any]:
        assert request.method == "POST"
        assert request.path.endswith("/fcm/positions/transfers")
        return 201, {"position_transfer_id": "pt-9"}

    server = Scripted(answer)
    with scripted_client(harness, wire, server) as client:
        ack = harness.run(lambda c: c.create_fcm_position_transfer(**TRANSFER), client)
    assert ack.position_transfer_id == "pt-9"
    assert Scripted.json(server.requests[0]) == TRANSFER
    assert server.requests[0].header("KALSHI-ACCESS-SIGNATURE")


def test_intra_exchange_transfer_takes_a_client_transfer_id() -> None:
    call = builders.intra_exchange_instance_transfer(
        source="event_contract",
        destination="margined",
        amount=10_000,
        client_transfer_id="6f1c2f5e-8d1b-4a4e-9b8e-0c2f1a7d3b9a",
    )
    assert json.loads(call.body or b"")["client_transfer_id"] == (
        "6f1c2f5e-8d1b-4a4e-9b8e-0c2f1a7d3b9a"
    )


def test_multivariate_collection_carries_its_price_levels() -> None:
    body = {
        "collection_ticker": "KXMVE-1",
        "price_level_structure": "linear_cent",
        "price_ranges": [{"start": "0.0000", "end": "1.0000", "step": "0.0100"}],
    }
    collection = structure(body, models.MultivariateEventCollection)
    assert collection.price_level_structure == "linear_cent"
    assert collection.price_ranges is not None
    assert collection.price_ranges[0].step == "0.0100"
    assert Decimal(collection.price_ranges[0].end or "0") == 1
    assert collection.to_dict() == body


def test_positions_take_a_settlement_status() -> None:
    call = builders.get_positions(settlement_status="settled", limit=5)
    assert call.query_value("settlement_status") == "settled"
    call = builders.get_positions(settlement_status=models.QuerySettlementStatus.ALL)
    assert call.query_value("settlement_status") == "all"
    with pytest.raises(errors.ValidationError) as info:
        builders.get_positions(settlement_status="archived")
    assert info.value.field == "settlement_status"


def test_settled_positions_walk_keeps_the_status_on_every_page(harness: Harness, wire: str) -> None:
    def answer(request: Request) -> tuple[int, Any]:
        query = Scripted.query(request)
        assert query["settlement_status"] == "settled"
        if "cursor" not in query:
            return 200, {
                "market_positions": [{"ticker": "A"}],
                "event_positions": [],
                "cursor": "p2",
            }
        return 200, {"market_positions": [{"ticker": "B"}], "event_positions": [], "cursor": ""}

    server = Scripted(answer)
    with scripted_client(harness, wire, server) as client:
        found = harness.collect(
            lambda c: c.get_positions.items(settlement_status="settled"), client
        )
    assert [p.ticker for p in found] == ["A", "B"]
    assert len(server.requests) == 2
