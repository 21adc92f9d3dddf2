"""The fixtures users get from the ``kalshi_testing`` pytest plugin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import kalshi_async
import kalshi_sync
from kalshi_testing import ApiKey, FakeExchange, LoopbackServer

from .conftest import Harness


def test_client_fixture_trades_on_the_fake(kalshi_client: Any, kalshi_fake: FakeExchange) -> None:
    assert isinstance(kalshi_client, kalshi_sync.Client)
    assert kalshi_client.get_balance().balance_dollars == Decimal(1000)
    ack = kalshi_client.create_order_v2(
        ticker="HIGHNY-24JAN01-T60",
        side="bid",
        price="0.25",
        count="4",
        time_in_force="good_till_canceled",
        self_trade_prevention_type="taker_at_cross",
    )
    (order,) = kalshi_fake.orders.values()
    assert order.order_id == ack.order_id
    assert order.remaining == Decimal(4)


def test_server_fixture_serves_any_driver(
    harness: Harness, kalshi_server: LoopbackServer, kalshi_account: ApiKey
) -> None:
    client = harness.client(
        key_id=kalshi_account.key_id,
        private_key=kalshi_account.private_key_pem,
        base_url=kalshi_server.url,
    )
    assert isinstance(client, (kalshi_sync.Client, kalshi_async.AsyncClient))
    balance = harness.run(lambda c: c.get_balance(), client)
    assert balance.balance_dollars == Decimal(1000)


def test_the_plugin_costs_nothing_until_a_fixture_is_used(tmp_path: Any) -> None:
    """A pytest run that uses none of the fixtures never imports the SDK (nor httpx, nor
    cryptography; attrs may come with another plugin, hypothesis)."""
    import subprocess
    import sys

    (tmp_path / "test_unrelated.py").write_text(
        "import sys\n\n"
        "def test_nothing_of_the_sdk_is_loaded():\n"
        "    loaded = sorted(m for m in sys.modules\n"
        "                    if m.split('.')[0] in ('kalshi_core', 'kalshi_sync', 'kalshi_async',\n"
        "                                           'httpx', 'cryptography'))\n"
        "    assert loaded == []\n"
        "    assert 'kalshi_testing.pytest_plugin' in sys.modules  # the plugin is active\n\n"
        "def test_a_fixture_loads_what_it_needs(kalshi_fake):\n"
        "    assert 'kalshi_core' in sys.modules\n"
        "    assert kalshi_fake.markets\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "--rootdir", str(tmp_path), str(tmp_path / "test_unrelated.py")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
