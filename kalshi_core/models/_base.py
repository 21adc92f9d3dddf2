"""Base classes of the generated models: tolerant enums and the raw-body slot."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

__all__ = ["BatchAnswer", "Model", "TolerantEnum", "raw_json"]

I = TypeVar("I")  # noqa: E741


class TolerantEnum(enum.StrEnum):
    """A string enum that accepts values it does not know.

    Kalshi adds enum values without notice; a page of orders must not fail because one order
    has a status this SDK has not heard of. An unknown value becomes a pseudo-member whose
    ``value`` is the string the server sent and whose ``name`` is ``"UNKNOWN"``; it compares
    equal to that string, like every member.
    """

    @classmethod
    def _missing_(cls, value: object) -> TolerantEnum | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = "UNKNOWN"
        member._value_ = value
        return member

    @property
    def known(self) -> bool:
        """False for a value the SDK's enum does not list."""
        return self._name_ != "UNKNOWN"


class Model:
    """Base of every generated model.

    Models ignore JSON keys they do not declare, but a top-level response keeps the decoded
    body it was parsed from: :func:`raw_json` returns it, so nothing the server sent is out of
    reach.
    """

    __slots__ = ("_kalshi_raw",)


def raw_json(model: Model) -> Mapping[str, Any] | None:
    """The decoded JSON body a response model was parsed from (``None`` for nested models)."""
    return getattr(model, "_kalshi_raw", None)


class BatchAnswer(Generic[I]):
    """Base of the batch write answers: one item per order, in the order they were sent.

    A rejected order is reported on its item (``item.error``, an ``ErrorResponse`` with
    ``code`` and ``message``); the batch itself never raises for it, and the orders that went
    through stay in ``accepted``.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        orders: list[I] | None

    @property
    def accepted(self) -> list[I]:
        """The items the exchange accepted (no ``error``)."""
        return [item for item in self.orders or () if getattr(item, "error", None) is None]

    @property
    def rejected(self) -> list[I]:
        """The items the exchange refused; each carries its ``error``."""
        return [item for item in self.orders or () if getattr(item, "error", None) is not None]

    @property
    def order_ids(self) -> list[str]:
        """The ids of the accepted orders (``order_id``, or ``order.order_id`` in V1 answers)."""
        out = []
        for item in self.accepted:
            oid = getattr(item, "order_id", None)
            if oid is None:
                oid = getattr(getattr(item, "order", None), "order_id", None)
            if oid is not None:
                out.append(oid)
        return out
