"""A compiled term: its own small regex, with the Hangul boundaries around it checked outside it.

`re` compiles a Hangul character class by marking its ~11,500 code points one Python step at a
time; with three such classes in each Korean term's regex, compiling the shipped rules cost
about a second of CPU in every process that loads them (each page worker unpickles them). So a
term's own regex holds only the term (and its Latin boundaries, cheap ASCII classes); the Hangul
test before it is one character, and what may follow a Korean term (particles, endings) is one
regex shared by every term of its kind, compiled once per process.

Same matches as the whole regex (kept as `pattern`): every way the term part matches ends at the
same place (its words are joined by separators and quotes that no letter of a word can match;
a lone quote between two words may be read as closing or as opening, to the same end), so
backtracking into it could never give the ending another start, and the ending is the whole
regex's own text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from newsmon.rules.korean import HANGUL_RE


@cache
def shared_tail(source: str) -> re.Pattern[str]:
    """The regex of what may follow a Korean term, one per kind, compiled once per process."""
    return re.compile(source)


class TermMatch:
    """What the rules code reads of a match: the whole span and the group ``core``."""

    __slots__ = ("_core_end", "_end", "_start", "string")

    def __init__(self, string: str, start: int, end: int, core_end: int) -> None:
        self.string = string
        self._start = start
        self._end = end
        self._core_end = core_end

    def _end_of(self, group: int | str) -> int:
        if group == 0:
            return self._end
        if group == "core":
            return self._core_end
        raise IndexError("no such group")

    def start(self, group: int | str = 0) -> int:
        self._end_of(group)
        return self._start

    def end(self, group: int | str = 0) -> int:
        return self._end_of(group)

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self._start, self._end_of(group)

    def group(self, group: int | str = 0) -> str:
        return self.string[self._start : self._end_of(group)]

    def __repr__(self) -> str:
        return f"<TermMatch span=({self._start}, {self._end}) match={self.group()!r}>"


class TermPattern:
    """One term's matcher, offering what the rules code uses of `re.Pattern`.

    `core` matches the term (group ``core``) with any Latin boundary; `hangul_left`: no Hangul
    may stand before it; `tail`: the shared regex run where the term ends (None: nothing
    follows). `pattern` is the equivalent whole regex, as text: it names the term's behaviour.
    """

    __slots__ = ("core", "hangul_left", "pattern", "rebuild", "tail")

    def __init__(
        self,
        pattern: str,
        core: re.Pattern[str],
        hangul_left: bool,
        tail: re.Pattern[str] | None,
        rebuild: tuple[str, bool],
    ) -> None:
        self.pattern = pattern
        self.core = core
        self.hangul_left = hangul_left
        self.tail = tail
        self.rebuild = rebuild  # compile_term's arguments: a pickle carries only these

    def ends_at(self, text: str, pos: int) -> tuple[int, int] | None:
        """(end, end of the term itself) of a match starting at `pos`, or None."""
        if self.hangul_left and pos and HANGUL_RE.match(text, pos - 1):
            return None
        m = self.core.match(text, pos)
        if m is None:
            return None
        core_end = m.end()
        if self.tail is None:
            return core_end, core_end
        t = self.tail.match(text, core_end)
        return None if t is None else (t.end(), core_end)

    def match(self, string: str, pos: int = 0) -> TermMatch | None:
        ends = self.ends_at(string, pos)
        return None if ends is None else TermMatch(string, pos, ends[0], ends[1])

    def search(self, string: str, pos: int = 0) -> TermMatch | None:
        """The leftmost match at or after `pos`: where the term occurs and its boundaries hold."""
        while True:
            m = self.core.search(string, pos)
            if m is None:
                return None
            start = m.start()
            ends = self.ends_at(string, start)
            if ends is not None:
                return TermMatch(string, start, ends[0], ends[1])
            pos = start + 1

    def finditer(self, string: str, pos: int = 0) -> Iterator[TermMatch]:
        """Non-overlapping matches, left to right (a term never matches the empty string)."""
        while (m := self.search(string, pos)) is not None:
            yield m
            pos = m.end()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TermPattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"TermPattern({self.pattern!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, self.rebuild)


def _rebuild(term: str, lax: bool) -> TermPattern:
    """Unpickling compiles the term again (cheap), through compile_term's per-process cache."""
    from newsmon.rules.terms import compile_term  # terms builds TermPatterns: imported late

    return compile_term(term, lax_korean_end=lax)
