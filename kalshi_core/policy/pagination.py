"""The cursor paginator: a state machine that says which page to ask for next.

Kalshi's list endpoints answer a ``cursor``; sending it back returns the next page, and an
empty cursor means there is none. ``Paginator`` never sends anything: ``next_call()`` returns
the ``Call`` for the next page (or ``None`` when done), and ``feed(page)`` records the page's
cursor. A cursor the server already returned would make the walk loop forever, so it raises
``PaginationError`` instead.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from kalshi_core.errors import PaginationError
from kalshi_core.wire.call import Call

__all__ = ["Paginator"]

T = TypeVar("T")


class Paginator(Generic[T]):
    """Walks the pages of one cursor-paginated call.

    The first ``next_call()`` is the call as given (with any cursor it carries); each ``feed``
    must be given the page that the previous ``next_call()`` fetched.
    """

    __slots__ = ("_done", "_next", "_seen", "pages")

    def __init__(self, call: Call[T]) -> None:
        self._next: Call[T] | None = call
        self._seen: set[str] = set()
        first = call.query_value("cursor")
        if first:
            self._seen.add(first)
        self._done = False
        self.pages = 0

    @property
    def done(self) -> bool:
        return self._done

    def next_call(self) -> Call[T] | None:
        """The call for the next page, or ``None`` when the last page has been fed."""
        return None if self._done else self._next

    def feed(self, page: Any) -> None:
        """Record a fetched page; decides whether there is another."""
        if self._next is None or self._done:
            raise RuntimeError("feed() called without an outstanding page")
        self.pages += 1
        cursor = getattr(page, "cursor", None)
        if not cursor:
            self._done = True
            self._next = None
            return
        if cursor in self._seen:
            self._done = True
            raise PaginationError(
                f"{self._next.operation.name}: the server repeated cursor {cursor!r}; "
                "stopping instead of looping"
            )
        self._seen.add(cursor)
        self._next = self._next.with_query(cursor=cursor)
