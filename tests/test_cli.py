"""The ``kalshi`` command against the fake exchange over a real loopback socket.

Each test runs the command line in-process (``kalshi_cli.main(argv)``) with the KALSHI_*
variables pointing at a ``LoopbackServer``; what it asserts comes from the exchange's own state
(orders resting on its book, balances) or from the printed output.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import kalshi_cli
from kalshi_cli.export import Exporter, ExportError, parse_since
from kalshi_core._generated.optable import OPERATIONS
from kalshi_testing import ApiKey, FakeExchange, LoopbackServer

pytestmark = pytest.mark.socket

MARKET = "HIGHNY-24JAN01-T60"


class Setup:
    """A fake exchange on a socket, one funded user, and the environment that names them."""

    def __init__(self, fake: FakeExchange, server: LoopbackServer, key: ApiKey, tmp: Path):
        self.fake = fake
        self.server = server
        self.key = key
        self.key_path = tmp / "kalshi.pem"
        assert key.private_key_pem is not None
        self.key_path.write_bytes(key.private_key_pem)
        self.key_path.chmod(0o600)
        self.env = {
            "KALSHI_API_KEY_ID": key.key_id,
            "KALSHI_PRIVATE_KEY_PATH": str(self.key_path),
            "KALSHI_BASE_URL": server.url,
        }

    def run(
        self,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        *argv: str,
        env: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        for name in [n for n in os.environ if n.startswith("KALSHI_")]:
            monkeypatch.delenv(name)
        for name, value in (self.env if env is None else env).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("COLUMNS", "200")
        capsys.readouterr()
        code = kalshi_cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err


def _serve(fake: FakeExchange, tmp: Path, **server: Any) -> Iterator[Setup]:
    fake.add_market(MARKET)
    key = fake.add_user(balance="1000")
    with LoopbackServer(fake, **server) as srv:
        yield Setup(fake, srv, key, tmp)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    yield from _serve(FakeExchange(), tmp_path)


def _json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _checks(out: str) -> dict[str, dict[str, Any]]:
    doc = json.loads(out)
    return {c["check"]: c for c in doc["checks"]}


# -- doctor ------------------------------------------------------------------------------------
def test_doctor_passes_every_check_on_a_good_setup(setup: Setup, capsys, monkeypatch) -> None:
    code, out, _ = setup.run(capsys, monkeypatch, "doctor", "--json")
    checks = _checks(out)
    assert code == 0, out
    assert json.loads(out)["ok"] is True
    for name in ("key id", "key file", "key permissions", "key type", "environment", "host",
                 "clock", "authentication", "rate limits", "websocket"):
        assert checks[name]["status"] == "pass", checks[name]
    assert checks["key type"]["detail"] == "RSA 2048-bit"
    assert "$1,000.00" in checks["authentication"]["detail"]

    code, out, _ = setup.run(capsys, monkeypatch, "doctor")
    assert code == 0
    assert "All checks passed." in out
    assert "FAIL" not in out


def _doctor_fails(setup: Setup, capsys, monkeypatch, env: dict[str, str], name: str) -> dict:
    code, out, _ = setup.run(capsys, monkeypatch, "--json", "doctor", env=env)
    checks = _checks(out)
    assert code == 1, out
    assert json.loads(out)["ok"] is False
    assert checks[name]["status"] == "fail", checks[name]
    assert checks[name]["fix"], checks[name]
    return checks[name]


def test_doctor_without_a_key_id(setup: Setup, capsys, monkeypatch) -> None:
    env = {k: v for k, v in setup.env.items() if k != "KALSHI_API_KEY_ID"}
    check = _doctor_fails(setup, capsys, monkeypatch, env, "key id")
    assert "KALSHI_API_KEY_ID" in check["detail"]


def test_doctor_with_a_missing_key_file(setup: Setup, capsys, monkeypatch, tmp_path) -> None:
    env = {**setup.env, "KALSHI_PRIVATE_KEY_PATH": str(tmp_path / "nope.pem")}
    check = _doctor_fails(setup, capsys, monkeypatch, env, "key file")
    assert "does not exist" in check["detail"]


def test_doctor_with_a_public_key(setup: Setup, capsys, monkeypatch, tmp_path) -> None:
    private = serialization.load_pem_private_key(setup.key_path.read_bytes(), password=None)
    public = tmp_path / "public.pem"
    public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    env = {**setup.env, "KALSHI_PRIVATE_KEY_PATH": str(public)}
    check = _doctor_fails(setup, capsys, monkeypatch, env, "key type")
    assert "public key" in check["detail"]


def test_doctor_with_key_text_in_the_path_variable(setup: Setup, capsys, monkeypatch) -> None:
    pem = setup.key_path.read_text()
    env = {**setup.env, "KALSHI_PRIVATE_KEY_PATH": pem}
    code, out, err = setup.run(capsys, monkeypatch, "--json", "doctor", env=env)
    assert code == 1
    checks = _checks(out)
    assert checks["key file"]["status"] == "fail"
    assert "key text, not a path" in checks["key file"]["detail"]
    body = "".join(pem.splitlines()[1:-1])
    assert body[:40] not in out + err


def test_doctor_with_an_encrypted_key_and_no_password(setup, capsys, monkeypatch, tmp_path):
    private = serialization.load_pem_private_key(setup.key_path.read_bytes(), password=None)
    locked = tmp_path / "locked.pem"
    locked.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"hunter2"),
        )
    )
    locked.chmod(0o600)
    env = {**setup.env, "KALSHI_PRIVATE_KEY_PATH": str(locked)}
    check = _doctor_fails(setup, capsys, monkeypatch, env, "key type")
    assert "KALSHI_PRIVATE_KEY_PASSWORD" in check["fix"]
    code, out, _ = setup.run(
        capsys, monkeypatch, "--json", "doctor",
        env={**env, "KALSHI_PRIVATE_KEY_PASSWORD": "hunter2"},
    )
    assert code == 0, out


def test_doctor_with_a_key_that_does_not_match(setup, capsys, monkeypatch, tmp_path) -> None:
    other = tmp_path / "other.pem"
    other.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    other.chmod(0o600)
    env = {**setup.env, "KALSHI_PRIVATE_KEY_PATH": str(other)}
    check = _doctor_fails(setup, capsys, monkeypatch, env, "authentication")
    assert "does not match" in check["detail"]


def test_doctor_with_a_key_id_of_another_environment(setup, capsys, monkeypatch) -> None:
    env = {**setup.env, "KALSHI_API_KEY_ID": "7f0c2a4e-0000-4000-8000-000000000000"}
    check = _doctor_fails(setup, capsys, monkeypatch, env, "authentication")
    assert "does not know this key id" in check["detail"]
    assert "demo and production" in check["fix"]


def test_doctor_with_an_unreachable_host(setup, capsys, monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**setup.env, "KALSHI_BASE_URL": f"http://127.0.0.1:{port}/trade-api/v2"}
    check = _doctor_fails(setup, capsys, monkeypatch, env, "host")
    assert "cannot reach 127.0.0.1" in check["detail"]


def test_doctor_with_a_base_url_missing_the_api_prefix(setup, capsys, monkeypatch) -> None:
    env = {**setup.env, "KALSHI_BASE_URL": setup.server.url.removesuffix("/trade-api/v2")}
    check = _doctor_fails(setup, capsys, monkeypatch, env, "environment")
    assert "/trade-api/v2" in check["fix"]


def test_doctor_with_a_skewed_clock(capsys, monkeypatch, tmp_path) -> None:
    skew = 120.0
    fake = FakeExchange(clock=lambda: time.time() + skew)
    for setup in _serve(fake, tmp_path, clock=lambda: time.time() + skew):
        check = _doctor_fails(setup, capsys, monkeypatch, setup.env, "clock")
        assert "behind the server" in check["detail"]
        assert "120" in check["detail"] or "119" in check["detail"]


def test_doctor_warns_about_a_key_others_can_read(setup, capsys, monkeypatch) -> None:
    setup.key_path.chmod(0o644)
    code, out, _ = setup.run(capsys, monkeypatch, "--json", "doctor")
    checks = _checks(out)
    assert checks["key permissions"]["status"] == "warn"
    assert checks["key permissions"]["fix"] == f"chmod 600 {setup.key_path}"
    assert stat.S_IMODE(setup.key_path.stat().st_mode) == 0o644
    assert code == 0


# -- account -----------------------------------------------------------------------------------
def test_balance_table_and_json(setup: Setup, capsys, monkeypatch) -> None:
    code, out, _ = setup.run(capsys, monkeypatch, "balance")
    assert code == 0
    assert "$1,000.00" in out
    code, out, _ = setup.run(capsys, monkeypatch, "balance", "--json")
    assert Decimal(json.loads(out)["balance_dollars"]) == Decimal("1000")


def test_order_buy_and_sell_map_onto_the_yes_book(setup: Setup, capsys, monkeypatch) -> None:
    code, out, _ = setup.run(
        capsys, monkeypatch, "order", "buy", MARKET, "--yes", "--price", "0.45", "--count", "3"
    )
    assert code == 0, out
    code, out, _ = setup.run(
        capsys, monkeypatch, "--json", "order", "sell", MARKET, "--no", "--price", "0.40",
        "--count", "2.5",
    )
    assert code == 0, out
    ack = json.loads(out)
    orders = {o.order_id: o for o in setup.fake.orders.values()}
    sold = orders[ack["order_id"]]
    assert (sold.book_side, sold.price, sold.initial) == ("bid", Decimal("0.60"), Decimal("2.5"))
    bought = next(o for o in orders.values() if o.order_id != ack["order_id"])
    assert (bought.book_side, bought.price, bought.initial) == ("bid", Decimal("0.45"), 3)


def test_order_arguments_are_checked_before_sending(setup: Setup, capsys, monkeypatch) -> None:
    code, _, err = setup.run(
        capsys, monkeypatch, "order", "buy", MARKET, "--yes", "--price", "1.5", "--count", "1"
    )
    assert code == 2
    assert "price" in err
    code, _, err = setup.run(
        capsys, monkeypatch, "order", "buy", MARKET, "--yes", "--no", "--price", "0.5",
        "--count", "1",
    )
    assert code == 2
    assert "--yes and --no" in err
    assert setup.fake.orders == {}


def _trade(setup: Setup) -> None:
    """The user buys 4 YES at 0.55 against a participant's ask; one bid of theirs rests."""
    other = setup.fake.add_participant(balance="100")
    setup.fake.place_order(other, MARKET, "ask", "0.55", 4)
    setup.fake.place_order(setup.key.user_id, MARKET, "bid", "0.55", 4)
    setup.fake.place_order(setup.key.user_id, MARKET, "bid", "0.30", 2)


