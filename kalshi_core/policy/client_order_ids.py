"""Client order ids: every order create carries one, fixed before the first attempt.

When the caller gives none, ``make_call`` asks ``ensure_client_order_ids`` to put a UUID4 on
each order of a create body (V2 and V1, single and batch). Every retry resends the same bytes,
so the exchange sees the same id and refuses to create the order twice. What happens when a
retry meets that refusal is ``kalshi_core.policy.idempotency``'s business.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BATCH_CREATES", "CREATES", "ensure_client_order_ids"]

#: Single-order creates and batch creates, by operationId.
CREATES = frozenset({"CreateOrderV2", "CreateOrder"})
BATCH_CREATES = frozenset({"BatchCreateOrdersV2", "BatchCreateOrders"})


def _new_id() -> str:
    import uuid  # on first use: keeps ``import kalshi_core`` light

    return str(uuid.uuid4())


def ensure_client_order_ids(operation_id: str, values: dict[str, Any]) -> None:
    """Give every order of a create body a ``client_order_id`` (UUID4) if it has none.

    Called by ``make_call`` on the validated body, so the id is fixed before the first attempt.
    """
    if operation_id in CREATES:
        if not values.get("client_order_id"):
            values["client_order_id"] = _new_id()
    elif operation_id in BATCH_CREATES:
        for order in values.get("orders") or ():
            if isinstance(order, dict) and not order.get("client_order_id"):
                order["client_order_id"] = _new_id()
