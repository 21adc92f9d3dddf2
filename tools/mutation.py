"""Mutation testing of the core's policies and the fake's engine, with mutmut, one group at a time.

    python tools/mutation.py                      # every group
    python tools/mutation.py pagination ratelimit # some groups
    python tools/mutation.py --list               # the groups, their modules and tests

``nox -s mutation -- [groups] [options]`` runs this script (not a default session). Each group
(``GROUPS``) names the modules mutmut mutates and the fast test files that may kill their
mutants: the sync driver only (``--driver=sync``), MockTransport only (the ``socket`` variants
are deselected), hypothesis with a fixed seed so a verdict does not depend on the draw. mutmut
itself then runs, for each mutant, only the tests of that list that call the mutated function.

Each group works in its own directory, ``.mutation/<group>/``: a copy of the packages, tests and
spec (modification times kept) and a ``pyproject.toml`` whose ``[tool.mutmut]`` section this
script writes. mutmut copies that tree into ``mutants/`` and caches its verdicts there, so a
second run re-tests only what changed. ``--budget`` bounds each group's wall time (mutants left
unchecked are reported as such); ``--max-children`` the parallel workers (default 1: the
machine is shared).

The result is a table per module (killed, survived, timeout, no tests, unchecked, score) written
to ``.mutation/summary.md`` along with the diff of every survivor; ``docs/mutation.md`` records
the verdicts on the survivors. Exit status 1 when a group's score is under ``--fail-under``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from dataclasses import replace as attrs_replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
COPIED = ("kalshi_core", "kalshi_sync", "kalshi_async", "kalshi_testing", "tests", "spec", "docs")
# Data the tests read, copied by mutmut next to the mutated packages.
ALSO_COPY = ("spec", "docs")
PYTEST_ARGS = (
    "--driver=sync",
    "-p",
    "no:cacheprovider",
    "--hypothesis-seed=0",
    "-q",
)
CONTRACTS = "tests/test_policy_contracts.py"
RECOVERY = "tests/test_recovery_contracts.py"


@dataclass(frozen=True)
class Group:
    """Modules to mutate, the test files that may kill their mutants, and a pytest ``-k``
    expression for tests to leave out (besides the ``socket`` variants): timing-sensitive
    tests whose verdict would depend on the machine's load. ``plugins`` are pytest plugins
    loaded for the group's runs (``-p``)."""

    modules: tuple[str, ...]
    tests: tuple[str, ...]
    deselect: str = ""
    plugins: tuple[str, ...] = ()

    def pytest_args(self) -> tuple[str, ...]:
        keyword = "not socket" + (f" and not ({self.deselect})" if self.deselect else "")
        plugins = [arg for plugin in self.plugins for arg in ("-p", plugin)]
        return (*PYTEST_ARGS, *plugins, "-k", keyword)


