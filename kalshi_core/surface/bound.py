"""Descriptors that turn request builders into client methods, sync or async.

``operation(builder)`` on a class gives, on an instance of a ``SyncRunner``, a callable that
builds the call and runs it (``client.get_balance()``), and on an ``AsyncRunner`` one that
returns a coroutine (``await client.get_balance()``). ``paginated(builder, items)`` adds
``.pages(...)`` (every page) and ``.items(...)`` (every item of every page), as an iterator or
an async iterator; ``.of(name)`` walks another list of the same pages (``get_positions`` pages
market and event positions). ``procedure(fn)`` runs a multi-request plan (``fn`` returns a
``Plan``: ``next_call``/``feed``/``fail``/``result``) and returns its result.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar, overload

from kalshi_core.errors import KalshiError
from kalshi_core.policy.pagination import Paginator
from kalshi_core.wire.call import Call

if TYPE_CHECKING:
    from kalshi_core.wire.raw import RawResponse

__all__ = [
    "AsyncRawRunner",
    "AsyncRunner",
    "Plan",
    "SyncRawRunner",
    "SyncRunner",
    "operation",
    "paginated",
    "procedure",
]

P = ParamSpec("P")
T = TypeVar("T")
I = TypeVar("I")  # noqa: E741
R_co = TypeVar("R_co", covariant=True)


class Plan(Protocol[R_co]):
    """A sans-IO flow of several requests (``kalshi_core.trading.BatchPlan`` is one).

    The runner asks ``next_call()`` until it is ``None``, hands each answer to ``feed``; when a
    call raises, it raises what ``fail(exc)`` returns instead; the outcome is ``result()``.
    """

    def next_call(self) -> Call[Any] | None: ...
    def feed(self, answer: Any) -> None: ...
    def fail(self, exc: BaseException) -> BaseException: ...
    def result(self) -> R_co: ...


class SyncRunner:
    """What a sync driver implements: run one call, return its model."""

    __slots__ = ()

    def _run(self, call: Call[T]) -> T:
        raise NotImplementedError


class AsyncRunner:
    """What an async driver implements: run one call, return its model."""

    __slots__ = ()

    async def _run(self, call: Call[T]) -> T:
        raise NotImplementedError


class SyncRawRunner:
    """What a sync raw view implements (``client.with_raw_response``): run one call, return
    its ``RawResponse``. Operations bound to it answer raw; a paginated one fetches one page."""

    __slots__ = ()

    def _run(self, call: Call[T]) -> RawResponse[T]:
        raise NotImplementedError


class AsyncRawRunner:
    """What an async raw view implements: run one call, return its ``RawResponse``."""

    __slots__ = ()

    async def _run(self, call: Call[T]) -> RawResponse[T]:
        raise NotImplementedError


_ASYNC = (AsyncRunner, AsyncRawRunner)
_RAW = (SyncRawRunner, AsyncRawRunner)


class _Bound:
    __slots__ = ("__wrapped__", "_builder", "_runner")

    def __init__(self, builder: Callable[..., Any], runner: Any) -> None:
        self._builder = builder
        self._runner = runner
        self.__wrapped__ = builder

    @property
    def __name__(self) -> str:
        return self._builder.__name__

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._builder.__doc__

    def __repr__(self) -> str:
        return f"<bound operation {self._builder.__name__} of {type(self._runner).__name__}>"


# An operation bound to a sync client: calling it sends the request.
class SyncBound(_Bound, Generic[P, T]):
    # No class docstring: ``__doc__`` is the operation's (see ``_Bound``).

    __slots__ = ()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        runner: SyncRunner = self._runner
        result: T = runner._run(self._builder(*args, **kwargs))
        return result


# An operation bound to an async client: calling it returns a coroutine.
class AsyncBound(_Bound, Generic[P, T]):
    # No class docstring: ``__doc__`` is the operation's (see ``_Bound``).

    __slots__ = ()

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        runner: AsyncRunner = self._runner
        return await runner._run(self._builder(*args, **kwargs))


# A cursor-paginated operation on a sync client: one page (call it), ``pages()`` or ``items()``.
class SyncPaginatedBound(SyncBound[P, T], Generic[P, T, I]):
    # No class docstring: ``__doc__`` is the operation's (see ``_Bound``).

    __slots__ = ("_items", "_lists")

    def __init__(
        self,
        builder: Callable[P, Call[T]],
        runner: Any,
        items: Callable[[T], list[I] | None],
        lists: tuple[str, ...] = (),
    ) -> None:
        super().__init__(builder, runner)
        self._items = items
        self._lists = lists

    def pages(self, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        """Every page, following cursors until the server returns an empty one."""
        runner: SyncRunner = self._runner
        paginator = Paginator(self._builder(*args, **kwargs))
        while (call := paginator.next_call()) is not None:
            page = runner._run(call)
            paginator.feed(page)
            yield page

    def items(self, *args: P.args, **kwargs: P.kwargs) -> Iterator[I]:
        """Every item of every page, in the server's order."""
        for page in self.pages(*args, **kwargs):
            yield from self._items(page) or ()

    def of(self, name: str) -> SyncPaginatedBound[P, T, Any]:
        """The same walk over the pages' ``name`` list: ``.of("event_positions").items()``."""
        get = _list_getter(self._lists, name)
        return SyncPaginatedBound(self._builder, self._runner, get, self._lists)


