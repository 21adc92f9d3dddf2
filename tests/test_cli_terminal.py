"""``kalshi book --watch`` in a real terminal: tmux runs it, the test reads the screen.

The exchange changes its book while the command runs; the redrawn screen must show the change,
and Ctrl-C must end the command cleanly (no traceback, the pane's process gone).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kalshi_testing import FakeExchange, LoopbackServer

pytestmark = pytest.mark.socket

MARKET = "HIGHNY-24JAN01-T60"


def _tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10)
    return done.stdout


@pytest.fixture
def tmux() -> Iterator[str]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is required in CI (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    name = f"kalshi-test-{uuid.uuid4().hex[:8]}"
    yield name
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=10)


def _wait_for(read: Callable[[], str], wanted: Callable[[str], bool], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    screen = read()
    while not wanted(screen) and time.monotonic() < deadline:
        time.sleep(0.1)
        screen = read()
    return screen


@pytest.mark.parametrize(
    ("flags", "status"), [((), "live"), (("--poll", "--interval", "0.2"), "polling")]
)
def test_book_watch_redraws_in_place_and_stops_on_ctrl_c(
    tmux: str, tmp_path: Path, flags: tuple[str, ...], status: str
) -> None:
    """From the stream (the default) and by polling the REST book."""
    fake = FakeExchange()
    fake.add_market(MARKET)
    key = fake.add_user(balance="1000")
    maker = fake.add_participant(balance="1000")
    fake.place_order(maker, MARKET, "bid", "0.45", 10)
    fake.place_order(maker, MARKET, "ask", "0.52", 7)
    assert key.private_key_pem is not None
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.private_key_pem)
    pem.chmod(0o600)
    with LoopbackServer(fake) as server:
        env = {
            "KALSHI_API_KEY_ID": key.key_id,
            "KALSHI_PRIVATE_KEY_PATH": str(pem),
            "KALSHI_BASE_URL": server.url,
            "TERM": "xterm-256color",
        }
        command = " ".join(
            [
                "env",
                *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                shlex.quote(sys.executable),
                "-m",
                "kalshi_cli",
                "book",
                MARKET,
                "--watch",
                *flags,
            ]
        )
        _tmux("new-session", "-d", "-s", tmux, "-x", "100", "-y", "40", command)
        _tmux("set-option", "-t", tmux, "remain-on-exit", "on")

        def screen() -> str:
            return _tmux("capture-pane", "-p", "-t", tmux)

        first = _wait_for(screen, lambda s: "0.4500" in s and "0.5200" in s, 20)
        assert "YES book" in first, first
        assert status in first, first
        assert "0.4500" in first, first
        assert "0.5200" in first, first
        assert "spread 0.0700" in first, first

        fake.place_order(maker, MARKET, "bid", "0.47", 3)
        after = _wait_for(screen, lambda s: "0.4700" in s, 10)
        assert "spread 0.0500" in after, after
        # Redrawn in place: the title shows once, not once per refresh.
        assert after.count("YES book") == 1, after

        _tmux("send-keys", "-t", tmux, "C-c")
        _wait_for(
            lambda: _tmux("display-message", "-p", "-t", tmux, "#{pane_dead}"),
            lambda s: s.strip() == "1",
            10,
        )
        assert _tmux("display-message", "-p", "-t", tmux, "#{pane_dead}").strip() == "1"
        final = screen()
        assert "Traceback" not in final, final