GROUPS: dict[str, Group] = {
    "credentials": Group(
        ("kalshi_core/wire/credentials.py",),
        (
            "tests/test_credentials.py",
            "tests/test_credential_inputs.py",
            "tests/test_errors_are_ours.py",
            "tests/test_signing.py",
            "tests/test_secrets.py",
            "tests/test_ed25519.py",
            CONTRACTS,
        ),
        # mutmut's trampolines add stack frames: which line a warning names differs under it.
        deselect="warns_at_the_callers_line",
    ),
    "retry": Group(
        ("kalshi_core/policy/retry.py",),
        (
            "tests/test_retry_policy.py",
            "tests/test_auth_clock.py",
            "tests/test_faults.py",
            CONTRACTS,
            RECOVERY,
        ),
    ),
    "idempotency": Group(
        ("kalshi_core/policy/idempotency.py", "kalshi_core/policy/client_order_ids.py"),
        (
            "tests/test_retry_policy.py",
            "tests/test_faults.py",
            "tests/test_write_answers.py",
            CONTRACTS,
            RECOVERY,
        ),
    ),
    "ratelimit": Group(
        ("kalshi_core/policy/ratelimit.py",),
        (
            "tests/test_ratelimit.py",
            "tests/test_fleet.py",
            "tests/test_fake_fidelity.py",
            CONTRACTS,
        ),
        deselect="burst or write_bucket_is_metered or slows_the_next_request or meet_no_429 "
        "or meet_429s or drains_the_shared or store_down or under_contention",
    ),
    "pagination": Group(
        ("kalshi_core/policy/pagination.py",),
        ("tests/test_pagination.py", "tests/test_trading_pagination.py", CONTRACTS),
    ),
    "validation": Group(
        ("kalshi_core/wire/validate.py", "kalshi_core/wire/rules.py"),
        (
            "tests/test_trading_validation.py",
            "tests/test_validation_contracts.py",
            "tests/test_datetime_inputs.py",
            "tests/test_intents_and_batches.py",
            CONTRACTS,
        ),
    ),
    "trading": Group(
        ("kalshi_core/trading.py",),
        (
            "tests/test_intents_and_batches.py",
            "tests/test_trading_contracts.py",
            "tests/test_trading_validation.py",
            "tests/test_trading_pagination.py",
            CONTRACTS,
        ),
    ),
    "conversion": Group(
        ("kalshi_core/models/_converter.py", "kalshi_core/models/_compiled.py"),
        (
            "tests/test_models.py",
            "tests/test_compiled_structure.py",
            "tests/test_legacy_roundtrip.py",
            "tests/test_parse_fuzz.py",
            "tests/test_json_backends.py",
            "tests/test_conversion_contracts.py",
            "tests/test_errors.py",
            CONTRACTS,
        ),
        # The converters are built once per process: rebuilt before each test, so that a
        # mutant of how they are built (``_configure``, the hook factories, the compiler) runs.
        plugins=("tests.mutation_fresh_converters",),
    ),
    "engine": Group(
        ("kalshi_testing/_engine.py",),
        (
            "tests/test_fake_engine.py",
            "tests/test_fake_orders.py",
            "tests/test_fake_ledger.py",
            "tests/test_fake_portfolio.py",
            "tests/test_fake_groups.py",
            "tests/test_fake_activity.py",
            "tests/test_fake_fidelity.py",
            "tests/test_fake_market_data.py",
            "tests/test_spec_3_34.py",
            "tests/test_fake_engine_money.py",
            "tests/test_fake_engine_orders.py",
            "tests/test_fake_engine_lifecycle.py",
        ),
    ),
}

KILLED = {"killed", "timeout", "caught by type check"}
ALIVE = {"survived", "no tests", "suspicious"}
# ``mutation_verdicts.toml`` and one file per area (``mutation_verdicts_engine_orders.toml``...).
VERDICTS = ROOT / "tools" / "mutation_verdicts.toml"
DOC = ROOT / "docs" / "mutation.md"
DOC_START = "<!-- mutation: survivors start (written by tools/mutation.py --write-doc) -->"
DOC_END = "<!-- mutation: survivors end -->"
_XX = re.compile(r"""(?P<p>b?)(?P<q>['"])XX(?P<s>.*?)XX(?P=q)""")
# A line that builds a message for people: an exception, a warning, a reason, a repr, or a
# string-only continuation line of one.
_MESSAGE = re.compile(r"""raise |Error\(|Warning\(|warn\(|Resend\(|^f?["']|^return f?["']""")


@dataclass(frozen=True)
class Survivor:
    """A mutant no test killed: where it is, what it changed, and the verdict on it."""

    module: str
    function: str
    name: str
    status: str
    minus: str
    plus: str
    verdict: str = ""
    reason: str = ""

    @property
    def equivalent(self) -> bool:
        return self.verdict in {"equivalent", "decoration", "unreachable"}

    def toml(self) -> str:
        """A ``tools/mutation_verdicts.toml`` entry for this survivor, verdict to fill in."""
        return (
            "[[mutant]]\n"
            f"module = {json.dumps(self.module)}\n"
            f"function = {json.dumps(self.function)}\n"
            f"minus = {json.dumps(self.minus, ensure_ascii=False)}\n"
            f"plus = {json.dumps(self.plus, ensure_ascii=False)}\n"
            'verdict = "equivalent"\n'
            'reason = "TODO"\n'
        )


def _function(name: str) -> str:
    """``Credentials.__init__`` from ``...xǁCredentialsǁ__init____mutmut_1``."""
    tail = name.rsplit(".", 1)[-1]
    tail = re.sub(r"__mutmut_\d+$", "", tail)
    if tail.startswith("x\u01c1"):
        return ".".join(p for p in tail[2:].split("\u01c1") if p)
    return tail[2:] if tail.startswith("x_") else tail


