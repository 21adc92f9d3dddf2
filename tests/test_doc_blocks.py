"""Every ```python block in README.md and docs/**/*.md is a complete program, and the suite runs it.

The convention (write documentation pages to it):

**Which blocks.** Fenced blocks whose info string starts with ``python`` (or ``py``) in
``README.md`` and in every ``docs/**/*.md`` (indented fences inside lists count too; the common
indentation is removed). Blocks of any other language (```bash, ```text, bare ```) are prose and
are not run. Nothing else is needed: a plain ```python block *is* run.

**How a block runs.** Each program is written to ``<tmp>/doc_block.py`` and run as
``python -W default doc_block.py`` in a fresh subprocess (working directory ``<tmp>``, 60 s
limit), while the test process serves a *fresh* fake exchange (``kalshi_testing.FakeExchange``
behind a ``LoopbackServer``) seeded with the **documentation world**:

- the environment holds ``KALSHI_API_KEY_ID``, ``KALSHI_PRIVATE_KEY_PATH`` (an RSA-2048 PEM,
  also present as ``kalshi.pem`` in the working directory) and ``KALSHI_BASE_URL`` (the
  server's ``http://127.0.0.1:PORT/trade-api/v2``); ``KALSHI_ENV``, ``KALSHI_PRIVATE_KEY`` and
  ``KALSHI_PRIVATE_KEY_PASSWORD`` are removed. So ``Client.from_env()`` and
  ``AsyncClient.from_env()`` sign in as the documentation user;
- that user has **$1,000.00** in its primary account (one deposit) and nothing else: no
  orders, fills or positions;
- two markets are open, on the cent grid, taker fee rate 0.07, maker fee 0:
  ``HIGHNY-24JAN01-T60``, where a built-in market maker rests a **bid at 0.40 for 100 YES**
  and an **ask at 0.60 for 100 YES**, and ``HIGHNY-24JAN01-T70``, with an empty book.
  The fake serves the trading and portfolio operations, the market-data reads and the
  WebSocket API (see ``docs/fake-exchange.md``).

A block may ignore this world and build its own (``FakeExchange()``, ``mock_transport``,
``LoopbackServer``): it is a whole program either way.

**What passes.** The program exits with status 0 and writes **nothing to stderr** (warnings
are shown, ``-W default``; an unclosed client's ``ResourceWarning`` or a never-awaited coroutine
fails the block). Check what you claim with ``assert`` in the block, or with a ``stdout``
block (below).

**Directives.** An HTML comment ``<!-- doc: DIRECTIVE[, DIRECTIVE...] -->`` on the last
non-blank line before a fence (it renders as nothing):

- ``<!-- doc: no-run (REASON) -->`` before a ```python block: not run (it needs a real account,
  say, or a real network); instead it is compiled and type-checked with mypy (default mode
  plus ``--check-untyped-defs``; names must exist and calls must type-check). The reason in
  parentheses is required and is shown to the reader's editor only.
- ``<!-- doc: continue -->`` before a ```python block: the block continues the previous
  ```python block of the same file; the chain (first block plus its continuations) runs as one
  program, once. Use it to split a walk-through with prose between the steps.
- ``<!-- doc: stdout -->`` before a fenced block of any other language (usually ```text): its
  content is the exact standard output of the preceding ```python program (trailing whitespace
  of each line and trailing blank lines ignored).
- ``<!-- doc: pytest -->`` before a ```python block: the block is a pytest test module; it is
  written to ``<tmp>/test_doc_block.py`` and run with ``python -m pytest -q -p no:cacheprovider``
  (the ``kalshi_testing`` plugin's fixtures are available, the documentation world too); every
  test must pass and at least one must run.
- ``<!-- doc: stderr-ok -->`` with any runnable block: stderr may be non-empty (a block that
  demonstrates a ``DeprecationWarning``).

Test ids are ``FILE:LINE`` of the opening fence (of the first block of a chain). These programs
do not depend on ``--driver``: they run when the suite runs with ``--driver=sync`` or ``all``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kalshi_testing import FakeExchange, LoopbackServer

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60.0
DIRECTIVES = {"no-run", "continue", "stdout", "pytest", "stderr-ok"}

#: The documentation world (keep in step with the module docstring).
USER_BALANCE = Decimal("1000")
MARKET = "HIGHNY-24JAN01-T60"
EMPTY_MARKET = "HIGHNY-24JAN01-T70"
MAKER_QUOTES = (("bid", "0.40", 100), ("ask", "0.60", 100))


# -- parsing --------------------------------------------------------------------------------
@dataclass
class Block:
    """One fenced block of a markdown file."""

    path: str
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    directives: dict[str, str] = field(default_factory=dict)  # name -> argument ("" if none)


@dataclass
class Program:
    """What the suite runs: a python block with its continuations, or a no-run block."""

    path: str
    line: int
    code: str
    kind: str  # "run", "pytest" or "no-run"
    stdout: str | None = None
    stderr_ok: bool = False
    reason: str = ""

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*doc:\s*(?P<body>.*?)\s*-->\s*$")
_ITEM = re.compile(r"^(?P<name>[a-z-]+)\s*(?:\((?P<arg>.*)\))?$")


class DocSyntaxError(ValueError):
    """A directive or fence the convention does not allow."""


def _directives(text: str, where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    # Split on commas outside parentheses.
    depth, start, items = 0, 0, []
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    for raw in items:
        m = _ITEM.match(raw.strip())
        if m is None or m["name"] not in DIRECTIVES:
            raise DocSyntaxError(f"{where}: unknown doc directive {raw.strip()!r}")
        found[m["name"]] = (m["arg"] or "").strip()
    return found


def parse_blocks(text: str, path: str) -> list[Block]:
    """The fenced blocks of a markdown text, each with the directive comment before it."""
    lines = text.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence = m["fence"]
        lang = (m["info"].strip().split() or [""])[0].lower()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines):
            close = _FENCE.match(lines[i])
            closes = close and close["fence"].startswith(fence) and not close["info"].strip()
            if closes:
                break
            body.append(lines[i])
            i += 1
        else:
            raise DocSyntaxError(f"{path}:{start + 1}: unclosed fence")
        i += 1
        code = textwrap.dedent("\n".join(body))
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        directives: dict[str, str] = {}
        if prev >= 0 and (d := _DIRECTIVE.match(lines[prev])):
            directives = _directives(d["body"], f"{path}:{prev + 1}")
        blocks.append(Block(path, start + 1, lang, code.rstrip() + "\n", directives))
    return blocks


def programs_of(blocks: list[Block]) -> list[Program]:
    """Group blocks into programs following the directives (see the module docstring)."""
    programs: list[Program] = []
    last: Program | None = None
    for block in blocks:
        where = f"{block.path}:{block.line}"
        d = block.directives
        if block.lang not in ("python", "py"):
            if "stdout" in d:
                if last is None or last.kind != "run":
                    raise DocSyntaxError(f"{where}: a stdout block must follow a runnable program")
                if last.stdout is not None:
                    raise DocSyntaxError(f"{where}: a second stdout block for one program")
                last.stdout = block.code
            elif set(d) - {"no-run"}:
                raise DocSyntaxError(f"{where}: directives {sorted(d)} on a {block.lang!r} block")
            continue
        if "stdout" in d:
            raise DocSyntaxError(f"{where}: 'stdout' belongs on the output block, not the code")
        if "continue" in d:
            if last is None or last.kind == "no-run" or set(d) - {"continue"}:
                raise DocSyntaxError(f"{where}: 'continue' follows a runnable block, alone")
            if last.stdout is not None:
                raise DocSyntaxError(f"{where}: 'continue' after the program's stdout block")
            last.code += "\n" + block.code
            continue
        if "no-run" in d:
            if not d["no-run"]:
                raise DocSyntaxError(f"{where}: no-run needs a reason: <!-- doc: no-run (why) -->")
            last = Program(block.path, block.line, block.code, "no-run", reason=d["no-run"])
        else:
            kind = "pytest" if "pytest" in d else "run"
            last = Program(block.path, block.line, block.code, kind, stderr_ok="stderr-ok" in d)
        programs.append(last)
    return programs


def documentation_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def all_programs() -> list[Program]:
    programs: list[Program] = []
    for path in documentation_files():
        rel = path.relative_to(ROOT).as_posix()
        programs.extend(programs_of(parse_blocks(path.read_text(encoding="utf-8"), rel)))
    return programs


PROGRAMS = all_programs()


# -- the documentation world ----------------------------------------------------------------
@pytest.fixture(scope="module")
def doc_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def documentation_world(pem: bytes) -> tuple[FakeExchange, str]:
    """A fresh fake exchange seeded as the module docstring says, and the user's key id."""
    private = serialization.load_pem_private_key(pem, password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fake = FakeExchange()
    fake.add_market(MARKET)
    fake.add_market(EMPTY_MARKET)
    for side, price, count in MAKER_QUOTES:
        fake.seed_liquidity(MARKET, side, price, count)
    key = fake.add_user(balance=USER_BALANCE, public_key=public)
    return fake, key.key_id


@pytest.fixture
def world(tmp_path: Path, doc_key_pem: bytes) -> Iterator[dict[str, str]]:
    """Serve a fresh documentation world; yield the environment a program runs with."""
    fake, key_id = documentation_world(doc_key_pem)
    pem_path = tmp_path / "kalshi.pem"
    pem_path.write_bytes(doc_key_pem)
    pem_path.chmod(0o600)  # as a private key file should be (a looser one warns)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KALSHI_ENV", "KALSHI_PRIVATE_KEY", "KALSHI_PRIVATE_KEY_PASSWORD")
        and not k.startswith("PYTEST_")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    env["KALSHI_API_KEY_ID"] = key_id
    env["KALSHI_PRIVATE_KEY_PATH"] = str(pem_path)
    with LoopbackServer(fake) as server:
        env["KALSHI_BASE_URL"] = server.url
        yield env
    fake.check_ledger()


def _lines(text: str) -> list[str]:
    out = [line.rstrip() for line in text.splitlines()]
    while out and not out[-1]:
        out.pop()
    return out


def _skip_for_driver(config: pytest.Config) -> None:
    if config.getoption("driver") not in ("sync", "all"):
        pytest.skip("documentation programs run in the sync (or all) run of the suite")


RUNNABLE = [p for p in PROGRAMS if p.kind != "no-run"]
NO_RUN = [p for p in PROGRAMS if p.kind == "no-run"]


@pytest.mark.socket
@pytest.mark.parametrize("program", RUNNABLE, ids=[p.id for p in RUNNABLE])
def test_documented_program_runs(
    program: Program, world: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    _skip_for_driver(request.config)
    # Padding with blank lines makes a traceback's line numbers those of the markdown file.
    header = f"# {program.id}" + "\n" * program.line
    if program.kind == "pytest":
        (tmp_path / "test_doc_block.py").write_text(header + program.code, encoding="utf-8")
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "default",
            "--rootdir",
            str(tmp_path),
            "test_doc_block.py",
        ]
    else:
        (tmp_path / "doc_block.py").write_text(header + program.code, encoding="utf-8")
        argv = [sys.executable, "-W", "default", "doc_block.py"]
    done = subprocess.run(
        argv,
        cwd=tmp_path,
        env=world,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    report = f"{program.id}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.returncode == 0, report
    if program.kind == "pytest":
        assert re.search(r"\b\d+ passed\b", done.stdout), report
    elif not program.stderr_ok:
        assert done.stderr == "", report
    if program.stdout is not None:
        assert _lines(done.stdout) == _lines(program.stdout), report


def test_no_run_blocks_type_check(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Blocks that cannot run here (a real account) compile and pass mypy."""
    _skip_for_driver(request.config)
    if not NO_RUN:
        pytest.skip("no no-run blocks")
    files = []
    for n, program in enumerate(NO_RUN):
        compile(program.code, program.id, "exec")
        target = tmp_path / f"doc_block_{n}.py"
        target.write_text("\n" * program.line + program.code, encoding="utf-8")
        files.append(str(target))
    mypy = shutil.which("mypy") or ""
    argv = [mypy] if mypy else [sys.executable, "-m", "mypy"]
    done = subprocess.run(
        [
            *argv,
            "--check-untyped-defs",
            "--no-error-summary",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--python-version",
            f"{sys.version_info[0]}.{sys.version_info[1]}",
            *files,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if "No module named mypy" in done.stderr:
        pytest.skip("mypy is not installed (pip install '.[test]' brings it)")
    names = {f"doc_block_{n}.py": p.path for n, p in enumerate(NO_RUN)}
    out = done.stdout
    for name, where in names.items():
        out = out.replace(str(tmp_path / name), where)
    assert done.returncode == 0, out + done.stderr


# -- the convention itself ------------------------------------------------------------------
SAMPLE = """\
Intro.

```python
print("one")
```

Between the steps.

<!-- doc: continue -->
```python
print("two")
```

<!-- doc: stdout -->
```text
one
two
```

- a list item:

  <!-- doc: no-run (needs a real account) -->
  ```python
  import kalshi_sync
  ```

```bash
echo not run
```

<!-- doc: pytest, stderr-ok -->
```python
def test_x(): pass
```
"""


def test_the_convention_parses_as_documented() -> None:
    programs = programs_of(parse_blocks(SAMPLE, "sample.md"))
    assert [(p.line, p.kind) for p in programs] == [(3, "run"), (23, "no-run"), (32, "pytest")]
    first, no_run, as_pytest = programs
    assert first.code == 'print("one")\n\nprint("two")\n'
    assert first.stdout == "one\ntwo\n"
    assert no_run.code == "import kalshi_sync\n"
    assert no_run.reason == "needs a real account"
    assert as_pytest.stderr_ok


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- doc: no-run -->\n```python\nx = 1\n```\n", "needs a reason"),
        ("<!-- doc: nope -->\n```python\nx = 1\n```\n", "unknown doc directive"),
        ("<!-- doc: continue -->\n```python\nx = 1\n```\n", "'continue' follows"),
        ("<!-- doc: stdout -->\n```text\nx\n```\n", "must follow a runnable"),
        ("```python\nx = 1\n", "unclosed fence"),
    ],
)
def test_the_convention_refuses_mistakes(text: str, message: str) -> None:
    with pytest.raises(DocSyntaxError, match=message):
        programs_of(parse_blocks(text, "bad.md"))


def test_every_documentation_file_parses() -> None:
    """Collected at import: a malformed directive fails collection; here, the count is sane."""
    assert len(PROGRAMS) >= 10
    assert {p.path for p in PROGRAMS} >= {"README.md", "docs/trading.md"}
