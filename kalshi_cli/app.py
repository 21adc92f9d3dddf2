"""The ``kalshi`` commands (Typer): one function per command, each a thin layer over the
sync client, ``kalshi_cli.render`` for output and the helpers beside it.

Exit status: 0 on success, 1 when Kalshi (or the network) refused or failed, 2 for a bad
argument (``ValidationError`` names the field), 130 on Ctrl-C.
"""

from __future__ import annotations

import enum
import json as json_module
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from kalshi_cli import doctor as doctor_checks
from kalshi_cli.export import KINDS, Exporter, parse_since
from kalshi_cli.ladder import Ladder
from kalshi_cli.render import (
    Column,
    dump_json,
    print_json_lines,
    stderr_console,
    table,
)
from kalshi_cli.settings import Settings
from kalshi_core.errors import KalshiError, ValidationError
from kalshi_sync import Client

__all__ = ["app", "run"]

app = typer.Typer(
    name="kalshi",
    help="Kalshi's Trade API from a terminal: setup checks, account, orders, markets, a live "
    "book and history export. Settings come from KALSHI_* variables, as Client.from_env().",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
order_app = typer.Typer(help="Place an order: buy or sell YES or NO at a price.",
                        no_args_is_help=True)
app.add_typer(order_app, name="order")

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Machine-readable output: JSON, or JSON lines for lists.")
]


class _Cli:
    """The settings the callback parsed, shared by the commands of one invocation."""

    settings: Settings = Settings()


@app.callback()
def _main(
    env: Annotated[
        str | None, typer.Option("--env", help="production, demo, elections, demo-legacy.")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Any base URL ending in /trade-api/v2.")
    ] = None,
    key_id: Annotated[str | None, typer.Option("--key-id", help="Your API key id.")] = None,
    private_key: Annotated[
        str | None, typer.Option("--private-key", help="Path to your private key (PEM).")
    ] = None,
    json: JsonFlag = False,
) -> None:
    _Cli.settings = Settings.from_flags(
        env=env, base_url=base_url, key_id=key_id, private_key_path=private_key, json=json
    )


def _settings(json: bool) -> Settings:
    return _Cli.settings.with_json(json)


@contextmanager
def _client(settings: Settings) -> Iterator[Client]:
    client = settings.client()
    try:
        yield client
    finally:
        client.close()


def _console() -> Console:
    return Console()


@contextmanager
def _progress(what: str) -> Iterator[Callable[[int], None]]:
    """A spinner with a record count on stderr (only on a terminal); yields ``update(n)``."""
    console = stderr_console()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(f"{what}: 0", total=None)
        yield lambda n: progress.update(task, description=f"{what}: {n:,}")


def _walk(pages: Iterator[Any], list_name: str, what: str) -> list[Any]:
    records: list[Any] = []
    with _progress(what) as update:
        for page in pages:
            records.extend(getattr(page, list_name, None) or [])
            update(len(records))
    return records


def _show_list(settings: Settings, title: str, columns: list[Column], records: list[Any]) -> None:
    if settings.json:
        print_json_lines(records)
        return
    console = _console()
    if not records:
        console.print(f"No {title.lower()}.")
        return
    console.print(table(title, columns, records))


# -- doctor ------------------------------------------------------------------------------------
_MARKS = {
    doctor_checks.Status.PASS: "[green]✓ pass[/]",
    doctor_checks.Status.WARN: "[yellow]! warn[/]",
    doctor_checks.Status.FAIL: "[red]✗ FAIL[/]",
    doctor_checks.Status.SKIP: "[dim]- skip[/]",
}


@app.command()
def doctor(json: JsonFlag = False) -> None:
    """Check the setup: key id, key file, host, clock, the key against Kalshi, rate limits."""
    settings = _settings(json)
    results: list[doctor_checks.Check] = []
    console = _console()
    from kalshi_cli.stream_check import websocket_check

    for check in doctor_checks.run_checks(settings.environ, websocket_check=websocket_check):
        results.append(check)
        if not settings.json:
            console.print(f"{_MARKS[check.status]}  [bold]{check.name}[/]: {check.detail}",
                          highlight=False)
            if check.fix:
                console.print(f"         fix: {check.fix}", highlight=False)
    failed = [c for c in results if c.status is doctor_checks.Status.FAIL]
    if settings.json:
        dump_json({"ok": not failed, "checks": [c.as_json() for c in results]})
    elif failed:
        console.print(f"[red]{len(failed)} check(s) failed.[/]")
    else:
        console.print("[green]All checks passed.[/]")
    if failed:
        raise typer.Exit(1)


