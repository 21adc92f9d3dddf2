"""Write the documentation site's API reference from the operation table and the models.

    python tools/gen_api_docs.py          # (re)write docs/reference/operations/ and models/
    python tools/gen_api_docs.py --check  # exit 1 if the committed pages are stale

One page per tag (``spec/operations.tsv``) lists each operation: its method name on both
clients, the HTTP route, whether it needs an API key, its parameters (name, type, where it
goes, required or not, the spec's description), what it returns (the response model, linked),
how it pages, and its rate-limit cost (``kalshi_core.policy.ratelimit``). The models pages list
every model's fields with their types, and every enum's values. Nothing here is written by
hand: the sources are the builders' signatures and docstrings, ``kalshi_core._generated.optable``
and ``kalshi_core.models``. The pages carry no ```python blocks (the docs harness runs those).
"""

from __future__ import annotations

import argparse
import csv
import enum
import inspect
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kalshi_core import builders, models  # noqa: E402
from kalshi_core._generated.optable import OPERATIONS  # noqa: E402
from kalshi_core.policy.ratelimit import DEFAULT_COST, DEFAULT_COSTS, PER_ITEM_COSTS  # noqa: E402

OUT = ROOT / "docs" / "reference"
HEADER = "<!-- Written by tools/gen_api_docs.py from the operation table. Do not edit. -->\n"

TAG_TITLES = {
    "account": "Account",
    "api-keys": "API keys",
    "communications": "Communications (RFQs and quotes)",
    "events": "Events",
    "exchange": "Exchange",
    "fcm": "FCM",
    "historical": "Historical data",
    "incentive-programs": "Incentive programs",
    "live-data": "Live data",
    "market": "Markets",
    "milestone": "Milestones",
    "multivariate": "Multivariate collections",
    "order-groups": "Order groups",
    "orders": "Orders",
    "portfolio": "Portfolio",
    "search": "Search",
    "structured-targets": "Structured targets",
    "tag": "Tags",
}

#: Model pages: names starting with these letters share a page.
MODEL_PAGES = [("a-c", "ABC"), ("d-g", "DEFG"), ("h-m", "HIJKLM"), ("n-r", "NOPQR"),
               ("s-z", "STUVWXYZ")]


def _rows() -> list[dict[str, str]]:
    with (ROOT / "spec" / "operations.tsv").open() as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _model_page(name: str) -> str:
    for slug, letters in MODEL_PAGES:
        if name[:1].upper() in letters:
            return slug
    return MODEL_PAGES[-1][0]


def _anchor(name: str) -> str:
    return name.lower()


def _model_link(name: str, here: str) -> str:
    """A link to model ``name`` from a page at ``here`` (``operations`` or ``models``)."""
    prefix = "../models/" if here == "operations" else ""
    return f"[`{name}`]({prefix}{_model_page(name)}.md#{_anchor(name)})"


_MODEL_REF = re.compile(r"\bm\.([A-Z]\w*)")


def _type_text(annotation: str, here: str) -> str:
    """A builder's annotation string for a table cell: ``m.X`` linked, pipes escaped."""
    names = _MODEL_REF.findall(annotation)
    text = _MODEL_REF.sub(r"\1", annotation).replace("|", "\\|")
    cell = f"`{text}`"
    linked = [
        _model_link(n, here) for n in dict.fromkeys(names) if isinstance(getattr(models, n), type)
    ]
    if linked:
        cell += " (" + ", ".join(linked) + ")"
    return cell


def _docstring_args(doc: str) -> dict[str, str]:
    """``Args:`` entries of a Google-style docstring, joined onto one line each."""
    out: dict[str, str] = {}
    lines = inspect.cleandoc(doc).splitlines()
    try:
        start = lines.index("Args:") + 1
    except ValueError:
        return out
    current = None
    for line in lines[start:]:
        if not line.strip():
            break
        if line.startswith("    ") and not line.startswith("        ") and ":" in line:
            current, _, text = line.strip().partition(":")
            out[current] = text.strip()
        elif current is not None:
            out[current] += " " + line.strip()
    return out