# A cursor-paginated operation on an async client: the same, as async iterators.
class AsyncPaginatedBound(AsyncBound[P, T], Generic[P, T, I]):
    # No class docstring: ``__doc__`` is the operation's (see ``_Bound``).

    __slots__ = ("_items", "_lists")

    def __init__(
        self,
        builder: Callable[P, Call[T]],
        runner: Any,
        items: Callable[[T], list[I] | None],
        lists: tuple[str, ...] = (),
    ) -> None:
        super().__init__(builder, runner)
        self._items = items
        self._lists = lists

    async def pages(self, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[T]:
        """Every page, following cursors until the server returns an empty one."""
        runner: AsyncRunner = self._runner
        paginator = Paginator(self._builder(*args, **kwargs))
        while (call := paginator.next_call()) is not None:
            page = await runner._run(call)
            paginator.feed(page)
            yield page

    async def items(self, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[I]:
        """Every item of every page, in the server's order."""
        async for page in self.pages(*args, **kwargs):
            for item in self._items(page) or ():
                yield item

    def of(self, name: str) -> AsyncPaginatedBound[P, T, Any]:
        """The same walk over the pages' ``name`` list: ``.of("event_positions").items()``."""
        get = _list_getter(self._lists, name)
        return AsyncPaginatedBound(self._builder, self._runner, get, self._lists)


def _list_getter(lists: tuple[str, ...], name: str) -> Callable[[Any], list[Any] | None]:
    """The accessor for the list ``name`` of a paginated operation's pages, one of ``lists``."""
    if name not in lists:
        raise ValueError(f"pages have no list {name!r}; they carry {', '.join(lists)}")

    def get(page: Any) -> list[Any] | None:
        value: list[Any] | None = getattr(page, name)
        return value

    return get


class SyncProcedureBound(_Bound, Generic[P, T]):
    """A multi-request plan on a sync client: calling it runs every call and returns the result."""

    __slots__ = ()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        runner: SyncRunner = self._runner
        plan: Plan[T] = self._builder(*args, **kwargs)
        while (call := plan.next_call()) is not None:
            try:
                answer = runner._run(call)
            except KalshiError as exc:
                raise plan.fail(exc) from exc
            plan.feed(answer)
        return plan.result()


class AsyncProcedureBound(_Bound, Generic[P, T]):
    """A multi-request plan on an async client: calling it returns a coroutine."""

    __slots__ = ()

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        runner: AsyncRunner = self._runner
        plan: Plan[T] = self._builder(*args, **kwargs)
        while (call := plan.next_call()) is not None:
            try:
                answer = await runner._run(call)
            except KalshiError as exc:
                raise plan.fail(exc) from exc
            plan.feed(answer)
        return plan.result()


class _OperationDescriptor(Generic[P, T]):
    def __init__(self, builder: Callable[P, Call[T]]) -> None:
        self.builder = builder
        self.__doc__ = builder.__doc__
        self.name = builder.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def _cache(self, obj: Any, bound: Any) -> Any:
        d = getattr(obj, "__dict__", None)
        if d is not None:
            d[self.name] = bound
        return bound


class operation(_OperationDescriptor[P, T]):  # noqa: N801 - used like a decorator
    """A plain operation: ``client.name(...)`` runs it."""

    @overload
    def __get__(self, obj: None, owner: Any) -> operation[P, T]: ...
    @overload
    def __get__(self, obj: SyncRunner, owner: Any) -> SyncBound[P, T]: ...
    @overload
    def __get__(self, obj: AsyncRunner, owner: Any) -> AsyncBound[P, T]: ...
    @overload
    def __get__(self, obj: SyncRawRunner, owner: Any) -> SyncBound[P, RawResponse[T]]: ...
    @overload
    def __get__(self, obj: AsyncRawRunner, owner: Any) -> AsyncBound[P, RawResponse[T]]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        if isinstance(obj, _ASYNC):
            return self._cache(obj, AsyncBound(self.builder, obj))
        return self._cache(obj, SyncBound(self.builder, obj))


class paginated(_OperationDescriptor[P, T], Generic[P, T, I]):  # noqa: N801
    """A cursor-paginated operation: ``client.name(...)`` fetches one page;
    ``client.name.pages(...)`` and ``client.name.items(...)`` walk them all."""

    def __init__(
        self,
        builder: Callable[P, Call[T]],
        items: Callable[[T], list[I] | None],
        lists: tuple[str, ...] = (),
    ) -> None:
        super().__init__(builder)
        self.items = items
        self.lists = lists

    @overload
    def __get__(self, obj: None, owner: Any) -> paginated[P, T, I]: ...
    @overload
    def __get__(self, obj: SyncRunner, owner: Any) -> SyncPaginatedBound[P, T, I]: ...
    @overload
    def __get__(self, obj: AsyncRunner, owner: Any) -> AsyncPaginatedBound[P, T, I]: ...
    @overload
    def __get__(self, obj: SyncRawRunner, owner: Any) -> SyncBound[P, RawResponse[T]]: ...
    @overload
    def __get__(self, obj: AsyncRawRunner, owner: Any) -> AsyncBound[P, RawResponse[T]]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        if isinstance(obj, _RAW):
            # One page, raw: walking pages needs the models, not the raw answers.
            raw = AsyncBound if isinstance(obj, AsyncRawRunner) else SyncBound
            return self._cache(obj, raw(self.builder, obj))
        if isinstance(obj, AsyncRunner):
            return self._cache(obj, AsyncPaginatedBound(self.builder, obj, self.items, self.lists))
        return self._cache(obj, SyncPaginatedBound(self.builder, obj, self.items, self.lists))


class procedure(Generic[P, T]):  # noqa: N801 - used like a decorator
    """A multi-request plan: ``client.name(...)`` builds ``fn(...)`` and runs it to its result."""

    def __init__(self, fn: Callable[P, Plan[T]]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.name = fn.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: Any) -> procedure[P, T]: ...
    @overload
    def __get__(self, obj: SyncRunner, owner: Any) -> SyncProcedureBound[P, T]: ...
    @overload
    def __get__(self, obj: AsyncRunner, owner: Any) -> AsyncProcedureBound[P, T]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        if isinstance(obj, _RAW):
            raise AttributeError(
                f"{self.name} runs several requests; with_raw_response covers single calls "
                "(use the client's on_attempt hook to see every answer)"
            )
        bound: Any
        if isinstance(obj, AsyncRunner):
            bound = AsyncProcedureBound(self.fn, obj)
        else:
            bound = SyncProcedureBound(self.fn, obj)
        d = getattr(obj, "__dict__", None)
        if d is not None:
            d[self.name] = bound
        return bound
