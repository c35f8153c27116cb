"""A `backfill --urls --dry-run`'s memory of the pages it would store. The real run stores a
list's pages one by one, so a later copy of an earlier page (a syndicated copy under another
address) joins its story as a `duplicate`; the dry run stores nothing, and asking the corpus
alone it said `would store` for both, as for two stories to announce. The cluster policy
(`clusters.find_cluster`) is asked again over these pages, held in memory."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsmon import clusters
from newsmon.corpus.records import ClusterMatch, NewArticle
from newsmon.dedup import index_keys

# Ids of listed pages: above any stored article's, in the order the pages were listed.
FIRST_ID = 2**62


@dataclass(frozen=True)
class _Page:
    candidate: clusters.Candidate
    article: NewArticle
    keys: frozenset[int]
    matched: bool


class ListedPages:
    """`clusters.ClusterQueries` over the pages a dry run would store, for the pages after
    them; shared by the dry run's batches, safe across its threads."""

    def __init__(self) -> None:
        self._pages: list[_Page] = []
        self._lock = threading.Lock()

    def join_or_add(
        self, article: NewArticle, when: datetime | None, matched: bool
    ) -> ClusterMatch | None:
        """The listed story this page would join, or None: then it would be stored, and the
        pages after it are compared with it too."""
        with self._lock:
            found = clusters.find_cluster(self, article, when)
            if found is None:
                cid = FIRST_ID + len(self._pages)
                sig = article.signature
                candidate = clusters.Candidate(
                    cid, None, sig.values if sig else None, sig.scheme if sig else None, when
                )
                keys = frozenset(index_keys(article.title, article.text, sig))
                self._pages.append(_Page(candidate, article, keys, matched))
            return found

    def _by_ids(self, ids: Sequence[int]) -> list[_Page]:
        wanted = set(ids)
        return [p for p in self._pages if p.candidate.id in wanted]

    def first_with_hash(self, content_hash: str) -> clusters.Candidate | None:
        found = (p for p in self._pages if p.article.content_hash == content_hash)
        page = next(found, None)
        return None if page is None else page.candidate

    def titles_with_hash(self, content_hash: str, limit: int) -> list[clusters.Text]:
        pages = [p for p in self._pages if p.article.content_hash == content_hash]
        return [clusters.Text(p.candidate, p.article.title, None) for p in pages[:limit]]

    def band_candidates(
        self, band_keys: Sequence[int], limit: int, when: datetime | None = None
    ) -> list[int]:
        wanted = set(band_keys)
        hits = [(len(p.keys & wanted), p) for p in self._pages]

        def rank(hit: tuple[int, _Page]) -> tuple[int, float, int]:
            count, page = hit
            moment = page.candidate.when
            apart = abs((when - moment).total_seconds()) if when and moment else 0.0
            return -count, apart, page.candidate.id

        return [p.candidate.id for n, p in sorted(hits, key=rank) if n][:limit]

    def signed(self, ids: Sequence[int]) -> list[clusters.Candidate]:
        return [p.candidate for p in self._by_ids(ids)]

    def texts(self, ids: Sequence[int], max_chars: int) -> list[clusters.Text]:
        return [
            clusters.Text(
                p.candidate,
                p.article.title,
                p.article.text,
                feed_id=p.article.feed_id,
                publisher=p.article.publisher,
                site=clusters.article_site(p.article),
            )
            for p in self._by_ids(ids)
            if len(p.article.text or "") <= max_chars
        ]

    def openings(
        self, ids: Sequence[int], whole_chars: int, prefix_chars: int
    ) -> list[clusters.Text]:
        out = []
        for p in self._by_ids(ids):
            text = p.article.text or ""
            whole = len(text) <= whole_chars
            out.append(
                clusters.Text(
                    p.candidate,
                    p.article.title,
                    text if whole else text[:prefix_chars],
                    whole,
                    p.article.feed_id,
                    p.article.publisher,
                    clusters.article_site(p.article),
                )
            )
        return out

    def cluster_has_alerts(self, head_id: int) -> bool:
        return any(p.matched for p in self._by_ids([head_id]))

    def cluster_has_matches(self, head_id: int) -> bool:
        return self.cluster_has_alerts(head_id)
