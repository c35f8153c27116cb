"""The records one delivery pass works with (`pipeline.delivery`): a message to send under its
claim, and a channel's messages whose history check failed, told in one line at the end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from newsmon import alerts as alerting
from newsmon.corpus.records import AlertJob, Claim, ReplyJob


@dataclass
class Item:
    """One message to send under a claim: an alert or a thread reply."""

    claim: Claim
    job: AlertJob | ReplyJob
    message: alerting.Message
    unknown_since: datetime | None
    rate_limited: int = 0

    @property
    def channel(self) -> str:
        return self.job.channel

    @property
    def is_reply(self) -> bool:
        return isinstance(self.job, ReplyJob)

    @property
    def ids(self) -> tuple[int, ...]:
        """The rows the message stands for: a story's grouped replies, or the one alert."""
        return self.job.ids if isinstance(self.job, ReplyJob) else (self.job.id,)


@dataclass
class Unchecked:
    """One channel's messages whose check failed in this pass, for one line at its end."""

    reason: str
    held: int = 0
    posted: int = 0
    post_from: datetime | None = None  # the earliest a held one will go out unchecked


def unchecked_lines(unchecked: dict[str, Unchecked]) -> list[str]:
    """One line per channel whose checks failed: what was held, what went out unchecked."""
    lines = []
    for channel, note in unchecked.items():
        done: list[str] = []
        if note.held:
            when = (
                f"posted unchecked from {note.post_from:%Y-%m-%d %H:%M} UTC"
                if note.post_from
                else "until a check succeeds"
            )
            done.append(f"{note.held} held for a later pass ({when})")
        if note.posted:
            done.append(f"{note.posted} posted unchecked (may show twice)")
        if done:
            lines.append(
                f"{channel}: could not check for an earlier post ({note.reason}): "
                + ", ".join(done)
            )
    return lines


def stop_line(failures: int, unreached: int, unknown: list[str]) -> str:
    """Why delivery stops after `failures` in a row. When none reached Slack (DNS, no route,
    refused) the fault is on the way, not Slack's; when Slack answered each with an error code
    newsmon does not know (`unknown`), Slack is refusing, not failing: the codes are named."""
    what = "could not be reached" if unreached == failures else "failed"
    why = ""
    if len(unknown) == failures:
        what = "refused"
        codes = ", ".join(dict.fromkeys(unknown))
        why = f" ({codes}: not an error code newsmon knows, so retried as transient)"
    return f"Slack {what} {failures} times in a row{why}: delivery stops for this pass"
