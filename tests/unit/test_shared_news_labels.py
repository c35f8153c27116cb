"""The digest splitter and the shared-news label file: ids stay stable and the split is fixed."""

from __future__ import annotations

import pytest

from tests.support.shared_news import (
    LABEL_FILE,
    LABELS,
    SHARED_NEWS,
    base_id,
    clean_markup,
    labelled_shared_items,
    load_label_file,
    majority,
    split_digest,
    split_of,
    story_id,
)

TOPICS = {"open-source", "ai-safety", "policy"}


def test_split_digest_cuts_sentences_not_abbreviations_or_versions() -> None:
    text = (
        '**Acme** released **Model 2.0**, an open-weight model. The U.S. team said "it works." '
        'Results vs. GPT-4o look good! \\*"Tricks are all you need."\\* Alibaba\\_Qwen shipped v0.5.5.'
    )
    assert split_digest(text) == [
        "Acme released Model 2.0, an open-weight model.",
        'The U.S. team said "it works."',
        "Results vs. GPT-4o look good!",
        '"Tricks are all you need."',
        "Alibaba_Qwen shipped v0.5.5.",
    ]
    assert clean_markup("**a**  \\*b\\*") == "a b"


def test_story_ids_carry_a_fingerprint_and_split_on_the_base_id() -> None:
    sid = story_id("en-ainews-05", 2, "The models are MIT licensed.")
    assert sid.startswith("en-ainews-05-s02-") and len(sid) == len("en-ainews-05-s02-") + 6
    assert sid != story_id("en-ainews-05", 2, "The models are MIT licensed!")
    assert base_id(sid) == "en-ainews-05-s02"
    assert base_id("ko-rss-07") == "ko-rss-07"
    assert split_of(sid) == split_of(story_id("en-ainews-05", 2, "edited text"))
    splits = [split_of(f"x-{n}") for n in range(300)]
    assert 0.25 < splits.count("test") / len(splits) < 0.42


def test_label_file_uses_known_topics_and_has_notes() -> None:
    labels = load_label_file(LABEL_FILE)
    assert len(labels) >= 300
    assert set().union(*labels.values()) == TOPICS
    text = LABEL_FILE.read_text(encoding="utf-8")
    assert "borderline" in text and "hard negative" in text


@pytest.mark.shared
@pytest.mark.skipif(not SHARED_NEWS.is_dir(), reason="../shared/corpus/news is absent")
def test_every_label_finds_its_item_and_both_languages_are_covered() -> None:
    items = labelled_shared_items()
    assert len(items) == len(load_label_file(LABEL_FILE))
    for topic in TOPICS:
        for lang in ("en", "ko"):
            assert any(topic in i.topics and i.lang == lang for i in items), (topic, lang)
    assert {split_of(i.id) for i in items} == {"dev", "test"}


@pytest.mark.parametrize("name", ["shared_news", "extra_news"])
def test_labels_are_the_majority_of_three_blind_labellings(name: str) -> None:
    """The label files in use are adjudicated: per topic, two of three labellers. A hand edit of
    one file that the others do not back, or a labelling that drifts out of step, fails here (it
    would otherwise silently move every figure of bench/label_agreement.py and shared_labels.py)."""
    used = load_label_file(LABELS / f"{name}.yaml")
    first = load_label_file(LABELS / f"{name}_first.yaml")
    second = load_label_file(LABELS / f"{name}_second.yaml")
    third = load_label_file(LABELS / f"{name}_third.yaml")
    assert set(first) == set(second) == set(used)
    disputed = {k for k in first if first[k] != second[k]}
    assert set(third) == disputed
    assert 0 < len(disputed) < len(first) // 5  # independent, yet from the same guide
    for k, topics in used.items():
        assert topics == majority(first[k], second[k], third.get(k)), k
    assert set().union(*used.values()) == TOPICS
