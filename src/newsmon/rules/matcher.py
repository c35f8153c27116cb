"""The matcher: every atom of every topic found in one pass per field, and where each term occurs.

An Aho-Corasick automaton over the lower-cased first word of every atom proposes candidates, and
each atom's compiled pattern confirms it at that position (a plain Latin word is checked by hand,
without a regex). With ``korean: kiwi`` the analyser then confirms where each Korean stem ends.
`term_spans` combines atoms into terms: ``|`` groups, ``NEAR`` pairs, ``NOT`` parts, ``title:``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

import ahocorasick
import re2

from newsmon.rules.korean import HANGUL_RE, is_hangul, stem_ends
from newsmon.rules.model import FIELDS, Atom, Field, Term, TopicRule
from newsmon.rules.termpattern import TermPattern
from newsmon.rules.terms import (
    DASHES,
    GLOSS_CHARS,
    QUOTES,
    fixed_first_word,
    fold_marks,
    is_acronym,
    is_latin,
    lower_same_length,
    normalise_for_matching,
    stem_tokens,
)

Span = tuple[int, int, int]  # start, end, end of the term itself (before a particle or ending)

NEAR_WORD_CHARS = 25  # NEAR/n in words also needs the gap under 25 * (n + 1) characters
OR_GAP = 2  # alternatives of one term this close together (a bracket) count as one mention
# Headlines end a clause with an ellipsis and no space ("…잃어…생성 AI로": NFKC reads … as
# "..."): NEAR in words reads it as a space. (A middle-dot list, "AI·반도체 규제", stays one
# word: it names what the next word is about.)
_ELLIPSIS = re.compile(r"\.{2,}")
_LATIN_LEFT, _HANGUL_LEFT = 1, 2
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_JOINERS = frozenset(DASHES + QUOTES)


def _never(text: str, pos: int) -> None:
    """A ``re:`` atom is found by scanning the text, never at an automaton's candidate."""
    return None