# -- account -----------------------------------------------------------------------------------
@app.command()
def balance(json: JsonFlag = False) -> None:
    """Cash balance and portfolio value."""
    settings = _settings(json)
    with _client(settings) as client:
        answer = client.get_balance()
    if settings.json:
        dump_json(answer)
        return
    columns = [
        Column("balance", lambda a: a.balance_dollars, "money"),
        Column("portfolio value", lambda a: _cents(a.portfolio_value), "money"),
    ]
    _console().print(table("Balance", columns, [answer]))


def _cents(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / 100


@app.command()
def positions(
    ticker: Annotated[str | None, typer.Option(help="One market.")] = None,
    event: Annotated[str | None, typer.Option(help="One event.")] = None,
    json: JsonFlag = False,
) -> None:
    """Open positions per market (every page)."""
    settings = _settings(json)
    with _client(settings) as client:
        pages = client.get_positions.pages(
            ticker=ticker, event_ticker=event, count_filter="position", limit=1000
        )
        records = _walk(pages, "market_positions", "positions")
    columns = [
        Column("market", lambda p: p.ticker, whole=True),
        Column("position", lambda p: p.position_fp, "number"),
        Column("exposure", lambda p: p.market_exposure_dollars, "money"),
        Column("traded", lambda p: p.total_traded_dollars, "money"),
        Column("realized P&L", lambda p: p.realized_pnl_dollars, "money"),
        Column("fees", lambda p: p.fees_paid_dollars, "money"),
    ]
    _show_list(settings, "Positions", columns, records)


class OrderStatus(enum.StrEnum):
    resting = "resting"
    canceled = "canceled"
    executed = "executed"


@app.command()
def orders(
    status: Annotated[OrderStatus | None, typer.Option(help="Only orders in this state.")] = None,
    ticker: Annotated[str | None, typer.Option(help="One market.")] = None,
    json: JsonFlag = False,
) -> None:
    """Your orders (every page), newest first."""
    settings = _settings(json)
    with _client(settings) as client:
        pages = client.get_orders.pages(
            status=status.value if status else None, ticker=ticker, limit=1000
        )
        records = _walk(pages, "orders", "orders")
    columns = [
        Column("order id", lambda o: o.order_id, whole=True),
        Column("market", lambda o: o.ticker, whole=True),
        Column("side", lambda o: o.book_side or o.side),
        Column("status", lambda o: o.status),
        Column("YES price", lambda o: o.yes_price_dollars, "money"),
        Column("left", lambda o: o.remaining_count_fp, "number"),
        Column("created", lambda o: o.created_time, "time"),
    ]
    _show_list(settings, "Orders", columns, records)


@app.command()
def fills(
    ticker: Annotated[str | None, typer.Option(help="One market.")] = None,
    since: Annotated[str | None, typer.Option(help="A date, ISO time or Unix seconds.")] = None,
    json: JsonFlag = False,
) -> None:
    """Your fills (every page), newest first."""
    settings = _settings(json)
    min_ts = parse_since(since) if since else None
    with _client(settings) as client:
        pages = client.get_fills.pages(ticker=ticker, min_ts=min_ts, limit=1000)
        records = _walk(pages, "fills", "fills")
    columns = [
        Column("time", lambda f: f.created_time, "time"),
        Column("market", lambda f: f.ticker or f.market_ticker, whole=True),
        Column("action", lambda f: f.action),
        Column("side", lambda f: f.side),
        Column("count", lambda f: f.count_fp, "number"),
        Column("YES price", lambda f: f.yes_price_dollars, "money"),
        Column("fee", lambda f: f.fee_cost, "money"),
        Column("taker", lambda f: f.is_taker),
    ]
    _show_list(settings, "Fills", columns, records)


@app.command()
def settlements(json: JsonFlag = False) -> None:
    """Your settled markets (every page)."""
    settings = _settings(json)
    with _client(settings) as client:
        records = _walk(client.get_settlements.pages(limit=1000), "settlements", "settlements")
    columns = [
        Column("settled", lambda s: s.settled_time, "time"),
        Column("market", lambda s: s.ticker, whole=True),
        Column("result", lambda s: s.market_result),
        Column("YES", lambda s: s.yes_count_fp, "number"),
        Column("NO", lambda s: s.no_count_fp, "number"),
        Column("revenue", lambda s: _cents(s.revenue), "money"),
        Column("fee", lambda s: s.fee_cost, "money"),
    ]
    _show_list(settings, "Settlements", columns, records)


# -- orders ------------------------------------------------------------------------------------
class TimeInForce(enum.StrEnum):
    gtc = "good_till_canceled"
    ioc = "immediate_or_cancel"
    fok = "fill_or_kill"


def _place(
    action: str,
    ticker: str,
    yes: bool,
    no: bool,
    price: str,
    count: str,
    tif: TimeInForce,
    post_only: bool,
    reduce_only: bool,
    client_order_id: str | None,
    subaccount: int | None,
    json: bool,
) -> None:
    if yes == no:
        raise ValidationError("outcome", "pass exactly one of --yes and --no")
    settings = _settings(json)
    with _client(settings) as client:
        ack = client.place_order(
            ticker=ticker,
            action=action,
            outcome="yes" if yes else "no",
            price=price,
            count=count,
            time_in_force=tif.value,
            post_only=post_only or None,
            reduce_only=reduce_only or None,
            client_order_id=client_order_id,
            subaccount=subaccount,
        )
    if settings.json:
        dump_json(ack)
        return
    outcome = "YES" if yes else "NO"
    _console().print(
        f"{action} {count} {outcome} {ticker} @ {price}: order [bold]{ack.order_id}[/] "
        f"(filled {ack.fill_count or 0}, resting {ack.remaining_count or 0})",
        highlight=False,
        soft_wrap=True,
    )


def _order_command(action: str) -> Callable[..., None]:
    def command(
        ticker: Annotated[str, typer.Argument(help="Market ticker.")],
        price: Annotated[str, typer.Option(help="Price in dollars, e.g. 0.56.")],
        count: Annotated[str, typer.Option(help="Contracts (fractional where allowed).")],
        yes: Annotated[bool, typer.Option("--yes", help="The YES side.")] = False,
        no: Annotated[bool, typer.Option("--no", help="The NO side.")] = False,
        tif: Annotated[TimeInForce, typer.Option(help="gtc, ioc or fok.")] = TimeInForce.gtc,
        post_only: Annotated[bool, typer.Option(help="Rest only; never take.")] = False,
        reduce_only: Annotated[bool, typer.Option(help="Only reduce a position.")] = False,
        client_order_id: Annotated[str | None, typer.Option(help="Your own id.")] = None,
        subaccount: Annotated[int | None, typer.Option(help="Subaccount 0-63.")] = None,
        json: JsonFlag = False,
    ) -> None:
        _place(action, ticker, yes, no, price, count, tif, post_only, reduce_only,
               client_order_id, subaccount, json)

    command.__doc__ = f"{action.capitalize()} YES or NO contracts at a price (V2 order)."
    return command


order_app.command("buy")(_order_command("buy"))
order_app.command("sell")(_order_command("sell"))


@app.command()
def cancel(
    order_id: Annotated[str | None, typer.Argument(help="The order to cancel.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Cancel every resting order.")] = False,
    ticker: Annotated[str | None, typer.Option(help="With --all: only this market.")] = None,
    assume_yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    json: JsonFlag = False,
) -> None:
    """Cancel one order, or every resting order (--all). Asks first unless --yes."""
    if (order_id is None) == (not all_):
        raise ValidationError("order_id", "pass an ORDER_ID or --all, not both or neither")
    settings = _settings(json)
    with _client(settings) as client:
        if order_id is not None:
            _confirm(assume_yes, f"Cancel order {order_id}?")
            answer = client.cancel_order_v2(order_id)
            if settings.json:
                dump_json(answer)
            else:
                _console().print(f"Canceled {order_id}.", highlight=False)
            return
        resting = [
            o
            for o in client.get_orders.items(status="resting", ticker=ticker, limit=1000)
            if o.order_id
        ]
        if not resting:
            if settings.json:
                dump_json({"canceled": []})
            else:
                _console().print("No resting orders.")
            return
        where = f" in {ticker}" if ticker else ""
        _confirm(assume_yes, f"Cancel {len(resting)} resting order(s){where}?")
        ids = [o.order_id for o in resting if o.order_id is not None]
        done = client.cancel_orders_in_batches(list(ids))
    if settings.json:
        dump_json({"canceled": ids, "answer": done})
    else:
        _console().print(f"Canceled {len(ids)} order(s).")


def _confirm(assume_yes: bool, question: str) -> None:
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise ValidationError("--yes", "not a terminal, so nothing can be confirmed; pass --yes")
    if not typer.confirm(question, default=False):
        raise typer.Exit(1)


# -- markets -----------------------------------------------------------------------------------
@app.command()
def markets(
    event: Annotated[str | None, typer.Option(help="Markets of one event.")] = None,
    series: Annotated[str | None, typer.Option(help="Markets of one series.")] = None,
    status: Annotated[str | None, typer.Option(help="open, closed, settled...")] = None,
    limit: Annotated[int, typer.Option(help="At most this many markets.", min=1)] = 100,
    json: JsonFlag = False,
) -> None:
    """Markets, filtered by event, series or status."""
    settings = _settings(json)
    with _client(settings) as client:
        records: list[Any] = []
        with _progress("markets") as update:
            items = client.get_markets.items(
                event_ticker=event, series_ticker=series, status=status,
                limit=min(limit, 1000),
            )
            for market in items:
                records.append(market)
                update(len(records))
                if len(records) >= limit:
                    break
    columns = [
        Column("market", lambda m: m.ticker, whole=True),
        Column("status", lambda m: m.status),
        Column("bid", lambda m: m.yes_bid_dollars, "money"),
        Column("ask", lambda m: m.yes_ask_dollars, "money"),
        Column("last", lambda m: m.last_price_dollars, "money"),
        Column("volume", lambda m: m.volume_fp, "number"),
        Column("closes", lambda m: m.close_time, "time"),
        Column("title", lambda m: m.title),
    ]
    _show_list(settings, "Markets", columns, records)


@app.command()
def market(
    ticker: Annotated[str, typer.Argument(help="Market ticker.")],
    json: JsonFlag = False,
) -> None:
    """One market in full."""
    settings = _settings(json)
    with _client(settings) as client:
        answer = client.get_market(ticker)
    if settings.json:
        dump_json(answer.market)
        return
    record = answer.market
    if record is None:
        raise ValidationError("ticker", f"Kalshi returned no market for {ticker!r}")
    from kalshi_cli.render import jsonable

    data = jsonable(record)
    console = _console()
    console.print(f"[bold]{record.ticker}[/]  {record.title or ''}", highlight=False)
    width = max(len(k) for k in data)
    for key, value in data.items():
        if key in ("ticker", "title") or value in (None, "", [], {}):
            continue
        shown = value if isinstance(value, str) else json_module.dumps(value)
        console.print(f"  {key:<{width}}  {shown}", highlight=False, soft_wrap=True)


@app.command()
def book(
    ticker: Annotated[str, typer.Argument(help="Market ticker.")],
    depth: Annotated[int, typer.Option(help="Levels per side.", min=1, max=100)] = 10,
    watch: Annotated[bool, typer.Option(help="Keep the book on screen, live.")] = False,
    interval: Annotated[
        float, typer.Option(help="With --watch and --poll: seconds between refreshes.", min=0.1)
    ] = 1.0,
    poll: Annotated[
        bool, typer.Option(help="With --watch: poll the REST book instead of streaming.")
    ] = False,
    updates: Annotated[
        int | None, typer.Option(help="With --watch: stop after this many redraws.", min=1)
    ] = None,
    json: JsonFlag = False,
) -> None:
    """The order book (YES view): bids, asks, spread. --watch redraws it live from the stream
    (or polls, with --poll); Ctrl-C stops."""
    settings = _settings(json)
    with _client(settings) as client:
        if not watch:
            ladder = _rest_ladder(client, ticker, depth)
            if settings.json:
                dump_json(ladder.as_json(depth))
            else:
                _console().print(ladder.render(depth))
            return
        if poll or not settings.has_key:
            source = _polled_ladders(client, ticker, depth, interval)
        else:
            from kalshi_cli.live import stream_ladders

            source = stream_ladders(client, ticker)
        _show_ladders(settings, source, depth, updates)


def _rest_ladder(client: Client, ticker: str, depth: int) -> Ladder:
    answer = client.get_market_orderbook(ticker, depth=depth)
    book_fp = answer.orderbook_fp
    return Ladder.from_bids(
        ticker,
        book_fp.yes_dollars if book_fp else None,
        book_fp.no_dollars if book_fp else None,
    )


def _polled_ladders(
    client: Client, ticker: str, depth: int, interval: float
) -> Iterator[tuple[Ladder, str]]:
    while True:
        yield _rest_ladder(client, ticker, depth), f"polling every {interval:g} s"
        time.sleep(interval)


def _show_ladders(
    settings: Settings, source: Iterator[tuple[Ladder, str]], depth: int, updates: int | None
) -> None:
    from rich.live import Live

    shown = 0
    if settings.json:
        for ladder, status in source:
            print_json_lines([{**ladder.as_json(depth), "status": status}])
            shown += 1
            if updates is not None and shown >= updates:
                return
        return
    console = _console()
    with Live(console=console, auto_refresh=False, screen=False) as live:
        for ladder, status in source:
            live.update(ladder.render(depth, status=status), refresh=True)
            shown += 1
            if updates is not None and shown >= updates:
                return


# -- export ------------------------------------------------------------------------------------
class ExportKind(enum.StrEnum):
    fills = "fills"
    orders = "orders"
    trades = "trades"
    settlements = "settlements"


@app.command()
def export(
    kind: Annotated[ExportKind, typer.Argument(help="fills, orders, trades or settlements.")],
    out: Annotated[Path, typer.Option(help="FILE.csv or FILE.jsonl.")],
    since: Annotated[str | None, typer.Option(help="A date, ISO time or Unix seconds.")] = None,
    until: Annotated[str | None, typer.Option(help="A date, ISO time or Unix seconds.")] = None,
    ticker: Annotated[str | None, typer.Option(help="One market.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted export.")] = False,
    json: JsonFlag = False,
) -> None:
    """Bulk history to CSV or JSON lines, with progress; resumable by cursor (--resume)."""
    settings = _settings(json)
    exporter = Exporter(
        kind.value,
        out,
        since=parse_since(since) if since else None,
        until=parse_since(until) if until else None,
        ticker=ticker,
    )
    from kalshi_core._generated.optable import OPERATIONS

    name = KINDS[kind.value]
    with _client(settings) as client, _progress(f"{kind.value} → {out.name}") as update:
        bound = getattr(client, name)
        rows = exporter.run(OPERATIONS[name], bound.pages, resume=resume, on_page=update)
    if settings.json:
        dump_json({"kind": kind.value, "out": str(out), "records": rows})
    else:
        _console().print(f"Wrote {rows:,} {kind.value} to {out}.", highlight=False)


# -- the fake exchange -------------------------------------------------------------------------
@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def fake(ctx: typer.Context) -> None:
    """Run the fake exchange on a loopback port (options: kalshi fake --help)."""
    from kalshi_testing.__main__ import main as fake_main

    raise typer.Exit(fake_main(list(ctx.args), prog="kalshi fake"))


def run(argv: list[str] | None = None) -> int:
    """Run ``kalshi`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    try:
        app(args=argv, prog_name="kalshi", standalone_mode=True)
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ValidationError as exc:
        stderr_console().print(f"[red]error:[/] {exc}", highlight=False)
        return 2
    except KalshiError as exc:
        stderr_console().print(f"[red]error:[/] {exc}", highlight=False)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
