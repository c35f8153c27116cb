"""Mutated real feeds and pages through newsmon's parsers: does any byte make them raise or hang?

    python bench/fuzz_parsers.py [--seed 1] [--seconds 120] [--keep DIR]

Reads the feeds and pages of ../shared/corpus (or NEWSMON_SHARED_CORPUS), mutates each one a few
times (bytes cut, spliced, replaced, hostile snippets inserted: references to no character,
control characters, unclosed sections, deep nesting, EUC-KR bytes) and runs `parse_feed`
(then the topic rules on every entry) or `extract_article` and `find_feed_links` (then the
rules on the text); and links found in the feeds, mutated the same way, through
`absolute_link`, `clean_url` and `canonical_url`. `FeedParseError` is an answer; any other exception, or an input taking more
than 20 s, is a finding: printed with its type and saved under --keep to be turned into a test.
Exits 1 when there was a finding. Nothing of the corpus is copied into the repository.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.shared_news import SHARED_CORPUS

from newsmon.extract import extract_article
from newsmon.feedlinks import find_feed_links
from newsmon.feeds import FeedParseError, absolute_link, parse_feed
from newsmon.rules import load_rules
from newsmon.urls import canonical_url, clean_url

SNIPPETS = [
    b'<!ENTITY a "aaaa">',
    b"&a;",
    b"\x00",
    b"\xff\xfe",
    b"<![CDATA[",
    b"]]>",
    b"<script>",
    b"</",
    b"&#x0;",
    b"&#xD800;",
    b"&#x110000;",
    b"\x01\x0b\x1f",
    b"\xed\xa0\x80",
    b"<?xml version='1.0' encoding='utf-16'?>",
    b"<rss version='2.0'><channel><item><title>",
    b"</height>",
    b"\n" * 1000,
    b"<entry>" * 50,
    b"<div>" * 3000,
    "오픈 소스".encode("euc-kr"),
    b'<script type=\'application/ld+json\'>{"@type":"NewsArticle","articleBody":',
    b"window.__NEXT_DATA__ = {",
]
URL_SNIPPETS = ["[", "]", "[::1]", ":99999999999", "%zz", "\ud800", "\x00", "xn--", "\u3002", "@"]
HANG_SECONDS = 20
_LINK = re.compile(rb"https?://[^\s<>\"']{1,300}")


class _Hung(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hung


def _inputs(corpus: Path) -> tuple[list[bytes], list[bytes]]:
    feeds = [
        (corpus / f["file"]).read_bytes()
        for f in json.loads((corpus / "feeds" / "index.json").read_text(encoding="utf-8"))
    ]
    pages = []
    for p in json.loads((corpus / "pages" / "index.json").read_text(encoding="utf-8")):
        path = corpus / "pages" / p["file"]
        data = (path if path.exists() else corpus / p["file"]).read_bytes()
        pages.append(gzip.decompress(data) if p.get("gzip") else data)
    return feeds, pages


def _mutate_link(link: str, rnd: random.Random) -> str:
    chars = list(link)
    for _ in range(rnd.randint(1, 4)):
        pos = rnd.randint(0, len(chars))
        if rnd.random() < 0.7:
            chars[pos:pos] = list(rnd.choice(URL_SNIPPETS))
        else:
            chars[pos : pos + 1] = [chr(rnd.randint(0, 0x2FFFF))]
    return "".join(chars)


def _mutate(data: bytes, rnd: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, 6)):
        op, pos = rnd.random(), rnd.randint(0, len(out))
        if op < 0.3:
            out[pos : pos + rnd.randint(1, 50)] = rnd.randbytes(rnd.randint(0, 20))
        elif op < 0.6:
            out[pos:pos] = rnd.choice(SNIPPETS)
        elif op < 0.75:
            del out[pos:]
        elif op < 0.9:
            src = rnd.randint(0, len(out))
            out[pos:pos] = out[src : src + rnd.randint(1, 2000)]
        else:
            del out[:pos]
    return bytes(out)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--keep", type=Path, default=Path("fuzz-findings"))
    args = parser.parse_args()
    if not (SHARED_CORPUS / "feeds" / "index.json").is_file():
        print(f"no corpus at {SHARED_CORPUS}", file=sys.stderr)
        return 2
    feeds, pages = _inputs(SHARED_CORPUS)
    links = sorted({m.decode("utf-8", "replace") for f in feeds for m in _LINK.findall(f)})
    rules = load_rules(ROOT / "config" / "topics.yaml")
    rnd = random.Random(args.seed)
    signal.signal(signal.SIGALRM, _alarm)
    findings: Counter[str] = Counter()
    tried = 0
    ends = time.monotonic() + args.seconds
    while time.monotonic() < ends:
        tried += 1
        link = _mutate_link(rnd.choice(links), rnd)
        try:
            absolute_link("http://127.0.0.1/feed", link)
            canonical_url(link)
            clean_url(link)
        except Exception as exc:  # every exception is what this looks for
            findings[f"link {type(exc).__name__}: {str(exc)[:100]}"] += 1
        as_feed = rnd.random() < 0.5
        data = _mutate(rnd.choice(feeds if as_feed else pages), rnd)
        charset = rnd.choice([None, "utf-8", "euc-kr", "x-bogus"])
        signal.alarm(HANG_SECONDS)
        try:
            if as_feed:
                ctype = rnd.choice([None, "application/rss+xml", "application/json", "text/html"])
                try:
                    feed = parse_feed(data, "http://127.0.0.1/feed", charset, ctype)
                except FeedParseError:
                    continue
                for entry in feed.entries[:50]:
                    rules.classify(entry.title, entry.summary)
            else:
                page = extract_article(data, url="http://127.0.0.1/a", http_charset=charset)
                rules.classify(page.title or "", page.text or "")
                find_feed_links(data, "http://127.0.0.1/")
        except _Hung:
            findings[f"hang over {HANG_SECONDS} s"] += 1
            _keep(args.keep, args.seed, tried, data)
        except Exception as exc:  # every exception is what this looks for
            findings[f"{type(exc).__name__}: {str(exc)[:100]}"] += 1
            _keep(args.keep, args.seed, tried, data)
        finally:
            signal.alarm(0)
    print(f"{tried} mutated inputs (seed {args.seed}), {sum(findings.values())} findings")
    for finding, count in findings.most_common():
        print(f"  {count:>5}  {finding}")
    return 1 if findings else 0


def _keep(folder: Path, seed: int, n: int, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed{seed}-{n}.bin").write_bytes(data)


if __name__ == "__main__":
    raise SystemExit(main())
