"""The vocabulary of the operation table: field kinds, fields and operations, as plain values."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

import attrs

T = TypeVar("T")

__all__ = ["Field", "Kind", "Operation"]


@attrs.frozen
class Kind:
    """The type of a request field, as the spec describes it.

    ``kind`` is one of ``str``, ``int``, ``bool``, ``decimal``, ``datetime``, ``enum``,
    ``model``, ``list``, ``dict``, ``any``. ``money`` tells a dollar amount from a fixed-point
    contract count; the bounds are the spec's ``minimum``/``maximum``/``minItems``/``maxItems``.
    """

    kind: str
    name: str | None = None
    values: tuple[str, ...] = ()
    item: Kind | None = None
    money: Literal["dollars", "count"] | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    #: An integer ``*_ts`` field (Unix seconds): also takes an aware datetime or ISO 8601 text.
    timestamp: bool = False


@attrs.frozen
class Field:
    """A path, query or body field of a request."""

    name: str
    kind: Kind
    required: bool = False
    location: Literal["path", "query", "body"] = "body"


@attrs.frozen(eq=False)
class Operation(Generic[T]):
    """One endpoint of the Trade API: how to ask, and what the answer is.

    ``path`` is relative to the base URL (``/portfolio/orders/{order_id}``). ``response`` is the
    model class of a success body (``None`` for an empty one). ``items`` names the list that a
    cursor-paginated response pages through; ``essential`` the fields without which a 2xx body
    is not a meaningful answer (a write acknowledgement's ``order_id``, a list response's list).
    ``replacement`` is the method that supersedes a legacy operation.
    """

    name: str
    operation_id: str
    method: str
    path: str
    tag: str
    status: str
    auth: bool
    params: tuple[Field, ...]
    body: str | None
    response: type[T] | None
    success: tuple[int, ...]
    items: str | None
    essential: tuple[str, ...]
    replacement: str | None

    @property
    def idempotent(self) -> bool:
        """Whether repeating the request cannot change the outcome (safe methods and DELETE)."""
        return self.method in ("GET", "HEAD", "OPTIONS", "DELETE", "PUT")

    @property
    def deprecated(self) -> bool:
        return self.status in ("deprecated", "legacy")
