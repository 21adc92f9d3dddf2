"""The ``kalshi`` command: setup checks, account and market views, orders, a live book and
history export, for people at a terminal (``pip install "kalshi-trade-sdk[cli]"``).

It reads the same settings as ``kalshi_sync.Client.from_env()`` (``KALSHI_API_KEY_ID``,
``KALSHI_PRIVATE_KEY_PATH`` or ``KALSHI_PRIVATE_KEY``, ``KALSHI_PRIVATE_KEY_PASSWORD``,
``KALSHI_BASE_URL`` or ``KALSHI_ENV``), each overridable by a flag, and every command takes
``--json`` for scripts (one JSON document, or JSON lines for lists).
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from kalshi_cli.app import run

    return run(argv)
