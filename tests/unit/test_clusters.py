"""Dedup's cluster policy (newsmon.clusters) against a small in-memory corpus.

The SQL side of the same questions is exercised through the real store in test_store.py; here
the corpus is a few Python lists, so each rule of the policy is checked on its own.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from newsmon import clusters
from newsmon.clusters import Candidate
from newsmon.corpus.records import ClusterMatch, DuplicateReason
from newsmon.dedup import minhash_signature, short_body_keys
from tests.support.articles import new_article

BODY = " ".join(f"Sentence {i} of a story about export rules for AI chips." for i in range(40))


@dataclass
class Corpus:
    """Stored articles as (id, duplicate_of, body hash, signature); alerts and matches by id."""

    articles: list[tuple[int, int | None, str | None, bytes | None, str | None]] = field(
        default_factory=list
    )
    bands: dict[int, set[int]] = field(default_factory=dict)
    alerted: set[int] = field(default_factory=set)
    matched: set[int] = field(default_factory=set)
    titled: dict[int, str] = field(default_factory=dict)
    bodies: dict[int, str] = field(default_factory=dict)
    times: dict[int, datetime | None] = field(default_factory=dict)

    def add(
        self,
        dup_of: int | None,
        h: str | None,
        body: str | None,
        scheme: str = "",
        title: str = "",
        when: datetime | None = None,
    ) -> int:
        sig = minhash_signature(body) if body else None
        aid = len(self.articles) + 1
        values = sig.values if sig else None
        self.articles.append((aid, dup_of, h, values, scheme or (sig.scheme if sig else None)))
        self.titled[aid], self.bodies[aid] = title, body or ""
        self.times[aid] = when
        for key in (sig.band_keys() if sig else []) + short_body_keys(title, body):
            self.bands.setdefault(key, set()).add(aid)
        return aid

    def first_with_hash(self, content_hash: str) -> Candidate | None:
        return next((Candidate(a, d) for a, d, h, _, _ in self.articles if h == content_hash), None)

    def titles_with_hash(self, content_hash: str, limit: int) -> list[clusters.Text]:
        found = [(a, d) for a, d, h, _, _ in self.articles if h == content_hash][:limit]
        return [clusters.Text(Candidate(a, d), self.titled[a], None) for a, d in found]

    def band_candidates(
        self, band_keys: Sequence[int], limit: int, when: datetime | None = None
    ) -> list[int]:
        hits: dict[int, int] = {}
        for key in band_keys:
            for aid in self.bands.get(key, ()):
                hits[aid] = hits.get(aid, 0) + 1

        def apart(aid: int) -> timedelta:
            at = self.times[aid]
            return abs(when - at) if when and at else timedelta(0)

        return sorted(hits, key=lambda a: (-hits[a], apart(a), a))[:limit]

    def signed(self, ids: Sequence[int]) -> list[Candidate]:
        # newest first: like a database without ORDER BY, no order may be relied upon
        return [
            Candidate(a, d, v, s, self.times[a])
            for a, d, _, v, s in reversed(self.articles)
            if a in ids
        ]

    def texts(self, ids: Sequence[int], max_chars: int) -> list[clusters.Text]:
        return [
            clusters.Text(Candidate(a, d, when=self.times[a]), self.titled[a], self.bodies[a])
            for a, d, *_ in self.articles
            if a in ids and len(self.bodies[a]) <= max_chars
        ]

    def members(self, head_id: int) -> set[int]:
        return {a for a, d, *_ in self.articles if head_id in (a, d)}

    def cluster_has_alerts(self, head_id: int) -> bool:
        return bool(self.members(head_id) & self.alerted)

    def cluster_has_matches(self, head_id: int) -> bool:
        return bool(self.members(head_id) & self.matched)


def test_a_body_hash_finds_the_head_of_the_first_copy() -> None:
    corpus = Corpus()
    head = corpus.add(None, "h1", None)
    corpus.add(head, "h1", None)
    found = clusters.find_cluster(corpus, new_article(content_hash="h1"))
    assert found == ClusterMatch(head, DuplicateReason.HASH, 1.0)
    assert clusters.find_cluster(corpus, new_article(content_hash="h2")) is None


def test_among_equally_similar_clusters_the_oldest_wins() -> None:
    corpus = Corpus()
    older = corpus.add(None, None, BODY)
    corpus.add(older, None, BODY)  # a copy counts for its head
    corpus.add(None, None, BODY)  # a newer cluster, just as similar
    sig = minhash_signature(BODY)
    assert sig is not None
    best = clusters.nearest(corpus, sig)
    assert best is not None and best.head_id == older and best.similarity == 1.0
    found = clusters.find_cluster(corpus, new_article(text=BODY, signed=True, content_hash=None))
    assert found == ClusterMatch(older, DuplicateReason.NEAR, 1.0)


def test_another_scheme_is_never_compared_and_dissimilar_is_no_cluster() -> None:
    corpus = Corpus()
    corpus.add(None, None, BODY, scheme="old-scheme")
    article = new_article(text=BODY, signed=True, content_hash=None)
    assert clusters.find_cluster(corpus, article) is None
    unrelated = " ".join(f"Line {i}: the weather in Busan was mild and dry." for i in range(40))
    corpus.add(None, None, unrelated)
    assert clusters.find_cluster(corpus, article) is None
    assert clusters.find_cluster(corpus, replace(article, signature=None)) is None


SUMMARY = (
    "LG AI Research on Tuesday released a reasoning model and put two small versions of it on "
    "Hugging Face under an open licence."
)


def test_a_summary_length_copy_under_another_headline_joins_by_its_body() -> None:
    corpus = Corpus()
    title = "LG unveils reasoning model"
    head = corpus.add(None, None, f"{title}\n{SUMMARY}", title=title)
    other = "LG AI Research opened a joint AI safety lab with a university on the same Tuesday."
    corpus.add(None, None, f"LG opens AI lab\n{other}", title="LG opens AI lab")
    alt = "LG's answer to DeepSeek arrives, small models free to use"
    copy = new_article(text=f"{alt}\n{SUMMARY}", title=alt, signed=True)
    assert copy.signature is None  # too short for the whole-text rule
    assert clusters.find_cluster(corpus, copy) == ClusterMatch(head, DuplicateReason.SHORT, 1.0)
    teaser = new_article(text=SUMMARY, title=alt, signed=True)  # a feed's summary alone
    assert clusters.find_cluster(corpus, teaser) == ClusterMatch(head, DuplicateReason.SHORT, 1.0)
    # other stories on the same day, and a body too long for the rule, stay apart
    third = "LG AI Research said on Tuesday that its head would step down after five years."
    assert clusters.find_cluster(corpus, new_article(text=f"{alt}\n{third}", title=alt)) is None
    assert clusters.short_copy(corpus, new_article(text=SUMMARY * 6, title=alt)) is None


def test_a_cluster_speaks_once() -> None:
    corpus = Corpus()
    head = corpus.add(None, "h", None)
    joined = ClusterMatch(head, DuplicateReason.HASH, 1.0)
    assert clusters.may_speak(corpus, None, matched=False)  # a new story always keeps its own
    assert not clusters.may_speak(corpus, joined, matched=False)
    assert clusters.may_speak(corpus, joined, matched=True)  # the silent cluster's first voice
    corpus.matched.add(corpus.add(head, "h", None))
    assert not clusters.may_speak(corpus, joined, matched=True)
    corpus.matched.clear()
    corpus.alerted.add(head)  # an alert of any status counts, even a skipped one
    assert not clusters.may_speak(corpus, joined, matched=True)


def test_records_and_policy_import_no_database_library() -> None:
    import ast
    from pathlib import Path

    import newsmon.corpus.records as records

    for module in (records, clusters):
        tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
        imported = {
            name.split(".")[0]
            for node in ast.walk(tree)
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
        }
        assert "sqlalchemy" not in imported, module.__name__
        assert "newsmon" in imported  # the imports were read (both use newsmon.dedup)


DAY = datetime(2026, 3, 10, 9, tzinfo=UTC)


def test_a_similar_text_counts_only_from_a_story_out_within_the_window() -> None:
    """A series under one standing summary, a reporter's template lede over another event:
    similar texts weeks apart are other stories. Copies come out within days."""
    corpus = Corpus()
    title = "LG unveils reasoning model"
    old = corpus.add(None, None, BODY, when=DAY - timedelta(days=30))
    old_short = corpus.add(
        None, None, f"{title}\n{SUMMARY}", title=title, when=DAY - timedelta(days=8)
    )
    article = new_article(text=BODY, signed=True, content_hash=None)
    assert clusters.find_cluster(corpus, article, DAY) is None
    teaser = new_article(text=SUMMARY, title="LG's answer to DeepSeek", signed=True)
    assert clusters.find_cluster(corpus, teaser, DAY) is None
    # without a time (None) the window is not applied, as before
    assert clusters.find_cluster(corpus, article) == ClusterMatch(old, DuplicateReason.NEAR, 1.0)
    assert clusters.find_cluster(corpus, teaser) == ClusterMatch(
        old_short, DuplicateReason.SHORT, 1.0
    )
    # a copy within a week, either side, joins; so does one of a story with no time known
    recent = corpus.add(None, None, BODY, when=DAY + timedelta(days=6, hours=23))
    assert clusters.find_cluster(corpus, article, DAY) == ClusterMatch(
        recent, DuplicateReason.NEAR, 1.0
    )
    timeless = corpus.add(None, None, f"{title}\n{SUMMARY}", title=title)
    assert clusters.find_cluster(corpus, teaser, DAY) == ClusterMatch(
        timeless, DuplicateReason.SHORT, 1.0
    )


def test_an_identical_body_joins_at_any_distance_in_time() -> None:
    corpus = Corpus()
    head = corpus.add(None, "h1", BODY, when=DAY - timedelta(days=365))
    found = clusters.find_cluster(corpus, new_article(content_hash="h1"), DAY)
    assert found == ClusterMatch(head, DuplicateReason.HASH, 1.0)


def test_story_time_is_the_publication_date_unless_it_lies_in_the_future() -> None:
    seen = DAY
    assert clusters.story_time(DAY - timedelta(days=3), seen) == DAY - timedelta(days=3)
    assert clusters.story_time(None, seen) == seen
    assert clusters.story_time(DAY + timedelta(hours=20), seen) == DAY + timedelta(hours=20)
    assert clusters.story_time(DAY + timedelta(days=40), seen) == seen  # a feed's wrong clock
    naive = datetime(2026, 3, 9, 9)  # the corpus stores UTC; naive values are UTC
    assert clusters.story_time(naive, seen) == DAY - timedelta(days=1)
    assert clusters.story_time(None, datetime(2026, 3, 10, 9)) == DAY


def test_an_aggregated_item_is_one_story_with_its_publisher_s_site_only() -> None:
    """Its `<source url>`'s site decides: another outlet's same headline is another story, two
    aggregators spelling one outlet's name otherwise are one; two sites' own items (a wire's
    copies) are left to the body rules, and rows with no site known to the names."""
    listed = new_article(
        "https://news.agg.example/rss/articles/x",
        "",
        feed_id=1,
        publisher="Yonhap",
        publisher_site="yna.co.kr",
    )
    when = Candidate(1, None)
    own = clusters.Text(when, "T", "", feed_id=2, site="yna.co.kr")
    other = clusters.Text(when, "T", "", feed_id=3, site="koreaherald.com")
    spelled = clusters.Text(
        when, "T", "", feed_id=4, publisher="Yonhap News Agency", site="yna.co.kr"
    )
    unknown = clusters.Text(when, "T", "", feed_id=4, publisher="Yonhap News Agency")
    assert clusters.one_site(listed, own) and clusters.may_be_one(listed, own)
    assert not clusters.one_site(listed, other)
    assert clusters.may_be_one(listed, spelled)
    assert not clusters.may_be_one(listed, unknown)
    wire = new_article("https://www.koreaherald.com/1", "", feed_id=5)
    assert clusters.may_be_one(wire, own)
