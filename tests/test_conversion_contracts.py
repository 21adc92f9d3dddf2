"""What the converter promises, stated one rule at a time (``kalshi_core.models._converter`` and
its compiled fast path ``_compiled``).

- A body that does not fit raises ``StructureError`` (``DecodeError`` at the client), whose
  message says, for up to five problems, what was wrong with the value and where:
  ``expected a boolean, got str @ Order.cancel_order_on_pause``.
- Lists come only from JSON arrays and maps only from JSON objects; a ``null`` element or map
  value stays ``None``; map keys are strings.
- Decimal strings are interned: the same text gives the same ``Decimal`` object, in a table that
  stops growing at 65,536 entries (a hostile stream of distinct prices cannot grow it forever).
- Timestamps are aware: no zone means UTC; they are written back with ``Z`` for UTC and with
  their own offset otherwise.

Each test names the mutation it catches (``nox -s mutation -- conversion``).
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest

from kalshi_core import Response, builders, errors, models
from kalshi_core.models import _compiled
from kalshi_core.models._converter import DETAILED, FAST, StructureError, structure, unstructure

WRONG_VALUES = [
    ("order_id", 5, "expected a string, got int"),
    ("order_id", ["a"], "expected a string, got list"),
    ("cancel_order_on_pause", "true", "expected a boolean, got str"),
    ("cancel_order_on_pause", 1, "expected a boolean, got int"),
    ("yes_price", "56x", "not an integer: '56x'"),
    ("yes_price", 56.5, "expected an integer, got float"),
    ("yes_price", [56], "expected an integer, got list"),
    ("yes_price_dollars", "abc", "not a decimal: 'abc'"),
    ("yes_price_dollars", "NaN", "not a finite decimal: 'NaN'"),
    ("yes_price_dollars", "-Infinity", "not a finite decimal: '-Infinity'"),
    ("yes_price_dollars", True, "a boolean is not a decimal"),
    ("yes_price_dollars", {"v": 1}, "expected a decimal string, got dict"),
    ("created_time", "yesterday", "not an ISO 8601 time: 'yesterday'"),
    ("created_time", 1700000000, "expected an ISO 8601 string, got int"),
    ("status", 3, "expected a string for OrderStatus, got int"),
]


@pytest.mark.parametrize(("field", "value", "what"), WRONG_VALUES)
def test_a_wrong_value_is_named_with_what_was_wrong(field: str, value: Any, what: str) -> None:
    """Broken by: a hook's message replaced or naming ``NoneType``, the path prefix dropped,
    cattrs' generic wording in place of the hook's."""
    with pytest.raises(StructureError) as info:
        structure({"order_id": "o-1", field: value}, models.Order)
    assert str(info.value) == f"{what} @ Order.{field}"


def test_a_long_wrong_value_is_shown_cut_short() -> None:
    """Broken by: the whole hostile value echoed, or the ellipsis dropped."""
    with pytest.raises(StructureError) as info:
        structure({"yes_price_dollars": "9" * 30 + "x" * 10_000}, models.Order)
    shown = "'" + "9" * 30 + "x" * 10 + "'..."
    assert str(info.value) == f"not a decimal: {shown} @ Order.yes_price_dollars"


def test_at_most_five_problems_are_named() -> None:
    """Broken by: another cap, or no cap."""
    body = dict.fromkeys(("order_id", "user_id", "client_order_id", "ticker", "type"), 7)
    body |= {"order_group_id": 8, "yes_price": "x"}
    with pytest.raises(StructureError) as info:
        structure(body, models.Order)
    problems = str(info.value).split("; ")
    assert len(problems) == 5
    assert all(re.fullmatch(r"[^@]+ @ Order\.\w+", p) for p in problems), problems


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"orders": "x"}, "expected a JSON array, got str @ GetOrdersResponse.orders"),
        ({"orders": {"0": {}}}, "expected a JSON array, got dict @ GetOrdersResponse.orders"),
        (
            {"orders": [{}, 5]},
            "expected a JSON object for Order, got int @ GetOrdersResponse.orders[1]",
        ),
        (
            {"orders": [{"order_id": 1}]},
            "expected a string, got int @ GetOrdersResponse.orders[0].order_id",
        ),
    ],
)
def test_lists_come_only_from_arrays_of_the_right_things(body: Any, message: str) -> None:
    """Broken by: the list hook factory not registered (cattrs would take a string as a list
    of characters), or a refusal without the path."""
    with pytest.raises(StructureError) as info:
        structure(body, models.GetOrdersResponse)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"filters_by_sports": ["x"]},
            "expected a JSON object, got list @ GetFiltersBySportsResponse.filters_by_sports",
        ),
        (
            {"filters_by_sports": {"nfl": "x"}},
            "expected a JSON object for SportFilterDetails, got str"
            " @ GetFiltersBySportsResponse.filters_by_sports['nfl']",
        ),
    ],
)
def test_maps_come_only_from_objects(body: Any, message: str) -> None:
    """Broken by: the map hook factory not registered, or its type check inverted."""
    with pytest.raises(StructureError) as info:
        structure(body, models.GetFiltersBySportsResponse)
    assert str(info.value) == message


def test_a_top_level_body_of_the_wrong_kind_is_refused() -> None:
    """Broken by: the model hook taking a string or a list as a model."""
    for body, kind in (("x", "str"), ([], "list"), (None, "NoneType"), (5, "int")):
        with pytest.raises(StructureError) as info:
            structure(body, models.Order)
        assert str(info.value) == f"Order: expected a JSON object for Order, got {kind}"


def test_null_elements_and_values_stay_none_and_keys_stay_text() -> None:
    """Broken by: a ``null`` element handed to the element's hook, a ``None`` check inverted,
    or a key replaced."""
    data = {
        "filters_by_sports": {
            "nfl": {"scopes": ["Games", None], "competitions": {"AFC": None}},
            "nba": None,
        }
    }
    for converter in (FAST, DETAILED):
        parsed = converter.structure(data, models.GetFiltersBySportsResponse)
        assert parsed.filters_by_sports is not None
        assert list(parsed.filters_by_sports) == ["nfl", "nba"]
        nfl = parsed.filters_by_sports["nfl"]
        assert nfl.scopes == ["Games", None]
        assert nfl.competitions == {"AFC": None}
        assert parsed.filters_by_sports["nba"] is None
    orders = structure({"orders": [None, {"order_id": "a"}]}, models.GetOrdersResponse).orders
    assert orders is not None
    assert orders[0] is None
    assert orders[1] is not None
    assert orders[1].order_id == "a"


def test_nested_lists_and_maps_of_lists() -> None:
    """Broken by: the element converter of a nested list or a map of lists lost."""
    tags = structure(
        {"tags_by_categories": {"Sports": ["NFL", "NBA"], "Empty": []}},
        models.GetTagsForSeriesCategoriesResponse,
    ).tags_by_categories
    assert tags == {"Sports": ["NFL", "NBA"], "Empty": []}
    with pytest.raises(StructureError, match=r"tags_by_categories\['Sports'\]\[1\]"):
        structure(
            {"tags_by_categories": {"Sports": ["NFL", 5]}},
            models.GetTagsForSeriesCategoriesResponse,
        )
    candles = structure(
        {"market_candlesticks": [[{"end_period_ts": 1}], []]}, models.GetEventCandlesticksResponse
    ).market_candlesticks
    assert candles is not None
    assert [len(c) for c in candles] == [1, 0]
    assert candles[0][0].end_period_ts == 1


def test_the_same_decimal_text_gives_the_same_object() -> None:
    """Broken by: the interning table not consulted, not filled, or filled only for a full
    table. (Dump relies on it to tell an unchanged price in one identity check.)"""
    first = structure({"yes_price_dollars": "0.4242"}, models.Order).yes_price_dollars
    second = structure({"yes_price_dollars": "0.4242"}, models.Order).yes_price_dollars
    assert first == Decimal("0.4242")
    assert first is second
    fills = structure({"fills": [{"price": 0.37}, {"price": 0.37}]}, models.GetFillsResponse).fills
    assert fills is not None
    assert fills[0] is not None
    assert fills[1] is not None
    assert fills[0].price == Decimal("0.37")
    assert fills[0].price is fills[1].price


def test_interning_does_not_confuse_kinds_or_signs() -> None:
    """``1.0`` never answers for ``1`` or ``True``, and ``-0.0`` keeps its sign."""
    prices = structure(
        {"fills": [{"price": 1.0}, {"price": 1}, {"price": -0.0}, {"price": 0.0}]},
        models.GetFillsResponse,
    ).fills
    assert prices is not None
    got = [f.price for f in prices if f is not None]
    assert [str(p) for p in got] == ["1.0", "1", "-0.0", "0.0"]
    with pytest.raises(StructureError, match="a boolean is not a decimal"):
        structure({"fills": [{"price": True}]}, models.GetFillsResponse)


def test_the_interning_table_stops_growing() -> None:
    """Broken by: the cap's comparison inverted or dropped: a stream of distinct prices would
    grow the table without bound."""
    table = _compiled._decimal_table(FAST.get_structure_hook(Decimal))
    cap = _compiled._DECIMALS_MAX
    start = len(table)
    body = {"orders": [{"yes_price_dollars": f"0.{n:06d}"} for n in range(cap - start + 50)]}
    parsed = structure(body, models.GetOrdersResponse).orders
    assert parsed is not None
    assert parsed[-1] is not None
    assert parsed[-1].yes_price_dollars == Decimal(f"0.{cap - start + 49:06d}")
    assert len(table) == cap


def test_a_zoneless_time_is_utc_and_times_write_back_with_their_offset() -> None:
    """Broken by: a zoneless time left naive, or every offset written as ``Z``."""
    for converter in (FAST, DETAILED):
        order = converter.structure(
            {"created_time": "2026-03-14T15:09:26.123456789", "expiration_time": None},
            models.Order,
        )
        assert order.created_time == datetime(2026, 3, 14, 15, 9, 26, 123456, tzinfo=UTC)
    east = timezone(timedelta(hours=5, minutes=30))
    order = models.Order(
        created_time=datetime(2026, 3, 14, 15, 9, 26, tzinfo=east),
        last_update_time=datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC),
    )
    data = unstructure(order)
    assert data["created_time"] == "2026-03-14T15:09:26+05:30"
    assert data["last_update_time"] == "2026-03-14T15:09:26Z"


def test_unstructure_writes_decimals_as_text_and_enums_as_plain_strings() -> None:
    """Broken by: the Decimal or enum unstructure hook lost (an enum would stay a member: a
    ``str`` subclass that is not JSON-ready data for every encoder)."""
    order = models.Order(
        yes_price_dollars=Decimal("0.5600"),
        status=models.OrderStatus("resting"),
        side=models.YesNo("brand_new_side"),
        yes_price=56,
    )
    data = unstructure(order)
    assert data == {
        "yes_price_dollars": "0.5600",
        "status": "resting",
        "side": "brand_new_side",
        "yes_price": 56,
    }
    assert [type(data[k]) for k in ("yes_price_dollars", "status", "side")] == [str, str, str]


def test_the_client_reports_the_converter_s_words() -> None:
    """The message a user sees on a malformed answer carries the field and the problem."""
    body = {"order": {"order_id": "o", "yes_price_dollars": "1.2.3"}}
    with pytest.raises(errors.DecodeError) as info:
        builders.get_order(order_id="o").parse(Response(status=200, body=json.dumps(body).encode()))
    assert "not a decimal: '1.2.3' @ GetOrderResponse.order.yes_price_dollars" in str(info.value)


def test_a_value_of_exactly_the_shown_length_has_no_ellipsis() -> None:
    """Broken by: the ellipsis added at the boundary."""
    forty = "z" * 40
    with pytest.raises(StructureError) as info:
        structure({"yes_price_dollars": forty}, models.Order)
    assert str(info.value) == f"not a decimal: '{forty}' @ Order.yes_price_dollars"


def test_an_integral_float_or_integer_text_is_an_integer() -> None:
    """Older answers carry counts as ``56.0`` or ``"56"``; both are the integer 56. A fraction
    is refused."""
    for value in (56.0, "56", 56):
        for converter in (FAST, DETAILED):
            price = converter.structure({"yes_price": value}, models.Order).yes_price
            assert price == 56
            assert type(price) is int
    with pytest.raises(StructureError, match=r"expected an integer, got float @ Order\.yes_price"):
        structure({"yes_price": 56.5}, models.Order)


def test_other_failures_keep_cattrs_words() -> None:
    """A failure that is not a hook's own ``TypeError``/``ValueError`` with a message (a missing
    required field, a bare ``ValueError()``) is worded by cattrs, for the field's type."""
    from kalshi_core.models._converter import _describe

    assert _describe(KeyError("ticker"), str) == "required field missing"
    assert _describe(ValueError(), int) == "invalid value for type, expected int"
    assert _describe(TypeError(), str) == "invalid value for type, expected str"
    assert _describe(ArithmeticError("overflow"), int) == "unknown error (overflow)"
    assert _describe(TypeError("expected a string, got int"), str) == "expected a string, got int"


