"""Readable evidence (`newsmon.rules.evidence`): rule words that matched, clean snippets, near misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.rules import Rules, explain, load_rules
from newsmon.rules.evidence import SNIPPET_CHARS, snippet

RULES = """\
version: 2
topics:
  policy:
    min_score: 3
    terms:
      en:
        - "(court | ruling | lawsuit) NEAR/5 (AI | chatbot)"
        - "regulation"
        - "title: executive order"
        - "fine NOT (parking | speeding)"
      ko:
        - "(법률 | 법원) NEAR/3 AI"
        - "인공지능 기본법"
"""


@pytest.fixture
def rules(tmp_path: Path) -> Rules:
    path = tmp_path / "topics.yaml"
    path.write_text(RULES, encoding="utf-8")
    return load_rules(path)


def _policy(rules: Rules, title: str, body: str = "") -> object:
    return next(d for d in explain(rules, title, body) if d.topic == "policy")


def test_a_near_hit_is_labelled_by_its_rule_words_not_the_raw_span(rules: Rules) -> None:
    [hit] = _policy(rules, "[법률 수첩] AI 기본법 시행 앞두고").hits  # type: ignore[attr-defined]
    assert hit.label == "법률 … AI"  # not "법률 수첩] AI"
    assert hit.matched == "법률 … AI"
    assert hit.term == "(법률 | 법원) NEAR/3 AI"
    [hit] = _policy(rules, "A court rules on an AI chatbot").hits  # type: ignore[attr-defined]
    assert hit.label == "court … AI" and hit.matched == "court … AI"


def test_a_plain_hit_shows_the_term_and_what_the_text_said(rules: Rules) -> None:
    detail = _policy(rules, "인공 지능기본법이 통과됐다")
    [hit] = detail.hits  # type: ignore[attr-defined]
    assert hit.label == "인공지능 기본법" and hit.matched == "인공 지능기본법이"
    assert hit.as_dict()["label"] == "인공지능 기본법"


def test_a_hit_read_through_quotes_shows_them_as_written(rules: Rules) -> None:
    """The matcher reads “ 「 as '"' to join a quoted word to its term; the reader sees the text."""
    detail = _policy(rules, "인공지능 「기본법」 시행령 공개")
    [hit] = detail.hits  # type: ignore[attr-defined]
    assert hit.matched == "인공지능 「기본법"
    assert detail.snippet == "인공지능 「기본법」 시행령 공개"  # type: ignore[attr-defined]


def test_near_misses_say_why_a_term_did_not_count(rules: Rules) -> None:
    far = "A court heard the case. " + "Many words follow here about other things. " * 3 + "AI."
    reasons = {m.term: m.reason for m in _policy(rules, "x", far).near_misses}  # type: ignore[attr-defined]
    assert reasons == {
        "(court | ruling | lawsuit) NEAR/5 (AI | chatbot)": "both sides occur, not within 5 words"
    }
    body = "The executive order and a parking fine."
    reasons = {m.term: m.reason for m in _policy(rules, "x", body).near_misses}  # type: ignore[attr-defined]
    assert reasons == {
        "title: executive order": "only in the body (a title: term)",
        "fine NOT (parking | speeding)": "its NOT part occurs",
    }
    # one side of a NEAR pair alone is no near miss: "AI" is in every article
    assert _policy(rules, "AI news", "").near_misses == ()  # type: ignore[attr-defined]
    # classify does not spend time on them
    quiet = explain(rules, "x", far, all_snippets=False)
    assert quiet[0].near_misses == ()


def test_snippet_is_the_sentence_of_the_hit() -> None:
    text = (
        "Seoul, Feb 21. The ministry published its plan on Friday. "
        "Under the plan, AI regulation will start next year with a grace period for start-ups. "
        "Shares rose."
    )
    start = text.index("regulation")
    assert snippet(text, start, start + 10) == (
        "Under the plan, AI regulation will start next year with a grace period for start-ups."
    )
    # abbreviations and initials do not end a sentence
    text = "The U.S. Commerce Dept. said Mr. Lee leads the new AI regulation office in Washington."
    start = text.index("regulation")
    assert snippet(text, start, start + 10) == text


def test_snippet_splits_run_together_korean_sentences_and_brings_a_neighbour() -> None:
    text = "정부가 발표했다.인공지능 기본법 시행령은 내년부터 적용된다.다른 이야기다."
    start = text.index("인공지능")
    # a short sentence brings its neighbours while the whole stays short
    assert snippet(text, start, start + 8) == text.replace(".인", ". 인").replace(".다", ". 다")


def test_a_long_sentence_is_cut_at_words_around_the_hit() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    text = f"{words} regulation {words}."
    start = text.index("regulation")
    out = snippet(text, start, start + 10)
    assert out.startswith("…") and out.endswith("…") and "regulation" in out
    assert len(out) <= SNIPPET_CHARS + 2
    inner = out.strip("…").split()
    assert all(w.startswith("word") or w == "regulation" for w in inner)  # no word cut in half
