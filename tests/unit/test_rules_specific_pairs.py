"""A `specific:` NEAR pair (both sides say the topic together) takes the short-item weight a
plain term takes; an ordinary NEAR pair (a weak word next to "AI") keeps its full-article weight."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.rules import Rules, explain, load_rules
from newsmon.rules.parser import parse_term

RULES = """\
version: 2
topics:
  ai-safety:
    min_score: 3
    terms:
      en:
        - "specific: (safeguards | guardrails) NEAR/4 (removed | stripped)"
        - "(AI | model) NEAR/4 (safeguards | misuse)"
"""


def _load(tmp_path: Path) -> Rules:
    path = tmp_path / "topics.yaml"
    path.write_text(RULES, encoding="utf-8")
    return load_rules(path)


def _score(rules: Rules, title: str, body: str) -> int:
    return next(d.score for d in explain(rules, title, body) if d.topic == "ai-safety")


# A digest line, 20 words, its pair after the lede's 200 characters would be: one mention.
LINE = "Researchers at a university published a paper this week; in it, {} and the authors ask for audits."


def test_a_specific_pair_takes_short_item_weight(tmp_path: Path) -> None:
    rules = _load(tmp_path)
    line = LINE.format("the safeguards were stripped from open models")
    assert _score(rules, "", line) == 3
    assert [t.topic for t in rules.classify("", line)] == ["ai-safety"]


def test_an_ordinary_pair_keeps_its_full_article_weight(tmp_path: Path) -> None:
    rules = _load(tmp_path)
    line = LINE.format("AI misuse is discussed")
    assert _score(rules, "", line) == 2  # the lede's 2, not a short item's 3
    assert rules.classify("", line) == []


def test_a_specific_pair_in_a_long_article_counts_once(tmp_path: Path) -> None:
    rules = _load(tmp_path)
    long_body = "Other news of the week. " * 60 + "The safeguards were later removed."
    assert _score(rules, "", long_body) == 1


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("specific: guardrails", "NEAR"),
        ("specific: generic: safeguards NEAR/4 removed", "generic"),
    ],
)
def test_specific_is_refused_where_it_means_nothing(entry: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_term(entry, "en")


def test_specific_shows_in_evidence_as_written(tmp_path: Path) -> None:
    rules = _load(tmp_path)
    [match] = rules.classify("", LINE.format("guardrails were removed from the model"))
    assert [h.term for h in match.hits] == [
        "specific: (safeguards | guardrails) NEAR/4 (removed | stripped)"
    ]
