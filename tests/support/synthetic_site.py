"""A generated news site for scale tests and benchmarks: many feeds, each with its own stories.

Every story is a distinct text (random words from a fixed vocabulary, so no two are near
duplicates), titled so the shipped rules file it under policy; the last entry of each feed also
links the first story of the previous feed, as syndication does. Served by `newsmon.devsite`,
which records every request, so a test can count how often each feed and page was fetched.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

WORDS = [
    "river",
    "market",
    "cloud",
    "station",
    "garden",
    "harbor",
    "bridge",
    "engine",
    "window",
    "ladder",
    "pocket",
    "candle",
    "mirror",
    "violin",
    "carpet",
    "lantern",
    "forest",
    "desert",
    "island",
    "canyon",
    "meadow",
    "valley",
    "summit",
    "glacier",
    "volcano",
    "orchard",
    "vineyard",
    "quarry",
    "factory",
    "museum",
    "library",
    "theater",
    "stadium",
    "airport",
    "railway",
    "subway",
    "tunnel",
    "highway",
    "avenue",
    "plaza",
    "tower",
    "castle",
    "cottage",
    "cabin",
    "palace",
    "temple",
    "chapel",
    "fountain",
    "statue",
    "monument",
    "gallery",
    "studio",
    "kitchen",
    "pantry",
    "cellar",
    "attic",
    "balcony",
    "terrace",
    "porch",
    "fence",
    "hedge",
    "pond",
    "creek",
    "stream",
    "lagoon",
    "reef",
    "shore",
    "cliff",
    "ridge",
    "plateau",
    "basin",
    "delta",
    "marsh",
    "swamp",
    "prairie",
    "tundra",
    "savanna",
    "jungle",
    "grove",
    "thicket",
    "copper",
    "silver",
    "bronze",
    "marble",
    "granite",
    "quartz",
    "amber",
    "ivory",
    "velvet",
    "cotton",
    "linen",
    "wool",
    "silk",
    "leather",
    "paper",
    "glass",
    "ceramic",
    "timber",
    "bamboo",
    "walnut",
    "cedar",
    "maple",
    "willow",
    "birch",
    "spruce",
    "oak",
    "pine",
    "elm",
    "ash",
    "poplar",
    "hazel",
    "laurel",
    "myrtle",
    "thistle",
    "clover",
    "daisy",
    "tulip",
    "orchid",
    "lily",
    "violet",
    "poppy",
    "lotus",
    "jasmine",
    "saffron",
    "pepper",
    "ginger",
]


@dataclass(frozen=True)
class SyntheticSite:
    root: Path
    feeds: int
    items: int

    def feed_path(self, i: int) -> str:
        return f"/feeds/f{i:04d}.xml"

    def feed_list(self) -> list[tuple[str, str, str]]:
        """(name, path, language) of every feed, for `tests.support.configs`."""
        return [(f"f{i:04d}", self.feed_path(i), "en") for i in range(self.feeds)]

    @property
    def stories(self) -> int:
        return self.feeds * self.items


def _body(rng: random.Random, words: int) -> str:
    paragraphs = []
    for _ in range(max(1, words // 40)):
        paragraphs.append(" ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + ".")
    return "\n".join(f"<p>{p}</p>" for p in paragraphs)


def write_site(
    root: Path, *, feeds: int, items: int, words: int = 200, feed_delay: float = 0.0, seed: int = 1
) -> SyntheticSite:
    """Write the site under `root`: `feeds` feeds of `items` stories each (plus the syndicated
    link), pages of about `words` words; every feed answers after `feed_delay` seconds."""
    rng = random.Random(seed)
    routes: dict[str, dict[str, float]] = {}
    site = SyntheticSite(root, feeds, items)
    for i in range(feeds):
        entries = []
        for j in range(items):
            path = f"/p/{i:04d}/{j}.html"
            title = f"Regulators weigh AI Act rules, story {i}-{j}"
            page = root / path.lstrip("/")
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(
                f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                f"{_body(rng, words)}</article></body></html>",
                encoding="utf-8",
            )
            entries.append((title, path))
        if feeds > 1:  # syndication: the previous feed's first story, under the same URL
            prev = (i - 1) % feeds
            entries.append(
                (f"Regulators weigh AI Act rules, story {prev}-0", f"/p/{prev:04d}/0.html")
            )
        items_xml = "".join(
            f"<item><title>{t}</title><link>{{{{BASE}}}}{p}</link><guid>{{{{BASE}}}}{p}</guid>"
            f"<pubDate>Mon, 24 Feb 2025 09:00:00 +0000</pubDate>"
            f"<description>{t}.</description></item>"
            for t, p in entries
        )
        feed = root / site.feed_path(i).lstrip("/")
        feed.parent.mkdir(parents=True, exist_ok=True)
        feed.write_text(
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {i}</title><link>{{{{BASE}}}}/</link>{items_xml}</channel></rss>",
            encoding="utf-8",
        )
        if feed_delay:
            routes[site.feed_path(i)] = {"delay": feed_delay}
    (root / "_routes.json").write_text(json.dumps(routes), encoding="utf-8")
    return site


def posted_links(posts: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(page path, channel) of every top-level Slack post, in order: duplicates stay visible.
    Thread replies ("Also reported by …") are a story's other sources, not announcements."""
    out = []
    for post in posts:
        if post.get("thread_ts"):
            continue
        link = re.match(r"\*<([^|>]+)\|", post["blocks"][0]["text"]["text"])
        assert link, post["blocks"][0]
        out.append((urlsplit(link.group(1).replace("&amp;", "&")).path, post["channel"]))
    return out
