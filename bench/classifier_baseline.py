"""A learned baseline beside the topic rules: is a classifier the way past the rules' recall?

    pip install scikit-learn   # not a dependency of newsmon
    python bench/classifier_baseline.py [--embeddings MODEL_DIR]

Trains a TF-IDF character n-gram (2-4) logistic regression per topic (or, with --embeddings, a
logistic regression on the sentence embeddings of a sentence-transformers model read from a local
folder: pip install sentence-transformers; nothing is downloaded) and prints precision /
recall next to the shipped rules, and for "rules or classifier" (the classifier adding matches):
- on the held-out (test) extra items, trained on every dev item (extra, shared, blind, project);
- on the shared test items, trained the same way;
- on all extra items, trained only on the project's own items (blind set and tests/data/labels).
Nothing here is shipped: the README's quality section reports what it found.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.extra_news import extra_available, labelled_extra_items
from tests.support.shared_news import LABELS, SHARED_NEWS, labelled_shared_items, split_of

from newsmon.evaluate import LabelledItem, load_labels
from newsmon.rules import explain, load_rules

TOPICS = ("open-source", "ai-safety", "policy")
THRESHOLDS = (0.5, 0.7, 0.8)


def _text(item: LabelledItem) -> str:
    return (item.title or "") + "\n" + item.text[:3000]


def _pr(predicted: list[bool], truth: list[bool]) -> str:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return f"{precision:.2f}/{recall:.2f}"


def _features(
    train: list[LabelledItem], test: list[LabelledItem], model_dir: str | None
) -> tuple[Any, Any]:
    """TF-IDF character n-grams, or the embeddings of a local sentence-transformers model."""
    if model_dir is None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectors = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True
        )
        return vectors.fit_transform([_text(i) for i in train]), vectors.transform(
            [_text(i) for i in test]
        )
    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu")

    def encode(items: list[LabelledItem]) -> Any:
        texts = [_text(i)[:1500] for i in items]
        return model.encode(texts, batch_size=32, normalize_embeddings=True)

    return encode(train), encode(test)


def run(
    train: list[LabelledItem], test: list[LabelledItem], name: str, model_dir: str | None = None
) -> None:
    from sklearn.linear_model import LogisticRegression

    rules = load_rules(ROOT / "config" / "topics.yaml")
    x_train, x_test = _features(train, test, model_dir)
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embeddings", metavar="MODEL_DIR", help="a sentence-transformers folder")
    args = parser.parse_args()
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
    model_dir: str | None = args.embeddings
    held_out = test(extra)
    run(every_dev, held_out, "extra held-out", model_dir)
    for lang in ("en", "ko"):
        run(
            every_dev, [i for i in held_out if i.lang == lang], f"extra held-out, {lang}", model_dir
        )
    run(every_dev, test(shared), "shared held-out", model_dir)
    run(own, extra, "extra, trained on the project's own items only", model_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