def test_positions_orders_fills(setup: Setup, capsys, monkeypatch) -> None:
    _trade(setup)
    code, out, _ = setup.run(capsys, monkeypatch, "--json", "positions")
    assert code == 0
    [position] = _json_lines(out)
    assert (position["ticker"], Decimal(position["position_fp"])) == (MARKET, 4)

    code, out, _ = setup.run(capsys, monkeypatch, "orders", "--status", "resting", "--json")
    resting = _json_lines(out)
    assert [Decimal(o["yes_price_dollars"]) for o in resting] == [Decimal("0.30")]

    code, out, _ = setup.run(capsys, monkeypatch, "fills", "--json")
    [fill] = _json_lines(out)
    assert Decimal(fill["count_fp"]) == 4
    assert Decimal(fill["yes_price_dollars"]) == Decimal("0.55")

    code, out, _ = setup.run(capsys, monkeypatch, "fills")
    assert code == 0
    assert "$0.55" in out
    assert MARKET in out


def test_settlements_after_a_settle(setup: Setup, capsys, monkeypatch) -> None:
    _trade(setup)
    setup.fake.settle(MARKET, "yes")
    code, out, _ = setup.run(capsys, monkeypatch, "settlements", "--json")
    assert code == 0
    [settled] = _json_lines(out)
    assert settled["market_result"] == "yes"
    assert Decimal(settled["yes_count_fp"]) == 4


