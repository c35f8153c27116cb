"""Dedup's cluster policy: which story a new article joins, and whether a story has spoken.

`dedup` computes identities (hashes, signatures, band keys) and says when two bodies are the
same story; this module applies that to the corpus: the same body hash first, then the most
similar signature among the articles sharing an LSH band, then, for a summary-length item, the
most similar body without its headline among the candidates of both band sets. A similar text
counts only from an article within `STORY_WINDOW` of the new one (identical bodies at any
distance). A cluster speaks (matches, alerts) once. The corpus answers the questions
(`ClusterQueries`) inside the transaction, and under the locks, of the article being stored
(newsmon.corpus.articles); nothing here touches a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from newsmon.aggregated import story_site
from newsmon.corpus.records import ClusterMatch, DuplicateReason, NewArticle
from newsmon.dedup import (
    LEAD_SOURCE_CHARS,
    SHORT_BODY_CHARS,
    Signature,
    body_band_keys,
    body_similarity,
    hash_before_folding,
    headline_free_body,
    is_lead_copy,
    is_near_duplicate,
    is_short_duplicate,
    jaccard_estimate,
    lead_containment,
    lead_keys,
    normalise_text,
    one_line,
    one_line_keys,
    opening,
    short_body,
    title_keys,
)
from newsmon.headlines import headline_only, unlabelled
from newsmon.lookalikes import LOOKALIKE_TEXT_CHARS, note_only, told_apart

# Near-duplicate candidates verified per article at most: those sharing the most LSH bands,
# among equals those that came out nearest in time (a site's stories under one standing
# opening all share their lead bands; copies come out near their story).
MAX_CANDIDATES = 50
# Candidates with a longer text are not read for the short-item rule: a body at most
# SHORT_BODY_CHARS long cannot reach the threshold against one several times longer.
SHORT_CANDIDATE_CHARS = 4 * SHORT_BODY_CHARS
# Copies of a story are published within days of it. A similar text further apart in time is
# another story: the next part of a series under one standing summary, a reporter's or an
# outlet's template lede over another event, a follow-up (measured on 10,918 real feed items:
# every similar pair more than a week apart was such a pair; README, Deduplication).
STORY_WINDOW = timedelta(days=7)
# Copies of a one-line item come out within hours of each other; the same headline and line a
# day apart is a standing item's next issue (a daily briefing whose summary never changes).
ONE_LINE_WINDOW = timedelta(hours=12)
# An aggregator lists a story within a day or two of its publisher: the same headline further
# apart is a standing headline's next issue.
HEADLINE_WINDOW = timedelta(days=2)
# A stored text up to this long is read to tell whether it is a headline alone.
_HEADLINE_ONLY_CHARS = 1000
# A publication date later than this after the article was first seen is not believed.
_FUTURE_SLACK = timedelta(days=1)


def story_time(published_at: datetime | None, first_seen_at: datetime) -> datetime:
    """When an article came out, for the window: its publication date, else when it was first
    seen (also when the date lies in the future: a feed's clock or a typo). Naive is UTC,
    as the corpus stores it."""
    seen = _aware(first_seen_at)
    if published_at is not None and _aware(published_at) <= seen + _FUTURE_SLACK:
        return _aware(published_at)
    return seen


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    """A stored article that may be the same story, with its signature when one was asked for."""

    id: int
    duplicate_of: int | None
    minhash: bytes | None = None
    minhash_scheme: str | None = None
    when: datetime | None = None  # `story_time`; None: not asked for

    @property
    def head_id(self) -> int:
        """Its cluster's head: copies always point at the head, never at another copy."""
        return self.duplicate_of or self.id

    def near_in_time(self, when: datetime | None, window: timedelta | None = None) -> bool:
        """Whether this article came out within `window` (`STORY_WINDOW` unless given) of
        `when` (None: any time)."""
        span = STORY_WINDOW if window is None else window
        return when is None or self.when is None or abs(when - self.when) <= span


@dataclass(frozen=True)
class Text:
    """A stored article's headline and text, for the short-item rule."""

    candidate: Candidate
    title: str | None
    text: str | None
    whole: bool = True  # False: only the text's opening was read (`ClusterQueries.openings`)
    feed_id: int | None = None  # the feed it came from (`texts`, `openings`)
    publisher: str | None = None  # an aggregator's item: the publisher its <source> names
    site: str | None = None  # whose site the story is (`aggregated.story_site`); None: unknown


@dataclass(frozen=True)
class Nearest:
    """The most similar cluster head found for a signature, and the estimated similarity."""

    head_id: int
    similarity: float


def closer(best: Nearest | None, found: Nearest) -> Nearest:
    """The better of two: the most similar; among equals, the oldest cluster (the lowest id),
    so the choice does not depend on the order candidates come in."""
    if best is None or (found.similarity, -found.head_id) > (best.similarity, -best.head_id):
        return found
    return best


class ClusterQueries(Protocol):
    """What the policy asks the corpus."""

    def first_with_hash(self, content_hash: str) -> Candidate | None:
        """The first-stored article whose body has this hash."""
        ...

    def titles_with_hash(self, content_hash: str, limit: int) -> list[Text]:
        """At most `limit` articles whose body has this hash, first stored first, with their
        headlines (no text)."""
        ...

    def band_candidates(
        self, band_keys: Sequence[int], limit: int, when: datetime | None = None
    ) -> list[int]:
        """Ids of at most `limit` articles sharing the most of these bands; among equals,
        those whose publication date (else first-seen time) is nearest `when`, then the
        lowest id."""
        ...

    def signed(self, ids: Sequence[int]) -> list[Candidate]:
        """These articles with their stored signatures and `story_time`."""
        ...

    def texts(self, ids: Sequence[int], max_chars: int) -> list[Text]:
        """These articles' headlines, texts and `story_time`, those with texts up to
        `max_chars` long."""
        ...

    def openings(self, ids: Sequence[int], whole_chars: int, prefix_chars: int) -> list[Text]:
        """These articles' headlines and `story_time`, with their texts when up to
        `whole_chars` long, else the first `prefix_chars` characters of them (`Text.whole`
        says which)."""
        ...

    def cluster_has_alerts(self, head_id: int) -> bool:
        """Whether any member of the cluster has an alert, of any status."""
        ...

    def cluster_has_matches(self, head_id: int) -> bool:
        """Whether any member of the cluster has a stored match."""
        ...


def find_cluster(
    queries: ClusterQueries, article: NewArticle, when: datetime | None = None
) -> ClusterMatch | None:
    """The cluster this article belongs to, or None for a story of its own. `when` is the
    article's `story_time`: similar texts count only from articles near it (None: any)."""
    note = note_only(article.title, article.text)
    # the body's hash, then the one it had before invisible characters were folded (bodies
    # stored before keep theirs): the old one needs no lock, no writer stores such hashes now
    for digest in (article.content_hash, hash_before_folding(article.text)):
        if not digest:
            continue
        if note:  # the same note under another headline is another part of its series
            first = same_part(queries, digest, article.title)
        else:
            first = queries.first_with_hash(digest)
        if first is not None:
            return ClusterMatch(first.head_id, DuplicateReason.HASH, 1.0)
    if note:
        return None  # no story to compare (`lookalikes.note_only`)
    if article.signature is not None:
        found = near_copy(queries, article, when)
        if found is not None:
            return found
    return (
        one_line_copy(queries, article, when)
        or short_copy(queries, article, when)
        or lead_copy(queries, article, when)
        or headline_copy(queries, article, when)
    )


def same_part(queries: ClusterQueries, content_hash: str, title: str | None) -> Candidate | None:
    """The first article with this hash under the same headline (normalised): a text that is
    only an editor's note is every part of its series, so only the headline tells the part
    (a copy of it keeps it; another part under the same note, cut at the same place, does not)."""
    name = normalise_text(title or "")
    for found in queries.titles_with_hash(content_hash, MAX_CANDIDATES):
        if normalise_text(found.title or "") == name:
            return found.candidate
    return None


def near_copy(
    queries: ClusterQueries, article: NewArticle, when: datetime | None = None
) -> ClusterMatch | None:
    """The most similar cluster whose signature reaches the near-duplicate threshold, but
    for a candidate that is another story of the same site under a shared block of furniture
    (`lookalikes.told_apart`; short texts only, up to LOOKALIKE_TEXT_CHARS: their texts are read,
    once some candidate reaches the threshold), or a text that is only an editor's note
    (`lookalikes.note_only`)."""
    assert article.signature is not None
    alike = [
        (candidate, similarity)
        for candidate, similarity in _similar(queries, article.signature, when)
        if is_near_duplicate(similarity)
    ]
    if not alike:
        return None
    if article.text and len(article.text) <= LOOKALIKE_TEXT_CHARS:
        own = headline_free_body(article.title, article.text)
        found = queries.texts([c.id for c, _ in alike], LOOKALIKE_TEXT_CHARS)
        apart = {
            t.candidate.id
            for t in found
            if note_only(t.title, t.text) or told_apart(own, headline_free_body(t.title, t.text))
        }
        alike = [(c, s) for c, s in alike if c.id not in apart]
    best: Nearest | None = None
    for candidate, similarity in alike:
        best = closer(best, Nearest(candidate.head_id, similarity))
    if best is None:
        return None
    return ClusterMatch(best.head_id, DuplicateReason.NEAR, best.similarity)


def nearest(
    queries: ClusterQueries, signature: Signature, when: datetime | None = None
) -> Nearest | None:
    """The cluster head most similar to `signature` among articles sharing an LSH band and
    within `STORY_WINDOW` of `when`."""
    best: Nearest | None = None
    for candidate, similarity in _similar(queries, signature, when):
        best = closer(best, Nearest(candidate.head_id, similarity))
    return best


def _similar(
    queries: ClusterQueries, signature: Signature, when: datetime | None
) -> list[tuple[Candidate, float]]:
    """Articles sharing an LSH band with `signature`, within `STORY_WINDOW` of `when`, with
    their estimated similarity.

    Two index queries whatever the corpus size: the band keys, then the signatures of at
    most MAX_CANDIDATES candidates (those sharing the most bands, among equals the nearest in
    time). Nothing is scanned.
    Signatures of another scheme are never compared.
    """
    keys = list(dict.fromkeys(signature.band_keys()))
    ids = queries.band_candidates(keys, MAX_CANDIDATES, when)
    if not ids:
        return []
    return [
        (candidate, jaccard_estimate(signature.values, candidate.minhash))
        for candidate in queries.signed(ids)
        if candidate.minhash is not None
        and candidate.minhash_scheme == signature.scheme
        and candidate.near_in_time(when)
    ]


def short_copy(
    queries: ClusterQueries, article: NewArticle, when: datetime | None = None
) -> ClusterMatch | None:
    """The cluster of a summary-length item whose body, without its headline, is another
    site's short body: a copy under another headline, or a feed's teaser of it.

    Candidates share a band of the body's keys (summary-length items stored with this rule)
    or of the whole text's signature (any stored article, older ones included); each is
    compared exactly, body to body, if it came out within `STORY_WINDOW` of `when`.
    """
    body = short_body(article.title, article.text)
    if body is None:
        return None
    keys = body_band_keys(body) + (article.signature.band_keys() if article.signature else [])
    ids = queries.band_candidates(list(dict.fromkeys(keys)), MAX_CANDIDATES, when)
    if not ids:
        return None
    best: Nearest | None = None
    for found in queries.texts(ids, SHORT_CANDIDATE_CHARS):
        if not found.candidate.near_in_time(when) or note_only(found.title, found.text):
            continue
        other = headline_free_body(found.title, found.text)
        similarity = body_similarity(body, other)
        if is_short_duplicate(similarity) and told_apart(body, other):
            continue  # another story of the site under the same furniture
        best = closer(best, Nearest(found.candidate.head_id, similarity))
    if best is None or not is_short_duplicate(best.similarity):
        return None
    return ClusterMatch(best.head_id, DuplicateReason.SHORT, best.similarity)


def one_line_copy(
    queries: ClusterQueries, article: NewArticle, when: datetime | None = None
) -> ClusterMatch | None:
    """The cluster of an identical one-line item (`dedup.one_line`: headline without labels,
    and line) that came out within `ONE_LINE_WINDOW` of `when`: another feed's copy of a
    wire's one-line item (never one of the same feed, or of another publisher: `may_be_one`).
    Reason `short`, similarity 1.0 (the bodies are one)."""
    identity = one_line(article.title, article.text)
    if identity is None:
        return None
    ids = queries.band_candidates(one_line_keys(article.title, article.text), MAX_CANDIDATES, when)
    best: Nearest | None = None
    for found in queries.texts(ids, SHORT_CANDIDATE_CHARS) if ids else []:
        if (
            found.candidate.near_in_time(when, ONE_LINE_WINDOW)
            and one_line(found.title, found.text) == identity  # not a 64-bit key's collision
            and may_be_one(article, found)
        ):
            best = closer(best, Nearest(found.candidate.head_id, 1.0))
    return None if best is None else ClusterMatch(best.head_id, DuplicateReason.SHORT, 1.0)


def headline_copy(
    queries: ClusterQueries, article: NewArticle, when: datetime | None = None
) -> ClusterMatch | None:
    """An aggregator's listing (`aggregated`: an item naming its publisher) and a story under
    the same headline (labels aside, normalised), in either order, within `HEADLINE_WINDOW`,
    one of the two its headline alone: the headline is all there is to compare, and one that
    tells a story (`dedup.title_keys`) is the publisher's. Never a title a feed carries more
    than once (a column, a digest, a section's name: `recurring`), nor two items of one feed
    or two publishers (`may_be_one`), nor two sites' items no aggregator vouches for (the
    same words are not the same story). Two stories with text stay the other rules'."""
    keys = title_keys(article.title)
    ids = queries.band_candidates(keys, MAX_CANDIDATES, when) if keys else []
    if not ids:
        return None
    name = normalise_text(unlabelled(article.title or ""))
    same = [
        found
        for found in queries.openings(ids, _HEADLINE_ONLY_CHARS, 0)
        if normalise_text(unlabelled(found.title or "")) == name
    ]
    seen = recurring(same)
    if article.feed_id is not None and article.feed_id in {t.feed_id for t in same}:
        return None  # its feed carried this title before: the next issue, not a copy
    alone = headline_only(article.title, article.text, normalise_text)
    best: Nearest | None = None
    for found in same:
        if (
            found.candidate.near_in_time(when, HEADLINE_WINDOW)
            and found.feed_id not in seen
            and (article.publisher or found.publisher)
            and may_be_one(article, found)
            and one_site(article, found)
            and (alone or (found.whole and headline_only(found.title, found.text, normalise_text)))
        ):
            best = closer(best, Nearest(found.candidate.head_id, 1.0))
    return None if best is None else ClusterMatch(best.head_id, DuplicateReason.HEADLINE, 1.0)


def recurring(same: Sequence[Text]) -> set[int]:
    """The feeds carrying one headline on more than one article: a title they repeat."""
    feeds = [t.feed_id for t in same if t.feed_id is not None]
    return {feed for feed in feeds if feeds.count(feed) > 1}


def may_be_one(article: NewArticle, found: Text) -> bool:
    """Whether two items compared by their headline alone may be one story: not two of one
    feed (a feed lists a story once; the same title again is its next issue or a generic
    section's name), nor two an aggregator names two publishers for: two sites (`<source url>`)
    when both are known (one outlet however two aggregators spell its name: "Yonhap",
    "Yonhap News Agency"), else two names."""
    if article.feed_id is not None and article.feed_id == found.feed_id:
        return False
    mine, theirs = article.publisher, found.publisher
    if not (mine and theirs):
        return True
    site = article_site(article)
    if site and found.site:
        return site == found.site
    return mine.casefold() == theirs.casefold()


def one_site(article: NewArticle, found: Text) -> bool:
    """Whether a story joined by headline alone is on one site, where both sites are known: an
    aggregator's item is its `<source url>`'s story, never another outlet's same headline."""
    site = article_site(article)
    return not (site and found.site and site != found.site)


def article_site(article: NewArticle) -> str | None:
    """Whose site a new article's story is (`aggregated.story_site`)."""
    return story_site(article.url, article.publisher, article.publisher_site)


def lead_copy(
    queries: ClusterQueries, article: NewArticle, when: datetime | None = None
) -> ClusterMatch | None:
    """A teaser and the long article it is cut from, in either order: a summary-length body
    joins the story of a long article whose opening contains it, and a long article the story
    of a summary-length item its opening contains (the teaser was stored first).

    Candidates share a band of the lead keys (articles stored before these keys have none and
    are not found this way); each pair with a short text within `STORY_WINDOW` is compared
    (`dedup.lead_containment`): of two short ones, the shorter in the longer's opening (a
    breaking line and the update that opens with it: their bodies' Jaccard is at most their
    length ratio, under `short_copy`'s threshold once the update is 3 times longer); long
    pairs are the signature's.
    """
    keys = lead_keys(article.title, article.text)
    if not keys:
        return None
    ids = queries.band_candidates(keys, MAX_CANDIDATES, when)
    if not ids:
        return None
    # a summary-length body under the short rule's floor is a short side too (a one-line
    # Chinese or Japanese breaking item: lead_containment weighs it by script)
    own = short_body(article.title, article.text, floor=0)
    own_opening = opening(article.title, article.text) if own is None else ""
    best: Nearest | None = None
    for found in queries.openings(ids, SHORT_CANDIDATE_CHARS, LEAD_SOURCE_CHARS):
        if not found.candidate.near_in_time(when):
            continue
        other = short_body(found.title, found.text, floor=0) if found.whole else None
        if other is not None and note_only(found.title, found.text):
            continue
        if own is not None and other is None:
            similarity = lead_containment(own, opening(found.title, found.text))
        elif own is None and other is not None:
            similarity = lead_containment(other, own_opening)
        elif own is not None and other is not None:  # a breaking line and its longer update
            shorter, longer = sorted((own, other), key=len)
            similarity = lead_containment(shorter, longer)
        else:
            continue
        best = closer(best, Nearest(found.candidate.head_id, similarity))
    if best is None or not is_lead_copy(best.similarity):
        return None
    return ClusterMatch(best.head_id, DuplicateReason.LEAD, best.similarity)


def cluster_spoke(queries: ClusterQueries, head_id: int) -> bool:
    """Whether any member of the cluster has alerts (of any status) or matches; a member whose
    link opens another story now, its alerts held back for good (`replaced`), does not count."""
    return queries.cluster_has_alerts(head_id) or queries.cluster_has_matches(head_id)


def may_speak(queries: ClusterQueries, cluster: ClusterMatch | None, matched: bool) -> bool:
    """Whether a new article keeps its matches and queues its alerts.

    A cluster speaks once: normally through its first-seen article. When that one matched
    no topic (a teaser, a headline without the key terms), the first copy that matches
    speaks instead; every later copy stays silent.
    """
    if cluster is None:
        return True
    return matched and not cluster_spoke(queries, cluster.head_id)
