"""What a digest call did, per channel: the record its line, the runs table and the command's
exit are made from (`newsmon.pipeline.digests` fills it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from newsmon.alerts import Message
from newsmon.corpus.digests import NotBegun
from newsmon.slack import Pacer

# what a call says of a channel whose digest it did not begin
NOT_BEGUN_LINES = {
    NotBegun.EMPTY: "no stories",
    NotBegun.POSTED: "already posted for this period",
    NotBegun.HELD: "being posted by another call right now",
    NotBegun.OVERLAPPED: "not posted: another call at the same time recorded a digest of an "
    "overlapping period, with these stories (the next call takes any after its end)",
    NotBegun.LEFT: "begun and left unfinished by another call: a later call finishes it",
}


class Posting(Enum):
    """What became of a digest this call began (`_Digests.post`)."""

    FINISHED = "finished"  # all its parts are posted (or refused for their content)
    LEFT = "left"  # given back for a later call
    TAKEN_OVER = "taken_over"  # another delivery holds it now
    QUIET = "quiet"  # no story, and an empty period is not said


@dataclass
class DigestResult:
    since: datetime
    until: datetime
    dry_run: bool = False
    channels: dict[str, str] = field(default_factory=dict)  # channel -> what happened
    posted: int = 0  # messages posted
    previews: list[Message] = field(default_factory=list)  # a dry run's messages
    credential_error: str | None = None
    left: list[str] = field(default_factory=list)  # keys of `channels` left for a later call
    # keys of `channels` whose digest went out without a part Slack refused for its content
    refused: list[str] = field(default_factory=list)
    # keys of `channels` finished after parts an older release laid out (no parts kept) that
    # could not be read back (a webhook): the rest was laid out anew, its boundary unverified
    relaid: list[str] = field(default_factory=list)
    # keys of `channels` with a part posted again though its earlier post may have gone out (a
    # lost answer a webhook cannot check, or a lookup failing too long): it may show twice
    unchecked: list[str] = field(default_factory=list)
    off: bool = False  # alerts.enabled: false: no digest posted nor recorded
    # keys of `channels`: what became of each digest, as the line says it (`Posting`, `NotBegun`)
    outcomes: dict[str, Posting | NotBegun] = field(default_factory=dict)
    # the call's pacing, Retry-After holds included: a retry of the same call honours them
    pacer: Pacer | None = field(default=None, repr=False, compare=False)

    @property
    def unfinished(self) -> int:
        """Digests left for a later call (given back, held)."""
        return len(self.left)

    def unfinished_line(self) -> str:
        """One line naming what was left, for the runs table and the command's exit."""
        named = "; ".join(f"{key}: {self.channels[key]}" for key in self.left[:3])
        more = f"; and {len(self.left) - 3} more" if len(self.left) > 3 else ""
        return f"{self.unfinished} digest(s) not finished: {named}{more}"

    def failure_line(self) -> str | None:
        """Why the call fails (digests left for later, parts refused), or None."""
        lines = [self.unfinished_line()] if self.left else []
        if self.refused:
            named = "; ".join(f"{key}: {self.channels[key]}" for key in self.refused[:3])
            more = f"; and {len(self.refused) - 3} more" if len(self.refused) > 3 else ""
            lines.append(f"{len(self.refused)} digest(s) with a part refused: {named}{more}")
        if self.relaid:
            named = "; ".join(f"{key}: {self.channels[key]}" for key in self.relaid[:3])
            more = f"; and {len(self.relaid) - 3} more" if len(self.relaid) > 3 else ""
            lines.append(f"{len(self.relaid)} digest(s) laid out anew, unverified: {named}{more}")
        return "; ".join(lines) or None

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "channels": dict(self.channels),
            "messages_posted": self.posted,
            "unfinished": self.unfinished,
            "refused": len(self.refused),
        }

    def lines(self) -> list[str]:
        head = f"digest {self.since:%Y-%m-%d %H:%M} – {self.until:%Y-%m-%d %H:%M} UTC"
        if self.off:
            return [f"{head}: off (alerts.enabled: false): nothing posted"]
        if not self.channels:
            return [f"{head}: no stories"]
        return [head] + [f"  {c}: {what}" for c, what in self.channels.items()]


class DigestsUnfinished(Exception):
    """A digest call ran to its end and was recorded, but left digests for a later call (the
    next is usually a day away) or posted one without a part Slack refused: the flow run must
    end Failed, the command exit non-zero."""

    def __init__(self, result: DigestResult) -> None:
        super().__init__(result.failure_line() or result.unfinished_line())
        self.result = result
