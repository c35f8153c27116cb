"""Health's count of a feed's unread pages: teasers standing for a page that could not be
downloaded always count; teasers standing for a page read without article text count only when
the feed's pages used to hold text (a redesign, a consent wall), not when they never did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# Before health's window, how far back a feed's pages count as having held text (or not).
TEXT_HISTORY = timedelta(days=30)
# Its pages used to hold text: at least this share of its articles of the history, and this
# many, had text read from their page (a feed of links to X posts or short briefs has none).
USED_TO_READ_SHARE = 0.5
USED_TO_READ_MIN = 5


@dataclass
class PageCounts:
    """One feed's articles of health's window and the history before it, as read."""

    recent: int = 0
    failed: int = 0  # teasers: the page could not be downloaded, or was never requested
    textless: int = 0  # teasers: the page was read and held no article text
    earlier: int = 0
    earlier_read: int = 0  # text read from the page
    failed_note: tuple[int, str | None] = (0, None)  # the newest one's (by id)
    textless_note: tuple[int, str | None] = (0, None)

    def add(self, id_: int, recent: bool, unread: int, read: bool, note: str | None) -> None:
        if not recent:
            self.earlier += 1
            self.earlier_read += bool(read)
            return
        self.recent += 1
        if unread == 1:
            self.failed += 1
            self.failed_note = max(self.failed_note, (id_, note), key=lambda n: n[0])
        elif unread == 2:
            self.textless += 1
            self.textless_note = max(self.textless_note, (id_, note), key=lambda n: n[0])

    def judged(self) -> tuple[int, int, str | None]:
        """Articles of the window, how many count as unread, and the newest one's reason:
        textless pages count only when the feed's pages used to hold text."""
        used_to_read = (
            self.earlier_read >= USED_TO_READ_MIN
            and self.earlier_read >= USED_TO_READ_SHARE * self.earlier
        )
        if not used_to_read or not self.textless:
            return self.recent, self.failed, self.failed_note[1]
        note = max(self.failed_note, self.textless_note, key=lambda n: n[0])[1]
        return self.recent, self.failed + self.textless, note
