"""The term compiler (`newsmon.rules.terms`): boundaries by script, Korean particles and endings."""

from __future__ import annotations

import pytest

from newsmon.rules import compile_term


def hits(term: str, text: str) -> list[str]:
    return [m.group(0) for m in compile_term(term).finditer(text)]


def test_english_word_boundaries() -> None:
    assert hits("AI", "The company said it paid for training.") == []
    assert hits("AI", "New AI rules; AI-driven; (AI)") == ["AI", "AI", "AI"]
    assert hits("FTC", "the ftc said") == []  # acronyms are case-sensitive
    assert hits("open source", "Open-source models and open  source code") == [
        "Open-source",
        "open  source",
    ]
    assert hits("alignment", "misalignment") == []
    assert hits("GitHub", "on github.com") == ["github"]


def test_full_width_letters_are_folded_in_the_term() -> None:
    assert hits("ＡＩ", "New AI rules") == ["AI"]


def test_korean_particles_and_endings() -> None:
    for text in (
        "오픈소스를 공개",
        "오픈소스로 전환",
        "오픈소스가",
        "오픈소스의",
        "오픈소스에서는",
        "오픈소스.",
    ):
        assert hits("오픈소스", text), text
    assert hits("딥시크", "딥시크가 발표했다") == ["딥시크가"]
    assert hits("공개", "코드를 공개했다고 밝혔다") == ["공개했다고"]
    assert hits("공개", "공개된 가중치") == ["공개된"]


def test_korean_terms_do_not_match_inside_other_words() -> None:
    assert hits("규제", "불규제") == []
    assert hits("안전", "안전벨트") == []  # a compound, not a particle
    assert hits("기본법", "AI 기본법이") == ["기본법이"]


def test_korean_spacing_is_optional_between_tokens() -> None:
    assert hits("AI 기본법", "AI기본법 시행령") == ["AI기본법"]
    assert hits("AI안전연구소", "영국 AI 안전연구소를") == ["AI 안전연구소를"]


def test_korean_dictionary_form_and_passive_endings() -> None:
    assert hits("공개하다", "코드를 공개했다") == ["공개했다"]
    assert hits("공개하다", "공개된 모델") == ["공개된"]
    assert hits("공개하다", "비공개 모델") == []
    assert hits("공개하다", "공개 모델") == []  # the verb form only
    assert hits("조종", "조종당할 수 있다") == ["조종당할"]
    assert hits("안전성 평가", "안전성 평가서 1위") == ["안전성 평가서"]


def test_lax_korean_end_leaves_the_stem_to_an_analyser() -> None:
    pattern = compile_term("안전", lax_korean_end=True)
    [m] = pattern.finditer("안전벨트")
    assert m.group(0) == "안전벨트" and m.group("core") == "안전"


@pytest.mark.parametrize("term", ["", "  ", "...", "-"])
def test_a_term_without_letters_is_refused(term: str) -> None:
    with pytest.raises(ValueError):
        compile_term(term)
