"""A second, larger set of real news items, read from two public repositories at pinned commits.

../shared/corpus/news holds too few positives per topic (31 open-source, 23 AI-safety, 22 policy)
to measure recall to a tenth. This set is a seeded random sample, labelled by hand without looking
at the rules, of items from two public GitHub repositories:

- ``veryhungryface/ai_news`` (the source of the shared Korean items): ``all_news.json`` at every
  12th commit of its history up to `AI_NEWS_COMMIT`, items from AI타임스, 연합뉴스, ITWorld,
  정책브리핑, TechCrunch, AI Business and OpenAI (title plus the feed's summary); id
  ``xko-``/``xen-`` + the first 10 hex digits of the SHA-1 of the item's link;
- ``xAGI-labs/xagi-labs.github.io`` (the source of the shared AINews digests): every daily digest
  under ``content/blog`` at `DIGESTS_COMMIT`, split into one-sentence stories as in
  `tests.support.shared_news`; id ``xdg-<slug>-sNN-<fingerprint>``.

A third sample (600 items, 2026-11-29; ids in ``tests/data/labels/extra_sample3_ids.txt``) was
drawn only from unlabelled items of the held-out split, labelled twice and adjudicated, and
measured once before any rule change. Nothing of their text is in this repository (no licence
for it): only ids and labels in ``tests/data/labels/extra_news.yaml``. Clone both repositories
(bare clones are fine) into one folder, as ``veryhungryface+ai_news/repo`` and
``xAGI-labs+xagi-labs.github.io/repo`` (the layout
of this machine's ``/work/.mirror``), and point ``NEWSMON_EXTRA_NEWS`` at it (default: ``.mirror``
next to the checkout). Everything that uses the set skips when it is absent. The dev/test split is
the one of the shared items (`split_of`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from newsmon.evaluate import LabelledItem
from tests.support.shared_news import (
    LABELS,
    SharedItem,
    join_labels,
    load_label_file,
    split_digest,
)
from tests.support.shared_news import story_id as _story_id

ROOT = Path(__file__).resolve().parents[2]
EXTRA_LABEL_FILE = LABELS / "extra_news.yaml"
AI_NEWS_COMMIT = "b948d8d02f168c4be6a64777341f3f5811e39744"
DIGESTS_COMMIT = "7e52b87d58d5abb8cc7199545eb70e21e6958366"
# Generated summaries of model-hub pages and blog aggregators are not news items.
_SKIPPED_SOURCES = frozenset({"HuggingFace", "Medium AI", "MIT News", "Google AI"})
_HANGUL = re.compile("[가-힣]")
_LETTER = re.compile("[A-Za-z가-힣]")


def extra_corpus() -> Path:
    configured = os.environ.get("NEWSMON_EXTRA_NEWS")
    return Path(configured) if configured else ROOT.parent / ".mirror"


def _repo(name: str) -> Path:
    return extra_corpus() / name / "repo"


def extra_available() -> bool:
    return all(
        _git_ok(_repo(name), commit)
        for name, commit in (
            ("veryhungryface+ai_news", AI_NEWS_COMMIT),
            ("xAGI-labs+xagi-labs.github.io", DIGESTS_COMMIT),
        )
    )


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, check=True
    ).stdout


def _git_ok(repo: Path, commit: str) -> bool:
    if not repo.is_dir():
        return False
    try:
        _git(repo, "cat-file", "-e", f"{commit}^{{commit}}")
    except (subprocess.CalledProcessError, OSError):
        return False
    return True


def _lang(text: str) -> str:
    """The source's own language flag is wrong for some items: Hangul share decides."""
    letters = len(_LETTER.findall(text))
    return "ko" if len(_HANGUL.findall(text)) > 0.2 * max(1, letters) else "en"


@dataclass(frozen=True)
class FeedItem:
    """One RSS item of ``veryhungryface/ai_news`` as its snapshot holds it."""

    link: str
    title: str
    text: str
    source: str
    date: str  # YYYY-MM-DD, as the repository gives it ("" when absent)


def ai_news_feed_items(step: int = 12) -> list[FeedItem]:
    """Every item (first version of each link) in every `step`-th snapshot up to
    `AI_NEWS_COMMIT`, model-hub summaries and blog aggregators left out."""
    repo = _repo("veryhungryface+ai_news")
    commits = _git(repo, "log", "--format=%H", AI_NEWS_COMMIT).decode().split()
    seen: set[str] = set()
    items: list[FeedItem] = []
    for commit in commits[::step]:
        try:
            data = json.loads(_git(repo, "show", f"{commit}:all_news.json"))
        except (subprocess.CalledProcessError, ValueError):
            continue
        for day in data.get("dates", []):
            for raw in day.get("news", []):
                link = raw.get("link")
                if raw.get("source") in _SKIPPED_SOURCES or not link or link in seen:
                    continue
                seen.add(link)
                title = raw.get("original_title") or raw.get("title") or ""
                text = raw.get("original_summary") or raw.get("description") or ""
                items.append(
                    FeedItem(link, title, text, raw.get("source") or "", raw.get("date") or "")
                )
    return items


def _ai_news_items() -> dict[str, SharedItem]:
    items: dict[str, SharedItem] = {}
    for raw in ai_news_feed_items():
        lang = _lang(raw.title + raw.text)
        prefix = "xko-" if lang == "ko" else "xen-"
        item_id = prefix + hashlib.sha1(raw.link.encode("utf-8")).hexdigest()[:10]
        items[item_id] = SharedItem(item_id, raw.title, raw.text, lang)
    return items


_READ_MORE = re.compile(r"\[Read original post\]\([^)]*\)")


def _digest_items() -> dict[str, SharedItem]:
    repo = _repo("xAGI-labs+xagi-labs.github.io")
    names = _git(repo, "ls-tree", "-r", "--name-only", DIGESTS_COMMIT, "content/blog")
    items: dict[str, SharedItem] = {}
    for name in names.decode().split():
        markdown = _git(repo, "show", f"{DIGESTS_COMMIT}:{name}").decode("utf-8")
        body = _READ_MORE.sub("", markdown.split("---", 2)[-1]).strip()
        slug = "xdg-" + name.rsplit("/", 1)[-1].removesuffix(".md")
        for n, story in enumerate(split_digest(body), 1):
            sid = _story_id(slug, n, story)
            items[sid] = SharedItem(sid, "", story, "en")
    return items


@cache
def extra_items() -> dict[str, SharedItem]:
    """Every item of both repositories by id (a few seconds: git reads ~140 snapshots)."""
    return {**_ai_news_items(), **_digest_items()}


def labelled_extra_items(
    path: Path = EXTRA_LABEL_FILE, split: str | None = None
) -> list[LabelledItem]:
    return join_labels(load_label_file(path), extra_items(), extra_corpus(), split)
