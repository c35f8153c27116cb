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
    ("pattern", "line_break", "matches"),
    [
        (r"re: 개 주 ?검찰총장", "개\n주\n검찰총장", True),
        (r"re: \bLlama[- ]?[0-9]\b", "Llama\n3", True),
        (r"re: [[:alpha:] ]+Act", "AI\nAct", True),
        (r"re: [^ ]+ Act", "AI\nAct", True),
        (r"re: AI\ Act", "AI\nAct", False),  # an escaped space is one exactly
        (r"re: \QAI Act\E", "AI\nAct", False),  # so is a space in quoted text
        (r"re: [] ]x", "\nx", True),
    ],
)
def test_a_space_in_a_pattern_also_reads_a_line_break(
    pattern: str, line_break: str, matches: bool
) -> None:
    """The rules read white space as one space or one line break: a pattern's space reads both."""
    [atom] = parse_term(pattern, "en").atoms
    assert bool(atom.pattern.search(line_break)) is matches
    assert atom.pattern.search(line_break.replace("\n", " "))
    assert atom.text == "re:" + pattern[3:].strip()  # the rule as written


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


def test_a_pattern_s_dotted_acronym_reads_as_the_text_does() -> None:
    """The rules read "H.R. 1234" as "HR 1234" (`normalise_for_matching`): a pattern that
    writes the dots (`H\\.R\\.`) reads them so too, or the shipped bill-number rule would miss."""
    from newsmon.rules import normalise_for_matching

    [atom] = parse_term(r"re: \b(?:SB|H\.R\.) ?[0-9]{1,4}\b", "en").atoms
    assert atom.pattern.search(normalise_for_matching("The House passed H.R. 1234 today."))
    assert atom.pattern.search("SB 53") and not atom.pattern.search("H.R 12")
    [kept] = parse_term(r"re: [A-Z]\.[A-Z]\. \d", "en").atoms  # classes stay as written
    assert kept.pattern.search("A.B. 1")
