"""What a page embeds for scripts, read from its parsed tree: JSON-LD objects (an article's
``articleBody``, a stated ``datePublished``) and a client-rendered page's app state (Arc XP's
``Fusion.globalContent``). Bounded in size, depth and count whatever the page holds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from newsmon.feeds import html_to_text

# JSON-LD is read from the parsed page, never by a regex over its bytes (one was quadratic on
# a page of repeated "<script "): at most this many blocks of at most this many characters,
# nodes this deep and this many nodes per block.
JSONLD_MAX_BLOCKS = 20
JSONLD_MAX_CHARS = 1_000_000
JSONLD_MAX_DEPTH = 32
JSONLD_MAX_NODES = 10_000
# A client-rendered page (Arc XP: Chosun Ilbo, Infobae, ...) may carry its article only as the
# app state a script renders (`Fusion.globalContent = {...}`): read from at most this many
# characters of one script, at most this many content elements.
APPSTATE_MAX_CHARS = 4_000_000
APPSTATE_MAX_ELEMENTS = 2_000
ARC_MARK = b"Fusion.globalContent"
_ARC_STATE = re.compile(r"Fusion\.globalContent\s*=\s*")


def _jsonld_blocks(root: Any) -> Iterator[str]:
    """The text of the page's ``<script type="application/ld+json">`` elements, bounded in
    number and size."""
    if root is None:
        return
    found = 0
    for script in root.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind != "application/ld+json" or not script.text:
            continue
        found += 1
        if found > JSONLD_MAX_BLOCKS:
            return
        if len(script.text) <= JSONLD_MAX_CHARS:
            yield script.text


def jsonld_nodes(root: Any) -> Iterator[dict[str, Any]]:
    """The page's JSON-LD objects, depth first, within bounded depth and node count."""
    for block in _jsonld_blocks(root):
        try:
            data = json.loads(block.strip(), strict=False)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than json allows
            continue
        stack: list[tuple[Any, int]] = [(data, 0)]
        visited = 0
        while stack and visited < JSONLD_MAX_NODES:
            node, depth = stack.pop()
            visited += 1
            if isinstance(node, dict):
                yield node
                children: Any = node.values()
            elif isinstance(node, list):
                children = node
            else:
                continue
            if depth < JSONLD_MAX_DEPTH:
                stack.extend((v, depth + 1) for v in children if isinstance(v, (dict, list)))


def jsonld_article(root: Any) -> dict[str, Any] | None:
    """The first JSON-LD node with a non-empty ``articleBody``."""
    for node in jsonld_nodes(root):
        body = node.get("articleBody")
        if isinstance(body, str) and body.strip():
            return node
    return None


def author_name(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return author_name(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (author_name(v) for v in value) if n]
        return ", ".join(names) or None
    return None


@dataclass(frozen=True)
class AppState:
    headline: str
    text: str
    published: str | None
    author: str | None


def app_state_article(root: Any) -> AppState | None:
    """The article an Arc XP page renders from ``Fusion.globalContent``: its text elements in
    order (their inline HTML made text), headline and date; None if the page has none."""
    if root is None:
        return None
    for script in root.iter("script"):
        code = script.text
        if not code or len(code) > APPSTATE_MAX_CHARS:
            continue
        found = _ARC_STATE.search(code)
        if found is None:
            continue
        try:
            state, _end = json.JSONDecoder(strict=False).raw_decode(code, found.end())
        except (ValueError, RecursionError):
            return None
        if not isinstance(state, dict):
            return None
        elements = state.get("content_elements")
        if not isinstance(elements, list):
            return None
        parts = [
            html_to_text(e["content"])
            for e in elements[:APPSTATE_MAX_ELEMENTS]
            if isinstance(e, dict) and e.get("type") == "text" and isinstance(e.get("content"), str)
        ]
        text = "\n".join(p for p in parts if p)
        if not text:
            return None
        headlines = state.get("headlines")
        headline = headlines.get("basic") if isinstance(headlines, dict) else None
        date = state.get("display_date") or state.get("first_publish_date")
        credits = state.get("credits")
        by = credits.get("by") if isinstance(credits, dict) else None
        return AppState(
            headline=html_to_text(headline) if isinstance(headline, str) else "",
            text=text,
            published=date if isinstance(date, str) else None,
            author=author_name(by[0]) if isinstance(by, list) and by else None,
        )
    return None
