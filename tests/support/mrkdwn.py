"""What a reader sees of a Slack mrkdwn text: which text is a link, a code block, inline code,
bold, italic or struck through, and which characters are shown as typed.

A model of Slack's rules (docs.slack.dev "Formatting message text"; Slack documents no escape
for ``*``, ``_``, ``~`` or a backtick), kept on the side favourable to the message, so what it
finds formatted Slack formats too: ``<…>`` links and bare URLs (which Slack turns into links
before rendering) are whole, their labels shown as written; a pair of triple backticks is a
code block, across lines; every other delimiter pairs only within a line, opens only at the
start of a word (not after a letter or digit, and followed by a non-space) and closes only at
its end (after a non-space, not followed by a letter or digit); an unpaired delimiter shows as
typed. Entities (``&amp;`` …) are decoded last, as Slack shows them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_ATOM = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>|https?://[^\s<>]+")
_STYLES = {"*": "bold", "_": "italic", "~": "strike"}


@dataclass(frozen=True)
class Run:
    """Text shown with the same styles: ``pre`` (code block), ``code``, ``bold``, ``italic``,
    ``strike``; `link` is where it leads when it is a link."""

    text: str
    styles: frozenset[str] = frozenset()
    link: str | None = None


@dataclass
class _Cell:
    char: str  # one character, or a link's label
    link: str | None = None
    styles: set[str] = field(default_factory=set)
    hidden: bool = False  # a delimiter that formatted something: not shown

    def word(self) -> bool:
        return self.link is None and self.char.isalnum()

    def space(self) -> bool:
        return self.link is None and self.char.isspace()


def _cells(text: str) -> list[_Cell]:
    cells: list[_Cell] = []
    at = 0
    for found in _ATOM.finditer(text):
        cells += [_Cell(c) for c in text[at : found.start()]]
        if found.group(0).startswith("<"):
            url, label = found.group(1), found.group(2)
            cells.append(_Cell(label if label is not None else url, link=url))
        else:
            cells.append(_Cell(found.group(0), link=found.group(0)))
        at = found.end()
    return cells + [_Cell(c) for c in text[at:]]


def _code_blocks(cells: list[_Cell]) -> None:
    """Triple backticks, paired in order, across lines."""
    ticks = [
        i
        for i in range(len(cells) - 2)
        if all(c.char == "`" and c.link is None for c in cells[i : i + 3])
    ]
    opened: int | None = None
    last = -3
    for i in ticks:
        if i < last + 3:
            continue  # part of the previous run of three
        last = i
        if opened is None:
            opened = i
            continue
        for cell in cells[opened : i + 3]:
            cell.styles.add("pre")
        for cell in [*cells[opened : opened + 3], *cells[i : i + 3]]:
            cell.hidden = True
        opened = None


def _opens(line: list[_Cell], i: int) -> bool:
    before = line[i - 1] if i else None
    after = line[i + 1] if i + 1 < len(line) else None
    return (before is None or not before.word()) and after is not None and not after.space()


def _closes(line: list[_Cell], i: int) -> bool:
    before = line[i - 1] if i else None
    after = line[i + 1] if i + 1 < len(line) else None
    return before is not None and not before.space() and (after is None or not after.word())


def _pair(line: list[_Cell], delimiter: str, style: str) -> None:
    """Pairs of `delimiter` in one line (no code in it) give their content `style`."""
    i = 0
    while i < len(line):
        cell = line[i]
        free = cell.link is None and not cell.hidden and "code" not in cell.styles
        if not (free and cell.char == delimiter and _opens(line, i)):
            i += 1
            continue
        for j in range(i + 2, len(line)):
            end = line[j]
            free_end = end.link is None and not end.hidden and "code" not in end.styles
            if free_end and end.char == delimiter and _closes(line, j):
                cell.hidden = end.hidden = True
                for inner in line[i + 1 : j]:
                    inner.styles.add(style)
                i = j
                break
        i += 1


def render(mrkdwn: str) -> list[Run]:
    """The runs a reader sees, in order, delimiters that formatted something left out."""
    cells = _cells(mrkdwn)
    _code_blocks(cells)
    lines: list[list[_Cell]] = [[]]
    for cell in cells:
        if "pre" in cell.styles:
            lines.append([])  # a code block ends any inline run
        elif cell.link is None and cell.char == "\n":
            lines.append([])
        else:
            lines[-1].append(cell)
    for line in lines:
        _pair(line, "`", "code")
        for delimiter, style in _STYLES.items():
            _pair(line, delimiter, style)
    runs: list[Run] = []
    for cell in cells:
        if cell.hidden:
            continue
        styles = frozenset(cell.styles)
        if runs and runs[-1].styles == styles and runs[-1].link is None and cell.link is None:
            runs[-1] = Run(runs[-1].text + cell.char, styles)
        else:
            runs.append(Run(cell.char, styles, cell.link))
    return [Run(html.unescape(r.text), r.styles, r.link) for r in runs]


def styled(mrkdwn: str) -> list[Run]:
    """The runs of `mrkdwn` shown with a style (links aside)."""
    return [r for r in render(mrkdwn) if r.styles and r.link is None]


def shown(mrkdwn: str) -> str:
    """The text a reader sees, styles aside."""
    return "".join(r.text for r in render(mrkdwn))
