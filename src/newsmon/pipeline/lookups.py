"""What a check for an earlier post says, and the lookup of a story's grouped thread replies
an earlier attempt may have posted (a crash, a lost answer): one read of the thread for all of
them, those found recorded sent, the rest posted together as one message. Before, each was
looked up alone and, not found, posted alone: a wire story's thread got one reply (one
notification) per copy."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from newsmon.alerts import REPLY_EVENT, Marker
from newsmon.corpus.records import Claim, ReplyJob
from newsmon.corpus.replies import Replies
from newsmon.slack import Kind, Sender


class Lookup(Enum):
    """What the check for an earlier post said."""

    FOUND = "found"  # it was posted: recorded as sent
    ABSENT = "absent"  # it was not: post it
    FAILED = "failed"  # the history could not be read
    GONE = "gone"  # a reply's thread no longer exists: the reply was dropped


# Failures of a lookup that will not pass by themselves (a missing scope): kept per channel.
LASTING_LOOKUP_FAILURES = frozenset({Kind.UNREADABLE, Kind.CHANNEL, Kind.MESSAGE})


@dataclass(frozen=True)
class Looked:
    """What the lookup of a grouped reply found: rows recorded sent now, and what to post."""

    recorded: int  # rows found in the thread and recorded sent (this claim still held them)
    found: int  # rows found in the thread
    rest: ReplyJob | None  # the rows not found, as one job to post; None when all were found


def look_up_replies(
    sender: Sender, replies: Replies, claim: Claim, job: ReplyJob, where: str
) -> Looked:
    """Read `job`'s thread once for every row an attempt may have posted; record those found
    sent (by the ts of the message naming them) and return the rest as one job. Raises
    SlackFailure when the thread cannot be read."""
    rows = (replace(job, also=()), *job.also)
    unknown = [j for j in rows if j.unknown_since is not None]
    if not unknown or job.unknown_since is None:
        return Looked(0, 0, job)
    markers = [Marker(REPLY_EVENT, str(j.id)) for j in unknown]
    found = sender.find_each(where, markers, job.unknown_since, job.thread_ts)
    by_ts: dict[str, list[int]] = {}
    for j in unknown:
        if str(j.id) in found:
            by_ts.setdefault(found[str(j.id)], []).append(j.id)
    recorded = sum(replies.reply_sent(claim, ids, ts) for ts, ids in by_ts.items())
    left = [replace(j, unknown_since=None) for j in rows if str(j.id) not in found]
    rest = replace(left[0], also=tuple(left[1:])) if left else None
    return Looked(recorded, len(found), rest)
