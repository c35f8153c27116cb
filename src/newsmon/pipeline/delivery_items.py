"""The records one delivery pass works with (`pipeline.delivery`): a message to send under its
claim, and a channel's messages whose history check failed, told in one line at the end."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from newsmon import alerts as alerting
from newsmon.corpus.records import AlertJob, Claim, ReplyJob
from newsmon.slack import Posted, Sender, SlackFailure

MAX_TEXT_CHARS = 39000  # Slack truncates a message's text past 40,000 characters


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


def text_only(message: alerting.Message) -> alerting.Message:
    """The message without its blocks: their mrkdwn (link, source line, terms, snippet) as its
    text, its metadata and thread kept."""
    parts: list[str] = []
    for block in message.blocks:
        if isinstance(block.get("text"), dict):
            parts.append(str(block["text"].get("text") or ""))
        parts += [str(e.get("text") or "") for e in block.get("elements") or []]
    # already mrkdwn, escaped: escaped again, its links and bold showed as `&lt;https://…&gt;`
    # and `∗…∗`; too long, it loses whole lines (never half a link)
    lines, size = [], 0
    for line in "\n".join(p for p in parts if p).split("\n"):
        size += alerting.slack_len(line) + 1
        if size > MAX_TEXT_CHARS:
            lines.append("…")
            break
        lines.append(line)
    return replace(message, text="\n".join(lines).strip() or message.text, blocks=[])


def post_or_text(sender: Sender, message: alerting.Message) -> tuple[Posted, SlackFailure | None]:
    """Post `message`; when Slack refuses its blocks alone (`SlackFailure.blocks_refused`:
    nothing was posted; a webhook may say only `invalid_payload`), post its text instead, so
    the story is not lost. Also answers that refusal, for the pass's line; a refusal of the
    text too is raised."""
    try:
        return sender.post(message), None
    except SlackFailure as failure:
        if not failure.blocks_refused or not message.blocks:
            raise
        refused = failure
    return sender.post(text_only(message)), refused