# The compiled function's own contract (``_compiled``): a value of the exact JSON type takes the
# fast path, anything else goes to the converter's own hook for the field's type, called with
# the value and that type. A spy converter (the same hooks, each call recorded) tells the two.


@attrs.define
class _Leaf:
    n: int | None = None


@attrs.define
class _Every:
    s: str | None = None
    i: int | None = None
    b: bool | None = None
    d: Decimal | None = None
    t: datetime | None = None
    e: models.OrderStatus | None = None
    leaf: _Leaf | None = None
    ls: list[str] | None = None
    li: list[int] | None = None
    lb: list[bool] | None = None
    ld: list[Decimal] | None = None
    lt: list[datetime] | None = None
    le: list[models.OrderStatus] | None = None
    ll: list[_Leaf] | None = None
    di: dict[str, int] | None = None
    dl: dict[str, _Leaf] | None = None
    tu: tuple[int, ...] | None = None
    st: set[str] | None = None
    pair: tuple[str, int] | None = None


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[tuple[Any, Any]]]:
    """A stand-in for a converter, as ``compile_structure`` uses one (``get_structure_hook``):
    the converter's hooks, each call recorded. The process's decimal table is set aside for
    the test, so that the one built here consults the spy."""
    from kalshi_core.models._converter import _configure

    calls: list[tuple[Any, Any]] = []
    converter = _configure(cattrs.Converter(detailed_validation=False))
    for cls in (_Every, _Leaf):  # compiled once per class: compile them for this spy
        _compiled._compiled.pop(cls, None)
    monkeypatch.setattr(_compiled, "_DECIMALS", None)

    class Spy:
        def get_structure_hook(self, t: Any) -> Any:
            hook = converter.get_structure_hook(t)

            def recorded(value: Any, type_: Any) -> Any:
                calls.append((value, type_))
                return hook(value, type_)

            return recorded

    return Spy(), calls


