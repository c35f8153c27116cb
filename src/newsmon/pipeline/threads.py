"""Thread replies Slack will not put in their story's thread: refused for good (the thread is
gone or locked, the channel takes none) or posted at the channel's top level. Such a reply is
dropped (`skipped`) with its reason: never retried, never counted against Slack's health nor
against the channel, which still takes alerts (README "Story threads"). When the story's message
itself is gone, the alert remembers it (`Replies.thread_gone`): later copies' replies, in this
pass or any later one, are dropped without asking Slack, which would refuse them again or post
them at the top level again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from newsmon.alerts import Marker
from newsmon.corpus.records import AlertJob, Claim, ReplyJob
from newsmon.corpus.replies import Replies
from newsmon.slack import Kind, Posted, Sender, SlackFailure

# A reply refused with these can never be posted under its alert's message (why, per code).
UNTHREADABLE = {
    "thread_not_found": "the story's alert is gone from Slack",
    # chat.postMessage: "This message type cannot have thread replies."
    "cannot_reply_to_message": "Slack allows no thread under the story's message",
    # "Cannot post replies to a thread that has been locked by admins."
    "restricted_action_thread_locked": "an admin locked the story's thread",
    # "Cannot post thread replies into a non_threadable channel." (alerts still go out there)
    "restricted_action_non_threadable_channel": "the channel takes no thread replies",
    # the story's channel (by ID: the thread's) archived, often renamed with a new channel under
    # its old name: not the configured channel's refusal, which its own alerts find out
    "is_archived": "the story's channel is archived",
    "channel_is_archived": "the story's channel is archived",
}
# Refusals saying the story's message takes no reply ever again: remembered on its alert.
GONE_FOR_GOOD = frozenset(
    {"thread_not_found", "cannot_reply_to_message", "is_archived", "channel_is_archived"}
)
# Slack took a reply but posted it at the channel's top level (the story's message deleted as it
# went out, slack-go/slack#1571): it is deleted and dropped, and so are the story's others.
UNTHREADED = "Slack posted the reply at the channel's top level: the story's message is gone"


class LostThreads:
    """One delivery pass's replies that cannot go in their thread, and the stories whose thread
    turned out gone."""

    def __init__(self, replies: Replies, sender: Sender, errors: list[str]) -> None:
        self.replies, self.sender, self.errors = replies, sender, errors
        self.gone: dict[int, str] = {}  # alerts whose thread this pass found gone: why

    def skip(self, claim: Claim, job: ReplyJob) -> bool:
        """Drop a reply of a story whose thread this pass found gone; whether it was. Not one
        an earlier attempt may have posted: its lookup drops it and deletes it if Slack put it
        at the channel's top level (`refused`)."""
        why = self.gone.get(job.alert_id)
        if why is None or job.unknown_since is not None:
            return False
        self.replies.reply_dropped(claim, job.ids, why)
        return True

    def refused(
        self,
        claim: Claim,
        job: AlertJob | ReplyJob,
        failure: SlackFailure,
        lost: Marker | None = None,
    ) -> bool:
        """Drop a reply Slack refused for its thread for good; whether it was. Also when the
        lookup of a reply whose answer was lost (`lost`: its marker) is refused: its thread
        (the story's message) was deleted, `thread_not_found`, not a history the bot cannot
        read; the reply may then stand at the channel's top level (`_sweep`)."""
        why = UNTHREADABLE.get(failure.code or "")
        if why is None or not isinstance(job, ReplyJob):
            return False
        reason = f"{failure} ({why})"
        self.replies.reply_dropped(claim, job.ids, reason)
        others = self._forget(job, reason) if failure.code in GONE_FOR_GOOD else 0
        self._report(job, reason, others)
        if lost is not None and job.unknown_since and failure.code in GONE_FOR_GOOD:
            self._sweep(job, lost, job.unknown_since)
        return True

    def left_behind(
        self, claim: Claim, job: ReplyJob, failure: SlackFailure, current: str | None
    ) -> bool:
        """Drop a reply refused for its channel (the bot removed, say) when its thread lives in
        a channel the configured name no longer names (`current`: the name's ID now, learnt
        from its alerts): the refusal is the old channel's, not the configured one's, which
        takes alerts. Whether it was; the story's alert takes no more replies."""
        old = job.slack_channel
        if failure.kind is not Kind.CHANNEL or not old or not current or old == current:
            return False
        reason = f"{failure} (the story's channel {old}, which {job.channel} no longer names)"
        self.replies.reply_dropped(claim, job.ids, reason)
        self._report(job, reason, self._forget(job, reason))
        return True

    def take_back(self, claim: Claim, job: ReplyJob, posted: Posted) -> None:
        """A reply Slack posted at the channel's top level, away from its story: delete it (the
        bot's own message), drop it, and drop the story's other replies."""
        delete: Callable[[str, str], None] | None = getattr(self.sender, "delete", None)
        done = "deleted"
        try:
            if delete is None or not posted.ts:
                raise SlackFailure("the sender cannot delete it", Kind.MESSAGE)
            delete(posted.channel_id or job.post_channel, posted.ts)
        except SlackFailure as failure:
            done = f"not deleted: {failure}"
        reason = f"{UNTHREADED} ({done})"
        self.replies.reply_dropped(claim, job.ids, reason)
        self._report(job, reason, self._forget(job, UNTHREADED))

    def _sweep(self, job: ReplyJob, marker: Marker, since: datetime) -> None:
        """A reply whose answer was lost, its thread found gone since: Slack may have posted it
        at the channel's top level then (its answer would have said so). Delete it if there."""
        delete: Callable[[str, str], None] | None = getattr(self.sender, "delete", None)
        try:
            ts = self.sender.find(job.post_channel, marker, since)
            if ts is None:
                return
            if delete is None:
                raise SlackFailure("the sender cannot delete it", Kind.MESSAGE)
            known: Callable[[str], str | None] | None = getattr(self.sender, "channel_id", None)
            delete((known(job.post_channel) if known else None) or job.post_channel, ts)
        except SlackFailure as failure:
            self.errors.append(
                f"{job.channel}: thread reply r{job.id} may stand at the channel's top level, "
                f"its thread gone: {failure}"
            )
            return
        self.errors.append(
            f"{job.channel}: thread reply r{job.id} was posted at the channel's top level, its "
            "thread gone: deleted"
        )

    def _forget(self, job: ReplyJob, reason: str) -> int:
        """The story's message takes no more replies: said on its alert, for this pass and the
        next ones, and its queued replies dropped. How many of those."""
        self.gone[job.alert_id] = reason
        return self.replies.thread_gone(job.alert_id, reason)

    def _report(self, job: ReplyJob, reason: str, others: int) -> None:
        self.errors.append(
            f"{job.channel}: thread reply dropped: {reason}"
            + (f"; {others} more of the story's replies dropped" if others else "")
        )
