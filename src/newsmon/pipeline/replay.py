"""Replay: apply the current topic rules to stored stories (backfill), or preview what that
would change without writing anything. A story (a cluster) is decided as the monitor would
decide it, were its articles arriving now: the first of them that matches speaks for it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import chain
from typing import Any

from newsmon import alerts as alerting
from newsmon.clock import utcnow
from newsmon.corpus.records import ArticleText, StoredMatch, TopicChanges
from newsmon.pipeline.context import Context
from newsmon.pipeline.entries import to_stored
from newsmon.read_now import body_read_now
from newsmon.rules import TopicMatch

REREADS = 3  # tries for an article rewritten meanwhile; then the next backfill does it


@dataclass
class ReclassifyOutcome:
    articles: int = 0  # stories re-classified (a story's copies are replayed with it)
    changed: int = 0  # articles whose topics changed: a story's several may
    added: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    alerts_queued: int = 0
    alerts_withdrawn: int = 0  # queued alerts held back: the rules no longer match their topics
    alerts_too_old: int = 0  # alerts left held: story older than alerts.max_age_hours

    def add(self, other: ReclassifyOutcome) -> None:
        """Fold another batch's figures into these."""
        self.articles += other.articles
        self.changed += other.changed
        self.added.update(other.added)
        self.removed.update(other.removed)
        self.alerts_queued += other.alerts_queued
        self.alerts_withdrawn += other.alerts_withdrawn
        self.alerts_too_old += other.alerts_too_old

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
            changed=sum(bool(d.new or d.lost) for d in diffs),
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
    any_age: bool = False,
) -> ReclassifyOutcome:
    """Apply the current rules to the stories of these stored originals (`plan_story`); queue
    only alerts never queued before. Queued alerts lose the topics the story no longer matches
    (see `replace_matches`). A story older than `alerts.max_age_hours` now is not announced
    (a long range would post stale stories as news) unless `any_age`: its alerts that would
    have been queued are counted (`alerts_too_old`) and stay as they are.

    With `topics`, only those topics' matches are replaced (and alerted): the others stay as
    stored, and a story none of whose articles had or now gets one of them is left alone.
    """
    outcome = ReclassifyOutcome()
    limit = ctx.config.alerts.max_age_hours
    old_before = None if any_age or limit is None else utcnow() - timedelta(hours=limit)
    stories = ctx.store.with_copies([row.id for row in rows])
    for row in rows:
        plan, changes = _apply_rules(ctx, row, topics, row.id in stories)
        if plan is None and not changes:
            continue
        outcome.articles += 1
        for change in changes:
            outcome.changed += bool(change.added or change.removed)
            outcome.added.update(change.added)
            outcome.removed.update(change.removed)
            outcome.alerts_withdrawn += change.withdrawn
        speaker = plan.voices[0] if plan else None
        if queue_alerts and speaker and speaker.matches:
            topics_now = [m.topic for m in speaker.matches]
            seen = ctx.store.story_time(speaker.row.id) if old_before else None
            if old_before and seen and seen < old_before:
                outcome.alerts_too_old += queue_for(ctx, speaker.row.id, topics_now, dry=True)
            else:
                outcome.alerts_queued += queue_for(ctx, speaker.row.id, topics_now)
    return outcome


@dataclass(frozen=True)
class Voice:
    """One article of a story as a replay leaves it: the matches of the replayed topics (none
    unless it speaks for the story), and the stored ones of other topics it keeps."""

    row: ArticleText
    stored: tuple[StoredMatch, ...]  # as stored, every topic (when asked for: `plan_story`)
    matches: tuple[TopicMatch, ...]  # of the replayed topics, from the current rules
    kept: frozenset[str]  # stored topics outside the replayed ones (`topics`), left alone


@dataclass(frozen=True)
class StoryPlan:
    """What a replay does to one story: `voices[0]` speaks for it, the others (its head when
    a copy speaks, copies holding matches or queued alerts) are silent."""

    voices: tuple[Voice, ...]
    topics: frozenset[str]  # what the story matches afterwards: its queued alerts keep these


