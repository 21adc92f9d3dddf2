"""Which requests may be repeated, and exactly-once order creation.

**Client order ids.** Every order create (V2 and V1, single and batch) carries a
``client_order_id``: when the caller gives none, the request builder generates a UUID4 for each
order, once, when the ``Call`` is made, before any attempt. Every retry resends the same bytes,
so the exchange sees the same id and refuses to create the order twice
(``409 order_already_exists``, or a per-order error inside a batch answer).

**Recovery.** When a retried create meets ``order_already_exists`` after an earlier attempt
that may have reached the exchange (a timeout, a reset, a 5xx), the order exists because of that
attempt. ``OrderLookup`` finds it (``GetOrders`` filtered by ticker, subaccount and a ``min_ts``
one minute before the first attempt, walking pages newest first) and synthesises the create's
answer from the order record:

* ``CreateOrderV2`` -> ``CreateOrderV2Response`` with ``order_id``, ``client_order_id``,
  ``fill_count`` and ``remaining_count`` (the order's counts *at lookup time*, which include any
  fills after placement), ``ts_ms`` (the order's ``created_time``); ``average_fill_price`` and
  ``average_fee_paid`` are ``None`` (the order record does not carry them);
* ``CreateOrder`` (V1) -> ``CreateOrderResponse(order=<the order>)``, as the V1 answer is;
* ``BatchCreateOrdersV2`` / ``BatchCreateOrders`` -> the batch answer with every item that
  reported ``order_already_exists`` for one of this batch's ids replaced by a success item built
  as above (V1: ``order=<the order>``); other items are kept as the exchange sent them.

A synthesised answer's raw JSON (``models.raw_json``) carries ``"sdk_recovered": true``;
``is_recovered(model)`` tests it. If the order cannot be found the original
``OrderAlreadyExistsError`` is raised: the id was used before this call. A create answered
2xx with a body that cannot be read (``DecodeError``) was accepted by the exchange: the same
lookup returns its answer, and the ``DecodeError`` is raised only if the order is not found.

**Other writes.** Amends are idempotent (they set an absolute price and count); a decrease is
idempotent with ``reduce_to`` but not with ``reduce_by`` (a repeat would reduce twice); cancels
are DELETEs (a repeat cannot cancel more). A retried cancel whose earlier attempt may have gone
through meets ``404``: ``CancelLookup`` fetches the order, and when it is canceled returns the
cancel's answer (``reduced_by``/``reduced_by_fp`` ``None``: the order record does not say how
many contracts that cancel removed), else raises the ``NotFoundError``. See
``docs/retries.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import unquote

from kalshi_core import models as m
from kalshi_core.errors import DecodeError
from kalshi_core.policy.client_order_ids import (
    BATCH_CREATES,
    CREATES,
    ensure_client_order_ids,
)
from kalshi_core.wire.call import Call, make_call
from kalshi_core.wire.values import Response

__all__ = [
    "CREATES",
    "CancelLookup",
    "Lookup",
    "OrderLookup",
    "ensure_client_order_ids",
    "is_idempotent",
    "is_recovered",
    "recovery_after_decode_error",
    "recovery_after_success",
    "recovery_for",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Lookup(Protocol[T_co]):
    """What a driver runs instead of resending: ``next_call()`` until ``None``, ``feed`` each
    answer, then ``result()`` (the synthesised answer, or the original error raised)."""

    def next_call(self) -> Call[Any] | None: ...

    def feed(self, answer: Any) -> None: ...

    def result(self) -> T_co: ...


AMENDS = frozenset({"AmendOrderV2", "AmendOrder"})
DECREASES = frozenset({"DecreaseOrderV2", "DecreaseOrder"})
CANCELS = frozenset({"CancelOrderV2", "CancelOrder"})

#: How far before the first attempt the lookup searches (clock error between us and Kalshi).
LOOKUP_WINDOW = 60
LOOKUP_PAGE = 200
LOOKUP_MAX_PAGES = 10
RECOVERED_KEY = "sdk_recovered"


def _body(call: Call[Any]) -> Any:
    if not call.body:
        return None
    try:
        return json.loads(call.body)
    except (ValueError, UnicodeDecodeError):
        return None


def is_idempotent(call: Call[Any]) -> bool:
    """Whether sending ``call`` twice has the same effect as sending it once."""
    op_id = call.operation.operation_id
    if op_id in CREATES:
        body = _body(call)
        return isinstance(body, dict) and bool(body.get("client_order_id"))
    if op_id in BATCH_CREATES:
        body = _body(call)
        orders = body.get("orders") if isinstance(body, dict) else None
        if not isinstance(orders, list) or not orders:
            return False
        return all(isinstance(o, dict) and o.get("client_order_id") for o in orders)
    if op_id in AMENDS:
        return True
    if op_id in DECREASES:
        body = _body(call)
        if not isinstance(body, dict):
            return False
        by = body.get("reduce_by") is not None or body.get("reduce_by_fp") is not None
        return not by
    return call.operation.idempotent


def is_recovered(model: Any) -> bool:
    """Whether ``model`` was synthesised from a lookup after a retried create (see above)."""
    raw = getattr(model, "_kalshi_raw", None)
    return isinstance(raw, Mapping) and raw.get(RECOVERED_KEY) is True


def _wanted(call: Call[Any]) -> list[tuple[str, str, int | None]]:
    """``(client_order_id, ticker, subaccount)`` of every order the create asked for."""
    body = _body(call)
    if not isinstance(body, dict):
        return []
    orders = body.get("orders") if call.operation.operation_id in BATCH_CREATES else [body]
    out = []
    for order in orders or ():
        if not isinstance(order, dict):
            continue
        coid, ticker, sub = (
            order.get("client_order_id"),
            order.get("ticker"),
            order.get("subaccount"),
        )
        if isinstance(coid, str) and coid and isinstance(ticker, str):
            out.append((coid, ticker, sub if isinstance(sub, int) else None))
    return out


def recovery_for(call: Call[Any], response: Response, first_sent: float) -> OrderLookup[Any] | None:
    """The lookup for a retried create answered ``409 order_already_exists`` (else ``None``)."""
    op_id = call.operation.operation_id
    if op_id not in CREATES and op_id not in BATCH_CREATES:
        return None
    try:
        call.parse(response)
    except Exception as exc:  # noqa: BLE001 - we only want the typed error
        error: BaseException = exc
    else:  # pragma: no cover - a 409 always raises
        return None
    if getattr(error, "code", None) != "order_already_exists":
        return None
    wanted = _wanted(call)
    if not wanted:
        return None
    return OrderLookup(call, wanted, first_sent, error=error)


def recovery_after_success(
    call: Call[Any], result: Any, first_sent: float
) -> OrderLookup[Any] | None:
    """The lookup for a retried batch create whose answer reports ``order_already_exists`` for
    some of its own orders (else ``None``)."""
    if call.operation.operation_id not in BATCH_CREATES:
        return None
    items = getattr(result, "orders", None) or ()
    dupes = {
        item.client_order_id
        for item in items
        if item.error is not None
        and item.error.code == "order_already_exists"
        and item.client_order_id
    }
    wanted = [w for w in _wanted(call) if w[0] in dupes]
    if not wanted:
        return None
    return OrderLookup(call, wanted, first_sent, partial=result)


def recovery_after_decode_error(
    call: Call[Any], error: BaseException, first_sent: float
) -> OrderLookup[Any] | None:
    """The lookup for a create whose 2xx answer could not be read (``DecodeError``) and named
    no order: the exchange accepted it, so the orders exist. ``None`` for any other call or
    error, and when the error already carries the ids the answer named."""
    op_id = call.operation.operation_id
    if not isinstance(error, DecodeError) or not 200 <= error.status < 300:
        return None
    if error.order_id or error.order_ids:
        return None  # the answer named its orders: the caller has them on the error
    if op_id not in CREATES and op_id not in BATCH_CREATES:
        return None
    wanted = _wanted(call)
    if not wanted:
        return None
    return OrderLookup(call, wanted, first_sent, error=error)


def _ts_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def _mark(model: T) -> T:
    from kalshi_core.models._converter import unstructure

    raw = unstructure(model)
    raw[RECOVERED_KEY] = True
    object.__setattr__(model, "_kalshi_raw", raw)
    return model


def _v2_ack(order: m.Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "fill_count": order.fill_count_fp,
        "remaining_count": order.remaining_count_fp,
        "ts_ms": _ts_ms(order.created_time),
    }


class OrderLookup(Generic[T]):
    """Finds the orders an earlier attempt of a create made, and builds the create's answer.

    A state machine like the paginator: ``next_call()`` is the next ``GetOrders`` page to fetch
    (``None`` when done), ``feed(page)`` takes it, ``result()`` returns the synthesised answer
    or raises the original ``OrderAlreadyExistsError`` when an order cannot be found.
    """

    def __init__(
        self,
        call: Call[T],
        wanted: list[tuple[str, str, int | None]],
        first_sent: float,
        *,
        error: BaseException | None = None,
        partial: Any = None,
    ) -> None:
        self.call = call
        self.wanted = wanted
        self.min_ts = int(first_sent) - LOOKUP_WINDOW
        self.found: dict[str, m.Order] = {}
        self._error = error
        self._partial = partial
        groups: dict[tuple[str, int | None], set[str]] = {}
        for coid, ticker, sub in wanted:
            groups.setdefault((ticker, sub), set()).add(coid)
        self._groups = list(groups.items())
        self._cursor: str | None = None
        self._pages = 0

    def next_call(self) -> Call[m.GetOrdersResponse] | None:

        while self._groups:
            (ticker, sub), coids = self._groups[0]
            if coids <= self.found.keys() or self._pages >= LOOKUP_MAX_PAGES:
                self._groups.pop(0)
                self._cursor, self._pages = None, 0
                continue
            params: dict[str, Any] = {
                "ticker": ticker,
                "min_ts": self.min_ts,
                "limit": LOOKUP_PAGE,
                "cursor": self._cursor,
                "subaccount": sub,
            }
            from kalshi_core._generated.optable import OPERATIONS

            op: Any = OPERATIONS["get_orders"]
            lookup: Call[m.GetOrdersResponse] = make_call(op, params, None)
            return lookup
        return None

    def feed(self, page: m.GetOrdersResponse) -> None:
        coids = self._groups[0][1]
        for order in page.orders or ():
            if order.client_order_id in coids and order.client_order_id not in self.found:
                self.found[order.client_order_id] = order
        self._pages += 1
        self._cursor = page.cursor or None
        if self._cursor is None:
            self._groups.pop(0)
            self._cursor, self._pages = None, 0

    def result(self) -> T:
        op_id = self.call.operation.operation_id
        builder: Callable[[], Any] = {
            "CreateOrderV2": self._create_v2,
            "CreateOrder": self._create_v1,
            "BatchCreateOrdersV2": self._batch_v2,
            "BatchCreateOrders": self._batch_v1,
        }[op_id]
        result: T = builder()
        return result

    def _single(self) -> m.Order:
        order = self.found.get(self.wanted[0][0])
        if order is None:
            assert self._error is not None
            raise self._error
        return order

    def _create_v2(self) -> m.CreateOrderV2Response:
        return _mark(m.CreateOrderV2Response(**_v2_ack(self._single())))

    def _create_v1(self) -> m.CreateOrderResponse:
        return _mark(m.CreateOrderResponse(order=self._single()))

    def _items(self, make: Callable[[str, m.Order], Any]) -> list[Any]:
        if self._partial is not None:
            items = []
            for item in self._partial.orders or ():
                order = self.found.get(item.client_order_id or "")
                dupe = item.error is not None and item.error.code == "order_already_exists"
                items.append(make(item.client_order_id, order) if dupe and order else item)
            return items
        missing = [coid for coid, _, _ in self.wanted if coid not in self.found]
        if missing:
            assert self._error is not None
            raise self._error
        return [make(coid, self.found[coid]) for coid, _, _ in self.wanted]

    def _batch_v2(self) -> m.BatchCreateOrdersV2Response:
        def make(coid: str, order: m.Order) -> m.BatchCreateOrdersV2ResponseOrders:
            return m.BatchCreateOrdersV2ResponseOrders(**_v2_ack(order))

        return _mark(m.BatchCreateOrdersV2Response(orders=self._items(make)))

    def _batch_v1(self) -> m.BatchCreateOrdersResponse:
        def make(coid: str, order: m.Order) -> m.BatchCreateOrdersIndividualResponse:
            return m.BatchCreateOrdersIndividualResponse(client_order_id=coid, order=order)

        return _mark(m.BatchCreateOrdersResponse(orders=self._items(make)))


def cancel_recovery(call: Call[Any], response: Response) -> CancelLookup[Any] | None:
    """The lookup for a retried cancel answered 404 (else ``None``)."""
    if call.operation.operation_id not in CANCELS:
        return None
    try:
        call.parse(response)
    except Exception as exc:  # noqa: BLE001 - we only want the typed error
        return CancelLookup(call, exc)
    return None  # pragma: no cover - a 404 always raises


class CancelLookup(Generic[T]):
    """Fetches the order a retried cancel found gone, and answers the cancel if it is canceled."""

    def __init__(self, call: Call[T], error: BaseException) -> None:
        self.call = call
        self.order_id = unquote(call.path.rstrip("/").rsplit("/", 1)[-1])
        self._error = error
        self._order: m.Order | None = None
        self._asked = False

    def next_call(self) -> Call[m.GetOrderResponse] | None:
        if self._asked:
            return None
        self._asked = True

        from kalshi_core._generated.optable import OPERATIONS

        op: Any = OPERATIONS["get_order"]
        lookup: Call[m.GetOrderResponse] = make_call(op, {"order_id": self.order_id}, None)
        return lookup

    def feed(self, answer: m.GetOrderResponse) -> None:
        self._order = answer.order

    def result(self) -> T:
        order = self._order
        if order is None or order.status != "canceled":
            raise self._error
        model: Any
        if self.call.operation.operation_id == "CancelOrderV2":
            model = m.CancelOrderV2Response(
                order_id=order.order_id,
                client_order_id=order.client_order_id,
                ts_ms=_ts_ms(order.last_update_time),
            )
        else:
            model = m.CancelOrderResponse(order=order)
        result: T = _mark(model)
        return result
