"""Operations introspect like plain methods, on both clients, for every operation.

What tools read at run time (``help()``, Jupyter's ``?``, IDE hovers on an instance, frameworks
that decide whether to await, documentation generators) must see the operation, not the
machinery: its name, docstring, signature with the types it really returns, type hints that
resolve, a coroutine function on the async client, generator functions for ``.pages()`` /
``.items()``, and a never-awaited call that names the method. The expectations come from
``spec/operations.tsv`` and the operation table (the response model of each operation).
"""

from __future__ import annotations

import asyncio
import csv
import gc
import inspect
import pydoc
import typing
import warnings
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import kalshi_async
import kalshi_sync
from kalshi_core import builders, models
from kalshi_core._generated.optable import OPERATIONS
from kalshi_core._generated.surface import Surface
from kalshi_core.surface.bound import paginated
from kalshi_testing import FakeExchange, LoopbackServer
from tests.conftest import Harness

ROOT = Path(__file__).resolve().parent.parent
OPS = list(csv.DictReader((ROOT / "spec" / "operations.tsv").open(), delimiter="\t"))
NAMES = [row["method_name"] for row in OPS]
CLIENTS = {"sync": kalshi_sync.Client, "async": kalshi_async.AsyncClient}


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    made = {kind: cls() for kind, cls in CLIENTS.items()}
    yield made
    made["sync"].close()
    asyncio.run(made["async"].aclose())


def test_every_listed_operation_is_checked_once() -> None:
    """126 operations of specs 3.31.0 and 3.13.0, plus those added since (3.34's
    ``CreateFCMPositionTransfer``): every row of ``spec/operations.tsv``, none twice."""
    assert len(NAMES) >= 127
    assert len(NAMES) == len(set(NAMES)) == len(OPERATIONS)


def _expected_hints(name: str) -> dict[str, Any]:
    op = OPERATIONS[name]
    hints = typing.get_type_hints(getattr(builders, name))
    hints["return"] = op.response if op.response is not None else type(None)
    return hints


@pytest.mark.parametrize("kind", sorted(CLIENTS))
@pytest.mark.parametrize("name", NAMES)
def test_an_operation_introspects_like_a_method(
    name: str, kind: str, clients: dict[str, Any]
) -> None:
    client = clients[kind]
    cls = CLIENTS[kind]
    op = OPERATIONS[name]
    builder = getattr(builders, name)
    method = getattr(client, name)

    # Names, and the docstring (also what Jupyter's ``?`` and IDE hovers show).
    assert method.__name__ == name
    assert method.__qualname__ == f"{cls.__name__}.{name}"
    assert method.__doc__ == builder.__doc__
    doc = inspect.getdoc(method)
    assert doc is not None
    assert f"``{op.method} {op.path}``" in doc.splitlines()[0]

    # The signature: the builder's parameters, the response model as the return type.
    sig = inspect.signature(method)
    built = inspect.signature(builder)
    assert [(p.name, p.kind, p.default) for p in sig.parameters.values()] == [
        (p.name, p.kind, p.default) for p in built.parameters.values()
    ]
    expected = _expected_hints(name)
    assert sig.return_annotation is expected["return"]
    assert {p.name: p.annotation for p in sig.parameters.values()} == {
        k: v for k, v in expected.items() if k != "return"
    }
    assert typing.get_type_hints(method) == expected

    # Sync or async, as frameworks decide it.
    is_async = kind == "async"
    assert inspect.iscoroutinefunction(method) is is_async
    assert asyncio.iscoroutinefunction(method) is is_async

    # help(): the name, the parameters, the return model, and the docstring.
    text = pydoc.render_doc(method, renderer=pydoc.plaintext)
    heading = f"{'async ' if is_async else ''}{name}("
    assert heading in text
    returned = expected["return"]
    assert f"-> {inspect.formatannotation(returned)}" in text
    assert doc.splitlines()[0] in text

    # .pages() / .items() on the cursor-paginated operations.
    if not isinstance(Surface.__dict__[name], paginated):
        assert not hasattr(method, "pages")
        return
    assert op.items is not None
    page_type = expected["return"]
    item_hint = typing.get_type_hints(page_type)[op.items]
    item_type = next(
        typing.get_args(a)[0] for a in (item_hint, *typing.get_args(item_hint)) if
        typing.get_origin(a) is list
    )
    walk = AsyncIterator if is_async else Iterator
    for attr, yields in (("pages", page_type), ("items", item_type)):
        fn = getattr(method, attr)
        fsig = inspect.signature(fn)
        assert [(p.name, p.kind, p.default) for p in fsig.parameters.values()] == [
            (p.name, p.kind, p.default) for p in built.parameters.values()
        ]
        assert fsig.return_annotation == walk[yields]
        assert typing.get_type_hints(fn)["return"] == walk[yields]
        assert fn.__qualname__ == f"{cls.__name__}.{name}.{attr}"
        assert inspect.getdoc(fn)
        assert inspect.isasyncgenfunction(fn) is is_async
        assert inspect.isgeneratorfunction(fn) is not is_async


