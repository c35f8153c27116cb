"""`newsmon classify` and `newsmon eval`: what the topic rules make of one page, and how well
they do on a labelled set.

Registered on the `newsmon` command by importing this module (newsmon.cli does).
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from newsmon.bounds import one_line, short_url
from newsmon.charset import choose_encoding, decode
from newsmon.cli import (
    EXIT_BELOW_FLOOR,
    EXIT_CONFIG,
    ConfigOption,
    _config,
    _fail,
    _rules,
    app,
    default_note,
)
from newsmon.config import ConfigError
from newsmon.urls import shown_url

RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules", help="Topic rules file " + default_note("topics_file of the configuration")
    ),
]
KoreanOption = Annotated[
    str | None,
    typer.Option(
        "--korean",
        help="Korean matching: suffix (built-in particle and ending lists) or kiwi (kiwipiepy)",
    ),
]


@app.command("classify")
def classify_page(
    source: Annotated[str, typer.Argument(help="A local HTML or text file, or an http(s) URL")],
    rules: RulesOption = None,
    korean: KoreanOption = None,
    config: ConfigOption = None,
) -> None:
    """Show which topics a page would match and why, without storing anything."""
    from newsmon.config import FetchConfig
    from newsmon.evaluate import explain_lines
    from newsmon.extract import extract_article
    from newsmon.rules import VetoKind, explain

    ruleset = _rules(config, rules, korean)
    fetch_cfg = _config(config).fetch if rules is None else FetchConfig()
    if source.startswith(("http://", "https://")):
        from newsmon.fetch import Fetcher, FetchResult

        problem = url_problem(source)
        if problem:  # `http://[::1` ended in a ValueError traceback from the HTTP client
            raise _fail(EXIT_CONFIG, f"cannot fetch {short_url(shown_url(source))}: {problem}")

        async def fetch_page() -> FetchResult:
            fetcher = Fetcher(fetch_cfg)
            try:  # the operator named this URL: trusted like a configured feed
                return await fetcher.get(source, max_bytes=fetch_cfg.max_page_bytes, trusted=True)
            finally:
                await fetcher.aclose()

        page = asyncio.run(fetch_page())
        if not page.ok:
            why = one_line(page.error or "", 200) or f"HTTP {page.status}"
            raise _fail(EXIT_CONFIG, f"cannot fetch {short_url(shown_url(source))}: {why}")
        extracted = extract_article(page.content, url=page.final_url, http_charset=page.charset)
        title, text, origin = extracted.title, extracted.text, f"text from {extracted.source}"
    else:
        path = Path(source)
        limit = fetch_cfg.max_page_bytes
        try:
            data, cut = read_local_page(path, limit)
        except (OSError, EOFError, zlib.error) as exc:
            why = getattr(exc, "strerror", None) or one_line(str(exc), 160) or type(exc).__name__
            raise _fail(EXIT_CONFIG, f"cannot read {source}: {why}") from None
        if looks_like_html(path, data):
            extracted = extract_article(data, url=path.resolve().as_uri())
            title, text, origin = extracted.title, extracted.text, f"text from {extracted.source}"
        else:  # plain text, in the charset it reads as: the first line is the title
            codec = choose_encoding(data, []) or "utf-8"
            first, _, rest = decode(data, codec).partition("\n")
            title, text, origin = first.strip(), rest, f"plain text ({codec})"
        if cut:
            origin += f", cut at {limit} bytes"
    typer.echo(one_line(title or "", 300) or "(no title)")
    typer.echo(f"  {origin}, {len(text)} chars; rules {ruleset.version} (korean: {ruleset.korean})")
    details = explain(ruleset, title, text)
    matched = [d for d in details if d.matched]
    typer.echo(f"topics: {', '.join(d.topic for d in matched) or 'none'}")
    for d in details:
        if d.veto is None:
            state = "MATCH" if d.matched else "no"
        elif d.veto.kind is VetoKind.NO_CONTEXT:
            state = "no (requires: none of its context terms occurs)"
        else:
            state = f"no (vetoed by exclude {d.veto.term!r})"
        typer.echo(f"\n{d.topic}: {state}, score {d.score} (needs {d.min_score})")
        for line in explain_lines(d):
            typer.echo(line)


def url_problem(url: str) -> str | None:
    """Why an http(s) URL cannot be fetched as written (an unclosed IPv6 bracket, a port out
    of range, no host), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    return None if parts.hostname else "not a valid URL (no host)"


def read_local_page(path: Path, limit: int) -> tuple[bytes, bool]:
    """A saved page's bytes, at most `limit` (and whether there was more); a gzip file (a
    saved `.html.gz`) is inflated, within the same limit."""
    with path.open("rb") as raw:  # peeked, not rewound: a pipe (`<(curl …)`) cannot seek
        if raw.peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as inflated:
                data = inflated.read(limit + 1)
        else:
            data = raw.read(limit + 1)
    return data[:limit], len(data) > limit


def looks_like_html(path: Path, data: bytes) -> bool:
    """A page by its name (.html, .htm, .xhtml, also gzipped), or by its first bytes."""
    suffixes = [x.lower() for x in path.suffixes[-2:]]
    if any(x in (".html", ".htm", ".xhtml") for x in suffixes):
        return True
    start = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<head")) or b"<html" in start


@app.command("eval")
def eval_rules(
    labels: Annotated[Path, typer.Argument(help="A .jsonl file of labelled items, or a folder")],
    rules: RulesOption = None,
    korean: KoreanOption = None,
    floors: Annotated[
        Path | None, typer.Option(help="YAML of per-topic precision/recall floors")
    ] = None,
    min_precision: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
    min_recall: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
    suggest: Annotated[
        bool,
        typer.Option(
            "--suggest", help="Hint words and pairs frequent in missed positives, rare in negatives"
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Precision, recall and F1 per topic on labelled items, and every misclassified one with
    its scores, the terms that fired or nearly fired, and vetoes.

    Exits 1 when a figure is below --min-precision, --min-recall or the floors file.
    """
    from newsmon.evaluate import evaluate, load_floors, load_labels, report, suggestion_lines
    from newsmon.evaluate import suggest as suggest_terms

    ruleset = _rules(config, rules, korean)
    try:
        items = load_labels(labels)
        wanted = load_floors(floors) if floors else {}
        result = evaluate(ruleset, items)
        failures = result.below(wanted, min_precision, min_recall)
    except ConfigError as exc:
        raise _fail(EXIT_CONFIG, str(exc)) from None
    typer.echo(f"rules {ruleset.version} (korean: {ruleset.korean}) on {labels}")
    for line in report(result):
        typer.echo(line)
    if suggest:
        for line in suggestion_lines(suggest_terms(ruleset, result, items)):
            typer.echo(line)
    for line in failures:
        typer.echo(f"BELOW FLOOR: {line}")
    if failures:
        raise typer.Exit(EXIT_BELOW_FLOOR)