def _summary(doc: str) -> tuple[str, str]:
    """The first line of a builder docstring, and its description paragraph."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    first = paragraphs[0].strip()
    rest = [p for p in paragraphs[1:] if not p.startswith("Args:")]
    return first, " ".join(" ".join(p.split()) for p in rest)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cost(operation_id: str) -> str:
    if operation_id in PER_ITEM_COSTS:
        return f"{PER_ITEM_COSTS[operation_id]} tokens per order in the batch"
    cost = DEFAULT_COSTS.get(operation_id, DEFAULT_COST)
    return f"{cost} tokens" + ("" if operation_id in DEFAULT_COSTS else " (the default)")


def operation_section(row: dict[str, str]) -> list[str]:
    name = row["method_name"]
    op = OPERATIONS[name]
    builder = getattr(builders, name)
    doc = builder.__doc__ or ""
    first, description = _summary(doc)
    title = first.split(":", 1)[0]
    out = [f"## `{name}`", "", f"**{title}** · `{op.method} {op.path}`", ""]
    if description:
        out += [description, ""]
    facts = [
        f"- Sync: `client.{name}(...)`; async: `await client.{name}(...)`; core: "
        f"`kalshi_core.builders.{name}(...)` returns the `Call`.",
        f"- API key: {'required' if op.auth else 'not needed (public endpoint)'}.",
        f"- Rate limit: {_cost(op.operation_id)} from the "
        f"{'read' if op.method == 'GET' else 'write'} bucket.",
        f"- Status: {row['status']}"
        + (f"; prefer `{op.replacement}`." if op.replacement else "."),
    ]
    if op.items:
        facts.append(
            f"- Paginated: `client.{name}.pages(...)` yields every page, "
            f"`client.{name}.items(...)` every element of `{op.items}`."
        )
    out += [*facts, ""]
    sig = inspect.signature(builder)
    args = _docstring_args(doc)
    where = {f.name: f.location for f in op.params}
    if sig.parameters:
        out += [
            "| parameter | type | in | required | description |",
            "|---|---|---|---|---|",
        ]
        for p in sig.parameters.values():
            wire = p.name[:-1] if p.name.endswith("_") else p.name
            location = where.get(wire, "body")
            required = "yes" if p.default is inspect.Parameter.empty else "no"
            ann = p.annotation if isinstance(p.annotation, str) else str(p.annotation)
            ann = ann.removesuffix(" | None")
            out.append(
                f"| `{p.name}` | {_type_text(ann, 'operations')} | {location} | {required} | "
                f"{_cell(args.get(p.name, ''))} |"
            )
        out.append("")
    else:
        out += ["No parameters.", ""]
    if op.response is not None:
        out.append(f"**Returns** {_model_link(op.response.__name__, 'operations')}.")
    else:
        out.append("**Returns** `None` (an empty answer).")
    out.append("")
    return out


def operation_pages() -> dict[Path, str]:
    by_tag: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _rows():
        by_tag[row["tag"]].append(row)
    pages: dict[Path, str] = {}
    index = [
        HEADER,
        "# Operations",
        "",
        "Every operation of Kalshi's Trade API v2, grouped by the spec's tags. Each is a method "
        "on `kalshi_sync.Client`, a coroutine method on `kalshi_async.AsyncClient` and a "
        "builder in `kalshi_core.builders`, named by its `operationId` in snake case. Rate-limit "
        "costs are the tokens the client-side limiter reserves (see "
        "[Retries and limits](../../retries.md)).",
        "",
        "| tag | operations |",
        "|---|---|",
    ]
    for tag in sorted(by_tag, key=lambda t: TAG_TITLES.get(t, t)):
        rows = by_tag[tag]
        title = TAG_TITLES.get(tag, tag)
        body = [HEADER, f"# {title}", ""]
        body.append(f"{len(rows)} operation{'s' if len(rows) != 1 else ''} tagged `{tag}`.")
        body.append("")
        for row in rows:
            body += operation_section(row)
        pages[OUT / "operations" / f"{tag}.md"] = "\n".join(body).rstrip() + "\n"
        listed = ", ".join(f"[`{r['method_name']}`]({tag}.md#{r['method_name']})" for r in rows)
        index.append(f"| [{title}]({tag}.md) | {listed} |")
    pages[OUT / "operations" / "index.md"] = "\n".join(index) + "\n"
    return pages


def _field_type(text: str) -> str:
    text = str(text).removesuffix(" | None")
    names = re.findall(r"\b([A-Z]\w*)\b", text)
    cell = "`" + text.replace("|", "\\|") + "`"
    linked = [
        _model_link(n, "models")
        for n in dict.fromkeys(names)
        if n not in ("Any", "Decimal") and isinstance(getattr(models, n, None), type)
    ]
    if linked:
        cell += " (" + ", ".join(linked) + ")"
    return cell


def model_pages() -> dict[Path, str]:
    import attrs

    names = sorted(n for n in models.__all__ if isinstance(getattr(models, n), type))
    grouped: dict[str, list[str]] = defaultdict(list)
    for name in names:
        grouped[_model_page(name)].append(name)
    pages: dict[Path, str] = {}
    index = [
        HEADER,
        "# Models",
        "",
        "The response and request schemas of specs 3.31.0 and 3.13.0 (and the seeds' legacy "
        "fields) as attrs classes in `kalshi_core.models`. Every field is optional (`None` "
        "when the server omits it); `*_dollars` and `*_fp` fields are `Decimal`, `date-time` "
        "fields aware `datetime`. Enums accept values they do not know "
        "(`value.known` is `False`). `kalshi_core.models.raw_json(model)` returns the decoded "
        "body a response was parsed from, unknown fields included.",
        "",
    ]
    for slug, letters in MODEL_PAGES:
        members = grouped.get(slug, [])
        label = f"{letters[0]}\N{EN DASH}{letters[-1]}"
        index.append(f"- [{label}]({slug}.md): {len(members)} models and enums")
        body = [HEADER, f"# Models {label}", ""]
        for name in members:
            cls = getattr(models, name)
            body += [f"## `{name}`", ""]
            if isinstance(cls, type) and issubclass(cls, enum.Enum):
                values = ", ".join(f"`{m.value}`" for m in cls)
                body += [f"An enum (`str`; unknown values accepted): {values}.", ""]
                continue
            if isinstance(cls, type) and attrs.has(cls):
                doc = inspect.cleandoc(cls.__doc__ or "")
                if doc and not re.fullmatch(r"The \w+ schema\.", doc):
                    body += [doc, ""]
                fields = attrs.fields(cls)
                if not fields:
                    body += ["No fields.", ""]
                    continue
                body += ["| field | type |", "|---|---|"]
                for f in fields:
                    body.append(f"| `{f.name}` | {_field_type(str(f.type))} |")
                body.append("")
                continue
            body += [inspect.cleandoc(cls.__doc__ or "A helper type."), ""]
        pages[OUT / "models" / f"{slug}.md"] = "\n".join(body).rstrip() + "\n"
    pages[OUT / "models" / "index.md"] = "\n".join(index) + "\n"
    return pages


def render() -> dict[Path, str]:
    return {**operation_pages(), **model_pages()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a page is stale")
    args = parser.parse_args()
    pages = render()
    stale = [p for p, text in pages.items() if not p.exists() or p.read_text() != text]
    known = {p for d in ("operations", "models") for p in (OUT / d).glob("*.md")}
    extra = sorted(known - set(pages))
    if args.check:
        for p in [*stale, *extra]:
            print(f"stale: {p.relative_to(ROOT)}", file=sys.stderr)
        if stale or extra:
            print("run: python tools/gen_api_docs.py", file=sys.stderr)
            return 1
        return 0
    for p in extra:
        p.unlink()
    for p, text in pages.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    print(f"wrote {len(pages)} pages under {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
