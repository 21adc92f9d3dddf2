"""Descriptors that turn request builders into client methods, sync or async.

``operation(builder)`` on a class gives, on an instance of a ``SyncRunner``, a function that
builds the call and runs it (``client.get_balance()``), and on an ``AsyncRunner`` a coroutine
function (``await client.get_balance()``). ``paginated(builder, items)`` adds ``.pages(...)``
(every page) and ``.items(...)`` (every item of every page), as a generator or an async
generator; ``.of(name)`` walks another list of the same pages (``get_positions`` pages market
and event positions). ``procedure(fn)`` runs a multi-request plan (``fn`` returns a ``Plan``:
``next_call``/``feed``/``fail``/``result``) and returns its result.

**What a bound operation is.** A real function, made once per client and operation on first
access and kept in the client's ``__dict__``. So it introspects like a hand-written method:
``__name__``, ``__qualname__`` (``"AsyncClient.get_balance"``), ``__doc__`` (the builder's),
``inspect.signature`` (the builder's parameters with evaluated types; the return type is what
the call returns: the response model, not ``Call[...]``), ``typing.get_type_hints``,
``inspect.iscoroutinefunction`` (true on an async client), ``inspect.isgeneratorfunction`` /
``isasyncgenfunction`` for ``.pages``/``.items``, ``help()``, and a coroutine never awaited
warns with the method's name. ``__wrapped__`` is the builder (``inspect.getsource`` shows it).
The types a checker sees are the protocols below (``SyncBound``...); there is one definition
of each operation, the builder.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar, overload

from kalshi_core.errors import KalshiError, ValidationError
from kalshi_core.policy.pagination import Paginator
from kalshi_core.wire.call import Call

if TYPE_CHECKING:
    from kalshi_core.wire.raw import RawResponse

__all__ = [
    "AsyncBound",
    "AsyncPaginatedBound",
    "AsyncRawRunner",
    "AsyncRunner",
    "Plan",
    "SyncBound",
    "SyncPaginatedBound",
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
T_co = TypeVar("T_co", covariant=True)
I_co = TypeVar("I_co", covariant=True)


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


def _raw(result: Any) -> Any:
    """``RawResponse[result]``: what an operation bound to a raw view returns."""
    from kalshi_core.wire.raw import RawResponse

    return RawResponse[result]


# -- what a bound operation is to a type checker ------------------------------------------------


class SyncBound(Protocol[P, T_co]):
    """An operation bound to a sync client: calling it sends the request."""

    __name__: str
    __qualname__: str

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T_co: ...


class AsyncBound(Protocol[P, T_co]):
    """An operation bound to an async client: calling it returns a coroutine."""

    __name__: str
    __qualname__: str

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, T_co]: ...


class SyncPaginatedBound(SyncBound[P, T_co], Protocol[P, T_co, I_co]):
    """A cursor-paginated operation on a sync client: one page (call it), ``pages()``,
    ``items()``, and ``of(name)`` for another list of the same pages."""

    def pages(self, *args: P.args, **kwargs: P.kwargs) -> Iterator[T_co]: ...
    def items(self, *args: P.args, **kwargs: P.kwargs) -> Iterator[I_co]: ...
    def of(self, name: str) -> SyncPaginatedBound[P, T_co, Any]: ...


class AsyncPaginatedBound(AsyncBound[P, T_co], Protocol[P, T_co, I_co]):
    """A cursor-paginated operation on an async client: the same, as async iterators."""

    def pages(self, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[T_co]: ...
    def items(self, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[I_co]: ...
    def of(self, name: str) -> AsyncPaginatedBound[P, T_co, Any]: ...


# -- the functions a client's operations are ----------------------------------------------------
# Each template below is a real function; ``_bind`` copies one per client and operation with the
# operation's name, docstring, signature and annotations, its free variables (``builder``,
# ``runner``, ``items``) set to the operation's builder, the client and the page's list getter.


def _templates() -> dict[str, types.FunctionType]:
    builder: Any = None
    runner: Any = None
    items: Any = None

    def sync_call(*args: Any, **kwargs: Any) -> Any:
        return runner._run(builder(*args, **kwargs))

    async def async_call(*args: Any, **kwargs: Any) -> Any:
        return await runner._run(builder(*args, **kwargs))

    def sync_pages(*args: Any, **kwargs: Any) -> Iterator[Any]:
        paginator = Paginator(builder(*args, **kwargs))
        while (call := paginator.next_call()) is not None:
            page = runner._run(call)
            paginator.feed(page)
            yield page

    def sync_items(*args: Any, **kwargs: Any) -> Iterator[Any]:
        paginator = Paginator(builder(*args, **kwargs))
        while (call := paginator.next_call()) is not None:
            page = runner._run(call)
            paginator.feed(page)
            yield from items(page) or ()

    async def async_pages(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        paginator = Paginator(builder(*args, **kwargs))
        while (call := paginator.next_call()) is not None:
            page = await runner._run(call)
            paginator.feed(page)
            yield page

    async def async_items(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        paginator = Paginator(builder(*args, **kwargs))
        while (call := paginator.next_call()) is not None:
            page = await runner._run(call)
            paginator.feed(page)
            for item in items(page) or ():
                yield item

    def sync_plan(*args: Any, **kwargs: Any) -> Any:
        plan: Plan[Any] = builder(*args, **kwargs)
        while (call := plan.next_call()) is not None:
            try:
                answer = runner._run(call)
            except KalshiError as exc:
                raise plan.fail(exc) from exc
            plan.feed(answer)
        return plan.result()

    async def async_plan(*args: Any, **kwargs: Any) -> Any:
        plan: Plan[Any] = builder(*args, **kwargs)
        while (call := plan.next_call()) is not None:
            try:
                answer = await runner._run(call)
            except KalshiError as exc:
                raise plan.fail(exc) from exc
            plan.feed(answer)
        return plan.result()

    found = {k: v for k, v in locals().items() if isinstance(v, types.FunctionType)}
    return found


_T = _templates()


def _bind(
    template: types.FunctionType,
    *,
    name: str,
    qualname: str,
    module: str,
    doc: str | None,
    signature: inspect.Signature,
    wrapped: Callable[..., Any],
    cells: dict[str, Any],
) -> Any:
    """A copy of ``template`` called ``qualname``, its free variables taken from ``cells``."""
    code = template.__code__
    closure = tuple(types.CellType(cells.get(var)) for var in code.co_freevars)
    fn = types.FunctionType(
        code.replace(co_name=name, co_qualname=qualname),
        template.__globals__,
        name,
        None,
        closure,
    )
    fn.__qualname__ = qualname
    fn.__module__ = module
    fn.__doc__ = doc
    fn.__signature__ = signature  # type: ignore[attr-defined]
    fn.__annotations__ = _annotations(signature)
    fn.__wrapped__ = wrapped  # type: ignore[attr-defined]
    return fn


def _annotations(signature: inspect.Signature) -> dict[str, Any]:
    out = {
        p.name: p.annotation
        for p in signature.parameters.values()
        if p.annotation is not inspect.Parameter.empty
    }
    if signature.return_annotation is not inspect.Signature.empty:
        out["return"] = signature.return_annotation
    return out


class _Shape:
    """An operation's parameters with their types evaluated, and the type calling it returns
    (``T`` of the builder's ``Call[T]`` or ``Plan[T]``). Computed once per process."""

    __slots__ = ("result", "signature")

    def __init__(self, builder: Callable[..., Any]) -> None:
        sig = inspect.signature(builder)
        hints = typing.get_type_hints(builder)
        args = typing.get_args(hints.get("return"))
        self.result: Any = args[0] if args else Any
        params = [
            p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()
        ]
        self.signature = sig.replace(parameters=params, return_annotation=self.result)

    def returning(self, annotation: Any) -> inspect.Signature:
        return self.signature.replace(return_annotation=annotation)


def _item_type(page_type: Any, name: str) -> Any:
    """The element type of the page model's list field ``name`` (``Any`` when unknown)."""
    if not isinstance(page_type, type):
        return Any
    field = typing.get_type_hints(page_type).get(name)
    for arg in (field, *typing.get_args(field)):
        if typing.get_origin(arg) is list and typing.get_args(arg):
            return typing.get_args(arg)[0]
    return Any


def _list_getter(lists: tuple[str, ...], name: str) -> Callable[[Any], list[Any] | None]:
    """The accessor for the list ``name`` of a paginated operation's pages, one of ``lists``."""
    if name not in lists:
        raise ValidationError("name", f"pages have no list {name!r}; they carry {', '.join(lists)}")

    def get(page: Any) -> list[Any] | None:
        value: list[Any] | None = getattr(page, name)
        return value

    return get


# -- the descriptors ------------------------------------------------------------------------------


class _OperationDescriptor(Generic[P, T]):
    def __init__(self, builder: Callable[..., Any]) -> None:
        self.builder = builder
        self.__doc__ = builder.__doc__
        self.name = builder.__name__
        self._shape: _Shape | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @property
    def shape(self) -> _Shape:
        if self._shape is None:
            self._shape = _Shape(self.builder)
        return self._shape

    def _function(
        self, obj: Any, template: str, returns: Any, suffix: str = "", **cells: Any
    ) -> Any:
        cls = type(obj)
        qualname = f"{cls.__qualname__}.{self.name}" + (f".{suffix}" if suffix else "")
        return _bind(
            _T[template],
            name=suffix or self.name,
            qualname=qualname,
            module=cls.__module__,
            doc=self.builder.__doc__ if not suffix else None,
            signature=self.shape.returning(returns),
            wrapped=self.builder,
            cells={"builder": self.builder, "runner": obj, **cells},
        )

    def _cache(self, obj: Any, bound: Any) -> Any:
        d = getattr(obj, "__dict__", None)
        if d is not None:
            d[self.name] = bound
        return bound


class operation(_OperationDescriptor[P, T]):  # noqa: N801 - used like a decorator
    """A plain operation: ``client.name(...)`` runs it."""

    def __init__(self, builder: Callable[P, Call[T]]) -> None:
        super().__init__(builder)

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
        kind = "async" if isinstance(obj, _ASYNC) else "sync"
        result = _raw(self.shape.result) if isinstance(obj, _RAW) else self.shape.result
        return self._cache(obj, self._function(obj, f"{kind}_call", result))


_PAGES_DOC = "Every page of ``{name}``, following cursors until the server returns an empty one."
_ITEMS_DOC = "Every item of the pages' ``{list}`` list, in the server's order, across all pages."
_OF_DOC = "The same walk over the pages' ``name`` list: ``{name}.of({example!r}).items()``."


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
            kind = "async" if isinstance(obj, AsyncRawRunner) else "sync"
            return self._cache(
                obj, self._function(obj, f"{kind}_call", _raw(self.shape.result))
            )
        first = self.lists[0] if self.lists else ""
        return self._cache(obj, self._walker(obj, self.items, first))

    def _walker(self, obj: Any, items: Callable[[Any], Any], list_name: str) -> Any:
        kind = "async" if isinstance(obj, AsyncRunner) else "sync"
        page = self.shape.result
        item = _item_type(page, list_name) if list_name else Any
        walk: Any = AsyncIterator if kind == "async" else Iterator
        call = self._function(obj, f"{kind}_call", page)
        call.pages = self._function(obj, f"{kind}_pages", walk[page], "pages")
        call.pages.__doc__ = _PAGES_DOC.format(name=self.name)
        call.items = self._function(obj, f"{kind}_items", walk[item], "items", items=items)
        call.items.__doc__ = _ITEMS_DOC.format(list=list_name or "items")

        def of(name: str) -> Any:
            return self._walker(obj, _list_getter(self.lists, name), name)

        of.__qualname__ = f"{type(obj).__qualname__}.{self.name}.of"
        of.__module__ = type(obj).__module__
        of.__doc__ = _OF_DOC.format(name=self.name, example=self.lists[-1] if self.lists else "")
        call.of = of
        return call


class procedure(_OperationDescriptor[P, T]):  # noqa: N801 - used like a decorator
    """A multi-request plan: ``client.name(...)`` builds ``fn(...)`` and runs it to its result."""

    def __init__(self, fn: Callable[P, Plan[T]]) -> None:
        super().__init__(fn)

    @property
    def fn(self) -> Callable[..., Any]:
        return self.builder

    @overload
    def __get__(self, obj: None, owner: Any) -> procedure[P, T]: ...
    @overload
    def __get__(self, obj: SyncRunner, owner: Any) -> SyncBound[P, T]: ...
    @overload
    def __get__(self, obj: AsyncRunner, owner: Any) -> AsyncBound[P, T]: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        if isinstance(obj, _RAW):
            raise AttributeError(
                f"{self.name} runs several requests; with_raw_response covers single calls "
                "(use the client's on_attempt hook to see every answer)"
            )
        kind = "async" if isinstance(obj, AsyncRunner) else "sync"
        return self._cache(obj, self._function(obj, f"{kind}_plan", self.shape.result))