def test_cancel_one_and_all(setup: Setup, capsys, monkeypatch) -> None:
    user = setup.key.user_id
    first = setup.fake.place_order(user, MARKET, "bid", "0.20", 1)
    setup.fake.place_order(user, MARKET, "bid", "0.21", 1)
    setup.fake.place_order(user, MARKET, "ask", "0.90", 1)
    code, _, _ = setup.run(capsys, monkeypatch, "cancel", first.order_id, "--yes")
    assert code == 0
    assert setup.fake.orders[first.order_id].status == "canceled"

    code, _, err = setup.run(capsys, monkeypatch, "cancel", "--all")
    assert code == 2, "no terminal to confirm on: refuse rather than cancel"
    assert "--yes" in err
    assert sum(o.status == "resting" for o in setup.fake.orders.values()) == 2

    code, out, _ = setup.run(capsys, monkeypatch, "cancel", "--all", "-y")
    assert code == 0
    assert "Canceled 2 order(s)." in out
    assert all(o.status == "canceled" for o in setup.fake.orders.values())


def test_a_refused_call_is_an_error_line_and_exit_1(setup: Setup, capsys, monkeypatch) -> None:
    code, out, err = setup.run(capsys, monkeypatch, "cancel", "no-such-order", "-y")
    assert code == 1
    assert err.startswith("error:")
    assert "Traceback" not in err + out