def test_exact_values_take_the_fast_path_and_keep_their_meaning(
    spy: tuple[Any, list[tuple[Any, Any]]],
) -> None:
    """Broken by: the fast check skipped or inverted, a container or model routed to the
    wrong converter, a known enum value looked up wrongly, an aware time given UTC."""
    from kalshi_core.models._compiled import compile_structure

    converter, calls = spy
    structure_every = compile_structure(_Every, converter)
    plus5 = timezone(timedelta(hours=5))
    got = structure_every(
        {
            "s": "x",
            "i": 3,
            "b": False,
            "d": "0.25",
            "t": "2026-03-14T15:09:26+05:00",
            "e": "resting",
            "leaf": {"n": 1},
            "ls": ["a", None],
            "li": [1, 2],
            "lb": [True, False],
            "ld": ["0.10", None],
            "lt": ["2026-03-14T15:09:26+05:00", "2026-03-14T15:09:26"],
            "le": ["canceled"],
            "ll": [{"n": 2}, None],
            "di": {"a": 1, "b": None},
            "dl": {"k": {"n": 3}},
        }
    )
    assert calls == []
    assert got == _Every(
        s="x",
        i=3,
        b=False,
        d=Decimal("0.25"),
        t=datetime(2026, 3, 14, 15, 9, 26, tzinfo=plus5),
        e=models.OrderStatus("resting"),
        leaf=_Leaf(n=1),
        ls=["a", None],
        li=[1, 2],
        lb=[True, False],
        ld=[Decimal("0.10"), None],
        lt=[
            datetime(2026, 3, 14, 15, 9, 26, tzinfo=plus5),
            datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC),
        ],
        le=[models.OrderStatus("canceled")],
        ll=[_Leaf(n=2), None],
        di={"a": 1, "b": None},
        dl={"k": _Leaf(n=3)},
    )
    assert got.lt is not None
    assert got.lt[0].utcoffset() == timedelta(hours=5)


