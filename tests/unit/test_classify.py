from pathlib import Path

import pytest

from newsmon.classify import compile_term, load_rules
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
