"""``docs/cli.md`` is a recorded session: every ``$ kalshi ...`` line of its ```console blocks
runs again, in order, against a fresh documentation world (the fake exchange of
``tests/test_doc_blocks.py``), and prints what the page shows.

A command's exit status is 0 unless the block says ``# exit status N`` after its output. The
output is compared line by line after masking what differs from run to run (ids, times, ports,
milliseconds, byte counts). ``kalshi fake`` lines start a server and are not run here.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_testing import LoopbackServer
from tests.test_doc_blocks import documentation_world

pytestmark = pytest.mark.socket

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "cli.md"

_MASKS = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?Z?"), "<time>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "<host>"),
    (re.compile(r"\b\d+ ms\b"), "<n> ms"),
    (re.compile(r"\(\d+ bytes\)"), "(<n> bytes)"),
    (re.compile(r'"ts": \d+'), '"ts": <n>'),
]


def _mask(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        for pattern, token in _MASKS:
            line = pattern.sub(token, line)
        lines.append(re.sub(r"\s+", " ", line).strip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def session() -> list[tuple[str, list[str], int]]:
    """``(command, expected output lines, exit status)`` for every command of the page."""
    text = PAGE.read_text()
    steps: list[tuple[str, list[str], int]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, rest = chunk.partition("\n")
            status = 0
            output = []
            for line in rest.splitlines():
                found = re.fullmatch(r"# exit status (\d+)", line.strip())
                if found:
                    status = int(found.group(1))
                else:
                    output.append(line)
            steps.append((command.strip(), _mask("\n".join(output)), status))
    return steps


def test_the_page_records_every_command() -> None:
    commands = {step[0].split()[1] if step[0].split()[1] != "--json" else step[0].split()[2]
                for step in session()}
    for name in ("doctor", "balance", "positions", "orders", "fills", "settlements", "order",
                 "cancel", "markets", "market", "book", "export", "fake"):
        assert name in commands, name


def test_the_recorded_session_replays(tmp_path: Path) -> None:
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fake, key_id = documentation_world(pem)
    key = tmp_path / "kalshi.pem"
    key.write_bytes(pem)
    key.chmod(0o600)
    kalshi = [sys.executable, "-m", "kalshi_cli"]
    with LoopbackServer(fake) as server:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KALSHI_")},
            "KALSHI_API_KEY_ID": key_id,
            "KALSHI_PRIVATE_KEY_PATH": "kalshi.pem",
            "KALSHI_BASE_URL": server.url,
            "COLUMNS": "120",
            "TERM": "dumb",
            "NO_COLOR": "1",
        }
        ran = 0
        for command, expected, status in session():
            argv = shlex.split(command)
            assert argv[0] == "kalshi", command
            if argv[1] == "fake":
                continue
            done = subprocess.run(
                [*kalshi, *argv[1:]], env=env, cwd=tmp_path, capture_output=True, text=True,
                timeout=60,
            )
            assert done.returncode == status, (command, done.stdout, done.stderr)
            assert _mask(done.stdout + done.stderr) == expected, command
            ran += 1
    assert ran >= 15