def test_other_values_go_to_the_converter_s_hook_with_their_type(
    spy: tuple[Any, list[tuple[Any, Any]]],
) -> None:
    """Broken by: the hook called without the value or the type, or not called at all."""
    from kalshi_core.models._compiled import compile_structure

    converter, calls = spy
    structure_every = compile_structure(_Every, converter)
    got = structure_every(
        {"i": "7", "d": 0.5, "e": "brand_new", "li": [8.0], "ls": [], "tu": [1, 2]}
    )
    assert got.i == 7
    assert got.d == Decimal("0.5")
    assert got.e == "brand_new"
    assert got.li == [8]
    assert got.tu == (1, 2)
    assert ("7", int) in calls
    assert (0.5, Decimal) in calls
    assert ("brand_new", models.OrderStatus) in calls
    assert (8.0, int) in calls
    assert ([1, 2], tuple[int, ...]) in calls
    both = structure_every({"st": ["a", "a"], "pair": ["a", 1]})
    assert (both.st, both.pair) == ({"a"}, ("a", 1))
    calls.clear()
    for field in ("leaf", "ls", "di"):  # a model, a list, a map: not a time, whatever it reads
        with pytest.raises(TypeError):
            structure_every({field: "2026-03-14T15:09:26+05:00"})
    assert calls == []
    for field, value, type_ in (
        ("b", "yes", bool),
        ("s", 5, str),
        ("t", 5, datetime),
        ("lt", [5], datetime),
        ("lb", [1], bool),
        ("ld", [[]], Decimal),
        ("d", True, Decimal),
    ):
        calls.clear()
        with pytest.raises((TypeError, ValueError)):
            structure_every({field: value})
        shown = value[0] if isinstance(value, list) else value
        assert calls == [(shown, type_)], field