def _changed_lines(diff: str) -> tuple[str, str]:
    minus = [
        ln[1:].strip()
        for ln in diff.splitlines()
        if ln.startswith("-") and not ln.startswith("---")
    ]
    plus = [
        ln[1:].strip()
        for ln in diff.splitlines()
        if ln.startswith("+") and not ln.startswith("+++")
    ]
    return " / ".join(minus), " / ".join(plus)


def _load_verdicts() -> list[dict[str, str]]:
    import tomllib

    found: list[dict[str, str]] = []
    for path in sorted(VERDICTS.parent.glob("mutation_verdicts*.toml")):
        found += tomllib.loads(path.read_text()).get("mutant", [])
    return found


def classify(
    module: str, name: str, status: str, diff: str, verdicts: list[dict[str, str]]
) -> Survivor:
    """The survivor with its verdict: ``decoration`` when the only change wraps the text of a
    message in ``XX`` or changes its letter case (every word is still there), else the recorded
    verdict whose module, function and changed lines match (``tools/mutation_verdicts.toml``),
    else ``unexplained``."""
    function = _function(name)
    minus, plus = _changed_lines(diff)
    base = Survivor(module, function, name, status, minus, plus)
    message = bool(_MESSAGE.search(minus)) or function.endswith("__repr__")
    unwrapped = _XX.sub(lambda m: m["p"] + m["q"] + m["s"] + m["q"], plus)
    if status == "survived" and message and unwrapped == minus:
        return attrs_replace(base, verdict="decoration", reason="message text wrapped in XX")
    if status == "survived" and message and plus != minus and plus.lower() == minus.lower():
        return attrs_replace(
            base,
            verdict="decoration",
            reason="only the letter case of message text changed",
        )
    for v in verdicts:
        if (
            v.get("module") == module
            and v.get("function") == function
            and v.get("minus") == minus
            and v.get("plus") == plus
        ):
            return attrs_replace(base, verdict=v["verdict"], reason=v["reason"])
    return attrs_replace(base, verdict="unexplained")


def _toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def _mirror(src: Path, dst: Path) -> None:
    """Make ``dst`` a copy of ``src`` (Python sources and data), keeping modification times so
    mutmut's cache sees unchanged files as unchanged."""
    wanted: set[Path] = set()
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if "__pycache__" in rel.parts or path.is_dir():
            continue
        wanted.add(rel)
        target = dst / rel
        stat = path.stat()
        if target.exists():
            tstat = target.stat()
            if tstat.st_mtime_ns == stat.st_mtime_ns and tstat.st_size == stat.st_size:
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    if dst.exists():
        for path in dst.rglob("*"):
            rel = path.relative_to(dst)
            if path.is_file() and "__pycache__" not in rel.parts and rel not in wanted:
                path.unlink()


def _pyproject(group: Group) -> str:
    base = (ROOT / "pyproject.toml").read_text()
    base = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", base)
    return (
        base.rstrip()
        + "\n\n[tool.mutmut]\n"
        + f"source_paths = {_toml_list(['kalshi_core', 'kalshi_testing', 'kalshi_sync', 'kalshi_async'])}\n"  # noqa: E501
        + f"only_mutate = {_toml_list(group.modules)}\n"
        + f"also_copy = {_toml_list(ALSO_COPY)}\n"
        + f"pytest_add_cli_args = {_toml_list(group.pytest_args())}\n"
        + f"pytest_add_cli_args_test_selection = {_toml_list(group.tests)}\n"
        + "use_git_change_detection = false\n"
    )


def _mutmut() -> list[str]:
    exe = Path(sys.executable).with_name("mutmut")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "mutmut"]


def _verdicts(work: Path) -> dict[str, dict[str, str]]:
    """``{module: {mutant name: status}}`` from mutmut's ``.meta`` files."""
    from mutmut.stats import status_by_exit_code

    out: dict[str, dict[str, str]] = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(work / "mutants"))[: -len(".meta")]
        try:
            data = json.loads(meta.read_text())
        except ValueError:  # cut short by a stopped run: mutmut writes it again
            print(f"   {meta.name}: unreadable, ignored (its mutants count as unchecked)")
            continue
        out[module] = {
            name: status_by_exit_code[code] for name, code in data["exit_code_by_key"].items()
        }
    return out


