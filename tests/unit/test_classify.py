from pathlib import Path

import pytest

from newsmon.classify import compile_term, explain, load_rules
from newsmon.yamlfile import ConfigError


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


RULES = """\
version: 1
topics:
  open-source:
    label: Open-source AI
    min_score: 3
    terms:
      en: ["open source", "open weights", "GitHub"]
      ko: ["오픈소스", "깃허브"]
    exclude:
      en: ["open source intelligence"]
  policy:
    min_score: 3
    terms:
      en: ["regulation", "FTC"]
      ko: ["규제"]
"""


@pytest.fixture
def rules(tmp_path: Path):
    path = tmp_path / "topics.yaml"
    path.write_text(RULES, encoding="utf-8")
    return load_rules(path)


def test_classify_title_hit_scores_more_than_body(rules) -> None:
    matches = rules.classify("딥시크, 코드를 오픈소스로 공개", "본문에는 관련 언급이 없다.")
    assert [m.topic for m in matches] == ["open-source"]
    assert matches[0].score == 3
    assert matches[0].hits[0].field == "title"
    # one body mention alone is below the bar
    assert rules.classify("새 소식", "이 모델은 오픈소스다.") == []


def test_classify_records_terms_and_snippet(rules) -> None:
    body = (
        ("Intro text. " * 20)
        + "The lab released open weights on GitHub and GitHub again. "
        + ("Tail text. " * 20)
    )
    [match] = rules.classify("A model release", body)
    assert match.topic == "open-source"
    assert set(match.terms) == {"open weights", "GitHub"}
    assert "open weights" in match.snippet
    assert match.snippet.startswith("…") and match.snippet.endswith("…")
    assert len(match.snippet) < 260


def test_exclusions(rules) -> None:
    assert rules.classify("Open source intelligence on GitHub", "open source " * 3) == []