def test_a_model_built_by_hand_with_plain_text_for_an_enum_keeps_the_text() -> None:
    assert unstructure(models.Order(side="yes"))["side"] == "yes"  # type: ignore[arg-type]


# Classes the compiled path must treat with care: it fills a fresh instance's slots itself only
# for a class whose ``__init__`` would just store its arguments (``_compiled._plain``).


def _positive(_: Any, __: Any, value: int | None) -> None:
    if value is not None and value <= 0:
        raise ValueError("must be positive")


@attrs.define
class _Validated:
    n: int | None = attrs.field(default=None, validator=_positive)


@attrs.define
class _Converted:
    n: int | None = attrs.field(default=None, converter=lambda v: None if v is None else v * 10)


@attrs.frozen
class _Frozen:
    n: int | None = None


@attrs.define
class _PostInit:
    n: int | None = None

    def __attrs_post_init__(self) -> None:
        _POST_INITS.append(type(self).__name__)


@attrs.define
class _PreInit:
    n: int | None = None

    def __attrs_pre_init__(self) -> None:
        _PRE_INITS.append(type(self).__name__)


@attrs.define
class _OnSetattr:
    n: int | None = attrs.field(default=None, on_setattr=attrs.setters.validate)


_PRE_INITS: list[str] = []
_POST_INITS: list[str] = []


# Validators and converters without attrs' ``on_setattr`` hooks: ``__setattr__`` is plain, and
# only the fields tell that ``__init__`` does more than store.
@attrs.define(on_setattr=attrs.setters.NO_OP)
class _ValidatedNoHooks:
    n: int | None = attrs.field(default=None, validator=_positive)


