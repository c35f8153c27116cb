"""Compiled terms (`newsmon.rules.termpattern`): Hangul boundaries checked outside the term's own
regex give exactly the matches of the whole regex they stand for."""

from __future__ import annotations

import pickle
import re
from collections.abc import Sequence

import pytest

from newsmon.rules import compile_term
from newsmon.rules.termpattern import TermMatch, TermPattern

TERMS = [
    ("오픈소스", False),  # a noun: particles and suffixes may follow, a longer word may not
    ("공개하다", False),  # a verb: an ending must follow
    ("안전", True),  # lax: any Hangul may follow (an analyser decides)
    ("AI 안전연구소", False),  # Latin start, Hangul end
    ("안전성 AI", False),  # Hangul start, Latin end
    ("open weights", False),  # no Hangul at either end
    ("C++", False),  # no boundary at the end
]
TEXTS = [
    "오픈소스를 공개했다. 비오픈소스 오픈 소스화 오픈소스였다 오픈소스벨트",
    "코드를 공개했다 공개된 모델 비공개 공개 모델 공개시킨 공개-한",
    "안전벨트 안전 불안전 안전성을 ㄱ안전 ᄀ안전",
    "AI안전연구소는 AI 안전 연구소에서 XAI안전연구소 AI-안전연구소장",
    "안전성AI 안전성 AIs 불안전성 AI 안전성 ai",
    "Open-weights, open  weights; reopen weights openweights",
    "C++ and C++11 abc++",
]


def spans(matches: Sequence[TermMatch | re.Match[str]]) -> list[tuple[int, int, int]]:
    return [(m.start(), m.end(), m.end("core")) for m in matches]


@pytest.mark.parametrize(("term", "lax"), TERMS)
def test_same_matches_as_the_whole_regex(term: str, lax: bool) -> None:
    pattern = compile_term(term, lax_korean_end=lax)
    whole = re.compile(pattern.pattern)
    found = 0
    for text in TEXTS:
        got = list(pattern.finditer(text))
        assert spans(got) == spans(list(whole.finditer(text)))
        assert [m.group(0) for m in got] == [m.group(0) for m in whole.finditer(text)]
        found += len(got)
        for pos in range(len(text) + 1):
            for ours, theirs in (
                (pattern.match(text, pos), whole.match(text, pos)),
                (pattern.search(text, pos), whole.search(text, pos)),
            ):
                assert (ours is None) == (theirs is None), (text, pos)
                if ours is not None and theirs is not None:
                    assert ours.span() == theirs.span()
                    assert ours.group("core") == theirs.group("core")
    assert found  # each term occurs somewhere above: the comparison is not vacuous


def test_hangul_before_the_term_is_seen_even_when_matching_from_inside_the_text() -> None:
    pattern = compile_term("오픈소스")
    assert pattern.match("비오픈소스", 1) is None
    m = pattern.match("X오픈소스를", 1)
    assert m is not None and m.group(0) == "오픈소스를" and m.group("core") == "오픈소스"


def test_a_pickle_carries_the_term_and_arrives_as_the_same_pattern() -> None:
    pattern = compile_term("오픈소스", lax_korean_end=True)
    copy = pickle.loads(pickle.dumps(pattern))
    assert isinstance(copy, TermPattern)
    assert copy == pattern and copy.pattern == pattern.pattern
    assert copy != compile_term("오픈소스")  # the strict ending is another pattern


def test_a_match_has_only_the_whole_and_the_core_group() -> None:
    m = compile_term("오픈소스").search("새 오픈소스를")
    assert m is not None and m.span() == (2, 7) and m.span("core") == (2, 6)
    with pytest.raises(IndexError):
        m.group(1)
