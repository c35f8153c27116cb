"""A learned baseline beside the topic rules: is a classifier the way past the rules' recall?

    pip install scikit-learn   # not a dependency of newsmon
    python bench/classifier_baseline.py

Trains a TF-IDF character n-gram (2-4) logistic regression per topic and prints precision /
recall next to the shipped rules, and for "rules or classifier" (the classifier adding matches):
- on the held-out (test) extra items, trained on every dev item (extra, shared, blind, project);
- on the shared test items, trained the same way;
- on all extra items, trained only on the project's own items (blind set and tests/data/labels).
Nothing here is shipped: the README's quality section reports what it found.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.extra_news import extra_available, labelled_extra_items
from tests.support.shared_news import LABELS, SHARED_NEWS, labelled_shared_items, split_of

from newsmon.evaluate import LabelledItem, load_labels
from newsmon.rules import explain, load_rules

TOPICS = ("open-source", "ai-safety", "policy")
THRESHOLDS = (0.5, 0.7)


def _text(item: LabelledItem) -> str:
    return (item.title or "") + "\n" + item.text[:3000]


def _pr(predicted: list[bool], truth: list[bool]) -> str:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return f"{precision:.2f}/{recall:.2f}"


def run(train: list[LabelledItem], test: list[LabelledItem], name: str) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    rules = load_rules(ROOT / "config" / "topics.yaml")
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)
    x_train = vectors.fit_transform([_text(i) for i in train])
    x_test = vectors.transform([_text(i) for i in test])
    matched = [{d.topic for d in explain(rules, i.title, i.text) if d.matched} for i in test]
    print(f"== {name}: trained on {len(train)}, tested on {len(test)}")
    for topic in TOPICS:
        y_train = [topic in i.topics for i in train]
        truth = [topic in i.topics for i in test]
        model = LogisticRegression(C=10, class_weight="balanced", max_iter=2000)
        scores = model.fit(x_train, y_train).predict_proba(x_test)[:, 1]
        by_rules = [topic in m for m in matched]
        line = f"  {topic:<12} positives {sum(truth):3}  rules {_pr(by_rules, truth)}"
        for threshold in THRESHOLDS:
            learned = [s >= threshold for s in scores]
            either = [a or b for a, b in zip(by_rules, learned, strict=True)]
            line += f" | p>={threshold}: model {_pr(learned, truth)}, rules or model {_pr(either, truth)}"
        print(line)


def main() -> int:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("needs scikit-learn: pip install scikit-learn", file=sys.stderr)
        return 2
    if not (extra_available() and SHARED_NEWS.is_dir()):
        print(
            "needs the extra repositories and ../shared (see bench/shared_labels.py)",
            file=sys.stderr,
        )
        return 2
    extra, shared = labelled_extra_items(), labelled_shared_items()
    own = load_labels(LABELS / "blind" / "blind.jsonl")
    for path in sorted(LABELS.glob("*.jsonl")):
        own += load_labels(path)

    def dev(items: list[LabelledItem]) -> list[LabelledItem]:
        return [i for i in items if split_of(i.id) == "dev"]

    def test(items: list[LabelledItem]) -> list[LabelledItem]:
        return [i for i in items if split_of(i.id) == "test"]

    every_dev = dev(extra) + dev(shared) + own
    run(every_dev, test(extra), "extra held-out")
    run(every_dev, test(shared), "shared held-out")
    run(own, extra, "extra, trained on the project's own items only")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