@attrs.define(on_setattr=attrs.setters.NO_OP)
class _ConvertedNoHooks:
    n: int | None = attrs.field(default=None, converter=lambda v: None if v is None else v * 10)


@attrs.define(slots=True, kw_only=True, frozen=True)
class _FrozenModel(models.Order.__mro__[1]):  # type: ignore[misc]  # ``Model``, the base
    order_id: str | None = None
    count: int | None = None


def test_classes_with_init_logic_are_built_through_init() -> None:
    """Broken by: ``_plain`` answering yes for a class with a validator, a converter, an
    ``on_setattr`` hook, pre/post-init or a frozen ``__setattr__`` (the compiled function would
    then skip that logic), or the ``__init__`` call written wrongly."""
    with pytest.raises(ValueError, match="must be positive"):
        FAST.structure({"n": -1}, _Validated)
    assert FAST.structure({"n": 2}, _Validated) == _Validated(n=2)
    assert FAST.structure({"n": 2}, _Converted).n == 20
    frozen = FAST.structure({"n": 3}, _Frozen)
    assert frozen == _Frozen(n=3)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        frozen.n = 4  # type: ignore[misc]
    _POST_INITS.clear()
    assert FAST.structure({"n": 4}, _PostInit).n == 4
    assert _POST_INITS == ["_PostInit"]
    with pytest.raises(ValueError, match="must be positive"):
        FAST.structure({"n": -1}, _ValidatedNoHooks)
    assert FAST.structure({"n": 2}, _ConvertedNoHooks).n == 20
    assert not _compiled._plain(_ValidatedNoHooks)
    assert not _compiled._plain(_ConvertedNoHooks)
    _PRE_INITS.clear()
    assert FAST.structure({"n": 5}, _PreInit).n == 5
    assert _PRE_INITS == ["_PreInit"]
    assert FAST.structure({"n": 6}, _OnSetattr).n == 6
    assert not _compiled._plain(_OnSetattr)
    plain = [_compiled._plain(c) for c in (_Validated, _Converted, _Frozen, _PostInit, _PreInit)]
    assert plain == [False] * 5
    assert _compiled._plain(_Leaf)
    assert _compiled._plain(models.Order)


def test_a_frozen_model_keeps_the_object_it_came_from() -> None:
    """Broken by: the received object not kept on a model built through ``__init__`` (its
    unknown keys would be lost from ``extra_fields`` and ``to_dict``)."""
    parsed = FAST.structure({"order_id": "o", "count": 2, "new_key": [1]}, _FrozenModel)
    assert (parsed.order_id, parsed.count) == ("o", 2)
    assert parsed.extra_fields == {"new_key": [1]}
    assert parsed.to_dict() == {"order_id": "o", "count": 2, "new_key": [1]}


@attrs.define
class _WithDefault(models.Order.__mro__[1]):  # type: ignore[misc]
    n: int = 5
    label: str | None = None


def test_a_class_with_a_default_other_than_none_is_left_to_cattrs() -> None:
    """Broken by: ``compiles`` taking such a class (its default would become ``None``), or
    cattrs' path not keeping the received object on a model."""
    assert not _compiled.compiles(_WithDefault)
    for converter in (FAST, DETAILED):
        parsed = converter.structure({"label": "x", "extra": True}, _WithDefault)
        assert (parsed.n, parsed.label) == (5, "x")
        assert parsed.extra_fields == {"extra": True}


@attrs.define
class _Node:
    name: str | None = None
    children: list[_Node] | None = None
    parent: _Node | None = None


def test_recursive_models_compile_once_and_terminate() -> None:
    """Broken by: the cache not consulted or not filled (a recursive model would compile
    forever, every call would compile again)."""
    from kalshi_core.models._compiled import compile_structure

    function = compile_structure(_Node, FAST)
    assert compile_structure(_Node, FAST) is function
    tree = function({"name": "a", "children": [{"name": "b", "children": []}], "parent": None})
    assert tree == _Node(name="a", children=[_Node(name="b", children=[])])


