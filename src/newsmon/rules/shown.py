"""The text as a reader sees it, and where a span of the rules' folded copy stands in it.

The rules read `normalise_for_matching`'s copy: NFKC (ＡＩ is AI), invisible characters gone,
typographic apostrophes as "'", "A.I." as AI. NFKC also rewrites what a reader must see as written
("10²⁵ FLOPs" reads "1025 FLOPs", ½ reads 1⁄2), so evidence (snippets, matched words) is cut from
the text as written — composed (NFC) and without invisible characters, which change nothing a
reader sees — at the place the folded copy matched. Only built for evidence that is shown.
"""

from __future__ import annotations

import re
import unicodedata
from array import array

from newsmon.bounds import INVISIBLE
from newsmon.rules.terms import SPACE_RUN, acronym_dots, fold_characters

# Characters that NFKC may join to the one before: combining marks (ccc > 0, checked apart) and
# the vowel and final conjoining jamo of decomposed Hangul (ᄋ+ᅩ+ᄑ: 오픈 typed on a Mac).
_JAMO_FOLLOWERS = (("\u1160", "\u11ff"), ("\ud7b0", "\ud7ff"))


def _joins_previous(ch: str) -> bool:
    return unicodedata.combining(ch) > 0 or any(lo <= ch <= hi for lo, hi in _JAMO_FOLLOWERS)


# Characters every fold leaves as they are (ASCII, Hangul syllables): a run of them maps 1:1.
_STABLE_RUN = re.compile("[\x00-\x7f\uac00-\ud7a3]+")


class ShownText:
    """`text`: what evidence is cut from; `span` maps a span of the folded copy onto it."""

    __slots__ = ("_ends", "_starts", "text")

    def __init__(self, original: str, folded: str) -> None:
        """`folded` is `normalise_for_matching(original)`."""
        self.text = folded
        self._starts: array[int] | None = None
        self._ends: array[int] | None = None
        if original == folded:
            return
        shown: list[str] = []
        starts, ends = array("l"), array("l")
        pieces: list[str] = []
        at = 0  # length of the shown text so far
        i, size = 0, len(original)
        dots = acronym_dots(original)[::-1]  # "A.I.": shown, but the rules read AI
        while i < size:
            if dots and dots[-1] == i:
                dots.pop()
                shown.append(".")
                if ends and ends[-1] == at:  # the letter before it is shown with it: "A.I."
                    ends[-1] = at + 1
                at += 1
                i += 1
                continue
            run = _STABLE_RUN.match(original, i)
            if run is not None and run.end() - i > 1:  # but its last (a jamo may join it)
                j = min(run.end() - 1, dots[-1]) if dots and dots[-1] > i else run.end() - 1
                shown.append(original[i:j])
                pieces.append(original[i:j])
                starts.extend(range(at, at + j - i))
                ends.extend(range(at + 1, at + j - i + 1))
                at += j - i
                i = j
                continue
            j = i + 1
            while j < size and _joins_previous(original[j]):
                j += 1
            chunk = original[i:j]
            piece = fold_characters(chunk)
            pieces.append(piece)
            seen = "" if INVISIBLE.fullmatch(chunk) else unicodedata.normalize("NFC", chunk)
            shown.append(seen)
            starts.extend([at] * len(piece))
            ends.extend([at + len(seen)] * len(piece))
            at += len(seen)
            i = j
        mapped, ends = _collapsed("".join(pieces), starts, ends, folded)
        if mapped is None:  # a sequence folded otherwise as a whole: show the folded copy
            return
        self.text = "".join(shown)
        self._starts, self._ends = mapped, ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Where folded[start:end] stands in `text`: the whole characters it came from."""
        if self._starts is None or self._ends is None:
            return start, end
        size = len(self._starts)
        lo = self._starts[start] if start < size else len(self.text)
        hi = self._ends[end - 1] if 0 < end <= size and end > start else lo
        return lo, max(lo, hi)

    def piece(self, start: int, end: int) -> str:
        """folded[start:end] as written."""
        lo, hi = self.span(start, end)
        return self.text[lo:hi]


def _collapsed(
    chars: str, starts: array[int], ends: array[int], folded: str
) -> tuple[array[int] | None, array[int]]:
    """The maps of `chars` (each character folded) carried through `collapse_spaces`: a run of
    white space becomes one character standing for the whole run. (None, ...) when the result
    is not `folded`."""
    out: list[str] = []
    new_starts, new_ends = array("l"), array("l")
    last = 0
    for run in SPACE_RUN.finditer(chars):
        lo, hi = run.span()
        out.append(chars[last:lo])
        new_starts.extend(starts[last:lo])
        new_ends.extend(ends[last:lo])
        out.append("\n" if "\n" in run.group() else " ")
        new_starts.append(starts[lo])
        new_ends.append(ends[hi - 1])
        last = hi
    out.append(chars[last:])
    new_starts.extend(starts[last:])
    new_ends.extend(ends[last:])
    return (new_starts if "".join(out) == folded else None), new_ends
