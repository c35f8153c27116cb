"""Real news items from ../shared/corpus/news, addressed by stable ids, joined with our labels.

The shared corpus lives outside the repository (licences): only ids and labels are kept here, the
text is read from the corpus at test time and every test using it skips when it is absent. Three
kinds of item:

- RSS items (``en-rss-NNN``, ``ko-rss-NN``): title plus the feed's summary, as archived;
- AINews digest stories: each daily digest (``en-ainews-NN``) is one paragraph of several
  one-sentence stories. `split_digest` cuts it into sentences deterministically and each story's
  id is ``<digest id>-sNN-<fingerprint>``: its 1-based position and the first 6 hex digits of
  the SHA-1 of its text. A digest story has no headline of its own, so its title is empty. If the
  corpus text or the splitter changes, the fingerprints no longer match and the loader says which
  labels it cannot find instead of silently labelling another sentence.

Held-out split: `split_of` puts an item in ``test`` when the SHA-256 of its id (without the
fingerprint) is 0 modulo 3, else in ``dev``. Rules are tuned looking at ``dev`` misses only;
``test`` figures are reported as they come.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from newsmon.evaluate import LabelledItem

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "tests" / "data" / "labels"
LABEL_FILE = LABELS / "shared_news.yaml"


def shared_corpus() -> Path:
    """../shared/corpus next to the checkout, or NEWSMON_SHARED_CORPUS (for git worktrees)."""
    configured = os.environ.get("NEWSMON_SHARED_CORPUS")
    return Path(configured) if configured else ROOT.parent / "shared" / "corpus"


SHARED_CORPUS = shared_corpus()
SHARED_NEWS = SHARED_CORPUS / "news"
SHARED_PAGES = SHARED_CORPUS / "pages"

# A sentence ends at . ! or ? (optionally closed by a quote or bracket) before a space and a
# capital, digit or opening quote. Abbreviations that end with a period inside a sentence are
# refused by _NOT_AN_END.
_END = re.compile(r"[.!?][\"”’)]*(?=\s+[\"“(]?[A-Z0-9@])")
_NOT_AN_END = re.compile(r"(?:\b(?:U\.S|U\.K|e\.g|i\.e|vs|Dr|Mr|Ms|Inc|Ltd|St|No|Jr)|\b[A-Z])\.$")
# Markdown of the digests: **bold**, escaped \* italics, \_ inside names (Alibaba\_Qwen).
_MARKUP = re.compile(r"\\\*|\*\*|\\(?=[_\"'])")


def clean_markup(text: str) -> str:
    return " ".join(_MARKUP.sub("", text).split())


def split_digest(text: str) -> list[str]:
    """The one-sentence stories of a digest paragraph, markup removed, in order."""
    text = clean_markup(text)
    stories: list[str] = []
    start = 0
    for end in _END.finditer(text):
        if _NOT_AN_END.search(text[start : end.end()]):
            continue
        stories.append(text[start : end.end()].strip())
        start = end.end()
    tail = text[start:].strip()
    if tail:
        stories.append(tail)
    return [s for s in stories if s]


def fingerprint(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]


def story_id(digest_id: str, index: int, text: str) -> str:
    return f"{digest_id}-s{index:02d}-{fingerprint(text)}"


def base_id(item_id: str) -> str:
    """The id without a digest story's fingerprint: what the dev/test split is computed on."""
    return re.sub(r"(-s\d{2})-[0-9a-f]{6}$", r"\1", item_id)


def split_of(item_id: str) -> str:
    digest = hashlib.sha256(base_id(item_id).encode("utf-8")).hexdigest()
    return "test" if int(digest, 16) % 3 == 0 else "dev"


@dataclass(frozen=True)
class SharedItem:
    id: str
    title: str
    text: str
    lang: str


def shared_items(news: Path = SHARED_NEWS) -> dict[str, SharedItem]:
    """Every item of the shared news corpus by id, digests split into their stories."""
    files = sorted((news / "rss_archive").glob("*.json"))
    files.append(news / "ko_ai_news_rss_items.json")
    items: dict[str, SharedItem] = {}
    for file in files:
        for raw in json.loads(file.read_text(encoding="utf-8")):
            items[raw["id"]] = SharedItem(
                raw["id"], raw.get("title") or "", raw.get("summary") or "", raw["language"]
            )
    digests = json.loads((news / "ainews_digest_2025-01_02.json").read_text(encoding="utf-8"))
    for raw in digests:
        for n, story in enumerate(split_digest(raw.get("summary") or ""), 1):
            sid = story_id(raw["id"], n, story)
            items[sid] = SharedItem(sid, "", story, raw.get("language") or "en")
    return items


def load_label_file(path: Path = LABEL_FILE) -> dict[str, frozenset[str]]:
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): frozenset(v or ()) for k, v in raw.items()}


def majority(
    first: frozenset[str], second: frozenset[str], third: frozenset[str] | None
) -> frozenset[str]:
    """Per topic, what two of the three labellers say; the third is asked only on a dispute."""
    if third is None:
        return first & second
    return (first & second) | ((first ^ second) & third)


def labelled_shared_items(
    path: Path = LABEL_FILE, news: Path = SHARED_NEWS, split: str | None = None
) -> list[LabelledItem]:
    """The labelled shared items (all, or only the ``dev`` or ``test`` split)."""
    return join_labels(load_label_file(path), shared_items(news), news, split)


def join_labels(
    labels: dict[str, frozenset[str]],
    items: dict[str, SharedItem],
    where: Path,
    split: str | None = None,
) -> list[LabelledItem]:
    """Labels joined with their items' text (all, or the ``dev`` or ``test`` split); a label
    whose item is not in `where` fails loudly instead of being dropped."""
    missing = sorted(set(labels) - set(items))
    if missing:
        raise LookupError(f"labels without an item in {where}: {', '.join(missing[:5])}")
    return [
        LabelledItem(i, items[i].title, items[i].text, topics, items[i].lang, i)
        for i, topics in labels.items()
        if split is None or split_of(i) == split
    ]
