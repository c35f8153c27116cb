"""Is newsmon working? A verdict from plain records, with no database and no Prefect.

`assess` reads the corpus's recent runs, feed health, alert counts, unreadable channels,
unfinished digests and whether Slack refuses the operations channel into a `HealthReport`
whose problems make `newsmon health` exit non-zero (whether one pass failed is
`newsmon.verdict`'s).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from newsmon.corpus.alert_views import HeldBack
from newsmon.corpus.records import (
    AlertStatus,
    ChannelBlock,
    FeedHealth,
    RunRecord,
    RunStatus,
    UnfinishedDigest,
)
from newsmon.corpus.slack_waits import ChannelWait
from newsmon.digest import RESUME_WITHIN
from newsmon.health_kinds import (
    INDEX_SHARES_BEHIND,
    FeedState,
    FeedVerdict,
    HealthPolicy,
    IndexBacklog,
    Problem,
    ProblemKind,
    judge_feed,
    within_option,
)
from newsmon.health_kinds import (
    age as _age,
)
from newsmon.verdict import standing_failure

__all__ = [  # the vocabulary lives in `newsmon.health_kinds`; importers keep this module's names
    "INDEX_SHARES_BEHIND",
    "FeedState",
    "FeedVerdict",
    "HealthPolicy",
    "HealthReport",
    "IndexBacklog",
    "Problem",
    "ProblemKind",
    "assess",
    "describe_run",
    "judge_feed",
    "within_option",
]

STUCK_ALERT_STATUSES = frozenset({"blocked"})  # statuses meaning "cannot go out as things are"
# Every status `--json` counts for a channel, 0 included: a probe reading one gets a number in
# every state, never null for "none" (the text lines name only those it has).
_ZERO_COUNTS = dict.fromkeys([*(s.value for s in AlertStatus), *sorted(STUCK_ALERT_STATUSES)], 0)


def _failed_alerts(
    policy: HealthPolicy, alerts: Mapping[str, int], replies: Mapping[str, int]
) -> Problem | None:
    """One `alerts_failed` problem for the alerts and thread replies that gave up recently: a
    reply that never posted is a lost part of a story (its thread never names that source)."""
    window, parts = _age(policy.failed_alerts_within), list[str]()
    for counts, what, lost in (
        (alerts, "alert(s)", "their stories never posted"),
        (replies, "thread reply(ies)", "the source they name never posted in the story's thread"),
    ):
        if total := sum(counts.values()):
            when = "" if parts else f" gave up in the last {window}"
            channels = ", ".join(f"{c} {n}" for c, n in counts.items() if n)
            parts.append(f"{total} {what}{when}, {lost} ({channels})")
    if not parts:
        return None
    return Problem(
        ProblemKind.ALERTS_FAILED,
        f"{' and '.join(parts)}: `newsmon alerts retry --failed "
        f"--within {within_option(policy.failed_alerts_within)}` re-queues them",
    )


def _alerts_off(now: datetime, alerts: Mapping[str, Mapping[str, int]], held: HeldBack) -> Problem:
    """Alerts switched off: deliberate, yet the channels hear nothing, which they cannot tell
    from a quiet week; what waits and what a pass held back since the last alert went out."""
    pending = sum(states.get("pending", 0) for states in alerts.values())
    # pending too, in a channel Slack refuses (counted "blocked"): kept all the same
    blocked = sum(
        n for states in alerts.values() for s, n in states.items() if s in STUCK_ALERT_STATUSES
    )
    refused = f" ({blocked} in channels Slack refuses)" if blocked else ""
    since = send = ""
    if (first := held.first) is not None:
        since = f" since {first:%Y-%m-%d %H:%M} UTC ({_age(now - first)})"
        send = f", which `newsmon backfill --since {first:%Y-%m-%d} --alerts` sends once on"
    return Problem(
        ProblemKind.ALERTS_OFF,
        f"alerts are off (alerts.enabled: false): nothing is posted to the topic channels, no "
        f"digest; {pending + blocked} alert(s) pending{refused}, kept for when they are on; "
        f"{held.count} held back (skipped) as first seen{since}{send}",
    )


def _failed_digest_run(run: RunRecord | None) -> Problem | None:
    """The newest finished digest call, when it failed or crashed before running to its end
    (no summary stored: killed, timed out, a crash, no credential): it began no digest, so
    `digest_unfinished` cannot tell, and the team's digest did not come. One that ran to its
    end and failed (a digest left for later) is `digest_unfinished`'s."""
    if run is None or run.status not in (RunStatus.FAILED, RunStatus.CRASHED) or run.summary:
        return None
    return Problem(
        ProblemKind.DIGEST_FAILED,
        f"digest run #{run.id} {run.status.value} at {run.started_at:%Y-%m-%d %H:%M} UTC before "
        f"posting its digests: {run.error or 'no reason recorded'}; the next digest call covers "
        "the period from where the last digest ended (within 7 days)",
    )


