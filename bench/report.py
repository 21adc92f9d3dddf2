# ruff: noqa: RUF001 - the report uses typographic signs (multiplication sign, en dash)
"""Render the figures' JSON as ``bench/REPORT.md``: machine, versions, method, goals, tables."""

from __future__ import annotations

from typing import Any

OURS_SYNC = "ours sync (kalshi_sync)"
THEIRS_SYNC = "official kalshi-python-sync 3.2.0"
THEIRS_ASYNC = "official kalshi-python-async 3.2.0 (aiohttp)"
BARE_SYNC = "bare httpx.Client + signing"
BARE_ASYNC = "bare httpx.AsyncClient + signing (asyncio)"


def _n(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def _range(s: dict[str, float], digits: int = 0) -> str:
    return f"{_n(s['median'], digits)} ({_n(s['min'], digits)}–{_n(s['max'], digits)})"


def _ratios(theirs: list[float], ours: list[float]) -> dict[str, float]:
    """Per-round ratios theirs/ours of a cost (seconds), so > 1 means ours is faster; rounds
    were interleaved, so each pair saw the same machine."""
    values = sorted(t / o for t, o in zip(theirs, ours, strict=True))
    mid = len(values) // 2
    median = values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
    return {"median": median, "min": values[0], "max": values[-1]}


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def render(meta: dict[str, Any], r: dict[str, Any]) -> str:
    out: list[str] = []
    w = out.append
    m = meta["machine"]
    w("# Benchmarks: kalshi-trade-sdk against Kalshi's official SDKs 3.2.0\n")
    w(f"Written by `nox -s bench` (`bench/run.py`) on {meta['date']}.")
    if meta["quick"]:
        w("\n**Quick mode: too few rounds to be a measurement.**")
    w("\n## Machine and versions\n")
    w(f"- CPU: {m['cpu']}, {m['cores']} cores; {m['platform']}")
    w(f"- Python {m['python']} ({m['implementation']})")
    w(
        f"- Load average (1/5/15 min) before: {meta['load_before']}; after: "
        f"{meta['load_after']}. The machine is shared, so wall-clock figures carry other "
        "processes' turns: every figure interleaves its contenders round by round, and "
        "reports the CPU time of the measuring process next to the wall clock."
    )
    w("\n| package | version |\n|---|---|")
    for name, version in meta["versions"].items():
        w(f"| {name} | {version} |")

    w("\n## Method\n")
    w(
        "- One process per figure; all contenders of a figure run in that process on the same "
        "inputs, in interleaved rounds (the order reversed every other round) after warm-up "
        "rounds; a full GC runs before each timed round, outside the timing. Tables show the "
        "median and the min–max over rounds; a ratio is taken per round (ours against theirs "
        "in the same round), then its median (min–max) is shown."
    )
    w(
        "- Parse: response bytes to typed models. Ours: `Call.parse` (orjson decode, the "
        "essential-field checks, the compiled cattrs-style structuring into attrs models, "
        "money as `Decimal`, times as aware `datetime`, enums tolerant). Theirs: "
        "`ApiClient.response_deserialize` of kalshi-python-sync (bytes decode, `json.loads`, "
        "pydantic `from_dict`; money stays `str`). Pages of 1,000 records carry every field "
        "of the current spec (3.31) plus the legacy integer fields (theirs requires them), "
        "with varied prices, counts, statuses and timestamps (`bench/payloads.py`). Records "
        "per CPU second of the measuring process."
    )
    w(
        "- Per call and fan-out: RSA-2048 keys, real RSA-PSS signatures on every call, "
        "keep-alive HTTP/1.1 over 127.0.0.1 to `bench/server.py`, an asyncio server in its "
        "own process answering canned bodies from memory (it does not verify signatures; "
        "the test suite's fake exchange does). Async contenders run their event loop in an "
        "anyio blocking portal thread; CPU is the client process's (all threads). Our "
        "clients' own pacing to the account's rate-limit tier (on by default: 200 reads/s at "
        "the basic tier) is switched off (`rate_limit=None`): the official SDKs have none, and "
        "the figures measure cost, not pacing. Our retry policy stays on (it costs nothing "
        "when nothing fails)."
    )
    w(
        "- Idle-then-burst: a fresh client fires a burst (filling its pool), sits idle longer "
        "than the server keeps idle connections (the server closes them) and longer than "
        "httpx's default 5 s keep-alive expiry, then fires a second burst; every call must "
        "succeed."
    )

    # -- goals -------------------------------------------------------------------------------
    parse = r["parse"]["cases"]
    calls = r["calls"]["ops"]
    fan = r["fanout"]["fanout"]
    burst = r["fanout"]["idle_then_burst"]
    w("\n## Goals\n")
    w("| goal | target | measured (median, min–max over rounds) | verdict |\n|---|---|---|---|")
    for case in ("orders", "fills", "positions"):
        ratio = parse[case]["ratio_rounds"]
        w(
            f"| parse {case}: ours/official records per s | ≥ 2× | {_range(ratio, 2)}× | "
            f"{_verdict(ratio['median'] >= 2)} |"
        )
    for op in ("balance", "orders"):
        c = calls[op]["contenders"]
        rate = _ratios(c[THEIRS_SYNC]["wall_rounds"], c[OURS_SYNC]["wall_rounds"])
        cpu = _ratios(c[THEIRS_SYNC]["cpu_rounds"], c[OURS_SYNC]["cpu_rounds"])
        w(
            f"| sequential {op}: ours sync / official sync calls per s | ≥ 1.3× | "
            f"{_range(rate, 2)}× (by CPU per call: {_range(cpu, 2)}×) | "
            f"{_verdict(rate['median'] >= 1.3)} |"
        )
        over = _ratios(c[OURS_SYNC]["cpu_rounds"], c[BARE_SYNC]["cpu_rounds"])
        w(
            f"| sequential {op}: ours sync CPU per call vs bare httpx | ≤ +10% | "
            f"{(over['median'] - 1) * 100:+.1f}% ({(over['min'] - 1) * 100:+.1f}% to "
            f"{(over['max'] - 1) * 100:+.1f}%) | {_verdict(over['median'] <= 1.10)} |"
        )
    theirs_fan = fan[THEIRS_ASYNC]["wall_rounds"]
    for name in ("ours async (asyncio)", "ours async (trio)"):
        ratio_f = _ratios(theirs_fan, fan[name]["wall_rounds"])
        w(
            f"| fan-out 500: {name} / official async (aiohttp) | ≥ 1× | {_range(ratio_f, 2)}× | "
            f"{_verdict(ratio_f['median'] >= 1)} |"
        )
    for name in ("ours async (asyncio)", "ours async (trio)"):
        b = burst[name]
        w(
            f"| idle-then-burst 500: {name} failed calls | 0 | {b['failed']} "
            f"({_n(b['burst_s'], 2)} s) | {_verdict(b['failed'] == 0)} |"
        )

    imports = r.get("imports")
    if imports:
        for name in ("import kalshi_sync", "import kalshi_async"):
            v = imports["imports"][name]["vs_httpx"]
            w(
                f"| `{name}` / `import httpx`, CPU | ≤ 1.5× | {_range(v, 2)}× | "
                f"{_verdict(v['median'] <= 1.5)} |"
            )
        plugin = imports["plugin"]
        loaded = plugin["plugin active"]["sdk_loaded"]
        none_loaded = loaded == [""]
        w(
            f"| pytest plugin, a run using no fixture: SDK modules loaded / extra CPU | none | "
            f"{'none' if none_loaded else ', '.join(loaded)} / "
            f"{plugin['extra_cpu_ms']['median']:+.0f} ms (noise "
            f"{plugin['extra_cpu_ms']['min']:+.0f} to {plugin['extra_cpu_ms']['max']:+.0f}) | "
            f"{_verdict(none_loaded)} |"
        )

    # -- figure 1 ------------------------------------------------------------------------------
    w("\n## 1. Parse: 1,000-record pages, bytes to typed models\n")
    w(
        "| page | bytes | ours records/s | official records/s | ours/official |\n"
        "|---|---|---|---|---|"
    )
    for case, v in parse.items():
        w(
            f"| {case} | {_n(v['bytes'])} | {_range(v['ours'])} | {_range(v['theirs'])} | "
            f"{_range(v['ratio_rounds'], 2)}× |"
        )
    w("\nWall clock for the same rounds (records/s, median): ")
    w(
        ", ".join(
            f"{case} ours {_n(v['ours_wall']['median'])} / official "
            f"{_n(v['theirs_wall']['median'])}"
            for case, v in parse.items()
        )
        + f". JSON decoder: {r['parse']['json_backend']}."
    )
    w("\nThe same pages in today's shape (current spec only, no legacy integer fields):\n")
    w("| page | ours | official |\n|---|---|---|")
    for case, v in parse.items():
        w(f"| {case} | {v['current_spec']['ours']} | `{v['current_spec']['theirs']}` |")

    # -- figure 1b -----------------------------------------------------------------------------
    if "dump" in r:
        dump = r["dump"]["cases"]
        w("\n## 1b. Back to JSON: dumping the parsed pages\n")
        w(
            "`to_dict()` reproduces the received JSON (unknown keys, nulls, money and timestamp "
            "text as received); `to_json()` adds the encoding. Process CPU per page (ms), and "
            "dump time over parse time of the same round (goal: well under 1).\n"
        )
        w(
            "| page | parse ms | to_dict ms | to_json ms | to_dict/parse | to_json/parse |\n"
            "|---|---|---|---|---|---|"
        )
        for case, v in dump.items():
            w(
                f"| {case} | {_range(v['parse_ms'], 2)} | {_range(v['to_dict_ms'], 2)} | "
                f"{_range(v['to_json_ms'], 2)} | {_range(v['to_dict_over_parse'], 2)} | "
                f"{_range(v['to_json_over_parse'], 2)} |"
            )

    # -- figure 2 ------------------------------------------------------------------------------
    w("\n## 2. Per-call cost: sequential calls, RSA-2048 signing, keep-alive loopback\n")
    sa = r["calls"]["server_alone"]
    w(
        f"The server alone (a raw socket sending the same signed-size request, sequential, "
        f"keep-alive): {_n(sa['requests_per_s'])} requests/s, "
        f"{_n(sa['server_cpu_us_per_request'], 1)} µs of server CPU per request."
    )
    for op, v in calls.items():
        label = "get_balance()" if op == "balance" else "get_orders(limit=1)"
        w(
            f"\n### {label}, {r['calls']['calls_per_round']} calls per round\n\n"
            f"Server CPU per request during these rounds: "
            f"{_n(v['server_cpu_us_per_request'], 1)} µs: a small fraction of every "
            "client's wall time per call, so the server is not the bottleneck.\n"
        )
        w("| client | calls/s | client CPU µs/call | wall µs/call |\n|---|---|---|---|")
        for name, c in v["contenders"].items():
            w(
                f"| {name} | {_range(c['calls_per_s'])} | {_range(c['cpu_us_per_call'])} | "
                f"{_range(c['wall_us_per_call'])} |"
            )

    # -- figure 3 ------------------------------------------------------------------------------
    f = r["fanout"]
    w(f"\n## 3. Async fan-out: {f['concurrency']} concurrent get_balance on one client\n")
    w("| client | calls/s | client CPU µs/call | failed calls |\n|---|---|---|---|")
    for name, c in fan.items():
        w(
            f"| {name} | {_range(c['calls_per_s'])} | {_range(c['cpu_us_per_call'])} | "
            f"{c['failed']} |"
        )
    w(
        "\nThe stock-transport row runs inside our client, whose retry policy resends a call "
        "that timed out waiting for a pool slot (it was never sent): that is why it loses no "
        "call, at the price of its time. A bare `httpx.AsyncClient` raises those `PoolTimeout`s."
    )
    w(
        f"\nIdle-then-burst: burst of {f['concurrency']}, idle {f['pause_s']} s (the server "
        f"closes connections idle for {f['server_idle_timeout_s']} s), burst of "
        f"{f['concurrency']} again.\n"
    )
    w("| client | second burst, s | failed calls |\n|---|---|---|")
    for name, b in burst.items():
        w(f"| {name} | {_n(b['burst_s'], 2)} | {b['failed']} |")

    # -- figure 4 ------------------------------------------------------------------------------
    w("\n## 4. The signature alone (CPU per signature)\n")
    w("| signer | µs per signature | signatures/s |\n|---|---|---|")
    for name, s in r["sign"]["results"].items():
        w(
            f"| {name} | {_range(s['us_per_signature'], 1)} | "
            f"{_n(s['signatures_per_s']['median'])} |"
        )

    # -- figure 5 ------------------------------------------------------------------------------
    if imports:
        w("\n## 5. Import time, and what the pytest plugin costs\n")
        when = imports.get("date", meta["date"])
        w(
            f"Measured {when} (load {imports.get('load', 'n/a')}), {imports['rounds']} "
            "interleaved rounds; each statement in a fresh interpreter with bytecode cached, "
            "timed around the statement alone (CPU of the process; wall clock beside it).\n"
        )
        w("| statement | CPU ms | wall ms | CPU vs `import httpx` |\n|---|---|---|---|")
        for name, v in imports["imports"].items():
            w(
                f"| `{name}` | {_range(v['cpu_ms'], 1)} | {_range(v['wall_ms'], 1)} | "
                f"{_range(v['vs_httpx'], 2)}× |"
            )
        w(
            "\nWhat importing no longer does, paid on first use instead (each in a fresh "
            "interpreter after the imports):\n"
        )
        w("| first use | CPU ms | wall ms |\n|---|---|---|")
        for name, v in imports["deferred"].items():
            w(f"| {name} | {_range(v['cpu_ms'], 1)} | {_range(v['wall_ms'], 1)} |")
        p = imports["plugin"]
        w(
            "\nThe pytest plugin: `pytest -q` on one trivial test in an empty directory, the "
            "`kalshi_testing` plugin active (as installed) and disabled (`-p no:kalshi_testing`); "
            "CPU of the whole pytest process.\n"
        )
        w("| run | CPU ms | wall ms | SDK packages loaded |\n|---|---|---|---|")
        for name in ("plugin active", "disabled"):
            v = p[name]
            shown = ", ".join(x for x in v["sdk_loaded"] if x) or "none"
            w(f"| {name} | {_range(v['cpu_ms'])} | {_range(v['wall_ms'])} | {shown} |")
        w(
            f"\nDifference per round (active − disabled): {p['extra_cpu_ms']['median']:+.1f} ms "
            f"({p['extra_cpu_ms']['min']:+.1f} to {p['extra_cpu_ms']['max']:+.1f}): noise; "
            "the plugin module imports pytest only, and each fixture imports the SDK when it runs."
        )

    # -- streaming -----------------------------------------------------------------------------
    if "stream" in r:
        st = r["stream"]
        t = st["throughput"]
        w("\n## 6. Streaming: order-book deltas, frame bytes to an updated book\n")
        w(
            f"{t['deltas']:,} `orderbook_delta` frames of one market ({t['frame_bytes']:,} bytes), "
            f"fed to each side in 64 KiB chunks, {t['rounds']} interleaved rounds. Ours: "
            "`kalshi_core.stream` (`Connection` + `Session` + managed `OrderBook`: typed "
            "messages, `Decimal`, `seq` checked). Baseline: the `websockets` package's sans-IO "
            "`ClientProtocol` + `json.loads` + a hand-written dict book (float sizes, `seq` "
            "checked).\n"
        )
        w("| | deltas/s | µs per delta |\n|---|---|---|")
        w(f"| ours | {_n(t['ours_deltas_per_s'])} | {_n(t['ours_us_per_delta'], 2)} |")
        w(
            f"| websockets + json + dict | {_n(t['baseline_deltas_per_s'])} | "
            f"{_n(t['baseline_us_per_delta'], 2)} |"
        )
        w(
            f"\nOurs / baseline: {t['ratio_median']:.2f}x (per-round range "
            f"{t['ratio_min']:.2f}-{t['ratio_max']:.2f}). "
            f"Goal (at least as fast): {_verdict(t['ratio_median'] >= 1.0)}.\n"
        )
        lat = st["latency"]
        w(
            f"Latency from the fake exchange placing a resting order to the client's "
            f"`on_message` seeing its delta (loopback, sync driver = async driver on asyncio in "
            f"its thread), {lat['orders']:,} orders: p50 {_n(lat['p50_us'])} µs, "
            f"p99 {_n(lat['p99_us'])} µs.\n"
        )
        w("| 1,000 managed books (20 levels a side) | bytes | per book |\n|---|---|---|")
        for label, mem in st["memory"].items():
            w(f"| {label} | {_n(mem['bytes'])} | {_n(mem['bytes_per_book'])} |")

    # -- profile -------------------------------------------------------------------------------
    w("\n## Where the time goes (cProfile, own time by library)\n")
    w(
        "cProfile inflates pure-Python code relative to C, and counts a blocking `recv` as "
        "the time spent waiting in it; read these as shares, not costs.\n"
    )
    for workload, p in r["profile"].items():
        if workload.startswith("_"):
            continue
        w(f"\n### {workload} ({_n(p['total_s'], 2)} s profiled)\n")
        w("| library | share |\n|---|---|")
        for lib, share in p["by_library"].items():
            if share >= 0.005:
                w(f"| {lib} | {share * 100:.1f}% |")
        top = ", ".join(f"`{name}` {share * 100:.1f}%" for name, share in p["top_functions"][:6])
        w(f"\nTop functions: {top}.")
    w("\n## Reading the figures, and what would close the gaps\n")
    w(NOTES)
    return "\n".join(out) + "\n"


NOTES = """\
- **Parse.** Our side is JSON decoding (orjson, C) plus one compiled Python function per model
  (`kalshi_core/models/_compiled.py`) that fetches every field with one C-level
  `map(dict.get, keys)` pass, checks its type inline and builds `Decimal` and aware `datetime`
  values (interned
  decimals, `datetime.fromisoformat`), falling back to the converter's own hooks for anything
  unusual and to the detailed converter to name a bad field. Theirs is stdlib `json` plus
  pydantic-core (Rust) validating into models that keep money as strings. The profile puts about
  half of our time in the compiled functions (pure Python bytecode, on the order of 100 ns per
  field here) and most of the rest in decoding. What would close a remaining gap: decoding
  straight into typed values in C (msgspec's decoder targets attrs classes and knows `Decimal`
  and `datetime`), with the compiled Python path kept as the fallback for unknown enum values,
  non-finite decimals and naive times.
- **Sequential calls.** Every client pays the RSA-2048 signature (figure 4; Ed25519 costs a
  tenth of it), which compresses the ratios between clients towards 1. Both of our clients run
  on our own h11 connection pools (`kalshi_sync.H11Transport`, `kalshi_async.H11Transport`)
  plugged into httpx; the "stock httpx transport" row shows what httpcore's pool would cost.
  What remains beyond the signature is httpx's request and response models and h11's parsing
  (see the profile); the SDK's own code (building the call, signing, parsing) is a few percent.
- **Fan-out.** Stock `httpx.AsyncClient` (httpcore's pool) is the slow row of figure 3 and
  the slow second burst; `H11Transport` replaces it as our default: a FIFO slot semaphore,
  a per-origin stack of idle connections checked for staleness before reuse, and, under
  asyncio, reads through a plain asyncio protocol rather than anyio's socket stream (which
  pauses and resumes reading around every receive: 2.4x the round-trip latency on loopback).
"""
