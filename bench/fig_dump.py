"""Figure 1b: back to JSON. Dumping a parsed 1,000-record page against parsing it.

For the pages of figure 1 (orders, fills, positions; both eras' fields): ``Call.parse`` (bytes
to models), ``model.to_dict()`` (models to JSON-ready data reproducing what was received) and
``model.to_json()`` (to text), interleaved in rounds. The goal: a page dumps in less time than
it took to parse it. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _timing import interleave, summary
from payloads import fills_page, orders_page, positions_page

from kalshi_core import Response, builders
from kalshi_core.models._json import BACKEND

N = 1000
CASES = [
    ("orders", orders_page, builders.get_orders(limit=N)),
    ("fills", fills_page, builders.get_fills(limit=N)),
    ("positions", positions_page, builders.get_positions(limit=N)),
]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    out: dict[str, Any] = {"json_backend": BACKEND, "records": N, "rounds": rounds, "cases": {}}
    for name, make, call in CASES:
        body = make(N)
        response = Response(status=200, headers=(("content-type", "application/json"),), body=body)
        page = call.parse(response)
        assert page.to_dict() == json.loads(body), f"{name}: to_dict does not reproduce the body"
        samples = interleave(
            {
                "parse": lambda c=call, r=response: c.parse(r),
                "to_dict": page.to_dict,
                "to_json": page.to_json,
            },
            rounds=rounds,
        )
        parse_cpu = samples["parse"].cpu
        out["cases"][name] = {
            "bytes": len(body),
            "parse_ms": summary([c * 1e3 for c in parse_cpu]),
            "to_dict_ms": summary([c * 1e3 for c in samples["to_dict"].cpu]),
            "to_json_ms": summary([c * 1e3 for c in samples["to_json"].cpu]),
            # Per round: dump time over parse time of the same round.
            "to_dict_over_parse": summary(
                [d / p for d, p in zip(samples["to_dict"].cpu, parse_cpu, strict=True)]
            ),
            "to_json_over_parse": summary(
                [d / p for d, p in zip(samples["to_json"].cpu, parse_cpu, strict=True)]
            ),
        }
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