def _unfinished_digests(now: datetime, digests: Sequence[UnfinishedDigest]) -> list[Problem]:
    """One problem per channel with digests begun and not finished: the oldest, its error,
    and whether a later digest call will still finish it."""
    by_channel: dict[str, list[UnfinishedDigest]] = {}
    for d in digests:
        by_channel.setdefault(d.channel, []).append(d)
    problems = []
    for channel, left in by_channel.items():
        oldest = min(left, key=lambda d: d.until)
        fate = (
            "too old for a later digest call to finish"
            if now - oldest.until > RESUME_WITHIN
            else "the next monitoring pass (or digest call) finishes it"
        )
        problems.append(
            Problem(
                ProblemKind.DIGEST_UNFINISHED,
                f"{channel}: {len(left)} digest(s) not finished, the oldest of "
                f"{oldest.since:%Y-%m-%d %H:%M} – {oldest.until:%Y-%m-%d %H:%M} UTC "
                f"({oldest.error or 'stopped'}); {fate}",
                channel,
            )
        )
    return problems


@dataclass(frozen=True)
class HealthReport:
    checked_at: datetime
    policy: HealthPolicy
    last_pass: RunRecord | None  # the newest monitor run, whatever its status
    last_completed: RunRecord | None
    feeds: list[FeedVerdict]
    alerts: dict[str, dict[str, int]]  # channel -> status -> count
    problems: list[Problem] = field(default_factory=list)
    index: IndexBacklog | None = None  # None: retention is off
    # when the recent monitor runs started, newest first (`newsmon.notices.resumed_at`)
    passes: tuple[datetime, ...] = ()
    # channels Slack asked to wait (Retry-After): their posts wait, which is no problem
    waits: tuple[ChannelWait, ...] = ()

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "checked_at": self.checked_at.isoformat(),
            "last_pass": self.last_pass.as_dict() if self.last_pass else None,
            "last_completed_pass": self.last_completed.as_dict() if self.last_completed else None,
            "feeds": [f.as_dict() for f in self.feeds],
            "alerts": {c: {**_ZERO_COUNTS, **states} for c, states in self.alerts.items()},
            "index_backlog": self.index.articles if self.index else None,
            "problems": [p.as_dict() for p in self.problems],
            "slack_waits": {
                w.channel: {"until": w.until.isoformat(), "since": w.since.isoformat()}
                for w in self.waits
            },
        }

    def lines(self) -> list[str]:
        """What `newsmon health` prints."""
        now = self.checked_at
        out: list[str] = []
        done = self.last_completed
        if done is None:
            out.append("last completed pass: none")
        else:
            end = done.finished_at or done.started_at
            out.append(
                f"last completed pass: {end:%Y-%m-%d %H:%M} UTC ({_age(now - end)} ago), "
                f"run #{done.id}"
            )
        last = self.last_pass
        if last is not None and (done is None or last.id != done.id):
            why = f": {last.error}" if last.error else ""
            out.append(f"latest pass: {last.status.value}, run #{last.id}{why}")
        counts: dict[str, int] = {}
        for f in self.feeds:
            counts[f.state.value] = counts.get(f.state.value, 0) + 1
        out.append(
            f"feeds: {len(self.feeds)} ("
            + (", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none")
            + ")"
        )
        if self.alerts:
            for channel, states in self.alerts.items():
                out.append(f"alerts {channel}: " + ", ".join(f"{k} {v}" for k, v in states.items()))
        else:
            out.append("alerts: none")
        for w in self.waits:
            out.append(
                f"slack wait {w.channel}: Slack asked it to wait (Retry-After) until "
                f"{w.until:%Y-%m-%d %H:%M} UTC (since {w.since:%Y-%m-%d %H:%M} UTC): its "
                "posts wait for then, no attempt counted"
            )
        if self.index is not None and self.index.articles:
            out.append(
                f"near-duplicate index: {self.index.articles} articles past retention "
                f"(a pass takes {self.index.per_pass})"
            )
        if self.problems:
            out.append(f"UNHEALTHY: {len(self.problems)} problem(s)")
            out += [f"  {p.kind.value}: {p.message}" for p in self.problems]
        else:
            out.append("healthy")
        return out


