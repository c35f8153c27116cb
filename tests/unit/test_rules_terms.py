"""The term compiler (`newsmon.rules.terms`): boundaries by script, Korean particles and endings."""

from __future__ import annotations

import pytest

from newsmon.rules import compile_term
from newsmon.rules.terms import hangul_splits, literal_head


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


@pytest.mark.parametrize(
    "text",
    [
        "오픈소스화",
        "오픈소스화를",
        "오픈소스화했다",
        "오픈소스화한 모델",
        "오픈소스화된",
        "오픈소스화하기로",
    ],
)
def test_a_noun_made_a_verb_with_hwa_keeps_its_endings(text: str) -> None:
    """-화 makes a noun a process (오픈소스화, "open-sourcing"), and -화하다/-화되다 its verb:
    "코드를 오픈소스화했다" is as much a release as "오픈소스로 공개했다"."""
    assert hits("오픈소스", text) == [text.split()[0]]


def test_korean_terms_do_not_match_inside_other_words() -> None:
    assert hits("규제", "불규제") == []
    assert hits("안전", "안전벨트") == []  # a compound, not a particle
    assert hits("기본법", "AI 기본법이") == ["기본법이"]


def test_korean_spacing_is_optional_between_tokens() -> None:
    assert hits("AI 기본법", "AI기본법 시행령") == ["AI기본법"]
    assert hits("AI안전연구소", "영국 AI 안전연구소를") == ["AI 안전연구소를"]


def test_hangul_compounds_match_spaced_and_closed() -> None:
    assert hits("오픈소스", "오픈 소스로 공개") == ["오픈 소스로"]
    assert hits("인공지능", "인공 지능이") == ["인공 지능이"]
    assert hits("AI안전연구소", "AI 안전 연구소가") == ["AI 안전 연구소가"]
    assert hits("가중치 공개", "가중치공개를") == [
        "가중치공개를"
    ]  # the reverse: spaced term, closed text
    assert hits("AI 안전 연구소", "AI안전연구소는") == ["AI안전연구소는"]
    # still whole words only, and no one-syllable parts: 정부 안 is not 정부안
    assert hits("인공지능", "인공 지능형") == []
    assert hits("국가안보", "국가 안보실") == []
    assert hits("정부안", "정부 안에서") == []
    assert hits("정보보호", "개인정보 보호") == []


def test_hangul_splits_keep_two_syllables_each_side() -> None:
    assert hangul_splits("오픈소스") == [2]
    assert hangul_splits("안전연구소") == [2, 3]
    assert hangul_splits("가중치") == [] and hangul_splits("AI") == []
    assert literal_head("오픈소스") == "오픈" and literal_head("딥시크") == "딥시크"


def test_korean_dictionary_form_and_passive_endings() -> None:
    assert hits("공개하다", "코드를 공개했다") == ["공개했다"]
    assert hits("공개하다", "공개된 모델") == ["공개된"]
    assert hits("공개하다", "비공개 모델") == []
    assert hits("공개하다", "공개 모델") == []  # the verb form only
    assert hits("조종", "조종당할 수 있다") == ["조종당할"]
    assert hits("안전성 평가", "안전성 평가서 1위") == ["안전성 평가서"]


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        # vowel stems contract with 아/어 (올려, 바꿔, 써, 모아) and take ㄴ/ㄹ/ㅂ (올린, 올릴, 올립니다)
        ("올리다", "허깅페이스에 올렸다", ["올렸다"]),
        ("올리다", "올린다고 밝혔다", ["올린다고"]),
        ("올리다", "올립니다", ["올립니다"]),
        ("바꾸다", "이름을 바꿔 달았다", ["바꿔"]),
        ("바꾸다", "이름을 바꿀 계획", ["바꿀"]),
        ("쓰다", "AI로 써 냈다", ["써"]),
        ("모으다", "데이터를 모아 학습했다", ["모아"]),
        # consonant stems take the endings as they are (내려받아, 내려받을); 놓다 also contracts
        ("내려받다", "누구나 내려받을 수 있다", ["내려받을"]),
        ("내놓다", "오픈소스로 내놨다", ["내놨다"]),
        ("내놓다", "내놓은 모델", ["내놓은"]),
        # ㄹ stems drop it before ㄴ, ㅂ and 시 (푼, 푸는, 풉니다)
        ("풀다", "가중치를 풀었다", ["풀었다"]),
        ("풀다", "코드를 푼 것", ["푼"]),
        ("풀다", "푸는 방식", ["푸는"]),
        # never the start of another word: 올리브, 올림픽, 풀이, 간담회, 갈등; nor inside one
        ("올리다", "올리브와 올림픽", []),
        ("풀다", "문제 풀이, 풀 한 포기", []),
        ("가다", "간담회에서 갈등이", []),
        ("풀다", "매듭을풀었다", []),
        # with words before it, as any phrase
        ("가중치를 풀다", "가중치를 풀었다", ["가중치를 풀었다"]),
    ],
)
def test_native_verbs_in_dictionary_form_match_their_regular_conjugations(
    term: str, text: str, found: list[str]
) -> None:
    assert hits(term, text) == found


def test_a_verb_with_nothing_fixed_is_found_by_its_regex() -> None:
    """풀다 writes its one syllable as 풀, 푸, 푼 or 풉: no text for the automaton to look for."""
    from newsmon.rules import Matcher, TopicRule, parse_term

    one, two = parse_term("풀다", "ko"), parse_term("올리다", "ko")
    assert one.atoms[0].key is None and two.atoms[0].key == "올"
    matcher = Matcher([TopicRule("t", "t", 1, (one, two))])
    assert sorted(matcher.find("가중치를 푼 뒤 허깅페이스에 올려 두었다")) == [0, 1]


def test_lax_korean_end_leaves_the_stem_to_an_analyser() -> None:
    pattern = compile_term("안전", lax_korean_end=True)
    [m] = pattern.finditer("안전벨트")
    assert m.group(0) == "안전벨트" and m.group("core") == "안전"


@pytest.mark.parametrize("term", ["", "  ", "...", "-"])
def test_a_term_without_letters_is_refused(term: str) -> None:
    with pytest.raises(ValueError):
        compile_term(term)