class Matcher:
    """Finds every atom of every topic in one pass per field."""

    def __init__(self, topics: Sequence[TopicRule], korean: str = "suffix") -> None:
        self.topics = tuple(topics)
        self.korean = korean
        self.atoms: list[Atom] = []
        index: dict[tuple[str, str], int] = {}
        self.regex_ids: list[int] = []
        by_key: dict[str, list[int]] = {}
        # per term (by identity): ids of its atoms, of its NEAR side, of its NOT side
        self.plans: dict[int, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = {}
        self.users: dict[int, list[int]] = {}  # atom id -> the terms (by identity) built on it
        interned: dict[tuple[int, ...], tuple[int, ...]] = {}
        for topic in topics:
            for term in (*topic.terms, *topic.strong, *topic.exclude, *topic.requires):
                ids: list[tuple[int, ...]] = []
                for group in (term.atoms, term.near, term.unless):
                    group_ids: list[int] = []
                    for atom in group:
                        ident = (atom.text, atom.pattern.pattern)
                        if ident not in index:
                            index[ident] = len(self.atoms)
                            self.atoms.append(atom)
                            if atom.key is None:
                                self.regex_ids.append(index[ident])
                            else:
                                by_key.setdefault(atom.key, []).append(index[ident])
                        group_ids.append(index[ident])
                    # one tuple object per distinct group: `_spans_of` caches by its identity
                    ids.append(interned.setdefault(tuple(group_ids), tuple(group_ids)))
                self.plans[id(term)] = (ids[0], ids[1], ids[2])
                for i in ids[0]:
                    self.users.setdefault(i, []).append(id(term))
        # term (by identity) -> the atom ids of its NEAR side, for the terms that have one
        self.near_sides = {term: plan[1] for term, plan in self.plans.items() if plan[1]}
        # atom id -> the `|` groups (by identity) it is part of, to know which groups occur
        self.groups_of: dict[int, list[int]] = {}
        for ids_of_group in interned.values():
            if len(ids_of_group) > 1:
                for i in ids_of_group:
                    self.groups_of.setdefault(i, []).append(id(ids_of_group))
        # A word or phrase is its own regex, then the ending regex it shares with the terms of
        # its kind (`termpattern.py`); the Hangul before it is the cheap left test in `find`.
        # (`TermPattern.ends_at` inlined in `find`: a call per candidate cost 5-15 % more.)
        self.core_at: list[Callable[[str, int], re.Match[str] | None]] = []
        self.tail_at: list[Callable[[str, int], re.Match[str] | None] | None] = []
        for a in self.atoms:
            p = a.pattern
            self.core_at.append(p.core.match if isinstance(p, TermPattern) else _never)
            self.tail_at.append(p.tail.match if isinstance(p, TermPattern) and p.tail else None)
        # One plain Latin word needs no regex: the boundaries are checked by hand below, and an
        # acronym by comparing the exact text (`None`: run the atom's pattern).
        self.plain: list[str | None] = [None] * len(self.atoms)
        self.exact: list[bool] = [False] * len(self.atoms)
        # A term looked for by its head: the letter that must come next, after any spaces,
        # checked before running the atom's pattern — the rest of a Hangul compound (소 of
        # 오픈소스 after 오픈), or the next word of a phrase (s of "AI safety" after "AI": dozens
        # of phrases share the key "ai", and each mention of AI would run all their regexes).
        self.follow: list[str | None] = [None] * len(self.atoms)
        for i, a in enumerate(self.atoms):
            if a.key and a.single_word and a.key.isascii() and a.key.isalnum():
                self.plain[i] = stem_tokens(normalise_for_matching(a.text).strip())[0][0]
                self.exact[i] = is_acronym(a.text)
            elif a.key:
                tokens = stem_tokens(normalise_for_matching(a.text).strip())[0]
                first = fixed_first_word(tokens)
                if len(first) > len(a.key):
                    self.follow[i] = lower_same_length(first)[len(a.key)]
                elif len(tokens) > 1 and (second := fixed_first_word(tokens[1:])):
                    self.follow[i] = lower_same_length(second)[0]
        self.automaton: Any = ahocorasick.Automaton()
        for key, ids_ in by_key.items():
            # A cheap test of the left boundary (the key's first letter decides) before any regex.
            left = _LATIN_LEFT if is_latin(key[0]) else _HANGUL_LEFT if is_hangul(key[0]) else 0
            # ... and of the right one, when every atom on this key is just this one Latin word.
            whole_word = is_latin(key[-1]) and all(self.atoms[i].single_word for i in ids_)
            # atoms that need a given next letter, grouped by it: one look at the text per
            # candidate instead of one per atom
            free = tuple(i for i in ids_ if self.follow[i] is None)
            by_next: dict[str, tuple[int, ...]] = {}  # letter -> free atoms and those
            for i in ids_:
                if (letter := self.follow[i]) is not None:
                    by_next[letter] = (*by_next.get(letter, free), i)
            self.automaton.add_word(key, (len(key), left, whole_word, free, by_next))
        if by_key:
            self.automaton.make_automaton()
        self.has_keys = bool(by_key)
        # `re:` atoms: one RE2 pass over the text says which of them occur at all (each one's
        # own scan costs about 10 µs on 5 KB, and most find nothing), then only those scan
        self.scanned = [
            i for i in self.regex_ids if not isinstance(self.atoms[i].pattern, TermPattern)
        ]
        self.unscanned = [i for i in self.regex_ids if i not in self.scanned]  # 풀다: its own
        self.regex_set: Any = None
        if len(self.scanned) > 1:
            self.regex_set = re2.Set.SearchSet(_RE2_OPTIONS)
            for i in self.scanned:
                self.regex_set.Add(self.atoms[i].pattern.pattern)
            self.regex_set.Compile()

    def __reduce__(self) -> tuple[Any, ...]:
        # Plans are keyed by the identity of term objects: rebuild them after unpickling.
        return (Matcher, (self.topics, self.korean))

    def field_hits(self, text: str) -> FieldHits:
        """What `find` found in one field, with the `|` groups that occur in it."""
        found = self.find(text)
        present: dict[int, list[int]] = {}
        groups_of, users = self.groups_of, self.users
        for i in found:
            for group in groups_of.get(i, ()):
                present.setdefault(group, []).append(i)
        terms = {t for i in found for t in users.get(i, ())}
        return FieldHits(text, found, present, terms)

    def find(self, text: str) -> dict[int, list[Span]]:
        """Every occurrence of every atom in `text`, non-overlapping per atom, in order."""
        found: dict[int, list[Span]] = {}
        if not text:
            return found
        text = fold_marks(text)  # what the rules read, same offsets: '"' for “ 「 《, '-' for −
        if self.has_keys:
            lowered = lower_same_length(text)
            last_end = [0] * len(self.atoms)
            core_at, tail_at = self.core_at, self.tail_at
            plain, exact = self.plain, self.exact
            size = len(text)
            for end, (length, left, whole_word, free, by_next) in self.automaton.iter(lowered):
                if whole_word and end + 1 < size:
                    after = text[end + 1]
                    if after.isascii() and after.isalnum():
                        continue
                start = end - length + 1
                if start and left:
                    before = text[start - 1]
                    if left == _LATIN_LEFT:
                        if before.isascii() and before.isalnum():
                            continue
                    else:
                        o = ord(before)
                        if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
                            continue
                ids = free
                if by_next:
                    k = end + 1
                    if k < size and lowered[k] in QUOTES:  # 'AI'(인공지능) 기본법
                        k += 1
                    if k < size and lowered[k] in "()":  # past a gloss: 인공지능(AI) 기본법
                        close = lowered.find(")", k, k + GLOSS_CHARS + 2)
                        k = close + 1 if close >= 0 else k
                    # what joins the words (terms.DASHES, terms.QUOTES): no word begins with one
                    while k < size and (lowered[k].isspace() or lowered[k] in _JOINERS):
                        k += 1
                    if k < size:
                        ids = by_next.get(lowered[k], free)
                after_is_latin: bool | None = None
                for i in ids:
                    if start < last_end[i]:
                        continue
                    word = plain[i]
                    if word is not None:
                        if after_is_latin is None:
                            nxt = text[end + 1] if end + 1 < size else ""
                            after_is_latin = nxt.isascii() and nxt.isalnum()
                        if after_is_latin or (exact[i] and text[start : end + 1] != word):
                            continue
                        found.setdefault(i, []).append((start, end + 1, end + 1))
                        last_end[i] = end + 1
                        continue
                    m = core_at[i](text, start)
                    if m is None:
                        continue
                    core_end = m.end()
                    tail = tail_at[i]
                    if tail is None:
                        stop = core_end
                    else:
                        t = tail(text, core_end)
                        if t is None:
                            continue
                        stop = t.end()
                    found.setdefault(i, []).append((start, stop, core_end))
                    last_end[i] = stop
        scan = self.regex_ids
        if self.regex_set is not None:
            occur = self.regex_set.Match(text) or ()
            scan = [*self.unscanned, *(self.scanned[k] for k in occur)]
        for i in scan:
            spans = [(m.start(), m.end(), m.end()) for m in self.atoms[i].pattern.finditer(text)]
            if spans:
                found[i] = spans
        if self.korean == "kiwi" and found and HANGUL_RE.search(text):
            found = self._confirm_with_kiwi(text, found)
        return found

    def _confirm_with_kiwi(self, text: str, found: dict[int, list[Span]]) -> dict[int, list[Span]]:
        """Keep a Korean hit only where the analyser says the term's stem ends."""
        stems: dict[int, bool] | None = None
        out: dict[int, list[Span]] = {}
        for i, spans in found.items():
            atom = self.atoms[i]
            if not atom.korean_end:
                out[i] = spans
                continue
            kept: list[Span] = []
            for start, end, core_end in spans:
                if core_end == end:
                    kept.append((start, end, core_end))
                    continue
                if stems is None:
                    stems = stem_ends(text)
                if stems.get(core_end):
                    kept.append((start, end, core_end))
            if kept:
                out[i] = kept
        return out


class FieldHits:
    """One field's text and what the matcher found in it."""

    __slots__ = ("found", "groups", "present", "terms", "text")

    def __init__(
        self,
        text: str,
        found: dict[int, list[Span]],
        present: dict[int, list[int]],
        terms: set[int],
    ) -> None:
        self.text = text
        self.found = found
        self.present = present  # `|` group (by identity) -> its atoms that occur in the text
        self.terms = terms  # the terms (by identity) with an atom in the text
        # `|` groups, merged, by the identity of the matcher's tuple of their atom ids (a tuple
        # does not keep its hash: hashing 30 ids on every lookup cost more than the merge)
        self.groups: dict[int, list[Span]] = {}

    def words_between(self, lo: int, hi: int, limit: int) -> int:
        """Words in text[lo:hi], counting at most `limit` + 1 of them."""
        if hi <= lo:
            return 0
        gap = self.text[lo:hi]
        if ".." in gap:
            gap = _ELLIPSIS.sub(" ", gap)
        n = len(gap.split(maxsplit=limit + 1))
        if not gap[0].isspace():  # the tail of the first term's word ("AI's")
            n -= 1
        if n > 0 and not gap[-1].isspace():  # the head of the second term's word
            n -= 1
        return max(0, n)


def _near_spans(
    field: FieldHits, left: list[Span], right: list[Span], distance: int, unit: str
) -> list[Span]:
    """Pairs of a left and a right occurrence close enough together, one per occurrence."""
    if len(right) < len(left):  # NEAR is symmetric: walk the shorter list, bisect the longer
        left, right = right, left
    starts = [b[0] for b in right]
    max_chars = distance if unit == "chars" else (distance + 1) * NEAR_WORD_CHARS
    out: list[Span] = []
    for a in left:
        i = bisect_left(starts, a[0])
        for j in (i, i - 1, i + 1, i - 2):
            if not 0 <= j < len(right) or right[j] == a:
                continue
            b = right[j]
            first, second = (a, b) if a[0] <= b[0] else (b, a)
            gap = second[0] - first[1]
            if gap > max_chars:
                continue
            if (
                unit == "words"
                and gap > 0
                and field.words_between(first[1], second[0], distance) > distance
            ):
                continue
            out.append((first[0], max(a[1], b[1]), max(a[2], b[2])))
            break
    out.sort()
    return out


def _spans_of(ids: tuple[int, ...], field: FieldHits) -> list[Span]:
    """Where any atom of `ids` (a tuple of the matcher's plans) occurs in the field."""
    found = field.found
    if len(ids) == 1:
        return found.get(ids[0], [])
    cached = field.groups.get(id(ids))
    if cached is not None:
        return cached
    present = field.present.get(id(ids))
    if not present:
        field.groups[id(ids)] = []
        return []
    if len(present) == 1:
        spans = found[present[0]]  # one atom's spans are in order already
    else:
        spans = sorted(span for i in present for span in found[i])
    # Alternatives that touch are one mention: 깃허브(GitHub), "AI (인공지능)".
    merged: list[Span] = []
    for span in spans:
        if merged and span[0] <= merged[-1][1] + OR_GAP:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], span[1]), max(last[2], span[2]))
        else:
            merged.append(span)
    field.groups[id(ids)] = merged
    return merged


def term_spans(
    matcher: Matcher, term: Term, fields: dict[Field, FieldHits]
) -> dict[Field, list[Span]]:
    """Where `term` occurs, per field (fields without an occurrence are left out)."""
    atoms, near, unless = matcher.plans[id(term)]
    if unless and any(_spans_of(unless, f) for f in fields.values()):
        return {}
    out: dict[Field, list[Span]] = {}
    for name in ("title",) if term.title_only else FIELDS:
        field_ = fields[name]
        if id(term) not in field_.terms:
            continue
        spans = _spans_of(atoms, field_)
        if spans and near:
            others = _spans_of(near, field_)
            spans = _near_spans(field_, spans, others, term.distance, term.unit) if others else []
        if spans:
            out[name] = spans
    return out