def clock_off(run: RunRecord, policy: HealthPolicy) -> Problem | None:
    """The pass's host clock against its feed servers' `Date` headers (their median, of enough
    feeds that one wrong server says nothing): days ahead, every story is held back as too
    old and the channels go quiet while passes complete; behind, stories are dated late."""
    ahead, samples = run.summary.get("clock_ahead_seconds"), run.summary.get("clock_samples")
    if not isinstance(ahead, int | float) or not isinstance(samples, int):
        return None  # a pass of an older release, or no server stated a date
    off = timedelta(seconds=abs(ahead))
    if samples < policy.clock_samples or off <= policy.clock_off_by:
        return None
    way = "ahead of" if ahead > 0 else "behind"
    effect = (
        "stories look older than they are and are held back as too old"
        if ahead > 0
        else "stories look newer than they are, and passes are timed wrongly"
    )
    return Problem(
        ProblemKind.CLOCK_OFF,
        f"this host's clock is {_age(off)} {way} the sites' (the Date headers of {samples} "
        f"feeds in run #{run.id}): {effect}",
    )


def assess(
    now: datetime,
    runs: Sequence[RunRecord],
    feeds: Sequence[FeedHealth],
    alerts: Mapping[str, Mapping[str, int]],
    *,
    policy: HealthPolicy | None = None,
    enabled: Collection[str] | None = None,
    last_completed: RunRecord | None = None,
    index: IndexBacklog | None = None,
    unreadable: Mapping[str, ChannelBlock] | None = None,
    digests: Sequence[UnfinishedDigest] = (),
    digest_run: RunRecord | None = None,
    failed: Mapping[str, int] | None = None,
    ops_refused: ChannelBlock | None = None,
    failed_replies: Mapping[str, int] | None = None,
    alerts_off: HeldBack | None = None,
    twins: Collection[str] = (),
    waits: Sequence[ChannelWait] = (),
) -> HealthReport:
    """The health of an installation from its recent monitor runs (newest first), the health
    of its feeds (only those named in `enabled`, when given) and its alerts per channel.

    `last_completed` is the newest completed pass when it may be older than all of `runs`;
    `index`, when retention is on, what the near-duplicate index holds past it;
    `unreadable`, the channels whose history could not be read at their last lookup;
    `digests`, the digests begun and not finished;
    `digest_run`, the newest finished digest call;
    `failed`, per channel, the alerts that gave up within `policy.failed_alerts_within`;
    `failed_replies`, likewise the thread replies (a posted story's "also reported by");
    `ops_refused`, the operations channel when Slack refused its last notice for a reason
    that does not heal by itself (`not_in_channel`, `channel_not_found`, `is_archived`);
    `alerts_off`, when `alerts.enabled` is false, the alerts held back since the last posted;
    `twins`, the feeds read as another (`newsmon.feed_twins`): never fetched, so never judged.
    """
    policy = policy or HealthPolicy()
    problems: list[Problem] = []
    last_pass = runs[0] if runs else None
    completed = [r for r in runs if r.status is RunStatus.COMPLETED]
    last_completed = completed[0] if completed else last_completed
    if last_completed is None:
        problems.append(Problem(ProblemKind.NO_PASS, "no monitoring pass has completed yet"))
    else:
        end = last_completed.finished_at or last_completed.started_at
        if now - end > policy.max_pass_age:
            problems.append(
                Problem(
                    ProblemKind.STALE,
                    f"the last completed pass ended {_age(now - end)} ago "
                    f"(more than {_age(policy.max_pass_age)})",
                )
            )
        clock = clock_off(last_completed, policy)
        if clock is not None:
            problems.append(clock)
    standing = standing_failure([r for r in runs if r.status is not RunStatus.RUNNING])
    if standing is not None:
        bad, after = standing
        later = f" ({after} pass(es) since tried nothing that shows it over)" if after else ""
        problems.append(
            Problem(
                ProblemKind.LAST_PASS_FAILED,
                f"run #{bad.id} {bad.status.value}: {bad.error or 'no reason recorded'}{later}",
            )
        )
    for run in runs:
        if run.status is RunStatus.RUNNING and now - run.started_at > policy.max_pass_age:
            problems.append(
                Problem(
                    ProblemKind.PASS_STUCK,
                    f"run #{run.id} started {_age(now - run.started_at)} ago and has not "
                    "finished (hung, or killed before it could record its end)",
                )
            )
            break
    if enabled is not None and not enabled:
        problems.append(
            Problem(
                ProblemKind.NO_FEEDS,
                "no feed is enabled in the configuration: passes complete, nothing is monitored",
            )
        )
    verdicts = [
        FeedVerdict(h, FeedState.TWIN) if h.name in twins else judge_feed(h, now, policy)
        for h in feeds
        if enabled is None or h.name in enabled
    ]
    judged = [v for v in verdicts if v.state is not FeedState.TWIN]  # what it last did is old
    for v in judged:
        if v.state is FeedState.FAILING_TOO_LONG:
            since = f"{_age(now - v.since)}" if v.since else "ever"
            problems.append(
                Problem(
                    ProblemKind.FEED_FAILING,
                    f"{v.health.name} failing for {since} "
                    f"({v.health.consecutive_failures}x): {v.health.last_error or '?'}",
                    v.health.name,
                )
            )
        elif v.state is FeedState.SILENT and v.since is not None:
            problems.append(
                Problem(
                    ProblemKind.FEED_SILENT,
                    f"{v.health.name} brought no new article for {_age(now - v.since)}",
                    v.health.name,
                )
            )
    for v in judged:
        h = v.health
        if (
            policy.unread_share > 0
            and h.recent_unread >= policy.unread_min
            and h.recent_unread >= policy.unread_share * h.recent_articles
        ):
            problems.append(
                Problem(
                    ProblemKind.PAGES_UNREAD,
                    f"{h.name}: {h.recent_unread} of its {h.recent_articles} articles of the "
                    f"last {_age(policy.pages_window)} are teasers, their pages could not be "
                    f"downloaded or held no article text (last: {h.last_page_error or '?'})",
                    h.name,
                )
            )
        if policy.entry_failure_passes and h.entry_failure_passes >= policy.entry_failure_passes:
            failing = h.entries_failing_since
            span = f" ({_age(now - failing)})" if failing else ""
            problems.append(
                Problem(
                    ProblemKind.ENTRIES_FAILING,
                    f"{h.name}: an entry failed in each of its last {h.entry_failure_passes} "
                    f"passes{span}, its story is not stored (last: {h.last_error or '?'})",
                    h.name,
                )
            )
    for channel, states in alerts.items():
        stuck = sum(n for s, n in states.items() if s in STUCK_ALERT_STATUSES)
        if stuck:
            problems.append(
                Problem(
                    ProblemKind.ALERTS_STUCK,
                    f"{stuck} alerts for {channel} cannot be delivered as things are",
                    channel,
                )
            )
    failure = _failed_alerts(policy, failed or {}, failed_replies or {})
    if failure is not None:
        problems.append(failure)
    for channel, trouble in (unreadable or {}).items():
        problems.append(
            Problem(
                ProblemKind.HISTORY_UNREADABLE,
                f"{channel}: its history cannot be read for {_age(now - trouble.since)} "
                f"({trouble.reason}): a post whose answer is lost there is held, then posted "
                "unchecked (slack.unchecked_post_after_minutes)",
                channel,
            )
        )
    if alerts_off is not None:
        problems.append(_alerts_off(now, alerts, alerts_off))
    problems += _unfinished_digests(now, digests)
    if (digest_failed := _failed_digest_run(digest_run)) is not None:
        problems.append(digest_failed)
    if ops_refused is not None:
        problems.append(
            Problem(
                ProblemKind.OPS_CHANNEL_REFUSED,
                f"{ops_refused.channel}: Slack refuses health notices there for "
                f"{_age(now - ops_refused.since)} ({ops_refused.reason}): problems are not "
                "announced; invite the bot to the channel or fix `slack.ops_channel` (or, as "
                "Slack said, the token or SSL_CERT_FILE) — the notices held are posted once "
                "one goes through",
                ops_refused.channel,
            )
        )
    if index is not None and index.articles > INDEX_SHARES_BEHIND * index.per_pass:
        problems.append(
            Problem(
                ProblemKind.INDEX_BEHIND,
                f"{index.articles} articles past the index retention are still in the "
                f"near-duplicate index, more than {INDEX_SHARES_BEHIND} passes take: passes "
                "are not pruning (see their warnings) or fell behind; `newsmon prune` clears it",
            )
        )
    return HealthReport(
        now,
        policy,
        last_pass,
        last_completed,
        verdicts,
        {c: dict(s) for c, s in alerts.items()},
        problems,
        index,
        tuple(sorted((r.started_at for r in runs), reverse=True)),
        tuple(waits),
    )


def describe_run(run: RunRecord) -> str:
    """One line of `newsmon runs`: what a run did, or why it did not."""
    s = run.summary
    if run.flow == "monitor" and "feeds_ok" in s:
        text = (
            f"feeds {s.get('feeds_ok', 0)} ok, {s.get('feeds_failed', 0)} failed, "
            f"{s.get('feeds_not_due', 0)} not due; new articles {s.get('new_articles', 0)}; "
            f"alerts sent {s.get('alerts_sent', 0)}, pending {s.get('alerts_pending', 0)}"
        )
    elif run.flow == "backfill" and "articles" in s:
        text = (
            f"articles {s.get('articles', 0)}, changed {s.get('changed', 0)}; "
            f"alerts sent {s.get('alerts_sent', 0)}"
        )
    else:
        text = ""
    if run.error:
        text = f"{text} | {run.error}" if text else run.error
    return text
