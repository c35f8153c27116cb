"""Loading `topics.yaml` (`newsmon.rules.loader` and `schema`): every refusal names file, line,
key and reason; a loaded file is hashed so stored matches can tell rule sets apart."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from newsmon.rules import load_rules
from newsmon.rules.korean import kiwi_available
from newsmon.yamlfile import ConfigError
from tests.conftest import SHIPPED_TOPICS

SMALL = """\
version: 1
topics:
  policy:
    min_score: 3
    terms:
      en: ["regulation", "FTC"]
"""


def refusal(tmp_path: Path, text: str, **kwargs: str) -> str:
    path = tmp_path / "topics.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rules(path, **kwargs)  # type: ignore[arg-type]
    message = str(err.value)
    assert message.startswith(str(path)), message
    return message


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
    assert fragment in refusal(tmp_path, text)


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
    assert fragment in refusal(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the file and the topics
        ("- a\n", ": topics: the file must have a 'topics' mapping"),
        ("version: 2\n", ": topics: the file must have a 'topics' mapping"),
        ("topics: [a]\n", ":1: topics: the file must have a 'topics' mapping"),
        ("owner: me\n" + SMALL, ":1: owner: unknown key"),
        ("topics:\n  Policy:\n    terms: {en: [x]}\n", ":2: topics.Policy: topic keys are"),
        ("topics:\n  policy: [x]\n", ":2: topics.policy: a topic must be a mapping"),
        ("version: '2'\n" + SMALL[11:], ":1: version: versions 1 and 2 are understood"),
        ("version: 1\nkorean: suffix\n" + SMALL[11:], ":2: korean: needs version: 2"),
        # values inside a topic
        (
            "topics:\n  p:\n    label: [a]\n    terms: {en: [x]}\n",
            ":3: topics.p.label: a label must be text",
        ),
        (
            "topics:\n  p:\n    min_score: 2.5\n    terms: {en: [x]}\n",
            ":3: topics.p.min_score: must be a whole number >= 1",
        ),
        ("topics:\n  p:\n    terms: [x]\n", ":3: topics.p.terms: must map a language (en, ko)"),
        ("topics:\n  p:\n    terms:\n      en: x\n", ":4: topics.p.terms.en: must be a list"),
        (
            "topics:\n  p:\n    terms:\n      en:\n        - x\n        - 3\n",
            ":6: topics.p.terms.en.1: a term must be a non-empty string",
        ),
        (
            "version: 2\ntopics:\n  p:\n    weights:\n    terms: {en: [x]}\n",
            ":4: topics.p.weights: must map title/body/body_cap/strong/short_words/lede/lede_chars/story_words to numbers",
        ),
        (
            "version: 2\ntopics:\n  p:\n    weights: {body: true}\n    terms: {en: [x]}\n",
            ":4: topics.p.weights.body: must be a whole number >= 0",
        ),
        (
            "version: 2\ntopics:\n  p:\n    weights: {title: 0}\n    terms: {en: [x]}\n",
            ":3: topics.p.min_score: must be a whole number >= 1 (without it, the title weight",
        ),
        (
            "version: 2\ntopics:\n  p:\n    terms: {en: [x]}\n    strong: {en: [open source]}\n"
            "    exclude: {en: [y, open]}\n",
            ":5: topics.p.strong.en.0: term 'open source' can never match: exclude 'open'",
        ),
        # several problems: the first is named, the others counted
        (
            "topics:\n  p:\n    min_score: 0\n    terms: {fr: [x]}\n",
            ":3: topics.p.min_score: must be a whole number >= 1 (and 1 more problem)",
        ),
    ],
)
def test_schema_refusals_name_line_key_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refusal(tmp_path, text)


def test_an_unknown_korean_override_is_refused(tmp_path: Path) -> None:
    assert "korean: must be one of suffix, kiwi" in refusal(tmp_path, SMALL, korean="mecab")


def test_kiwi_without_kiwipiepy_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import kiwipiepy` fail as on a machine without the extra, so
    # this runs whether or not it is installed (CI installs it for the probe comparison).
    monkeypatch.setitem(sys.modules, "kiwipiepy", None)
    assert not kiwi_available()
    assert "pip install 'newsmon[korean]'" in refusal(tmp_path, SMALL, korean="kiwi")


def test_defaults_labels_and_weights(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text(
        "version: 2\ntopics:\n  p:\n    label: 2025\n    terms: {en: [x]}\n"
        "  q:\n    weights: {title: 5}\n    terms: {en: [y]}\n",
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert rules.labels == {"p": "2025", "q": "q"}
    p, q = rules.topics
    assert (p.min_score, q.min_score) == (3, 5)  # one title hit by default
    assert (q.weights.title, q.weights.body) == (5, 1)


def test_rules_version_changes_with_rules_and_with_the_analyser(tmp_path: Path) -> None:
    first, other = tmp_path / "first.yaml", tmp_path / "other.yaml"
    first.write_text(SMALL, encoding="utf-8")
    other.write_text(SMALL.replace('"FTC"', '"SEC"'), encoding="utf-8")
    assert load_rules(other).version != load_rules(first).version
    again = tmp_path / "again.yaml"
    again.write_text(SMALL, encoding="utf-8")
    assert load_rules(again).version == load_rules(first).version


def test_shipped_rules_load_as_version_2() -> None:
    rules = load_rules(SHIPPED_TOPICS)
    assert set(rules.labels) == {"open-source", "ai-safety", "policy"}
    assert rules.korean == "suffix"