def test_rules_version_changes_with_rules(tmp_path: Path, rules) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(RULES.replace('"FTC"', '"SEC"'), encoding="utf-8")
    assert load_rules(other).version != rules.version


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "version: 1\ntopics:\n  policy:\n    terms:\n      fr: [x]\n",
            ":5: topics.policy.terms.fr: unknown language",
        ),
        (
            "version: 1\ntopics:\n  policy:\n    min_score: 0\n    terms: {en: [x]}\n",
            ":4: topics.policy.min_score",
        ),
        ("version: 1\ntopics:\n  policy:\n    label: x\n", "needs at least one term"),
        (
            "version: 1\ntopics:\n  policy:\n    term: {en: [x]}\n",
            ":4: topics.policy.term: unknown key",
        ),
        ("version: 1\ntopics:\n  policy:\n    terms: {en: ['  ']}\n", "non-empty string"),
        ("topics: [\n", "invalid YAML"),
    ],
)
def test_bad_rules_fail_with_file_line_and_reason(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


# --- format version 2: expressions, weights, context, load-time checks -------------------------

V2 = """\
version: 2
topics:
  open-source:
    min_score: 3
    terms:
      en:
        - "open NEAR/3 (weights | code)"
        - "GitHub | 깃허브"
        - "title: Open Source Week"
        - "re: \\\\bLlama[- ]?[0-9]\\\\b"
      ko: ["공개하다 NEAR/2 가중치"]
    requires:
      en: ["AI", "model", "models"]
      ko: ["모델"]
  ai-safety:
    min_score: 2
    weights: {title: 2, body: 1, body_cap: 1, strong: 5}
    terms:
      en: ["safety NOT (car | food)", "(AI | 인공지능) NEAR/2 안전"]
    strong:
      en: ["AI Safety Institute"]
"""


@pytest.fixture
def v2(tmp_path: Path):
    path = tmp_path / "topics.yaml"
    path.write_text(V2, encoding="utf-8")
    return load_rules(path)


def topics(rules, title: str, body: str = "") -> dict[str, int]:
    return {m.topic: m.score for m in rules.classify(title, body)}


def test_near_counts_words_between_in_either_order(v2) -> None:
    assert topics(v2, "AI lab will open its model weights") == {"open-source": 3}
    assert topics(v2, "AI model weights are now open") == {"open-source": 3}
    assert topics(v2, "AI: open the box, then read the long manual about weights") == {}


def test_or_group_counts_once_even_when_both_spellings_touch(v2) -> None:
    [detail] = [
        d
        for d in explain(v2, "AI news", "코드는 깃허브(GitHub)에 있다. Also on GitHub.")
        if d.topic == "open-source"
    ]
    [hit] = detail.hits
    assert hit.term == "GitHub | 깃허브" and hit.field == "body"
    assert hit.count == 2  # 깃허브(GitHub) is one mention, "on GitHub" the second
    assert detail.score == 2 and not detail.matched


def test_title_only_and_regex_terms(v2) -> None:
    assert topics(v2, "DeepSeek AI Open Source Week") == {"open-source": 3}
    assert topics(v2, "AI news", "It is Open Source Week at DeepSeek.") == {}
    assert topics(v2, "Meta ships Llama 3 model", "") == {"open-source": 3}
    assert topics(v2, "Meta ships llama 3 model", "") == {}  # the regex is case-sensitive


def test_not_part_and_requires_context(v2) -> None:
    assert topics(v2, "Car safety rules", "") == {}
    assert topics(v2, "Frontier safety rules", "") == {"ai-safety": 2}
    # open-source needs an AI word: GitHub news about a game engine is not open-source AI
    assert topics(v2, "Engine code released on GitHub", "") == {}
    detail = next(d for d in explain(v2, "Engine code on GitHub", "") if d.topic == "open-source")
    assert detail.vetoed_by is not None and detail.vetoed_by.startswith("requires:")


def test_weights_and_korean_near_with_dictionary_form(v2) -> None:
    # strong counts 5 here; "Safety" also hits `safety NOT (car | food)` in the body: +1
    assert topics(v2, "x", "AI Safety Institute") == {"ai-safety": 6}
    assert topics(v2, "모델 소식", "업체가 가중치를 공개했다.") == {}  # one body hit: 1 < 3
    [m] = v2.classify("새 모델 가중치 공개한다", "")
    assert m.topic == "open-source" and m.score == 3
    assert topics(v2, "인공지능은 더 안전해야", "") == {"ai-safety": 2}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "version: 2\ntopics:\n  p:\n    terms:\n      en: ['re: (unclosed']\n",
            ":5: topics.p.terms.en.0: bad term 're: (unclosed': invalid regex",
        ),
        (
            "version: 2\ntopics:\n  p:\n    terms:\n      en: ['re: x*']\n",
            "matches the empty string",
        ),
        (
            "version: 2\ntopics:\n  p:\n    terms:\n      en: ['a NEAR/3']\n",
            "NEAR needs a term on both sides",
        ),
        (
            "version: 2\ntopics:\n  p:\n    terms:\n      en: ['open source NOT source']\n",
            "can never match: its NOT part 'source'",
        ),
        (
            "version: 2\ntopics:\n  p:\n    terms: {en: [open source]}\n"
            "    exclude: {en: [open]}\n",
            "can never match: exclude 'open' vetoes",
        ),
        (
            "version: 2\ntopics:\n  p:\n    min_score: 99\n    terms: {en: [x]}\n",
            ":4: topics.p.min_score: can never be reached",
        ),
        (
            "version: 2\ntopics:\n  p:\n    terms: {en: [x]}\n    weights: {titel: 3}\n",
            ":5: topics.p.weights.titel: unknown key",
        ),
        (
            "version: 1\ntopics:\n  p:\n    terms: {en: [x]}\n    requires: {en: [AI]}\n",
            ":5: topics.p.requires: unknown key",
        ),
        ("version: 3\ntopics:\n  p:\n    terms: {en: [x]}\n", ":1: version"),
        ("version: 2\nkorean: mecab\ntopics:\n  p:\n    terms: {en: [x]}\n", ":2: korean"),
    ],
)
def test_v2_rules_fail_at_load_with_file_line_and_reason(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rules(path)
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


def test_shipped_rules_load_as_version_2() -> None:
    from tests.conftest import SHIPPED_TOPICS

    rules = load_rules(SHIPPED_TOPICS)
    assert set(rules.labels) == {"open-source", "ai-safety", "policy"}
    assert rules.korean == "suffix"


def test_korean_dictionary_form_and_passive_endings() -> None:
    assert hits("공개하다", "코드를 공개했다") == ["공개했다"]
    assert hits("공개하다", "공개된 모델") == ["공개된"]
    assert hits("공개하다", "비공개 모델") == []
    assert hits("공개하다", "공개 모델") == []  # the verb form only
    assert hits("조종", "조종당할 수 있다") == ["조종당할"]
    assert hits("안전성 평가", "안전성 평가서 1위") == ["안전성 평가서"]


def test_rules_survive_pickling_and_hits_keep_the_matched_text(v2) -> None:
    import pickle

    v2.classify("x", "y")  # builds the matcher
    copy = pickle.loads(pickle.dumps(v2))
    title = "AI lab will open its model weights"
    assert topics(copy, title) == topics(v2, title) == {"open-source": 3}
    [m] = copy.classify(title, "")
    assert m.hits[0].matched == "open its model weights"
    assert m.hits[0].as_dict()["matched"] == "open its model weights"