def plan_story(
    ctx: Context,
    head: ArticleText,
    topics: Collection[str] | None = None,
    copies: bool = True,
    *,
    stored: bool = True,
) -> StoryPlan | None:
    """The decision the monitor would reach for the story `head` heads, were its articles
    arriving now, in the order they were stored (`clusters.may_speak`): the head speaks when
    it matches, else the first copy that matches; every other article is silent. Copies are
    read one batch at a time and only until one matches. None: with `topics`, no article of
    the story has or gets one of them (left alone). `copies`: False when the story is known
    to have none (`Backlog.with_copies`), and `stored` False when the stored matches are not
    needed (no `topics`, no preview: the write reads them), to spare the queries."""
    voiced = {row.id: row for row in ctx.store.story_voices(head.id)} if copies else {}
    speaker: Voice | None = None
    silent: list[Voice] = []
    read = head.id  # the copies up to this id were read (and classified)
    for row in chain([head], ctx.store.story_copies(head.id) if copies else ()):
        read = row.id
        voice = _voice(ctx, row, topics, classify=True, stored=stored)
        if voice.matches or voice.kept:
            speaker = voice
            break
        if row.id == head.id or row.id in voiced:
            silent.append(voice)
    if speaker is None:  # no article matches: the head stands for the story, matching nothing
        speaker, silent = silent[0], silent[1:]
    later = [
        _voice(ctx, r, topics, classify=False, stored=stored) for i, r in voiced.items() if i > read
    ]
    voices = (speaker, *silent, *later)
    if topics is not None and not any(v.matches or _replayed(v, topics) for v in voices):
        return None
    story = {m.topic for m in speaker.matches}.union(*(v.kept for v in voices))
    return StoryPlan(voices, frozenset(story))


def _voice(
    ctx: Context, row: ArticleText, topics: Collection[str] | None, *, classify: bool, stored: bool
) -> Voice:
    read = stored or topics is not None
    stored_matches = tuple(ctx.store.matches_of(row.id)) if read else ()
    kept = frozenset(
        m.topic for m in stored_matches if topics is not None and m.topic not in topics
    )
    # as a pass reads its page now: a body stored before holds credits (`read_now`)
    found = ctx.rules.classify(row.title, body_read_now(row.text)) if classify else []
    return Voice(
        row, stored_matches, tuple(m for m in found if topics is None or m.topic in topics), kept
    )


def _replayed(voice: Voice, topics: Collection[str] | None) -> list[StoredMatch]:
    """The article's stored matches that the replay replaces."""
    return [m for m in voice.stored if topics is None or m.topic in topics]


def _apply_rules(
    ctx: Context, head: ArticleText, topics: Collection[str] | None, copies: bool
) -> tuple[StoryPlan | None, list[TopicChanges]]:
    """Write one story's plan: the speaker first (the story never looks silent meanwhile to a
    copy being stored), then the silent articles; each write only if the article still has
    the words it was planned from: a pass running alongside may have rewritten one (a page
    read at last, an edit, with their matches and alerts) since it was read; then the story
    is planned again, not undone. The plan is None when the story was left alone (no topic
    of `topics` either way, its head gone or a copy now, or rewritten each try)."""
    changes: list[TopicChanges] = []
    for _ in range(REREADS):
        plan = plan_story(ctx, head, topics, copies, stored=False)
        if plan is None:
            return None, changes
        for voice in plan.voices:
            # The other topics stay as stored when the write holds the article, not as read.
            change = ctx.store.replace_matches(
                voice.row.id,
                to_stored(voice.matches),
                ctx.rules.version,
                read=voice.row,
                only=topics,
                alerted=plan.topics,
            )
            if change.stale:
                break
            changes.append(change)
        else:
            return plan, changes
        fresh = ctx.store.original_text(head.id)
        if fresh is None:
            return None, changes
        head = fresh
    return None, changes


def queue_for(ctx: Context, article_id: int, topics: Iterable[str], *, dry: bool = False) -> int:
    """Queue an article's alerts for `topics` (reviving held-back ones); how many were queued
    (`dry`: would be, nothing written)."""
    return sum(
        ctx.store.enqueue_alert(article_id, channel, routed, revive_skipped=True, check_only=dry)
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
    stories it would re-classify (with `topics`, those that have or get one of them) and each
    article's change, with the queued alerts it would withdraw (left with no topic the story
    keeps)."""
    articles, diffs = 0, list[MatchDiff]()
    stories = ctx.store.with_copies([row.id for row in rows])
    for row in rows:
        plan = plan_story(ctx, row, topics, row.id in stories)
        if plan is None:
            continue  # left alone by the real run too
        articles += 1
        for voice in plan.voices:
            diff = diff_matches(
                voice.row.id, voice.row.title, _replayed(voice, topics), voice.matches
            )
            keep = voice.kept | {m.topic for m in voice.matches} | plan.topics
            queued = ctx.store.outbox.queued_topics(voice.row.id)
            gone = tuple(sorted(ch for ch, held in queued.items() if not keep & set(held)))
            if diff is not None or gone:
                diff = diff or MatchDiff(voice.row.id, voice.row.title, (), ())
                diffs.append(replace(diff, withdrawn=gone))
    return articles, diffs