# -- export ------------------------------------------------------------------------------------
def test_export_fills_to_csv_and_jsonl(setup: Setup, capsys, monkeypatch, tmp_path) -> None:
    _trade(setup)
    other = setup.fake.add_participant(balance="100")
    setup.fake.place_order(other, MARKET, "ask", "0.30", 2)
    out_csv = tmp_path / "fills.csv"
    code, out, _ = setup.run(
        capsys, monkeypatch, "export", "fills", "--out", str(out_csv), "--since", "2020-01-01"
    )
    assert code == 0, out
    rows = list(csv.DictReader(out_csv.open()))
    assert sorted(Decimal(r["yes_price_dollars"]) for r in rows) == [Decimal("0.30"),
                                                                   Decimal("0.55")]
    assert not (tmp_path / "fills.csv.state.json").exists()

    out_jsonl = tmp_path / "fills.jsonl"
    code, out, _ = setup.run(
        capsys, monkeypatch, "--json", "export", "fills", "--out", str(out_jsonl)
    )
    assert json.loads(out)["records"] == 2
    assert len(_json_lines(out_jsonl.read_text())) == 2

    later = setup.run(capsys, monkeypatch, "export", "fills", "--out", str(out_jsonl),
                      "--since", str(int(time.time()) + 3600))
    assert later[0] == 0
    assert out_jsonl.read_text() == ""


def test_export_resumes_from_the_saved_cursor(setup: Setup, tmp_path) -> None:
    """An export cut after its first page resumes from that page's cursor: no record twice."""
    pages = [
        {"fills": [{"fill_id": f"f{i}", "count_fp": "1.00"} for i in range(3)], "cursor": "c1"},
        {"fills": [{"fill_id": f"f{i}", "count_fp": "1.00"} for i in range(3, 5)], "cursor": ""},
    ]
    from kalshi_core.models import GetFillsResponse
    from kalshi_core.models._converter import structure

    seen_cursors: list[Any] = []

    def walk(fail_after: int | None) -> Any:
        def pages_fn(**params: Any) -> Iterator[Any]:
            seen_cursors.append(params.get("cursor"))
            start = 1 if params.get("cursor") == "c1" else 0
            for n, page in enumerate(pages[start:]):
                if fail_after is not None and n >= fail_after:
                    raise KeyboardInterrupt
                yield structure(page, GetFillsResponse)

        return pages_fn

    out = tmp_path / "fills.jsonl"
    exporter = Exporter("fills", out, since=parse_since("2026-01-01"))
    with pytest.raises(KeyboardInterrupt):
        exporter.run(OPERATIONS["get_fills"], walk(fail_after=1))
    assert json.loads(exporter.state_path.read_text())["cursor"] == "c1"
    with pytest.raises(ExportError, match="--resume"):
        exporter.run(OPERATIONS["get_fills"], walk(None))
    with pytest.raises(ExportError, match="other arguments"):
        Exporter("fills", out).run(OPERATIONS["get_fills"], walk(None), resume=True)
    total = exporter.run(OPERATIONS["get_fills"], walk(None), resume=True)
    assert total == 5
    assert seen_cursors == [None, "c1"]
    ids = [json.loads(line)["fill_id"] for line in out.read_text().splitlines()]
    assert ids == ["f0", "f1", "f2", "f3", "f4"]
    assert not exporter.state_path.exists()


