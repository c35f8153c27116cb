"""Precision and recall of "is a duplicate of" on the labelled Korean/English set, end to end:
real extraction of every page, canonical URL, body hash, MinHash and the corpus's band index."""

from pathlib import Path

from newsmon.corpus import Store
from tests.support.dedup_set import VARIANTS, documents, evaluate, pieces


def test_the_labelled_set_is_what_the_readme_says() -> None:
    stories = [p for p in pieces() if p.kind == "story"]
    negatives = [p for p in pieces() if p.kind == "negative"]
    assert {p.lang for p in stories} == {"ko", "en"} == {p.lang for p in negatives}
    assert len(stories) == 8 and len(negatives) == 10
    assert all(p.edit and p.alt_title for p in stories)
    assert len(documents()) == len(stories) * (1 + len(VARIANTS)) + len(negatives)


def test_recall_at_least_095_and_no_false_merge(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        result = evaluate(store)
    finally:
        store.close()
    assert result.false_merges == []  # no distinct stories merged, no copy in a wrong cluster
    assert result.recall >= 0.95, result.false_negatives
    assert result.precision == 1.0
