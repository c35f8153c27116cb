"""The real pages of ../shared/corpus/pages, extracted once per process, and how close each
extraction comes to the page's truth file.

Truth comes in three kinds (each `.truth.json` says which): a human-annotated article body
(scrapinghub's benchmark, `articleBody`), snippets that must and must not appear in the body
(trafilatura's tests, `with` / `without`), and a crawler's parsed text, machine output that may
be truncated (Korean news sites, `text`). Bodies are compared as bags of tokens: words in
alphabetic scripts, character bigrams in Hangul and CJK, whose words are not spaced reliably.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

from newsmon.extract import Extracted, extract_article
from tests.support.shared_news import SHARED_PAGES

_WORD = re.compile(r"[0-9a-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0e00-\u0e7f]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]+")


def tokens(text: str) -> Counter[str]:
    low = text.lower()
    out: Counter[str] = Counter(_WORD.findall(low))
    for run in _CJK.findall(low):
        out.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class PageScore:
    """One page: `precision` is the share of extracted tokens in the truth (for snippet truth:
    1 - the share of `without` snippets that leaked in), `recall` the share of truth tokens
    extracted (for snippet truth: the share of `with` snippets found)."""

    id: str
    source: str
    language: str | None
    kind: str  # "body" (human), "snippets", "crawler" (machine output)
    precision: float
    recall: float
    extracted: Extracted


def score(page: dict[str, Any], truth: dict[str, Any], got: Extracted) -> PageScore | None:
    text = got.text or ""
    if "with" in truth:
        found = _squash(text)
        must = [_squash(s) for s in truth.get("with") or []]
        never = [_squash(s) for s in truth.get("without") or []]
        recall = sum(s in found for s in must) / len(must) if must else 1.0
        leaked = sum(s in found for s in never) / len(never) if never else 0.0
        kind, precision = "snippets", 1.0 - leaked
    else:
        body = truth.get("articleBody") or truth.get("text")
        if not isinstance(body, str) or not body.strip():
            return None
        kind = "body" if "articleBody" in truth else "crawler"
        a, b = tokens(text), tokens(body)
        common = sum((a & b).values())
        precision = common / sum(a.values()) if a else 0.0
        recall = common / sum(b.values())
    return PageScore(page["id"], page["source"], page.get("language"), kind, precision, recall, got)


@cache
def extracted_pages() -> list[tuple[dict[str, Any], dict[str, Any], Extracted]]:
    """(index entry, truth, extraction) of every page, extracted without a feed summary: what
    the page alone yields."""
    index = json.loads((SHARED_PAGES / "index.json").read_text(encoding="utf-8"))
    out = []
    for page in index:
        data = gzip.decompress((SHARED_PAGES.parent / page["file"]).read_bytes())
        truth = json.loads((SHARED_PAGES.parent / page["truth"]).read_text(encoding="utf-8"))
        out.append((page, truth, extract_article(data, url=page.get("url"))))
    return out


def page_scores() -> list[PageScore]:
    scores = (score(page, truth, got) for page, truth, got in extracted_pages())
    return [s for s in scores if s is not None]
