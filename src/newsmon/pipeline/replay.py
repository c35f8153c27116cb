"""Replay: apply the current topic rules to stored articles (backfill), or preview what that
would change without writing anything."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from newsmon import alerts as alerting
from newsmon.corpus.records import ArticleText, StoredMatch, TopicChanges
from newsmon.pipeline.context import Context
from newsmon.pipeline.entries import to_stored
from newsmon.rules import TopicMatch

REREADS = 3  # tries for an article rewritten meanwhile; then the next backfill does it


@dataclass
class ReclassifyOutcome:
    articles: int = 0
    changed: int = 0
    added: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    alerts_queued: int = 0
    alerts_withdrawn: int = 0  # queued alerts held back: the rules no longer match their topics

    def add(self, other: ReclassifyOutcome) -> None:
        """Fold another batch's figures into these."""
        self.articles += other.articles
        self.changed += other.changed
        self.added.update(other.added)
        self.removed.update(other.removed)
        self.alerts_queued += other.alerts_queued
        self.alerts_withdrawn += other.alerts_withdrawn

    @classmethod
    def total(cls, parts: Iterable[ReclassifyOutcome]) -> ReclassifyOutcome:
        out = cls()
        for part in parts:
            out.add(part)
        return out

    @classmethod
    def of_preview(cls, articles: int, diffs: Sequence[MatchDiff]) -> ReclassifyOutcome:
        """The figures a dry run would have produced: nothing is queued by a preview (it
        refuses `--alerts`), but queued alerts are withdrawn as by the real run."""
        return cls(
            articles=articles,
            changed=len(diffs),
            added=Counter(m.topic for d in diffs for m in d.new),
            removed=Counter(m.topic for d in diffs for m in d.lost),
            alerts_withdrawn=sum(len(d.withdrawn) for d in diffs),
        )


def reclassify_batch(
    ctx: Context,
    rows: Sequence[ArticleText],
    *,
    queue_alerts: bool,
    topics: Collection[str] | None = None,
) -> ReclassifyOutcome:
    """Apply the current rules to stored articles; queue only alerts never queued before.
    Queued alerts lose the topics the rules no longer match (see `replace_matches`).

    With `topics`, only those topics' matches are replaced (and alerted): the others stay as
    stored, and an article that neither had nor now gets one of them is left alone.
    """
    outcome = ReclassifyOutcome()
    for row in rows:
        applied = _apply_rules(ctx, row, topics)
        if applied is None:
            continue
        change, matches = applied
        outcome.articles += 1
        outcome.changed += bool(change.added or change.removed)
        outcome.added.update(change.added)
        outcome.removed.update(change.removed)
        outcome.alerts_withdrawn += change.withdrawn
        if queue_alerts and matches:
            outcome.alerts_queued += queue_for(ctx, row.id, (m.topic for m in matches))
    return outcome


def _apply_rules(
    ctx: Context, row: ArticleText, topics: Collection[str] | None
) -> tuple[TopicChanges, list[TopicMatch]] | None:
    """One article's new matches, written only if it still has the words they came from: a
    pass running alongside may have rewritten it (a page read at last, an edit, with their
    matches and alerts) since its batch was read; then it is read again, not undone. None:
    left alone (no topic of `topics` either way, gone or a copy now, or rewritten each try)."""
    for _ in range(REREADS):
        matches = ctx.rules.classify(row.title, row.text)
        if topics is not None:
            stored = ctx.store.matches_of(row.id)
            matches = [m for m in matches if m.topic in topics]
            if not matches and not any(m.topic in topics for m in stored):
                return None
        # The other topics stay as stored when the write holds the article, not as read here.
        change = ctx.store.replace_matches(
            row.id, to_stored(matches), ctx.rules.version, read=row, only=topics
        )
        if not change.stale:
            return change, matches
        fresh = ctx.store.original_text(row.id)
        if fresh is None:
            return None
        row = fresh
    return None


def queue_for(ctx: Context, article_id: int, topics: Iterable[str]) -> int:
    """Queue an article's alerts for `topics` (reviving held-back ones); how many were queued."""
    return sum(
        ctx.store.enqueue_alert(article_id, channel, routed, revive_skipped=True)
        for channel, routed in alerting.route(
            topics, ctx.config.slack, webhook=ctx.secrets.webhook_only
        ).items()
    )


@dataclass(frozen=True)
class MatchDiff:
    """What re-applying the rules would change for one stored article."""

    article_id: int
    title: str | None
    new: tuple[TopicMatch, ...]  # topics the current rules match and the corpus does not have
    lost: tuple[StoredMatch, ...]  # topics stored for the article that the rules no longer match
    withdrawn: tuple[str, ...] = ()  # channels whose queued alert is left with no topic

    def as_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "title": self.title,
            "new": [
                {"topic": m.topic, "score": m.score, "terms": m.terms, "snippet": m.snippet}
                for m in self.new
            ],
            "lost": [{"topic": m.topic, "score": m.score} for m in self.lost],
            "withdrawn": list(self.withdrawn),
        }


def diff_matches(
    article_id: int,
    title: str | None,
    stored: Sequence[StoredMatch],
    current: Sequence[TopicMatch],
) -> MatchDiff | None:
    """Stored matches against the current rules' matches; None when the topics are the same."""
    have = {m.topic for m in stored}
    want = {m.topic for m in current}
    if have == want:
        return None
    return MatchDiff(
        article_id,
        title,
        tuple(m for m in current if m.topic not in have),
        tuple(m for m in stored if m.topic not in want),
    )


def preview_reclassify(
    ctx: Context, rows: Sequence[ArticleText], topics: Collection[str] | None = None
) -> tuple[int, list[MatchDiff]]:
    """What `reclassify_batch` would change, without writing or queueing anything: how many
    articles it would re-classify (with `topics`, those that have or get one of them) and each
    change, with the queued alerts it would withdraw (left with no topic the article keeps)."""
    articles, diffs = 0, list[MatchDiff]()
    for row in rows:
        stored = ctx.store.matches_of(row.id)
        current = ctx.rules.classify(row.title, row.text)
        kept: set[str] = set()
        if topics is not None:
            kept = {m.topic for m in stored if m.topic not in topics}
            stored = [m for m in stored if m.topic in topics]
            current = [m for m in current if m.topic in topics]
            if not stored and not current:
                continue  # left alone by the real run too
        articles += 1
        diff = diff_matches(row.id, row.title, stored, current)
        if diff is not None:
            keep = kept | {m.topic for m in current}
            queued = ctx.store.outbox.queued_topics(row.id)
            gone = tuple(sorted(ch for ch, held in queued.items() if not keep & set(held)))
            diffs.append(replace(diff, withdrawn=gone))
    return articles, diffs