def test_export_refuses_an_unknown_format_and_date(setup, capsys, monkeypatch, tmp_path):
    code, _, err = setup.run(capsys, monkeypatch, "export", "fills", "--out",
                             str(tmp_path / "f.xlsx"))
    assert code == 1
    assert ".csv or .jsonl" in err
    code, _, err = setup.run(capsys, monkeypatch, "export", "fills", "--out",
                             str(tmp_path / "f.csv"), "--since", "last tuesday")
    assert code == 1
    assert "--since" in err


def test_fake_command_runs_the_fake_exchange_cli(capsys) -> None:
    assert kalshi_cli.main(["fake", "--help"]) == 0
    assert "--clock-skew" in capsys.readouterr().out


def test_the_live_book_recovers_from_a_gap_to_the_exchange_book(tmp_path: Path) -> None:
    """A skipped ``seq`` on the stream: the live view ends on the exchange's own book."""
    from kalshi_cli.live import stream_ladders
    from kalshi_sync import Client
    from kalshi_testing import FaultPlan, StreamFault

    fake = FakeExchange()
    fake.add_market(MARKET)
    key = fake.add_user(balance="1000")
    maker = fake.add_participant(balance="1000")
    fake.place_order(maker, MARKET, "bid", "0.40", 5)
    plan = FaultPlan(StreamFault.skip(on="orderbook_delta", after=1))
    prices = ("0.41", "0.42", "0.43", "0.44", "0.45", "0.46")

    def trade() -> None:
        for price in prices:
            time.sleep(0.05)
            fake.place_order(maker, MARKET, "bid", price, 1)

    flow = threading.Thread(target=trade, daemon=True)
    final: list[tuple[Any, Any]] = []
    with LoopbackServer(fake, faults=plan) as server, Client(
        key_id=key.key_id, private_key=key.private_key_pem, base_url=server.url
    ) as client:
        for n, (ladder, status) in enumerate(stream_ladders(client, MARKET)):
            if n == 0:
                flow.start()
            if status == "live" and ladder.best_bid == Decimal(prices[-1]):
                final = list(ladder.bids)
                break
            assert n < 100
    flow.join(5)
    assert [kind for _, _, kind in plan.streamed] == ["skip"]
    assert sorted(final) == sorted(fake.orderbook(MARKET).yes)


class _OutOfSyncBook:
    """A managed book that is out of sync for the reasons listed, one per message."""

    def __init__(self, reasons: list[str | None]) -> None:
        self.reasons = reasons
        self.message = 0

    def _levels(self, levels: list[tuple[str, str]]) -> list[Any]:
        from kalshi_core.stream import Level
        from kalshi_core.stream.errors import BookOutOfSyncError

        reason = self.reasons[self.message]
        if reason is not None:
            raise BookOutOfSyncError(MARKET, reason)
        return [Level(Decimal(p), Decimal(s)) for p, s in levels]

    def bids(self) -> list[Any]:
        return self._levels([("0.40", "5")])

    def asks(self) -> list[Any]:
        return self._levels([("0.60", "7")])


def test_a_book_out_of_sync_is_never_shown_as_live() -> None:
    """While the managed book refuses reads, the view keeps the last good ladder and says why."""
    from kalshi_cli import live

    reasons: list[str | None] = [None, "gap", "disconnected", None]
    book = _OutOfSyncBook(reasons)

    class Subscription:
        def __iter__(self) -> Iterator[int]:
            for n in range(len(reasons)):
                book.message = n
                yield n

        def book(self, ticker: str) -> _OutOfSyncBook:
            return book

    class Stream:
        def __enter__(self) -> Stream:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def subscribe_orderbook(self, tickers: list[str]) -> Subscription:
            assert tickers == [MARKET]
            return Subscription()

    class FakeClient:
        def stream(self) -> Stream:
            return Stream()

    seen = list(live.stream_ladders(FakeClient(), MARKET))  # type: ignore[arg-type]
    assert [status for _, status in seen] == [
        "live",
        "out of sync (gap): resyncing",
        "out of sync (disconnected): resyncing",
        "live",
    ]
    good = seen[0][0]
    assert good.bids == ((Decimal("0.40"), Decimal("5")),)
    assert good.asks == ((Decimal("0.60"), Decimal("7")),)
    assert seen[1][0] == good
    assert seen[2][0] == good
