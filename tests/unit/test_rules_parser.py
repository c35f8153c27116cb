"""The expression parser (`newsmon.rules.parser`): one rule entry to a `Term`."""

from __future__ import annotations

import pytest

from newsmon.rules import parse_term


def test_plain_phrase_and_version_1_take_operators_literally() -> None:
    term = parse_term("  open weights ", "en")
    assert term.text == "open weights" and [a.text for a in term.atoms] == ["open weights"]
    v1 = parse_term("a | b", "en", expressions=False)
    assert [a.text for a in v1.atoms] == ["a | b"]


def test_or_near_not_and_title() -> None:
    term = parse_term("title: (AI | 인공지능) NEAR/20c 안전 NOT (car | food)", "ko")
    assert term.title_only
    assert [a.text for a in term.atoms] == ["AI", "인공지능"]
    assert [a.text for a in term.near] == ["안전"]
    assert (term.distance, term.unit) == (20, "chars")
    assert [a.text for a in term.unless] == ["car", "food"]
    words = parse_term("open NEAR/3 weights", "en")
    assert (words.distance, words.unit) == (3, "words")


def test_quotes_keep_operator_words_literal_and_regex_atoms_have_no_key() -> None:
    quoted = parse_term('"NEAR" | NOT-A-WORD', "en")
    assert [a.text for a in quoted.atoms] == ["NEAR", "NOT-A-WORD"]
    regex = parse_term(r"re: \bLlama[- ]?[0-9]\b", "en")
    [atom] = regex.atoms
    assert atom.key is None and atom.pattern.search("Llama 3")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a NEAR/3", "NEAR needs a term on both sides"),
        ("a NEAR/3 b NEAR/2 c", "at most one NEAR per term"),
        ("a NOT b NOT c", "at most one NOT per term"),
        ("a NOT", "NOT needs a term after it"),
        ("a | | b", "an empty alternative in the term"),
        ("(a | (b | c))", "no nesting"),
        ("a NOT ()", "the NOT part is empty"),
        ('"unclosed', "cannot read"),
        ("re: (", "invalid regex"),
        ("re: x*", "matches the empty string"),
        ("re:", "re: needs a pattern"),
        ("   ", "non-empty string"),
    ],
)
def test_bad_entries_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_term(text, "en")
    assert reason in str(err.value)
