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
    """Base of every generated model (REST answers and WebSocket messages alike).

    A model parsed from JSON keeps the decoded object it came from, at every nesting level, so
    nothing the server sent is out of reach:

    * ``model.extra_fields``: the keys this SDK does not declare (a field Kalshi added after
      this release), with their JSON values, e.g. ``market.extra_fields["new_field"]``;
    * ``model.to_dict()`` / ``model.to_json()``: the model back as JSON, reproducing what was
      received (unknown keys and ``null``s included, money as its original string, timestamps
      as received) with any change made to the model since;
    * :func:`raw_json`: the decoded object itself.

    A model built in Python has no such object: its ``extra_fields`` is empty and ``to_dict``
    gives its non-``None`` fields.
    """

    __slots__ = ("_kalshi_raw",)

    @property
    def extra_fields(self) -> dict[str, Any]:
        """The received keys this model does not declare, with their JSON values (a new dict;
        empty for a model built in Python). They go back out with ``to_dict``/``to_json``."""
        raw = getattr(self, "_kalshi_raw", None)
        if not raw:
            return {}
        from kalshi_core.models._dump import field_names

        known = field_names(type(self))
        return {k: v for k, v in raw.items() if k not in known}

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data (``dict``/``list``/``str``/numbers/``None``): for a
        parsed model, the object that was received, with the model's changes since."""
        from kalshi_core.models._dump import dump

        result: dict[str, Any] = dump(self)
        return result

    def to_json(self, *, indent: int | None = None) -> str:
        """``to_dict()`` as JSON text (compact unless ``indent`` is given)."""
        from kalshi_core.models._dump import dumps

        return dumps(self, indent=indent)


def raw_json(model: Model) -> Mapping[str, Any] | None:
    """The decoded JSON object a model was parsed from (``None`` for a model built in Python).

    Every parsed model keeps its own: ``raw_json(page.orders[0])`` is that order's object.
    """
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
