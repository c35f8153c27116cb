"""The shipped rules on the extra labelled set: 2033 real items read from two public repositories.

Skipped unless both repositories are present at their pinned commits (tests/support/extra_news.py
says how to get them); CI does not have them, `bench/shared_labels.py --set extra` reports the same
figures. The floors are the figures measured when the set was labelled and the rules were then
tuned on its dev split (README, "Topic rules: quality"); the test split was never looked at.
"""

from __future__ import annotations

import pytest

from newsmon.evaluate import evaluate
from newsmon.rules import load_rules
from tests.conftest import SHIPPED_TOPICS
from tests.support.extra_news import extra_available, labelled_extra_items

# (precision, recall) per topic and split, measured 2026-11-29.
EXTRA_FLOORS = {
    "dev": {"open-source": (0.89, 0.83), "ai-safety": (0.87, 0.66), "policy": (0.81, 0.71)},
    "test": {"open-source": (0.87, 0.89), "ai-safety": (0.74, 0.40), "policy": (0.57, 0.71)},
}

pytestmark = pytest.mark.skipif(
    not extra_available(), reason="the extra news repositories are absent (NEWSMON_EXTRA_NEWS)"
)


@pytest.mark.parametrize("split", ["dev", "test"])
def test_shipped_rules_on_the_extra_real_items(split: str) -> None:
    items = labelled_extra_items(split=split)
    assert len(items) >= 600
    positives = {t: sum(t in i.topics for i in items) for t in EXTRA_FLOORS[split]}
    assert min(positives.values()) >= 25, positives
    result = evaluate(load_rules(SHIPPED_TOPICS), items)
    for topic, (precision, recall) in EXTRA_FLOORS[split].items():
        s = result.scores[topic]
        assert s.precision >= precision, (topic, s.precision)
        assert s.recall >= recall, (topic, s.recall)
