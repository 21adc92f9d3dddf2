"""Both JSON decoders (orjson from the ``fast`` extra, and the standard library) parse alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from kalshi_core import Response, builders, errors
from kalshi_core.models import _json
from kalshi_core.models._converter import unstructure

from .test_models import CURRENT_ORDER, LEGACY_ORDER


@pytest.fixture(params=["orjson", "json"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    loads: Callable[[bytes], Any] = orjson.loads if request.param == "orjson" else json.loads
    monkeypatch.setattr(_json, "loads", loads)
    return str(request.param)


def test_installed_backend_is_orjson_in_the_test_environment() -> None:
    assert _json.BACKEND == "orjson"


def test_a_page_parses_the_same_with_either_decoder(decoder: str) -> None:
    body = json.dumps({"orders": [CURRENT_ORDER, LEGACY_ORDER], "cursor": "c"}).encode()
    page = builders.get_orders().parse(Response(status=200, body=body))
    assert page.cursor == "c"
    assert [unstructure(o)["order_id"] for o in page.orders or []] == [
        CURRENT_ORDER["order_id"],
        LEGACY_ORDER["order_id"],
    ]
    assert unstructure(page.orders[1]) == LEGACY_ORDER  # type: ignore[index]


@pytest.mark.parametrize("body", [b"{", b"nope", b"\xff", b'{"orders": [}'])
def test_not_json_is_a_decode_error_with_either_decoder(decoder: str, body: bytes) -> None:
    with pytest.raises(errors.DecodeError, match="not JSON"):
        builders.get_orders().parse(Response(status=200, body=body))
