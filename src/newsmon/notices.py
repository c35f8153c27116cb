"""Health notices: what the operations channel (`slack.ops_channel`) is told about the problems
of `newsmon health`, decided from what was announced before and the pass's `HealthReport`.

Pure: no database, no Slack. A problem is identified by its kind and subject (the feed or
channel concerned): when one appears it is announced once; while it lasts nothing more is said;
when `RESOLVE_AFTER_PASSES` passes in a row, over `RESOLVE_QUIET` at least, no longer find it,
one "resolved" notice follows, in the thread of the notice that announced it (one found again
before that is the same problem still, and nothing is said; a run seconds after a scheduled
pass is no second look). `newsmon.pipeline.notices` records the decision and posts each
notice once.

Flapping: a problem found again within `FLAP_WINDOW` of its "resolved" notice comes and goes (a
pass failing one time in three: a flaky proxy, a crash now and then). Announcing and resolving
it each time made an "announce" / "resolved" pair every hour, a channel people learn to
ignore. It is announced once more, as flapping, and resolved only once no pass has found it for
`FLAP_QUIET` (a duration, not a count of passes: 9 passes were 45 minutes on a 5-minute
schedule, 9 hours on an hourly one); while it flaps, nothing more is said. Found in every pass
for `FLAP_STEADY`, it no longer comes and goes: that is said once, at the top level (the
*Flapping* notice, "it comes and goes", stayed the last word about a problem there for good),
and its resolution follows in that notice's thread.

Pacing: a pass announces at most `MAX_SINGLE` problems one notice each; when more appear at
once (40 feeds failing because DNS is down) they share one grouped notice naming the first
`MAX_LISTED` and counting the rest. Resolutions are grouped the same way, so a pass decides at
most 2 × `MAX_SINGLE` notices, and typically one or two. One cause seldom brings its problems
in one pass (feeds last worked at their own polls, minutes apart, so their 24 hours of failing
run out pass after pass): a problem of a kind with a subject appearing within `GROUP_WINDOW`
of one of its kind still open is announced in the thread of that one's notice, not at the top
level, and resolved there.

Text from feeds is hostile: a feed's last error quotes server bytes. Everything shown is
escaped for Slack's mrkdwn (`&`, `<`, `>`), cut to a bounded length, and every URL in it goes
through `shown_url` (a password, a key in the query hidden); a database URL is never shown.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from newsmon.alerts import MAX_SECTION_CHARS, Marker, Message, clip_escaped, slack_len, when
from newsmon.bounds import clean_text
from newsmon.corpus.records import Announced
from newsmon.health import FeedVerdict, HealthReport, Problem, ProblemKind, within_option
from newsmon.notice_kinds import HINTS as HINTS
from newsmon.notice_kinds import TITLES as TITLES
from newsmon.notice_kinds import UNANNOUNCED as UNANNOUNCED
from newsmon.urls import hide_secrets, shown_url

NOTICE_EVENT = "newsmon_notice"
MAX_SINGLE = 3  # problems appearing (or resolved) in one pass that get a notice each
MAX_LISTED = 10  # problems named in a grouped notice; the rest are counted
# An announced problem is resolved once this many passes in a row have not found it: a share
# hovering at its threshold (pages unread) would be announced and resolved pass after pass.
RESOLVE_AFTER_PASSES = 2
# ... and none has for half the schedule's spacing (`resolve_quiet`; too few passes recorded to
# tell it: half the shipped 20-minute schedule), from the first that missed it: a run soon after
# a scheduled pass (a manual `newsmon run`, a retry, a second deployment) is no second look.
RESOLVE_QUIET = timedelta(minutes=10)
RESOLVE_QUIET_MAX = timedelta(hours=3)
# A problem back within this long after it was resolved flaps: it stays open (announced once
# as flapping) until no pass has found it for `FLAP_QUIET` (from the first that missed it, and
# at least `RESOLVE_AFTER_PASSES` passes); found in every pass for `FLAP_STEADY` it is steady.
FLAP_WINDOW = timedelta(hours=6)
FLAP_QUIET = timedelta(hours=3)
FLAP_STEADY = timedelta(hours=3)
# A flapping problem is found "in every pass for `FLAP_STEADY`" across passes only: a gap
# between passes longer than this many times the schedule's spacing (the Prefect server or
# worker down for hours) starts its presence anew at the first pass after it; a gap under
# `PAUSE_AT_LEAST` is none (passes minutes or seconds apart jitter past twice their spacing).
PAUSE_SPACINGS = 2
PAUSE_AT_LEAST = timedelta(hours=1)
# A problem (with a subject) appearing this soon after one of its kind, still open, was
# announced joins that one's thread: one cause, one top-level notice.
GROUP_WINDOW = timedelta(hours=2)
MAX_DETAIL_CHARS = 300  # what the health check said about one problem, as shown
MAX_KEY_CHARS = 300


def problem_key(problem: Problem) -> str:
    """What identifies a problem from pass to pass: its kind and subject, not its wording."""
    key = (
        problem.kind.value if problem.subject is None else f"{problem.kind.value}:{problem.subject}"
    )
    return clean_text(key)[:MAX_KEY_CHARS]


def safe_text(text: str, limit: int) -> str:
    """`text` for mrkdwn: no secret (credentials out of every URL, database and webhook URLs
    and Slack tokens out altogether: `hide_secrets`), one line, escaped, at most `limit`
    characters."""
    flat = " ".join(hide_secrets(clean_text(text)).split())
    return clip_escaped(flat, limit)


@dataclass(frozen=True)
class Appeared:
    """A problem no notice announced yet."""

    key: str
    problem: Problem
    since: datetime | None
    line: str  # mrkdwn, escaped and bounded
    flapping: bool = False  # back within `FLAP_WINDOW` of its "resolved" notice


@dataclass(frozen=True)
class Draft:
    """One notice to post: the problems it announces or resolves, its text, its thread."""

    text: str  # mrkdwn
    fallback: str  # the notification text (plain, escaped)
    opens: tuple[Appeared, ...] = ()
    resolves: tuple[Announced, ...] = ()
    steadies: tuple[Announced, ...] = ()  # flapping problems found in every pass for a while
    thread_of: int | None = None  # the id of the notice to reply to


@dataclass(frozen=True)
class Plan:
    drafts: list[Draft] = field(default_factory=list)
    # announced problems whose count of passes without them changes, without a notice: gone
    # and not resolved yet (count up), or found again (back to 0: present from now on)
    absences: dict[int, int] = field(default_factory=dict)

    @property
    def opened(self) -> list[Appeared]:
        return [a for d in self.drafts for a in d.opens]

    @property
    def resolved(self) -> list[Announced]:
        return [a for d in self.drafts for a in d.resolves]

    @property
    def flapping(self) -> list[Appeared]:
        return [a for a in self.opened if a.flapping]

    @property
    def steady(self) -> list[Announced]:
        return [a for d in self.drafts for a in d.steadies]


def flapping(problem: Announced) -> bool:
    """Whether an announced problem came back within `FLAP_WINDOW` of its last resolution."""
    last = problem.last_resolved
    return last is not None and problem.opened_at - last <= FLAP_WINDOW


def resolve_quiet(spacing: timedelta | None) -> timedelta:
    """Half the schedule's `spacing` (`pass_spacing`), within `RESOLVE_QUIET` ..
    `RESOLVE_QUIET_MAX`: a fixed 10 minutes let a manual run 15 minutes after an hourly pass
    resolve a problem the next scheduled pass announced again, as flapping."""
    if spacing is None:
        return RESOLVE_QUIET
    return min(max(spacing / 2, RESOLVE_QUIET), RESOLVE_QUIET_MAX)


def gone_for_good(
    problem: Announced, now: datetime, spacing: timedelta | None, resumed: datetime | None
) -> bool:
    """Whether an announced problem this pass does not find is resolved: `RESOLVE_AFTER_PASSES`
    passes in a row without it, and none for `resolve_quiet(spacing)` since the first of them
    (flapping: `FLAP_QUIET`, counted from `resumed` when the schedule paused since: the hours
    no pass ran are not quiet). A count kept before `absent_since` was (migration 0021) is
    judged by its passes alone."""
    if problem.absent_passes + 1 < RESOLVE_AFTER_PASSES:
        return False
    gone = problem.absent_since
    if flapping(problem):
        quiet_since = max(gone or now, resumed) if resumed is not None else gone or now
        return now - quiet_since >= FLAP_QUIET
    return gone is None or now - gone >= resolve_quiet(spacing)


def pass_spacing(starts: Sequence[datetime]) -> timedelta | None:
    """The schedule's spacing as the recorded passes' starts show it: the upper quartile of
    the gaps between them, which neither a run seconds after a scheduled one (a manual `newsmon
    run`, a second deployment) nor a pause moves. None under four passes."""
    ordered = sorted(starts)
    gaps = sorted(b - a for a, b in itertools.pairwise(ordered))
    if len(gaps) < 3:
        return None
    return gaps[math.ceil(len(gaps) * 3 / 4) - 1]


def resumed_at(starts: Sequence[datetime]) -> datetime | None:
    """The start of the first pass after the newest pause of the schedule among `starts` (a gap
    longer than `PAUSE_SPACINGS` times its spacing and `PAUSE_AT_LEAST`), or None."""
    spacing = pass_spacing(starts)
    if spacing is None:
        return None
    ordered = sorted(starts, reverse=True)
    for newer, older in itertools.pairwise(ordered):
        if newer - older > max(PAUSE_SPACINGS * spacing, PAUSE_AT_LEAST):
            return newer
    return None


def steady_now(problem: Announced, now: datetime, resumed: datetime | None = None) -> bool:
    """Whether a flapping problem this pass finds has been found in every pass for
    `FLAP_STEADY` and was not said to be steady yet; `resumed`: when passes resumed after a
    pause of the schedule (the hours no pass ran are not presence)."""
    present = problem.present_since
    if present is not None and resumed is not None:
        present = max(present, resumed)
    return (
        flapping(problem)
        and problem.steady_at is None
        and problem.absent_passes == 0
        and present is not None
        and now - present >= FLAP_STEADY
    )


def _verdict(report: HealthReport, name: str | None) -> FeedVerdict | None:
    return next((v for v in report.feeds if v.health.name == name), None)


def problem_since(report: HealthReport, problem: Problem) -> datetime | None:
    """When the problem began, where the report knows: a feed failing since its last success,
    silent since its last new article, its entries failing since…; else None."""
    verdict = _verdict(report, problem.subject)
    if problem.kind in (ProblemKind.FEED_FAILING, ProblemKind.FEED_SILENT) and verdict:
        return verdict.since
    if problem.kind is ProblemKind.ENTRIES_FAILING and verdict:
        return verdict.health.entries_failing_since
    if problem.kind is ProblemKind.STALE and report.last_completed is not None:
        done = report.last_completed
        return done.finished_at or done.started_at
    return None


def _subject(report: HealthReport, problem: Problem) -> str:
    if problem.subject is None:
        return ""
    verdict = _verdict(report, problem.subject)
    url = f" {shown_url(verdict.health.url)}" if verdict else ""
    return safe_text(f"{problem.subject}{url}", 300)


def _duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


def open_line(
    report: HealthReport,
    problem: Problem,
    since: datetime | None,
    zone: tzinfo,
    back_after: timedelta | None = None,
    steady_since: datetime | None = None,
) -> str:
    """One problem in one line: what, which feed or channel, since when, what to do; and, when
    it is back `back_after` its last resolution, that it flaps and what is said from now on;
    flapping and found in every pass since `steady_since`, that it is there for good now."""
    subject = _subject(report, problem)
    about = f" — {subject}" if subject else ""
    began = f"since {when(since, zone)}" if since else f"seen {when(report.checked_at, zone)}"
    detail = safe_text(problem.message, MAX_DETAIL_CHARS)
    # the window health counted failed alerts over, so the command re-queues what it names
    hint = HINTS[problem.kind].format(within=within_option(report.policy.failed_alerts_within))
    flaps = ""
    if back_after is not None:
        flaps = (
            f" *Flapping*: back {_duration(back_after)} after it was resolved; nothing more is "
            f"said while it comes and goes; it is resolved once no pass has found it for "
            f"{_duration(FLAP_QUIET)}, and said once to be steady if every pass finds it for "
            f"{_duration(FLAP_STEADY)}."
        )
    elif steady_since is not None:
        flaps = (
            f" It flapped, and every pass has found it since {when(steady_since, zone)}; it is "
            f"resolved once no pass has found it for {_duration(FLAP_QUIET)}."
        )
    return f"*{TITLES[problem.kind]}*{about} ({began}): {detail}.{flaps} What to do: {hint}"


def resolved_line(problem: Announced, now: datetime, zone: tzinfo) -> str:
    kind = ProblemKind(problem.kind)
    about = f" — {safe_text(problem.subject, 200)}" if problem.subject else ""
    quiet = now - problem.absent_since if problem.absent_since else FLAP_QUIET
    stable = f", not found for {_duration(quiet)}" if flapping(problem) else ""
    return (
        f"*resolved: {TITLES[kind]}*{about}, after {_duration(now - problem.began)} "
        f"(since {when(problem.began, zone)}){stable}"
    )


def _group(head: str, lines: Sequence[str]) -> str:
    """`head`, then whole lines, as many as fit one section as Slack counts it (UTF-16 units:
    cut in code points, emoji in the errors made a section Slack refuses); the rest counted."""

    def text(shown: Sequence[str]) -> str:
        more = len(lines) - len(shown)
        tail = [f"… and {more} more: `newsmon health` lists them"] if more else []
        return "\n".join([head, *shown, *tail])

    shown: list[str] = []
    for line in lines[:MAX_LISTED]:
        if slack_len(text([*shown, f"• {line}"])) > MAX_SECTION_CHARS:
            break
        shown.append(f"• {line}")
    return text(shown)


def _fallback(text: str) -> str:
    """The notification text: the first line, without mrkdwn stars."""
    return text.split("\n", 1)[0].replace("*", "")[:300]


def _thread_for(problem: Problem, announced: Sequence[Announced], now: datetime) -> int | None:
    """The notice whose thread a problem appearing now joins: that of the first problem of its
    kind still open and announced within `GROUP_WINDOW`, for kinds with a subject."""
    if problem.subject is None:
        return None
    near = [
        a
        for a in announced
        if a.kind == problem.kind.value
        and a.notice_id is not None
        and now - a.opened_at <= GROUP_WINDOW
    ]
    return min(near, key=lambda a: (a.opened_at, a.id)).notice_id if near else None


def _steadies(report: HealthReport, steady: Sequence[Announced], zone: tzinfo) -> list[Draft]:
    """The notices saying flapping problems are there for good now: top level, one each up to
    `MAX_SINGLE`, else one grouped."""
    current = {problem_key(p): p for p in reversed(report.problems)}
    lines = [
        open_line(
            report, current[s.key], s.since, zone, steady_since=s.present_since or s.opened_at
        )
        for s in steady
    ]
    if len(steady) <= MAX_SINGLE:
        texts = [f":rotating_light: newsmon: *steady now*, no longer flapping: {x}" for x in lines]
        return [Draft(t, _fallback(t), steadies=(s,)) for t, s in zip(texts, steady, strict=True)]
    head = f":rotating_light: newsmon: *{len(steady)} flapping health problems are steady now*"
    text = _group(head, lines)
    return [Draft(text, _fallback(text), steadies=tuple(steady))]


def _openings(appeared: Sequence[Appeared], thread_of: int | None) -> list[Draft]:
    """The notices announcing `appeared`: one each up to `MAX_SINGLE`, else one grouped."""
    if len(appeared) <= MAX_SINGLE:
        texts = [f":rotating_light: newsmon: {a.line}" for a in appeared]
        return [
            Draft(t, _fallback(t), opens=(a,), thread_of=thread_of)
            for t, a in zip(texts, appeared, strict=True)
        ]
    kinds = {a.problem.kind for a in appeared}
    what = (
        f"{len(appeared)} × {TITLES[next(iter(kinds))]}"
        if len(kinds) == 1
        else f"{len(appeared)} health problems"
    )
    head = (
        f":rotating_light: newsmon: *{what}* appeared at once "
        "(often one cause: the network, DNS, a proxy)"
    )
    text = _group(head, [a.line for a in appeared])
    return [Draft(text, _fallback(text), opens=tuple(appeared), thread_of=thread_of)]


def plan_notices(
    report: HealthReport,
    announced: Sequence[Announced],
    zone: tzinfo = UTC,
    resolved: Mapping[str, datetime] | None = None,
    *,
    resolve: bool = True,
) -> Plan:
    """The notices one pass owes: problems of `report` not announced yet, and problems
    announced whose key `report` no longer holds. Nothing when nothing changed. `resolved`:
    when problems (their keys) resolved within `FLAP_WINDOW` were resolved; one of them found
    again flaps. A flapping problem found in every pass for `FLAP_STEADY` is said once to be
    steady (`Draft.steadies`).

    `resolve=False` for a check that is not a pass's own (the start of the pass after one that
    timed out): it announces what appeared and counts no pass without a problem, so a problem
    is still resolved only after its passes."""
    resolved = resolved or {}
    now = report.checked_at
    current: dict[str, Problem] = {}
    for problem in report.problems:
        if problem.kind not in UNANNOUNCED:
            current.setdefault(problem_key(problem), problem)
    known = {a.key for a in announced}
    appeared = []
    for key, problem in current.items():
        if key not in known:
            since = problem_since(report, problem)
            last = resolved.get(key)
            back = now - last if last is not None and now - last <= FLAP_WINDOW else None
            line = open_line(report, problem, since, zone, back)
            appeared.append(Appeared(key, problem, since, line, back is not None))
    spacing, resumed = pass_spacing(report.passes), resumed_at(report.passes)
    missing = [a for a in announced if a.key not in current] if resolve else []
    gone = [a for a in missing if gone_for_good(a, now, spacing, resumed)]
    absences = {a.id: a.absent_passes + 1 for a in missing if a not in gone}
    # found again (or, stored before `present_since` was kept, found): present from now on
    found = [a for a in announced if a.key in current]
    absences |= {a.id: 0 for a in found if a.absent_passes or a.present_since is None}
    # found on both sides of a pause of the schedule: present from this pass on
    absences |= {
        a.id: 0
        for a in found
        if resumed is not None and a.present_since is not None and a.present_since < resumed
    }
    steady = [a for a in found if steady_now(a, now, resumed)]
    threads: dict[int | None, list[Appeared]] = {}
    for a in appeared:
        threads.setdefault(_thread_for(a.problem, announced, now), []).append(a)
    drafts = _openings(threads.pop(None, []), None)
    for thread_of, joining in threads.items():
        drafts += _openings(joining, thread_of)
    drafts += _steadies(report, steady, zone) if steady else []
    if 0 < len(gone) <= MAX_SINGLE:
        for g in gone:
            text = f":white_check_mark: newsmon: {resolved_line(g, now, zone)}"
            drafts.append(Draft(text, _fallback(text), resolves=(g,), thread_of=g.notice_id))
    elif gone:
        head = f":white_check_mark: newsmon: *{len(gone)} health problems resolved*"
        text = _group(head, [resolved_line(g, now, zone) for g in gone])
        drafts.append(Draft(text, _fallback(text), resolves=tuple(gone)))
    return Plan(drafts, absences)


def notice_message(
    notice_id: int, channel: str, text: str, fallback: str, thread_ts: str | None
) -> Message:
    """A stored notice as a Slack message, marked so a lost post is found, not repeated."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    return Message(
        channel, fallback, blocks, Marker(NOTICE_EVENT, str(notice_id)), thread_ts=thread_ts
    )
