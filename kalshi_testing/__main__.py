"""Run the fake exchange on a loopback port: ``python -m kalshi_testing --help``.

It registers one user with the balance you choose and either your public key (``--public-key``,
with ``--key-id``) or a freshly generated RSA key whose private PEM it writes to ``--key-out``
(mode 0600, also when the file existed; never through a symlink; never printed). It prints the
base URL and the key id, then serves REST and the WebSocket API until Ctrl-C. With
``--activity SECONDS`` simulated participants trade on the markets every so often, so a
streamed book moves on its own (see ``kalshi_testing.MarketActivity``).
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

from kalshi_testing import FakeExchange, LoopbackServer
from kalshi_testing._activity import MarketActivity

__all__ = ["main", "write_private_key"]


def _parser(prog: str = "python -m kalshi_testing") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    p.add_argument("--balance", default="1000", help="the user's starting balance in dollars")
    p.add_argument(
        "--market",
        action="append",
        default=None,
        help="market ticker to open (repeatable; default HIGHNY-24JAN01-T60)",
    )
    p.add_argument("--public-key", type=Path, help="PEM public key to register for the user")
    p.add_argument("--key-id", help="key id to register (default: a new UUID)")
    p.add_argument(
        "--key-out",
        type=Path,
        default=Path("fake-exchange-key.pem"),
        help="where to write the generated private key (without --public-key)",
    )
    p.add_argument(
        "--clock-skew",
        type=float,
        default=0.0,
        help="seconds the exchange's clock runs ahead (negative: behind) of this machine's; "
        "it checks timestamps and dates its answers by that clock",
    )
    p.add_argument(
        "--serve-v1-writes",
        action="store_true",
        help="serve the V1 order writes (default: 410, as production since June 2026)",
    )
    p.add_argument(
        "--activity",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="simulated participants trade every SECONDS (default 0: no activity)",
    )
    p.add_argument(
        "--heartbeat", type=float, default=10.0, help="seconds between WebSocket Pings (10)"
    )
    return p


def write_private_key(path: Path, pem: bytes) -> None:
    """Write ``pem`` to ``path`` with mode 0600, never through a symlink.

    A symlink at ``path`` is refused (``O_NOFOLLOW``: writing through it would put the key
    wherever the link points); an existing file is truncated and its mode tightened to 0600
    before the key is written (``O_CREAT``'s mode applies to new files only).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    if path.is_symlink():
        raise OSError(errno.ELOOP, "refusing to write a private key through a symlink")
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(pem)
    finally:
        if fd >= 0:
            os.close(fd)


def main(argv: list[str] | None = None, prog: str = "python -m kalshi_testing") -> int:
    args = _parser(prog).parse_args(argv)
    skew = args.clock_skew
    exchange = FakeExchange(
        clock=lambda: time.time() + skew, serve_v1_writes=args.serve_v1_writes
    )
    for ticker in args.market or ["HIGHNY-24JAN01-T60"]:
        exchange.add_market(ticker)
    public = args.public_key.read_bytes() if args.public_key else None
    key = exchange.add_user(balance=Decimal(args.balance), public_key=public, key_id=args.key_id)
    if key.private_key_pem is not None:
        try:
            write_private_key(args.key_out, key.private_key_pem)
        except OSError as exc:
            print(f"cannot write the key to {args.key_out}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    server = LoopbackServer(
        exchange,
        host=args.host,
        port=args.port,
        heartbeat_interval=args.heartbeat,
        clock=lambda: time.time() + skew,
    ).start()
    activity = MarketActivity(exchange, interval=args.activity) if args.activity > 0 else None
    if activity is not None:
        activity.start()
    print(f"fake Kalshi exchange at {server.url}")
    print(f"WebSocket API at {server.ws_url}")
    print(f"KALSHI_API_KEY_ID={key.key_id}")
    if key.private_key_pem is not None:
        print(f"KALSHI_PRIVATE_KEY_PATH={args.key_out}")
    print(f"KALSHI_BASE_URL={server.url}")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if activity is not None:
            activity.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