@pytest.mark.parametrize("name", NAMES)
def test_a_call_never_awaited_warns_with_the_method_name(
    name: str, clients: dict[str, Any]
) -> None:
    method = getattr(clients["async"], name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        coroutine = method()  # nothing runs (not even validation) until it is awaited
        del coroutine
        gc.collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert messages == [f"coroutine 'AsyncClient.{name}' was never awaited"]


def test_conveniences_introspect_too(clients: dict[str, Any]) -> None:
    for kind, client in clients.items():
        buy = client.buy
        assert inspect.signature(buy).return_annotation is models.CreateOrderV2Response
        assert list(inspect.signature(buy).parameters)[:2] == ["ticker", "outcome"]
        batches = client.create_orders_in_batches
        assert typing.get_type_hints(batches)["return"] is models.BatchCreateOrdersV2Response
        assert inspect.iscoroutinefunction(batches) is (kind == "async")
        assert "20" in (inspect.getdoc(batches) or "")


def test_of_walks_another_list_with_its_own_types(clients: dict[str, Any]) -> None:
    events = clients["sync"].get_positions.of("event_positions")
    assert inspect.signature(events.items).return_annotation == Iterator[models.EventPosition]
    with pytest.raises(ValueError, match="no list 'nope'"):
        clients["async"].get_positions.of("nope")


@pytest.mark.socket
def test_the_annotations_tell_the_truth_over_a_socket(
    harness: Harness, fake: FakeExchange, account: Any, server: LoopbackServer
) -> None:
    """What the signature says a call returns is what a real answer parses to, every driver."""
    fake.seed_liquidity("HIGHNY-24JAN01-T60", "ask", "0.55", 3)
    client = harness.client(
        key_id=account.key_id, private_key=account.private_key_pem, base_url=server.url
    )
    buy = client.buy
    returned = harness.run(
        lambda c: buy("HIGHNY-24JAN01-T60", "yes", price="0.55", count=2), client
    )
    assert isinstance(returned, inspect.signature(buy).return_annotation)
    assert returned.fill_count == Decimal(2)
    balance = harness.run(lambda c: c.get_balance(), client)
    assert isinstance(balance, typing.get_type_hints(client.get_balance)["return"])
    fills = harness.collect(lambda c: c.get_fills.items(), client)
    (item_type,) = typing.get_args(inspect.signature(client.get_fills.items).return_annotation)
    assert fills
    assert all(isinstance(fill, item_type) for fill in fills)
    assert inspect.iscoroutinefunction(client.get_balance) is harness.is_async


def test_raw_views_introspect_with_the_raw_answer_type(clients: dict[str, Any]) -> None:
    from kalshi_core.wire.raw import RawResponse

    for kind, client in clients.items():
        raw = client.with_raw_response.get_orders
        assert inspect.signature(raw).return_annotation == RawResponse[models.GetOrdersResponse]
        assert inspect.iscoroutinefunction(raw) is (kind == "async")
        assert not hasattr(raw, "pages")  # one page, raw; walking pages needs the models
