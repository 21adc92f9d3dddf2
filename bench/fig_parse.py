"""Figure 1: parse throughput, body bytes to typed models, ours against the official SDK.

Ours: ``Call.parse`` (JSON decode, the essential-field checks, structuring into attrs models with
``Decimal`` money and aware ``datetime``). Theirs: ``ApiClient.response_deserialize`` of
``kalshi-python-sync`` 3.2.0 on the same bytes (decode, ``json.loads``, pydantic
``from_dict``), which is what its API methods call. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import kalshi_python_sync as official
from _timing import interleave, summary
from kalshi_python_sync.rest import RESTResponse
from payloads import fills_page, orders_page, positions_page

from kalshi_core import Response, builders
from kalshi_core.models._json import BACKEND

N = 1000
CASES = [
    ("orders", orders_page, builders.get_orders(limit=N), "GetOrdersResponse", "orders"),
    ("fills", fills_page, builders.get_fills(limit=N), "GetFillsResponse", "fills"),
    (
        "positions",
        positions_page,
        builders.get_positions(limit=N),
        "GetPositionsResponse",
        "market_positions",
    ),
]


class _Raw:
    """The minimal urllib3-like response ``RESTResponse`` wraps."""

    def __init__(self, body: bytes) -> None:
        self.status = 200
        self.reason = "OK"
        self.data = body
        self.headers = {"content-type": "application/json"}


def _theirs(api: Any, body: bytes, type_name: str) -> Any:
    rest = RESTResponse(_Raw(body))
    rest.read()
    return api.response_deserialize(rest, {"200": type_name}).data


def _check(ours: Any, theirs: Any, attr: str) -> dict[str, Any]:
    a, b = getattr(ours, attr), getattr(theirs, attr)
    assert len(a) == len(b) == N, (len(a), len(b))
    return {"our_first": repr(a[0])[:160], "their_first": repr(b[0])[:160]}


def _current_spec_behaviour(api: Any, make: Any, type_name: str, call: Any) -> dict[str, str]:
    """What each SDK does with a page in today's shape (no legacy integer fields)."""
    body = make(N, current_only=True)
    ours = call.parse(Response(status=200, headers=(), body=body))
    try:
        _theirs(api, body, type_name)
        theirs = "parsed"
    except Exception as exc:  # noqa: BLE001 - reporting what it raises
        first = str(exc).splitlines()
        theirs = f"{type(exc).__name__}: {' / '.join(line.strip() for line in first[:3])}"
    return {"ours": f"parsed {type(ours).__name__}", "theirs": theirs}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    api = official.ApiClient(official.Configuration(host="http://127.0.0.1/trade-api/v2"))
    out: dict[str, Any] = {"json_backend": BACKEND, "records": N, "rounds": rounds, "cases": {}}
    for name, make, call, type_name, attr in CASES:
        body = make(N)
        response = Response(status=200, headers=(("content-type", "application/json"),), body=body)
        ours = call.parse(response)
        theirs = _theirs(api, body, type_name)
        checks = _check(ours, theirs, attr)
        samples = interleave(
            {
                "ours": lambda c=call, r=response: c.parse(r),
                "theirs": lambda b=body, t=type_name: _theirs(api, b, t),
            },
            rounds=rounds,
        )
        ours_cpu, theirs_cpu = samples["ours"].cpu, samples["theirs"].cpu
        out["cases"][name] = {
            "bytes": len(body),
            # Records per CPU second of this (single-threaded) process: on a shared machine
            # wall time also counts other processes' turns; both are reported.
            "ours": summary([N / c for c in ours_cpu]),
            "theirs": summary([N / c for c in theirs_cpu]),
            "ours_wall": summary([N / w for w in samples["ours"].wall]),
            "theirs_wall": summary([N / w for w in samples["theirs"].wall]),
            "ratio_rounds": summary([t / o for o, t in zip(ours_cpu, theirs_cpu, strict=True)]),
            "current_spec": _current_spec_behaviour(api, make, type_name, call),
            **checks,
        }
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