@attrs.define
class _Bare:
    n: int = None  # type: ignore[assignment]  # a hint without ``| None``, defaulting to None
    when: datetime = None  # type: ignore[assignment]


def test_a_field_hinted_without_none_is_still_structured_by_its_type() -> None:
    """Broken by: the hint of a field that is not ``X | None`` dropped."""
    parsed = FAST.structure({"n": "4", "when": "2026-01-02T03:04:05"}, _Bare)
    assert parsed.n == 4
    assert parsed.when == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(TypeError):
        FAST.structure({"n": []}, _Bare)


@attrs.define
class _Either:
    x: int | str = None  # type: ignore[assignment]  # a union that is not ``X | None``


@attrs.define
class _EitherOrNone:
    x: int | str | None = None


def test_a_union_is_not_read_as_its_first_member_and_a_failed_compile_leaves_no_trace() -> None:
    """Only ``X | None`` is an optional ``X``; any other union goes to the converter, which
    has no hook for it. The refusal repeats: no half-built function is left in the cache."""
    from kalshi_core.models._compiled import compile_structure

    for cls in (_Either, _EitherOrNone):
        for _ in range(2):
            with pytest.raises(cattrs.errors.StructureHandlerNotFoundError):
                compile_structure(cls, FAST)
        assert cls not in _compiled._compiled


def test_a_list_of_its_own_kind_is_read_at_every_depth() -> None:
    from kalshi_core.models._compiled import compile_structure

    function = compile_structure(_Node, FAST)
    assert _compiled._compiled[_Node] is function
    deep: dict[str, Any] = {"name": "leaf"}
    for level in range(5):
        deep = {"name": f"n{level}", "children": [deep], "parent": {"name": "p"}}
    node = function(deep)
    for level in reversed(range(5)):
        assert node.name == f"n{level}"
        assert node.parent == _Node(name="p")
        assert node.children is not None
        node = node.children[0]
    assert node == _Node(name="leaf")


@attrs.define
class Branch:
    leaves: list[_Leaf] | None = None
    sub: list[Branch] | None = None
    up: Branch | None = None


@attrs.define
class Tree:
    root: Branch | None = None
    branches: dict[str, Branch] | None = None


def test_threads_parsing_a_model_first_seen_all_get_it_whole() -> None:
    """Several threads meeting a model (and the models it refers to) for the first time at
    once: each gets a complete function, never a stand-in of another thread's compile."""
    import threading

    data = {
        "root": {"leaves": [{"n": 1}], "sub": [{"sub": [], "up": {"leaves": []}}]},
        "branches": {"a": {"leaves": [{"n": 2}]}},
    }
    expected = Tree(
        root=Branch(leaves=[_Leaf(n=1)], sub=[Branch(sub=[], up=Branch(leaves=[]))]),
        branches={"a": Branch(leaves=[_Leaf(n=2)])},
    )
    start = threading.Barrier(8)
    results: list[Any] = []

    def parse() -> None:
        start.wait()
        try:
            results.append(FAST.structure(data, Tree))
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            results.append(exc)

    threads = [threading.Thread(target=parse) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, inside the compile too
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sys.setswitchinterval(interval)
    assert results == [expected] * 8
    assert not _compiled._compiling


def test_a_parsed_model_keeps_its_unknown_keys_on_the_compiled_path() -> None:
    """Broken by: the compiled function not keeping the received object on the model."""
    order = structure({"order_id": "o", "brand_new_field": {"x": 1}}, models.Order)
    assert order.extra_fields == {"brand_new_field": {"x": 1}}
    assert order.to_dict() == {"order_id": "o", "brand_new_field": {"x": 1}}


def test_an_object_with_the_last_field_but_not_every_other_still_parses() -> None:
    """The compiled function fetches every field at once when the last one is present, and
    falls back to one at a time when another is missing. Broken by: the fallback lost."""
    last = attrs.fields(models.Order)[-1].name
    order = structure({"order_id": "o", last: 3}, models.Order)
    assert order.order_id == "o"
    assert getattr(order, last) == 3
    assert order.ticker is None