_SHOW_ALL = """
import json, sys
from mutmut.__main__ import find_mutant
from mutmut.mutation.diff_apply import get_diff_for_mutant
out = {}
for name in json.load(sys.stdin):
    try:
        out[name] = get_diff_for_mutant(name, path=find_mutant(name).path)
    except Exception as exc:  # a mutant mutmut cannot show: say so rather than stop
        out[name] = f"(no diff: {exc!r})"
json.dump(out, sys.stdout)
"""


def _show_all(work: Path, names: list[str]) -> dict[str, str]:
    """The diff of each mutant, from one process (``mutmut show`` re-reads the tree per call)."""
    if not names:
        return {}
    result = subprocess.run(
        [sys.executable, "-c", _SHOW_ALL],
        cwd=work,
        input=json.dumps(names),
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    diffs: dict[str, str] = json.loads(result.stdout)
    return diffs


def run_group(
    name: str,
    group: Group,
    budget: float,
    max_children: int,
    verdicts: list[dict[str, str]],
    run: bool = True,
    only: tuple[str, ...] = (),
) -> tuple[dict[str, Counter[str]], list[Survivor]]:
    """Run mutmut over one group (unless ``run`` is false: then only read its last verdicts);
    the verdict counts per module and every survivor. ``only`` (mutant name patterns, such as
    ``kalshi_testing._engine.xǁEngineǁcancel*``) tests just those mutants again."""
    work = WORK / name
    if not run:
        return _collect(work, group, verdicts)
    work.mkdir(parents=True, exist_ok=True)
    for folder in COPIED:
        _mirror(ROOT / folder, work / folder)
    pyproject = _pyproject(group)
    target = work / "pyproject.toml"
    if not target.exists() or target.read_text() != pyproject:
        target.write_text(pyproject)
    print(f"== {name}: {', '.join(group.modules)}", flush=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TERM": "dumb"}
    # mutmut keeps a cached verdict; tests written since may kill an old survivor, so the
    # survivors of the previous run are named again (mutmut re-tests named mutants).
    before = {n for by in _verdicts(work).values() for n, s in by.items() if s in ALIVE}
    # ... but only when a test file changed since that run (else the verdicts stand).
    stamp = work / "tests.sha256"
    digest = hashlib.sha256(b"".join((ROOT / t).read_bytes() for t in group.tests)).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        before = set()
    deadline = time.monotonic() + budget
    with (work / "mutmut.log").open("w") as out:

        def mutmut_run(names: list[str]) -> bool:
            left = deadline - time.monotonic()
            if left > 0:
                # Its own process group, so the budget stops mutmut's forked workers too.
                proc = subprocess.Popen(
                    [*_mutmut(), "run", "--max-children", str(max_children), *names],
                    cwd=work,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
                try:
                    proc.wait(timeout=left)
                    return True
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            print(f"   budget of {budget:.0f} s spent: the rest stays unchecked", flush=True)
            return False

        if only:
            mutmut_run(list(only))
            return _collect(work, group, verdicts)
        complete = mutmut_run([])
        if complete and before:
            still = {n for by in _verdicts(work).values() for n, s in by.items() if s in ALIVE}
            if before & still:
                complete = mutmut_run(sorted(before & still))
    if complete:
        stamp.write_text(digest)
    return _collect(work, group, verdicts)


def _collect(
    work: Path, group: Group, verdicts: list[dict[str, str]]
) -> tuple[dict[str, Counter[str]], list[Survivor]]:
    counts: dict[str, Counter[str]] = {}
    alive: list[tuple[str, str, str]] = []
    for module, by_name in _verdicts(work).items():
        if module not in group.modules:
            continue
        counts[module] = Counter(by_name.values())
        alive += [(module, n, s) for n, s in sorted(by_name.items()) if s in ALIVE]
    diffs = _show_all(work, [n for _, n, _ in alive])
    survivors = [classify(m, n, s, diffs.get(n, ""), verdicts) for m, n, s in alive]
    (work / "survivors.txt").write_text(
        "".join(f"# {n}: {s}\n{diffs.get(n, '')}\n\n" for _, n, s in alive)
    )
    return counts, survivors


def score(c: Counter[str], equivalent: int = 0) -> tuple[int, int, float]:
    """``(killed, counted, score)``: killed (timeouts included) over the mutants checked, less
    those judged equivalent."""
    killed = sum(c[s] for s in KILLED)
    counted = sum(v for s, v in c.items() if s not in {"not checked", "skipped"}) - equivalent
    return killed, counted, (killed / counted if counted else 0.0)


def _survivor_table(survivors: list[Survivor]) -> str:
    def cell(text: str) -> str:
        return "`" + text.replace("|", "\\|").replace("`", "'") + "`" if text else ""

    rows = [
        "| module | function | change (before / after) | status | verdict | why |",
        "|---|---|---|---|---|---|",
    ]
    for s in survivors:
        rows.append(
            f"| `{s.module}` | `{s.function}` | {cell(s.minus)} → {cell(s.plus)} | {s.status} "
            f"| {s.verdict} | {s.reason} |"
        )
    return "\n".join(rows) + "\n"


def _write_doc(summary: str, survivors: list[Survivor]) -> None:
    text = DOC.read_text()
    if DOC_START not in text or DOC_END not in text:
        raise SystemExit(f"{DOC} lacks the markers {DOC_START!r} and {DOC_END!r}")
    head, rest = text.split(DOC_START, 1)
    _, tail = rest.split(DOC_END, 1)
    body = f"\n\n{summary}\n{_survivor_table(survivors)}\n"
    DOC.write_text(head + DOC_START + body + DOC_END + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("groups", nargs="*", help=f"groups to run (default: all of {list(GROUPS)})")
    parser.add_argument("--budget", type=float, default=1200.0, help="seconds per group")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutmut workers")
    parser.add_argument("--fail-under", type=float, default=0.95, help="minimum score per group")
    parser.add_argument("--list", action="store_true", help="print the groups and exit")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="test again only the mutants whose names match (fnmatch; repeatable)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: report the verdicts of the last runs",
    )
    parser.add_argument(
        "--write-doc", action="store_true", help=f"write the tables into {DOC.relative_to(ROOT)}"
    )
    args = parser.parse_args(argv)
    if args.list:
        for name, group in GROUPS.items():
            print(f"{name}: {' '.join(group.modules)}\n    tests: {' '.join(group.tests)}")
        return 0
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; use {list(GROUPS)}")
    chosen = args.groups or list(GROUPS)
    verdicts = _load_verdicts()
    rows: list[str] = []
    low: list[str] = []
    totals: Counter[str] = Counter()
    all_survivors: list[Survivor] = []
    for name in chosen:
        counts, survivors = run_group(
            name,
            GROUPS[name],
            args.budget,
            args.max_children,
            verdicts,
            not args.report_only,
            tuple(args.only),
        )
        all_survivors += survivors
        group_total: Counter[str] = Counter()
        group_equivalent = 0
        for module, c in counts.items():
            group_total.update(c)
            equivalent = sum(1 for s in survivors if s.module == module and s.equivalent)
            group_equivalent += equivalent
            killed, counted, s = score(c, equivalent)
            raw = score(c)[2]
            rows.append(
                f"| {name} | `{module}` | {sum(c.values())} | {killed} | {equivalent} "
                f"| {counted - killed} | {c['not checked']} | {raw:.1%} | **{s:.1%}** |"
            )
        totals.update(group_total)
        totals["equivalent"] += group_equivalent
        if score(group_total, group_equivalent)[2] < args.fail_under:
            low.append(name)
    equivalent = totals.pop("equivalent", 0)
    killed, counted, s = score(totals, equivalent)
    table = [
        "| group | module | mutants | killed | equivalent | alive | unchecked | raw | score |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        f"| **all** | | {sum(totals.values())} | {killed} | {equivalent} | {counted - killed} "
        f"| {totals['not checked']} | {score(totals)[2]:.1%} | **{s:.1%}** |",
    ]
    WORK.mkdir(exist_ok=True)
    summary = "\n".join(table) + "\n"
    (WORK / "summary.md").write_text(summary + "\n" + _survivor_table(all_survivors))
    print(summary)
    unexplained = [x for x in all_survivors if x.verdict == "unexplained"]
    for x in unexplained:
        print(f"unexplained: {x.name}\n    - {x.minus}\n    + {x.plus}")
    if unexplained:
        (WORK / "unexplained.toml").write_text("\n".join(x.toml() for x in unexplained))
        print(f"verdict stubs for them: {WORK / 'unexplained.toml'}")
    print(f"tables: {WORK / 'summary.md'}; diffs: {WORK}/<group>/survivors.txt")
    if args.write_doc:
        _write_doc(summary, all_survivors)
    if low:
        print(f"under {args.fail_under:.0%}: {', '.join(low)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
